/**
 * Clay table-webhook client: sends creators to a Clay table for email enrichment, one row
 * per request, paced, within the webhook's lifetime submission cap.
 *
 * Clay's side (public sources: Clay University "Webhooks in Clay"; public client code such
 * as Activepieces' and Kestra's Clay integrations): a table's "Monitor webhook" source gives a
 * URL that takes `POST` with ONE JSON object per request (one row); an optional
 * authentication token is sent in the `x-clay-webhook-auth` header (the header name used by
 * those public clients; Clay shows the token once). A webhook source accepts at most 50,000
 * submissions in its lifetime, deleted rows included; past that it must be replaced, and
 * it may fail silently, so we count on our side and refuse before reaching it. We pace at
 * 10 records per second by default (configurable): a conservative pace for one table, as
 * Clay's throughput limits depend on the plan and are not published as an API contract; a
 * 429 is honoured when it comes.
 *
 * Every row carries `correlation_id` (our enrichment row ID) and `callback_url` (with its
 * token, `clay.callback.core.ts`), plus `handle`, `platform`, `full_name`, `profile_url`
 * for Clay's waterfall; the table's HTTP API action POSTs the result to `{{callback_url}}`.
 *
 * The webhook URL is operator configuration, so plain `fetch` (no SSRF guard).
 *
 * Behaviour of `submit(rows)`:
 * - Calls are serialised (one at a time per client) so the cap check cannot race itself.
 * - `submittedSoFar()` (the caller's count of rows ever submitted to this webhook, e.g.
 *   the `outreach_enrichments` rows) is read once per call; if `used + rows.length > cap`
 *   nothing is sent and `ClayCapError` is thrown (with `remaining`, so the caller can send
 *   a smaller batch).
 * - Pacing: one request every `1.05 / ratePerSecond` s (`rate-limiter-flexible`
 *   `RateLimiterQueue`, real time: the library reads the system clock), so no 1 s window
 *   holds more than `ratePerSecond` requests even with a little network jitter.
 * - Per row: 2xx → `submitted`; 429 (after `Retry-After` or backoff), 5xx, timeouts and
 *   network errors are retried up to `maxRetries`; a row still failing stops the batch
 *   (the rest are `not_sent`): Clay is down or throttling, more rows would fail the same
 *   way. 401 (bad token) and 403 (Clay refusing the webhook, e.g. its own cap) stop the
 *   batch too. Other 4xx fail that row only. A retried 5xx/timeout may have been stored
 *   by Clay: a duplicate row means a duplicate callback, which the callback handler
 *   ignores (first answer wins).
 * - Warning: when the count after the call reaches `warnAt × cap` the result carries
 *   `warning` (every call from then on), and the crossing call also logs it at warn level.
 */
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible'
import { z } from 'zod'
import { correlationIdSchema } from './clay.callback.core.ts'
import {
  normaliseHandle,
  OUTREACH_PLATFORMS,
  type OutreachPlatform,
} from './influencers-club.filters.core.ts'

/** Header carrying the webhook's authentication token. */
export const CLAY_AUTH_HEADER = 'x-clay-webhook-auth'
/** Lifetime submissions of one Clay webhook source. */
export const CLAY_LIFETIME_CAP = 50_000
/** Records per second we send. */
export const CLAY_RATE_PER_SECOND = 10

const httpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s)
      return u.protocol === 'http:' || u.protocol === 'https:'
    } catch {
      return false
    }
  }, 'an http(s) URL')

/** One row as posted to the webhook, strict. */
export const clayRowSchema = z.strictObject({
  correlation_id: correlationIdSchema,
  callback_url: httpUrl,
  handle: z.string().min(1).max(200),
  platform: z.enum(OUTREACH_PLATFORMS),
  full_name: z.string().max(500),
  profile_url: httpUrl,
})
export type ClayRow = z.infer<typeof clayRowSchema>

/**
 * The public profile URL of a handle (for Clay's waterfall): instagram.com/<h>/,
 * tiktok.com/@<h>, youtube.com/@<h>, twitch.tv/<h>, x.com/<h>, onlyfans.com/<h>.
 * The handle is normalised (`@` dropped, lower-cased) and percent-encoded.
 */
export function profileUrl(platform: OutreachPlatform, handle: string): string {
  const h = encodeURIComponent(normaliseHandle(handle))
  switch (platform) {
    case 'instagram':
      return `https://www.instagram.com/${h}/`
    case 'tiktok':
      return `https://www.tiktok.com/@${h}`
    case 'youtube':
      return `https://www.youtube.com/@${h}`
    case 'twitch':
      return `https://www.twitch.tv/${h}`
    case 'twitter':
      return `https://x.com/${h}`
    case 'onlyfans':
      return `https://onlyfans.com/${h}`
  }
}

