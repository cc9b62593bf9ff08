/**
 * TrafficStars advertiser API client: real HTTP through the project's SSRF-guarded fetch
 * (`src/platform/net/ssrf.ts`): every request resolves the base URL's host again and is
 * refused when any address is private, loopback or otherwise non-public, unless the client was
 * made with `allowPrivate` (`AUTOPILOT_ALLOW_PRIVATE`: simulators, tests). Checking the URL
 * once when an account is saved is not enough: the name could later resolve elsewhere (DNS
 * rebinding).
 *
 * API shapes come from public client code (TrafficStars publishes no official specification);
 * they live here and in `src/simulators/trafficstars/trafficstars.simulator.ts` only:
 * - `POST /v1/auth/token` (form: `grant_type=refresh_token`, `refresh_token=<API key>`)
 *   → `{access_token, expires_in (s), token_type}`; Bearer access tokens.
 * - `GET /v1.1/campaigns/{id}` → `{id, name, active, status, max_daily, price, schedule_end_time}`
 *   (`max_daily` USD per day, `price` USD per 1000 clicks, end time `YYYY-MM-DD HH:MM:SS` UTC).
 * - `GET /v1.1/campaigns` → an array of those (or `{response: [...]}`).
 * - `PATCH /v1.1/campaigns/{id}` with `{max_daily?, schedule_end_time?}`.
 * - `PUT /v2/campaigns/run|pause` with `{"campaign_ids":[…]}` → `{success, failed, total}`.
 * - `GET /v1.1/advertiser/custom/report/by-day?date_from&date_to[&campaign_id]` → `[{day, amount}]`
 *   and `.../by-campaign?date_from&date_to` → `[{campaign_id, amount}]`; `amount` in USD, a number
 *   or a decimal string.
 *
 * Units: money out of this client is integer micros of USD (1 USD = 1,000,000); times in ms.
 *
 * Behaviour: the access token is cached until `refreshMarginMs` before `expires_in`; a 401 on
 * an API call drops it and re-authenticates exactly once. A client-side token bucket keeps
 * requests within the account's limit (about 100 per 60 s); a 429 is retried for every method
 * (the server did not process it) after `Retry-After` or exponential backoff; 5xx, network
 * errors and timeouts are retried for GET only (PATCH/PUT/POST surface at once, their effect
 * being unknown). All retries are bounded by `maxRetries`.
 *
 * The API key is a secret: it is sent only in the token request body and never appears in
 * errors or logs (errors carry method, path, status and a truncated server message).
 */
import { z } from 'zod'
import { type Clock, nowMs, systemClock } from '../../platform/clock.ts'
import {
  FetchTimeoutError,
  type GuardedResponse,
  guardedFetch,
  SsrfBlockedError,
} from '../../platform/net/ssrf.ts'

// ---------------------------------------------------------------------------------------
// errors

/** Base of every error this client throws. Never contains the API key or an access token. */
export class TrafficStarsError extends Error {
  override name = 'TrafficStarsError'
}

/** The API key was refused, or a request stayed 401 after one re-authentication. */
export class TrafficStarsAuthError extends TrafficStarsError {
  override name = 'TrafficStarsAuthError'
}

/** Still 429 after the bounded retries. `retryAfterMs` is the server's last hint, if any. */
export class TrafficStarsRateLimitError extends TrafficStarsError {
  override name = 'TrafficStarsRateLimitError'
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message)
  }
}

