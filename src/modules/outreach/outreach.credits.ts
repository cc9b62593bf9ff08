/**
 * Outreach credits on the billing ledger (README "Credits"): each workspace has one ledger
 * account per local day of its credit time zone (`ledgerAccounts.outreachDay`). The day's
 * allowance is granted into it on first use (posting `allowance`, key
 * `outreach:allowance:<workspace>:<day>`), a send and a reply each spend one credit from it
 * (`spend`), a send that turned out not to leave (4xx, 5xx before delivery) is refunded
 * (`refund`). The account never goes negative (the ledger refuses with 422), and what is
 * left when the day ends stays there unused: nothing rolls over.
 */
import { and, count, eq, gte, lt } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { AppError } from '../../platform/errors.ts'
import { type LedgerRepository, ledgerAccounts } from '../billing/index.ts'
import { allowanceKey, type Plan } from './outreach.credits.core.ts'
import { localDay, nextMidnight, windowOf } from './outreach.schedule.core.ts'
import { outreachEmails, outreachReplies, outreachSettings } from './outreach.tables.ts'

/** A plan: its name and daily credit limit (emails sent + replies received per local day). */
export type OutreachPlan = Plan

/** The workspace's plan and credit time zone (defaults when it has no settings row). */
export async function creditSettings(
  db: Db,
  workspaceId: string,
  plans: readonly OutreachPlan[],
  defaultPlan: string,
): Promise<{ plan: OutreachPlan; timezone: string }> {
  const [row] = await db.select().from(outreachSettings).where(eq(outreachSettings.workspaceId, workspaceId))
  const name = row?.plan ?? defaultPlan
  const plan = plans.find((p) => p.name === name) ?? plans.find((p) => p.name === defaultPlan) ?? plans[0]!
  return { plan, timezone: row?.timezone ?? 'UTC' }
}

/** Whether `e` is the ledger's 422 `insufficient_funds`. */
export function isInsufficient(e: unknown): boolean {
  return e instanceof AppError && e.code === 'insufficient_funds'
}

/** Dependencies of the credit operations. */
export interface CreditDeps {
  db: Db
  ledger: LedgerRepository
  plans: readonly OutreachPlan[]
  defaultPlan: string
}

/**
 * Grants the day's allowance if it was not yet granted (idempotent per workspace and day)
 * and answers the day (`YYYY-MM-DD` in the workspace's credit time zone at `now`).
 */
export async function ensureAllowance(
  deps: CreditDeps,
  workspaceId: string,
  now: Date,
): Promise<{ day: string; timezone: string; limit: number }> {
  const { plan, timezone } = await creditSettings(deps.db, workspaceId, deps.plans, deps.defaultPlan)
  const day = localDay(now, timezone)
  if (plan.dailyLimit > 0)
    await deps.ledger.post(
      {
        idempotencyKey: allowanceKey(workspaceId, day),
        type: 'allowance',
        workspaceId,
        reference: `outreach:${day}`,
        metadata: { plan: plan.name, day, timezone },
        transfers: [
          {
            debit: ledgerAccounts.outreachAllowance(),
            credit: ledgerAccounts.outreachDay(workspaceId, day),
            amount: BigInt(plan.dailyLimit),
          },
        ],
      },
      now,
    )
  return { day, timezone, limit: plan.dailyLimit }
}

/**
 * Spends one credit of `day` for `key` (`outreach:send:<email>:<attempt>` or
 * `outreach:reply:<reply>`), inside `tx` when given (the claim of an email commits with it).
 * @returns false when the day has no credit left (nothing written).
 * @throws AppError from the ledger for anything but `insufficient_funds`.
 */
export async function spendCredit(
  deps: Pick<CreditDeps, 'ledger'>,
  q: { workspaceId: string; day: string; key: string; reference: string },
  now: Date,
  tx?: Db,
): Promise<boolean> {
  try {
    await deps.ledger.post(
      {
        idempotencyKey: q.key,
        type: 'spend',
        workspaceId: q.workspaceId,
        reference: q.reference,
        transfers: [
          {
            debit: ledgerAccounts.outreachDay(q.workspaceId, q.day),
            credit: ledgerAccounts.outreachSpent(),
            amount: 1n,
          },
        ],
      },
      now,
      tx,
    )
    return true
  } catch (e) {
    if (isInsufficient(e)) return false
    throw e
  }
}

