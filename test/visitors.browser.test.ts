/**
 * Browser mode of the visitor engine: Debian's Chromium (playwright-core) against the
 * target-site simulator (real HTTP on loopback), on PGlite with the real ledger. Labels on
 * every request the site sees, device emulation by the split, the page cap, charging per
 * answered visit, SSRF refusals (a private target, and DNS rebinding caught by the guard
 * proxy), geo egress (two egress-proxy simulators as "countries": each visit reaches the site
 * from its country's address through its guard), the memory-cap restart, and the measured cost
 * per visit (printed; README "Browser mode").
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createLedgerRepository,
  type LedgerRepository,
  ledgerAccounts,
} from '../src/modules/billing/index.ts'
import {
  createVisitBrowser,
  createVisitHttp,
  createVisitorEngine,
  type VisitBrowser,
  type VisitHit,
  type VisitHttp,
  verifyVisitHeader,
  visitorProjects,
} from '../src/modules/visitors/index.ts'
import { systemClock } from '../src/platform/clock.ts'
import type { Db } from '../src/platform/db/client.ts'
import { type EgressProxy, startEgressProxy } from '../src/simulators/egress-proxy/egress-proxy.simulator.ts'
import { startTargetSite, type TargetSite } from '../src/simulators/target-site/target-site.simulator.ts'
import { throwawayDb } from './helpers/pg.ts'
import { activeProject, fundedWorkspace } from './helpers/visitors.ts'

const CHROMIUM = '/usr/bin/chromium'
const PUBLIC_URL = 'http://tf.test'
const keyOf = (ws: string) => `visit-key-${ws}`
const LABEL = / traffoflex-visit\/1\.0 \(\+http:\/\/tf\.test\/visits; run=([0-9a-f-]{36})\)$/

let h: Awaited<ReturnType<typeof throwawayDb>>
let db: Db
let ledger: LedgerRepository
let site: TargetSite
let http: VisitHttp
const browsers: VisitBrowser[] = []

const browserFor = (o: Partial<Parameters<typeof createVisitBrowser>[0]> = {}) => {
  const b = createVisitBrowser({
    allowPrivate: true,
    publicUrl: PUBLIC_URL,
    nowMs: () => Date.now(),
    chromiumPath: CHROMIUM,
    maxDwellMs: 5000,
    timeoutMs: 10_000,
    ...o,
  })
  browsers.push(b)
  return b
}

const workspace = (credits: number) => fundedWorkspace(db, ledger, credits)

const project = (
  ws: string,
  settings: Record<string, unknown>,
  extra: Partial<typeof visitorProjects.$inferInsert> = {},
) => activeProject(db, ws, settings, extra)

const row = async (id: string) =>
  (await db.select().from(visitorProjects).where(eq(visitorProjects.id, id)))[0]!
const available = async (ws: string) => Number(await ledger.balance(ledgerAccounts.visitsAvailable(ws)))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`)
  h = await throwawayDb('pglite')
  db = h.db
  ledger = createLedgerRepository(db)
  site = await startTargetSite({ slowMs: 1500 })
  http = createVisitHttp({
    allowPrivate: true,
    publicUrl: PUBLIC_URL,
    nowMs: () => Date.now(),
    timeoutMs: 5000,
  })
})
afterAll(async () => {
  for (const b of browsers) await b.close()
  await http?.close()
  await site?.stop()
  await h?.drop()
})

describe('visitor engine, browser mode', () => {
  it('makes labelled Chromium visits by the device split, within the page cap, charging each answered visit', async () => {
    const u = (p: string) => `${site.url}${p}`
    const browser = browserFor({ maxPages: 3 })
    const wsD = await workspace(100)
    const pD = await project(
      wsD,
      {
        urls: [u('/page/desk')],
        visits_per_minute: 240,
        desktop_share: 1,
        time_on_page_ms: 1000,
        mode: 'browser',
      },
      { totalTarget: 4 },
    )
    const wsM = await workspace(100)
    const pM = await project(
      wsM,
      {
        urls: [u('/page/mob')],
        visits_per_minute: 240,
        desktop_share: 0,
        time_on_page_ms: 1000,
        mode: 'browser',
      },
      { totalTarget: 4 },
    )
    // Then a slow site at 10 visits/s asked: the 3 pages are the bottleneck, the rest is dropped.
    // (Started after the others: the cap is shared, it would starve them.)
    const wsS = await workspace(1000)
    const pS = await project(
      wsS,
      { urls: [u('/slow/cap')], visits_per_minute: 600, time_on_page_ms: 500, mode: 'browser' },
      { status: 'stopped' },
    )
    const hits: VisitHit[] = []
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      browser,
      recheck: async () => ({ ok: true }),
      signingKey: keyOf,
      mode: 'even',
      seed: 3,
      pollMs: 300,
      onHit: (x) => hits.push(x),
    })
    await engine.start()
    const t0 = Date.now()
    while (Date.now() - t0 < 20_000) {
      if ((await row(pD)).status === 'completed' && (await row(pM)).status === 'completed') break
      await sleep(250)
    }
    await db.update(visitorProjects).set({ status: 'active' }).where(eq(visitorProjects.id, pS))
    await engine.poll()
    await sleep(5000)
    await db.update(visitorProjects).set({ status: 'stopped' }).where(eq(visitorProjects.id, pS))
    await engine.poll()
    await engine.stop()

    // Each project: exactly the total target charged, credits fall by exactly that.
    for (const [ws, p] of [
      [wsD, pD],
      [wsM, pM],
    ] as const) {
      const r = await row(p)
      expect(r.status).toBe('completed')
      expect(r.visitsDone).toBe(4)
      expect(await available(ws)).toBe(96)
      const s = engine.stats(p)
      expect(s.reduce((n, x) => n + x.charged, 0)).toBe(4)
      expect(s.reduce((n, x) => n + x.answered, 0)).toBe(4)
    }
    expect(engine.stats(pD)[0]!.desktop).toBe(4)
    expect(engine.stats(pM)[0]!.mobile).toBe(4)
    // Slow site: never more than 3 pages, the rest dropped; charged = answered, credits agree.
    const [sS] = engine.stats(pS)
    expect(sS!.dropped).toBeGreaterThan(5)
    expect(sS!.charged).toBe(sS!.answered)
    expect(await available(wsS)).toBe(1000 - (await row(pS)).visitsDone)
    expect((await row(pS)).visitsDone).toBe(sS!.charged)
    expect(browser.peakPages()).toBeLessThanOrEqual(3)
    expect(site.slowPeak()).toBeLessThanOrEqual(3)
    expect(site.slowPeak()).toBeGreaterThanOrEqual(2)
    expect(hits.every((x) => x.mode === 'browser')).toBe(true)
    expect(hits.filter((x) => x.charged).every((x) => x.status === 200)).toBe(true)

    // Every request the site received: identifying UA, valid signed header; mobile UAs on the mobile project.
    const reqs = site.requests()
    const wsOfRun = new Map<string, string>()
    for (const s of engine.stats()) wsOfRun.set(s.runId, (await row(s.projectId)).workspaceId)
    for (const r of reqs) {
      const m = LABEL.exec(r.ua)
      expect(m, r.ua).not.toBeNull()
      const ws = wsOfRun.get(m![1]!)!
      expect(
        verifyVisitHeader(keyOf(ws), String(r.headers['x-traffoflex-visit']), Math.floor(r.at / 1000)),
      ).toBe(m![1])
      if (r.path === '/page/mob') expect(r.ua).toMatch(/Android .* Mobile Safari/)
      if (r.path === '/page/desk') expect(r.ua).not.toMatch(/Mobile/)
    }
    expect(reqs.filter((r) => r.path === '/page/desk')).toHaveLength(4)
    expect(reqs.filter((r) => r.path === '/page/mob')).toHaveLength(4)
    // The page was rendered: its stylesheet, script and image were loaded by the browser.
    for (const a of ['/assets/site.css', '/assets/app.js', '/assets/logo.png'])
      expect(reqs.some((r) => r.path === a)).toBe(true)
  }, 40_000)

  it('geo: each browser visit leaves through its country egress (page and subresources), no geo header; a broken or missing egress fails as `egress`, uncharged', async () => {
    site.clear()
    // Each "country" an egress-proxy simulator opening its upstream connections from its own address.
    const ADDR = { US: '127.0.0.2', DE: '127.0.0.3' } as const
    const us: EgressProxy = await startEgressProxy({ localAddress: ADDR.US })
    const de: EgressProxy = await startEgressProxy({
      localAddress: ADDR.DE,
      auth: { user: 'geo', pass: 'p@ss,1' },
    })
    try {
      const browser = browserFor({ maxPages: 4, egress: { US: us.url, DE: de.authUrl } })
      expect(browser.egressCountries).toEqual(['DE', 'US'])
      const ws = await workspace(100)
      const p = await project(
        ws,
        {
          urls: [`${site.url}/page/geo`],
          visits_per_minute: 240,
          time_on_page_ms: 0,
          mode: 'browser',
          geoTargets: [
            { cc: 'US', w: 1 },
            { cc: 'DE', w: 1 },
          ],
        },
        { totalTarget: 8 },
      )
      const hits: VisitHit[] = []
      let x = 0
      const engine = createVisitorEngine({
        db,
        ledger,
        clock: systemClock,
        http,
        browser,
        recheck: async () => ({ ok: true }),
        signingKey: keyOf,
        mode: 'even',
        seed: 5,
        pollMs: 300,
        // A visit takes four draws (device, URL, country, UA): the same value for all four,
        // alternating per visit, so the countries alternate US, DE, US, …
        random: { next: () => (Math.floor(x++ / 4) % 2 === 0 ? 0.25 : 0.75) },
        onHit: (h) => hits.push(h),
      })
      await engine.start()
      const t0 = Date.now()
      while (Date.now() - t0 < 20_000 && (await row(p)).status !== 'completed') await sleep(250)
      await engine.stop()

      expect((await row(p)).status).toBe('completed')
      expect(hits).toHaveLength(8)
      expect(hits.every((h) => h.charged && h.status === 200 && h.mode === 'browser')).toBe(true)
      const count = (cc: string) => hits.filter((h) => h.country === cc).length
      expect(count('US')).toBeGreaterThan(0)
      expect(count('DE')).toBeGreaterThan(0)
      expect(count('US') + count('DE')).toBe(8)
      // The site saw each country's page loads from that country's address, and every request
      // of the run (page, stylesheet, script, image) from one of the egress addresses.
      const reqs = site.requests()
      const pagesFrom = (addr: string) =>
        reqs.filter((r) => r.path === '/page/geo' && r.remote.endsWith(addr))
      expect(pagesFrom(ADDR.US)).toHaveLength(count('US'))
      expect(pagesFrom(ADDR.DE)).toHaveLength(count('DE'))
      expect(reqs.some((r) => r.path === '/assets/site.css')).toBe(true)
      for (const r of reqs) {
        expect(
          [ADDR.US, ADDR.DE].some((a) => r.remote.endsWith(a)),
          `${r.path} from ${r.remote}`,
        ).toBe(true)
        for (const name of ['x-forwarded-for', 'forwarded', 'via', 'x-real-ip', 'proxy-authorization'])
          expect(r.headers[name], name).toBeUndefined()
      }
      // The egress proxies only tunnelled (CONNECT, also for http://: the site, and the page's
      // third-party script host, which goes out through the country too); DE's credentials worked.
      const siteHost = new URL(site.url).host
      for (const e of [us, de]) {
        expect(e.tunnels()[siteHost]).toBeGreaterThan(0)
        expect(e.requests()).toEqual({})
      }
      expect(de.refusedAuth()).toBe(0)

      // A broken egress and a country without one: `egress`, unanswered (not charged), nothing reaches the site.
      site.clear()
      const req = {
        url: `${site.url}/page/nogeo`,
        device: 'desktop' as const,
        uaIndex: 0,
        runId: randomUUID(),
        signingKey: 'k',
        allowedHosts: new Set([siteHost]),
      }
      us.setFault('refuse')
      expect(await browser.visit({ ...req, country: 'US' })).toMatchObject({
        answered: false,
        error: 'egress',
      })
      us.setFault(null)
      expect(await browser.visit({ ...req, country: 'JP' })).toMatchObject({
        answered: false,
        error: 'egress',
      })
      expect(site.requests()).toHaveLength(0)
      // A SOCKS egress is not offered to browser visits (the engine pauses such a project, `no_egress`).
      expect(browserFor({ egress: { FR: 'socks5://127.0.0.1:1' } }).egressCountries).toEqual([])
    } finally {
      await us.stop()
      await de.stop()
    }
  }, 40_000)

  it('page cap fairness: a freed page goes to the project with the fewest pages, not the longest queue', async () => {
    // 2 pages; project A queues 6 slow visits (1.5 s each), then B one. FIFO would serve B after
    // A's whole queue (about 6.4 s); the fair share gives B the first page that frees (~1.6 s).
    const b = browserFor({ maxPages: 2, maxWaitMs: 15_000 })
    const host = new URL(site.url).host
    const visit = (runId: string, name: string) =>
      b
        .visit({
          url: `${site.url}/slow/${name}`,
          device: 'desktop',
          uaIndex: 0,
          runId,
          signingKey: 'k',
          allowedHosts: new Set([host]),
          timeOnPageMs: 0,
        })
        .then((o) => ({ runId, o, at: Date.now() }))
    const runA = randomUUID()
    const runB = randomUUID()
    const as = Array.from({ length: 6 }, (_, i) => visit(runA, `fa${i}`))
    await sleep(200)
    const bDone = visit(runB, 'fb')
    const all = await Promise.all([...as, bDone])
    expect(all.every((x) => x.o.status === 200)).toBe(true)
    const aTimes = all
      .filter((x) => x.runId === runA)
      .map((x) => x.at)
      .sort((p, q) => p - q)
    const bAt = (await bDone).at
    // B finished with A's third and fourth visits' round, before A's fifth (FIFO: after A's sixth).
    expect(bAt).toBeLessThan(aTimes[4]!)
    expect(b.peakPages()).toBe(2)
  }, 30_000)

  it('refuses private targets, also when DNS rebinds after the check (the guard proxy)', async () => {
    site.clear()
    const base = { runId: randomUUID(), signingKey: 'k', device: 'desktop' as const, uaIndex: 0 }
    const strict = browserFor({ allowPrivate: false })
    const o = await strict.visit({ ...base, url: `${site.url}/page/private`, allowedHosts: new Set() })
    expect(o).toMatchObject({ answered: false, error: 'blocked' })
    expect(strict.launches()).toBe(0) // refused before any page was opened
    // First answer public (the pre-check), then loopback (what Chromium's proxy connection gets).
    let calls = 0
    const rebinding = browserFor({
      allowPrivate: false,
      resolve: async () => [{ address: calls++ === 0 ? '8.8.8.8' : '127.0.0.1', family: 4 }],
    })
    const port = new URL(site.url).port
    const o2 = await rebinding.visit({
      ...base,
      url: `http://rebind.test:${port}/page/rebind`,
      allowedHosts: new Set([`rebind.test:${port}`]),
    })
    expect(o2).toMatchObject({ answered: false, error: 'blocked' })
    expect(site.requests()).toHaveLength(0)
  }, 20_000)

  it('replaces the browser past its memory cap, and measures the cost per visit', async () => {
    const visit = (b: VisitBrowser, name: string, timeOnPageMs: number) =>
      b.visit({
        url: `${site.url}/page/${name}`,
        device: 'desktop',
        uaIndex: 0,
        runId: randomUUID(),
        signingKey: 'k',
        allowedHosts: new Set([new URL(site.url).host]),
        timeOnPageMs,
      })
    const tiny = browserFor({ maxRssMb: 1 })
    expect((await visit(tiny, 'm1', 0)).status).toBe(200)
    expect((await visit(tiny, 'm2', 0)).status).toBe(200)
    expect(tiny.launches()).toBe(2)

    // Cost: 4 pages at once, 1 s on page each, 3 rounds after a warm-up visit.
    const b = browserFor({ maxPages: 4 })
    await visit(b, 'warm', 0)
    const idle = b.usage()!
    let peakMb = idle.memoryMb
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, b.usage()?.memoryMb ?? 0)
    }, 250)
    const n = 12
    const t0 = Date.now()
    for (let round = 0; round < 3; round++)
      await Promise.all(Array.from({ length: 4 }, (_, i) => visit(b, `c${round}-${i}`, 1000)))
    const wall = Date.now() - t0
    clearInterval(sampler)
    const end = b.usage()!
    const cpuPerVisit = (end.cpuMs - idle.cpuMs) / n
    const mbPerPage = (peakMb - idle.memoryMb) / 4
    console.log(
      `visitors.browser: ${n} visits (4 pages at once, 1 s on page) in ${wall} ms;`,
      `CPU ${cpuPerVisit.toFixed(0)} ms per visit; browser idle ${idle.memoryMb.toFixed(0)} MiB (PSS),`,
      `peak ${peakMb.toFixed(0)} MiB, ${mbPerPage.toFixed(0)} MiB per concurrent page; ${end.processes} processes`,
    )
    expect(cpuPerVisit).toBeGreaterThan(0)
    expect(b.peakPages()).toBe(4)
  }, 30_000)
})
