/**
 * The outreach module's external clients against their simulators over loopback HTTP
 * (no mocks): Influencers Club discovery (`influencers-club.client.ts` ↔
 * `src/simulators/influencers-club`) and Clay enrichment (`clay.client.ts` ↔
 * `src/simulators/clay`), with a real callback receiver that checks the callback token and
 * body exactly as the callback route must (`clay.callback.core.ts`).
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CLAY_CALLBACK_TOKEN_HEADER,
  ClayCallbackError,
  callbackUrl,
  parseClayCallback,
  verifyCallbackToken,
} from '../src/modules/outreach/clay.callback.core.ts'
import {
  CLAY_AUTH_HEADER,
  ClayCapError,
  type ClayClientOptions,
  type ClayRow,
  createClayClient,
  profileUrl,
} from '../src/modules/outreach/clay.client.ts'
import {
  createInfluencersClubClient,
  type InfluencersClubClientOptions,
  InfluencersClubError,
  retryAfterMs,
} from '../src/modules/outreach/influencers-club.client.ts'
import type { IcDiscoveryRequest } from '../src/modules/outreach/influencers-club.contract.ts'
import {
  discoveryRequest,
  type OutreachCriteria,
} from '../src/modules/outreach/influencers-club.filters.core.ts'
import { type ClaySimulatorOptions, startClaySimulator } from '../src/simulators/clay/clay.simulator.ts'
import {
  type InfluencersClubSimulatorOptions,
  startInfluencersClubSimulator,
} from '../src/simulators/influencers-club/influencers-club.simulator.ts'

const IC_KEY = 'ic-secret-key-0123456789'
const CLAY_TOKEN = 'clay-webhook-token-abc'
const CB_KEY = Buffer.alloc(32, 42)

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()))
})

// ---------------------------------------------------------------------------------------
// Influencers Club

async function ic(
  simOpts: Partial<InfluencersClubSimulatorOptions> = {},
  clientOpts: Partial<InfluencersClubClientOptions> = {},
) {
  let t = Date.UTC(2026, 0, 1)
  const sim = await startInfluencersClubSimulator({
    apiKey: IC_KEY,
    creatorsPerPlatform: 120,
    now: () => t,
    ...simOpts,
  })
  cleanups.push(() => sim.stop())
  const sleeps: number[] = []
  const client = createInfluencersClubClient({
    baseUrl: sim.url,
    apiKey: IC_KEY,
    clock: { now: () => new Date(t) },
    sleep: async (ms) => {
      sleeps.push(ms)
      t += ms
    },
    limitPerMinute: 6000, // 10 ms spacing: tests stay fast; the pacing itself is the library's
    ...clientOpts,
  })
  return { sim, client, sleeps }
}

const all = (c: Partial<OutreachCriteria> = {}): OutreachCriteria => ({
  platform: 'instagram',
  keywords: [],
  ...c,
})

describe('Influencers Club discovery', () => {
  it('pages through the pool (0-indexed) until hasMore is false', async () => {
    const { client, sim } = await ic()
    const seen = new Set<string>()
    const pages: number[] = []
    for (let page = 0; ; page++) {
      const r = await client.discover(discoveryRequest(all(), { page, limit: 50 }))
      pages.push(r.creators.length)
      expect(r.total).toBe(120)
      for (const c of r.creators) seen.add(c.user_id)
      if (!r.hasMore) break
    }
    expect(pages).toEqual([50, 50, 20])
    expect(seen.size).toBe(120)
    const first = (await client.discover(discoveryRequest(all(), { page: 0, limit: 1 }))).creators[0]!
    const simFirst = sim.creators.get('instagram')![0]!
    expect(first).toMatchObject({
      user_id: simFirst.user_id,
      username: simFirst.username,
      full_name: simFirst.full_name,
      followers: simFirst.followers,
      engagement_percent: simFirst.engagement_percent,
    })
    expect(first.profile.picture).toMatch(/^https:/)
    expect(JSON.stringify(first)).not.toMatch(/@/) // no emails in discovery
    const sent = sim.requests().at(-1)!
    expect(sent.body).toMatchObject({ platform: 'instagram', paging: { limit: 1, page: 0 }, filters: null })
  })

  it('applies follower range, niche, location and language (follower key per platform)', async () => {
    const { client, sim } = await ic({ creatorsPerPlatform: 400 })
    for (const platform of ['instagram', 'youtube', 'twitch'] as const) {
      const criteria = all({
        platform,
        keywords: ['fitness', 'travel'],
        min_followers: 5_000,
        max_followers: 500_000,
        location: 'US',
        language: 'en',
      })
      const r = await client.discover(discoveryRequest(criteria, { page: 0, limit: 50 }))
      const pool = new Map(sim.creators.get(platform)!.map((c) => [c.user_id, c]))
      const expected = sim.creators
        .get(platform)!
        .filter(
          (c) =>
            c.followers >= 5_000 &&
            c.followers <= 500_000 &&
            c.location === 'United States' &&
            c.language === 'en' &&
            (c.niches.includes('fitness') || c.niches.includes('travel')),
        )
      expect(r.total).toBe(expected.length)
      expect(r.creators.length).toBe(Math.min(50, expected.length))
      for (const c of r.creators) {
        const s = pool.get(c.user_id)!
        expect(s.followers).toBeGreaterThanOrEqual(5_000)
        expect(s.followers).toBeLessThanOrEqual(500_000)
        expect(s.location).toBe('United States')
      }
    }
    expect(sim.requests().map((q) => Object.keys((q.body as IcDiscoveryRequest).filters ?? {}))).toEqual([
      ['ai_search', 'number_of_followers', 'location', 'profile_language'],
      ['ai_search', 'number_of_subscribers', 'location', 'profile_language'],
      ['ai_search', 'followers', 'location', 'profile_language'],
    ])
  })

  it('the API ignores another platform’s follower key; the client refuses to send one', async () => {
    const { client, sim } = await ic()
    const body = {
      platform: 'youtube',
      paging: { limit: 10, page: 0 },
      sort: { sort_by: 'relevancy', sort_order: 'desc' },
      filters: { number_of_followers: { min: 100_000_000 } },
    }
    const raw = await fetch(`${sim.url}/public/v1/discovery/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IC_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(((await raw.json()) as { total: number }).total).toBe(120) // silently unfiltered
    const before = sim.requests().length
    const err = await client.discover(body as IcDiscoveryRequest).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InfluencersClubError)
    expect(err).toMatchObject({ code: 'invalid_request', status: 0, retryable: false })
    expect(sim.requests().length).toBe(before) // nothing sent
  })

  it('exclude_handles removes those creators (any case, @ ignored)', async () => {
    const { client } = await ic()
    const first = await client.discover(discoveryRequest(all(), { page: 0, limit: 20 }))
    const handles = first.creators.map((c, i) => (i % 2 ? `@${c.username.toUpperCase()}` : c.username))
    const next = await client.discover(
      discoveryRequest(all(), { page: 0, limit: 50, excludeHandles: handles }),
    )
    expect(next.total).toBe(100)
    const again = new Set(next.creators.map((c) => c.username))
    for (const c of first.creators) expect(again.has(c.username)).toBe(false)
  })

  it('400 from the API for a body our schema would refuse (limit 51), 401 for a wrong key', async () => {
    const { sim } = await ic()
    const res = await fetch(`${sim.url}/public/v1/discovery/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IC_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ platform: 'instagram', paging: { limit: 51, page: 0 } }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ paging: { limit: ['Ensure this value is between 1 and 50.'] } })

    const bad = createInfluencersClubClient({ baseUrl: sim.url, apiKey: 'wrong-key' })
    const err = await bad.discover(discoveryRequest(all(), { page: 0, limit: 5 })).catch((e: unknown) => e)
    expect(err).toMatchObject({
      name: 'InfluencersClubError',
      status: 401,
      code: 'unauthorized',
      retryable: false,
    })
    expect(String(err)).not.toContain('wrong-key')
  })

  it('429 beyond the per-minute limit: waits Retry-After, then succeeds', async () => {
    const { client, sim, sleeps } = await ic({ limitPerMinute: 2 })
    const body = discoveryRequest(all(), { page: 0, limit: 5 })
    await client.discover(body)
    await client.discover(body)
    const r = await client.discover(body) // third in the same simulated minute
    expect(r.creators).toHaveLength(5)
    expect(sim.requests().map((q) => q.status)).toEqual([200, 200, 429, 200])
    expect(sleeps).toEqual([60_000])
  })

  it('429 kept up: rate_limited after the bounded retries', async () => {
    const { client, sim, sleeps } = await ic({}, { maxRetries: 2 })
    sim.fault({ kind: 'http429', retryAfterS: 7, times: 3 })
    const err = await client.discover(discoveryRequest(all(), { page: 0, limit: 5 })).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 7000 })
    expect(sleeps).toEqual([7000, 7000])
  })

  it('paces requests evenly at limitPerMinute (real time)', async () => {
    const { client } = await ic({}, { limitPerMinute: 600 }) // one per 100 ms
    const body = discoveryRequest(all(), { page: 0, limit: 1 })
    const t0 = Date.now()
    for (let i = 0; i < 5; i++) await client.discover(body)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390) // 4 gaps of 100 ms
  })

  it('Retry-After: delta-seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0)
    expect(retryAfterMs('3', now)).toBe(3000)
    expect(retryAfterMs('0.5', now)).toBe(500)
    expect(retryAfterMs(new Date(now + 10_000).toUTCString(), now)).toBe(10_000)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })

  it('5xx then success (backoff); garbage → invalid_response; silence → timeout', async () => {
    const { client, sim, sleeps } = await ic({}, { baseBackoffMs: 100, timeoutMs: 300, maxRetries: 1 })
    sim.fault({ kind: 'http500', times: 1 })
    expect((await client.discover(discoveryRequest(all(), { page: 0, limit: 3 }))).creators).toHaveLength(3)
    expect(sleeps).toEqual([100])

    sim.fault({ kind: 'garbage' })
    const e1 = await client.discover(discoveryRequest(all(), { page: 0, limit: 3 })).catch((e: unknown) => e)
    expect(e1).toMatchObject({ code: 'invalid_response', retryable: false })

    sim.fault({ kind: 'timeout', times: 2 })
    const e2 = await client.discover(discoveryRequest(all(), { page: 0, limit: 3 })).catch((e: unknown) => e)
    expect(e2).toMatchObject({ code: 'timeout', status: 0, retryable: true })
  })
})

// ---------------------------------------------------------------------------------------
// Clay

interface Received {
  id: string
  email: string | null
  at: number
}

/** A real callback endpoint doing what the route must: verify the token, parse the body strictly. */
async function callbackReceiver() {
  const received: Received[] = []
  const refused: number[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const m = /^\/api\/v1\/outreach\/clay\/callback\/([^/]+)$/.exec(url.pathname)
      const token = url.searchParams.get('token') ?? req.headers[CLAY_CALLBACK_TOKEN_HEADER]
      if (!m || !verifyCallbackToken(CB_KEY, m[1]!, token)) {
        refused.push(401)
        res.writeHead(401).end()
        return
      }
      try {
        const r = parseClayCallback(JSON.parse(Buffer.concat(chunks).toString('utf8')), m[1])
        received.push({ id: r.correlationId, email: r.email, at: Date.now() })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
      } catch (e) {
        refused.push(e instanceof ClayCallbackError ? 422 : 400)
        res.writeHead(422).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, refused }
}

function rows(n: number, publicUrl: string, prefix = 'creator'): ClayRow[] {
  return Array.from({ length: n }, (_, i) => {
    const id = randomUUID()
    const handle = `${prefix}_${i}`
    return {
      correlation_id: id,
      callback_url: callbackUrl(publicUrl, id, CB_KEY),
      handle,
      platform: 'instagram',
      full_name: `Creator ${i}`,
      profile_url: profileUrl('instagram', handle),
    }
  })
}

async function clay(simOpts: Partial<ClaySimulatorOptions>, clientOpts: Partial<ClayClientOptions> = {}) {
  const sim = await startClaySimulator({ authToken: CLAY_TOKEN, seed: 7, ...simOpts })
  cleanups.push(() => sim.stop())
  const warnings: object[] = []
  let used = 0
  const client = createClayClient({
    webhookUrl: sim.url,
    authToken: CLAY_TOKEN,
    submittedSoFar: async () => used,
    logger: { warn: (o) => warnings.push(o) },
    ...clientOpts,
  })
  return {
    sim,
    client,
    warnings,
    setUsed: (n: number) => {
      used = n
    },
  }
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('Clay enrichment', () => {
  it('paces at ≤ 10 rows/s and every callback arrives with a valid token', async () => {
    const cb = await callbackReceiver()
    const { sim, client } = await clay({ emailShare: 1, duplicateShare: 0, dropShare: 0, delayMs: [5, 30] })
    const batch = rows(25, cb.url)
    const t0 = Date.now()
    const r = await client.submit(batch)
    const elapsed = Date.now() - t0
    expect(r.submitted).toBe(25)
    expect(r.outcomes.every((o) => o.status === 'submitted' && o.attempts === 1)).toBe(true)
    expect(r.warning).toBeNull()
    expect(elapsed).toBeGreaterThanOrEqual(2_450) // 24 gaps of ≥ 105 ms
    const times = sim.requests().map((q) => q.at)
    expect(sim.requests().every((q) => q.status === 200)).toBe(true)
    for (const t of times) expect(times.filter((x) => x > t - 1000 && x <= t).length).toBeLessThanOrEqual(10)
    // what Clay received: exactly our row, field for field
    expect(sim.submissions().map((s) => s.body)).toEqual(batch)

    await until(() => cb.received.length === 25)
    expect(cb.refused).toEqual([])
    const byId = new Map(cb.received.map((x) => [x.id, x.email]))
    for (const row of batch)
      expect(byId.get(row.correlation_id)).toBe(`${row.handle.replace('_', '.')}@example.test`)
  })

  it('no email, duplicates and drops at the configured shares (manual flush)', async () => {
    const cb = await callbackReceiver()
    const fast = { ratePerSecond: 500 }
    // shares 0/1: exact
    {
      const { sim, client } = await clay(
        { ...fast, manual: true, emailShare: 0, duplicateShare: 1, dropShare: 0 },
        fast,
      )
      await client.submit(rows(10, cb.url, 'dup'))
      expect(sim.pending()).toHaveLength(20)
      expect(await sim.flush()).toBe(20)
      expect(cb.received).toHaveLength(20)
      expect(cb.received.every((x) => x.email === null)).toBe(true)
      expect(new Set(cb.received.map((x) => x.id)).size).toBe(10)
    }
    {
      const { sim, client } = await clay({ ...fast, manual: true, dropShare: 1 }, fast)
      await client.submit(rows(10, cb.url, 'drop'))
      expect(sim.pending()).toHaveLength(0)
      expect(await sim.flush()).toBe(0)
    }
    // mixed shares: what arrives is exactly what the simulator decided per handle
    cb.received.length = 0
    const { sim, client } = await clay(
      { ...fast, manual: true, emailShare: 0.5, duplicateShare: 0.2, dropShare: 0.1 },
      fast,
    )
    const batch = rows(200, cb.url, 'mix')
    await client.submit(batch)
    const d = batch.map((r) => sim.decide(r.handle))
    const drops = d.filter((x) => x.drop).length
    const dups = d.filter((x) => !x.drop && x.duplicate).length
    const found = d.filter((x) => !x.drop && x.found).length
    expect(drops).toBeGreaterThan(5)
    expect(drops).toBeLessThan(40)
    expect(dups).toBeGreaterThan(20)
    expect(dups).toBeLessThan(65)
    expect(found).toBeGreaterThan(65)
    expect(found).toBeLessThan(115)
    expect(await sim.flush()).toBe(200 - drops + dups)
    expect(cb.received).toHaveLength(200 - drops + dups)
    expect(new Set(cb.received.map((x) => x.id)).size).toBe(200 - drops)
    expect(cb.refused).toEqual([])
  })

  it('a tampered or foreign callback token is refused by the receiver', async () => {
    const cb = await callbackReceiver()
    const id = randomUUID()
    const good = new URL(callbackUrl(cb.url, id, CB_KEY))
    const other = new URL(callbackUrl(cb.url, randomUUID(), CB_KEY))
    const post = (u: URL) =>
      fetch(u, { method: 'POST', body: JSON.stringify({ correlation_id: id, email: null }) }).then(
        (r) => r.status,
      )
    const swapped = new URL(good)
    swapped.searchParams.set('token', other.searchParams.get('token')!)
    expect(await post(swapped)).toBe(401)
    expect(await post(good)).toBe(200)
  })

  it('warns when crossing warnAt, refuses past the lifetime cap, stops on the source’s own cap', async () => {
    const cb = await callbackReceiver()
    const fast = { ratePerSecond: 500 }
    const { sim, client, warnings, setUsed } = await clay(
      { ...fast, manual: true },
      { ...fast, lifetimeCap: 100 },
    )
    setUsed(88)
    const r1 = await client.submit(rows(3, cb.url, 'w1'))
    expect(r1.used).toBe(91)
    expect(r1.warning).toEqual({ used: 91, cap: 100, share: 0.91, crossed: true })
    expect(warnings).toHaveLength(1)
    setUsed(91)
    const r2 = await client.submit(rows(1, cb.url, 'w2'))
    expect(r2.warning).toMatchObject({ used: 92, crossed: false })
    expect(warnings).toHaveLength(1) // logged once, on crossing

    setUsed(99)
    const sent = sim.requests().length
    const err = await client.submit(rows(2, cb.url, 'cap')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClayCapError)
    expect(err).toMatchObject({ code: 'cap_reached', used: 99, cap: 100, remaining: 1 })
    expect(sim.requests().length).toBe(sent) // nothing sent

    // Our count says there is room, but the source is used up on Clay's side: 403, batch stops.
    setUsed(0)
    sim.setCapUsed(50_000)
    const r3 = await client.submit(rows(3, cb.url, 'src'))
    expect(r3.outcomes.map((o) => [o.status, o.code])).toEqual([
      ['failed', 'forbidden'],
      ['not_sent', undefined],
      ['not_sent', undefined],
    ])
    expect(r3.submitted).toBe(0)
  })

  it('a wrong webhook token fails the first row and stops the batch', async () => {
    const cb = await callbackReceiver()
    const { sim } = await clay({ ratePerSecond: 500 })
    const client = createClayClient({
      webhookUrl: sim.url,
      authToken: 'not-the-token',
      ratePerSecond: 500,
      submittedSoFar: async () => 0,
    })
    const r = await client.submit(rows(3, cb.url))
    expect(r.outcomes.map((o) => o.status)).toEqual(['failed', 'not_sent', 'not_sent'])
    expect(r.outcomes[0]).toMatchObject({ httpStatus: 401, code: 'unauthorized' })
    expect(sim.submissions()).toHaveLength(0)
    expect(CLAY_AUTH_HEADER).toBe('x-clay-webhook-auth')
  })

  it('429 from Clay is retried after Retry-After (simulated clock)', async () => {
    const cb = await callbackReceiver()
    let t = 1_000_000
    const sleeps: number[] = []
    const { sim, client } = await clay(
      { ratePerSecond: 10, manual: true, now: () => t },
      {
        ratePerSecond: 500, // faster than the source allows
        sleep: async (ms) => {
          sleeps.push(ms)
          t += ms
        },
      },
    )
    const r = await client.submit(rows(15, cb.url, 'rl'))
    expect(r.submitted).toBe(15)
    expect(sim.requests().filter((q) => q.status === 429)).toHaveLength(1)
    expect(sleeps).toEqual([1000])
    expect(sim.submissions()).toHaveLength(15)
  })

  it('refuses rows that fail the strict schema before sending anything', async () => {
    const cb = await callbackReceiver()
    const { sim, client } = await clay({ ratePerSecond: 500 }, { ratePerSecond: 500 })
    const [row] = rows(1, cb.url)
    const bad = { ...row!, email: 'x@y.z' } as unknown as ClayRow
    await expect(client.submit([bad])).rejects.toMatchObject({ code: 'invalid_row' })
    expect(sim.requests()).toHaveLength(0)
  })

  it('profileUrl per platform', () => {
    expect(profileUrl('instagram', '@Jane.Doe')).toBe('https://www.instagram.com/jane.doe/')
    expect(profileUrl('tiktok', 'jane')).toBe('https://www.tiktok.com/@jane')
    expect(profileUrl('youtube', 'Jane')).toBe('https://www.youtube.com/@jane')
    expect(profileUrl('twitch', 'jane')).toBe('https://www.twitch.tv/jane')
    expect(profileUrl('twitter', 'jane')).toBe('https://x.com/jane')
    expect(profileUrl('onlyfans', 'jane')).toBe('https://onlyfans.com/jane')
  })
})
