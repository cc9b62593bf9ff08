/**
 * TrafficStars advertiser API simulator: a real `node:http` server on 127.0.0.1 (random port)
 * speaking the endpoints and shapes of `src/modules/autopilot/trafficstars.client.ts` (shapes
 * from public client code; see `src/modules/autopilot/README.md`):
 * - `POST /v1/auth/token` (form or JSON: `grant_type=refresh_token`, `refresh_token`) →
 *   `{access_token, expires_in (s), token_type: 'bearer'}`; 401 `invalid_grant` for unknown keys.
 * - `GET /v1.1/campaigns`, `GET|PATCH /v1.1/campaigns/{id}` (`max_daily`, `schedule_end_time`).
 * - `PUT /v2/campaigns/run|pause` `{campaign_ids}` → `{success, failed, total}`.
 * - `GET /v1.1/advertiser/custom/report/by-day|by-campaign?date_from&date_to[&campaign_id]`.
 *
 * Time is simulated: the clock starts at `startAt` and moves only through `advance(ms)`, which
 * also accrues spend for running campaigns (active, before their end time, under today's daily
 * budget) at `clicksPerMinute × price / 1000`. Days are UTC; spend starts over at midnight.
 * Access tokens expire on the simulated clock; the per-account rate limit (a sliding window,
 * default 100 requests per 60 s) runs on it too, answering 429 with `Retry-After` (s).
 *
 * Units: money in integer-ish micros of USD internally (`spendMicros` is fractional while it
 * accrues; reports floor it), USD on the wire; times in ms.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Clock } from '../../platform/clock.ts'

/** A simulated campaign. Mutate it directly to model changes made outside the API. */
export interface SimCampaign {
  id: number
  name: string
  active: boolean
  /** Daily budget, micros of USD. */
  maxDailyMicros: number
  /** Price per 1000 clicks, micros of USD. */
  priceMicros: number
  /** End time, ms (UTC), or null for none. */
  scheduleEndTime: number | null
  /** Clicks per minute while running; falls back to the simulator's `clicksPerMinute`. */
  clicksPerMinute?: number
  /** Spend per UTC day (`YYYY-MM-DD`), micros of USD (fractional while accruing). */
  spendMicros: Map<string, number>
  /** Clicks per UTC day, fractional while accruing. */
  clicks: Map<string, number>
}

export type SimCampaignInit = Pick<SimCampaign, 'id'> &
  Partial<Omit<SimCampaign, 'id' | 'spendMicros' | 'clicks'>>

/** A fault applied to the next `times` matching requests (default 1). */
export type SimFault =
  | { kind: 'timeout'; path?: string; times?: number }
  | { kind: 'http500'; path?: string; times?: number }
  | { kind: 'http429'; retryAfterS?: number; path?: string; times?: number }
  | { kind: 'failedIds'; ids: number[]; times?: number }

export interface SimRequest {
  method: string
  /** Path without the query. */
  path: string
  /** 0 when the simulator deliberately never answered (timeout fault). */
  status: number
  /** Simulated time, ms. */
  at: number
  account: string | undefined
}

export interface TrafficStarsSimulatorOptions {
  /** Accepted API keys (refresh tokens), one account each (default `['sim-api-key']`). */
  refreshTokens?: string[]
  /** Access-token lifetime, s (default 3600). */
  tokenTtlS?: number
  /** Simulated start time, ms (default 2026-01-01T00:00:00Z). */
  startAt?: number
  /** Default click rate of a running campaign, per minute (default 100). */
  clicksPerMinute?: number
  /** Requests per window per account (default 100 per 60,000 ms). */
  rateLimit?: { limit: number; windowMs: number }
  /** How report `amount`s are written (default 'number'). */
  amountFormat?: 'number' | 'string'
  /** Real delay before each answer, ms (default 0). */
  latencyMs?: number
  campaigns?: SimCampaignInit[]
}

export interface TrafficStarsSimulator {
  url: string
  stop(): Promise<void>
  /** Move the simulated clock forward, accruing spend. */
  advance(ms: number): void
  now(): number
  /** The simulated time as a {@link Clock}, for the client and the autopilot under test. */
  clock: Clock
  campaigns: Map<number, SimCampaign>
  addCampaign(init: SimCampaignInit): SimCampaign
  fault(f: SimFault): void
  /** Make every issued access token invalid (as if expired). */
  expireTokens(): void
  requests(): SimRequest[]
  /** Change how report amounts are written. */
  setAmountFormat(f: 'number' | 'string'): void
}

const DAY_MS = 86_400_000
const TS_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/
const DAY = /^\d{4}-\d{2}-\d{2}$/

const fmtDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const fmtTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')

