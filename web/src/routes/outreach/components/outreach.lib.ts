/**
 * Pure parts of the Outreach pages: a campaign's status in words, times in a named zone,
 * merge fields (the list, the server's template check, inserting one at the caret),
 * keyword chips, and the campaign and mailbox forms (values ⇄ API bodies, live validation,
 * API error paths → form fields). Unit-tested in `outreach.lib.test.ts`.
 *
 * Field rules follow the outreach API contract (src/modules/outreach/README.md); the server
 * stays the judge: its 422 `details` land under the same fields.
 */
import { z } from 'zod'
import type { Campaign, CampaignBody, Credits, Mailbox, MailboxBody, Platform } from '@/hooks/api/outreach'
import { MERGE_FIELDS, templateErrors } from '../../../../../src/modules/outreach/outreach.template.core.ts'

// ── Campaign status and times ───────────────────────────────────────────────────────────

export type CampaignState = 'active' | 'paused' | 'completed'

/** completed (all runs done, `completed_at` set) / paused (`is_active` false) / active. */
export function campaignState(c: Pick<Campaign, 'is_active' | 'completed_at'>): CampaignState {
  if (c.completed_at) return 'completed'
  return c.is_active ? 'active' : 'paused'
}

/** "3 / 30" for a recurring campaign, "1 / 1 (one-time)" for a one-time one. */
export function runsText(c: Pick<Campaign, 'recurring' | 'run_count' | 'max_runs'>): string {
  return c.recurring ? `${c.run_count} / ${c.max_runs}` : `${Math.min(c.run_count, 1)} / 1 (one-time)`
}

/** True for a zone name `Intl` knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  if (!tz) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** The browser's time zone (`UTC` when it cannot say). */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

/** `HH:MM` (24 h) of an instant in `tz`; an em dash for a missing or bad instant. */
export function clockIn(iso: string | null | undefined, tz: string): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: isTimeZone(tz) ? tz : 'UTC',
  }).format(d)
}

/** "12 May, 14:03" of an instant in `tz`. */
export function dateTimeIn(iso: string | null | undefined, tz: string): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: isTimeZone(tz) ? tz : 'UTC',
  }).format(d)
}

/** "resets at 00:00 Europe/Berlin" — the credit day's next midnight in its own zone. */
export function resetsText(c: Pick<Credits, 'resets_at' | 'timezone'>): string {
  return `resets at ${clockIn(c.resets_at, c.timezone)} ${c.timezone}`
}

/** Share of the daily limit used, 0–100 (0 when there is no limit). */
export function usedPercent(c: Pick<Credits, 'used' | 'limit'>): number {
  if (c.limit <= 0) return 0
  return Math.min(100, Math.max(0, Math.round((c.used / c.limit) * 100)))
}

/** `YYYY-MM-DD` → "Mon 12 May" (the chart's axis; the date is a calendar day, no zone). */
export function shortDay(date: string): string {
  const d = new Date(`${date}T12:00:00Z`)
  if (Number.isNaN(d.getTime())) return date
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d)
}

/**
 * Whether the creator search can filter the platform by followers (OnlyFans cannot: the API
 * refuses a range there; `IC_FOLLOWER_KEY` in src/modules/outreach/influencers-club.contract.ts).
 */
export function hasFollowerFilter(platform: string): boolean {
  return platform !== 'onlyfans'
}

// ── Merge fields ────────────────────────────────────────────────────────────────────────

export { MERGE_FIELDS }

/**
 * The first problem of a template as a sentence, or null when it is valid — the server's own
 * check (`templateErrors`, src/modules/outreach/outreach.template.core.ts): unknown merge
 * fields, `{{` without `}}`, a lone `}}`.
 */
export function mergeFieldProblem(template: string): string | null {
  const [first] = templateErrors(template)
  return first ? sentence(first.message) : null
}

const sentence = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)

