/**
 * Route preview (POST /api/v1/campaigns/:id/preview) over the real API and configuration
 * store: the decision trace for a described request, nothing recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import type { PipelineEvent } from '../src/modules/analytics/index.ts'
import { createRoutingRuntime, previewRoutes, type RoutingRuntime } from '../src/modules/routing/index.ts'
import { createLogger } from '../src/platform/logger.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

describe.each(['pglite', 'postgres'] as const)('route preview on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let runtime: RoutingRuntime
  const pushed: PipelineEvent[] = []
  let a: { apiKey: string }
  let b: { apiKey: string }
  let campaignId = ''
  let usDest = ''
  let mobileDest = ''

  const call = (key: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) })

  beforeAll(async () => {
    h = await throwawayDb(kind)
    const config = testConfig()
    runtime = await createRoutingRuntime({
      db: h.db,
      config,
      logger: createLogger('silent'),
      pipeline: {
        pushMany: (e) => {
          pushed.push(...e)
          return true
        },
      },
    })
    app = await testApiApp(h.db, { config, plugins: [{ plugin: previewRoutes({ db: h.db, runtime }) }] })
    a = await createWorkspaceWithKey(h.db)
    b = await createWorkspaceWithKey(h.db)
    const post = async (url: string, body: unknown) => {
      const res = await call(a.apiKey, 'POST', url, body)
      expect(res.statusCode, res.body).toBe(201)
      return res.json() as { id: string }
    }
    usDest = (
      await post('/api/v1/destinations', {
        name: 'US offer',
        url: 'https://us.example/?c={click_id}&s={sub1}',
      })
    ).id
    mobileDest = (
      await post('/api/v1/destinations', {
        name: 'Mobile offer',
        url: 'https://m.example/?c={click_id}',
        daily_click_cap: 5,
      })
    ).id
    const paused = (
      await post('/api/v1/destinations', { name: 'Paused', url: 'https://p.example/', status: 'paused' })
    ).id
    campaignId = (await post('/api/v1/campaigns', { name: 'Preview', alias: `preview-${kind}` })).id
    await post('/api/v1/streams', {
      campaign_id: campaignId,
      name: 'US only',
      priority: 1,
      conditions: { groups: [{ rules: [{ type: 'country', op: 'is', values: ['US'] }] }] },
      destinations: [{ destination_id: usDest }],
    })
    await post('/api/v1/streams', {
      campaign_id: campaignId,
      name: 'Mobile',
      priority: 2,
      conditions: { groups: [{ rules: [{ type: 'device', op: 'is', values: ['mobile'] }] }] },
      strategy: 'waterfall',
      destinations: [{ destination_id: paused }, { destination_id: mobileDest }],
    })
  })
  afterAll(async () => {
    await app?.close()
    await runtime?.stop()
    await h?.drop()
  })

  it('explains a match: the failed stream, the dropped destination, the pick and the URL', async () => {
    const res = await call(a.apiKey, 'POST', `/api/v1/campaigns/${campaignId}/preview`, {
      ip: '5.9.0.1',
      user_agent: IPHONE,
      query: { sub1: 'x' },
    })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({
      outcome: 'redirect',
      destination_id: mobileDest,
      context: { country: 'DE', device: 'mobile', os: 'iOS' },
    })
    expect(body.url).toMatch(/^https:\/\/m\.example\/\?c=[0-9A-Z]{26}$/)
    const [us, mobile] = body.trace.streams
    expect(us).toMatchObject({ name: 'US only', matched: false })
    expect(us.failed).toContain('country')
    expect(mobile.matched).toBe(true)
    expect(mobile.destinations).toEqual([
      expect.objectContaining({ name: 'Paused', kept: false, reason: 'status' }),
      expect.objectContaining({ destination_id: mobileDest, kept: true }),
    ])
  })

  it('shows trafficback when nothing matches, and records nothing', async () => {
    const res = await call(a.apiKey, 'POST', `/api/v1/campaigns/${campaignId}/preview`, {
      ip: '5.9.0.1',
      user_agent: CHROME,
    })
    expect(res.json()).toMatchObject({
      outcome: 'trafficback',
      url: null,
      trafficback: { reason: 'no stream matched' },
    })
    expect(pushed).toHaveLength(0)
    expect(runtime.state.drainDeltas()).toEqual([])
  })

  it('evaluates at the given time', async () => {
    const res = await call(a.apiKey, 'POST', `/api/v1/campaigns/${campaignId}/preview`, {
      ip: '8.8.8.8',
      user_agent: CHROME,
      time: '2026-01-01T12:00:00Z',
    })
    expect(res.json()).toMatchObject({
      outcome: 'redirect',
      destination_id: usDest,
      time: '2026-01-01T12:00:00.000Z',
    })
  })

  it('rejects bad input naming the field, and hides other workspaces', async () => {
    const bad = await call(a.apiKey, 'POST', `/api/v1/campaigns/${campaignId}/preview`, {
      ip: 'nope',
      user_agent: 1,
    })
    expect(bad.statusCode).toBe(400)
    const paths = bad.json().error.details.map((d: { path: string }) => d.path)
    expect(paths).toEqual(expect.arrayContaining(['ip', 'user_agent']))
    const foreign = await call(b.apiKey, 'POST', `/api/v1/campaigns/${campaignId}/preview`, { ip: '8.8.8.8' })
    expect(foreign.statusCode).toBe(404)
    const anon = await app.inject({
      method: 'POST',
      url: `/api/v1/campaigns/${campaignId}/preview`,
      payload: { ip: '8.8.8.8' },
    })
    expect(anon.statusCode).toBe(401)
  })
})
