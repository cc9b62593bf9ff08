/**
 * zod schemas of the outreach API (`/api/v1/outreach`, contract in the module README):
 * every body, query, path parameter and response. All objects are strict (an unknown key is
 * refused — in a response too, so a mapper that leaks a column such as a sealed password
 * fails loudly instead of sending it). JSON is snake_case; timestamps are ISO 8601 UTC
 * strings; windows are local `HH:MM` (the tables keep minutes after midnight, see
 * {@link hhmmToMinutes}); follower counts are integers; credits are whole credits.
 *
 * Cross-field rules report a field-level path (`criteria.max_followers`, `window_end`,
 * `max_runs`); they run even when another field failed, so one answer names every problem.
 * Rules that need the stored row (a PATCH that sets only `window_end`) are exported as
 * functions ({@link windowIssue}, {@link maxRunsIssue}) for the route to call on the merged
 * values.
 */
import { IANAZone } from 'luxon'
import { z } from 'zod'
import { IC_PLATFORMS } from './influencers-club.contract.ts'
import { templateErrors } from './outreach.template.core.ts'

// ---------------------------------------------------------------------------------------
// Shared pieces

/** `HH:MM`, 00:00–23:59, or 24:00 (the end of the day, for a window's end). */
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/

/**
 * `'09:00'` → 540 minutes after midnight (`'24:00'` → 1440).
 * @throws RangeError for text that is not `HH:MM` in 00:00..24:00.
 */
export function hhmmToMinutes(hhmm: string): number {
  if (!HHMM.test(hhmm)) throw new RangeError(`not a time HH:MM: ${JSON.stringify(hhmm)}`)
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

/**
 * 540 → `'09:00'` (1440 → `'24:00'`).
 * @throws RangeError for anything but an integer in 0..1440.
 */
export function minutesToHhmm(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 1440)
    throw new RangeError(`minutes must be an integer in 0..1440, got ${minutes}`)
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** Shortest sending window, minutes. */
export const MIN_WINDOW_MINUTES = 30

/**
 * Why a window is invalid (start before end, at least {@link MIN_WINDOW_MINUTES} long), or
 * null. For a PATCH, call it with the stored value of the bound the body leaves out.
 */
export function windowIssue(startMin: number, endMin: number): string | null {
  if (endMin <= startMin) return 'must be after window_start'
  if (endMin - startMin < MIN_WINDOW_MINUTES)
    return `must be at least ${MIN_WINDOW_MINUTES} minutes after window_start`
  return null
}

/** Runs of a campaign when `max_runs` is not given: 30 daily runs, or 1 for a one-time campaign. */
export const DEFAULT_MAX_RUNS = 30

/** Why `max_runs` does not fit `recurring` (a one-time campaign runs once), or null. */
export function maxRunsIssue(recurring: boolean, maxRuns: number | undefined): string | null {
  if (!recurring && maxRuns !== undefined && maxRuns !== 1)
    return 'a one-time campaign (recurring: false) runs once'
  return null
}

/** The `max_runs` to store: as given, else {@link DEFAULT_MAX_RUNS}; always 1 when one-time. */
export function resolveMaxRuns(recurring: boolean, maxRuns: number | undefined): number {
  return recurring ? (maxRuns ?? DEFAULT_MAX_RUNS) : 1
}

/**
 * Whether `tz` is an IANA zone name luxon (the runtime's ICU) knows: `Europe/Berlin`, `UTC`.
 * Fixed offsets (`+01:00`, `UTC+1`), which luxon also accepts, are refused: a campaign's
 * days follow a place's daylight saving rules.
 */
export function isIanaZoneName(tz: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz) && IANAZone.isValidZone(tz)
}

const timezone = z
  .string()
  .max(64)
  .refine(isIanaZoneName, 'must be an IANA time zone such as Europe/Berlin or UTC')
  .describe('IANA time zone')

const hhmm = z.string().regex(HHMM, 'must be a time HH:MM (00:00–24:00)')

/** A calendar date `YYYY-MM-DD` that exists. */
const isoDate = z.iso.date('must be a date YYYY-MM-DD')