/**
 * `text` with `token` put in place of the selection `[start, end)` (clamped), and where the
 * caret goes after it.
 */
export function insertAt(
  text: string,
  start: number | null,
  end: number | null,
  token: string,
): { text: string; caret: number } {
  const s = Math.max(0, Math.min(start ?? text.length, text.length))
  const e = Math.max(s, Math.min(end ?? s, text.length))
  return { text: text.slice(0, s) + token + text.slice(e), caret: s + token.length }
}

// ── Keywords ────────────────────────────────────────────────────────────────────────────

/**
 * Keywords typed or pasted as a comma (or newline) separated list: trimmed, empty ones
 * dropped, duplicates (case-insensitive) of `existing` and of each other skipped.
 */
export function addKeywords(existing: readonly string[], typed: string): string[] {
  const out = [...existing]
  const seen = new Set(existing.map((k) => k.toLowerCase()))
  for (const raw of typed.split(/[,\n]/)) {
    const k = raw.trim().replace(/\s+/g, ' ')
    if (!k || seen.has(k.toLowerCase())) continue
    seen.add(k.toLowerCase())
    out.push(k)
  }
  return out
}

// ── Campaign form ───────────────────────────────────────────────────────────────────────

/** The campaign form's values: numbers typed as text ('' = none / default). */
export interface CampaignFormValues {
  name: string
  platform: Platform
  keywords: string[]
  min_followers: string
  max_followers: string
  location: string
  language: string
  recurring: boolean
  max_runs: string
  daily_quota: string
  mailbox_id: string
  timezone: string
  window_start: string
  window_end: string
  subject: string
  body: string
  footer_address: string
  stop_on_auto_reply: boolean
}

/** Defaults of a new campaign (the API's defaults; the browser's time zone). */
export const DEFAULT_MAX_RUNS = 30
export const DEFAULT_QUOTA = 50

const DEFAULT_BODY = `Hi {{first_name|there}},

I came across your {{platform}} profile (@{{handle}}) and loved your content.

Would you be open to a paid collaboration? Happy to share the details.

Best,
`

/** A saved campaign (or nothing: a new one, with `mailboxId` preselected) as form values. */
export function campaignToForm(
  c?: Campaign,
  opts: { mailboxId?: string; timezone?: string } = {},
): CampaignFormValues {
  const num = (n: number | undefined) => (n === undefined || n === null ? '' : String(n))
  return {
    name: c?.name ?? '',
    platform: c?.criteria.platform ?? 'instagram',
    keywords: c?.criteria.keywords ?? [],
    min_followers: num(c?.criteria.min_followers),
    max_followers: num(c?.criteria.max_followers),
    location: c?.criteria.location ?? '',
    language: c?.criteria.language ?? '',
    recurring: c?.recurring ?? true,
    max_runs: String(c?.max_runs ?? DEFAULT_MAX_RUNS),
    daily_quota: String(c?.daily_quota ?? DEFAULT_QUOTA),
    mailbox_id: c?.mailbox_id ?? opts.mailboxId ?? '',
    timezone: c?.timezone ?? opts.timezone ?? 'UTC',
    window_start: c?.window_start ?? '09:00',
    window_end: c?.window_end ?? '17:00',
    subject: c?.subject ?? 'Collaboration with {{full_name|you}}?',
    body: c?.body ?? DEFAULT_BODY,
    footer_address: c?.footer_address ?? '',
    stop_on_auto_reply: c?.stop_on_auto_reply ?? false,
  }
}

const int = (s: string) => Number(s.trim())

