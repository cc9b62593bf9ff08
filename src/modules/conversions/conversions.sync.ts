/**
 * Exactly-once delivery of conversion events from the PostgreSQL outbox
 * (`conversion_events`) into ClickHouse (`<db>.conversions`), without the click pipeline.
 *
 * Protocol (same idea as the click pipeline's intent checkpoint):
 * 1. **claim** — one bookkeeping row (`conversion_sync_batches`) fixes the next range of up
 *    to `batchSize` event IDs as a new batch (`claimSyncBatch`; an advisory lock makes sure
 *    no lower ID is still uncommitted, and serialises claimers in several processes). From
 *    then on the batch's rows are fixed.
 * 2. **insert** — the batch's rows as JSONEachRow lines built by PostgreSQL (`batchLines`)
 *    into `<db>.conversions` with the statement settings `insert_deduplicate = 1,
 *    insert_deduplication_token = 'conversions:<batch id>'`
 *    (`ClickHouseHandle.insertJsonEachRow`, as the click pipeline does).
 * 3. **mark** — `synced_at = now()` on the bookkeeping row.
 * The outbox costs one row per batch, not two UPDATEs per event (the earlier protocol,
 * whose unsynced batches — per-event `batch_id` — are still re-sent the same way).
 *
 * A crash or error between 2 and 3 leaves the batch unsynced; the next run re-sends the
 * same rows with the same token and ClickHouse drops the copy (the table keeps a
 * deduplication window of 10,000 inserts). So every event is counted once, whatever fails.
 * Batches rather than one insert per event: each insert makes a part, and a part per
 * conversion would flood the table with tiny parts at postback bursts.
 */
import { randomUUID } from 'node:crypto'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import {
  batchLines,
  claimSyncBatch,
  markBatchSynced,
  type SyncBatchRef,
  unsyncedBatches,
} from './conversions.repository.ts'

/** Result of one {@link ConversionSync.syncPending} run. */
export interface SyncResult {
  /** Batches inserted (including re-sent ones). */
  batches: number
  /** Events in those batches. */
  events: number
  /** Batches that failed this run (left for the next run). */
  failed: number
}

/** Counters since start. */
export interface SyncStats {
  batches: number
  events: number
  failures: number
  lastError?: { at: string; message: string }
  lastSyncAt?: string
}

/** The outbox syncer. */
export interface ConversionSync {
  /**
   * Re-sends abandoned batches (claimed more than `leaseMs` ago, or failed in this process),
   * then claims and sends new events until none are left or an insert fails. Runs are
   * serialised: a call while a run is in progress waits for it and then runs again.
   * Never throws; failures are counted and retried by the next run.
   */
  syncPending(): Promise<SyncResult>
  stats(): SyncStats
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The deduplication token of a batch. */
export const batchToken = (batchId: string) => `conversions:${batchId}`

/**
 * Creates the syncer.
 * @param opts.batchSize max events per insert (default 5,000).
 * @param opts.leaseMs a batch claimed longer ago than this and still unsynced is re-sent by
 *   any process (default 30,000 ms). Re-sending a batch another process is still inserting
 *   is harmless (same token), just wasted work.
 */
export function createConversionSync(deps: {
  db: Db
  clickhouse: ClickHouseHandle
  clock: Clock
  batchSize?: number
  leaseMs?: number
}): ConversionSync {
  const { db, clickhouse, clock } = deps
  const batchSize = deps.batchSize ?? 5000
  const leaseMs = deps.leaseMs ?? 30_000
  if (!IDENT.test(clickhouse.database)) throw new Error(`invalid ClickHouse database ${clickhouse.database}`)
  const table = `${clickhouse.database}.conversions`
  const stats: SyncStats = { batches: 0, events: 0, failures: 0 }
  // Batches of this process that failed: retried on the next run without waiting the lease.
  const ownFailed = new Map<string, SyncBatchRef>()

  async function send(batch: SyncBatchRef): Promise<number> {
    const batchId = batch.id
    // The token ends up in SQL text (server path): only ever a UUID we generated.
    if (!UUID.test(batchId)) throw new Error(`invalid batch id ${batchId}`)
    const lines = await batchLines(db, batch)
    if (lines.length > 0) {
      const body = Buffer.from(`${lines.join('\n')}\n`)
      // The token is a per-statement setting, never in clickhouse_settings: on chDB those
      // become a session-wide SET that would swallow every later insert of the process.
      await clickhouse.insertJsonEachRow(table, body, {
        insert_deduplicate: 1,
        insert_deduplication_token: batchToken(batchId),
      })
    }
    await markBatchSynced(db, batch, clock.now())
    return lines.length
  }

  async function run(): Promise<SyncResult> {
    const result: SyncResult = { batches: 0, events: 0, failed: 0 }
    const attempt = async (batch: SyncBatchRef): Promise<boolean> => {
      try {
        const n = await send(batch)
        ownFailed.delete(batch.id)
        result.batches++
        result.events += n
        stats.batches++
        stats.events += n
        return true
      } catch (err) {
        ownFailed.set(batch.id, batch)
        result.failed++
        stats.failures++
        stats.lastError = { at: clock.now().toISOString(), message: (err as Error).message }
        return false
      }
    }
    try {
      const stale = await unsyncedBatches(db, new Date(clock.now().getTime() - leaseMs))
      const retry = new Map(ownFailed)
      for (const b of stale) retry.set(b.id, b)
      for (const b of retry.values()) if (!(await attempt(b))) return result
      for (;;) {
        const claimed = await claimSyncBatch(db, randomUUID(), batchSize, clock.now())
        if (!claimed) break
        if (!(await attempt(claimed.ref))) break
      }
      stats.lastSyncAt = clock.now().toISOString()
    } catch (err) {
      // The outbox itself is unreachable: nothing was claimed or marked by the failing call.
      result.failed++
      stats.failures++
      stats.lastError = { at: clock.now().toISOString(), message: (err as Error).message }
    }
    return result
  }

  let tail: Promise<unknown> = Promise.resolve()
  return {
    syncPending: () => {
      const p = tail.then(run, run)
      tail = p
      return p
    },
    stats: () => ({ ...stats, ...(stats.lastError ? { lastError: { ...stats.lastError } } : {}) }),
  }
}
