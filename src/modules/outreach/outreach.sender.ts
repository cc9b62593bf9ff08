/**
 * Sending (README "Sending"): the due emails, one at a time per mailbox, each **at most
 * once**. An email is claimed (`scheduled → claimed`, attempt + 1) in the same transaction
 * as its credit (ledger key `outreach:send:<email>:<attempt>`): without a credit nothing is
 * claimed and the email becomes `unpaid` (its creator waits for the next run, uncontacted).
 * Only then does the SMTP transaction start. Its outcome decides:
 *
 * - accepted → `sent`;
 * - 4xx or a connection failure before the message was handed over → the credit is refunded
 *   and the email is scheduled again a little later inside the window (else `expired`);
 * - 5xx → refunded, `failed`, and the address suppressed for recipient errors (5.1.x, 550…);
 * - no answer after the message was handed over → `unknown`: it may have been delivered, so
 *   it stays charged and is never retried automatically.
 *
 * A process that dies between the claim and the answer leaves the email `claimed`;
 * {@link recoverStaleClaims} turns such claims into `unknown` after `claimTimeoutMs`.
 */
import { and, asc, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm'
import { refundKey, sendKey, statusesAllowing } from './outreach.credits.core.ts'
import { ensureAllowance, refundCredit, spendCredit } from './outreach.credits.ts'
import type { MailboxRow, OutreachDeps, SmtpCreds } from './outreach.deps.ts'
import { composeEmail } from './outreach.message.core.ts'
import { localDay, mailboxSlot, windowOf } from './outreach.schedule.core.ts'
import {
  outreachCampaigns,
  outreachEmails,
  outreachMailboxes,
  outreachRuns,
  outreachSuppressions,
} from './outreach.tables.ts'
import { unsubscribeToken } from './outreach.unsubscribe.core.ts'

/** An email row. */
export type EmailRow = typeof outreachEmails.$inferSelect

/** Statuses of an email waiting for its send: planned, or deferred by a 4xx answer. */
const WAITING = statusesAllowing('claim')

/** Retries of a 4xx answer at most (then the email waits for the next run). */
const MAX_ATTEMPTS = 5

/** Thrown inside the claim transaction to roll it back when the day has no credit left. */
class NoCredit extends Error {}

/** SMTP credentials of a mailbox (passwords opened from their sealed form). */
export function smtpCreds(deps: Pick<OutreachDeps, 'box'>, mb: MailboxRow): SmtpCreds {
  return {
    host: mb.smtpHost,
    port: mb.smtpPort,
    secure: mb.smtpSecure,
    user: mb.smtpUser || undefined,
    pass: mb.smtpPasswordSealed ? deps.box.open(mb.smtpPasswordSealed) : undefined,
  }
}

/** The one-click unsubscribe URL of an email (README "Unsubscribe"). */
export function unsubscribeUrl(
  deps: Pick<OutreachDeps, 'publicUrl' | 'unsubscribeKey'>,
  e: EmailRow,
): string {
  const token = unsubscribeToken(deps.unsubscribeKey, {
    workspaceId: e.workspaceId,
    email: e.toEmail,
    emailId: e.id,
  })
  return `${deps.publicUrl}/api/v1/outreach/unsubscribe/${token}`
}

/** Claims older than `claimTimeoutMs` without an outcome become `unknown` (never retried). */
export async function recoverStaleClaims(deps: OutreachDeps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.claimTimeoutMs)
  const rows = await deps.db
    .update(outreachEmails)
    .set({
      status: 'unknown',
      error: 'the process stopped between the claim and the SMTP answer; not retried',
    })
    .where(and(eq(outreachEmails.status, 'claimed'), lte(outreachEmails.claimedAt, cutoff)))
    .returning({ id: outreachEmails.id, runId: outreachEmails.runId })
  for (const r of rows)
    await deps.db
      .update(outreachRuns)
      .set({ creditsUsed: sql`${outreachRuns.creditsUsed} + 1` })
      .where(eq(outreachRuns.id, r.runId))
  return rows.length
}

/**
 * Sends every email due at the clock's now (`scheduled_at ≤ now`), oldest first, at most
 * `limit` per call. Answers the number of emails that reached an outcome.
 */
export async function sendDue(deps: OutreachDeps, limit = 100): Promise<number> {
  const now = deps.clock.now()
  const due = await deps.db
    .select()
    .from(outreachEmails)
    .where(and(inArray(outreachEmails.status, [...WAITING]), lte(outreachEmails.scheduledAt, now)))
    .orderBy(asc(outreachEmails.scheduledAt))
    .limit(limit)
  let n = 0
  for (const e of due) if (await sendOne(deps, e)) n++
  return n
}