/** A non-2xx answer other than 401/429 (after retries for GET). */
export class TrafficStarsHttpError extends TrafficStarsError {
  override name = 'TrafficStarsHttpError'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** No answer within `timeoutMs` (after retries for GET). */
export class TrafficStarsTimeoutError extends TrafficStarsError {
  override name = 'TrafficStarsTimeoutError'
}

/**
 * The base URL is, or resolves to, a non-public address and private targets are not allowed
 * (or its scheme is not http/https). Nothing was sent; not retried.
 */
export class TrafficStarsBlockedError extends TrafficStarsError {
  override name = 'TrafficStarsBlockedError'
}

/** The answer did not match the expected shape, or held a NaN/negative amount. */
export class TrafficStarsResponseError extends TrafficStarsError {
  override name = 'TrafficStarsResponseError'
}

// ---------------------------------------------------------------------------------------
// token bucket (pure)

/** A token bucket: at most `capacity + refillPerWindow × (T / windowMs)` takes in any span T. */
export interface TokenBucketConfig {
  /** Burst size, tokens (≥ 1). */
  capacity: number
  /** Tokens added per `windowMs`, spread evenly. */
  refillPerWindow: number
  /** Window length, ms. */
  windowMs: number
}

/** Bucket state: tokens (fractional) at time `at` (ms). */
export interface TokenBucketState {
  tokens: number
  at: number
}

/**
 * Default: 20 burst + 80 per 60 s, so any 60 s span holds at most 100 requests (the observed
 * TrafficStars limit) while sustaining 80 per minute.
 */
export const DEFAULT_BUCKET: TokenBucketConfig = { capacity: 20, refillPerWindow: 80, windowMs: 60_000 }

export function initialBucket(cfg: TokenBucketConfig, now: number): TokenBucketState {
  return { tokens: cfg.capacity, at: now }
}

/**
 * Try to take one token at `now` (ms). Pure: returns the next state and, when no token is
 * available, how long to wait (ms) before one is.
 */
export function takeToken(
  cfg: TokenBucketConfig,
  state: TokenBucketState,
  now: number,
): { ok: true; state: TokenBucketState } | { ok: false; state: TokenBucketState; waitMs: number } {
  const rate = cfg.refillPerWindow / cfg.windowMs
  const elapsed = Math.max(0, now - state.at)
  const tokens = Math.min(cfg.capacity, state.tokens + elapsed * rate)
  const at = Math.max(now, state.at)
  if (tokens >= 1) return { ok: true, state: { tokens: tokens - 1, at } }
  return { ok: false, state: { tokens, at }, waitMs: Math.max(1, Math.ceil((1 - tokens) / rate)) }
}

// ---------------------------------------------------------------------------------------
// money

const DECIMAL = /^\d+(\.\d+)?$/

/**
 * A report `amount` (USD, number or decimal string) as integer micros of USD, rounded half up
 * at the 6th decimal. Throws `TrafficStarsResponseError` on NaN, infinite, negative or
 * non-decimal input.
 */
export function amountToMicros(amount: unknown): number {
  if (typeof amount === 'number') {
    if (!Number.isFinite(amount) || amount < 0)
      throw new TrafficStarsResponseError(`invalid amount ${amount}`)
    return Math.round(amount * 1_000_000)
  }
  if (typeof amount === 'string') {
    const s = amount.trim()
    if (!DECIMAL.test(s))
      throw new TrafficStarsResponseError(`invalid amount ${JSON.stringify(s.slice(0, 40))}`)
    const [int = '0', frac = ''] = s.split('.')
    const padded = (frac + '0000000').slice(0, 7)
    const micros = Number(int) * 1_000_000 + Number(padded.slice(0, 6)) + (Number(padded[6]) >= 5 ? 1 : 0)
    if (!Number.isSafeInteger(micros)) throw new TrafficStarsResponseError('amount out of range')
    return micros
  }
  throw new TrafficStarsResponseError(`invalid amount type ${typeof amount}`)
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) for a time in ms, the format of `schedule_end_time`. */
export function formatTsTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/** `YYYY-MM-DD` (UTC) for a time in ms, the format of report dates. */
export function formatTsDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

// ---------------------------------------------------------------------------------------
// shapes

const TS_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string(),
})

const campaignSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().optional(),
  active: z.boolean(),
  status: z.string(),
  max_daily: z.union([z.number(), z.string()]).nullable(),
  price: z.union([z.number(), z.string()]),
  schedule_end_time: z.string().nullable(),
})

const campaignListSchema = z.union([z.array(campaignSchema), z.object({ response: z.array(campaignSchema) })])

const idSchema = z.union([
  z.number().int(),
  z.object({ id: z.number().int() }).transform((o) => o.id),
  z.object({ campaign_id: z.number().int() }).transform((o) => o.campaign_id),
])
const bulkSchema = z.object({
  success: z.array(idSchema),
  failed: z.array(idSchema),
  total: z.number().int(),
})

const rowsOf = <T extends z.ZodType>(row: T) => z.union([z.array(row), z.object({ response: z.array(row) })])
const byDaySchema = rowsOf(z.looseObject({ day: z.string(), amount: z.unknown() }))
const byCampaignSchema = rowsOf(z.looseObject({ campaign_id: z.number().int(), amount: z.unknown() }))

/** A campaign as this client returns it. Money in integer micros of USD. */
export interface TrafficStarsCampaign {
  id: number
  name: string | undefined
  active: boolean
  status: string
  /** Daily budget, micros of USD; null when the API has none. */
  maxDailyMicros: number | null
  /** Price per 1000 clicks, micros of USD. */
  priceMicros: number
  /** `YYYY-MM-DD HH:MM:SS` UTC as sent by the API, or null. */
  scheduleEndTime: string | null
  /** The raw object (the spent lookup, `resolveSpent`, reads a `spent` field when present). */
  raw: Record<string, unknown>
}

