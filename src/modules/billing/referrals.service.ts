/**
 * The affiliate program's shell: affiliate rows and codes, the sign-up hook that
 * records who referred a new user, the release of commissions whose hold has ended, payout
 * requests and the admins' decisions on them. Decisions come from `referrals.core.ts`;
 * money moves only through ledger postings, in the same transaction as the row it concerns.
 *
 * Affiliate money of a user (one currency), as ledger accounts (`ledger.core.ts`):
 *
 *   commission_expense ──commission──▶ affiliate_pending ──commission_release──▶ affiliate_available
 *   affiliate_available ──payout (request)──▶ affiliate_payout_requested ──payout (paid)──▶ affiliate_paid
 *   affiliate_payout_requested ──payout (rejected)──▶ affiliate_available
 *   affiliate_pending | affiliate_available ──commission_reversal──▶ commission_expense
 *
 * So pending + available + requested + paid = Σ commissions − Σ reversals for every
 * affiliate, and `affiliate_paid` (never negative, only growing) is what left the platform
 * to them: the payouts sink per user (Σ over users = all affiliate payouts). `affiliate_available`
 * alone may go negative: a commission reversed after its money was paid out is a debt that
 * later commissions pay back as they are released.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { sql } from 'drizzle-orm'
import type { Clock } from '../../platform/clock.ts'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import { AppError, conflict, notFound } from '../../platform/errors.ts'
import type { Logger } from '../../platform/logger.ts'
import { userEmailsByIds } from '../accounts/index.ts'
import { accounts } from './ledger.core.ts'
import type { LedgerRepository } from './ledger.repository.ts'
import {
  decideReferral,
  decidePayout,
  parseRefCookie,
  REF_COOKIE,
  type ReferrerFacts,
  refCookieValid,
} from './referrals.core.ts'
import {
  type AffiliateRow,
  decidePayoutRow,
  dueCommissionIds,
  findAffiliateByCode,
  insertAudit,
  insertPayout,
  lockCommission,
  lockPayout,
  type PayoutRow,
  setCommissionStatus,
  upsertAffiliate,
} from './referrals.repository.ts'

/** Default billing currency (ISO 4217) when none is configured. */
export const DEFAULT_CURRENCY = 'EUR'

const inTx = <T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> =>
  db.transaction((t) => fn(t as unknown as Db))

/**
 * The user's affiliate row, created with a fresh code on first use (`GET /billing/affiliate`
 * before any sign-up hook ran, e.g. for users created before the program or by an admin).
 */
export function ensureAffiliate(db: Db, userId: string, now: Date): Promise<AffiliateRow> {
  return upsertAffiliate(db, userId, now)
}

/** Dependencies of {@link referralSignupHook}. */
export interface ReferralSignupHookDeps {
  db: Db
  clock: Clock
  /** `AFFILIATE_COOKIE_DAYS`: a `tf_ref` cookie older than this counts for nothing. */
  cookieDays: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
}

/**
 * The accounts module's `onSignup` hook: reads the `tf_ref` cookie, finds the referrer by
 * code, applies the rules of {@link decideReferral} (self-referral by user or canonical
 * email refused; the same sign-up IP as the referrer's flagged `same_ip` for review) and
 * creates the new user's affiliate row with its code, `signup_ip` (also without a referrer,
 * so the user can be compared with later referrals) and, when accepted, `referred_by` —
 * set once, never changed later.
 * Never throws (a sign-up must not fail because of the affiliate program): errors are logged.
 */
export function referralSignupHook(
  deps: ReferralSignupHookDeps,
): (user: { id: string; email: string }, req: FastifyRequest) => Promise<void> {
  return async (user, req) => {
    try {
      const now = deps.clock.now()
      const ip = typeof req.ip === 'string' && req.ip !== '' ? req.ip.slice(0, 64) : null
      const cookie = parseRefCookie(req.cookies?.[REF_COOKIE])
      let referrer: ReferrerFacts | undefined
      if (cookie && refCookieValid(cookie, now, deps.cookieDays)) {
        const row = await findAffiliateByCode(deps.db, cookie.code)
        if (row) {
          const email = (await userEmailsByIds(deps.db, [row.userId])).get(row.userId)
          if (email) referrer = { userId: row.userId, email, signupIp: row.signupIp }
        }
      }
      const d = decideReferral({ user: { id: user.id, email: user.email, ip }, referrer })
      if (d.kind === 'refused')
        deps.logger?.info(
          { userId: user.id, referrerId: referrer?.userId, reason: d.reason },
          'referral refused',
        )
      await upsertAffiliate(deps.db, user.id, now, {
        signupIp: ip,
        ...(d.kind === 'accepted' && referrer
          ? { referral: { referredBy: referrer.userId, at: now, flag: d.flag } }
          : {}),
      })
    } catch (err) {
      deps.logger?.error({ err, userId: user.id }, 'referral sign-up hook failed (sign-up kept)')
    }
  }
}

