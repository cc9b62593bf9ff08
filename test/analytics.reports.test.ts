/**
 * ClickHouse migrations and the first reports against embedded chDB, with a hand-built
 * fixture around a time-zone boundary, plus the HTTP routes through Fastify inject.
 */
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyticsRoutes,
  createPipeline,
  migrateClickHouse,
  type Pipeline,
} from '../src/modules/analytics/index.ts'
import { parseBreakdownQuery, parseOverviewQuery } from '../src/modules/analytics/analytics.schema.ts'
import { breakdown } from '../src/modules/analytics/queries/breakdown.ts'
import { recentIngestionErrors } from '../src/modules/analytics/queries/ingestion-errors.ts'
import { overview } from '../src/modules/analytics/queries/overview.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import { AppError } from '../src/platform/errors.ts'
import type { AuthContext } from '../src/platform/http/types.ts'
import { click, rows, removeTempDirs, silentLogger, tempDir, trafficback } from './analytics.helpers.ts'

let h: ClickHouseHandle
let pipeline: Pipeline
const now = new Date('2024-01-05T12:00:00Z')
const T = (iso: string) => Date.parse(iso)

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('reports-ch'), 'ch'), database: 'tf_reports' })
  expect(await migrateClickHouse(h)).toEqual([
    '001_clicks.sql',
    '002_trafficback.sql',
    '003_ingestion_errors.sql',
    '004_conversions.sql',
    '005_click_rollups.sql',
    '006_visits.sql',
    '007_landers.sql',
    '008_cost_adjustments.sql',
  ])
  pipeline = createPipeline({
    handle: h,
    spoolDir: tempDir('reports-spool'),
    queueMax: 1000,
    batchSize: 100,
    flushMs: 10,
    logger: silentLogger,
  })
  const a = { workspace_id: 'ws-a' }
  const fixture = [
    click({
      ...a,
      click_id: 'c1',
      ts: T('2024-01-01T10:00:00Z'),
      campaign_id: 'camp-1',
      stream_id: 's1',
      destination_id: 'd1',
      country: 'DE',
      device: 'desktop',
      source_id: 'src-1',
      is_unique: 1,
      is_bot: 0,
    }),
    // 23:59:59.999 in Berlin on Jan 1.
    click({
      ...a,
      click_id: 'c2',
      ts: T('2024-01-01T22:59:59.999Z'),
      campaign_id: 'camp-1',
      stream_id: 's2',
      destination_id: 'd2',
      country: 'FR',
      device: 'mobile',
      source_id: 'src-2',
      is_unique: 0,
      is_bot: 1,
    }),
    // 23:30 UTC on Jan 1 is 00:30 on Jan 2 in Berlin.
    click({
      ...a,
      click_id: 'c3',
      ts: T('2024-01-01T23:30:00Z'),
      campaign_id: 'camp-2',
      stream_id: 's3',
      destination_id: 'd3',
      country: 'DE',
      device: 'mobile',
      source_id: 'src-1',
      is_unique: 1,
      is_bot: 0,
    }),
    click({
      ...a,
      click_id: 'c4',
      ts: T('2024-01-02T12:00:00Z'),
      campaign_id: 'camp-2',
      stream_id: 's3',
      destination_id: 'd3',
      country: 'US',
      device: 'tablet',
      source_id: 'src-1',
      is_unique: 1,
      is_bot: 0,
    }),
    click({
      ...a,
      click_id: 'c5',
      ts: T('2024-01-03T00:00:00Z'),
      campaign_id: 'camp-1',
      stream_id: 's1',
      destination_id: 'd1',
      country: 'DE',
      device: 'desktop',
      source_id: 'src-2',
      is_unique: 0,
      is_bot: 0,
    }),
    trafficback({ ...a, click_id: 't1', ts: T('2024-01-01T23:45:00Z'), campaign_id: 'camp-1' }),
    trafficback({ ...a, click_id: 't2', ts: T('2024-01-01T12:00:00Z'), campaign_id: 'camp-3' }),
    // Another workspace on the same day: never visible to ws-a.
    click({ workspace_id: 'ws-b', click_id: 'b1', ts: T('2024-01-01T10:00:00Z'), campaign_id: 'camp-b' }),
    trafficback({
      workspace_id: 'ws-b',
      click_id: 'b2',
      ts: T('2024-01-01T10:00:00Z'),
      campaign_id: 'camp-b',
    }),
  ]
  for (const e of fixture) expect(pipeline.push(e)).toBe(true)
  await pipeline.flush()
})

afterAll(async () => {
  await pipeline?.close()
  await h?.close()
  removeTempDirs()
})

