/**
 * Spool lines read back from disk (a spill, a backlog left by a previous run, an intent range
 * replayed after a crash) turned into insertable runs. Pure: the shell reads the spool and
 * counts what this reports as corrupt.
 */
import type { SpoolLine } from './spool.ts'
import type { Line } from './pipeline.types.ts'
import { tableOf } from './pipeline.queue.ts'
import { isStorableEvent, serializeEvent } from './serialize.ts'

/**
 * Validates spool lines read back from disk and normalises each through the serializer into
 * a one-row {@link Line}. Lines that are not storable events are left out and passed to
 * `onCorrupt` (they are skipped for good: ClickHouse would refuse them).
 */
export function parseSpoolLines(lines: readonly SpoolLine[], onCorrupt: (line: SpoolLine) => void): Line[] {
  const events: Line[] = []
  for (const l of lines) {
    let v: unknown
    try {
      v = JSON.parse(l.text)
    } catch {
      v = undefined
    }
    let line: Line | undefined
    try {
      if (isStorableEvent(v))
        line = {
          table: tableOf(v),
          bytes: Buffer.from(`${serializeEvent(v)}\n`, 'utf8'),
          rows: 1,
          minTs: v.ts,
          maxTs: v.ts,
        }
    } catch {
      line = undefined
    }
    if (line) events.push(line)
    else onCorrupt(l)
  }
  return events
}

/** Per table: the column(s) naming one stored row, as a ClickHouse expression and from a spool line. */
export const REPLAY_KEYS: Record<
  Line['table'],
  { column: string; expr: string; of(row: Record<string, unknown>): string }
> = {
  clicks: { column: 'click_id', expr: 'click_id', of: (r) => String(r.click_id) },
  trafficback: { column: 'click_id', expr: 'click_id', of: (r) => String(r.click_id) },
  visits: { column: 'visit_id', expr: 'visit_id', of: (r) => String(r.visit_id) },
  // A visit may click its lander's CTA more than once (one row per CTA click): its time
  // tells the rows apart.
  lander_clicks: {
    column: 'click_id',
    expr: "concat(click_id, '|', toString(toUnixTimestamp64Milli(ts)))",
    of: (r) => `${String(r.click_id)}|${Number(r.ts)}`,
  },
}

/**
 * Of a replayed range's lines for one table, those not yet stored: `stored` counts the rows
 * ClickHouse already holds per key (see {@link REPLAY_KEYS}); each stored row accounts for
 * one line with its key, so a key present twice in the range and stored once keeps one line.
 * Pure; lines whose JSON cannot be read are kept (the insert reports them).
 */
export function unstoredLines(
  table: Line['table'],
  lines: readonly Buffer[],
  stored: ReadonlyMap<string, number>,
): Buffer[] {
  const left = new Map(stored)
  const out: Buffer[] = []
  for (const bytes of lines) {
    let key: string | undefined
    try {
      key = REPLAY_KEYS[table].of(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)
    } catch {
      key = undefined
    }
    const n = key === undefined ? 0 : (left.get(key) ?? 0)
    if (n > 0) left.set(key!, n - 1)
    else out.push(bytes)
  }
  return out
}

/** The distinct values of `REPLAY_KEYS[table].column` among `lines` (for the stored-rows query). */
export function replayKeyValues(table: Line['table'], lines: readonly Buffer[]): string[] {
  const col = REPLAY_KEYS[table].column
  const out = new Set<string>()
  for (const bytes of lines) {
    try {
      out.add(String((JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)[col]))
    } catch {
      // Kept as unstored by unstoredLines.
    }
  }
  return [...out]
}
