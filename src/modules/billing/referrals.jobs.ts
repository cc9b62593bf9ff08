/**
 * The scheduled job of the affiliate program: `affiliate-commission-release` (every 10
 * minutes, catalog: `src/platform/jobs/jobs.catalog.ts`) releases commissions whose hold
 * has ended ({@link releaseDueCommissions}).
 */
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { AppJobHandlers } from '../../platform/jobs/jobs.ts'
import type { Logger } from '../../platform/logger.ts'
import type { LedgerRepository } from './ledger.repository.ts'
import { releaseDueCommissions } from './referrals.service.ts'

/** Queue name of the release job. */
export const COMMISSION_RELEASE_JOB = 'affiliate-commission-release'

/**
 * The handler of {@link COMMISSION_RELEASE_JOB}, for `jobs.registerAll` in `src/server.ts`.
 * Stops between commissions when the job's expiry aborts it; what is left waits for the next slot.
 */
export function commissionReleaseHandlers(deps: {
  db: Db
  /** The server's ledger repository (`billing.ledger`): shared account cache and group commit. */
  ledger: LedgerRepository
  clock?: Clock
  logger?: Pick<Logger, 'info' | 'error'>
}): Pick<AppJobHandlers, typeof COMMISSION_RELEASE_JOB> {
  return {
    [COMMISSION_RELEASE_JOB]: async (_payload, ctx) => {
      await releaseDueCommissions(
        {
          db: deps.db,
          ledger: deps.ledger,
          clock: deps.clock ?? systemClock,
          ...(deps.logger ? { logger: deps.logger } : {}),
        },
        { signal: ctx.signal },
      )
    },
  }
}