/** Outcome of a bulk run/pause for one requested campaign. */
export interface BulkResult {
  id: number
  ok: boolean
}

export interface SpendDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string
  micros: number
}

export interface SpendCampaign {
  campaignId: number
  micros: number
}

// ---------------------------------------------------------------------------------------
// client

export interface TrafficStarsClientOptions {
  /** e.g. `https://api.trafficstars.com` or a simulator URL; no trailing path. */
  baseUrl: string
  /** The account's API key (the OAuth2 refresh token). Secret. */
  apiKey: string
  /** Drives the token cache and the bucket (default the system clock). */
  clock?: Clock
  /**
   * Allow base URLs on private, loopback and other non-public addresses (simulators, tests);
   * default false. Checked on every request, after resolving the host.
   */
  allowPrivate?: boolean
  /** Sleep, ms (default real `setTimeout`). Tests pass one that advances a simulated clock. */
  sleep?: (ms: number) => Promise<void>
  /** Per-request timeout, ms (default 10,000). */
  timeoutMs?: number
  /** Retries after the first attempt (default 4). */
  maxRetries?: number
  /** First backoff delay, ms, doubling per retry (default 500). */
  baseBackoffMs?: number
  /** Longest single wait on `Retry-After` or backoff, ms (default 60,000). */
  maxBackoffMs?: number
  /** Refresh the access token this long before it expires, ms (default 60,000). */
  refreshMarginMs?: number
  /** Client-side limiter (default `DEFAULT_BUCKET`). */
  bucket?: TokenBucketConfig
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT'

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Largest answer kept (bytes): a campaign list of thousands of campaigns fits easily. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024

export class TrafficStarsClient {
  readonly #baseUrl: string
  readonly #apiKey: string
  readonly #clock: Clock
  readonly #allowPrivate: boolean
  readonly #sleep: (ms: number) => Promise<void>
  readonly #timeoutMs: number
  readonly #maxRetries: number
  readonly #baseBackoffMs: number
  readonly #maxBackoffMs: number
  readonly #refreshMarginMs: number
  readonly #bucketCfg: TokenBucketConfig
  #bucket: TokenBucketState
  #token: { value: string; expiresAt: number } | undefined
  #authInFlight: Promise<string> | undefined

  constructor(opts: TrafficStarsClientOptions) {
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#apiKey = opts.apiKey
    this.#clock = opts.clock ?? systemClock
    this.#allowPrivate = opts.allowPrivate ?? false
    this.#sleep = opts.sleep ?? realSleep
    this.#timeoutMs = opts.timeoutMs ?? 10_000
    this.#maxRetries = opts.maxRetries ?? 4
    this.#baseBackoffMs = opts.baseBackoffMs ?? 500
    this.#maxBackoffMs = opts.maxBackoffMs ?? 60_000
    this.#refreshMarginMs = opts.refreshMarginMs ?? 60_000
    this.#bucketCfg = opts.bucket ?? DEFAULT_BUCKET
    this.#bucket = initialBucket(this.#bucketCfg, this.#nowMs())
  }

  #nowMs(): number {
    return nowMs(this.#clock)
  }

