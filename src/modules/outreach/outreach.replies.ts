/**
 * Incoming mail (README "Replies"): every message read from a mailbox's INBOX is parsed
 * (postal-mime) and classified (`outreach.classify.core.ts`) against the Message-IDs of our
 * emails it references. Recorded once per (workspace, Message-ID), so a message read twice
 * (a reconnect's catch-up, or a second mailbox on the same IMAP account) changes nothing the second time.
 *
 * - reply: the creator is stopped (every email to that address still waiting is cancelled),
 *   one credit is charged (`outreach:reply:<reply>`; with no credit left the reply is kept,
 *   `charged=false`, `uncharged_reason='no_credit'`), the owners are told;
 * - auto-reply: recorded, never charged; stops the creator only when the campaign says so;
 * - bounce: the bounced address is suppressed; not charged;
 * - unrelated mail is not recorded.
 *
 * An override by the owner re-applies the rules with the new kind (a reply turned into an
 * auto-reply gives its credit back; an auto-reply turned into a reply is charged if it can be).
 */
import { and, eq, inArray } from 'drizzle-orm'
import { notFound } from '../../platform/errors.ts'
import { candidateMessageIds, classifyIncoming } from './outreach.classify.core.ts'
import { replyKey, replyRefundKey } from './outreach.credits.core.ts'
import { ensureAllowance, refundCredit, spendCredit } from './outreach.credits.ts'
import type { MailboxRow, OutreachDeps } from './outreach.deps.ts'
import { parseIncoming } from './outreach.incoming.ts'
import {
  outreachCampaigns,
  outreachEmails,
  outreachReplies,
  outreachSuppressions,
} from './outreach.tables.ts'

/** A reply row. */
export type ReplyRow = typeof outreachReplies.$inferSelect
/** Kinds an incoming message is recorded as. */
export type ReplyKind = 'reply' | 'auto_reply' | 'bounce'

/** Email statuses a stop cancels (not yet handed to SMTP). */
const STOPPABLE = ['scheduled', 'deferred', 'unpaid', 'expired']

/**
 * Reads one raw RFC 5322 message of `mailbox` (at `uid` of `uidValidity`), classifies it and
 * applies the rules above. Answers the recorded row, or undefined for unrelated mail and
 * for a message already recorded.
 */
export async function handleIncoming(
  deps: OutreachDeps,
  mailbox: MailboxRow,
  raw: Buffer | string,
  pos: { uid: number; uidValidity: number },
): Promise<ReplyRow | undefined> {
  const parsed = await parseIncoming(raw)
  // Candidates: In-Reply-To / References, and the headers a bounce returns.
  const refs = candidateMessageIds(parsed)
  const ours = refs.length
    ? await deps.db
        .select()
        .from(outreachEmails)
        .where(
          and(eq(outreachEmails.workspaceId, mailbox.workspaceId), inArray(outreachEmails.messageId, refs)),
        )
    : []
  const verdict = classifyIncoming(parsed, new Set(ours.map((o) => o.messageId)), {
    ...(ours[0] && { sentSubject: ours[0].subject }),
  })
  if (verdict.kind === 'unrelated') return undefined
  let email = ours.find((o) => verdict.matchedMessageIds.includes(o.messageId)) ?? ours[0]
  if (!email && verdict.kind === 'bounce' && verdict.bouncedRecipient) {
    const [byAddress] = await deps.db
      .select()
      .from(outreachEmails)
      .where(
        and(
          eq(outreachEmails.workspaceId, mailbox.workspaceId),
          eq(outreachEmails.toEmail, verdict.bouncedRecipient.toLowerCase()),
        ),
      )
    email = byAddress
  }
  // A reply or auto-reply must be to one of our emails; a bounce may name only the address.
  if (!email && verdict.kind !== 'bounce') return undefined
  const now = deps.clock.now()
  const messageId = parsed.messageId?.trim() || `uid:${pos.uidValidity}:${pos.uid}`
  const [row] = await deps.db
    .insert(outreachReplies)
    .values({
      workspaceId: mailbox.workspaceId,
      mailboxId: mailbox.id,
      emailId: email?.id ?? null,
      campaignId: email?.campaignId ?? null,
      messageId,
      uid: pos.uid,
      fromEmail: parsed.from,
      subject: parsed.subject.slice(0, 500),
      bodyText: parsed.text.slice(0, 20_000),
      receivedAt: now,
      kind: verdict.kind,
      evidence: verdict.evidence,
    })
    .onConflictDoNothing()
    .returning()
  if (!row) return undefined
  return apply(deps, row, verdict.kind, verdict.suppress === false ? undefined : verdict.bouncedRecipient)
}

