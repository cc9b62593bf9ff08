/**
 * Outreach hooks (`/api/v1/outreach/*`): settings and daily credits, mailboxes, campaigns
 * with their runs and emails, the replies inbox, the suppression list, the merge preview and
 * the public unsubscribe page. Shapes: the outreach API contract in
 * src/modules/outreach/README.md (JSON snake_case, times ISO 8601 UTC, dates `YYYY-MM-DD` in
 * the campaign's or the credits' time zone, windows `HH:MM`).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

/** Creator platforms the search covers. */
export const PLATFORMS = ['instagram', 'tiktok', 'youtube', 'twitch', 'twitter', 'onlyfans'] as const
export type Platform = (typeof PLATFORMS)[number]

// ── Settings & credits ──────────────────────────────────────────────────────────────────

export interface OutreachSettings {
  plan: string
  plans: { name: string; daily_limit: number }[]
  /** IANA zone of the credit days (their midnight resets the credits). */
  timezone: string
}

/** `GET /outreach/credits`: today's credit day. One credit = one email sent or one reply. */
export interface Credits {
  date: string
  timezone: string
  limit: number
  used: number
  left: number
  sent: number
  replies: number
  /** Replies received with no credit left (kept, not charged). */
  replies_uncharged: number
  /** Next midnight of `timezone`, ISO 8601 UTC. */
  resets_at: string
}

export interface CreditDay {
  date: string
  limit: number
  used: number
  sent: number
  replies: number
  replies_uncharged: number
}

// ── Mailboxes ───────────────────────────────────────────────────────────────────────────

export interface Mailbox {
  id: string
  name: string
  from_email: string
  from_name: string
  smtp_host: string
  smtp_port: number
  smtp_secure: boolean
  smtp_user: string
  has_smtp_password: boolean
  imap_host: string | null
  imap_port: number | null
  imap_secure: boolean
  imap_user: string | null
  has_imap_password: boolean
  /** Emails per local day across campaigns. */
  daily_cap: number
  /** Minimum seconds between two sends. */
  min_gap_seconds: number
  status: 'ok' | 'error'
  last_error: string | null
  created_at: string
}

/**
 * `POST /outreach/mailboxes` body; `PATCH` takes any subset. A password left out stays
 * unchanged; `""` clears it.
 */
export interface MailboxBody {
  name: string
  from_email: string
  from_name?: string
  smtp_host: string
  smtp_port: number
  smtp_secure?: boolean
  smtp_user?: string
  smtp_password?: string
  imap_host?: string | null
  imap_port?: number | null
  imap_secure?: boolean
  imap_user?: string | null
  imap_password?: string
  daily_cap?: number
  min_gap_seconds?: number
}

/** `POST /outreach/mailboxes/:id/test`: `imap` null when the mailbox has no IMAP server. */
export interface MailboxTest {
  smtp: { ok: boolean; message: string }
  imap: { ok: boolean; message: string } | null
}

// ── Campaigns ───────────────────────────────────────────────────────────────────────────

export interface Criteria {
  platform: Platform
  /** Niche keywords. */
  keywords: string[]
  min_followers?: number
  max_followers?: number
  /** ISO country code or name. */
  location?: string
  /** ISO 639-1. */
  language?: string
}

/** Today's figures of a campaign (its local day). */
export interface CampaignToday {
  date: string
  found: number
  emails_found: number
  scheduled: number
  sent: number
  replies: number
  status: string
}

export interface Campaign {
  id: string
  name: string
  criteria: Criteria
  recurring: boolean
  max_runs: number
  run_count: number
  is_active: boolean
  mailbox_id: string
  timezone: string
  window_start: string
  window_end: string
  daily_quota: number
  subject: string
  body: string
  footer_address: string
  stop_on_auto_reply: boolean
  last_run_at: string | null
  completed_at: string | null
  created_at: string
  today: CampaignToday | null
}

/** `POST /outreach/campaigns` body (defaults: recurring, 30 runs, UTC, 09:00–17:00, 50/day). */
export interface CampaignBody {
  name: string
  criteria: Criteria
  recurring?: boolean
  max_runs?: number
  mailbox_id: string
  timezone?: string
  window_start?: string
  window_end?: string
  daily_quota?: number
  subject: string
  body: string
  footer_address: string
  stop_on_auto_reply?: boolean
}