async function setStatus(
  deps: OutreachDeps,
  id: string,
  from: string[],
  set: Partial<EmailRow>,
): Promise<boolean> {
  const r = await deps.db
    .update(outreachEmails)
    .set(set)
    .where(and(eq(outreachEmails.id, id), inArray(outreachEmails.status, from)))
    .returning({ id: outreachEmails.id })
  return r.length > 0
}

/** Sent emails of a mailbox in [from, to), and the time of its last send. */
async function mailboxLoad(deps: OutreachDeps, mailboxId: string, from: Date, to: Date) {
  const [c] = await deps.db
    .select({ n: sql<number>`count(*)::int` })
    .from(outreachEmails)
    .where(
      and(
        eq(outreachEmails.mailboxId, mailboxId),
        inArray(outreachEmails.status, ['sent', 'unknown', 'claimed', 'replied']),
        gte(outreachEmails.claimedAt, from),
        lt(outreachEmails.claimedAt, to),
      ),
    )
  const [last] = await deps.db
    .select({ at: outreachEmails.claimedAt })
    .from(outreachEmails)
    .where(
      and(
        eq(outreachEmails.mailboxId, mailboxId),
        inArray(outreachEmails.status, ['sent', 'unknown', 'claimed', 'replied']),
      ),
    )
    .orderBy(desc(outreachEmails.claimedAt))
    .limit(1)
  return { sentToday: Number(c?.n ?? 0), lastAt: last?.at ?? null }
}

/**
 * One email: window, suppression, mailbox cap and gap, credit + claim, SMTP, outcome.
 * Answers whether it reached an outcome now (false: left for later or taken by another worker).
 */