/** What one run of {@link releaseDueCommissions} did. */
export interface ReleaseResult {
  released: number
  /** Due rows that were no longer pending when locked (reversed or released meanwhile). */
  skipped: number
  failed: number
}

/**
 * Moves every pending commission whose hold has ended (`available_at <= now`) to available:
 * a `commission_release` posting affiliate_pending → affiliate_available (idempotency key
 * `commission_release:<commission id>`) and the row's status, in one transaction per
 * commission with the row locked, so a reversal booked at the same moment either comes
 * first (the row is `reversed`: skipped) or after. A re-run finds nothing left to do.
 * A commission that fails (logged) stays pending for the next run.
 * `deps.ledger` is the server's one ledger repository (`billing.ledger`, composition root
 * `src/server.ts`): one account-ID cache and group-commit queue for every writer.
 * @param opts.batchSize rows per query (default 500); @param opts.maxBatches per run (default 20).
 */
export async function releaseDueCommissions(
  deps: { db: Db; ledger: LedgerRepository; clock: Clock; logger?: Pick<Logger, 'info' | 'error'> },
  opts: { batchSize?: number; maxBatches?: number; signal?: AbortSignal } = {},
): Promise<ReleaseResult> {
  const { ledger } = deps
  const batchSize = opts.batchSize ?? 500
  const out: ReleaseResult = { released: 0, skipped: 0, failed: 0 }
  const failed = new Set<string>()
  for (let batch = 0; batch < (opts.maxBatches ?? 20) && !opts.signal?.aborted; batch++) {
    const now = deps.clock.now()
    const ids = (await dueCommissionIds(deps.db, now, batchSize + failed.size)).filter(
      (id) => !failed.has(id),
    )
    for (const id of ids) {
      try {
        const done = await inTx(deps.db, async (tx) => {
          const c = await lockCommission(tx, id)
          if (c?.status !== 'pending') return false
          await ledger.post(
            {
              idempotencyKey: `commission_release:${c.id}`,
              type: 'commission_release',
              reference: c.id,
              metadata: { commission_id: c.id },
              transfers: [
                {
                  debit: accounts.affiliatePending(c.referrerId, c.currency),
                  credit: accounts.affiliateAvailable(c.referrerId, c.currency),
                  amount: BigInt(c.amountMinor),
                },
              ],
            },
            now,
            tx,
          )
          await setCommissionStatus(tx, c.id, 'available')
          return true
        })
        if (done) out.released++
        else out.skipped++
      } catch (err) {
        failed.add(id)
        out.failed++
        deps.logger?.error({ err, commissionId: id }, 'commission release failed')
      }
    }
    if (ids.length < batchSize) break
  }
  if (out.released > 0 || out.failed > 0) deps.logger?.info({ ...out }, 'released affiliate commissions')
  return out
}

/** Affiliate balances of a user in one currency, minor units (from the ledger). */
export interface AffiliateEarnings {
  pendingMinor: number
  /** May be negative (a debt from a commission reversed after its money was paid out). */
  availableMinor: number
  requestedMinor: number
  paidMinor: number
}

/** The ledger balances of a user's affiliate accounts in `currency` (through the shared `ledger`). */
export async function affiliateEarnings(
  ledger: Pick<LedgerRepository, 'balances'>,
  userId: string,
  currency: string,
): Promise<AffiliateEarnings> {
  const rows = await ledger.balances('user', userId)
  const of = (purpose: string) =>
    Number(rows.find((r) => r.purpose === purpose && r.asset === currency)?.balance ?? 0n)
  return {
    pendingMinor: of('affiliate_pending'),
    availableMinor: of('affiliate_available'),
    requestedMinor: of('affiliate_payout_requested'),
    paidMinor: of('affiliate_paid'),
  }
}

