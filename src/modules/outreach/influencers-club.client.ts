/**
 * Influencers Club discovery client: one call, `discover(body)`, over real HTTP (`fetch`).
 * Shapes and their source: `influencers-club.contract.ts`; the body comes from
 * `discoveryRequest` (`influencers-club.filters.core.ts`) and is parsed again by the strict
 * contract schema before it is sent (the API ignores unknown keys silently).
 *
 * The base URL is operator configuration (not a customer's), so requests go through plain
 * `fetch`, not the SSRF guard.
 *
 * Behaviour:
 * - Pacing: at most `limitPerMinute` requests (default 300, the API's limit), spread evenly
 *   (one every 60,000 / limitPerMinute ms) by `rate-limiter-flexible` (a `RateLimiterQueue`
 *   over a one-point `RateLimiterMemory`), FIFO across concurrent callers. The library reads
 *   the system clock itself, so these waits are real time even when `sleep` is injected.
 * - Retries (bounded by `maxRetries`): 429 after `Retry-After` (delta-seconds or HTTP date)
 *   or exponential backoff; 5xx, timeouts and network errors after exponential backoff
 *   (`baseBackoffMs` × 2^attempt, at most `maxBackoffMs`). A retried 5xx may charge the
 *   page's credits twice (0.01 per creator per the vendor); bounded, accepted.
 * - Errors: `InfluencersClubError {status, code, retryable}`; the API key never appears in
 *   one (server messages are cut to 200 characters with the key redacted).
 */
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible'
import { type Clock, nowMs, systemClock } from '../../platform/clock.ts'
import {
  IC_DISCOVERY_PATH,
  IC_RATE_LIMIT_PER_MINUTE,
  type IcDiscoveryRequest,
  icDiscoveryRequestSchema,
  icDiscoveryResponseSchema,
  icErrorBodySchema,
} from './influencers-club.contract.ts'

/** What went wrong, machine-readable. */
export type InfluencersClubErrorCode =
  | 'invalid_request' // our body failed the strict contract; nothing was sent
  | 'unauthorized' // 401/403: wrong or revoked API key
  | 'bad_request' // 400/404/422 and other 4xx: the API refused the body
  | 'rate_limited' // still 429 after the retries
  | 'server_error' // still 5xx after the retries
  | 'timeout' // no answer within timeoutMs, after the retries
  | 'network' // connection failed, after the retries
  | 'invalid_response' // 2xx whose body is not the documented shape

/**
 * Every failure of this client. `status`: the last HTTP status (0 when there was none);
 * `retryable`: whether trying again later may succeed (429, 5xx, timeout, network).
 */
export class InfluencersClubError extends Error {
  override name = 'InfluencersClubError'
  constructor(
    message: string,
    readonly status: number,
    readonly code: InfluencersClubErrorCode,
    readonly retryable: boolean,
    /** The server's hint from the last 429, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/** A discovered creator: the fields we store, plus the raw `profile` (no email: discovery has none). */
export interface DiscoveredCreator {
  /** Influencers Club `user_id` (our `outreach_creators.external_id`). */
  user_id: string
  username: string
  full_name: string
  followers: number | null
  engagement_percent: number | null
  /** The account's `profile` object as answered (unknown fields kept). */
  profile: Record<string, unknown>
}

export interface DiscoverResult {
  creators: DiscoveredCreator[]
  /** The page asked for (0-indexed). */
  page: number
  /** Whether the next page may hold more: a full page, and `total` (when given) not reached. */
  hasMore: boolean
  /** The API's `total` for the query, when it sent one. */
  total: number | undefined
}

export interface InfluencersClubClientOptions {
  /** e.g. `https://api-dashboard.influencers.club` or a simulator URL; no path. */
  baseUrl: string
  /** The account's API key (Bearer). Secret. */
  apiKey: string
  /** For `Retry-After` HTTP dates (default the system clock). */
  clock?: Clock
  /** Sleep for retry waits, ms (default real `setTimeout`); tests advance a simulated clock. */
  sleep?: (ms: number) => Promise<void>
  /** Per-request timeout, ms (default 30,000, the vendor client's). */
  timeoutMs?: number
  /** Retries after the first attempt (default 4). */
  maxRetries?: number
  /** First backoff, ms, doubling per retry (default 500). */
  baseBackoffMs?: number
  /** Longest single wait, ms (default 60,000). */
  maxBackoffMs?: number
  /** Client-side pacing, requests per minute (default 300). */
  limitPerMinute?: number
}

export interface InfluencersClubClient {
  /**
   * One page of discovery.
   * @param body from `discoveryRequest` (parsed again by the strict contract here)
   * @throws InfluencersClubError (code `invalid_request` before anything is sent)
   */
  discover(body: IcDiscoveryRequest): Promise<DiscoverResult>
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Create a client; see the file header for pacing, retries and errors. */
export function createInfluencersClubClient(opts: InfluencersClubClientOptions): InfluencersClubClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '')
  const clock = opts.clock ?? systemClock
  const sleep = opts.sleep ?? realSleep
  const timeoutMs = opts.timeoutMs ?? 30_000
  const maxRetries = opts.maxRetries ?? 4
  const baseBackoffMs = opts.baseBackoffMs ?? 500
  const maxBackoffMs = opts.maxBackoffMs ?? 60_000
  const perMinute = opts.limitPerMinute ?? IC_RATE_LIMIT_PER_MINUTE
  if (!(perMinute > 0)) throw new RangeError('limitPerMinute must be > 0')
  // One point per (60 / perMinute) s: requests evenly spaced, so no 60 s window (sliding or
  // fixed) ever holds more than perMinute of them.
  const queue = new RateLimiterQueue(new RateLimiterMemory({ points: 1, duration: 60 / perMinute }))
  const backoff = (attempt: number) => Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt)
  const redact = (s: string) => (opts.apiKey ? s.split(opts.apiKey).join('[redacted]') : s).slice(0, 200)