const ts = z.string().describe('ISO 8601 timestamp (UTC)')
const id = z.uuid()

/** An email address, trimmed and lower-cased (the suppression list and dedup compare them so). */
const emailLower = z.string().trim().toLowerCase().max(254).regex(z.regexes.email, 'must be an email address')

/** An email address as written (a sender's From). */
const email = z.string().trim().max(254).regex(z.regexes.email, 'must be an email address')

/** A host name or IP address (SMTP/IMAP servers). Whether it may be private is not checked here. */
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .refine(
    // An empty value is min(1)'s to report.
    (h) => h === '' || z.regexes.hostname.test(h) || z.regexes.ipv4.test(h) || z.regexes.ipv6.test(h),
    'must be a host name or an IP address',
  )

const port = z.int().min(1).max(65_535)

/** One line of text (no line breaks: it may become a header). */
const line = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\r\n]*$/, 'must be a single line')

// ---------------------------------------------------------------------------------------
// Settings & credits

/** A plan as the API shows it. */
export const planOut = z.strictObject({
  name: z.string(),
  daily_limit: z.int().describe('credits per local day'),
})

/** `GET /outreach/settings` and the answer to PUT. */
export const settingsOut = z.strictObject({
  plan: z.string(),
  plans: z.array(planOut),
  timezone: z.string().describe('IANA zone of the credit days (midnight resets)'),
})
export type SettingsOut = z.infer<typeof settingsOut>

/** `PUT /outreach/settings`. The plan must be one of `plans` (checked by the route: 422). */
export const settingsPut = z.strictObject({
  plan: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a plan name')
    .optional(),
  timezone: timezone.optional(),
})
export type SettingsPut = z.infer<typeof settingsPut>

/** `GET /outreach/credits`: today's credits in the workspace's zone. */
export const creditsOut = z.strictObject({
  date: z.string().describe('local date YYYY-MM-DD'),
  timezone: z.string(),
  limit: z.int().describe("today's allowance"),
  used: z.int().describe('sends + charged replies'),
  left: z.int(),
  sent: z.int(),
  replies: z.int().describe('replies charged'),
  replies_uncharged: z.int().describe('real replies received with no credit left'),
  resets_at: ts.describe('next local midnight'),
})
export type CreditsOut = z.infer<typeof creditsOut>

/** Query of `GET /outreach/credits/history`. */
export const creditsHistoryQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(14).describe('local days back, today included (1–90)'),
})
export type CreditsHistoryQuery = z.infer<typeof creditsHistoryQuery>

/** `GET /outreach/credits/history`, newest day first. */
export const creditsHistoryOut = z.strictObject({
  items: z.array(
    z.strictObject({
      date: z.string(),
      limit: z.int(),
      used: z.int(),
      sent: z.int(),
      replies: z.int(),
      replies_uncharged: z.int(),
    }),
  ),
})
export type CreditsHistoryOut = z.infer<typeof creditsHistoryOut>

// ---------------------------------------------------------------------------------------
// Mailboxes

const mailboxName = z.string().trim().min(1).max(200)
const password = z.string().max(1_000).describe('write-only; omitted = unchanged, "" clears')
const dailyCap = z
  .int()
  .min(1)
  .max(10_000)
  .describe('emails per local day from this mailbox, across campaigns')
const minGapSeconds = z
  .int()
  .min(0)
  .max(86_400)
  .describe('seconds between two sends from this mailbox (jitter is added on top)')

/** Fields of a mailbox body (create: as required below; patch: all optional). */
const mailboxFields = {
  name: mailboxName,
  from_email: email,
  from_name: line(200),
  smtp_host: host,
  smtp_port: port,
  smtp_secure: z.boolean().describe('implicit TLS (port 465); false = STARTTLS when offered'),
  smtp_user: z.string().max(500),
  smtp_password: password,
  imap_host: host,
  imap_port: port,
  imap_secure: z.boolean(),
  imap_user: z.string().max(500),
  imap_password: password,
  daily_cap: dailyCap,
  min_gap_seconds: minGapSeconds,
}

