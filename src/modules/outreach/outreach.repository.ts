/**
 * Queries of the outreach API (campaigns, mailboxes, runs, emails, replies, suppressions),
 * each scoped to a workspace: a row of another workspace is "not found" (404). Rows are
 * turned into the API's snake_case JSON here (`…Json`).
 */
import { and, asc, desc, eq, gte, ilike, inArray, lt, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { conflict, notFound } from '../../platform/errors.ts'
import { users, workspaceMembers } from '../accounts/index.ts'
import type { MailboxRow } from './outreach.deps.ts'
import type { ReplyRow } from './outreach.replies.ts'
import type { CampaignRow, RunRow } from './outreach.runs.ts'
import { recordMailboxChange } from './outreach.changelog.ts'
import { localDay, windowOf } from './outreach.schedule.core.ts'
import {
  type CampaignOut,
  type Criteria,
  type EmailListOut,
  type MailboxOut,
  minutesToHhmm,
  type ReplyOut,
  type RunListOut,
} from './outreach.schema.ts'
import type { EmailRow } from './outreach.sender.ts'
import {
  outreachCampaigns,
  outreachCreators,
  outreachEmails,
  outreachMailboxes,
  outreachReplies,
  outreachRuns,
  outreachSuppressions,
} from './outreach.tables.ts'

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

/** A mailbox as the API shows it (passwords never leave the server). */
export function mailboxJson(m: MailboxRow): MailboxOut {
  return {
    id: m.id,
    name: m.name,
    from_email: m.fromEmail,
    from_name: m.fromName,
    smtp_host: m.smtpHost,
    smtp_port: m.smtpPort,
    smtp_secure: m.smtpSecure,
    smtp_user: m.smtpUser,
    has_smtp_password: Boolean(m.smtpPasswordSealed),
    imap_host: m.imapHost,
    imap_port: m.imapPort,
    imap_secure: m.imapSecure,
    imap_user: m.imapUser,
    has_imap_password: Boolean(m.imapPasswordSealed),
    daily_cap: m.dailyCap,
    min_gap_seconds: m.minGapSeconds,
    status: m.status === 'error' ? 'error' : 'ok',
    last_error: m.lastError,
    created_at: m.createdAt.toISOString(),
  }
}

/** Today's progress of a campaign (its run of today's local date), or null. */
export interface TodayProgress {
  date: string
  found: number
  emails_found: number
  scheduled: number
  sent: number
  replies: number
  status: string
}

/** A campaign as the API shows it. */
export function campaignJson(c: CampaignRow, today: TodayProgress | null): CampaignOut {
  return {
    id: c.id,
    name: c.name,
    criteria: c.criteria as Criteria,
    recurring: c.recurring,
    max_runs: c.maxRuns,
    run_count: c.runCount,
    is_active: c.isActive,
    mailbox_id: c.mailboxId,
    timezone: c.timezone,
    window_start: minutesToHhmm(c.windowStartMin),
    window_end: minutesToHhmm(c.windowEndMin),
    daily_quota: c.dailyQuota,
    subject: c.subject,
    body: c.body,
    footer_address: c.footerAddress,
    stop_on_auto_reply: c.stopOnAutoReply,
    last_run_at: iso(c.lastRunAt),
    completed_at: iso(c.completedAt),
    created_at: c.createdAt.toISOString(),
    today,
  }
}

/** A run as the API shows it. */
export function runJson(r: RunRow): RunListOut['items'][number] {
  return {
    id: r.id,
    run_number: r.runNumber,
    run_date: r.runDate,
    status: r.status as RunListOut['items'][number]['status'],
    creators_found: r.creatorsFound,
    emails_found: r.emailsFound,
    emails_sent: r.emailsSent,
    credits_used: r.creditsUsed,
    error: r.error,
    started_at: r.startedAt.toISOString(),
    finished_at: iso(r.finishedAt),
  }
}

/** One campaign of the workspace. @throws AppError 404. */
export async function getCampaign(db: Db, workspaceId: string, id: string): Promise<CampaignRow> {
  const [c] = await db
    .select()
    .from(outreachCampaigns)
    .where(and(eq(outreachCampaigns.workspaceId, workspaceId), eq(outreachCampaigns.id, id)))
  if (!c) throw notFound('campaign')
  return c
}

/** The workspace's campaigns, newest first. */
export function listCampaigns(db: Db, workspaceId: string): Promise<CampaignRow[]> {
  return db
    .select()
    .from(outreachCampaigns)
    .where(eq(outreachCampaigns.workspaceId, workspaceId))
    .orderBy(desc(outreachCampaigns.createdAt), desc(outreachCampaigns.id))
}

/** Today's progress of each campaign (today = its own time zone's date at `now`). */
export async function todayProgress(
  db: Db,
  campaigns: CampaignRow[],
  now: Date,
): Promise<Map<string, TodayProgress>> {
  const out = new Map<string, TodayProgress>()
  if (campaigns.length === 0) return out
  const days = new Map(campaigns.map((c) => [c.id, localDay(now, c.timezone)]))
  const runs = await db
    .select()
    .from(outreachRuns)
    .where(
      inArray(
        outreachRuns.campaignId,
        campaigns.map((c) => c.id),
      ),
    )
    .orderBy(desc(outreachRuns.runNumber))
  const todays = runs.filter((r) => days.get(r.campaignId) === r.runDate)
  if (todays.length === 0) return out
  const emailCounts = await db
    .select({ runId: outreachEmails.runId, status: outreachEmails.status, n: sql<number>`count(*)::int` })
    .from(outreachEmails)
    .where(
      inArray(
        outreachEmails.runId,
        todays.map((r) => r.id),
      ),
    )
    .groupBy(outreachEmails.runId, outreachEmails.status)
  const replyCounts = await db
    .select({ emailRun: outreachEmails.runId, n: sql<number>`count(*)::int` })
    .from(outreachReplies)
    .innerJoin(outreachEmails, eq(outreachEmails.id, outreachReplies.emailId))
    .where(
      and(
        inArray(
          outreachEmails.runId,
          todays.map((r) => r.id),
        ),
        eq(sql`coalesce(${outreachReplies.overrideKind}, ${outreachReplies.kind})`, 'reply'),
      ),
    )
    .groupBy(outreachEmails.runId)
  for (const r of todays) {
    const counts = emailCounts.filter((e) => e.runId === r.id)
    const of = (s: string[]) =>
      counts.filter((e) => s.includes(e.status)).reduce((a, e) => a + Number(e.n), 0)
    out.set(r.campaignId, {
      date: r.runDate,
      found: r.creatorsFound,
      emails_found: r.emailsFound,
      scheduled: of(['scheduled', 'deferred', 'claimed']),
      sent: of(['sent', 'unknown', 'replied']),
      replies: Number(replyCounts.find((x) => x.emailRun === r.id)?.n ?? 0),
      status: r.status,
    })
  }
  return out
}

/** Runs of a campaign, newest first. */
export function listRuns(db: Db, campaignId: string): Promise<RunRow[]> {
  return db
    .select()
    .from(outreachRuns)
    .where(eq(outreachRuns.campaignId, campaignId))
    .orderBy(desc(outreachRuns.runNumber))
}

/** The emails of a campaign scheduled on one local day (its time zone), in send order, with their creators. */
export async function listEmails(db: Db, c: CampaignRow, day: string) {
  const { start, end } = windowOf(day, c.timezone, 0, 24 * 60)
  const rows = await db
    .select({ email: outreachEmails, creator: outreachCreators })
    .from(outreachEmails)
    .innerJoin(outreachCreators, eq(outreachCreators.id, outreachEmails.creatorId))
    .where(
      and(
        eq(outreachEmails.campaignId, c.id),
        gte(outreachEmails.scheduledAt, start),
        lt(outreachEmails.scheduledAt, end),
      ),
    )
    .orderBy(asc(outreachEmails.scheduledAt))
  return rows.map(({ email: e, creator: k }) => emailJson(e, k))
}

/** An email as the API shows it. */
export function emailJson(
  e: EmailRow,
  k: typeof outreachCreators.$inferSelect,
): EmailListOut['items'][number] {
  return {
    id: e.id,
    to_email: e.toEmail,
    creator: { handle: k.handle, full_name: k.fullName, platform: k.platform, followers: k.followers },
    subject: e.subject,
    scheduled_at: e.scheduledAt.toISOString(),
    status: e.status as EmailListOut['items'][number]['status'],
    sent_at: iso(e.sentAt),
    smtp_response: e.smtpResponse,
    error: e.error,
    charged: e.charged,
  }
}

/** The workspace's incoming messages (replies, auto-replies, bounces), newest first, with their thread. */
export async function listReplies(
  db: Db,
  workspaceId: string,
  q: { campaignId?: string | undefined; kind?: string | undefined; limit?: number },
) {
  const conds = [eq(outreachReplies.workspaceId, workspaceId)]
  if (q.campaignId) conds.push(eq(outreachReplies.campaignId, q.campaignId))
  if (q.kind) conds.push(eq(sql`coalesce(${outreachReplies.overrideKind}, ${outreachReplies.kind})`, q.kind))
  const rows = await db
    .select({ reply: outreachReplies, email: outreachEmails, campaignName: outreachCampaigns.name })
    .from(outreachReplies)
    .leftJoin(outreachEmails, eq(outreachEmails.id, outreachReplies.emailId))
    .leftJoin(outreachCampaigns, eq(outreachCampaigns.id, outreachReplies.campaignId))
    .where(and(...conds))
    .orderBy(desc(outreachReplies.receivedAt), desc(outreachReplies.id))
    .limit(q.limit ?? 200)
  return rows.map((r) => replyJson(r.reply, r.email, r.campaignName))
}

/** A reply as the API shows it. */
export function replyJson(r: ReplyRow, e: EmailRow | null, campaignName: string | null): ReplyOut {
  return {
    id: r.id,
    campaign_id: r.campaignId,
    campaign_name: campaignName,
    email_id: r.emailId,
    from_email: r.fromEmail,
    subject: r.subject,
    body_text: r.bodyText,
    received_at: r.receivedAt.toISOString(),
    kind: r.kind as 'reply' | 'auto_reply' | 'bounce',
    override_kind: r.overrideKind as 'reply' | 'auto_reply' | 'bounce' | null,
    effective_kind: (r.overrideKind ?? r.kind) as 'reply' | 'auto_reply' | 'bounce',
    evidence: r.evidence as { header: string; value: string; rule: string }[],
    charged: r.charged,
    uncharged_reason: r.unchargedReason,
    thread: e
      ? { to_email: e.toEmail, subject: e.subject, body_text: e.bodyText, sent_at: iso(e.sentAt) }
      : null,
  }
}

/** One reply of the workspace with its thread. @throws AppError 404. */
export async function getReply(db: Db, workspaceId: string, id: string) {
  const [r] = await db
    .select({ reply: outreachReplies, email: outreachEmails, campaignName: outreachCampaigns.name })
    .from(outreachReplies)
    .leftJoin(outreachEmails, eq(outreachEmails.id, outreachReplies.emailId))
    .leftJoin(outreachCampaigns, eq(outreachCampaigns.id, outreachReplies.campaignId))
    .where(and(eq(outreachReplies.workspaceId, workspaceId), eq(outreachReplies.id, id)))
  if (!r) throw notFound('reply')
  return replyJson(r.reply, r.email, r.campaignName)
}

/** One mailbox of the workspace. @throws AppError 404. */
export async function getMailbox(db: Db, workspaceId: string, id: string): Promise<MailboxRow> {
  const [m] = await db
    .select()
    .from(outreachMailboxes)
    .where(and(eq(outreachMailboxes.workspaceId, workspaceId), eq(outreachMailboxes.id, id)))
  if (!m) throw notFound('mailbox')
  return m
}

/** Deletes a mailbox. @throws AppError 404, 409 `in_use` while a campaign uses it. */
export async function deleteMailbox(db: Db, workspaceId: string, id: string): Promise<void> {
  await getMailbox(db, workspaceId, id)
  const [used] = await db
    .select({ id: outreachCampaigns.id, name: outreachCampaigns.name })
    .from(outreachCampaigns)
    .where(eq(outreachCampaigns.mailboxId, id))
    .limit(1)
  if (used) throw conflict(`mailbox is used by campaign "${used.name}"`, [{ path: 'id', message: 'in use' }])
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const [gone] = await tx.delete(outreachMailboxes).where(eq(outreachMailboxes.id, id)).returning()
    if (gone) await recordMailboxChange(tx, 'delete', gone, undefined)
  })
}

