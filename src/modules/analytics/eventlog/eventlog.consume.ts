/**
 * The insert step both consumers share: a prepared batch into ClickHouse through the
 * pipeline's own ClickHouse sink (`sink.clickhouse.ts`), one insert per table under the
 * batch's token, or — for a table whose rows may already be stored — only the unstored rows
 * (the same lookup by key the pipeline's crash replay uses).
 */
import type { EventSink, EventTable } from '../pipeline.types.ts'
import type { EventLogConsumerStats } from './eventlog.types.ts'
import type { PreparedBatch } from './eventlog.lines.ts'

/**
 * Inserts `batch` table by table with `insert_deduplication_token = <tokenBase>:<table>`
 * (replayed tables: their unstored rows under a fresh token). Adds the rows handed over to
 * `rows`. Resolves true when some table was replayed.
 * @throws the ClickHouse error of the first failed insert (tables before it are stored;
 *   retrying the same batch with the same token stores nothing twice).
 */
export async function insertBatch(
  clickhouse: EventSink,
  tokenBase: string,
  batch: PreparedBatch,
  rows: Record<EventTable, number>,
): Promise<boolean> {
  let replayed = false
  for (const t of batch.tables) {
    await clickhouse.commit(`${tokenBase}:${t.table}`, { [t.table]: t.lines }, t.replay)
    rows[t.table] += t.lines.length
    replayed ||= t.replay
  }
  return replayed
}

/** Fresh zeroed per-table row counters. */
export const zeroRows = (): Record<EventTable, number> => ({
  clicks: 0,
  trafficback: 0,
  visits: 0,
  lander_clicks: 0,
})

/** A consumer's stats before its first message. */
export const emptyConsumerStats = (kind: EventLogConsumerStats['kind']): EventLogConsumerStats => ({
  kind,
  running: false,
  consumed: 0,
  insertedBatches: 0,
  rows: zeroRows(),
  replayedBatches: 0,
  corrupt: 0,
  duplicates: 0,
  errors: 0,
  lastError: null,
  lag: null,
  ackPending: null,
  lastBatchAt: null,
})

/**
 * A sleep that `wake()` ends early (a consumer's backoff or flush wait, cut short when it is
 * stopped or when enough messages arrived). One sleeper at a time; `wake()` with none is a no-op.
 */
export function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | null = null
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(done, ms)
        function done() {
          clearTimeout(t)
          wake = null
          resolve()
        }
        wake = done
      }),
    wake: () => wake?.(),
  }
}
