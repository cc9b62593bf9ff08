/**
 * Geo egress end to end, PGlite in process: three egress proxy "countries" (the egress-proxy
 * simulator, real HTTP CONNECT/forward proxies on loopback, each opening its upstream
 * connections from its own 127.0.0.x address) and the target-site simulator. The engine runs
 * a geo-targeted project and a direct one: country shares within 5σ of the weights, every
 * request of a visit reaches the site from its country's address (and only proxied visits
 * pass a proxy), no geo or forwarding header is added; a refused tunnel and a country without
 * egress fail uncharged; the SSRF check pins the checked address for the proxy; the API
 * refuses geo targets without egress at save and at start; the engine pauses such a project.
 */
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createLedgerRepository,
  DEFAULT_PRICE_TIERS,
  type LedgerRepository,
} from '../src/modules/billing/index.ts'
import {
  createVisitHttp,
  createVisitorEngine,
  deriveVerifyKey,
  engineProjectOf,
  type VisitHit,
  type VisitHttp,
  visitorProjectRoutes,
  visitorProjects,
} from '../src/modules/visitors/index.ts'
import { systemClock } from '../src/platform/clock.ts'
import type { Db } from '../src/platform/db/client.ts'
import { type EgressProxy, startEgressProxy } from '../src/simulators/egress-proxy/egress-proxy.simulator.ts'
import { startTargetSite, type TargetSite } from '../src/simulators/target-site/target-site.simulator.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { activeProject, fundedWorkspace } from './helpers/visitors.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = any

const COUNTRY_ADDR = { US: '127.0.0.2', DE: '127.0.0.3', FR: '127.0.0.4' } as const
type Cc = keyof typeof COUNTRY_ADDR
const WEIGHTS: Record<Cc, number> = { US: 5, DE: 3, FR: 2 }
/** Headers a proxy or a geo-faking client would add; none may reach the site. */
const GEO_HEADERS = [
  'x-forwarded-for',
  'forwarded',
  'via',
  'x-real-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'cf-ipcountry',
  'x-country',
  'x-geo-country',
  'proxy-authorization',
]

let h: Awaited<ReturnType<typeof throwawayDb>>
let db: Db
let ledger: LedgerRepository
let site: TargetSite
let http: VisitHttp
const proxies = {} as Record<Cc, EgressProxy>

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** mulberry32: the seeded uniform source injected as the engine's `random` (country, device, URL picks). */
function seeded(seed: number) {
  let a = seed >>> 0
  return {
    next: () => {
      a = (a + 0x6d2b79f5) >>> 0
      let x = a
      x = Math.imul(x ^ (x >>> 15), x | 1)
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296
    },
  }
}

const workspace = (credits: number) => fundedWorkspace(db, ledger, credits)

const project = (ws: string, settings: Record<string, unknown>) =>
  activeProject(db, ws, settings, { name: 'geo' })

beforeAll(async () => {
  h = await throwawayDb('pglite')
  db = h.db
  ledger = createLedgerRepository(db)
  site = await startTargetSite()
  proxies.US = await startEgressProxy({ localAddress: COUNTRY_ADDR.US })
  // DE's proxy wants credentials (taken from the URL's user-info, sent only to the proxy).
  proxies.DE = await startEgressProxy({
    localAddress: COUNTRY_ADDR.DE,
    auth: { user: 'geo', pass: 'p@ss,1' },
  })
  proxies.FR = await startEgressProxy({ localAddress: COUNTRY_ADDR.FR })
  http = createVisitHttp({
    allowPrivate: true,
    publicUrl: 'http://tf.test',
    nowMs: () => Date.now(),
    timeoutMs: 5000,
    egress: { US: proxies.US.url, DE: proxies.DE.authUrl, FR: proxies.FR.url },
  })
}, 60_000)
afterAll(async () => {
  await http?.close()
  for (const p of Object.values(proxies)) await p?.stop()
  await site?.stop()
  await h?.drop()
})

