/**
 * Drizzle tables of the outreach module (recurring creator campaigns, `README.md` beside
 * it): per-workspace settings (plan, credit time zone), mailboxes with sealed credentials,
 * campaigns, the workspace's creators (its contacted set), daily runs, Clay enrichment
 * submissions, emails (at most one per creator per workspace), incoming mail with its
 * classification, and the suppression list. Credits live in the billing ledger.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, ms, pk, updatedAt } from '../../platform/db/columns.ts'
import { workspaceRef } from '../accounts/index.ts'

/** A workspace's outreach plan (daily credit limit) and the time zone its credit days use. */
export const outreachSettings = pgTable('outreach_settings', {
  workspaceId: workspaceRef().primaryKey(),
  /** Plan name from `OUTREACH_PLANS` (e.g. `starter`); its limit applies from the next grant. */
  plan: text('plan').notNull(),
  /** IANA time zone of the credit days (midnight resets). */
  timezone: text('timezone').notNull().default('UTC'),
  updatedAt: updatedAt(),
})

/** A sending mailbox: SMTP out, IMAP in. Passwords are sealed (AES-GCM secret box). */
export const outreachMailboxes = pgTable(
  'outreach_mailboxes',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    fromEmail: text('from_email').notNull(),
    fromName: text('from_name').notNull().default(''),
    smtpHost: text('smtp_host').notNull(),
    smtpPort: integer('smtp_port').notNull(),
    /** Implicit TLS (465); false = plain with STARTTLS when offered. */
    smtpSecure: boolean('smtp_secure').notNull().default(false),
    smtpUser: text('smtp_user').notNull().default(''),
    smtpPasswordSealed: text('smtp_password_sealed'),
    imapHost: text('imap_host'),
    imapPort: integer('imap_port'),
    imapSecure: boolean('imap_secure').notNull().default(true),
    imapUser: text('imap_user'),
    imapPasswordSealed: text('imap_password_sealed'),
    /** Emails per local day of the mailbox's sends (campaign time zone), across campaigns. */
    dailyCap: integer('daily_cap').notNull().default(200),
    /** Minimum seconds between two sends from this mailbox (jitter is added on top). */
    minGapSeconds: integer('min_gap_seconds').notNull().default(60),
    /** IMAP catch-up position: UIDVALIDITY and the highest UID already read from INBOX. */
    imapUidValidity: bigint('imap_uid_validity', { mode: 'number' }),
    imapLastUid: bigint('imap_last_uid', { mode: 'number' }).notNull().default(0),
    /** ok | error (with `last_error`), from the last connection or send. */
    status: text('status').notNull().default('ok'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('outreach_mailboxes_workspace').on(t.workspaceId)],
)

/**
 * A campaign: who to find (criteria), how often (daily for `max_runs`, or once), when to
 * send (window in its time zone) and what (template). `run_count` counts started runs.
 */
export const outreachCampaigns = pgTable(
  'outreach_campaigns',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    name: text('name').notNull(),
    /** `{platform, keywords[], min_followers, max_followers, location, language}` (schema: outreach.schema.ts). */
    criteria: jsonb('criteria').$type<Record<string, unknown>>().notNull(),
    recurring: boolean('recurring').notNull().default(true),
    maxRuns: integer('max_runs').notNull().default(30),
    runCount: integer('run_count').notNull().default(0),
    isActive: boolean('is_active').notNull().default(true),
    mailboxId: uuid('mailbox_id')
      .notNull()
      .references(() => outreachMailboxes.id),
    timezone: text('timezone').notNull().default('UTC'),
    /** Sending window in minutes after local midnight, [start, end). Default 9:00–17:00. */
    windowStartMin: integer('window_start_min').notNull().default(540),
    windowEndMin: integer('window_end_min').notNull().default(1020),
    /** Creators to find per run (each costs a credit only when emailed). */
    dailyQuota: integer('daily_quota').notNull().default(50),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    /** The sender's physical postal address, in every email's footer. */
    footerAddress: text('footer_address').notNull(),
    /** Whether an auto-reply (out of office…) also stops further emails to that creator. */
    stopOnAutoReply: boolean('stop_on_auto_reply').notNull().default(false),
    lastRunAt: ms('last_run_at'),
    completedAt: ms('completed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('outreach_campaigns_workspace').on(t.workspaceId, t.createdAt),
    index('outreach_campaigns_active').on(t.isActive),
  ],
)

/**
 * A creator this workspace has found (its contacted set): unique per (workspace, platform,
 * external ID), so no two campaigns of a workspace ever contact the same creator.
 */
export const outreachCreators = pgTable(
  'outreach_creators',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    platform: text('platform').notNull(),
    /** Influencers Club `user_id`. */
    externalId: text('external_id').notNull(),
    handle: text('handle').notNull(),
    fullName: text('full_name').notNull().default(''),
    followers: bigint('followers', { mode: 'number' }),
    profile: jsonb('profile').$type<Record<string, unknown>>().notNull(),
    /** Lower-cased email found by enrichment (null until then or when none was found). */
    email: text('email'),
    /** pending (submitted to Clay) | found | not_found | expired (no answer in time) */
    emailStatus: text('email_status').notNull().default('pending'),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => outreachCampaigns.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('outreach_creators_workspace_external').on(t.workspaceId, t.platform, t.externalId),
    index('outreach_creators_run').on(t.runId),
    index('outreach_creators_campaign').on(t.campaignId, t.emailStatus),
    index('outreach_creators_email').on(t.workspaceId, t.email),
  ],
)