export type ClayErrorCode =
  | 'invalid_row' // a row failed the strict schema; nothing was sent
  | 'cap_reached' // the lifetime cap would be exceeded; nothing was sent
  | 'unauthorized' // 401: wrong or missing token
  | 'forbidden' // 403: Clay refuses the webhook (disabled, its own cap)
  | 'rejected' // another 4xx for that row
  | 'rate_limited' // still 429 after the retries
  | 'server_error' // still 5xx after the retries
  | 'timeout'
  | 'network'

/** A failure of the whole call (thrown) or of one row (in its outcome). */
export class ClayError extends Error {
  override name = 'ClayError'
  constructor(
    message: string,
    readonly status: number,
    readonly code: ClayErrorCode,
    readonly retryable: boolean,
  ) {
    super(message)
  }
}

/** Sending the rows would pass the webhook's lifetime cap; nothing was sent. */
export class ClayCapError extends ClayError {
  override name = 'ClayCapError'
  constructor(
    readonly used: number,
    readonly cap: number,
    readonly requested: number,
  ) {
    super(`Clay webhook cap: ${used} of ${cap} used, ${requested} more refused`, 0, 'cap_reached', false)
  }
  /** Rows that still fit. */
  get remaining(): number {
    return Math.max(0, this.cap - this.used)
  }
}

export interface ClayRowOutcome {
  correlation_id: string
  /** submitted: Clay answered 2xx; failed: tried and refused/unreachable; not_sent: batch stopped before it. */
  status: 'submitted' | 'failed' | 'not_sent'
  /** Last HTTP status (0: none). */
  httpStatus: number
  code?: ClayErrorCode
  /** Attempts made (0 for not_sent). */
  attempts: number
}

export interface ClayCapWarning {
  /** Submissions counted after this call. */
  used: number
  cap: number
  /** used / cap. */
  share: number
  /** This call crossed `warnAt × cap`. */
  crossed: boolean
}

export interface ClaySubmitResult {
  outcomes: ClayRowOutcome[]
  submitted: number
  /** `submittedSoFar()` at the start + rows submitted now. */
  used: number
  cap: number
  warning: ClayCapWarning | null
}

export interface ClayClientOptions {
  /** The table's webhook URL (operator config). */
  webhookUrl: string
  /** The webhook's authentication token, sent as `x-clay-webhook-auth` when set. Secret. */
  authToken?: string
  /** Records per second (default 10). */
  ratePerSecond?: number
  /** Lifetime submissions of the webhook (default 50,000). */
  lifetimeCap?: number
  /** Warn at this share of the cap (default 0.9). */
  warnAt?: number
  /** Rows ever submitted to this webhook (our count). */
  submittedSoFar: () => Promise<number>
  logger?: { warn(obj: object, msg: string): void }
  /** Per-request timeout, ms (default 15,000). */
  timeoutMs?: number
  /** Retries per row after the first attempt (default 3). */
  maxRetries?: number
  /** First backoff, ms, doubling (default 500). */
  baseBackoffMs?: number
  /** Longest wait, ms (default 30,000). */
  maxBackoffMs?: number
  /** Sleep for retry waits (default real). */
  sleep?: (ms: number) => Promise<void>
}

export interface ClayClient {
  /**
   * Submit rows, in order (see the file header).
   * @throws ClayError `invalid_row` (nothing sent), ClayCapError (nothing sent), or an
   *   error of `submittedSoFar`
   */
  submit(rows: readonly ClayRow[]): Promise<ClaySubmitResult>
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Create a client; see the file header. */
export function createClayClient(opts: ClayClientOptions): ClayClient {
  const parsedUrl = httpUrl.safeParse(opts.webhookUrl)
  if (!parsedUrl.success) throw new RangeError('webhookUrl must be an http(s) URL')
  const rate = opts.ratePerSecond ?? CLAY_RATE_PER_SECOND
  const cap = opts.lifetimeCap ?? CLAY_LIFETIME_CAP
  const warnAt = opts.warnAt ?? 0.9
  if (!(rate > 0)) throw new RangeError('ratePerSecond must be > 0')
  if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError('lifetimeCap must be an integer ≥ 0')
  if (!(warnAt > 0 && warnAt <= 1)) throw new RangeError('warnAt must be in (0, 1]')
  const timeoutMs = opts.timeoutMs ?? 15_000
  const maxRetries = opts.maxRetries ?? 3
  const baseBackoffMs = opts.baseBackoffMs ?? 500
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000
  const sleep = opts.sleep ?? realSleep
  // 5% slack over 1/rate: evenly spaced requests keep any 1 s window ≤ rate even when one
  // request reaches Clay up to ~50 ms later than the next (loaded event loop, network).
  const queue = new RateLimiterQueue(new RateLimiterMemory({ points: 1, duration: 1.05 / rate }))
  const backoff = (attempt: number) => Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt)
  let tail: Promise<unknown> = Promise.resolve()