/** The SMTP TLS mode when a body leaves `smtp_secure` out: implicit TLS on 465 only. */
export const smtpSecureDefault = (smtpPort: number): boolean => smtpPort === 465

/** `POST /outreach/mailboxes`. IMAP is optional (no reply tracking without it). */
export const mailboxCreate = z
  .strictObject({
    name: mailboxFields.name,
    from_email: mailboxFields.from_email,
    from_name: mailboxFields.from_name.optional(),
    smtp_host: mailboxFields.smtp_host,
    smtp_port: mailboxFields.smtp_port,
    smtp_secure: mailboxFields.smtp_secure.optional().describe('default: true on port 465, else false'),
    smtp_user: mailboxFields.smtp_user.optional(),
    smtp_password: mailboxFields.smtp_password.optional(),
    imap_host: mailboxFields.imap_host.optional(),
    imap_port: mailboxFields.imap_port.optional().describe('default 993 (TLS) or 143'),
    imap_secure: mailboxFields.imap_secure.optional(),
    imap_user: mailboxFields.imap_user.optional(),
    imap_password: mailboxFields.imap_password.optional(),
    daily_cap: mailboxFields.daily_cap.default(200),
    min_gap_seconds: mailboxFields.min_gap_seconds.default(60),
  })
  .check(
    z.refine((m) => m.imap_host !== undefined, {
      path: ['imap_host'],
      message: 'required when any other imap_ field is given',
      when: (p) => {
        const v = p.value as Record<string, unknown>
        return (
          typeof v === 'object' &&
          v !== null &&
          v.imap_host === undefined &&
          ['imap_port', 'imap_secure', 'imap_user', 'imap_password'].some((k) => v[k] !== undefined)
        )
      },
    }),
  )
export type MailboxCreate = z.infer<typeof mailboxCreate>

/**
 * `PATCH /outreach/mailboxes/:id`: any subset. A password left out is unchanged, `""`
 * clears it; `imap_host: null` turns reply tracking off.
 */
export const mailboxPatch = z.strictObject({
  name: mailboxFields.name.optional(),
  from_email: mailboxFields.from_email.optional(),
  from_name: mailboxFields.from_name.optional(),
  smtp_host: mailboxFields.smtp_host.optional(),
  smtp_port: mailboxFields.smtp_port.optional(),
  smtp_secure: mailboxFields.smtp_secure.optional(),
  smtp_user: mailboxFields.smtp_user.optional(),
  smtp_password: mailboxFields.smtp_password.optional(),
  imap_host: mailboxFields.imap_host.nullable().optional(),
  imap_port: mailboxFields.imap_port.nullable().optional(),
  imap_secure: mailboxFields.imap_secure.optional(),
  imap_user: mailboxFields.imap_user.nullable().optional(),
  imap_password: mailboxFields.imap_password.optional(),
  daily_cap: mailboxFields.daily_cap.optional(),
  min_gap_seconds: mailboxFields.min_gap_seconds.optional(),
})
export type MailboxPatch = z.infer<typeof mailboxPatch>

/** A mailbox as the API shows it: passwords never, only whether one is set. */
export const mailboxOut = z.strictObject({
  id,
  name: z.string(),
  from_email: z.string(),
  from_name: z.string(),
  smtp_host: z.string(),
  smtp_port: z.int(),
  smtp_secure: z.boolean(),
  smtp_user: z.string(),
  has_smtp_password: z.boolean(),
  imap_host: z.string().nullable(),
  imap_port: z.int().nullable(),
  imap_secure: z.boolean(),
  imap_user: z.string().nullable(),
  has_imap_password: z.boolean(),
  daily_cap: z.int(),
  min_gap_seconds: z.int(),
  status: z.enum(['ok', 'error']),
  last_error: z.string().nullable(),
  created_at: ts,
})
export type MailboxOut = z.infer<typeof mailboxOut>

/** `GET /outreach/mailboxes`. */
export const mailboxListOut = z.strictObject({ items: z.array(mailboxOut) })