export interface CampaignRun {
  id: string
  run_number: number
  run_date: string
  /** discovering | enriching | scheduled | completed | failed */
  status: string
  creators_found: number
  emails_found: number
  emails_sent: number
  credits_used: number
  error: string | null
  started_at: string
  finished_at: string | null
}

export const EMAIL_STATUSES = [
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
export type EmailStatus = (typeof EMAIL_STATUSES)[number]

export interface OutreachEmail {
  id: string
  to_email: string
  creator: { handle: string; full_name: string; platform: string; followers: number | null }
  subject: string
  scheduled_at: string
  status: EmailStatus
  sent_at: string | null
  smtp_response: string | null
  error: string | null
  charged: boolean
}

/** `POST /outreach/preview` → the template rendered for a sample creator. */
export interface Preview {
  subject: string
  text: string
  sample: {
    handle: string
    full_name: string | null
    first_name: string
    platform: string
    followers: number | null
  }
}

// ── Replies ─────────────────────────────────────────────────────────────────────────────

export const REPLY_KINDS = ['reply', 'auto_reply', 'bounce'] as const
export type ReplyKind = (typeof REPLY_KINDS)[number]

export interface Reply {
  id: string
  campaign_id: string | null
  campaign_name: string | null
  email_id: string | null
  from_email: string
  subject: string
  body_text: string
  received_at: string
  kind: ReplyKind
  override_kind: ReplyKind | null
  effective_kind: ReplyKind
  /** The headers that decided `kind`, and the rule each matched. */
  evidence: { header: string; value: string; rule: string }[]
  charged: boolean
  uncharged_reason: string | null
  /** Our email this answers (null for mail that matched none). */
  thread: { to_email: string; subject: string; body_text: string; sent_at: string | null } | null
}

// ── Suppressions ────────────────────────────────────────────────────────────────────────

export interface Suppression {
  email: string
  /** unsubscribe | bounce | manual | import | smtp_5xx */
  reason: string
  detail: string | null
  created_at: string
}

export interface ImportResult {
  added: number
  skipped: number
  invalid: { line: number; value: string }[]
}

/** `GET /outreach/unsubscribe/:token` (public). */
export interface UnsubscribeInfo {
  email_masked: string
  already: boolean
}

// ── Hooks ───────────────────────────────────────────────────────────────────────────────

const enc = encodeURIComponent
const BASE = '/outreach'

export const outreachKeys = {
  all: ['outreach'] as const,
  settings: ['outreach', 'settings'] as const,
  credits: ['outreach', 'credits'] as const,
  history: (days: number) => ['outreach', 'credits', 'history', days] as const,
  mailboxes: queryKeys('outreach-mailboxes'),
  campaigns: queryKeys('outreach-campaigns'),
  runs: (id: string) => ['outreach-campaigns', 'runs', id] as const,
  emails: (id: string, date?: string) => ['outreach-campaigns', 'emails', id, date ?? ''] as const,
  replies: queryKeys('outreach-replies'),
  suppressions: queryKeys('outreach-suppressions'),
}

/** How often the live parts (today's figures, emails, replies) refresh, ms. */
export const OUTREACH_REFRESH_MS = 15_000

export function useOutreachSettings() {
  return useQuery({
    queryKey: outreachKeys.settings,
    queryFn: ({ signal }) => api.get<OutreachSettings>(`${BASE}/settings`, undefined, { signal }),
  })
}

/** `PUT /outreach/settings {plan?, timezone?}`. */
export function useUpdateOutreachSettings() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { plan?: string; timezone?: string }) =>
      api.put<OutreachSettings>(`${BASE}/settings`, body),
    onSuccess: (s) => {
      qc.setQueryData(outreachKeys.settings, s)
      void qc.invalidateQueries({ queryKey: outreachKeys.credits })
    },
  })
}

export function useCredits() {
  return useQuery({
    queryKey: outreachKeys.credits,
    queryFn: ({ signal }) => api.get<Credits>(`${BASE}/credits`, undefined, { signal }),
    refetchInterval: OUTREACH_REFRESH_MS,
  })
}

/** The last `days` credit days, oldest first (the API answers newest first). */
export function useCreditHistory(days = 14) {
  return useQuery({
    queryKey: outreachKeys.history(days),
    queryFn: ({ signal }) =>
      api
        .get<{ items: CreditDay[] }>(`${BASE}/credits/history`, { days }, { signal })
        .then((r) => [...r.items].sort((a, b) => a.date.localeCompare(b.date))),
  })
}