describe('ClickHouse migrations', () => {
  it('are idempotent: a second run applies nothing and records each version once', async () => {
    expect(await migrateClickHouse(h)).toEqual([])
    const applied = await rows<{ version: number; name: string }>(
      h,
      'SELECT version, name FROM tf_reports.schema_migrations ORDER BY version',
    )
    expect(applied.map((r) => r.name)).toEqual([
      '001_clicks.sql',
      '002_trafficback.sql',
      '003_ingestion_errors.sql',
      '004_conversions.sql',
      '005_click_rollups.sql',
      '006_visits.sql',
      '007_landers.sql',
      '008_cost_adjustments.sql',
    ])
    const tables = await rows<{ name: string }>(
      h,
      "SELECT name FROM system.tables WHERE database = 'tf_reports' ORDER BY name",
    )
    expect(tables.map((t) => t.name)).toEqual([
      'clicks',
      'clicks_geo_15m',
      'clicks_geo_15m_mv',
      'clicks_route_15m',
      'clicks_route_15m_mv',
      'conversions',
      'cost_adjustments',
      'cost_adjustments_geo_15m_mv',
      'cost_adjustments_route_15m_mv',
      'ingestion_errors',
      'lander_clicks',
      'rollup_state',
      'schema_migrations',
      'trafficback',
      'visits',
    ])
  })
})

/** The click fields of a report row (money and conversions are covered by analytics.money.test.ts). */
const clickFields = <
  T extends { clicks: number; unique_clicks: number; bots: number; trafficback?: number | null },
>(
  r: T & { key?: string },
) => ({
  ...(r.key !== undefined ? { key: r.key } : {}),
  clicks: r.clicks,
  unique_clicks: r.unique_clicks,
  ...(r.trafficback !== undefined ? { trafficback: r.trafficback } : {}),
  bots: r.bots,
})

describe('overview', () => {
  const run = async (q: Record<string, string>, ws = 'ws-a') =>
    clickFields(await overview(h, ws, parseOverviewQuery(q, now).range))

  it('counts a UTC day', async () => {
    expect(await run({ from: '2024-01-01', to: '2024-01-01' })).toEqual({
      clicks: 3,
      unique_clicks: 2,
      trafficback: 2,
      bots: 1,
    })
  })

  it('puts 23:30 UTC on the next day in Europe/Berlin', async () => {
    expect(await run({ from: '2024-01-01', to: '2024-01-01', tz: 'Europe/Berlin' })).toEqual({
      clicks: 2,
      unique_clicks: 1,
      trafficback: 1,
      bots: 1,
    })
    expect(await run({ from: '2024-01-02', to: '2024-01-02', tz: 'Europe/Berlin' })).toEqual({
      clicks: 2,
      unique_clicks: 2,
      trafficback: 1,
      bots: 0,
    })
  })

  it('takes ISO date-times with an inclusive `to`', async () => {
    const r = await run({ from: '2024-01-01T23:00:00Z', to: '2024-01-01T23:30:00Z' })
    expect(r.clicks).toBe(1)
  })

  it('is scoped to the workspace and defaults to today', async () => {
    expect(await run({ from: '2024-01-01', to: '2024-01-03' }, 'ws-b')).toEqual({
      clicks: 1,
      unique_clicks: 1,
      trafficback: 1,
      bots: 0,
    })
    expect(await run({})).toEqual({ clicks: 0, unique_clicks: 0, trafficback: 0, bots: 0 })
  })
})

describe('breakdown', () => {
  const run = async (q: Record<string, string>) => {
    const { by, range } = parseBreakdownQuery({ from: '2024-01-01', to: '2024-01-03', ...q }, now)
    return (await breakdown(h, 'ws-a', by, range)).map(clickFields)
  }

  it('groups by campaign with trafficback, sorted by clicks', async () => {
    expect(await run({ by: 'campaign' })).toEqual([
      { key: 'camp-1', clicks: 3, unique_clicks: 1, bots: 1, trafficback: 1 },
      { key: 'camp-2', clicks: 2, unique_clicks: 2, bots: 0, trafficback: 0 },
      { key: 'camp-3', clicks: 0, unique_clicks: 0, bots: 0, trafficback: 1 },
    ])
  })

  it('groups by every other dimension', async () => {
    const keys = async (by: string) => (await run({ by })).map((r) => [r.key, r.clicks])
    expect(await keys('country')).toEqual([
      ['DE', 3],
      ['FR', 1],
      ['US', 1],
    ])
    expect(await keys('device')).toEqual([
      ['desktop', 2],
      ['mobile', 2],
      ['tablet', 1],
    ])
    expect(await keys('source')).toEqual([
      ['src-1', 3],
      ['src-2', 2],
    ])
    expect(await keys('stream')).toEqual([
      ['s1', 2],
      ['s3', 2],
      ['s2', 1],
    ])
    expect(await keys('destination')).toEqual([
      ['d1', 2],
      ['d3', 2],
      ['d2', 1],
    ])
  })

  it('respects the zone at the day boundary', async () => {
    const { by, range } = parseBreakdownQuery(
      { by: 'campaign', from: '2024-01-02', to: '2024-01-02', tz: 'Europe/Berlin' },
      now,
    )
    expect((await breakdown(h, 'ws-a', by, range)).map(clickFields)).toEqual([
      { key: 'camp-2', clicks: 2, unique_clicks: 2, bots: 0, trafficback: 0 },
      { key: 'camp-1', clicks: 0, unique_clicks: 0, bots: 0, trafficback: 1 },
    ])
  })

  it('rejects bad input with a 400 naming the fields', () => {
    try {
      parseBreakdownQuery({ by: 'planet', from: '2024-01-10', to: '2024-01-01' }, now)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).status).toBe(400)
      expect(((err as AppError).details as { path: string }[]).map((d) => d.path)).toEqual(['by'])
    }
  })
})