const checkOut = z.strictObject({ ok: z.boolean(), message: z.string() })
/** `POST /outreach/mailboxes/:id/test`: SMTP always, IMAP when configured. */
export const mailboxTestOut = z.strictObject({ smtp: checkOut, imap: checkOut.nullable() })
export type MailboxTestOut = z.infer<typeof mailboxTestOut>

// ---------------------------------------------------------------------------------------
// Campaigns

/** Platforms a campaign can search (Influencers Club's). */
export const PLATFORMS = IC_PLATFORMS
export type Platform = (typeof PLATFORMS)[number]

/** The ISO 639-1 language codes (two letters; the withdrawn `bh` excluded). */
export const ISO_639_1: ReadonlySet<string> = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv ' +
    'dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ' +
    'ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv ' +
    'mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm ' +
    'rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts ' +
    'tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
)

const followers = z.int().min(0).max(Number.MAX_SAFE_INTEGER)

/** Who a campaign looks for. `min_followers ≤ max_followers` when both are given. */
export const criteriaSchema = z
  .strictObject({
    platform: z.enum(PLATFORMS),
    keywords: z
      .array(z.string().trim().min(1, 'must not be empty').max(100))
      .min(1, 'give at least one keyword')
      .max(20, 'at most 20 keywords')
      .describe('niche keywords'),
    min_followers: followers.optional(),
    max_followers: followers.optional(),
    location: z
      .string()
      .trim()
      .min(2)
      .max(100)
      .describe('ISO 3166-1 alpha-2 country code (e.g. US) or a country name')
      .optional(),
    language: z
      .string()
      .trim()
      .toLowerCase()
      .refine((l) => ISO_639_1.has(l), 'must be an ISO 639-1 language code such as en')
      .describe('ISO 639-1 code, e.g. en')
      .optional(),
  })
  .check(
    z.refine((c) => (c.min_followers ?? 0) <= (c.max_followers ?? Number.POSITIVE_INFINITY), {
      path: ['max_followers'],
      message: 'must be at least min_followers',
      when: (p) => {
        const v = p.value as { min_followers?: unknown; max_followers?: unknown } | null
        return Number.isInteger(v?.min_followers) && Number.isInteger(v?.max_followers)
      },
    }),
  )
export type Criteria = z.infer<typeof criteriaSchema>

/** A template field: its merge fields are checked ({@link templateErrors}), each error at the field's path. */
const template = (base: z.ZodString) =>
  base.superRefine((text, ctx) => {
    for (const e of templateErrors(text)) ctx.addIssue({ code: 'custom', message: e.message })
  })

const subject = template(line(200).trim().min(1, 'must not be empty')).describe(
  'merge fields: {{first_name}}, {{full_name}}, {{handle}}, {{platform}}, {{followers}}; default: {{first_name|there}}',
)
const body = template(z.string().trim().min(1, 'must not be empty').max(20_000)).describe(
  'plain text with merge fields',
)
const footerAddress = z
  .string()
  .trim()
  .min(1, "the sender's postal address is required (CAN-SPAM)")
  .max(500)
  .describe("the sender's physical postal address, in every email's footer (CAN-SPAM)")

const campaignFields = {
  name: z.string().trim().min(1).max(200),
  criteria: criteriaSchema,
  recurring: z.boolean().describe('daily runs (true) or one run'),
  max_runs: z
    .int()
    .min(1)
    .max(365)
    .describe(`runs in all; default ${DEFAULT_MAX_RUNS}, 1 when recurring is false`),
  mailbox_id: id,
  timezone,
  window_start: hhmm.describe('local time sending starts'),
  window_end: hhmm.describe('local time sending ends (exclusive); ≥ 30 minutes after the start'),
  daily_quota: z.int().min(1).max(1_000).describe('creators to find per run'),
  subject,
  body,
  footer_address: footerAddress,
  stop_on_auto_reply: z.boolean().describe('whether an auto-reply also stops further emails to that creator'),
}

/** Whether a value is an `HH:MM` string. */
const isHhmm = (v: unknown): v is string => typeof v === 'string' && HHMM.test(v)