/** The `POST /outreach/campaigns` body (also sent whole as the `PATCH` of an edit). */
export function formToCampaignBody(v: CampaignFormValues): CampaignBody {
  const criteria: CampaignBody['criteria'] = { platform: v.platform, keywords: v.keywords }
  if (v.min_followers.trim()) criteria.min_followers = int(v.min_followers)
  if (v.max_followers.trim()) criteria.max_followers = int(v.max_followers)
  if (v.location.trim()) criteria.location = v.location.trim()
  if (v.language.trim()) criteria.language = v.language.trim().toLowerCase()
  return {
    name: v.name.trim(),
    criteria,
    recurring: v.recurring,
    max_runs: v.recurring ? int(v.max_runs) : 1,
    mailbox_id: v.mailbox_id,
    timezone: v.timezone.trim() || 'UTC',
    window_start: v.window_start.trim(),
    window_end: v.window_end.trim(),
    daily_quota: int(v.daily_quota),
    subject: v.subject,
    body: v.body,
    footer_address: v.footer_address.trim(),
    stop_on_auto_reply: v.stop_on_auto_reply,
  }
}

const CAMPAIGN_FIELDS = [
  'name',
  'platform',
  'keywords',
  'min_followers',
  'max_followers',
  'location',
  'language',
  'recurring',
  'max_runs',
  'daily_quota',
  'mailbox_id',
  'timezone',
  'window_start',
  'window_end',
  'subject',
  'body',
  'footer_address',
  'stop_on_auto_reply',
] as const

/** Every field of the campaign form (for `applyApiErrors`). */
export const campaignFormFields: readonly string[] = CAMPAIGN_FIELDS

/**
 * An API error path → the campaign form field showing it, or null (shown above the form):
 * `criteria.keywords.2` → `keywords`, `criteria.platform` → `platform`, `subject` stays,
 * `criteria` alone → `keywords` (the search as a whole).
 */
export function campaignFormPathOf(apiPath: string): string | null {
  const parts = apiPath.split('.')
  if (parts[0] === 'criteria') {
    const f = parts[1]
    if (!f) return 'keywords'
    return (CAMPAIGN_FIELDS as readonly string[]).includes(f) ? f : null
  }
  return (CAMPAIGN_FIELDS as readonly string[]).includes(parts[0] ?? '') ? (parts[0] ?? null) : null
}

/** Shortest sending window, minutes (the API's `MIN_WINDOW_MINUTES`). */
export const MIN_WINDOW_MINUTES = 30

const WHOLE = /^\d+$/
/** `HH:MM` 00:00–23:59; the end may be 24:00 (midnight), as the API allows. */
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/
const HHMM_END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/
const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5))