  /** One row with retries: its outcome and whether the batch must stop. */
  async function sendRow(row: ClayRow): Promise<{ outcome: ClayRowOutcome; stop: boolean }> {
    const body = JSON.stringify(row)
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (opts.authToken) headers[CLAY_AUTH_HEADER] = opts.authToken
    let waitMs = 0
    let last: { httpStatus: number; code: ClayErrorCode } = { httpStatus: 0, code: 'network' }
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) await sleep(waitMs)
      await queue.removeTokens(1)
      const done = (status: ClayRowOutcome['status'], httpStatus: number, code?: ClayErrorCode) => ({
        correlation_id: row.correlation_id,
        status,
        httpStatus,
        attempts: attempt + 1,
        ...(code ? { code } : {}),
      })
      let res: Response
      try {
        res = await fetch(opts.webhookUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await res.arrayBuffer() // drain: keeps the connection reusable
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        last = { httpStatus: 0, code: timedOut ? 'timeout' : 'network' }
        waitMs = backoff(attempt)
        continue
      }
      if (res.ok) return { outcome: done('submitted', res.status), stop: false }
      if (res.status === 429) {
        last = { httpStatus: 429, code: 'rate_limited' }
        waitMs = Math.min(maxBackoffMs, retryAfterMs(res.headers.get('retry-after')) ?? backoff(attempt))
        continue
      }
      if (res.status >= 500) {
        last = { httpStatus: res.status, code: 'server_error' }
        waitMs = backoff(attempt)
        continue
      }
      if (res.status === 401) return { outcome: done('failed', 401, 'unauthorized'), stop: true }
      if (res.status === 403) return { outcome: done('failed', 403, 'forbidden'), stop: true }
      return { outcome: done('failed', res.status, 'rejected'), stop: false }
    }
    return {
      outcome: {
        correlation_id: row.correlation_id,
        status: 'failed',
        httpStatus: last.httpStatus,
        code: last.code,
        attempts: maxRetries + 1,
      },
      stop: true,
    }
  }

  async function run(rows: readonly ClayRow[]): Promise<ClaySubmitResult> {
    for (const [i, row] of rows.entries()) {
      const r = clayRowSchema.safeParse(row)
      if (!r.success) {
        const issue = r.error.issues[0]
        throw new ClayError(`row ${i}: ${issue?.path.join('.')}: ${issue?.message}`, 0, 'invalid_row', false)
      }
    }
    const before = await opts.submittedSoFar()
    if (!Number.isSafeInteger(before) || before < 0)
      throw new RangeError('submittedSoFar must be an integer ≥ 0')
    if (before + rows.length > cap) throw new ClayCapError(before, cap, rows.length)

    const outcomes: ClayRowOutcome[] = []
    let stopped = false
    for (const row of rows) {
      if (stopped) {
        outcomes.push({ correlation_id: row.correlation_id, status: 'not_sent', httpStatus: 0, attempts: 0 })
        continue
      }
      const { outcome, stop } = await sendRow(row)
      outcomes.push(outcome)
      stopped = stop
    }
    const submitted = outcomes.filter((o) => o.status === 'submitted').length
    const used = before + submitted
    const threshold = warnAt * cap
    let warning: ClayCapWarning | null = null
    if (used >= threshold) {
      warning = { used, cap, share: cap === 0 ? 1 : used / cap, crossed: before < threshold }
      if (warning.crossed) {
        opts.logger?.warn(
          { used, cap, share: warning.share },
          'Clay webhook near its lifetime submission cap: create a new webhook source soon',
        )
      }
    }
    return { outcomes, submitted, used, cap, warning }
  }

  return {
    submit(rows) {
      const p = tail.then(() => run(rows))
      tail = p.catch(() => undefined)
      return p
    },
  }
}

/** `Retry-After` delta-seconds as ms (Clay sends seconds); undefined when absent or not a number. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+(\.\d+)?$/.test(header.trim())) return undefined
  return Math.ceil(Number(header.trim()) * 1000)
}
