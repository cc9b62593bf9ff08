import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ledgerAccounts,
  createLedgerRepository,
  type LedgerRepository,
} from '../src/modules/billing/index.ts'
import {
  createVisitHttp,
  createVisitorEngine,
  type VisitHit,
  type VisitHttp,
  verifyVisitHeader,
  visitorProjects,
} from '../src/modules/visitors/index.ts'
import { visitorDaily, visitorRuns } from '../src/modules/visitors/visitors.tables.ts'
import { systemClock } from '../src/platform/clock.ts'
import type { Db } from '../src/platform/db/client.ts'
import { startTargetSite, type TargetSite } from '../src/simulators/target-site/target-site.simulator.ts'
import { throwawayDb } from './helpers/pg.ts'
import { activeProject, fundedWorkspace } from './helpers/visitors.ts'

const PUBLIC_URL = 'http://tf.test'
const keyOf = (ws: string) => `visit-key-${ws}`

let h: Awaited<ReturnType<typeof throwawayDb>>
let db: Db
let ledger: LedgerRepository
let site: TargetSite
let http: VisitHttp

const workspace = (credits: number) => fundedWorkspace(db, ledger, credits)

const project = (
  ws: string,
  settings: Record<string, unknown>,
  extra: Partial<typeof visitorProjects.$inferInsert> = {},
) => activeProject(db, ws, settings, extra)

const credits = async (ws: string) => ({
  available: Number(await ledger.balance(ledgerAccounts.visitsAvailable(ws))),
  reserved: Number(await ledger.balance(ledgerAccounts.visitsReserved(ws))),
})
const row = async (id: string) =>
  (await db.select().from(visitorProjects).where(eq(visitorProjects.id, id)))[0]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The hold commits (charge groups) of a workspace: hold, the engine's group key, visits charged. */
async function holdCommits(ws: string): Promise<{ holdId: string; key: string; visits: number }[]> {
  const res = (await h.raw.executeSql(
    `SELECT p.idempotency_key, p.reference, t.amount::int AS amount
       FROM ledger_postings p JOIN ledger_transfers t ON t.posting_id = p.id
      WHERE p.type = 'hold_commit' AND p.workspace_id = $1`,
    [ws],
  )) as { rows: { idempotency_key: string; reference: string; amount: number }[] }
  return res.rows.map((r) => ({
    holdId: r.reference,
    key: r.idempotency_key.slice(`hold_commit:${r.reference}:`.length),
    visits: Number(r.amount),
  }))
}

/** Group keys are `visits:<run id>:<seq>`, each used once; their visits sum to `charged`. */
async function expectGroupCharges(ws: string, charged: number) {
  const commits = await holdCommits(ws)
  for (const c of commits) expect(c.key).toMatch(/^visits:[0-9a-f-]{36}:\d+$/)
  expect(new Set(commits.map((c) => c.key)).size).toBe(commits.length)
  expect(commits.reduce((n, c) => n + c.visits, 0)).toBe(charged)
  return commits
}

beforeAll(async () => {
  h = await throwawayDb('pglite')
  db = h.db
  ledger = createLedgerRepository(db)
  site = await startTargetSite({ slowMs: 1000 })
  http = createVisitHttp({
    allowPrivate: true,
    publicUrl: PUBLIC_URL,
    nowMs: () => Date.now(),
    timeoutMs: 5000,
  })
})
afterAll(async () => {
  await http?.close()
  await site?.stop()
  await h?.drop()
})

