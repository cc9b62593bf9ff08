/**
 * Pure parts of the event log (README "Event log"): a committed spool range split into one
 * message per event, each event's key (its message ID), and a consumed batch turned back
 * into per-table insertable lines. No I/O here; `eventlog.nats.ts` / `eventlog.kafka.ts`
 * are the shells.
 */
import { parseSpoolLines, REPLAY_KEYS } from '../pipeline.replay.ts'
import { EVENT_TABLES, type EventTable, type TableLines } from '../pipeline.types.ts'

/** Header set on messages published by a retry or a replay (they may duplicate earlier ones). */
export const REPLAY_HEADER = 'Tfx-Replay'

/** One event of a range as it goes to the log: its table, key and JSONEachRow row. */
export interface OutMessage {
  table: EventTable
  /** `REPLAY_KEYS[table].of(row)`: click ID, visit ID, or `click_id|ts` for lander clicks. */
  key: string
  /** One newline-terminated JSONEachRow row (a view into the committed bytes). */
  row: Buffer
}

/**
 * Splits newline-terminated rows (a group commit's run holds several) into one view per
 * row, each with its newline. A trailing piece without a newline is kept as a row too.
 */
export function splitRows(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  while (at < buf.length) {
    const nl = buf.indexOf(10, at)
    const end = nl === -1 ? buf.length : nl + 1
    out.push(buf.subarray(at, end))
    at = end
  }
  return out
}

/**
 * The key naming the event of `row` in `table` ({@link REPLAY_KEYS}: the same key the
 * pipeline's replay looks stored rows up by).
 * @throws SyntaxError when `row` is not JSON (spooled rows always are).
 */
export function eventKey(table: EventTable, row: Buffer): string {
  return REPLAY_KEYS[table].of(JSON.parse(row.toString('utf8')) as Record<string, unknown>)
}

/** The message ID (NATS `Nats-Msg-Id`, Kafka key) of an event: `<table>:<key>`. */
export const messageId = (m: Pick<OutMessage, 'table' | 'key'>): string => `${m.table}:${m.key}`

/** Every event of a committed range, one message each, in table order then spool order. */
export function outMessages(tables: TableLines): OutMessage[] {
  const out: OutMessage[] = []
  for (const table of EVENT_TABLES) {
    for (const buf of tables[table] ?? []) {
      for (const row of splitRows(buf)) out.push({ table, key: eventKey(table, row), row })
    }
  }
  return out
}

/** The subject (NATS) of a table's events in `stream`: `<stream>.<table>`. */
export const subjectOf = (stream: string, table: EventTable): string => `${stream}.${table}`

/** A consumed message: its payload and whether it may already be stored in ClickHouse. */
export interface InRecord {
  data: Uint8Array
  /** Redelivered, or published by a retry/replay ({@link REPLAY_HEADER}), or first after a rebalance. */
  mayBeStored: boolean
}

/** A consumed batch ready to insert: per table its rows and whether to insert only unstored ones. */
export interface PreparedBatch {
  tables: { table: EventTable; lines: Buffer[]; replay: boolean }[]
  /** Indexes (into the input) of records that are not storable events: never inserted. */
  corrupt: number[]
  /** Indexes of records dropped because an earlier record of the batch has the same key. */
  duplicates: number[]
}

/**
 * Validates and groups a consumed batch. Each record is checked and re-serialized like a
 * spool line read back from disk (`parseSpoolLines`: a message someone else published can
 * never poison the batch), grouped by its event's table, and deduplicated by key within the
 * batch (two copies of one event in the log — a republish later than the dedupe window —
 * may land in one batch). A table is marked `replay` when any of its records may already be
 * stored: then only rows ClickHouse does not hold are inserted.
 */
export function prepareBatch(records: readonly InRecord[]): PreparedBatch {
  const corrupt: number[] = []
  const duplicates: number[] = []
  const byTable = new Map<EventTable, { lines: Buffer[]; replay: boolean; keys: Set<string> }>()
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    const text = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('utf8').trimEnd()
    const [line] = parseSpoolLines([{ start: i, end: i, text }], (l) => corrupt.push(l.start))
    if (!line) continue
    let t = byTable.get(line.table)
    if (!t) {
      t = { lines: [], replay: false, keys: new Set() }
      byTable.set(line.table, t)
    }
    const key = eventKey(line.table, line.bytes)
    if (t.keys.has(key)) {
      duplicates.push(i)
      continue
    }
    t.keys.add(key)
    t.lines.push(line.bytes)
    if (r.mayBeStored) t.replay = true
  }
  const tables = EVENT_TABLES.flatMap((table) => {
    const t = byTable.get(table)
    return t ? [{ table, lines: t.lines, replay: t.replay }] : []
  })
  return { tables, corrupt, duplicates }
}