/** Applies the rules of `kind` to a recorded message (first time, or after an override). */
async function apply(
  deps: OutreachDeps,
  row: ReplyRow,
  kind: ReplyKind,
  bouncedRecipient?: string | undefined,
): Promise<ReplyRow> {
  const now = deps.clock.now()
  const email = row.emailId
    ? (await deps.db.select().from(outreachEmails).where(eq(outreachEmails.id, row.emailId)))[0]
    : undefined
  const campaign = email
    ? (await deps.db.select().from(outreachCampaigns).where(eq(outreachCampaigns.id, email.campaignId)))[0]
    : undefined

  if (kind === 'bounce') {
    const address = (bouncedRecipient ?? email?.toEmail ?? '').toLowerCase()
    if (address)
      await deps.db
        .insert(outreachSuppressions)
        .values({
          workspaceId: row.workspaceId,
          email: address,
          reason: 'bounce',
          detail: row.subject.slice(0, 300),
        })
        .onConflictDoNothing()
    if (email)
      await deps.db.update(outreachEmails).set({ error: 'bounced' }).where(eq(outreachEmails.id, email.id))
    return uncharge(deps, row, 'bounce')
  }
  const stop = kind === 'reply' || (kind === 'auto_reply' && campaign?.stopOnAutoReply)
  if (stop && email) {
    await deps.db
      .update(outreachEmails)
      .set({ status: 'cancelled', error: 'the creator replied' })
      .where(
        and(
          eq(outreachEmails.workspaceId, row.workspaceId),
          eq(outreachEmails.toEmail, email.toEmail),
          inArray(outreachEmails.status, STOPPABLE),
        ),
      )
    if (kind === 'reply')
      await deps.db
        .update(outreachEmails)
        .set({ status: 'replied' })
        .where(and(eq(outreachEmails.id, email.id), inArray(outreachEmails.status, ['sent', 'unknown'])))
  }
  if (kind === 'auto_reply') return uncharge(deps, row, 'auto_reply')

  // A real reply: one credit if the day has one.
  if (row.charged) return row
  const credit = await ensureAllowance(deps, row.workspaceId, now)
  const paid = await spendCredit(
    deps,
    {
      workspaceId: row.workspaceId,
      day: credit.day,
      key: replyKey(row.id),
      reference: `outreach:reply:${row.id}`,
    },
    now,
  )
  const [updated] = await deps.db
    .update(outreachReplies)
    .set({ charged: paid, chargedDay: paid ? credit.day : null, unchargedReason: paid ? null : 'no_credit' })
    .where(eq(outreachReplies.id, row.id))
    .returning()
  const from = row.fromEmail || email?.toEmail || 'a creator'
  await deps.notify(
    row.workspaceId,
    undefined,
    `New reply from ${from}${campaign ? ` (${campaign.name})` : ''}`,
    [
      `${from} replied to your outreach email${campaign ? ` of campaign "${campaign.name}"` : ''}.`,
      paid
        ? 'One outreach credit was charged.'
        : 'No outreach credit was left today: the reply was not charged.',
      '',
      `Subject: ${row.subject}`,
      '',
      row.bodyText.slice(0, 2_000),
      '',
      `${deps.publicUrl}/outreach/replies`,
    ].join('\n'),
  )
  deps.publish?.(row.workspaceId, { type: 'outreach_reply', reply_id: row.id, charged: paid })
  return updated ?? row
}

/** Marks a message not charged (giving back a credit it had been charged). */
async function uncharge(deps: OutreachDeps, row: ReplyRow, reason: string): Promise<ReplyRow> {
  if (row.charged && row.chargedDay) {
    await refundCredit(
      deps,
      {
        workspaceId: row.workspaceId,
        day: row.chargedDay,
        key: `${replyRefundKey(row.id)}:${deps.clock.now().getTime()}`,
        reference: `outreach:reply:${row.id}`,
      },
      deps.clock.now(),
    )
  }
  const [updated] = await deps.db
    .update(outreachReplies)
    .set({ charged: false, unchargedReason: reason })
    .where(eq(outreachReplies.id, row.id))
    .returning()
  return updated ?? row
}

/**
 * The owner's correction of a message's kind ("one-click override"): recorded in
 * `override_kind`, then the rules of the new kind apply.
 * @throws AppError 404 when the message is not the workspace's.
 */
export async function overrideKind(
  deps: OutreachDeps,
  workspaceId: string,
  replyId: string,
  kind: ReplyKind,
): Promise<ReplyRow> {
  const [row] = await deps.db
    .update(outreachReplies)
    .set({ overrideKind: kind })
    .where(and(eq(outreachReplies.workspaceId, workspaceId), eq(outreachReplies.id, replyId)))
    .returning()
  if (!row) throw notFound('reply')
  return apply(deps, row, kind)
}
