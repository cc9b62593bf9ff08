/**
 * Results and live pulse of the visitor engine (PGlite + embedded chDB, real HTTP on
 * loopback): a real engine run's hits become `visits` rows exactly once although the first
 * insert's answer is lost (the pipeline retries with the same deduplication token); the
 * report's numbers on a known set of visits (UTC and a half-hour zone); the stats route's
 * shape and workspace isolation; SSE: a hit reaches its own workspace's `/live` stream only,
 * the admin stream gets every workspace's (with `workspace_id`), non-admins get 403, and a
 * demoted admin's stream ends.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { credentialStillValid, users } from '../src/modules/accounts/index.ts'
import {
  createLiveHub,
  createPipeline,
  createVisitPulse,
  createVisitsWriter,
  type LiveHub,
  liveRoutes,
  migrateClickHouse,
  type Pipeline,
  type VisitRecord,
  visitReport,
} from '../src/modules/analytics/index.ts'
import {
  createLedgerRepository,
  type LedgerRepository,
  ledgerAccounts,
} from '../src/modules/billing/index.ts'
import {
  createVisitHttp,
  createVisitorEngine,
  type VisitHit,
  type VisitHttp,
  type VisitorEngine,
  visitorProjects,
  visitorRunRoutes,
} from '../src/modules/visitors/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { systemClock } from '../src/platform/clock.ts'
import type { Db } from '../src/platform/db/client.ts'
import { startTargetSite, type TargetSite } from '../src/simulators/target-site/target-site.simulator.ts'
import { removeTempDirs, rows, silentLogger, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { openSse } from './helpers/sse.ts'

let pg: Awaited<ReturnType<typeof throwawayDb>>
let db: Db
let ledger: LedgerRepository
let ch: ClickHouseHandle
let pipeline: Pipeline
let site: TargetSite
let http: VisitHttp
let hub: LiveHub
let app: FastifyInstance
let base: string
let engine: VisitorEngine | undefined
/** Inserts into `visits` attempted (the first one "loses its answer" after landing). */
let visitInserts = 0

type Who = Awaited<ReturnType<typeof createWorkspaceWithKey>>
let A: Who
let B: Who
let admin: Who

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until everything spooled is in ClickHouse (a flush rejects on each failed insert, then retries). */
async function flushed() {
  for (let i = 0; ; i++) {
    try {
      return await pipeline.flush()
    } catch (err) {
      if (i > 50) throw err
      await sleep(20)
    }
  }
}

async function deposit(ws: string, credits: number) {
  await ledger.post(
    {
      idempotencyKey: `deposit:${ws}:${randomUUID()}`,
      type: 'deposit',
      workspaceId: ws,
      transfers: [
        {
          debit: ledgerAccounts.visitsIssued(),
          credit: ledgerAccounts.visitsAvailable(ws),
          amount: BigInt(credits),
        },
      ],
    },
    new Date(),
  )
}

async function project(ws: string, settings: Record<string, unknown>, status: 'active' | 'stopped') {
  const [p] = await db
    .insert(visitorProjects)
    .values({ workspaceId: ws, name: 'p', status, settings })
    .returning({ id: visitorProjects.id })
  return p!.id
}