describe('geo egress', () => {
  it('sends each visit through its country proxy, shares within 5σ, no geo headers; direct without geoTargets', async () => {
    const siteHost = new URL(site.url).host
    const wsGeo = await workspace(100_000)
    const pGeo = await project(wsGeo, {
      urls: [`${site.url}/page/geo`],
      trafficSpeed: 50, // 1 + (6000 − 1) × 0.5 ≈ 3000/min = 50/s over the range below
      deviceSplit: 70,
      geoTargets: (Object.keys(WEIGHTS) as Cc[]).map((cc) => ({ cc, w: WEIGHTS[cc] })),
    })
    const wsDirect = await workspace(10_000)
    const pDirect = await project(wsDirect, { urls: [`${site.url}/page/direct`], trafficSpeed: 5 })
    // Saved before the operator removed JP's egress: the engine pauses it, never goes direct.
    const wsJp = await workspace(1000)
    const pJp = await project(wsJp, { urls: [`${site.url}/page/jp`], geoTargets: [{ cc: 'JP', w: 1 }] })

    const hits: VisitHit[] = []
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true }),
      signingKey: (ws) => `key-${ws}`,
      toEngineProject: engineProjectOf({ minPerMinute: 1, maxPerMinute: 6000 }),
      mode: 'even',
      seed: 11,
      random: seeded(11),
      pollMs: 1000,
      onHit: (x) => hits.push(x),
    })
    await engine.start()
    await sleep(8_000)
    await engine.stop()

    const geoHits = hits.filter((x) => x.projectId === pGeo)
    const n = geoHits.length
    expect(n).toBeGreaterThan(300)
    expect(geoHits.every((x) => x.status === 200 && x.error === null && x.charged)).toBe(true)
    const byCountry = new Map<string | null, number>()
    for (const x of geoHits) byCountry.set(x.country, (byCountry.get(x.country) ?? 0) + 1)
    const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0)
    const shares: string[] = []
    for (const cc of Object.keys(WEIGHTS) as Cc[]) {
      const p = WEIGHTS[cc] / total
      const got = (byCountry.get(cc) ?? 0) / n
      shares.push(`${cc} ${(got * 100).toFixed(1)}% (want ${(p * 100).toFixed(0)}%)`)
      expect(Math.abs(got - p), cc).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n))
    }
    expect([...byCountry.keys()].every((c) => c !== null && c in WEIGHTS)).toBe(true)
    // Device split still holds (70 % desktop, 5σ).
    const [s] = engine.stats(pGeo)
    expect(Math.abs(s!.desktop / s!.started - 0.7)).toBeLessThan(5 * Math.sqrt((0.7 * 0.3) / s!.started))
    console.log(`visitors.geo: ${n} visits; ${shares.join(', ')}`)

    // The site saw each country's page loads from that country's egress address, and every
    // request of a visit (page + subresources) from an egress address; direct visits from 127.0.0.1.
    const reqs = site.requests()
    const pagesFrom = (path: string, addr: string) =>
      reqs.filter((r) => r.path === path && r.remote.endsWith(addr)).length
    for (const cc of Object.keys(WEIGHTS) as Cc[])
      expect(pagesFrom('/page/geo', COUNTRY_ADDR[cc]), cc).toBe(byCountry.get(cc))
    const egressAddrs = Object.values(COUNTRY_ADDR)
    const geoRuns = new Set(geoHits.map((x) => x.runId))
    for (const r of reqs) {
      const run = /run=([0-9a-f-]{36})\)$/.exec(r.ua)?.[1]
      if (run && geoRuns.has(run))
        expect(
          egressAddrs.some((a) => r.remote.endsWith(a)),
          r.path,
        ).toBe(true)
    }
    const directHits = hits.filter((x) => x.projectId === pDirect)
    expect(directHits.length).toBeGreaterThan(0)
    expect(directHits.every((x) => x.country === null && x.status === 200)).toBe(true)
    expect(pagesFrom('/page/direct', '127.0.0.1')).toBe(directHits.length)
    // Nothing added on the way: no forwarding or geo header, no proxy credentials.
    for (const r of reqs) for (const name of GEO_HEADERS) expect(r.headers[name], name).toBeUndefined()

    // The proxies: every request tunnelled (CONNECT, none forwarded in the clear), to the site only.
    for (const cc of Object.keys(WEIGHTS) as Cc[]) {
      const t = proxies[cc].tunnels()
      expect(Object.keys(t), cc).toEqual([siteHost])
      expect(t[siteHost]!, cc).toBeGreaterThan(0)
      expect(t[siteHost]!, cc).toBeLessThanOrEqual(byCountry.get(cc)!) // keep-alive reuses tunnels
      expect(proxies[cc].requests(), cc).toEqual({})
    }
    expect(proxies.DE.refusedAuth()).toBe(0)

    // JP has no egress: paused, nothing visited, nothing charged.
    const jp = (await db.select().from(visitorProjects).where(eq(visitorProjects.id, pJp)))[0]!
    expect(jp).toMatchObject({ status: 'paused', pauseReason: 'no_egress', visitsDone: 0 })
    expect(hits.some((x) => x.projectId === pJp)).toBe(false)
    expect(reqs.some((r) => r.path === '/page/jp')).toBe(false)
  }, 60_000)

  it('a refused tunnel and a country without egress fail as `egress`, unanswered (not charged)', async () => {
    const req = {
      url: `${site.url}/page/x`,
      device: 'desktop' as const,
      uaIndex: 0,
      runId: randomUUID(),
      signingKey: 'k',
      allowedHosts: new Set([new URL(site.url).host]),
    }
    proxies.FR.setFault('refuse')
    await sleep(100) // the pool sees its dropped tunnels close
    try {
      const o = await http.visit({ ...req, country: 'FR' })
      expect(o).toMatchObject({ answered: false, error: 'egress' })
    } finally {
      proxies.FR.setFault(null)
    }
    expect(await http.visit({ ...req, country: 'JP' })).toMatchObject({ answered: false, error: 'egress' })
    expect((await http.visit({ ...req, country: 'FR' })).status).toBe(200)
    expect(http.egressCountries).toEqual(['DE', 'FR', 'US'])
  })

  it('SSRF: the target is checked before the proxy; the proxy is handed the checked address', async () => {
    const probe = await startEgressProxy()
    probe.setFault('refuse') // answers 502 to every CONNECT: nothing leaves the machine
    const strict = createVisitHttp({
      allowPrivate: false,
      publicUrl: 'http://tf.test',
      nowMs: () => Date.now(),
      timeoutMs: 3000,
      egress: { US: probe.url },
      resolve: async (name) =>
        name === 'inside.test'
          ? [{ address: '10.1.2.3', family: 4 }]
          : [
              { address: '93.184.215.14', family: 4 },
              { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
            ],
    })
    const base = {
      device: 'mobile' as const,
      uaIndex: 1,
      runId: randomUUID(),
      signingKey: 'k',
      country: 'US',
    }
    try {
      const lit = await strict.visit({ ...base, url: `${site.url}/`, allowedHosts: new Set() })
      expect(lit).toMatchObject({ answered: false, error: 'blocked' })
      const named = await strict.visit({ ...base, url: 'http://inside.test/', allowedHosts: new Set() })
      expect(named).toMatchObject({ answered: false, error: 'blocked' })
      expect(probe.tunnels()).toEqual({}) // refused before any proxy connection
      const pub = await strict.visit({ ...base, url: 'https://public.test/p', allowedHosts: new Set() })
      expect(pub).toMatchObject({ answered: false, error: 'egress' })
      // CONNECT to the checked address, not to the name (the proxy cannot re-resolve it elsewhere).
      expect(probe.tunnels()).toEqual({ '93.184.215.14:443': 1 })
    } finally {
      await strict.close()
      await probe.stop()
    }
  })
})

