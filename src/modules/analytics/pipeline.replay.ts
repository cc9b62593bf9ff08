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
