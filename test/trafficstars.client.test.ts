/**
 * The TrafficStars client against the TrafficStars simulator over loopback HTTP (no mocks).
 * The client runs on the simulator's clock: its `sleep` advances simulated time, so
 * Retry-After waits, backoff and the limiter cost no real time. Only timeouts are real (150 ms).
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  amountToMicros,
  DEFAULT_BUCKET,
  initialBucket,
  type TokenBucketConfig,
  TrafficStarsAuthError,
  TrafficStarsBlockedError,
  TrafficStarsClient,
  type TrafficStarsClientOptions,
  TrafficStarsHttpError,
  TrafficStarsRateLimitError,
  TrafficStarsResponseError,
  TrafficStarsTimeoutError,
  takeToken,
} from '../src/modules/autopilot/trafficstars.client.ts'
import {
  startTrafficStarsSimulator,
  type TrafficStarsSimulator,
  type TrafficStarsSimulatorOptions,
} from '../src/simulators/trafficstars/trafficstars.simulator.ts'

const KEY = 'ts-secret-key-0123456789'
const MIN = 60_000
const T0 = Date.UTC(2026, 0, 1, 8, 0, 0)

const sims: TrafficStarsSimulator[] = []
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()))
})

async function setup(
  simOpts: TrafficStarsSimulatorOptions = {},
  clientOpts: Partial<TrafficStarsClientOptions> = {},
) {
  const sim = await startTrafficStarsSimulator({
    refreshTokens: [KEY],
    startAt: T0,
    campaigns: [{ id: 1 }, { id: 2 }, { id: 3 }],
    ...simOpts,
  })
  sims.push(sim)
  const sleeps: number[] = []
  const client = new TrafficStarsClient({
    baseUrl: sim.url,
    apiKey: KEY,
    clock: sim.clock,
    allowPrivate: true,
    sleep: async (ms) => {
      sleeps.push(ms)
      sim.advance(ms)
    },
    timeoutMs: 150,
    ...clientOpts,
  })
  const count = (method: string, path: string, status?: number) =>
    sim
      .requests()
      .filter((r) => r.method === method && r.path === path && (status === undefined || r.status === status))
      .length
  return { sim, client, sleeps, count }
}

const TOKEN = '/v1/auth/token'

describe('auth', () => {
  it('fetches a token once, caches it, and refreshes shortly before expires_in', async () => {
    const { sim, client, count } = await setup({ tokenTtlS: 600 })
    await client.getCampaign(1)
    await client.listCampaigns()
    await client.getCampaign(2)
    expect(count('POST', TOKEN)).toBe(1)
    sim.advance(9 * MIN) // 1 min before expiry = inside the default 60 s margin
    await client.getCampaign(1)
    expect(count('POST', TOKEN)).toBe(2)
    expect(sim.requests().some((r) => r.status === 401)).toBe(false)
  })

  it('re-authenticates exactly once on a 401 from an expired token', async () => {
    const frozen = T0
    const { sim, client, count } = await setup({ tokenTtlS: 600 }, { clock: { now: () => new Date(frozen) } })
    await client.getCampaign(1)
    sim.advance(11 * MIN) // server-side expiry the client's clock does not see
    const c = await client.getCampaign(1)
    expect(c.id).toBe(1)
    expect(count('POST', TOKEN)).toBe(2)
    expect(count('GET', '/v1.1/campaigns/1', 401)).toBe(1)
    sim.expireTokens()
    await client.listCampaigns()
    expect(count('POST', TOKEN)).toBe(3)
  })

  it('a bad key is an auth error that does not reveal the key', async () => {
    const { sim } = await setup()
    const client = new TrafficStarsClient({
      baseUrl: sim.url,
      apiKey: 'wrong-secret-key-42',
      clock: sim.clock,
      allowPrivate: true,
    })
    const err = await client.getCampaign(1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrafficStarsAuthError)
    expect(String((err as Error).message)).not.toContain('wrong-secret-key-42')
    expect(JSON.stringify(client)).not.toContain('wrong-secret-key-42')
  })
})

describe('SSRF guard (every request, not only when the account is saved)', () => {
  it('refuses a base URL whose name resolves to a private address unless private targets are allowed', async () => {
    const { sim } = await setup()
    // `localhost` passes a syntax check and resolves, at request time, to loopback: the
    // shape of a DNS-rebinding name that pointed elsewhere when the account was saved.
    const port = new URL(sim.url).port
    const baseUrl = `http://localhost:${port}`
    const guarded = new TrafficStarsClient({ baseUrl, apiKey: KEY, clock: sim.clock, sleep: async () => {} })
    const err = await guarded.listCampaigns().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrafficStarsBlockedError)
    expect((err as Error).message).toMatch(/non-public address/)
    expect((err as Error).message).not.toContain(KEY)
    const ip = await guarded.getCampaign(1).catch((e: unknown) => e)
    expect(ip).toBeInstanceOf(TrafficStarsBlockedError)
    // Refused before any connection: the simulator saw nothing, not even the token request.
    expect(sim.requests()).toEqual([])

    const allowed = new TrafficStarsClient({ baseUrl, apiKey: KEY, clock: sim.clock, allowPrivate: true })
    expect((await allowed.getCampaign(1)).id).toBe(1)
  })

  it('refuses a private IP literal too', async () => {
    const { sim } = await setup()
    const client = new TrafficStarsClient({ baseUrl: sim.url, apiKey: KEY, clock: sim.clock })
    await expect(client.getSpendByCampaign({ from: sim.now(), to: sim.now() })).rejects.toBeInstanceOf(
      TrafficStarsBlockedError,
    )
    expect(sim.requests()).toEqual([])
  })
})

describe('rate limits, timeouts and 5xx', () => {
  it('honours 429 Retry-After during a storm and then succeeds', async () => {
    const { sim, client, sleeps } = await setup()
    await client.getCampaign(1)
    sim.fault({ kind: 'http429', retryAfterS: 7, times: 3 })
    const c = await client.patchCampaign(1, { maxDailyMicros: 5_000_000 })
    expect(c.maxDailyMicros).toBe(5_000_000)
    expect(sleeps).toEqual([7000, 7000, 7000])
  })

  it('gives up with a typed error after bounded 429 retries', async () => {
    const { sim, client, count } = await setup({}, { maxRetries: 2 })
    await client.getCampaign(1)
    sim.fault({ kind: 'http429', retryAfterS: 1, times: 10 })
    const err = await client.getCampaign(1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrafficStarsRateLimitError)
    expect((err as TrafficStarsRateLimitError).retryAfterMs).toBe(1000)
    expect(count('GET', '/v1.1/campaigns/1', 429)).toBe(3)
  })

  it('rides the server limit (5 per minute here) with Retry-After when the client limiter is loose', async () => {
    const loose: TokenBucketConfig = { capacity: 1000, refillPerWindow: 1000, windowMs: MIN }
    const { sim, client } = await setup({ rateLimit: { limit: 5, windowMs: MIN } }, { bucket: loose })
    for (let i = 0; i < 12; i++) await client.getCampaign(1)
    const ok = sim.requests().filter((r) => r.status === 200)
    expect(ok).toHaveLength(13) // token + 12
    expect(sim.requests().some((r) => r.status === 429)).toBe(true)
    expect(sim.now() - T0).toBeGreaterThanOrEqual(2 * MIN)
  })

  it('the default client limiter never trips the 100/60 s server limit', async () => {
    const { sim, client } = await setup()
    for (let i = 0; i < 230; i++) await client.getCampaign(1 + (i % 3))
    const log = sim.requests()
    expect(log.some((r) => r.status === 429)).toBe(false)
    const times = log.map((r) => r.at)
    for (const t of times) expect(times.filter((u) => u >= t && u < t + MIN).length).toBeLessThanOrEqual(100)
  })

  it('retries a GET after a timeout; a PATCH timeout surfaces at once', async () => {
    const { sim, client, count } = await setup()
    await client.getCampaign(1)
    sim.fault({ kind: 'timeout', path: '/v1.1/campaigns/1', times: 1 })
    expect((await client.getCampaign(1)).id).toBe(1)
    expect(count('GET', '/v1.1/campaigns/1')).toBe(3)
    sim.fault({ kind: 'timeout', path: '/v1.1/campaigns/2', times: 1 })
    await expect(client.patchCampaign(2, { maxDailyMicros: 1 })).rejects.toBeInstanceOf(
      TrafficStarsTimeoutError,
    )
    expect(count('PATCH', '/v1.1/campaigns/2')).toBe(1)
  })

  it('GET 500s are retried (bounded) then surface as TrafficStarsHttpError; PUT 500s are not retried', async () => {
    const { sim, client, count } = await setup({}, { maxRetries: 3 })
    await client.listCampaigns()
    sim.fault({ kind: 'http500', path: '/v1.1/campaigns/1', times: 2 })
    expect((await client.getCampaign(1)).id).toBe(1)
    sim.fault({ kind: 'http500', path: '/v1.1/campaigns/2', times: 100 })
    const err = await client.getCampaign(2).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrafficStarsHttpError)
    expect((err as TrafficStarsHttpError).status).toBe(500)
    expect(count('GET', '/v1.1/campaigns/2', 500)).toBe(4)
    sim.fault({ kind: 'http500', path: '/v2/campaigns/run', times: 1 })
    await expect(client.runCampaigns([1])).rejects.toBeInstanceOf(TrafficStarsHttpError)
    expect(count('PUT', '/v2/campaigns/run')).toBe(1)
    expect(sim.campaigns.get(1)!.active).toBe(false)
  })

  it('a 404 is a typed HTTP error without retries', async () => {
    const { client, count } = await setup()
    const err = await client.getCampaign(404).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TrafficStarsHttpError)
    expect((err as TrafficStarsHttpError).status).toBe(404)
    expect(count('GET', '/v1.1/campaigns/404')).toBe(1)
  })
})

describe('campaigns', () => {
  it('bulk run/pause reports per campaign, including a failed id and an unknown id', async () => {
    const { sim, client } = await setup()
    sim.fault({ kind: 'failedIds', ids: [2] })
    const run = await client.runCampaigns([1, 2, 3, 99])
    expect(run).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: false },
      { id: 3, ok: true },
      { id: 99, ok: false },
    ])
    expect([1, 2, 3].map((id) => sim.campaigns.get(id)!.active)).toEqual([true, false, true])
    const listed = await client.listCampaigns()
    expect(listed.map((c) => [c.id, c.active, c.status])).toEqual([
      [1, true, 'active'],
      [2, false, 'paused'],
      [3, true, 'active'],
    ])
    const pause = await client.pauseCampaigns([1, 3])
    expect(pause.every((r) => r.ok)).toBe(true)
    expect(sim.campaigns.get(1)!.active).toBe(false)
    expect(await client.runCampaigns([])).toEqual([])
  })

  it('patches max_daily and schedule_end_time (YYYY-MM-DD HH:MM:SS UTC)', async () => {
    const { sim, client } = await setup({ campaigns: [{ id: 7, priceMicros: 2_500_000 }] })
    const end = Date.UTC(2026, 0, 1, 23, 59, 0)
    const c = await client.patchCampaign(7, { maxDailyMicros: 12_340_000, scheduleEndTime: end })
    expect(c.maxDailyMicros).toBe(12_340_000)
    expect(c.scheduleEndTime).toBe('2026-01-01 23:59:00')
    expect(c.priceMicros).toBe(2_500_000)
    expect(sim.campaigns.get(7)!.scheduleEndTime).toBe(end)
    expect(sim.campaigns.get(7)!.maxDailyMicros).toBe(12_340_000)
    await expect(client.patchCampaign(7, { maxDailyMicros: -1 })).rejects.toBeInstanceOf(RangeError)
  })
})

describe('spend', () => {
  it('parses amounts as integer micros and refuses NaN, negative and junk', () => {
    expect(amountToMicros(1.5)).toBe(1_500_000)
    expect(amountToMicros(0.1 + 0.2)).toBe(300_000)
    expect(amountToMicros('12.3456789')).toBe(12_345_679)
    expect(amountToMicros('10')).toBe(10_000_000)
    expect(amountToMicros(' 0.000001 ')).toBe(1)
    for (const bad of [
      Number.NaN,
      -0.01,
      Number.POSITIVE_INFINITY,
      '-1',
      'abc',
      '1e3',
      '',
      null,
      undefined,
    ]) {
      expect(() => amountToMicros(bad)).toThrow(TrafficStarsResponseError)
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (m) => {
        const s = `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, '0')}`
        return amountToMicros(s) === m && amountToMicros(m / 1e6) === m
      }),
    )
  })

  it('grows while running, stops when paused, at the end time and at the daily budget; both amount formats', async () => {
    // $2 per 1000 clicks at 100 clicks/min → $0.20 per minute.
    const { sim, client } = await setup({
      campaigns: [{ id: 1, priceMicros: 2_000_000, maxDailyMicros: 3_000_000 }, { id: 2 }],
      clicksPerMinute: 100,
    })
    const today = { from: sim.now(), to: sim.now() }
    await client.runCampaigns([1])
    sim.advance(10 * MIN)
    expect(await client.getSpendByCampaign(today)).toEqual([
      { campaignId: 1, micros: 2_000_000 },
      { campaignId: 2, micros: 0 },
    ])
    await client.pauseCampaigns([1])
    sim.advance(10 * MIN)
    expect((await client.getSpendByCampaign(today))[0]!.micros).toBe(2_000_000)

    await client.runCampaigns([1])
    await client.patchCampaign(1, { scheduleEndTime: sim.now() + 2 * MIN })
    sim.advance(10 * MIN)
    expect((await client.getSpendByDay({ ...today, campaignId: 1 }))[0]!.micros).toBe(2_400_000)

    await client.patchCampaign(1, { scheduleEndTime: Date.UTC(2026, 0, 1, 23, 59, 0) })
    sim.advance(60 * MIN)
    expect((await client.getSpendByDay({ ...today, campaignId: 1 }))[0]!.micros).toBe(3_000_000) // budget

    sim.setAmountFormat('string')
    expect(await client.getSpendByDay(today)).toEqual([{ day: '2026-01-01', micros: 3_000_000 }])
    // past 23:59 the end time stops spend; a new end time tomorrow lets a new day's spend start at 0
    sim.advance(Date.UTC(2026, 0, 2, 0, 30) - sim.now())
    await client.patchCampaign(1, { scheduleEndTime: Date.UTC(2026, 0, 2, 23, 59, 0) })
    sim.advance(5 * MIN)
    const days = await client.getSpendByDay({
      from: Date.UTC(2026, 0, 1),
      to: Date.UTC(2026, 0, 2),
      campaignId: 1,
    })
    expect(days).toEqual([
      { day: '2026-01-01', micros: 3_000_000 },
      { day: '2026-01-02', micros: 1_000_000 },
    ])
  })
})

describe('token bucket (pure)', () => {
  it('never grants more than 100 requests in any 60 s span, and always grants eventually', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (gaps, start) => {
          let state = initialBucket(DEFAULT_BUCKET, start)
          let t = start
          const granted: number[] = []
          for (const gap of gaps) {
            t += gap
            for (;;) {
              const r = takeToken(DEFAULT_BUCKET, state, t)
              state = r.state
              if (r.ok) break
              if (!(r.waitMs > 0 && r.waitMs <= 60_000)) return false
              t += r.waitMs
            }
            granted.push(t)
          }
          let lo = 0
          for (let hi = 0; hi < granted.length; hi++) {
            while (granted[hi]! - granted[lo]! >= 60_000) lo++
            if (hi - lo + 1 > 100) return false
          }
          return true
        },
      ),
      { numRuns: 300 },
    )
  })
})
