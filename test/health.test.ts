import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { eq } from 'drizzle-orm'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createHealthChecker, healthRoutes, listHealthEvents } from '../src/modules/routing/health/index.ts'
import type { HealthCheck } from '../src/modules/routing/routing.schema.ts'
import { manualClock } from '../src/platform/clock.ts'
import { schema } from './helpers/schema.ts'
import { readConfigVersion } from '../src/platform/db/config-version.ts'
import { AppError } from '../src/platform/errors.ts'
import type { AuthContext } from '../src/platform/http/types.ts'
import { throwawayDb } from './helpers/pg.ts'

// A real loopback server whose answer the test switches between 200 and 500.
let server: http.Server
let port: number
let answer = 200
const hits: string[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    res.writeHead(answer).end('body')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const logger = pino({ level: 'silent' })
const check: HealthCheck = {
  enabled: true,
  method: 'GET',
  expected_statuses: [200],
  interval_seconds: 10,
  timeout_ms: 2000,
  failure_threshold: 2,
}

describe.each(['pglite', 'postgres'] as const)('destination health checks on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let wsA: string
  let wsB: string
  beforeEach(async () => {
    h = await throwawayDb(kind)
    const [a, b] = await h.db
      .insert(schema.workspaces)
      .values([{ name: 'A' }, { name: 'B' }])
      .returning()
    wsA = a!.id
    wsB = b!.id
    answer = 200
    hits.length = 0
  })
  afterEach(async () => {
    await h.drop()
  })

  async function insertDestination(workspaceId: string, hc: HealthCheck | null = check, path = '/offer') {
    const [d] = await h.db
      .insert(schema.destinations)
      .values({
        workspaceId,
        name: 'Offer',
        url: `http://127.0.0.1:${port}${path}?click={click_id}&s1={sub1}`,
        healthCheck: hc,
      })
      .returning()
    return d!.id
  }
  const healthOf = async (id: string) =>
    (await h.db.select().from(schema.destinations).where(eq(schema.destinations.id, id)))[0]!

  it('drives unknown → healthy → unhealthy (after the threshold) → healthy, recording each change', async () => {
    const dest = await insertDestination(wsA)
    const clock = manualClock('2026-03-01T00:00:00Z')
    const checker = createHealthChecker({ db: h.db, clock, logger, allowPrivate: true })
    const v0 = await readConfigVersion(h.db)

    await checker.tick()
    expect(hits).toEqual(['/offer?click=&s1=']) // macros emptied
    expect((await healthOf(dest)).health).toBe('healthy')
    expect((await healthOf(dest)).healthCheckedAt?.toISOString()).toBe('2026-03-01T00:00:00.000Z')
    expect(await readConfigVersion(h.db)).toBe(v0 + 1)

    await checker.tick() // not due yet
    expect(hits).toHaveLength(1)

    answer = 500
    clock.advance(10_000)
    await checker.tick() // 1st failure: below the threshold of 2
    expect((await healthOf(dest)).health).toBe('healthy')
    expect(await readConfigVersion(h.db)).toBe(v0 + 1) // a probe without a change does not bump

    clock.advance(10_000)
    await checker.tick() // 2nd failure
    expect((await healthOf(dest)).health).toBe('unhealthy')
    expect(await readConfigVersion(h.db)).toBe(v0 + 2)

    answer = 200
    clock.advance(10_000)
    await checker.tick() // 1st success: hysteresis keeps it unhealthy
    expect((await healthOf(dest)).health).toBe('unhealthy')
    clock.advance(10_000)
    await checker.tick()
    expect((await healthOf(dest)).health).toBe('healthy')
    expect(await readConfigVersion(h.db)).toBe(v0 + 3)
    expect(hits).toHaveLength(5)

    const events = await listHealthEvents(h.db, wsA, dest)
    expect(events.map((e) => [e.fromState, e.toState, e.httpStatus, e.error])).toEqual([
      ['unhealthy', 'healthy', 200, null],
      ['healthy', 'unhealthy', 500, 'unexpected status 500'],
      ['unknown', 'healthy', 200, null],
    ])
    expect(events.map((e) => e.createdAt.toISOString())).toEqual([
      '2026-03-01T00:00:40.000Z',
      '2026-03-01T00:00:20.000Z',
      '2026-03-01T00:00:00.000Z',
    ])
    expect(events.every((e) => e.workspaceId === wsA && (e.latencyMs ?? -1) >= 0)).toBe(true)
    expect(await listHealthEvents(h.db, wsB, dest)).toEqual([]) // scoped by workspace
  })

  it('blocks the loopback target when private addresses are not allowed, counting it as a failure', async () => {
    const dest = await insertDestination(wsA)
    const clock = manualClock('2026-03-01T00:00:00Z')
    const checker = createHealthChecker({ db: h.db, clock, logger, allowPrivate: false })
    await checker.tick()
    clock.advance(10_000)
    await checker.tick()
    expect(hits).toEqual([]) // never connected
    expect((await healthOf(dest)).health).toBe('unhealthy')
    const [event] = await listHealthEvents(h.db, wsA, dest)
    expect(event).toMatchObject({
      fromState: 'unknown',
      toState: 'unhealthy',
      error: 'blocked: private address',
    })
  })

  it('probes every workspace, skips disabled and archived destinations, and honours a custom URL', async () => {
    const a = await insertDestination(wsA)
    const b = await insertDestination(wsB, { ...check, url: `http://127.0.0.1:${port}/custom-health` })
    const off = await insertDestination(wsA, { ...check, enabled: false })
    const none = await insertDestination(wsA, null)
    const archived = await insertDestination(wsA)
    await h.db
      .update(schema.destinations)
      .set({ status: 'archived' })
      .where(eq(schema.destinations.id, archived))
    const checker = createHealthChecker({
      db: h.db,
      clock: manualClock('2026-03-01T00:00:00Z'),
      logger,
      allowPrivate: true,
      concurrency: 2,
    })
    await Promise.all([checker.tick(), checker.tick()]) // concurrent ticks share one run
    expect(hits.sort()).toEqual(['/custom-health', '/offer?click=&s1='])
    expect((await healthOf(a)).health).toBe('healthy')
    expect((await healthOf(b)).health).toBe('healthy')
    for (const id of [off, none, archived]) expect((await healthOf(id)).health).toBe('unknown')
  })

  it('start() probes on a timer and stop() ends it', async () => {
    const dest = await insertDestination(wsA)
    const checker = createHealthChecker({
      db: h.db,
      clock: manualClock('2026-03-01T00:00:00Z'),
      logger,
      allowPrivate: true,
    })
    checker.start(20)
    await expect.poll(async () => (await healthOf(dest)).health, { timeout: 5000 }).toBe('healthy')
    await checker.stop()
    expect(hits).toHaveLength(1) // the clock did not move, so it was never due again
  })

  it('tick never throws, even when the database is gone', async () => {
    await insertDestination(wsA)
    const checker = createHealthChecker({
      db: h.db,
      clock: manualClock('2026-03-01T00:00:00Z'),
      logger,
      allowPrivate: true,
    })
    const other = await throwawayDb(kind)
    await other.drop() // closed (and dropped): every query now fails
    const dead = createHealthChecker({ db: other.db, clock: manualClock(0), logger, allowPrivate: true })
    await expect(dead.tick()).resolves.toBeUndefined()
    await expect(checker.tick()).resolves.toBeUndefined()
  })

  describe('API', () => {
    async function buildApp(checker: ReturnType<typeof createHealthChecker>, auth: AuthContext) {
      const app = Fastify()
      app.setValidatorCompiler(validatorCompiler)
      app.setSerializerCompiler(serializerCompiler)
      app.decorateRequest('auth', null as unknown as AuthContext)
      app.addHook('onRequest', async (req) => {
        req.auth = auth
      })
      app.setErrorHandler((err, _req, reply) => {
        if (err instanceof AppError) {
          return reply.status(err.status).send({ error: { code: err.code, message: err.message } })
        }
        const status = (err as { statusCode?: number }).statusCode ?? 500
        return reply.status(status).send({ error: { code: 'error', message: (err as Error).message } })
      })
      await app.register(healthRoutes({ db: h.db, checker }), { prefix: '/api/v1' })
      return app
    }
    const authFor = (workspaceId: string): AuthContext => ({
      userId: '00000000-0000-4000-8000-000000000001',
      workspaceId,
      role: 'user',
      via: 'api_key',
      email: 'u1@example.com',
    })

    it('manual check probes now, and both routes are scoped to the caller workspace', async () => {
      const dest = await insertDestination(wsA)
      const clock = manualClock('2026-03-01T00:00:00Z')
      const checker = createHealthChecker({ db: h.db, clock, logger, allowPrivate: true })
      const appA = await buildApp(checker, authFor(wsA))
      const appB = await buildApp(checker, authFor(wsB))
      try {
        const res = await appA.inject({ method: 'POST', url: `/api/v1/destinations/${dest}/health-check` })
        expect(res.statusCode).toBe(200)
        const body = res.json()
        expect(body).toMatchObject({
          destination_id: dest,
          ok: true,
          http_status: 200,
          error: null,
          previous_health: 'unknown',
          health: 'healthy',
          applied: true,
          event: { from_state: 'unknown', to_state: 'healthy', http_status: 200 },
          checked_at: '2026-03-01T00:00:00.000Z',
        })
        expect(hits).toHaveLength(1)

        const list = await appA.inject({
          method: 'GET',
          url: `/api/v1/destinations/${dest}/health-events?limit=1`,
        })
        expect(list.statusCode).toBe(200)
        expect(list.json()).toMatchObject({
          items: [{ destination_id: dest, from_state: 'unknown', to_state: 'healthy' }],
          next_before: '2026-03-01T00:00:00.000Z',
        })
        const page2 = await appA.inject({
          method: 'GET',
          url: `/api/v1/destinations/${dest}/health-events?before=2026-03-01T00:00:00.000Z`,
        })
        expect(page2.json()).toEqual({ items: [], next_before: null })

        for (const req of [
          { method: 'GET' as const, url: `/api/v1/destinations/${dest}/health-events` },
          { method: 'POST' as const, url: `/api/v1/destinations/${dest}/health-check` },
        ]) {
          const r = await appB.inject(req)
          expect(r.statusCode).toBe(404)
          expect(r.json()).toMatchObject({ error: { code: 'not_found' } })
        }
        expect(hits).toHaveLength(1) // the other workspace's request probed nothing

        const bad = await appA.inject({ method: 'GET', url: '/api/v1/destinations/not-a-uuid/health-events' })
        expect(bad.statusCode).toBe(400)

        // The workspace-wide health-event report: filters, and nothing of another workspace.
        const report = await appA.inject({ method: 'GET', url: '/api/v1/health-events?to_state=healthy' })
        expect(report.statusCode).toBe(200)
        expect(report.json().items).toEqual([
          expect.objectContaining({ destination_id: dest, to_state: 'healthy' }),
        ])
        const outages = await appA.inject({ method: 'GET', url: '/api/v1/health-events?to_state=unhealthy' })
        expect(outages.json().items).toEqual([])
        const later = await appA.inject({
          method: 'GET',
          url: '/api/v1/health-events?since=2026-03-02T00:00:00Z',
        })
        expect(later.json().items).toEqual([])
        expect((await appB.inject({ method: 'GET', url: '/api/v1/health-events' })).json().items).toEqual([])
        const badReport = await appA.inject({ method: 'GET', url: '/api/v1/health-events?to_state=down' })
        expect(badReport.statusCode).toBe(400)
      } finally {
        await appA.close()
        await appB.close()
      }
    })

    it('manual check of a destination with checks disabled reports but does not change the state', async () => {
      const dest = await insertDestination(wsA, null)
      answer = 500
      const checker = createHealthChecker({
        db: h.db,
        clock: manualClock('2026-03-01T00:00:00Z'),
        logger,
        allowPrivate: true,
      })
      const app = await buildApp(checker, authFor(wsA))
      try {
        const res = await app.inject({ method: 'POST', url: `/api/v1/destinations/${dest}/health-check` })
        expect(res.json()).toMatchObject({
          ok: false,
          http_status: 500,
          error: 'unexpected status 500',
          applied: false,
          health: 'unknown',
          event: null,
        })
        expect((await healthOf(dest)).health).toBe('unknown')
      } finally {
        await app.close()
      }
    })
  })
})