/** Live validation of the campaign form; each problem under its field. */
export const campaignFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Name the campaign').max(200, 'At most 200 characters'),
    // A select of the API's platforms; the server checks the value.
    platform: z.custom<Platform>((v) => typeof v === 'string' && v.length > 0, 'Choose a platform'),
    keywords: z
      .array(z.string().max(100, 'A keyword has at most 100 characters'))
      .min(1, 'Add at least one keyword: the niche to search')
      .max(20, 'At most 20 keywords'),
    min_followers: z.string().trim().regex(/^\d*$/, 'A whole number (empty = no minimum)'),
    max_followers: z.string().trim().regex(/^\d*$/, 'A whole number (empty = no maximum)'),
    location: z.string().trim().max(100, 'At most 100 characters'),
    language: z
      .string()
      .trim()
      .regex(/^([a-zA-Z]{2})?$/, 'A two-letter ISO 639-1 code such as en, de, es'),
    recurring: z.boolean(),
    max_runs: z.string().trim(),
    daily_quota: z.string().trim().regex(WHOLE, 'A whole number of creators per run'),
    mailbox_id: z.string().min(1, 'Choose the mailbox to send from'),
    timezone: z.string().trim().refine(isTimeZone, 'An IANA time zone such as Europe/Berlin or UTC'),
    window_start: z.string().trim().regex(HHMM, 'A 24-hour time such as 09:00'),
    window_end: z.string().trim().regex(HHMM_END, 'A 24-hour time such as 17:00 (24:00 = midnight)'),
    subject: z.string().trim().min(1, 'Write a subject').max(200, 'At most 200 characters'),
    body: z.string().trim().min(1, 'Write the email'),
    footer_address: z
      .string()
      .trim()
      .min(5, 'Your postal address: commercial email must carry one (CAN-SPAM, UK PECR, EU rules)'),
    stop_on_auto_reply: z.boolean(),
  })
  .superRefine((v, ctx) => {
    const flag = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    if (v.recurring && (!WHOLE.test(v.max_runs) || int(v.max_runs) < 1 || int(v.max_runs) > 365))
      flag('max_runs', 'How many daily runs: 1 to 365')
    if (WHOLE.test(v.daily_quota) && (int(v.daily_quota) < 1 || int(v.daily_quota) > 1000))
      flag('daily_quota', 'From 1 to 1,000 creators per run')
    if (!hasFollowerFilter(v.platform) && (v.min_followers || v.max_followers)) {
      const msg = `${v.platform} has no follower-count filter: leave empty`
      if (v.min_followers) flag('min_followers', msg)
      if (v.max_followers) flag('max_followers', msg)
    }
    if (v.min_followers && v.max_followers && int(v.min_followers) > int(v.max_followers))
      flag('max_followers', 'At least the minimum')
    if (HHMM.test(v.window_start.trim()) && HHMM_END.test(v.window_end.trim())) {
      const len = minutes(v.window_end.trim()) - minutes(v.window_start.trim())
      if (len <= 0) flag('window_end', 'After the window’s start (same day)')
      else if (len < MIN_WINDOW_MINUTES)
        flag('window_end', `At least ${MIN_WINDOW_MINUTES} minutes after the start`)
    }
    const subj = mergeFieldProblem(v.subject)
    if (subj) flag('subject', subj)
    const body = mergeFieldProblem(v.body)
    if (body) flag('body', body)
  })

// ── Mailbox form ────────────────────────────────────────────────────────────────────────

export interface MailboxFormValues {
  name: string
  from_email: string
  from_name: string
  smtp_host: string
  smtp_port: string
  smtp_secure: boolean
  smtp_user: string
  /** '' = unchanged (an edit) / none (a new mailbox). */
  smtp_password: string
  /** An edit: clear the saved password (the API's `""`). */
  smtp_password_clear: boolean
  imap_host: string
  imap_port: string
  imap_secure: boolean
  imap_user: string
  imap_password: string
  imap_password_clear: boolean
  daily_cap: string
  min_gap_seconds: string
}

export function mailboxToForm(m?: Mailbox): MailboxFormValues {
  return {
    name: m?.name ?? '',
    from_email: m?.from_email ?? '',
    from_name: m?.from_name ?? '',
    smtp_host: m?.smtp_host ?? '',
    smtp_port: String(m?.smtp_port ?? 587),
    smtp_secure: m?.smtp_secure ?? false,
    smtp_user: m?.smtp_user ?? '',
    smtp_password: '',
    smtp_password_clear: false,
    imap_host: m?.imap_host ?? '',
    imap_port: m?.imap_port ? String(m.imap_port) : '993',
    imap_secure: m?.imap_secure ?? true,
    imap_user: m?.imap_user ?? '',
    imap_password: '',
    imap_password_clear: false,
    daily_cap: String(m?.daily_cap ?? 200),
    min_gap_seconds: String(m?.min_gap_seconds ?? 60),
  }
}

/**
 * The mailbox body. Passwords are write-only: an empty password field is left out (unchanged
 * on an edit), "clear" sends `""`. No IMAP host = no IMAP (replies are not read): a new
 * mailbox then sends no `imap_*` field at all (the API refuses them without a host), an edit
 * sends `imap_host: null` to turn reading off.
 */