describe('ingestion errors', () => {
  it('lists recent errors newest first', async () => {
    // Recent timestamps: the table keeps 90 days (TTL).
    const t1 = Date.now() - 2 * 3_600_000
    const t2 = Date.now() - 3_600_000
    const ch = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ')
    await h.client.insert({
      table: 'tf_reports.ingestion_errors',
      values: [
        { ts: ch(t1), node: 'n1', stage: 'insert', error: 'old', events: 5, attempts: 1, sample: '{}' },
        { ts: ch(t2), node: 'n1', stage: 'spool_read', error: 'new', events: 1, attempts: 2, sample: '' },
      ],
      format: 'JSONEachRow',
    })
    const errs = await recentIngestionErrors(h, { limit: 10 })
    expect(errs.map((e) => [e.ts, e.error, e.attempts])).toEqual([
      [new Date(t2).toISOString(), 'new', 2],
      [new Date(t1).toISOString(), 'old', 1],
    ])
    expect(await recentIngestionErrors(h, { limit: 10, sinceMs: t2 - 1000 })).toHaveLength(1)
    expect(await recentIngestionErrors(h, { limit: 1 })).toHaveLength(1)
  })
})

describe('routes', () => {
  let app: FastifyInstance
  let auth: AuthContext = {
    userId: 'u1',
    workspaceId: 'ws-a',
    role: 'user',
    via: 'session',
    email: 'u1@example.com',
  }

  beforeAll(async () => {
    app = Fastify()
    app.setValidatorCompiler(validatorCompiler)
    app.setSerializerCompiler(serializerCompiler)
    app.decorateRequest('auth', null as never)
    app.addHook('onRequest', async (req) => {
      req.auth = auth
    })
    // The shape of the API app's error handler (src/platform/http/app.ts), reduced.
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof AppError) {
        return reply
          .code(err.status)
          .send({ error: { code: err.code, message: err.message, details: err.details } })
      }
      const e = err as { validation?: unknown; statusCode?: number; message: string }
      if (e.validation)
        return reply.code(400).send({ error: { code: 'validation_failed', message: e.message } })
      return reply.code(e.statusCode ?? 500).send({ error: { code: 'internal', message: e.message } })
    })
    await app.register(analyticsRoutes({ handle: h, pipeline, clock: manualClock(now) }), {
      prefix: '/api/v1',
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('GET /reports/overview', async () => {
    const res = await app.inject({
      url: '/api/v1/reports/overview?from=2024-01-02&to=2024-01-02&tz=Europe/Berlin',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      range: { from: '2024-01-01T23:00:00.000Z', to: '2024-01-02T23:00:00.000Z', tz: 'Europe/Berlin' },
      clicks: 2,
      unique_clicks: 2,
      trafficback: 1,
      bots: 0,
    })
  })

  it('GET /reports/breakdown', async () => {
    const res = await app.inject({
      url: '/api/v1/reports/breakdown?by=country&from=2024-01-01&to=2024-01-03',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().rows[0]).toMatchObject({ key: 'DE', clicks: 3, unique_clicks: 2, bots: 0 })
    expect(res.json().rows[0].trafficback).toBeUndefined()
  })

  it('answers 400 for bad queries', async () => {
    const bad = await app.inject({ url: '/api/v1/reports/breakdown?by=planet' })
    expect(bad.statusCode).toBe(400)
    const order = await app.inject({ url: '/api/v1/reports/overview?from=2024-02-01&to=2024-01-01' })
    expect(order.statusCode).toBe(400)
    expect(order.json().error).toMatchObject({ code: 'validation_failed', details: [{ path: 'from' }] })
    const tz = await app.inject({ url: '/api/v1/reports/overview?tz=Nowhere/Land' })
    expect(tz.statusCode).toBe(400)
  })

  it('GET /ingestion/status is platform-wide: 403 for a tenant, the counters and samples for an admin', async () => {
    const res = await app.inject({ url: '/api/v1/ingestion/status?limit=5' })
    expect(res.statusCode).toBe(403)
    expect(res.json().error.code).toBe('forbidden')
    expect(res.body).not.toContain('pushed')
    auth = { ...auth, role: 'admin' }
    const admin = await app.inject({ url: '/api/v1/ingestion/status?limit=5' })
    expect(admin.statusCode).toBe(200)
    const body = admin.json()
    expect(body.pipeline).toMatchObject({ pushed: 9, pending: 0, inserted: { clicks: 6, trafficback: 3 } })
    expect(body.recent_errors.find((e: { error: string }) => e.error === 'old').sample).toBe('{}')
  })
})