/** A mailbox of the workspace locked for update (the change log's "before"). @throws AppError 404. */
export async function lockMailbox(tx: Db, workspaceId: string, id: string): Promise<MailboxRow> {
  const [m] = await tx
    .select()
    .from(outreachMailboxes)
    .where(and(eq(outreachMailboxes.workspaceId, workspaceId), eq(outreachMailboxes.id, id)))
    .for('update')
  if (!m) throw notFound('mailbox')
  return m
}

/** An outreach campaign of the workspace locked for update. @throws AppError 404. */
export async function lockCampaign(tx: Db, workspaceId: string, id: string) {
  const [c] = await tx
    .select()
    .from(outreachCampaigns)
    .where(and(eq(outreachCampaigns.workspaceId, workspaceId), eq(outreachCampaigns.id, id)))
    .for('update')
  if (!c) throw notFound('campaign')
  return c
}

/** The suppression list, newest first, optionally filtered by a substring of the address. */
export function listSuppressions(db: Db, workspaceId: string, q?: string) {
  const conds = [eq(outreachSuppressions.workspaceId, workspaceId)]
  if (q) conds.push(ilike(outreachSuppressions.email, `%${q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`))
  return db
    .select()
    .from(outreachSuppressions)
    .where(and(...conds))
    .orderBy(desc(outreachSuppressions.createdAt), asc(outreachSuppressions.email))
    .limit(1_000)
}