const get = async (url: string, who: Who) => {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${who.apiKey}` } })
  return { status: res.statusCode, body: res.json() as Record<string, unknown> }
}

beforeAll(async () => {
  pg = await throwawayDb('pglite')
  db = pg.db
  ledger = createLedgerRepository(db)
  ch = await openClickHouse({ chDir: path.join(tempDir('vres-ch'), 'ch'), database: 'tf_vres' })
  await migrateClickHouse(ch)
  // The first insert into `visits` lands and then "loses its answer": the pipeline retries
  // the same range with the same token and ClickHouse drops the copy.
  const flaky: ClickHouseHandle = {
    ...ch,
    insertJsonEachRow: async (table, body, settings) => {
      await ch.insertJsonEachRow(table, body, settings)
      if (table.endsWith('.visits') && ++visitInserts === 1) throw new Error('simulated lost response')
    },
  }
  pipeline = createPipeline({
    handle: flaky,
    spoolDir: tempDir('vres-spool'),
    queueMax: 10_000,
    batchSize: 500,
    flushMs: 20,
    logger: silentLogger,
    retryBaseMs: 10,
    retryMaxMs: 50,
  })
  site = await startTargetSite({ slowMs: 1000 })
  http = createVisitHttp({ allowPrivate: true, publicUrl: 'http://tf.test', nowMs: () => Date.now() })
  hub = createLiveHub({ flushMs: 20, recheckMs: 100 })
  A = await createWorkspaceWithKey(db)
  B = await createWorkspaceWithKey(db)
  admin = await createWorkspaceWithKey(db, { role: 'admin' })
  await deposit(A.workspaceId, 1000)
  app = await testApiApp(db, {
    plugins: [
      { plugin: liveRoutes(hub, { stillAllowed: credentialStillValid(db, systemClock) }) },
      {
        plugin: visitorRunRoutes({
          engine: { stats: (id) => engine?.stats(id) ?? [] },
          ledger,
          db,
          report: (ws, id, range) => visitReport(ch, ws, id, range),
        }),
      },
    ],
  })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
}, 60_000)

afterAll(async () => {
  await app?.close()
  await pipeline?.close()
  await http?.close()
  await site?.stop()
  await ch?.close()
  await pg?.drop()
  removeTempDirs()
})

let runProject: string
const runHits: VisitHit[] = []

describe('visits in ClickHouse', () => {
  it("stores every hit of a real engine run once, although the first insert's answer was lost", async () => {
    const u = (p: string) => `${site.url}${p}`
    runProject = await project(
      A.workspaceId,
      { urls: [u('/page/a'), u('/error/reset'), u('/error/500')], visits_per_minute: 1200 },
      'active',
    )
    const writer = createVisitsWriter(pipeline)
    engine = createVisitorEngine({
      db,
      ledger,
      clock: systemClock,
      http,
      recheck: async () => ({ ok: true }),
      signingKey: () => 'k',
      mode: 'even',
      pollMs: 60_000,
      onHit: (hit) => {
        runHits.push(hit)
        writer.push(hit)
      },
    })
    await engine.start()
    await sleep(2000)
    await engine.stop()
    writer.flush()
    await flushed()

    const [s] = engine.stats(runProject)
    expect(s!.started).toBeGreaterThan(20)
    expect(runHits.length).toBe(s!.started)
    expect(visitInserts).toBeGreaterThanOrEqual(2)
    const [c] = await rows<{ n: string; u: string }>(
      ch,
      'SELECT count() AS n, uniqExact(visit_id) AS u FROM tf_vres.visits WHERE project_id = {p:String}',
      { p: runProject },
    )
    expect({ n: Number(c!.n), u: Number(c!.u) }).toEqual({ n: runHits.length, u: runHits.length })
    expect(new Set(runHits.map((h) => h.visitId)).size).toBe(runHits.length)

    // A row carries the hit as it was.
    const h = runHits.find((x) => x.status === 200)!
    const [r] = await rows<Record<string, unknown>>(
      ch,
      `SELECT workspace_id, run_id, url, device, mode, country, answered, status, charged, bytes > 0 AS has_bytes,
         ts = toDateTime64({ts:String}, 3, 'UTC') AS ts_ok, started_at >= ts AS launched_after
       FROM tf_vres.visits WHERE visit_id = {id:String}`,
      { id: h.visitId, ts: h.scheduledAt.toISOString().slice(0, 23).replace('T', ' ') },
    )
    expect(r).toEqual({
      workspace_id: A.workspaceId,
      run_id: s!.runId,
      url: u('/page/a'),
      device: h.device,
      mode: 'http',
      country: '',
      answered: 1,
      status: 200,
      charged: 1,
      has_bytes: 1,
      ts_ok: 1,
      launched_after: 1,
    })

    // The report over the run agrees with the engine and the ledger.
    const rep = await get(`/api/v1/projects/${runProject}/report?tz=UTC`, A)
    expect(rep.status).toBe(200)
    const totals = rep.body.totals as Record<string, number>
    const available = Number(await ledger.balance(ledgerAccounts.visitsAvailable(A.workspaceId)))
    expect(totals.visits).toBe(runHits.length)
    expect(totals.credits).toBe(s!.charged)
    expect(totals.credits).toBe(1000 - available)
    expect(totals.failed).toBe(runHits.filter((x) => x.status === null || x.status >= 400 || x.error).length)
  }, 30_000)

  it("answers the report's numbers on a known set of visits", async () => {
    const pK = await project(A.workspaceId, { urls: ['https://known.example/'] }, 'stopped')
    const writer = createVisitsWriter(pipeline)
    const at = (iso: string) => new Date(iso)
    const hit = (
      iso: string,
      status: number | null,
      latencyMs: number | null,
      device: 'desktop' | 'mobile',
      country: string | null,
      error: string | null = null,
    ): VisitRecord => ({
      visitId: randomUUID(),
      workspaceId: A.workspaceId,
      projectId: pK,
      runId: 'run-k',
      url: 'https://known.example/',
      device,
      country,
      mode: 'http',
      status,
      error,
      latencyMs,
      charged: status !== null,
      bytes: 1234,
      scheduledAt: at(iso),
      startedAt: at(iso),
      at: at(iso),
    })
    const known = [
      hit('2024-06-01T10:05:00Z', 200, 100, 'desktop', 'US'),
      hit('2024-06-01T10:05:01Z', 200, 200, 'desktop', 'US'),
      hit('2024-06-01T10:05:02Z', 200, 300, 'desktop', 'US'),
      hit('2024-06-01T10:05:03Z', 301, 400, 'desktop', 'US'),
      hit('2024-06-01T10:40:00Z', 404, 50, 'mobile', 'DE'),
      hit('2024-06-01T11:10:00Z', null, null, 'mobile', null, 'timeout'),
      hit('2024-06-01T11:10:01Z', null, null, 'mobile', null, 'timeout'),
      hit('2024-06-01T11:10:02Z', 500, 1000, 'desktop', 'US'),
      // Answered (charged) but its page failed later.
      { ...hit('2024-06-01T11:10:03Z', 200, 10, 'desktop', 'DE', 'other'), mode: 'browser' as const },
      // Outside the range.
      hit('2024-06-02T10:00:00Z', 200, 5, 'desktop', 'US'),
    ]
    for (const k of known) writer.push(k)
    writer.flush()
    await flushed()

    const rep = await get(`/api/v1/projects/${pK}/report?from=2024-06-01&to=2024-06-01&tz=UTC`, A)
    expect(rep.status).toBe(200)
    expect(rep.body).toEqual({
      totals: { visits: 9, ok: 4, failed: 5, success_rate: 4 / 9, credits: 7 },
      // Exact quantiles of the answered ones [10, 50, 100, 200, 300, 400, 1000].
      latency_ms: { p50: 200, p95: 1000, p99: 1000 },
      errors: [
        { kind: 'timeout', visits: 2 },
        { kind: 'http_4xx', visits: 1 },
        { kind: 'http_5xx', visits: 1 },
        { kind: 'other', visits: 1 },
      ],
      // Every hour of the range, zero-filled.
      by_hour: Array.from({ length: 24 }, (_, i) => ({
        ts: `2024-06-01T${String(i).padStart(2, '0')}:00:00.000Z`,
        visits: i === 10 ? 5 : i === 11 ? 4 : 0,
        failed: i === 10 ? 1 : i === 11 ? 4 : 0,
      })),
      by_country: [
        { country: 'US', visits: 5 },
        { country: null, visits: 2 },
        { country: 'DE', visits: 2 },
      ],
      by_device: [
        { device: 'desktop', visits: 6 },
        { device: 'mobile', visits: 3 },
      ],
    })
    // Hours are the zone's: Asia/Kolkata is UTC+05:30.
    const ist = await get(
      `/api/v1/projects/${pK}/report?from=2024-06-01T00:00:00Z&to=2024-06-01T23:59:59Z&tz=Asia/Kolkata`,
      A,
    )
    // 00:00Z..23:59:59Z: the Kolkata hours from the one holding 05:30 (23:30Z the day before) to 23:30Z.
    const counted = (ist.body.by_hour as { visits: number }[]).filter((x) => x.visits > 0)
    expect(counted).toEqual([
      { ts: '2024-06-01T09:30:00.000Z', visits: 4, failed: 0 },
      { ts: '2024-06-01T10:30:00.000Z', visits: 5, failed: 5 },
    ])
    expect(ist.body.by_hour).toHaveLength(25)
    expect((ist.body.by_hour as unknown[])[0]).toEqual({
      ts: '2024-05-31T23:30:00.000Z',
      visits: 0,
      failed: 0,
    })
    // Nothing in range: zeros and nulls, not an error.
    const empty = await get(`/api/v1/projects/${pK}/report?from=2023-01-01&to=2023-01-02&tz=UTC`, A)
    expect(empty.body).toMatchObject({
      totals: { visits: 0, ok: 0, failed: 0, success_rate: 0, credits: 0 },
      latency_ms: { p50: null, p95: null, p99: null },
      errors: [],
    })
    // Two whole days in UTC: 48 hours, all zero.
    expect(empty.body.by_hour).toHaveLength(48)
    expect((empty.body.by_hour as { visits: number }[]).every((x) => x.visits === 0)).toBe(true)
    // Bad query: 400 naming the field.
    const bad = await get(`/api/v1/projects/${pK}/report?tz=Mars/Base`, A)
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('tz')
  })
})

describe('GET /projects/:id/stats and isolation', () => {
  it("answers the engine's runs and the workspace's credits; another workspace gets 404", async () => {
    const res = await get(`/api/v1/projects/${runProject}/stats`, A)
    expect(res.status).toBe(200)
    const [s] = engine!.stats(runProject)
    const available = Number(await ledger.balance(ledgerAccounts.visitsAvailable(A.workspaceId)))
    expect(res.body).toMatchObject({
      running: false,
      run: null,
      credits: { available, reserved: 0 },
    })
    const runs = res.body.runs as Record<string, unknown>[]
    expect(runs).toHaveLength(1)
    expect(Object.keys(runs[0]!).sort()).toEqual(
      [
        'run_id',
        'started_at',
        'stopped_at',
        'stop_reason',
        'target_per_minute',
        'achieved_per_second',
        'started',
        'answered',
        'charged',
        'dropped',
        'errors',
        'statuses',
        'desktop',
        'mobile',
        'latency_ms',
      ].sort(),
    )
    expect(runs[0]).toMatchObject({
      run_id: s!.runId,
      stop_reason: 'shutdown',
      target_per_minute: 1200,
      started: s!.started,
      charged: s!.charged,
      answered: s!.answered,
    })
    expect(Object.keys(runs[0]!.latency_ms as object).sort()).toEqual(['max', 'p50', 'p95', 'p99'])

    // Another workspace: 404 on both routes, before any ClickHouse query.
    for (const p of [`/api/v1/projects/${runProject}/stats`, `/api/v1/projects/${runProject}/report`]) {
      const r = await get(p, B)
      expect(r.status).toBe(404)
      expect(r.body).toMatchObject({ error: { code: 'not_found' } })
    }
    expect((await get(`/api/v1/projects/${randomUUID()}/stats`, A)).status).toBe(404)
    expect((await get('/api/v1/projects/not-a-uuid/stats', A)).status).toBe(400)
    // No credentials: 401.
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/projects/${runProject}/stats` })).statusCode,
    ).toBe(401)
  })
})