/** Cross-field rules shared by create and patch (each only when its fields are present and valid). */
const windowCheck = z.refine<{ window_start?: string | undefined; window_end?: string | undefined }>(
  (v) => windowIssue(hhmmToMinutes(v.window_start as string), hhmmToMinutes(v.window_end as string)) === null,
  {
    path: ['window_end'],
    error: (iss) => {
      const v = iss.input as { window_start: string; window_end: string }
      return windowIssue(hhmmToMinutes(v.window_start), hhmmToMinutes(v.window_end)) ?? 'invalid window'
    },
    when: (p) => {
      const v = p.value as { window_start?: unknown; window_end?: unknown } | null
      return isHhmm(v?.window_start) && isHhmm(v?.window_end)
    },
  },
)
const maxRunsCheck = z.refine<{ recurring?: boolean | undefined; max_runs?: number | undefined }>(
  (v) => maxRunsIssue(v.recurring ?? true, v.max_runs) === null,
  {
    path: ['max_runs'],
    message: 'a one-time campaign (recurring: false) runs once',
    when: (p) => {
      const v = p.value as { recurring?: unknown; max_runs?: unknown } | null
      return v?.recurring === false && Number.isInteger(v?.max_runs)
    },
  },
)

/**
 * `POST /outreach/campaigns`. Defaults as the contract says; `max_runs` stays undefined when
 * left out — store {@link resolveMaxRuns}. The first run starts at once.
 */
export const campaignCreate = z
  .strictObject({
    name: campaignFields.name,
    criteria: campaignFields.criteria,
    recurring: campaignFields.recurring.default(true),
    max_runs: campaignFields.max_runs.optional(),
    mailbox_id: campaignFields.mailbox_id,
    timezone: campaignFields.timezone.default('UTC'),
    window_start: campaignFields.window_start.default('09:00'),
    window_end: campaignFields.window_end.default('17:00'),
    daily_quota: campaignFields.daily_quota.default(50),
    subject: campaignFields.subject,
    body: campaignFields.body,
    footer_address: campaignFields.footer_address,
    stop_on_auto_reply: campaignFields.stop_on_auto_reply.default(false),
  })
  .check(windowCheck, maxRunsCheck)
export type CampaignCreate = z.infer<typeof campaignCreate>

/**
 * `PATCH /outreach/campaigns/:id`: any subset, plus `is_active`. `criteria` replaces the
 * whole object. The window and `max_runs` rules are checked here when the body holds both
 * sides; otherwise the route checks {@link windowIssue} / {@link maxRunsIssue} against the
 * stored row.
 */
export const campaignPatch = z
  .strictObject({
    name: campaignFields.name.optional(),
    criteria: campaignFields.criteria.optional(),
    recurring: campaignFields.recurring.optional(),
    max_runs: campaignFields.max_runs.optional(),
    is_active: z.boolean().optional(),
    mailbox_id: campaignFields.mailbox_id.optional(),
    timezone: campaignFields.timezone.optional(),
    window_start: campaignFields.window_start.optional(),
    window_end: campaignFields.window_end.optional(),
    daily_quota: campaignFields.daily_quota.optional(),
    subject: campaignFields.subject.optional(),
    body: campaignFields.body.optional(),
    footer_address: campaignFields.footer_address.optional(),
    stop_on_auto_reply: campaignFields.stop_on_auto_reply.optional(),
  })
  .check(windowCheck, maxRunsCheck)
export type CampaignPatch = z.infer<typeof campaignPatch>

/** Today's run of a campaign, in its zone (null before its first run today). */
export const campaignTodayOut = z.strictObject({
  date: z.string(),
  found: z.int().describe('creators found'),
  emails_found: z.int(),
  scheduled: z.int(),
  sent: z.int(),
  replies: z.int(),
  status: z.string().describe('the run status: discovering | enriching | scheduled | completed | failed'),
})