  /** Never reveal the key through inspection or JSON. */
  toJSON(): Record<string, string> {
    return { baseUrl: this.#baseUrl }
  }

  async getCampaign(id: number): Promise<TrafficStarsCampaign> {
    const body = await this.#api('GET', `/v1.1/campaigns/${checkId(id)}`)
    return toCampaign(parse(campaignSchema, body, 'campaign'))
  }

  async listCampaigns(): Promise<TrafficStarsCampaign[]> {
    const body = parse(campaignListSchema, await this.#api('GET', '/v1.1/campaigns'), 'campaign list')
    return (Array.isArray(body) ? body : body.response).map(toCampaign)
  }

  /**
   * Set the daily budget (micros of USD, sent as USD) and/or the end time (ms, sent as
   * `YYYY-MM-DD HH:MM:SS` UTC). Returns the campaign as the API answers it.
   */
  async patchCampaign(
    id: number,
    patch: { maxDailyMicros?: number; scheduleEndTime?: number },
  ): Promise<TrafficStarsCampaign> {
    const body: Record<string, unknown> = {}
    if (patch.maxDailyMicros !== undefined) {
      if (!Number.isSafeInteger(patch.maxDailyMicros) || patch.maxDailyMicros < 0) {
        throw new RangeError('maxDailyMicros must be a non-negative integer')
      }
      body.max_daily = patch.maxDailyMicros / 1_000_000
    }
    if (patch.scheduleEndTime !== undefined) {
      if (!Number.isFinite(patch.scheduleEndTime)) throw new RangeError('scheduleEndTime must be finite')
      body.schedule_end_time = formatTsTime(patch.scheduleEndTime)
    }
    const answer = await this.#api('PATCH', `/v1.1/campaigns/${checkId(id)}`, body)
    return toCampaign(parse(campaignSchema, answer, 'campaign'))
  }

  runCampaigns(ids: readonly number[]): Promise<BulkResult[]> {
    return this.#bulk('run', ids)
  }

  pauseCampaigns(ids: readonly number[]): Promise<BulkResult[]> {
    return this.#bulk('pause', ids)
  }

  /** Spend per UTC day in [from, to] (ms), optionally for one campaign. */
  async getSpendByDay(range: { from: number; to: number; campaignId?: number }): Promise<SpendDay[]> {
    const q = new URLSearchParams({ date_from: formatTsDay(range.from), date_to: formatTsDay(range.to) })
    if (range.campaignId !== undefined) q.set('campaign_id', String(checkId(range.campaignId)))
    const body = parse(
      byDaySchema,
      await this.#api('GET', `/v1.1/advertiser/custom/report/by-day?${q}`),
      'by-day',
    )
    return (Array.isArray(body) ? body : body.response).map((r) => ({
      day: r.day,
      micros: amountToMicros(r.amount),
    }))
  }

  /** Spend per campaign over the UTC days in [from, to] (ms). */
  async getSpendByCampaign(range: { from: number; to: number }): Promise<SpendCampaign[]> {
    const q = new URLSearchParams({ date_from: formatTsDay(range.from), date_to: formatTsDay(range.to) })
    const path = `/v1.1/advertiser/custom/report/by-campaign?${q}`
    const body = parse(byCampaignSchema, await this.#api('GET', path), 'by-campaign')
    return (Array.isArray(body) ? body : body.response).map((r) => ({
      campaignId: r.campaign_id,
      micros: amountToMicros(r.amount),
    }))
  }

  async #bulk(action: 'run' | 'pause', ids: readonly number[]): Promise<BulkResult[]> {
    if (ids.length === 0) return []
    const unique = [...new Set(ids.map(checkId))]
    const answer = parse(
      bulkSchema,
      await this.#api('PUT', `/v2/campaigns/${action}`, { campaign_ids: unique }),
      `bulk ${action}`,
    )
    const success = new Set(answer.success)
    // An id the answer names in neither list is not known to have changed: report it failed.
    return unique.map((id) => ({ id, ok: success.has(id) && !answer.failed.includes(id) }))
  }

  /** An authenticated API call: Bearer token, one re-auth on 401. Returns parsed JSON. */
  async #api(method: Method, path: string, body?: unknown): Promise<unknown> {
    let token = await this.#accessToken()
    let res = await this.#send(method, path, body, token)
    if (res.status === 401) {
      this.#token = undefined
      token = await this.#accessToken()
      res = await this.#send(method, path, body, token)
      if (res.status === 401)
        throw new TrafficStarsAuthError(`${method} ${stripQuery(path)}: 401 after re-authentication`)
    }
    return res.json
  }

  async #accessToken(): Promise<string> {
    const cached = this.#token
    if (cached && this.#nowMs() < cached.expiresAt - this.#refreshMarginMs) return cached.value
    this.#authInFlight ??= this.#authenticate().finally(() => {
      this.#authInFlight = undefined
    })
    return this.#authInFlight
  }