describe('live pulse (SSE)', () => {
  it("sends a hit to its workspace's /live only; admins get every workspace's; others 403", async () => {
    const pA = runProject
    const pB = await project(B.workspaceId, { urls: ['https://b.example/'] }, 'stopped')
    const auth = (w: Who) => ({ authorization: `Bearer ${w.apiKey}` })
    const sA = await openSse(`${base}/api/v1/live`, auth(A))
    const sB = await openSse(`${base}/api/v1/live`, auth(B))
    const sAdmin = await openSse(`${base}/api/v1/admin/live-stream`, auth(admin))
    const refused = await fetch(`${base}/api/v1/admin/live-stream`, { headers: auth(A) })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } })
    expect([sA.status, sB.status, sAdmin.status]).toEqual([200, 200, 200])
    try {
      const pulse = createVisitPulse({
        hub,
        clock: systemClock,
        running: () => [{ workspaceId: A.workspaceId, projectId: pA, targetPerSecond: 20 }],
      })
      const now = new Date()
      const hit = (w: Who, projectId: string, status: number | null): VisitRecord => ({
        visitId: randomUUID(),
        workspaceId: w.workspaceId,
        projectId,
        runId: 'r',
        url: `https://${projectId}.example/`,
        device: 'mobile',
        country: 'DE',
        status,
        error: status === null ? 'connect' : null,
        latencyMs: status === null ? null : 42,
        charged: status !== null,
        bytes: 1,
        scheduledAt: now,
        startedAt: now,
        at: now,
      })
      pulse.hit(hit(A, pA, 200))
      pulse.hit(hit(A, pA, null))
      pulse.hit(hit(B, pB, 503))
      pulse.tick()

      const aHit = await sA.next((e) => e.event === 'hit')
      expect(aHit).toEqual({
        type: 'hit',
        ts: now.toISOString(),
        project_id: pA,
        run_id: 'r',
        url: `https://${pA}.example/`,
        country: 'DE',
        device: 'mobile',
        mode: 'http',
        status: 200,
        latency_ms: 42,
        error: null,
      })
      expect(await sA.next((e) => e.event === 'visit_rate')).toMatchObject({
        type: 'visit_rate',
        project_id: pA,
        rate_per_s: 2,
        errors: 1,
        p95_ms: 42,
        target_per_s: 20,
      })
      expect(await sB.next((e) => e.event === 'hit')).toMatchObject({ project_id: pB, status: 503 })
      await sAdmin.next((e) => e.event === 'hit' && e.data.project_id === pB)
      await sAdmin.next((e) => e.event === 'visit_rate' && e.data.project_id === pB)
      const adminHits = sAdmin.events.filter((e) => e.event === 'hit').map((e) => e.data)
      expect(adminHits.map((e) => [e.workspace_id, e.project_id]).sort()).toEqual(
        [
          [A.workspaceId, pA],
          [A.workspaceId, pA],
          [B.workspaceId, pB],
        ].sort(),
      )
      await sleep(100)
      // Isolation: each workspace saw only its own project.
      const projectsOf = (s: typeof sA) => new Set(s.events.map((e) => e.data.project_id))
      expect(projectsOf(sA)).toEqual(new Set([pA]))
      expect(projectsOf(sB)).toEqual(new Set([pB]))
      expect(sA.events.every((e) => e.data.workspace_id === undefined)).toBe(true)

      // A demoted admin's stream ends at the next re-check.
      await db.update(users).set({ role: 'user' }).where(eq(users.id, admin.userId))
      const deadline = Date.now() + 3000
      while (!sAdmin.ended && Date.now() < deadline) await sleep(25)
      expect(sAdmin.ended).toBe(true)
      expect(sA.ended).toBe(false)
    } finally {
      sA.close()
      sB.close()
      sAdmin.close()
    }
  })
})