/** A campaign as the API shows it. */
export const campaignOut = z.strictObject({
  id,
  name: z.string(),
  criteria: criteriaSchema,
  recurring: z.boolean(),
  max_runs: z.int(),
  run_count: z.int(),
  is_active: z.boolean(),
  mailbox_id: id,
  timezone: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  daily_quota: z.int(),
  subject: z.string(),
  body: z.string(),
  footer_address: z.string(),
  stop_on_auto_reply: z.boolean(),
  last_run_at: ts.nullable(),
  completed_at: ts.nullable(),
  created_at: ts,
  today: campaignTodayOut.nullable(),
})
export type CampaignOut = z.infer<typeof campaignOut>

/** `GET /outreach/campaigns`. */
export const campaignListOut = z.strictObject({ items: z.array(campaignOut) })

/** `POST /outreach/preview`. Unknown merge fields → 422 with the field's path. */
export const previewBody = z.strictObject({
  subject: campaignFields.subject,
  body: campaignFields.body,
  footer_address: z.string().trim().max(500).optional(),
})
export type PreviewBody = z.infer<typeof previewBody>

/** Answer of `POST /outreach/preview`. */
export const previewOut = z.strictObject({
  subject: z.string(),
  text: z.string(),
  sample: z.strictObject({
    handle: z.string(),
    full_name: z.string().nullable(),
    first_name: z.string(),
    platform: z.string(),
    followers: z.int().nullable(),
  }),
})
export type PreviewOut = z.infer<typeof previewOut>

/**
 * Template problems of a subject and body as API error details (`[{path, message}]`), for a
 * 422 when the route validates templates itself.
 */
export function templateIssues(t: {
  subject?: string
  body?: string
}): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = []
  for (const key of ['subject', 'body'] as const) {
    const text = t[key]
    if (text !== undefined) for (const e of templateErrors(text)) out.push({ path: key, message: e.message })
  }
  return out
}

/** Run statuses. */
export const RUN_STATUSES = ['discovering', 'enriching', 'scheduled', 'completed', 'failed'] as const

/** `GET /outreach/campaigns/:id/runs`, newest first. */
export const runListOut = z.strictObject({
  items: z.array(
    z.strictObject({
      id,
      run_number: z.int(),
      run_date: z.string().describe('local date YYYY-MM-DD in the campaign zone'),
      status: z.enum(RUN_STATUSES),
      creators_found: z.int(),
      emails_found: z.int(),
      emails_sent: z.int(),
      credits_used: z.int(),
      error: z.string().nullable(),
      started_at: ts,
      finished_at: ts.nullable(),
    }),
  ),
})
export type RunListOut = z.infer<typeof runListOut>

/** Query of `GET /outreach/campaigns/:id/emails`: `date` defaults to today in the campaign zone. */
export const emailListQuery = z.strictObject({ date: isoDate.optional() })
export type EmailListQuery = z.infer<typeof emailListQuery>

/** Email statuses (the status machine: `emailTransition` in outreach.credits.core.ts). */
export const EMAIL_STATUS_VALUES = [
  'scheduled',
  'claimed',
  'sent',
  'unknown',
  'failed',
  'deferred',
  'suppressed',
  'unpaid',
  'cancelled',
  'replied',
  'expired',
] as const

/** `GET /outreach/campaigns/:id/emails`. */
export const emailListOut = z.strictObject({
  items: z.array(
    z.strictObject({
      id,
      to_email: z.string(),
      creator: z.strictObject({
        handle: z.string(),
        full_name: z.string(),
        platform: z.string(),
        followers: z.int().nullable(),
      }),
      subject: z.string(),
      scheduled_at: ts,
      status: z.enum(EMAIL_STATUS_VALUES),
      sent_at: ts.nullable(),
      smtp_response: z.string().nullable(),
      error: z.string().nullable(),
      charged: z.boolean(),
    }),
  ),
})
export type EmailListOut = z.infer<typeof emailListOut>

// ---------------------------------------------------------------------------------------
// Replies

/** Kinds of incoming mail. */
export const REPLY_KINDS = ['reply', 'auto_reply', 'bounce'] as const
const replyKind = z.enum(REPLY_KINDS)

/** Query of `GET /outreach/replies`. `kind` filters on the effective kind. */
export const replyListQuery = z.strictObject({
  campaign_id: id.optional(),
  kind: replyKind.optional(),
})
export type ReplyListQuery = z.infer<typeof replyListQuery>

