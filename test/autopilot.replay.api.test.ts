/**
 * `POST /api/v1/autopilot/replay` under load (issue 13, defect 5): the replay runs on a
 * worker thread, so the event loop stays free while it runs; its body is bounded (413), its
 * rate is limited per workspace (429), and a replay past its deadline is stopped (422).
 */
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { autopilotRoutes, createAutopilotService } from '../src/modules/autopilot/index.ts'
import { createReplayPool, type ReplayPool } from '../src/modules/autopilot/autopilot.replay.pool.ts'
import type { ReplayLimits } from '../src/modules/autopilot/autopilot.routes.ts'
import { systemClock } from '../src/platform/clock.ts'
import { createLogger } from '../src/platform/logger.ts'
import { box } from './autopilot.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>

/** Two days with 1000 destinations: the heaviest replay the schema allows, ~1 s of CPU. */
const heavy = {
  start: '2026-12-01T00:00:00Z',
  minutes: 2 * 1440,
  settings: { price_per_1000_micros: 1_000_000 },
  initial: { status: 'paused', daily_budget_micros: 20_000_000, spent_micros: 0 },
  destinations: Array.from({ length: 1000 }, (_, i) => ({
    id: `destination-${i}`,
    remaining: 1_000_000,
    added_at_minute: i,
  })),
}
const light = { ...heavy, minutes: 30, destinations: [{ id: 'a', remaining: 1000 }] }

describe('autopilot replay off the main thread', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  const apps: FastifyInstance[] = []
  const pools: ReplayPool[] = []

  const appWith = async (replay?: ReplayLimits) => {
    const service = createAutopilotService({
      db: h.db,
      box,
      remaining: () => [],
      clock: systemClock,
      logger: createLogger('silent'),
    })
    const app = await testApiApp(h.db, {
      plugins: [
        {
          plugin: autopilotRoutes({
            db: h.db,
            box,
            service,
            remaining: () => [],
            campaignName: () => undefined,
            tickMs: 60_000,
            allowPrivate: false,
            clock: systemClock,
            ...(replay ? { replay } : {}),
          }),
        },
      ],
    })
    apps.push(app)
    return app
  }
  const replayOn = async (app: FastifyInstance, key: string, body: unknown) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/autopilot/replay',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    })
    return { status: res.statusCode, headers: res.headers, body: res.json() as Json }
  }

  beforeAll(async () => {
    h = await throwawayDb('pglite')
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    for (const p of pools) await p.close()
    await h?.drop()
  })

  it('a heavy replay leaves the event loop free: its max delay stays far below the replay time', async () => {
    const app = await appWith()
    const { apiKey } = await createWorkspaceWithKey(h.db)
    // The longest gap between ticks of a 5 ms timer while the replay runs: the event loop's
    // longest stall (a block that ends with the request is caught by the final reading).
    let last = performance.now()
    let maxGapMs = 0
    const tick = setInterval(() => {
      const now = performance.now()
      maxGapMs = Math.max(maxGapMs, now - last)
      last = now
    }, 5)
    const t0 = performance.now()
    const r = await replayOn(app, apiKey, heavy)
    const replayMs = performance.now() - t0
    clearInterval(tick)
    maxGapMs = Math.max(maxGapMs, performance.now() - last)
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
    expect(r.body.final.remaining).toBeGreaterThan(0)
    // On the main thread the loop would stall for the whole replay (gap ≈ replayMs).
    expect(replayMs).toBeGreaterThan(200)
    expect(
      maxGapMs,
      `longest stall ${maxGapMs.toFixed(0)} ms, replay ${replayMs.toFixed(0)} ms`,
    ).toBeLessThan(replayMs / 3)
  })

  it('answers 413 in the error shape past the body limit, before any work', async () => {
    const app = await appWith()
    const { apiKey } = await createWorkspaceWithKey(h.db)
    const r = await replayOn(app, apiKey, { ...light, padding: 'x'.repeat(600 * 1024) })
    expect(r.status).toBe(413)
    expect(r.body.error.code).toBe('payload_too_large')
  })

  it('limits replays per workspace (429 with Retry-After); another workspace is unaffected', async () => {
    const app = await appWith({ perMinute: 2 })
    const a = await createWorkspaceWithKey(h.db)
    const b = await createWorkspaceWithKey(h.db)
    expect((await replayOn(app, a.apiKey, light)).status).toBe(200)
    expect((await replayOn(app, a.apiKey, light)).status).toBe(200)
    const third = await replayOn(app, a.apiKey, light)
    expect(third.status).toBe(429)
    expect(third.body.error.code).toBe('rate_limited')
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0)
    expect((await replayOn(app, b.apiKey, light)).status).toBe(200)
  })

  it('stops a replay past its deadline (422) and keeps serving the next one', async () => {
    const pool = createReplayPool({ timeoutMs: 50 })
    pools.push(pool)
    const app = await appWith({ pool })
    const { apiKey } = await createWorkspaceWithKey(h.db)
    const slow = await replayOn(app, apiKey, heavy)
    expect(slow.status).toBe(422)
    expect(slow.body.error.code).toBe('replay_timeout')
    const fast = createReplayPool({ timeoutMs: 30_000 })
    pools.push(fast)
    const app2 = await appWith({ pool: fast })
    expect((await replayOn(app2, apiKey, light)).status).toBe(200)
  })
})
