/**
 * Retention of the change log and the security events: the daily job `audit-retention`
 * (catalog: src/platform/jobs/jobs.catalog.ts) deletes change-log rows older than
 * `CHANGE_LOG_RETENTION_DAYS` (0 = kept forever) and security events older than
 * `SECURITY_EVENTS_RETENTION_DAYS`.
 *
 * Bounded like the postback log's retention: DELETEs of `batchSize` rows, oldest first, at
 * most `maxBatches` per table per run, yielding the event loop between them; what is left
 * waits for the next run.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { AppJobHandlers } from '../../platform/jobs/jobs.ts'
import type { Logger } from '../../platform/logger.ts'
import { deleteChangesBefore, deleteSecurityEventsBefore } from './audit.repository.ts'

/** Queue name of the retention job. */
export const AUDIT_RETENTION_JOB = 'audit-retention'

/** Options of {@link pruneAudit}. */
export interface AuditRetentionOptions {
  db: Db
  /** Change-log rows older than this many days are deleted; 0 keeps them forever. */
  changeLogDays: number
  /** Security events older than this many days are deleted; 0 keeps them forever. */
  securityEventsDays: number
  clock?: Clock
  /** Rows per DELETE (default 5,000). */
  batchSize?: number
  /** DELETEs per table per run (default 200). */
  maxBatches?: number
  logger?: Pick<Logger, 'info'>
}

/** What one run deleted per table. */
export interface AuditPruneResult {
  changeLog: number
  securityEvents: number
}

async function pruneTable(
  del: (before: Date, limit: number) => Promise<number>,
  cutoff: Date,
  batchSize: number,
  maxBatches: number,
  signal?: AbortSignal,
): Promise<number> {
  let deleted = 0
  for (let b = 0; b < maxBatches && !signal?.aborted; b++) {
    const n = await del(cutoff, batchSize)
    deleted += n
    if (n < batchSize) break
    await yieldLoop()
  }
  return deleted
}

/**
 * Deletes change-log rows and security events past their retention, in bounded batches.
 * @param signal stops between batches (the job's expiry).
 * @throws Error when a retention is not a non-negative integer.
 */
export async function pruneAudit(
  opts: AuditRetentionOptions,
  signal?: AbortSignal,
): Promise<AuditPruneResult> {
  for (const d of [opts.changeLogDays, opts.securityEventsDays])
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`retention days must be a non-negative integer, got ${d}`)
  const now = (opts.clock ?? systemClock).now().getTime()
  const batchSize = opts.batchSize ?? 5_000
  const maxBatches = opts.maxBatches ?? 200
  const cutoff = (days: number) => new Date(now - days * 86_400_000)
  const result: AuditPruneResult = {
    changeLog:
      opts.changeLogDays > 0
        ? await pruneTable(
            (b, l) => deleteChangesBefore(opts.db, b, l),
            cutoff(opts.changeLogDays),
            batchSize,
            maxBatches,
            signal,
          )
        : 0,
    securityEvents:
      opts.securityEventsDays > 0
        ? await pruneTable(
            (b, l) => deleteSecurityEventsBefore(opts.db, b, l),
            cutoff(opts.securityEventsDays),
            batchSize,
            maxBatches,
            signal,
          )
        : 0,
  }
  if (result.changeLog + result.securityEvents > 0)
    opts.logger?.info(result, 'pruned change log and security events')
  return result
}

/** The handler of {@link AUDIT_RETENTION_JOB} (daily schedule in the catalog), for `jobs.registerAll`. */
export function auditRetentionHandlers(
  opts: AuditRetentionOptions,
): Pick<AppJobHandlers, typeof AUDIT_RETENTION_JOB> {
  return {
    [AUDIT_RETENTION_JOB]: async (_payload, ctx) => {
      await pruneAudit(opts, ctx.signal)
    },
  }
}