export function formToMailboxBody(v: MailboxFormValues, isNew = false): MailboxBody {
  const body: MailboxBody = {
    name: v.name.trim(),
    from_email: v.from_email.trim(),
    from_name: v.from_name.trim(),
    smtp_host: v.smtp_host.trim(),
    smtp_port: int(v.smtp_port),
    smtp_secure: v.smtp_secure,
    smtp_user: v.smtp_user.trim(),
    daily_cap: int(v.daily_cap),
    min_gap_seconds: int(v.min_gap_seconds),
  }
  if (v.smtp_password_clear) body.smtp_password = ''
  else if (v.smtp_password) body.smtp_password = v.smtp_password
  const imapHost = v.imap_host.trim()
  if (imapHost) {
    body.imap_host = imapHost
    body.imap_port = int(v.imap_port)
    body.imap_secure = v.imap_secure
    body.imap_user = v.imap_user.trim()
    if (v.imap_password_clear) body.imap_password = ''
    else if (v.imap_password) body.imap_password = v.imap_password
  } else if (!isNew) {
    body.imap_host = null
    body.imap_port = null
    body.imap_user = null
  }
  return body
}

export const mailboxFormFields: readonly string[] = Object.keys(mailboxToForm())

const PORT = (label: string) =>
  z
    .string()
    .trim()
    .refine((s) => WHOLE.test(s) && int(s) >= 1 && int(s) <= 65535, `${label}: a port from 1 to 65535`)

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export const mailboxFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Name the mailbox').max(100, 'At most 100 characters'),
    from_email: z.string().trim().regex(EMAIL, 'An email address such as you@example.com'),
    from_name: z.string().trim().max(100, 'At most 100 characters'),
    smtp_host: z.string().trim().min(1, 'The SMTP server, e.g. smtp.example.com'),
    smtp_port: PORT('SMTP port'),
    smtp_secure: z.boolean(),
    smtp_user: z.string(),
    smtp_password: z.string(),
    smtp_password_clear: z.boolean(),
    imap_host: z.string().trim(),
    imap_port: z.string().trim(),
    imap_secure: z.boolean(),
    imap_user: z.string(),
    imap_password: z.string(),
    imap_password_clear: z.boolean(),
    daily_cap: z
      .string()
      .trim()
      .refine((s) => WHOLE.test(s) && int(s) >= 1, 'Emails per day: a whole number from 1'),
    min_gap_seconds: z
      .string()
      .trim()
      .refine((s) => WHOLE.test(s), 'Seconds between two sends: a whole number'),
  })
  .superRefine((v, ctx) => {
    if (v.imap_host && !(WHOLE.test(v.imap_port) && int(v.imap_port) >= 1 && int(v.imap_port) <= 65535))
      ctx.addIssue({ code: 'custom', path: ['imap_port'], message: 'IMAP port: a port from 1 to 65535' })
  })

// ── Status words ────────────────────────────────────────────────────────────────────────

/** What an email status means, for the badge's tooltip. */
export const EMAIL_STATUS_HELP: Record<string, string> = {
  scheduled: 'Waiting for its time in the sending window',
  claimed: 'Being sent now',
  sent: 'Accepted by the receiving mail server',
  unknown: 'The server may or may not have delivered it; never retried automatically',
  failed: 'Refused by the mail server (see the error)',
  deferred: 'Temporarily refused; retried later in the window',
  suppressed: 'On the suppression list: not sent',
  unpaid: 'No credit left: waits for the next run',
  cancelled: 'Cancelled (campaign paused or the creator replied)',
  replied: 'Sent, and the creator replied',
  expired: 'Not sent before the window closed (or the mailbox’s daily cap): waits for the next run',
}

/** Why a reply was not charged, in words. */
export function unchargedText(reason: string | null): string {
  if (!reason) return 'not charged'
  const known: Record<string, string> = {
    no_credit: 'not charged — no credit left',
    auto_reply: 'not charged — auto-reply',
    bounce: 'not charged — bounce',
  }
  return known[reason] ?? `not charged — ${reason.replace(/_/g, ' ')}`
}