/**
 * Gives back the credit of a send that did not leave (idempotent per `key`): into the same
 * day's account it came from, so a refund after midnight does not top up the new day.
 */
export async function refundCredit(
  deps: Pick<CreditDeps, 'ledger'>,
  q: { workspaceId: string; day: string; key: string; reference: string },
  now: Date,
): Promise<void> {
  await deps.ledger.post(
    {
      idempotencyKey: q.key,
      type: 'refund',
      workspaceId: q.workspaceId,
      reference: q.reference,
      transfers: [
        {
          debit: ledgerAccounts.outreachSpent(),
          credit: ledgerAccounts.outreachDay(q.workspaceId, q.day),
          amount: 1n,
        },
      ],
    },
    now,
  )
}

/** `daily_credit_usage` of one day: derived from the ledger and the emails and replies tables. */
export interface CreditUsage {
  date: string
  timezone: string
  limit: number
  used: number
  left: number
  sent: number
  replies: number
  replies_uncharged: number
  resets_at: string
}

/**
 * The credit usage of `day` (default: today at `now`) in the workspace's credit time zone:
 * `left` is the day account's balance, `limit` what was granted into it (the plan's limit
 * when nothing was granted yet), `used = limit − left`; `sent` and `replies` count charged
 * sends and replies in the day, `replies_uncharged` the replies that found no credit.
 */
export async function creditUsage(
  deps: CreditDeps,
  workspaceId: string,
  now: Date,
  day?: string,
): Promise<CreditUsage> {
  const { plan, timezone } = await creditSettings(deps.db, workspaceId, deps.plans, deps.defaultPlan)
  const d = day ?? localDay(now, timezone)
  const account = ledgerAccounts.outreachDay(workspaceId, d)
  const left = Number(await deps.ledger.balance(account))
  const granted = await grantedOn(deps.ledger, workspaceId, d)
  const limit = granted ?? plan.dailyLimit
  const { start, end } = windowOf(d, timezone, 0, 24 * 60)
  const [sent] = await deps.db
    .select({ n: count() })
    .from(outreachEmails)
    .where(
      and(
        eq(outreachEmails.workspaceId, workspaceId),
        eq(outreachEmails.charged, true),
        gte(outreachEmails.sentAt, start),
        lt(outreachEmails.sentAt, end),
      ),
    )
  const replyRows = await deps.db
    .select({ charged: outreachReplies.charged, reason: outreachReplies.unchargedReason, n: count() })
    .from(outreachReplies)
    .where(
      and(
        eq(outreachReplies.workspaceId, workspaceId),
        gte(outreachReplies.receivedAt, start),
        lt(outreachReplies.receivedAt, end),
      ),
    )
    .groupBy(outreachReplies.charged, outreachReplies.unchargedReason)
  const replies = replyRows.filter((r) => r.charged).reduce((s, r) => s + Number(r.n), 0)
  const unchargedReplies = replyRows
    .filter((r) => r.reason === 'no_credit')
    .reduce((s, r) => s + Number(r.n), 0)
  return {
    date: d,
    timezone,
    limit,
    used: granted === undefined ? 0 : limit - left,
    left: granted === undefined ? limit : left,
    sent: Number(sent?.n ?? 0),
    replies,
    replies_uncharged: unchargedReplies,
    resets_at: nextMidnight(windowOf(d, timezone, 0, 1).start, timezone).toISOString(),
  }
}

/**
 * What was granted into the day's account (undefined: no grant yet), from the workspace's
 * `allowance` postings (reference `outreach:<day>`).
 */
async function grantedOn(
  ledger: LedgerRepository,
  workspaceId: string,
  day: string,
): Promise<number | undefined> {
  const rows = await ledger.postings({ workspaceId, types: ['allowance'], limit: 1_000 })
  const mine = rows.filter((p) => p.reference === `outreach:${day}`)
  if (mine.length === 0) return undefined
  return mine.reduce((s, p) => s + p.transfers.reduce((t, x) => t + Number(x.amount), 0), 0)
}