  async function post(payload: string): Promise<unknown> {
    let last: InfluencersClubError | undefined
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0 && last) {
        const hint = last.retryAfterMs
        await sleep(Math.min(maxBackoffMs, hint ?? backoff(attempt - 1)))
      }
      await queue.removeTokens(1)
      let res: Response
      try {
        res = await fetch(baseUrl + IC_DISCOVERY_PATH, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${opts.apiKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        last = timedOut
          ? new InfluencersClubError(`discovery: no answer within ${timeoutMs} ms`, 0, 'timeout', true)
          : new InfluencersClubError(
              `discovery: network error (${networkErrorName(err)})`,
              0,
              'network',
              true,
            )
        continue
      }
      const text = await res.text()
      if (res.ok) {
        try {
          return JSON.parse(text)
        } catch {
          throw new InfluencersClubError(
            'discovery: answer is not JSON',
            res.status,
            'invalid_response',
            false,
          )
        }
      }
      const message = `discovery: HTTP ${res.status} ${redact(errorMessage(text))}`
      if (res.status === 429) {
        const hint = retryAfterMs(res.headers.get('retry-after'), nowMs(clock))
        last = new InfluencersClubError(message, 429, 'rate_limited', true, hint)
        continue
      }
      if (res.status >= 500) {
        last = new InfluencersClubError(message, res.status, 'server_error', true)
        continue
      }
      if (res.status === 401 || res.status === 403) {
        throw new InfluencersClubError(message, res.status, 'unauthorized', false)
      }
      throw new InfluencersClubError(message, res.status, 'bad_request', false)
    }
    throw last!
  }

  return {
    async discover(body) {
      const checked = icDiscoveryRequestSchema.safeParse(body)
      if (!checked.success) {
        const i = checked.error.issues[0]
        throw new InfluencersClubError(
          `discovery: invalid request (${i?.path.join('.')}: ${i?.message})`,
          0,
          'invalid_request',
          false,
        )
      }
      const answer = icDiscoveryResponseSchema.safeParse(await post(JSON.stringify(checked.data)))
      if (!answer.success) {
        const i = answer.error.issues[0]
        throw new InfluencersClubError(
          `discovery: unexpected answer (${i?.path.join('.')}: ${i?.message})`,
          200,
          'invalid_response',
          false,
        )
      }
      const accounts = answer.data.accounts ?? answer.data.results ?? []
      const total = answer.data.total ?? undefined
      const { page, limit } = checked.data.paging
      const creators = accounts.map((a) => ({
        user_id: a.user_id,
        username: a.profile.username,
        full_name: a.profile.full_name ?? '',
        followers: a.profile.followers ?? null,
        engagement_percent: a.profile.engagement_percent ?? null,
        profile: a.profile as Record<string, unknown>,
      }))
      const hasMore = accounts.length >= limit && (total === undefined || (page + 1) * limit < total)
      return { creators, page, hasMore, total }
    },
  }
}

/** The human part of an error body (`detail` / `message` / `error`), else the text itself. */
function errorMessage(text: string): string {
  try {
    const r = icErrorBodySchema.safeParse(JSON.parse(text))
    if (r.success) return r.data.detail ?? r.data.message ?? r.data.error ?? text
  } catch {
    // not JSON: the raw text
  }
  return text
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  const s = header.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s) * 1000)
  const at = Date.parse(s)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function networkErrorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown'
  const cause = (err as { cause?: unknown }).cause
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (err as NodeJS.ErrnoException).code
  return typeof code === 'string' ? code : err.name
}