/** A reply as the API shows it. */
export const replyOut = z.strictObject({
  id,
  campaign_id: id.nullable(),
  campaign_name: z.string().nullable(),
  email_id: id.nullable(),
  from_email: z.string(),
  subject: z.string(),
  body_text: z.string(),
  received_at: ts,
  kind: replyKind,
  override_kind: replyKind.nullable(),
  effective_kind: replyKind.describe('override_kind when set, else kind'),
  evidence: z.array(z.strictObject({ header: z.string(), value: z.string(), rule: z.string() })),
  charged: z.boolean(),
  uncharged_reason: z.string().nullable(),
  thread: z
    .strictObject({
      to_email: z.string(),
      subject: z.string(),
      body_text: z.string(),
      sent_at: ts.nullable(),
    })
    .nullable()
    .describe('the email it answers'),
})
export type ReplyOut = z.infer<typeof replyOut>

/** `GET /outreach/replies`. */
export const replyListOut = z.strictObject({ items: z.array(replyOut) })

/** `POST /outreach/replies/:id/classification`. */
export const classificationBody = z.strictObject({ kind: replyKind })
export type ClassificationBody = z.infer<typeof classificationBody>

// ---------------------------------------------------------------------------------------
// Suppressions

/** Why an address is suppressed. */
export const SUPPRESSION_REASONS = ['unsubscribe', 'bounce', 'manual', 'import', 'smtp_5xx'] as const

/** Query of `GET /outreach/suppressions`: `q` matches part of the address. */
export const suppressionListQuery = z.strictObject({ q: z.string().trim().max(254).optional() })
export type SuppressionListQuery = z.infer<typeof suppressionListQuery>

/** `GET /outreach/suppressions`. */
export const suppressionListOut = z.strictObject({
  items: z.array(
    z.strictObject({
      email: z.string(),
      reason: z.enum(SUPPRESSION_REASONS),
      detail: z.string().nullable(),
      created_at: ts,
    }),
  ),
})
export type SuppressionListOut = z.infer<typeof suppressionListOut>

/** `POST /outreach/suppressions` (address trimmed and lower-cased). */
export const suppressionAdd = z.strictObject({
  email: emailLower,
  detail: z.string().trim().max(500).optional(),
})
export type SuppressionAdd = z.infer<typeof suppressionAdd>

/** Largest CSV accepted by an import, characters (below the API's 1 MiB body limit). */
export const SUPPRESSION_CSV_MAX = 1_000_000

/** `POST /outreach/suppressions/import`: the first column, or the column named `email`. */
export const suppressionImport = z.strictObject({
  csv: z.string().max(SUPPRESSION_CSV_MAX).describe('CSV text: the first column or a column named email'),
})
export type SuppressionImport = z.infer<typeof suppressionImport>

/** Answer of an import. `line` is 1-based. */
export const suppressionImportOut = z.strictObject({
  added: z.int(),
  skipped: z.int().describe('already on the list or repeated in the file'),
  invalid: z.array(z.strictObject({ line: z.int(), value: z.string() })),
})
export type SuppressionImportOut = z.infer<typeof suppressionImportOut>

// ---------------------------------------------------------------------------------------
// Path parameters and the public unsubscribe endpoints

/** `:id` of a mailbox, campaign or reply. */
export const idParams = z.strictObject({ id })
/** `:email` of `DELETE /outreach/suppressions/:email` (URL-decoded by the router). */
export const emailParams = z.strictObject({ email: emailLower })
/** `:token` of the public unsubscribe endpoints (validity is the token's own check). */
export const tokenParams = z.strictObject({ token: z.string().min(1).max(512) })

/** `GET /api/v1/outreach/unsubscribe/:token`. */
export const unsubscribeInfoOut = z.strictObject({
  email_masked: z.string().describe('e.g. j***@example.com'),
  already: z.boolean(),
})
/** `POST /api/v1/outreach/unsubscribe/:token` (RFC 8058 one-click). */
export const unsubscribeOut = z.strictObject({ ok: z.literal(true) })