/**
 * Requests a payout of available affiliate money: `amountMinor`, or everything available.
 * Locks the user's `affiliate_available` account row for the decision, so two requests at
 * once cannot both spend the same money (that account may go negative, so the ledger's own
 * non-negative check does not guard it), then books a `payout` posting available →
 * payout_requested and the `affiliate_payouts` row in the same transaction.
 * @throws AppError 422 `below_minimum` (amount under `minMinor`) or `insufficient_funds` (more than available).
 */
export async function requestPayout(
  deps: { db: Db; ledger: LedgerRepository; clock: Clock },
  req: {
    userId: string
    destination: string
    amountMinor?: number | undefined
    currency: string
    minMinor: number
  },
): Promise<PayoutRow> {
  const { ledger } = deps
  const now = deps.clock.now()
  return inTx(deps.db, async (tx) => {
    const acc = accounts.affiliateAvailable(req.userId, req.currency)
    const [row] = rowsOf<{ balance: unknown }>(
      await tx.execute(sql`
        SELECT balance FROM ledger_accounts
        WHERE owner_type = 'user' AND owner_id = ${req.userId} AND purpose = ${acc.purpose} AND asset = ${acc.asset}
        FOR UPDATE`),
    )
    const availableMinor = Number(row ? BigInt(row.balance as string) : 0n)
    const d = decidePayout({ requestedMinor: req.amountMinor, availableMinor, minMinor: req.minMinor })
    if (!d.ok)
      throw new AppError(422, d.code, d.message, {
        available_minor: availableMinor,
        min_payout_minor: req.minMinor,
      })
    const id = randomUUID()
    await ledger.post(
      {
        idempotencyKey: `payout_request:${id}`,
        type: 'payout',
        reference: id,
        metadata: { payout_id: id, action: 'request' },
        transfers: [
          {
            debit: acc,
            credit: accounts.affiliatePayoutRequested(req.userId, req.currency),
            amount: BigInt(d.amountMinor),
          },
        ],
      },
      now,
      tx,
    )
    return insertPayout(tx, {
      id,
      userId: req.userId,
      amountMinor: d.amountMinor,
      currency: req.currency,
      destination: req.destination,
      now,
    })
  })
}

/**
 * An admin's decision on a requested payout, with its audit row, in one transaction:
 * - `paid` (with the bank/PayPal `reference`): payout_requested → affiliate_paid;
 * - `rejected` (with a `reason`): payout_requested → affiliate_available (the money is the
 *   affiliate's again).
 * Postings are keyed `payout_paid:<id>` / `payout_rejected:<id>`.
 * @throws AppError 404 unknown payout; 409 `conflict` when it is not `requested` any more.
 */
export async function decidePayoutRequest(
  deps: { db: Db; ledger: LedgerRepository; clock: Clock },
  d: { payoutId: string; actorUserId: string } & (
    | { decision: 'paid'; reference: string }
    | { decision: 'rejected'; reason: string }
  ),
): Promise<PayoutRow> {
  const { ledger } = deps
  const now = deps.clock.now()
  return inTx(deps.db, async (tx) => {
    const p = await lockPayout(tx, d.payoutId)
    if (!p) throw notFound('payout')
    if (p.status !== 'requested') throw conflict(`the payout is ${p.status}, not requested`)
    const requested = accounts.affiliatePayoutRequested(p.userId, p.currency)
    await ledger.post(
      {
        idempotencyKey: `payout_${d.decision}:${p.id}`,
        type: 'payout',
        reference: p.id,
        metadata: { payout_id: p.id, action: d.decision },
        transfers: [
          {
            debit: requested,
            credit:
              d.decision === 'paid'
                ? accounts.affiliatePaid(p.userId, p.currency)
                : accounts.affiliateAvailable(p.userId, p.currency),
            amount: BigInt(p.amountMinor),
          },
        ],
      },
      now,
      tx,
    )
    const updated = await decidePayoutRow(tx, p.id, {
      status: d.decision,
      by: d.actorUserId,
      at: now,
      ...(d.decision === 'paid' ? { paidReference: d.reference } : { note: d.reason }),
    })
    await insertAudit(tx, {
      at: now,
      actorUserId: d.actorUserId,
      action: d.decision === 'paid' ? 'payout_paid' : 'payout_rejected',
      reason: d.decision === 'rejected' ? d.reason : null,
      details: {
        payout_id: p.id,
        user_id: p.userId,
        amount_minor: p.amountMinor,
        currency: p.currency,
        ...(d.decision === 'paid' ? { reference: d.reference } : {}),
      },
    })
    return updated
  })
}