describe('visitor engine', () => {
  it('holds the asked rate over 30 s: achieved within 2 % of 100 visits/s, every launched visit charged', async () => {
    // The acceptance check ("achieved rate within 2 % of the target over 30 s"); even
    // arrivals, as a Poisson count over 30 s has a 1.8 % standard deviation by itself.
    const ws = await workspace(10_000)
    const p = await project(ws, { urls: [`${site.url}/page/rate`], visits_per_minute: 6000 }) // 100/s
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true }),
      signingKey: keyOf,
      mode: 'even',
      seed: 30,
      pollMs: 1000,
    })
    await engine.start()
    await sleep(30_000)
    await engine.stop()
    const [s] = engine.stats(p)
    const seconds = (s!.stoppedAt!.getTime() - s!.startedAt.getTime()) / 1000
    const rate = s!.started / seconds
    console.log(
      `visitors.engine: asked 100/s, achieved ${rate.toFixed(2)}/s over ${seconds.toFixed(1)} s (${s!.started} visits);`,
      `schedule lag p50/p99/max ${s!.scheduleLagMs.p50}/${s!.scheduleLagMs.p99}/${s!.scheduleLagMs.max} ms;`,
      `latency p50/p99 ${s!.latencyMs.p50}/${s!.latencyMs.p99} ms; dropped ${s!.dropped}`,
    )
    expect(seconds).toBeGreaterThanOrEqual(30)
    expect(Math.abs(rate - 100) / 100).toBeLessThan(0.02)
    // A start is dropped only when it could not be launched within maxWaitMs (250 ms): on this
    // shared 2-core box another job can stall the event loop that long (seen: 5 of 3,000 under
    // load average 11). Dropped starts count against the rate above; a few are allowed here.
    expect(s!.dropped).toBeLessThanOrEqual(Math.ceil(s!.started * 0.01))
    expect(s!.answered).toBe(s!.started)
    expect(s!.charged).toBe(s!.started)
    expect((await row(p)).visitsDone).toBe(s!.charged)
    expect(await credits(ws)).toEqual({ available: 10_000 - s!.charged, reserved: 0 })
  }, 45_000)

  it('runs several projects for 6 s: split, labels, drops, metering, limits, pauses', async () => {
    site.clear()
    const u = (p: string) => `${site.url}${p}`
    const wsRate = await workspace(100_000)
    const pRate = await project(wsRate, {
      urls: [
        { url: u('/page/a'), weight: 3 },
        { url: u('/page/b'), weight: 1 },
      ],
      visits_per_minute: 3000, // 50/s
      desktop_share: 0.7,
    })
    const wsFail = await workspace(10_000)
    const pFail = await project(wsFail, {
      urls: [u('/page/x'), u('/error/reset'), u('/error/500')],
      visits_per_minute: 600,
    })
    const wsSlow = await workspace(10_000)
    const pSlow = await project(wsSlow, { urls: [u('/slow')], visits_per_minute: 1200, concurrency: 5 })
    const wsOut = await workspace(30)
    const pOut = await project(wsOut, { urls: [u('/page/c')], visits_per_minute: 1200 })
    const wsTotal = await workspace(1000)
    const pTotal = await project(
      wsTotal,
      { urls: [u('/page/t')], visits_per_minute: 3000 },
      { totalTarget: 37 },
    )
    const wsDaily = await workspace(1000)
    const pDaily = await project(
      wsDaily,
      { urls: [u('/page/d')], visits_per_minute: 1200 },
      { dailyLimit: 25, timezone: 'Europe/Berlin' },
    )
    const wsUnv = await workspace(1000)
    const pUnv = await project(wsUnv, { urls: [u('/page/u')], visits_per_minute: 600 })
    const wsExp = await workspace(1000)
    const pExp = await project(
      wsExp,
      { urls: [u('/page/e')], visits_per_minute: 600 },
      { expiresAt: new Date(Date.now() - 1000) },
    )

    const hits: VisitHit[] = []
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async (p) => (p.id === pUnv ? { ok: false, reason: 'token file missing' } : { ok: true }),
      signingKey: keyOf,
      mode: 'even',
      seed: 7,
      pollMs: 1000,
      tickMs: 5,
      maxWaitMs: 250,
      onHit: (x) => hits.push(x),
    })
    await engine.start()
    const t0 = Date.now()
    await sleep(6000)
    await engine.stop()
    const elapsed = (Date.now() - t0) / 1000

    // Rate: 50/s asked (the 2 % claim is the 30 s test's; here a loose check).
    const [sRate] = engine.stats(pRate)
    expect(sRate).toBeDefined()
    const rate = sRate!.started / ((sRate!.stoppedAt!.getTime() - sRate!.startedAt.getTime()) / 1000)
    console.log(
      `visitors.engine: asked 50/s, achieved ${rate.toFixed(2)}/s over ${elapsed.toFixed(1)} s (${sRate!.started} visits);`,
      `schedule lag p50/p99/max ${sRate!.scheduleLagMs.p50}/${sRate!.scheduleLagMs.p99}/${sRate!.scheduleLagMs.max} ms;`,
      `latency p50/p95/p99 ${sRate!.latencyMs.p50}/${sRate!.latencyMs.p95}/${sRate!.latencyMs.p99} ms; dropped ${sRate!.dropped}`,
    )
    expect(Math.abs(rate - 50) / 50).toBeLessThan(0.05)
    // Drops only when the loop stalls past maxWaitMs (250 ms): other jobs on the shared box can.
    expect(sRate!.dropped).toBeLessThanOrEqual(Math.ceil(sRate!.started * 0.02))
    expect(sRate!.answered).toBe(sRate!.started)
    // Device split 0.7 (binomial, 5 σ).
    const n = sRate!.started
    expect(Math.abs(sRate!.desktop / n - 0.7)).toBeLessThan(5 * Math.sqrt((0.7 * 0.3) / n))

    // Labels on every request the site received: identifying UA suffix, valid signed header.
    const reqs = site.requests()
    expect(reqs.length).toBeGreaterThan(n)
    const wsOfRun = new Map<string, string>()
    for (const s of engine.stats()) wsOfRun.set(s.runId, (await row(s.projectId)).workspaceId)
    for (const r of reqs) {
      const m = / traffoflex-visit\/1\.0 \(\+http:\/\/tf\.test\/visits; run=([0-9a-f-]{36})\)$/.exec(r.ua)
      expect(m, r.ua).not.toBeNull()
      const ws = wsOfRun.get(m![1]!)
      expect(ws).toBeDefined()
      expect(
        verifyVisitHeader(keyOf(ws!), String(r.headers['x-traffoflex-visit']), Math.floor(r.at / 1000)),
      ).toBe(m![1])
    }
    // Subresources (same-origin only) were fetched with the pages.
    expect(reqs.some((r) => r.path === '/assets/site.css')).toBe(true)
    expect(reqs.some((r) => r.path === '/assets/logo.png')).toBe(true)
    expect(reqs.every((r) => !r.path.includes('cdn.example'))).toBe(true)

    // Metering: credits fall by exactly the charged visits; the run's hold is released.
    for (const [ws, p, start] of [
      [wsRate, pRate, 100_000],
      [wsFail, pFail, 10_000],
      [wsSlow, pSlow, 10_000],
    ] as const) {
      const pr = await row(p)
      const c = await credits(ws)
      expect(c.reserved).toBe(0)
      expect(c.available).toBe(start - pr.visitsDone)
      const charged = engine.stats(p).reduce((k, s) => k + s.charged, 0)
      expect(pr.visitsDone).toBe(charged)
      const groups = await expectGroupCharges(ws, charged)
      expect(groups.length).toBe(engine.stats(p).reduce((k, s) => k + s.chargeGroups, 0))
      expect(pr.status).toBe('active') // a shutdown leaves projects active
      expect(pr.holdId).toBeNull()
    }
    // Failed before any response (reset) is not charged; a 500 is (the site answered).
    const [sFail] = engine.stats(pFail)
    expect(sFail!.errors.reset).toBeGreaterThan(10)
    expect(sFail!.statuses['5xx']).toBeGreaterThan(10)
    expect(sFail!.charged).toBe(sFail!.answered)
    expect(sFail!.answered + (sFail!.errors.reset ?? 0)).toBe(sFail!.started)
    expect((await row(pFail)).visitsDone).toBe(sFail!.started - sFail!.errors.reset!)

    // Slow site, 5 slots: most scheduled starts are dropped (counted), none launched late.
    const [sSlow] = engine.stats(pSlow)
    console.log(
      `visitors.engine: slow site (1 s, 5 slots, 20/s asked): started ${sSlow!.started}, dropped ${sSlow!.dropped}, latency p99 ${sSlow!.latencyMs.p99} ms`,
    )
    expect(sSlow!.dropped).toBeGreaterThan(60)
    expect(sSlow!.started).toBeLessThanOrEqual(5 * 7 + 5)
    expect(sSlow!.scheduleLagMs.max).toBeLessThanOrEqual(250 + 50)

    // Credits out → paused with the reason; all 30 spent, none unpaid.
    const out = await row(pOut)
    expect(out.status).toBe('paused')
    expect(out.pauseReason).toBe('credits_exhausted')
    expect(out.visitsDone).toBe(30)
    expect(await credits(wsOut)).toEqual({ available: 0, reserved: 0 })
    expect(engine.stats(pOut)[0]!.started).toBe(30)

    // Total target: exactly reached, never exceeded → completed.
    const tot = await row(pTotal)
    expect(tot.status).toBe('completed')
    expect(tot.visitsDone).toBe(37)
    expect(engine.stats(pTotal)[0]!.started).toBe(37)
    expect(await credits(wsTotal)).toEqual({ available: 1000 - 37, reserved: 0 })

    // Daily limit in the project's zone → paused until tomorrow.
    const daily = await row(pDaily)
    expect(daily.status).toBe('paused')
    expect(daily.pauseReason).toBe('daily_limit')
    const days = await db.select().from(visitorDaily).where(eq(visitorDaily.projectId, pDaily))
    expect(days).toHaveLength(1)
    expect(days[0]!.visits).toBe(25)

    // Verification failed → paused, nothing visited; expired → completed.
    expect((await row(pUnv)).pauseReason).toBe('verification_failed')
    expect(reqs.some((r) => r.path === '/page/u')).toBe(false)
    const exp = await row(pExp)
    expect(exp.status).toBe('completed')
    expect(reqs.some((r) => r.path === '/page/e')).toBe(false)

    // Runs are recorded with their totals.
    const runs = await db.select().from(visitorRuns).where(eq(visitorRuns.projectId, pRate))
    expect(runs).toHaveLength(1)
    expect(runs[0]!.stopReason).toBe('shutdown')
    expect(runs[0]!.visits).toBe(sRate!.charged)
    expect(hits.filter((x) => x.projectId === pRate)).toHaveLength(sRate!.started)

    expect(await ledger.audit()).toEqual([])
  }, 45_000)

  it('a crash mid-run and a restart never double-charge; replayed commits change nothing', async () => {
    const ws = await workspace(5000)
    const p = await project(ws, { urls: [`${site.url}/page/r`], visits_per_minute: 1200 })
    const deps = {
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true as const }),
      signingKey: keyOf,
      pollMs: 1000,
    }
    const a = createVisitorEngine(deps)
    await a.start()
    await sleep(2000)
    a.kill() // no release, no run closed: as if the process died
    const mid = await row(p)
    expect(mid.holdId).not.toBeNull()
    expect((await credits(ws)).reserved).toBeGreaterThan(0)

    const b = createVisitorEngine(deps)
    await b.start()
    await sleep(2000)
    await b.stop()

    const pr = await row(p)
    const c = await credits(ws)
    expect(c.reserved).toBe(0)
    expect(c.available).toBe(5000 - pr.visitsDone)
    const [daySum] = await db
      .select({ n: sql<string>`sum(${visitorDaily.visits})` })
      .from(visitorDaily)
      .where(eq(visitorDaily.projectId, p))
    expect(Number(daySum!.n)).toBe(pr.visitsDone)
    const runs = await db.select().from(visitorRuns).where(eq(visitorRuns.projectId, p))
    expect(runs.map((r) => r.stopReason).sort()).toEqual(['interrupted', 'shutdown'])
    expect(runs.reduce((n, r) => n + r.visits, 0)).toBe(pr.visitsDone)

    // The charge groups of both runs: keys once each, their visits = the visits charged.
    const commits = await expectGroupCharges(ws, pr.visitsDone)
    const runIds = new Set(runs.map((r) => r.id))
    for (const cm of commits) expect(runIds.has(cm.key.split(':')[1]!)).toBe(true)
    // Replay every group with its key and size: all answer the first posting, nothing moves.
    for (const cm of commits) {
      const r = await ledger.commit(
        { holdId: cm.holdId, amount: BigInt(cm.visits), idempotencyKey: cm.key },
        new Date(),
      )
      expect(r.created).toBe(false)
    }
    expect(await credits(ws)).toEqual(c)
    expect(await ledger.audit()).toEqual([])
  }, 20_000)

  it('under load the charges are group-committed: multi-visit groups, each charged once', async () => {
    const ws = await workspace(50_000)
    const p = await project(ws, { urls: [`${site.url}/page/g`], visits_per_minute: 24_000 }) // 400/s
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true as const }),
      signingKey: keyOf,
      mode: 'even',
      pollMs: 1000,
    })
    await engine.start()
    await sleep(3000)
    await engine.stop()

    const [s] = engine.stats(p)
    const pr = await row(p)
    console.log(
      `visitors.engine: 400/s asked, ${s!.started} started, ${s!.charged} charged in ${s!.chargeGroups} groups`,
      `(mean ${(s!.charged / s!.chargeGroups).toFixed(1)} visits/group); schedule lag p99 ${s!.scheduleLagMs.p99} ms`,
    )
    expect(s!.started).toBeGreaterThan(400) // the box may be shared: the point is the grouping
    expect(s!.charged).toBe(s!.answered)
    expect(pr.visitsDone).toBe(s!.charged)
    const groups = await expectGroupCharges(ws, s!.charged)
    expect(groups.length).toBe(s!.chargeGroups)
    // Fewer transactions than visits: at least one group carried several visits.
    expect(Math.max(...groups.map((g) => g.visits))).toBeGreaterThan(1)
    expect(s!.chargeGroups).toBeLessThan(s!.charged)
    // Credits fell by exactly the visits made (all answered); the holds are released.
    expect(await credits(ws)).toEqual({ available: 50_000 - s!.started, reserved: 0 })
    const runs = await db.select().from(visitorRuns).where(eq(visitorRuns.projectId, p))
    expect(runs[0]!.visits).toBe(s!.charged)
    expect(await ledger.audit()).toEqual([])
  }, 20_000)

  it('a running project whose ownership re-check fails is drained and paused (hourly in production)', async () => {
    const ws = await workspace(5_000)
    const p = await project(ws, { urls: [`${site.url}/page/r`], visits_per_minute: 600 }) // 10/s
    let owned = true
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () =>
        owned ? { ok: true as const } : { ok: false as const, reason: 'token file missing' },
      signingKey: keyOf,
      mode: 'even',
      pollMs: 100,
      recheckMs: 300,
    })
    await engine.start()
    await sleep(1000)
    expect((await row(p)).status).toBe('active')
    const before = engine.stats(p)[0]!.started
    expect(before).toBeGreaterThan(0)
    owned = false // the owner removed the token file
    await expect.poll(async () => (await row(p)).status, { timeout: 5_000, interval: 100 }).toBe('paused')
    expect((await row(p)).pauseReason).toBe('verification_failed')
    const [s] = engine.stats(p)
    expect(s!.stopReason).toBe('verification_failed')
    await sleep(500)
    expect(engine.stats(p)[0]!.started).toBe(s!.started) // no visit after the pause
    await engine.stop()
    // Everything made was charged once; the hold is released.
    expect((await credits(ws)).reserved).toBe(0)
    expect((await credits(ws)).available).toBe(5_000 - s!.charged)
    expect(await ledger.audit()).toEqual([])
  }, 20_000)

  it("sends the project's own URL as Referer when its settings ask for it, and none otherwise", async () => {
    const ws = await workspace(1_000)
    const home = `${site.url}/page/ref-home`
    const withRef = await project(ws, { urls: [home], visits_per_minute: 600, referrer: home })
    const third = await project(ws, {
      urls: [`${site.url}/page/ref-none`],
      visits_per_minute: 600,
      referrer: 'https://search.example/', // not one of its URLs: ignored, never sent
    })
    const engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true as const }),
      signingKey: keyOf,
      mode: 'even',
      pollMs: 200,
    })
    await engine.start()
    await sleep(1200)
    await engine.stop()
    const pages = (path: string) => site.requests().filter((r) => r.path === path)
    expect(pages('/page/ref-home').length).toBeGreaterThan(0)
    for (const r of pages('/page/ref-home')) expect(r.headers.referer).toBe(home)
    expect(pages('/page/ref-none').length).toBeGreaterThan(0)
    for (const r of pages('/page/ref-none')) expect(r.headers.referer).toBeUndefined()
    expect(engine.stats(withRef)[0]!.charged + engine.stats(third)[0]!.charged).toBeGreaterThan(0)
  }, 20_000)
})