/**
 * Adds addresses to the suppression list (lower-cased; already listed ones skipped).
 * Answers how many were added. Emails still waiting to those addresses become `suppressed`.
 */
export async function addSuppressions(
  db: Db,
  workspaceId: string,
  emails: string[],
  reason: string,
  detail?: string | null,
): Promise<number> {
  const list = [...new Set(emails.map((e) => e.trim().toLowerCase()))]
  if (list.length === 0) return 0
  let added = 0
  for (let i = 0; i < list.length; i += 500) {
    const part = list.slice(i, i + 500)
    const rows = await db
      .insert(outreachSuppressions)
      .values(part.map((email) => ({ workspaceId, email, reason, detail: detail ?? null })))
      .onConflictDoNothing()
      .returning({ email: outreachSuppressions.email })
    added += rows.length
    await db
      .update(outreachEmails)
      .set({ status: 'suppressed', error: `suppressed (${reason})` })
      .where(
        and(
          eq(outreachEmails.workspaceId, workspaceId),
          inArray(outreachEmails.toEmail, part),
          inArray(outreachEmails.status, ['scheduled', 'deferred']),
        ),
      )
  }
  return added
}

/** Removes an address from the suppression list. @throws AppError 404 when it is not listed. */
export async function removeSuppression(db: Db, workspaceId: string, email: string): Promise<void> {
  const rows = await db
    .delete(outreachSuppressions)
    .where(
      and(
        eq(outreachSuppressions.workspaceId, workspaceId),
        eq(outreachSuppressions.email, email.toLowerCase()),
      ),
    )
    .returning({ email: outreachSuppressions.email })
  if (rows.length === 0) throw notFound('suppressed address')
}

/** Email addresses of the workspace's owners (who get "campaign completed" and reply notices). */
export async function ownerEmails(db: Db, workspaceId: string): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'owner')))
  return rows.map((r) => r.email)
}