async function sendOne(deps: OutreachDeps, e: EmailRow): Promise<boolean> {
  const now = deps.clock.now()
  const [c] = await deps.db.select().from(outreachCampaigns).where(eq(outreachCampaigns.id, e.campaignId))
  const [mb] = await deps.db.select().from(outreachMailboxes).where(eq(outreachMailboxes.id, e.mailboxId))
  if (!c || !mb)
    return setStatus(deps, e.id, [...WAITING], { status: 'cancelled', error: 'campaign or mailbox deleted' })
  if (!c.isActive) return setStatus(deps, e.id, [...WAITING], { status: 'expired', error: 'campaign paused' })
  const day = localDay(e.scheduledAt, c.timezone)
  const window = windowOf(day, c.timezone, c.windowStartMin, c.windowEndMin)
  if (now.getTime() >= window.end.getTime())
    return setStatus(deps, e.id, [...WAITING], {
      status: 'expired',
      error: 'the sending window closed; waits for the next run',
    })

  // Suppression is checked just before the send.
  const [sup] = await deps.db
    .select()
    .from(outreachSuppressions)
    .where(
      and(eq(outreachSuppressions.workspaceId, e.workspaceId), eq(outreachSuppressions.email, e.toEmail)),
    )
  if (sup)
    return setStatus(deps, e.id, [...WAITING], { status: 'suppressed', error: `suppressed (${sup.reason})` })

  const dayRange = windowOf(day, c.timezone, 0, 24 * 60)
  const load = await mailboxLoad(deps, mb.id, dayRange.start, dayRange.end)
  if (load.sentToday >= mb.dailyCap)
    return setStatus(deps, e.id, [...WAITING], {
      status: 'expired',
      error: `mailbox daily cap (${mb.dailyCap}) reached; waits for the next run`,
    })
  if (load.lastAt) {
    // Minimum gap between two sends of the mailbox, plus up to 50 % jitter rolled from the
    // email's ID (the same on every poll, so repeated polls do not wear the gap down).
    const next = mailboxSlot({
      lastSendAt: load.lastAt,
      minGapMs: mb.minGapSeconds * 1000,
      jitterMs: mb.minGapSeconds * 500,
      rand: () => Number.parseInt(e.id.slice(0, 8), 16) / 2 ** 32,
    }).getTime()
    if (next > now.getTime()) {
      if (next >= window.end.getTime())
        return setStatus(deps, e.id, [...WAITING], {
          status: 'expired',
          error: 'no room left in the sending window; waits for the next run',
        })
      await setStatus(deps, e.id, [...WAITING], { scheduledAt: new Date(Math.ceil(next)) })
      return false
    }
  }

  // Credit and claim commit together; without a credit nothing is claimed.
  const credit = await ensureAllowance(deps, e.workspaceId, now)
  const attempt = e.attempts + 1
  const chargeKey = sendKey(e.id, attempt)
  let claimed: EmailRow | undefined
  try {
    claimed = await deps.db.transaction(async (tx) => {
      const [row] = await tx
        .update(outreachEmails)
        .set({ status: 'claimed', claimedAt: now, attempts: attempt })
        .where(and(eq(outreachEmails.id, e.id), inArray(outreachEmails.status, [...WAITING])))
        .returning()
      if (!row) return undefined
      const paid = await spendCredit(
        deps,
        { workspaceId: e.workspaceId, day: credit.day, key: chargeKey, reference: `outreach:email:${e.id}` },
        now,
        tx,
      )
      if (!paid) throw new NoCredit()
      return row
    })
  } catch (err) {
    if (!(err instanceof NoCredit)) throw err
    return setStatus(deps, e.id, [...WAITING], {
      status: 'unpaid',
      error: 'no outreach credit left today; waits for the next run',
    })
  }
  if (!claimed) return false

  const message = composeEmail({
    from: { email: mb.fromEmail, name: mb.fromName },
    to: e.toEmail,
    subject: e.subject,
    text: e.bodyText,
    messageId: e.messageId,
    unsubscribeUrl: unsubscribeUrl(deps, e),
    footerAddress: c.footerAddress,
  })
  let outcome: Awaited<ReturnType<OutreachDeps['sender']['send']>>
  try {
    outcome = await deps.sender.send(mb.id, smtpCreds(deps, mb), message)
  } catch (err) {
    // The sender classifies every SMTP failure; anything else (a bug) may have sent it.
    outcome = { ok: false, kind: 'unknown', response: err instanceof Error ? err.message : String(err) }
  }
  const after = deps.clock.now()
  const refund = () =>
    refundCredit(
      deps,
      {
        workspaceId: e.workspaceId,
        day: credit.day,
        key: refundKey(e.id, attempt),
        reference: `outreach:email:${e.id}`,
      },
      after,
    )
  const bumpRun = (sent: number) =>
    deps.db
      .update(outreachRuns)
      .set({
        emailsSent: sql`${outreachRuns.emailsSent} + ${sent}`,
        creditsUsed: sql`${outreachRuns.creditsUsed} + 1`,
      })
      .where(eq(outreachRuns.id, e.runId))

  if (outcome.ok) {
    await setStatus(deps, e.id, ['claimed'], {
      status: 'sent',
      sentAt: after,
      smtpResponse: outcome.response,
      charged: true,
    })
    await bumpRun(1)
    deps.publish?.(e.workspaceId, {
      type: 'outreach_sent',
      campaign_id: e.campaignId,
      email_id: e.id,
      to: e.toEmail,
    })
    return true
  }
  if (outcome.kind === 'unknown') {
    await setStatus(deps, e.id, ['claimed'], {
      status: 'unknown',
      smtpResponse: outcome.response,
      charged: true,
      error: 'no answer after the message was handed over: it may have been delivered; not retried',
    })
    await bumpRun(0)
    return true
  }
  await refund()
  if (outcome.kind === 'permanent') {
    await setStatus(deps, e.id, ['claimed'], {
      status: 'failed',
      smtpResponse: outcome.response,
      error: 'refused (5xx)',
    })
    if (outcome.suppress)
      await deps.db
        .insert(outreachSuppressions)
        .values({
          workspaceId: e.workspaceId,
          email: e.toEmail,
          reason: 'smtp_5xx',
          detail: outcome.response.slice(0, 300),
        })
        .onConflictDoNothing()
    return true
  }
  // 4xx: again later inside the window (1, 2, 4, 8 minutes); past the last attempt or the
  // window, it stays deferred until the window closes and then waits for the next run.
  const retryAt = after.getTime() + 60_000 * 2 ** (attempt - 1)
  const again = attempt < MAX_ATTEMPTS && retryAt < window.end.getTime()
  await setStatus(deps, e.id, ['claimed'], {
    status: 'deferred',
    scheduledAt: new Date(again ? retryAt : window.end.getTime()),
    smtpResponse: outcome.response,
    error: again
      ? `deferred (4xx), attempt ${attempt}`
      : 'deferred (4xx) until the window closes; waits for the next run',
  })
  return !again
}