function parseTsTime(s: string): number | undefined {
  const m = TS_TIME.exec(s)
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`)
  return Number.isNaN(ms) ? undefined : ms
}

/** Floor of micros as USD: a number, or an exact decimal string. */
function usd(micros: number, format: 'number' | 'string'): number | string {
  const m = Math.floor(micros)
  if (format === 'number') return m / 1_000_000
  return `${Math.floor(m / 1_000_000)}.${String(m % 1_000_000).padStart(6, '0')}`
}

export async function startTrafficStarsSimulator(
  opts: TrafficStarsSimulatorOptions = {},
): Promise<TrafficStarsSimulator> {
  const refreshTokens = new Set(opts.refreshTokens ?? ['sim-api-key'])
  const tokenTtlMs = (opts.tokenTtlS ?? 3600) * 1000
  const defaultCpm = opts.clicksPerMinute ?? 100
  const limit = opts.rateLimit ?? { limit: 100, windowMs: 60_000 }
  const latencyMs = opts.latencyMs ?? 0
  let amountFormat = opts.amountFormat ?? 'number'
  let now = opts.startAt ?? Date.UTC(2026, 0, 1)

  const campaigns = new Map<number, SimCampaign>()
  const tokens = new Map<string, { account: string; expiresAt: number }>()
  const windows = new Map<string, number[]>()
  const faults: (SimFault & { left: number })[] = []
  const log: SimRequest[] = []

  function addCampaign(init: SimCampaignInit): SimCampaign {
    const c: SimCampaign = {
      name: `campaign ${init.id}`,
      active: false,
      maxDailyMicros: 20_000_000,
      priceMicros: 1_000_000,
      scheduleEndTime: null,
      ...init,
      spendMicros: new Map(),
      clicks: new Map(),
    }
    campaigns.set(c.id, c)
    return c
  }
  for (const c of opts.campaigns ?? []) addCampaign(c)

  /** Accrue spend for c over [a, b) (ms), within one UTC day. */
  function accrue(c: SimCampaign, a: number, b: number) {
    if (!c.active) return
    const end = c.scheduleEndTime === null ? b : Math.min(b, c.scheduleEndTime)
    if (end <= a || c.priceMicros <= 0) return
    const day = fmtDay(a)
    const spent = c.spendMicros.get(day) ?? 0
    const room = c.maxDailyMicros - spent
    if (room <= 0) return
    const clicksPerMs = (c.clicksPerMinute ?? defaultCpm) / 60_000
    const microsPerClick = c.priceMicros / 1000
    const add = Math.min(room, (end - a) * clicksPerMs * microsPerClick)
    c.spendMicros.set(day, spent + add)
    c.clicks.set(day, (c.clicks.get(day) ?? 0) + add / microsPerClick)
  }

  function advance(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite ms ≥ 0')
    const target = now + ms
    while (now < target) {
      const segEnd = Math.min(target, (Math.floor(now / DAY_MS) + 1) * DAY_MS)
      for (const c of campaigns.values()) accrue(c, now, segEnd)
      now = segEnd
    }
  }

  function takeFault(path: string, kinds: SimFault['kind'][]): SimFault | undefined {
    const i = faults.findIndex(
      (f) => kinds.includes(f.kind) && (!('path' in f) || !f.path || path.startsWith(f.path)),
    )
    if (i < 0) return undefined
    const f = faults[i]!
    f.left -= 1
    if (f.left <= 0) faults.splice(i, 1)
    return f
  }

  /** Sliding-window limit on the simulated clock; returns Retry-After (s) when over. */
  function overLimit(account: string): number | undefined {
    const w = (windows.get(account) ?? []).filter((t) => t > now - limit.windowMs)
    windows.set(account, w)
    if (w.length >= limit.limit) return Math.max(1, Math.ceil((w[0]! + limit.windowMs - now) / 1000))
    w.push(now)
    return undefined
  }

  function campaignJson(c: SimCampaign) {
    return {
      id: c.id,
      name: c.name,
      active: c.active,
      status: c.active ? 'active' : 'paused',
      max_daily: c.maxDailyMicros / 1_000_000,
      price: c.priceMicros / 1_000_000,
      schedule_end_time: c.scheduleEndTime === null ? null : fmtTime(c.scheduleEndTime),
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://sim')
    const path = url.pathname
    const method = req.method ?? 'GET'
    const entry: SimRequest = { method, path, status: 0, at: now, account: undefined }
    log.push(entry)
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status
      const text = JSON.stringify(body)
      const out = () => {
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json', ...headers })
        res.end(text)
      }
      if (latencyMs > 0) setTimeout(out, latencyMs)
      else out()
    }

    if (method === 'POST' && path === '/v1/auth/token') {
      let form: Record<string, unknown>
      try {
        form = (req.headers['content-type'] ?? '').includes('json')
          ? (JSON.parse(raw) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(raw))
      } catch {
        return send(400, { error: 'invalid_request' })
      }
      const key = form.refresh_token
      if (form.grant_type !== 'refresh_token' || typeof key !== 'string' || !refreshTokens.has(key)) {
        return send(401, { error: 'invalid_grant' })
      }
      entry.account = key
      const retry = overLimit(key)
      if (retry !== undefined)
        return send(429, { error: 'too many requests' }, { 'retry-after': String(retry) })
      const token = randomBytes(16).toString('hex')
      tokens.set(token, { account: key, expiresAt: now + tokenTtlMs })
      return send(200, { access_token: token, expires_in: tokenTtlMs / 1000, token_type: 'bearer' })
    }

    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
    const session = auth ? tokens.get(auth[1]!) : undefined
    if (!session || session.expiresAt <= now) return send(401, { error: 'invalid_token' })
    entry.account = session.account
    const retry = overLimit(session.account)
    if (retry !== undefined)
      return send(429, { error: 'too many requests' }, { 'retry-after': String(retry) })

    const f = takeFault(path, ['timeout', 'http500', 'http429'])
    if (f?.kind === 'timeout') return // never answer; the client's timeout fires
    if (f?.kind === 'http500') return send(500, { error: 'internal error' })
    if (f?.kind === 'http429') {
      return send(429, { error: 'too many requests' }, { 'retry-after': String(f.retryAfterS ?? 1) })
    }

    let body: Record<string, unknown> = {}
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        return send(400, { error: 'invalid json' })
      }
    }

    if (method === 'GET' && path === '/v1.1/campaigns') {
      return send(200, [...campaigns.values()].map(campaignJson))
    }
    const one = /^\/v1\.1\/campaigns\/(\d+)$/.exec(path)
    if (one) {
      const c = campaigns.get(Number(one[1]))
      if (!c) return send(404, { error: 'campaign not found' })
      if (method === 'GET') return send(200, campaignJson(c))
      if (method === 'PATCH') {
        const md = body.max_daily
        const end = body.schedule_end_time
        const mdNum = typeof md === 'string' ? Number(md) : md
        if (md !== undefined && (typeof mdNum !== 'number' || !Number.isFinite(mdNum) || mdNum < 0)) {
          return send(400, { error: 'max_daily must be a non-negative number' })
        }
        const endMs = typeof end === 'string' ? parseTsTime(end) : undefined
        if (end !== undefined && end !== null && endMs === undefined) {
          return send(400, { error: 'schedule_end_time must be YYYY-MM-DD HH:MM:SS' })
        }
        if (typeof mdNum === 'number') c.maxDailyMicros = Math.round(mdNum * 1_000_000)
        if (end === null) c.scheduleEndTime = null
        else if (endMs !== undefined) c.scheduleEndTime = endMs
        return send(200, campaignJson(c))
      }
    }
    const bulk = /^\/v2\/campaigns\/(run|pause)$/.exec(path)
    if (bulk && method === 'PUT') {
      const ids = body.campaign_ids
      if (!Array.isArray(ids) || !ids.every((x) => Number.isSafeInteger(x))) {
        return send(400, { error: 'campaign_ids must be an array of integers' })
      }
      const ff = takeFault(path, ['failedIds'])
      const forced = new Set(ff?.kind === 'failedIds' ? ff.ids : [])
      const success: number[] = []
      const failed: number[] = []
      for (const id of ids as number[]) {
        const c = campaigns.get(id)
        if (!c || forced.has(id)) failed.push(id)
        else {
          c.active = bulk[1] === 'run'
          success.push(id)
        }
      }
      return send(200, { success, failed, total: ids.length })
    }
    const report = /^\/v1\.1\/advertiser\/custom\/report\/(by-day|by-campaign)$/.exec(path)
    if (report && method === 'GET') {
      const from = url.searchParams.get('date_from') ?? ''
      const to = url.searchParams.get('date_to') ?? ''
      if (!DAY.test(from) || !DAY.test(to))
        return send(400, { error: 'date_from and date_to are YYYY-MM-DD' })
      const cid = url.searchParams.get('campaign_id')
      const inRange = (d: string) => d >= from && d <= to
      const pool = [...campaigns.values()].filter((c) => cid === null || String(c.id) === cid)
      if (report[1] === 'by-campaign') {
        return send(
          200,
          pool.map((c) => {
            let micros = 0
            let clicks = 0
            for (const [d, m] of c.spendMicros) if (inRange(d)) micros += m
            for (const [d, k] of c.clicks) if (inRange(d)) clicks += k
            return { campaign_id: c.id, amount: usd(micros, amountFormat), clicks: Math.floor(clicks) }
          }),
        )
      }
      const days = new Map<string, { micros: number; clicks: number }>()
      for (const c of pool) {
        for (const [d, m] of c.spendMicros) {
          if (!inRange(d)) continue
          const row = days.get(d) ?? { micros: 0, clicks: 0 }
          row.micros += m
          row.clicks += c.clicks.get(d) ?? 0
          days.set(d, row)
        }
      }
      return send(
        200,
        [...days.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([day, r]) => ({ day, amount: usd(r.micros, amountFormat), clicks: Math.floor(r.clicks) })),
      )
    }
    return send(404, { error: 'not found' })
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end()
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    advance,
    now: () => now,
    clock: { now: () => new Date(now) },
    campaigns,
    addCampaign,
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    expireTokens: () => tokens.clear(),
    requests: () => log.slice(),
    setAmountFormat: (f) => {
      amountFormat = f
    },
  }
}
