/**
 * Retention of the postback log: every `/postback` request leaves a row (unknown-network
 * noise from the internet included), so rows older than `POSTBACK_LOG_RETENTION_DAYS` are
 * deleted by the hourly job `postback-log-retention` (catalog: `jobs.catalog.ts`).
 *
 * Bounded: batches of `batchSize` rows (one short statement each, oldest first through the
 * `postback_log_received` index), at most `maxBatches` per run; whatever is left waits for
 * the next run. The event loop is yielded between batches, so postbacks interleave with a
 * large first clean-up instead of waiting behind one long DELETE (PGlite has one connection).
 * Conversions are not touched: `postback_log.conversion_id` points at them, not back.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { AppJobHandlers, Jobs } from '../../platform/jobs/jobs.ts'
import type { JOB_CATALOG } from '../../platform/jobs/jobs.catalog.ts'
import type { Logger } from '../../platform/logger.ts'
import { deletePostbackLogBefore } from './conversions.repository.ts'

/** Queue name of the retention job. */
export const POSTBACK_LOG_RETENTION_JOB = 'postback-log-retention'

/** Options of {@link prunePostbackLog}. */
export interface PostbackLogRetentionOptions {
  db: Db
  /** Rows received more than this many days ago are deleted (`POSTBACK_LOG_RETENTION_DAYS`). */
  retentionDays: number
  clock?: Clock
  /** Rows per DELETE (default 5,000). */
  batchSize?: number
  /** DELETEs per run (default 200, i.e. up to 1 M rows per run). */
  maxBatches?: number
  logger?: Pick<Logger, 'info' | 'warn'>
}

/** What one run did. */
export interface PruneResult {
  /** Rows deleted. */
  deleted: number
  batches: number
  /** False when the run stopped at `maxBatches` (or was aborted) with older rows left. */
  done: boolean
  /** Rows received before this instant were eligible. */
  cutoff: Date
}

/**
 * Deletes postback log rows older than the retention period, in bounded batches.
 * @param signal stops between batches (the job's expiry).
 */
export async function prunePostbackLog(
  opts: PostbackLogRetentionOptions,
  signal?: AbortSignal,
): Promise<PruneResult> {
  if (!Number.isInteger(opts.retentionDays) || opts.retentionDays < 1)
    throw new Error(`retentionDays must be a positive integer, got ${opts.retentionDays}`)
  const batchSize = opts.batchSize ?? 5_000
  const maxBatches = opts.maxBatches ?? 200
  const cutoff = new Date((opts.clock ?? systemClock).now().getTime() - opts.retentionDays * 86_400_000)
  let deleted = 0
  let batches = 0
  let done = false
  while (batches < maxBatches && !signal?.aborted) {
    const n = await deletePostbackLogBefore(opts.db, cutoff, batchSize)
    batches++
    deleted += n
    if (n < batchSize) {
      done = true
      break
    }
    await yieldLoop()
  }
  if (deleted > 0)
    opts.logger?.info({ deleted, batches, done, cutoff: cutoff.toISOString() }, 'pruned postback log')
  return { deleted, batches, done, cutoff }
}

/** The handler of {@link POSTBACK_LOG_RETENTION_JOB} (its hourly schedule is in the catalog), for `jobs.registerAll`. */
export function postbackLogRetentionHandlers(
  opts: PostbackLogRetentionOptions,
): Pick<AppJobHandlers, typeof POSTBACK_LOG_RETENTION_JOB> {
  return {
    [POSTBACK_LOG_RETENTION_JOB]: async (_payload, ctx) => {
      await prunePostbackLog(opts, ctx.signal)
    },
  }
}

/** Registers the handler of {@link POSTBACK_LOG_RETENTION_JOB} on its own (a runtime without the other jobs). */
export function registerPostbackLogRetention(
  jobs: Pick<Jobs<typeof JOB_CATALOG>, 'register'>,
  opts: PostbackLogRetentionOptions,
): void {
  jobs.register(POSTBACK_LOG_RETENTION_JOB, postbackLogRetentionHandlers(opts)[POSTBACK_LOG_RETENTION_JOB])
}