  async #authenticate(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.#apiKey })
    const res = await this.#send('POST', '/v1/auth/token', form, undefined)
    if (res.status === 401 || res.status === 400 || res.status === 403) {
      throw new TrafficStarsAuthError(`token request refused (${res.status})`)
    }
    const t = parse(tokenSchema, res.json, 'token')
    this.#token = { value: t.access_token, expiresAt: this.#nowMs() + t.expires_in * 1000 }
    return t.access_token
  }

  /**
   * One request with limiter, timeout and bounded retries. Returns 2xx and 401 answers (the
   * caller decides about 401); throws typed errors for everything else.
   */
  async #send(
    method: Method,
    path: string,
    body: unknown,
    token: string | undefined,
  ): Promise<{ status: number; json: unknown }> {
    const idempotent = method === 'GET'
    const what = `${method} ${stripQuery(path)}`
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#maxRetries
      await this.#acquire()
      const headers: Record<string, string> = { accept: 'application/json' }
      if (token) headers.authorization = `Bearer ${token}`
      let payload: string | undefined
      if (body instanceof URLSearchParams) {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        payload = body.toString()
      } else if (body !== undefined) {
        headers['content-type'] = 'application/json'
        payload = JSON.stringify(body)
      }
      let res: GuardedResponse
      try {
        res = await guardedFetch(this.#baseUrl + path, {
          method,
          headers,
          ...(payload !== undefined ? { body: payload } : {}),
          allowPrivate: this.#allowPrivate,
          timeoutMs: this.#timeoutMs,
          maxBodyBytes: MAX_ANSWER_BYTES,
        })
      } catch (err) {
        if (err instanceof SsrfBlockedError) {
          // The message names the host and the refused address, never the path's query or the key.
          throw new TrafficStarsBlockedError(`${what}: ${err.message}`)
        }
        if (idempotent && !last) {
          await this.#sleep(this.#backoff(attempt))
          continue
        }
        if (err instanceof FetchTimeoutError)
          throw new TrafficStarsTimeoutError(`${what}: no answer within ${this.#timeoutMs} ms`)
        throw new TrafficStarsError(`${what}: network error (${networkErrorName(err)})`)
      }
      if (res.truncated)
        throw new TrafficStarsResponseError(`${what}: answer larger than ${MAX_ANSWER_BYTES} bytes`)
      const text = res.body.toString('utf8')
      if (res.status === 429) {
        const hint = retryAfterMs(headerOf(res, 'retry-after'), this.#nowMs())
        if (last) throw new TrafficStarsRateLimitError(`${what}: 429 after ${attempt + 1} attempts`, hint)
        await this.#sleep(Math.min(this.#maxBackoffMs, hint ?? this.#backoff(attempt)))
        continue
      }
      if (res.status >= 500 && idempotent && !last) {
        await this.#sleep(this.#backoff(attempt))
        continue
      }
      if (res.status === 401) return { status: 401, json: undefined }
      if (res.status < 200 || res.status >= 300) {
        throw new TrafficStarsHttpError(
          `${what}: HTTP ${res.status} ${safeSnippet(text, this.#apiKey)}`,
          res.status,
        )
      }
      let json: unknown
      try {
        json = text === '' ? undefined : JSON.parse(text)
      } catch {
        throw new TrafficStarsResponseError(`${what}: answer is not JSON`)
      }
      return { status: res.status, json }
    }
  }

  #backoff(attempt: number): number {
    return Math.min(this.#maxBackoffMs, this.#baseBackoffMs * 2 ** attempt)
  }

  async #acquire(): Promise<void> {
    for (;;) {
      const r = takeToken(this.#bucketCfg, this.#bucket, this.#nowMs())
      this.#bucket = r.state
      if (r.ok) return
      await this.#sleep(r.waitMs)
    }
  }
}

/** A response header as one string (the first value of a repeated one), or null. */
function headerOf(res: GuardedResponse, name: string): string | null {
  const v = res.headers[name]
  return (Array.isArray(v) ? v[0] : v) ?? null
}

/** The error code Node gives a failed connection (ECONNREFUSED, ENOTFOUND, …), else its name. */
function networkErrorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown'
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' ? code : err.name
}

function checkId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`invalid campaign id ${id}`)
  return id
}

function stripQuery(path: string): string {
  const i = path.indexOf('?')
  return i < 0 ? path : path.slice(0, i)
}

/** At most 120 characters of a server message, with the key redacted should it be echoed. */
function safeSnippet(text: string, secret: string): string {
  const s = secret ? text.split(secret).join('[redacted]') : text
  return s.slice(0, 120)
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or invalid. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  const s = header.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s) * 1000)
  const at = Date.parse(s)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value)
  if (!r.success)
    throw new TrafficStarsResponseError(`unexpected ${what} answer: ${r.error.issues[0]?.message}`)
  return r.data
}

function toCampaign(c: z.infer<typeof campaignSchema>): TrafficStarsCampaign {
  if (c.schedule_end_time !== null && !TS_TIME.test(c.schedule_end_time)) {
    throw new TrafficStarsResponseError(`campaign ${c.id}: bad schedule_end_time`)
  }
  return {
    id: c.id,
    name: c.name,
    active: c.active,
    status: c.status,
    maxDailyMicros: c.max_daily === null ? null : amountToMicros(c.max_daily),
    priceMicros: amountToMicros(c.price),
    scheduleEndTime: c.schedule_end_time,
    raw: c,
  }
}