/** One daily iteration of a campaign; unique per (campaign, local date) and (campaign, number). */
export const outreachRuns = pgTable(
  'outreach_runs',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => outreachCampaigns.id, { onDelete: 'cascade' }),
    runNumber: integer('run_number').notNull(),
    /** Local date `YYYY-MM-DD` in the campaign's time zone. */
    runDate: text('run_date').notNull(),
    /** discovering | enriching | scheduled | completed | failed */
    status: text('status').notNull().default('discovering'),
    creatorsFound: integer('creators_found').notNull().default(0),
    emailsFound: integer('emails_found').notNull().default(0),
    emailsSent: integer('emails_sent').notNull().default(0),
    creditsUsed: integer('credits_used').notNull().default(0),
    error: text('error'),
    startedAt: ms('started_at').notNull(),
    finishedAt: ms('finished_at'),
  },
  (t) => [
    unique('outreach_runs_campaign_date').on(t.campaignId, t.runDate),
    unique('outreach_runs_campaign_number').on(t.campaignId, t.runNumber),
    index('outreach_runs_workspace').on(t.workspaceId, t.startedAt),
  ],
)

/**
 * One row sent to Clay's table webhook (counts towards the source's lifetime cap); the
 * correlation ID is the row's `id`, echoed by the callback.
 */
export const outreachEnrichments = pgTable(
  'outreach_enrichments',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    creatorId: uuid('creator_id')
      .notNull()
      .references(() => outreachCreators.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull(),
    submittedAt: ms('submitted_at').notNull(),
    answeredAt: ms('answered_at'),
    /** The first callback's body (later duplicates are ignored). */
    result: jsonb('result').$type<Record<string, unknown>>(),
  },
  (t) => [index('outreach_enrichments_run').on(t.runId)],
)

/**
 * An email to one creator. At most one per (workspace, creator): a creator is contacted
 * once. Status: scheduled → claimed → sent | unknown (died between claim and the server's
 * answer; never retried automatically) | failed; or deferred (4xx, retried in the window),
 * suppressed, unpaid (no credit: returned to the pool for the next run), cancelled.
 */
export const outreachEmails = pgTable(
  'outreach_emails',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => outreachCampaigns.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull(),
    creatorId: uuid('creator_id')
      .notNull()
      .references(() => outreachCreators.id, { onDelete: 'cascade' }),
    mailboxId: uuid('mailbox_id').notNull(),
    toEmail: text('to_email').notNull(),
    subject: text('subject').notNull(),
    bodyText: text('body_text').notNull(),
    /** `<…@host>`, generated and stored before the SMTP transaction. */
    messageId: text('message_id').notNull().unique(),
    scheduledAt: ms('scheduled_at').notNull(),
    status: text('status').notNull().default('scheduled'),
    attempts: integer('attempts').notNull().default(0),
    claimedAt: ms('claimed_at'),
    sentAt: ms('sent_at'),
    /** The SMTP server's last answer (code and text). */
    smtpResponse: text('smtp_response'),
    error: text('error'),
    /** Whether the send's credit was charged (ledger key `outreach:send:<id>`). */
    charged: boolean('charged').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique('outreach_emails_workspace_creator').on(t.workspaceId, t.creatorId),
    index('outreach_emails_due').on(t.status, t.scheduledAt),
    index('outreach_emails_campaign').on(t.campaignId, t.scheduledAt),
    index('outreach_emails_creator').on(t.creatorId),
    index('outreach_emails_mailbox').on(t.mailboxId, t.claimedAt),
    index('outreach_emails_run').on(t.runId, t.status),
  ],
)

/**
 * A message read from a mailbox's INBOX that relates to one of our emails (or a bounce of
 * one), recorded once per workspace and Message-ID: its classification, the headers that decided it, an optional override, and whether
 * a credit was charged (a reply with no credit left is kept, `charged=false`).
 */
export const outreachReplies = pgTable(
  'outreach_replies',
  {
    id: pk(),
    workspaceId: workspaceRef(),
    mailboxId: uuid('mailbox_id').notNull(),
    emailId: uuid('email_id').references(() => outreachEmails.id, { onDelete: 'set null' }),
    campaignId: uuid('campaign_id'),
    /** The incoming message's own Message-ID (or `uid:<validity>:<uid>` when it has none). */
    messageId: text('message_id').notNull(),
    uid: bigint('uid', { mode: 'number' }),
    fromEmail: text('from_email').notNull().default(''),
    subject: text('subject').notNull().default(''),
    bodyText: text('body_text').notNull().default(''),
    receivedAt: ms('received_at').notNull(),
    /** reply | auto_reply | bounce — as classified. */
    kind: text('kind').notNull(),
    /** `[{header, value, rule}]`: what decided the kind. */
    evidence: jsonb('evidence').$type<unknown[]>().notNull(),
    /** The owner's correction of `kind` (null = none). */
    overrideKind: text('override_kind'),
    charged: boolean('charged').notNull().default(false),
    /** The credit day (`YYYY-MM-DD`) whose account the reply's credit came from (a refund returns it there). */
    chargedDay: text('charged_day'),
    /** Why a reply was not charged (`no_credit`, `auto_reply`, …). */
    unchargedReason: text('uncharged_reason'),
    createdAt: createdAt(),
  },
  (t) => [
    // Per workspace, not per mailbox: two mailboxes reading one IMAP account record a message once.
    unique('outreach_replies_workspace_message').on(t.workspaceId, t.messageId),
    index('outreach_replies_workspace').on(t.workspaceId, t.receivedAt),
  ],
)

/** Addresses never to email again in a workspace (lower-cased). */
export const outreachSuppressions = pgTable(
  'outreach_suppressions',
  {
    workspaceId: workspaceRef(),
    email: text('email').notNull(),
    /** unsubscribe | bounce | manual | import | smtp_5xx */
    reason: text('reason').notNull(),
    detail: text('detail'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.email] })],
)