export function useMailboxes() {
  return useQuery({
    queryKey: outreachKeys.mailboxes.list(),
    queryFn: ({ signal }) =>
      api.get<{ items: Mailbox[] }>(`${BASE}/mailboxes`, undefined, { signal }).then((r) => r.items),
  })
}

function useInvalidate(key: readonly unknown[]) {
  const qc = useQueryClient()
  return () => qc.invalidateQueries({ queryKey: key })
}

export function useCreateMailbox() {
  const done = useInvalidate(outreachKeys.mailboxes.all)
  return useMutation({
    mutationFn: (body: MailboxBody) => api.post<Mailbox>(`${BASE}/mailboxes`, body),
    onSuccess: done,
  })
}

export function useUpdateMailbox(id: string) {
  const done = useInvalidate(outreachKeys.mailboxes.all)
  return useMutation({
    mutationFn: (body: Partial<MailboxBody>) => api.patch<Mailbox>(`${BASE}/mailboxes/${enc(id)}`, body),
    onSuccess: done,
  })
}

/** `DELETE /outreach/mailboxes/:id` (409 `in_use` while a campaign sends from it). */
export function useDeleteMailbox() {
  const done = useInvalidate(outreachKeys.mailboxes.all)
  return useMutation({
    mutationFn: (id: string) => api.delete(`${BASE}/mailboxes/${enc(id)}`),
    onSuccess: done,
  })
}

/** Connects to the saved mailbox's SMTP (and IMAP) servers; the status is refreshed. */
export function useTestMailbox() {
  const done = useInvalidate(outreachKeys.mailboxes.all)
  return useMutation({
    mutationFn: (id: string) => api.post<MailboxTest>(`${BASE}/mailboxes/${enc(id)}/test`),
    onSettled: done,
  })
}

export function useCampaigns() {
  return useQuery({
    queryKey: outreachKeys.campaigns.list(),
    queryFn: ({ signal }) =>
      api.get<{ items: Campaign[] }>(`${BASE}/campaigns`, undefined, { signal }).then((r) => r.items),
    refetchInterval: OUTREACH_REFRESH_MS,
  })
}

