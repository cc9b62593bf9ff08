/**
 * Autopilot API on a real database with the real scheduler and client against the simulator:
 * accounts (key write-only, encrypted at rest), settings, toggle, panel data, dry run, audit
 * log, replay, bad input and workspace isolation.
 */
import type { FastifyInstance } from 'fastify'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { autopilotRoutes, createAutopilotService } from '../src/modules/autopilot/index.ts'
import type { RemainingProvider } from '../src/modules/autopilot/autopilot.service.ts'
import { createCampaign } from '../src/modules/routing/routing.api.ts'
import { createLogger } from '../src/platform/logger.ts'
import {
  startTrafficStarsSimulator,
  type TrafficStarsSimulator,
} from '../src/simulators/trafficstars/trafficstars.simulator.ts'
import { box, KEY, USD } from './autopilot.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0)

describe.each(['pglite', 'postgres'] as const)('autopilot API on %s', (kind) => {
  let db: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let sim: TrafficStarsSimulator
  let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let campaignA: string
  let campaignB: string
  const remaining = new Map<string, number>()
  /** A second, over-delivered destination (negative remaining) of some campaigns. */
  const overDelivered = new Map<string, number>()
  const provider: RemainingProvider = (_ws, id) => [
    { destinationId: `d-${id}`, remaining: remaining.get(id) ?? 0 },
    ...(overDelivered.has(id) ? [{ destinationId: `over-${id}`, remaining: overDelivered.get(id)! }] : []),
  ]

  const call = async (key: string, method: string, url: string, body?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    })
    return { status: res.statusCode, body: (res.body ? res.json() : null) as Json }
  }

  beforeAll(async () => {
    db = await throwawayDb(kind)
    sim = await startTrafficStarsSimulator({
      refreshTokens: [KEY],
      startAt: T0,
      campaigns: [{ id: 77, priceMicros: 2 * USD, maxDailyMicros: 20 * USD }],
    })
    A = await createWorkspaceWithKey(db.db)
    B = await createWorkspaceWithKey(db.db)
    campaignA = (await createCampaign(db.db, A.workspaceId, { name: 'A', alias: `apa-${kind}` } as never)).id
    campaignB = (await createCampaign(db.db, B.workspaceId, { name: 'B', alias: `apb-${kind}` } as never)).id
    remaining.set(campaignA, 20_000)
    const service = createAutopilotService({
      db: db.db,
      box,
      remaining: provider,
      clock: sim.clock,
      allowPrivate: true,
      logger: createLogger('silent'),
      client: { sleep: async (ms) => sim.advance(ms) },
    })
    app = await testApiApp(db.db, {
      plugins: [
        {
          plugin: autopilotRoutes({
            db: db.db,
            box,
            service,
            remaining: provider,
            campaignName: () => 'name',
            tickMs: 60_000,
            allowPrivate: true,
            clock: sim.clock,
          }),
        },
      ],
    })
    ;(app as unknown as { service: typeof service }).service = service
  })
  afterAll(async () => {
    await app?.close()
    await sim?.stop()
    await db?.drop()
  })

  let account: Json
  let ap: Json

  it('adds an account: the key is never returned and is encrypted at rest', async () => {
    const r = await call(A.apiKey, 'POST', '/autopilot/accounts', {
      name: 'main',
      base_url: sim.url,
      api_key: KEY,
    })
    expect(r.status).toBe(201)
    account = r.body
    expect(account.api_key_hint).toBe(`…${KEY.slice(-4)}`)
    expect(JSON.stringify(r.body)).not.toContain(KEY)
    const list = await call(A.apiKey, 'GET', '/autopilot/accounts')
    expect(JSON.stringify(list.body)).not.toContain(KEY)
    const raw = await db.db.execute(sql`select api_key_ciphertext from autopilot_accounts`)
    expect(JSON.stringify(raw)).not.toContain(KEY)
    expect(
      box.open(((raw as { rows?: Json[] }).rows ?? (raw as unknown as Json[]))[0]!.api_key_ciphertext),
    ).toBe(KEY)
  })

  it('refuses private base URLs unless allowed, and bad input naming the field', async () => {
    const bad = await call(A.apiKey, 'POST', '/autopilot/accounts', {
      name: 'x',
      base_url: 'ftp://x',
      api_key: KEY,
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body.error.details)).toContain('base_url')
    const short = await call(A.apiKey, 'POST', '/autopilot/accounts', { name: 'x', api_key: 'k' })
    expect(short.status).toBe(400)
    expect(JSON.stringify(short.body.error.details)).toContain('api_key')
  })

  it('creates an autopilot campaign with seed defaults and validates settings', async () => {
    const bad = await call(A.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignA,
      account_id: account.id,
      ts_campaign_id: 77,
      settings: { price_per_1000_micros: -1 },
    })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body.error.details)).toContain('price_per_1000_micros')
    const inverted = await call(A.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignA,
      account_id: account.id,
      ts_campaign_id: 77,
      settings: { price_per_1000_micros: 2 * USD, pause_at_clicks: 20_000 },
    })
    expect(inverted.status).toBe(400)
    const r = await call(A.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignA,
      account_id: account.id,
      ts_campaign_id: 77,
      settings: { price_per_1000_micros: 2 * USD },
    })
    expect(r.status).toBe(201)
    ap = r.body
    expect(ap.settings).toMatchObject({
      wait_minutes: 2,
      spent_threshold_micros: 10 * USD,
      start_above_clicks: 15_000,
      pause_at_clicks: 5_000,
      high_budget_micros: 50 * USD,
      budget_interval_minutes: 10,
      threshold_margin_micros: 1 * USD,
    })
    expect(ap.state.phase).toBe('IDLE')
    expect(ap.remaining_clicks).toBe(20_000)
    const dup = await call(A.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignA,
      account_id: account.id,
      ts_campaign_id: 77,
      settings: { price_per_1000_micros: 2 * USD },
    })
    expect(dup.status).toBe(409)
  })

  it('panel: an over-delivered destination counts as 0 remaining clicks, as in the decisions', async () => {
    overDelivered.set(campaignA, -300)
    try {
      const r = await call(A.apiKey, 'GET', `/autopilot/campaigns/${ap.id}`)
      expect(r.status).toBe(200)
      expect(r.body.remaining_clicks).toBe(20_000)
    } finally {
      overDelivered.delete(campaignA)
    }
  })

  it('dry run says what it would do now and why, without doing it', async () => {
    const r = await call(A.apiKey, 'GET', `/autopilot/campaigns/${ap.id}/plan`)
    expect(r.status).toBe(200)
    expect(r.body.after.phase).toBe('CONDITION_ONE')
    expect(r.body.actions.map((a: Json) => a.kind)).toEqual(['patch', 'run'])
    expect(r.body.actions[1].reason.inputs.remaining).toBe(20_000)
    expect(sim.campaigns.get(77)!.active).toBe(false)
    expect(sim.requests().some((q) => q.method !== 'GET' && q.path !== '/v1/auth/token')).toBe(false)
  })

  it('enable → a tick starts the campaign; the audit log and panel show it; disable resets', async () => {
    const service = (app as unknown as { service: ReturnType<typeof createAutopilotService> }).service
    expect((await call(A.apiKey, 'POST', `/autopilot/campaigns/${ap.id}/enable`)).body.enabled).toBe(true)
    await service.tickAll()
    expect(sim.campaigns.get(77)!.active).toBe(true)
    const panel = (await call(A.apiKey, 'GET', `/autopilot/campaigns/${ap.id}`)).body
    expect(panel.state).toMatchObject({ phase: 'CONDITION_ONE', condition: 1, expected_status: 'running' })
    expect(panel.last_observation).toMatchObject({ spent_micros: 0, remaining: 20_000 })
    expect(panel.next_check_at).toBeTruthy()
    const log = (await call(A.apiKey, 'GET', `/autopilot/campaigns/${ap.id}/actions?limit=100`)).body
      .items as Json[]
    expect(log.map((e) => `${e.kind}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['run:ok', 'patch:ok', 'enable:noted', 'transition:noted']),
    )
    const run = log.find((e) => e.kind === 'run')!
    expect(run.rule).toBe('run')
    expect(run.inputs.desired.status).toBe('running')
    const off = (await call(A.apiKey, 'POST', `/autopilot/campaigns/${ap.id}/disable`)).body
    expect(off).toMatchObject({ enabled: false, next_check_at: null, state: { phase: 'IDLE' } })
  })

  it('replays a day from the API', async () => {
    const r = await call(A.apiKey, 'POST', '/autopilot/replay', {
      start: '2026-12-01T00:00:00Z',
      settings: { price_per_1000_micros: 2 * USD },
      initial: { daily_budget_micros: 20 * USD },
      clicks_per_minute: 50,
      destinations: [
        { id: 'A', remaining: 30_000 },
        { id: 'B', remaining: 20_000 },
      ],
    })
    expect(r.status).toBe(200)
    expect(r.body.final).toMatchObject({
      daily_budget_micros: 110 * USD,
      starts: 1,
      pauses: 1,
      status: 'paused',
    })
    const bad = await call(A.apiKey, 'POST', '/autopilot/replay', {
      start: 'yesterday',
      settings: {},
      destinations: [],
    })
    expect(bad.status).toBe(400)
  })

  it("one workspace cannot see or change another's accounts and campaigns", async () => {
    for (const [m, u] of [
      ['GET', `/autopilot/campaigns/${ap.id}`],
      ['PATCH', `/autopilot/campaigns/${ap.id}`],
      ['POST', `/autopilot/campaigns/${ap.id}/enable`],
      ['GET', `/autopilot/campaigns/${ap.id}/plan`],
      ['GET', `/autopilot/campaigns/${ap.id}/actions`],
      ['DELETE', `/autopilot/campaigns/${ap.id}`],
      ['PATCH', `/autopilot/accounts/${account.id}`],
      ['DELETE', `/autopilot/accounts/${account.id}`],
    ] as const) {
      const r = await call(B.apiKey, m, u, m === 'PATCH' ? {} : undefined)
      expect(r.status, `${m} ${u}`).toBe(404)
    }
    expect((await call(B.apiKey, 'GET', '/autopilot/campaigns')).body.items).toEqual([])
    expect((await call(B.apiKey, 'GET', '/autopilot/accounts')).body.items).toEqual([])
    const steal = await call(B.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignB,
      account_id: account.id,
      ts_campaign_id: 77,
      settings: { price_per_1000_micros: USD },
    })
    expect(steal.status).toBe(404)
    const foreignCampaign = await call(A.apiKey, 'POST', '/autopilot/campaigns', {
      campaign_id: campaignB,
      account_id: account.id,
      ts_campaign_id: 78,
      settings: { price_per_1000_micros: USD },
    })
    expect(foreignCampaign.status).toBe(404)
    expect((await call(A.apiKey, 'GET', `/autopilot/campaigns/${ap.id}`)).status).toBe(200)
  })
})