describe('geo targets in the API', () => {
  let app: FastifyInstance
  let A: { apiKey: string; workspaceId: string }
  const call = (method: string, url: string, payload?: unknown) =>
    app
      .inject({
        method: method as 'GET',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${A.apiKey}` },
        ...(payload !== undefined ? { payload: payload as object } : {}),
      })
      .then((r) => ({ status: r.statusCode, body: r.body === '' ? undefined : (JSON.parse(r.body) as Json) }))

  beforeAll(async () => {
    app = await testApiApp(db, {
      plugins: [
        {
          plugin: visitorProjectRoutes({
            db,
            clock: systemClock,
            verify: { key: deriveVerifyKey(Buffer.alloc(32, 1)), allowPrivate: true },
            priceTiers: DEFAULT_PRICE_TIERS,
            egressCountries: ['US', 'DE'],
            speedRange: { minPerMinute: 2, maxPerMinute: 1200 },
          }),
        },
      ],
    })
    A = await createWorkspaceWithKey(db)
  })
  afterAll(async () => {
    await app?.close()
  })

  it('lists the egress countries', async () => {
    expect(await call('GET', '/visitors/egress')).toEqual({ status: 200, body: { countries: ['DE', 'US'] } })
  })

  it("answers the server's visitor config: the speed range (the form's estimate) and the egress countries", async () => {
    expect(await call('GET', '/visitors/config')).toEqual({
      status: 200,
      body: { speed: { min_per_minute: 2, max_per_minute: 1200 }, countries: ['DE', 'US'] },
    })
  })

  it('refuses geoTargets naming a country without egress at create and patch (400, field path)', async () => {
    const bad = {
      urls: ['https://a.example/'],
      geoTargets: [
        { cc: 'US', w: 2 },
        { cc: 'JP', w: 1 },
      ],
    }
    const c = await call('POST', '/projects', { name: 'x', settings: bad })
    expect(c.status).toBe(400)
    expect(c.body.error.details).toEqual([{ path: 'settings.geoTargets.1.cc', message: 'no egress for JP' }])
    expect(c.body.error.message).toContain('no egress for JP')

    const ok = await call('POST', '/projects', {
      name: 'y',
      settings: { urls: ['https://a.example/'], geoTargets: [{ cc: 'DE', w: 1 }] },
    })
    expect(ok.status).toBe(201)
    const p = await call('PATCH', `/projects/${ok.body.id}`, { settings: bad })
    expect(p.status).toBe(400)
    expect(p.body.error.details).toEqual([{ path: 'settings.geoTargets.1.cc', message: 'no egress for JP' }])
  })

  it('refuses to start a stored project whose country lost its egress (409 no_egress)', async () => {
    const [row] = await db
      .insert(visitorProjects)
      .values({
        workspaceId: A.workspaceId,
        name: 'old',
        status: 'stopped',
        settings: { urls: ['https://a.example/'], geoTargets: [{ cc: 'FR', w: 1 }] },
      })
      .returning({ id: visitorProjects.id })
    const s = await call('POST', `/projects/${row!.id}/start`)
    expect(s.status).toBe(409)
    expect(s.body.error.code).toBe('no_egress')
    expect(s.body.error.details).toEqual([{ path: 'settings.geoTargets.0.cc', message: 'no egress for FR' }])
  })
})