export function useCampaign(id: string | undefined) {
  return useQuery({
    queryKey: outreachKeys.campaigns.detail(id ?? ''),
    queryFn: ({ signal }) => api.get<Campaign>(`${BASE}/campaigns/${enc(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
    refetchInterval: OUTREACH_REFRESH_MS,
  })
}

function useInvalidateCampaigns() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: outreachKeys.campaigns.all })
    void qc.invalidateQueries({ queryKey: outreachKeys.credits })
  }
}

/** `POST /outreach/campaigns` → 201; the first run starts at once. */
export function useCreateCampaign() {
  const done = useInvalidateCampaigns()
  return useMutation({
    mutationFn: (body: CampaignBody) => api.post<Campaign>(`${BASE}/campaigns`, body),
    onSuccess: done,
  })
}

/** `PATCH /outreach/campaigns/:id` with any subset, `is_active` included. */
export function useUpdateCampaign(id: string) {
  const qc = useQueryClient()
  const done = useInvalidateCampaigns()
  return useMutation({
    mutationFn: (body: Partial<CampaignBody> & { is_active?: boolean }) =>
      api.patch<Campaign>(`${BASE}/campaigns/${enc(id)}`, body),
    onSuccess: (c) => {
      qc.setQueryData(outreachKeys.campaigns.detail(id), c)
      done()
    },
  })
}

export function useDeleteCampaign() {
  const done = useInvalidateCampaigns()
  return useMutation({
    mutationFn: (id: string) => api.delete(`${BASE}/campaigns/${enc(id)}`),
    onSuccess: done,
  })
}

/** Refresh of the runs while one is discovering or enriching (or none exists yet), ms. */
export const RUN_REFRESH_MS = 3_000

/** Runs of a campaign, newest first. */
export function useCampaignRuns(id: string) {
  return useQuery({
    queryKey: outreachKeys.runs(id),
    queryFn: ({ signal }) =>
      api
        .get<{ items: CampaignRun[] }>(`${BASE}/campaigns/${enc(id)}/runs`, undefined, { signal })
        .then((r) => r.items),
    // A run in progress (or the first one, about to start) moves within seconds.
    refetchInterval: (q) =>
      !q.state.data?.length ||
      q.state.data.some((r) => r.status === 'discovering' || r.status === 'enriching')
        ? RUN_REFRESH_MS
        : OUTREACH_REFRESH_MS,
  })
}

/** The emails of one local day of the campaign (`date` omitted = today in its time zone). */
export function useCampaignEmails(id: string, date?: string) {
  return useQuery<OutreachEmail[]>({
    queryKey: outreachKeys.emails(id, date),
    queryFn: ({ signal }) =>
      api
        .get<{ items: OutreachEmail[] }>(`${BASE}/campaigns/${enc(id)}/emails`, { date }, { signal })
        .then((r) => r.items),
    placeholderData: keepPreviousData,
    refetchInterval: OUTREACH_REFRESH_MS,
  })
}

/** `POST /outreach/preview`; `null` input = nothing to render yet. 422 names the bad field. */
export function usePreview(input: { subject: string; body: string; footer_address?: string } | null) {
  return useQuery<Preview>({
    queryKey: ['outreach', 'preview', input],
    queryFn: ({ signal }) => api.post<Preview>(`${BASE}/preview`, input, { signal }),
    enabled: input !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  })
}

export function useReplies(params: { campaign_id?: string; kind?: ReplyKind } = {}) {
  return useQuery<Reply[]>({
    queryKey: outreachKeys.replies.list(params),
    queryFn: ({ signal }) =>
      api.get<{ items: Reply[] }>(`${BASE}/replies`, { ...params }, { signal }).then((r) => r.items),
    placeholderData: keepPreviousData,
    refetchInterval: OUTREACH_REFRESH_MS,
  })
}

/** The owner's correction of a reply's kind (`POST /outreach/replies/:id/classification`). */
export function useClassifyReply() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, kind }: { id: string; kind: ReplyKind }) =>
      api.post<Reply>(`${BASE}/replies/${enc(id)}/classification`, { kind }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: outreachKeys.replies.all })
      void qc.invalidateQueries({ queryKey: outreachKeys.campaigns.all })
      void qc.invalidateQueries({ queryKey: outreachKeys.credits })
    },
  })
}

export function useSuppressions(q?: string) {
  return useQuery<Suppression[]>({
    queryKey: outreachKeys.suppressions.list({ q: q ?? '' }),
    queryFn: ({ signal }) =>
      api
        .get<{ items: Suppression[] }>(`${BASE}/suppressions`, { q: q || undefined }, { signal })
        .then((r) => r.items),
    placeholderData: keepPreviousData,
  })
}

export function useAddSuppression() {
  const done = useInvalidate(outreachKeys.suppressions.all)
  return useMutation({
    mutationFn: (body: { email: string; detail?: string }) => api.post(`${BASE}/suppressions`, body),
    onSuccess: done,
  })
}

/** `POST /outreach/suppressions/import {csv}`: the first column, or a column named `email`. */
export function useImportSuppressions() {
  const done = useInvalidate(outreachKeys.suppressions.all)
  return useMutation({
    mutationFn: (csv: string) => api.post<ImportResult>(`${BASE}/suppressions/import`, { csv }),
    onSuccess: done,
  })
}

export function useRemoveSuppression() {
  const done = useInvalidate(outreachKeys.suppressions.all)
  return useMutation({
    mutationFn: (email: string) => api.delete(`${BASE}/suppressions/${enc(email)}`),
    onSuccess: done,
  })
}

/** The public unsubscribe page's view of a token (no session; 400 for a bad token). */
export function useUnsubscribeInfo(token: string) {
  return useQuery({
    queryKey: ['outreach', 'unsubscribe', token],
    queryFn: ({ signal }) =>
      api.get<UnsubscribeInfo>(`${BASE}/unsubscribe/${enc(token)}`, undefined, {
        signal,
        skipAuthRedirect: true,
      }),
    retry: false,
  })
}

export function useUnsubscribe(token: string) {
  return useMutation({
    mutationFn: () =>
      api.post<{ ok: true }>(`${BASE}/unsubscribe/${enc(token)}`, undefined, { skipAuthRedirect: true }),
  })
}
