/**
 * Cost updates end to end on embedded ClickHouse (chDB) and PGlite: the routes of
 * `src/modules/routing/costs` and the reports of the analytics module in one API app.
 * Apply → every report shows exactly the entered cost for the range (overview from the
 * rollups and from the raw table, breakdown by country and by sub1, hourly series in the
 * campaign zone), outside the range nothing moves; overlapping updates compose (newest
 * wins), reverts in any order restore; sub-ID scope; retries are deduplicated; CSV preview
 * errors by line and all-or-nothing import; workspace isolation.
 */
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyticsRoutes,
  backfillClickRollups,
  createPipeline,
  migrateClickHouse,
  type Pipeline,
} from '../src/modules/analytics/index.ts'
import { overview } from '../src/modules/analytics/queries/overview.ts'
import { costUpdateRoutes } from '../src/modules/routing/index.ts'
import { spreadShares } from '../src/modules/routing/costs/costs.core.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import { click, removeTempDirs, rows, silentLogger, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

let h: ClickHouseHandle
let pipeline: Pipeline
let db: Awaited<ReturnType<typeof throwawayDb>>
let app: FastifyInstance
let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
let campA: Json
let campA2: Json
let campB: Json
const clock = manualClock(new Date('2024-06-05T12:00:00Z'))
const T = (iso: string) => Date.parse(iso)

async function api(key: string, method: string, url: string, payload?: unknown, type?: string) {
  const res = await app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${key}`,
      ...(type ? { 'content-type': type } : {}),
    },
    ...(payload === undefined ? {} : { payload: payload as string }),
  })
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {} }
}

/** Effective cost per click id (own cost + deltas), micros. */
async function effective(ids: string[]): Promise<Record<string, number>> {
  const r = await rows<{ click_id: string; c: string }>(
    h,
    `SELECT k.click_id AS click_id, toInt64(k.cost_micros + ifNull(a.adj, 0)) AS c
     FROM (SELECT click_id, cost_micros FROM tf_costs.clicks WHERE click_id IN {ids:Array(String)}) AS k
     LEFT JOIN (SELECT click_id, sum(delta_micros) AS adj FROM tf_costs.cost_adjustments GROUP BY click_id) AS a
       ON a.click_id = k.click_id`,
    { ids },
  )
  return Object.fromEntries(r.map((x) => [x.click_id, Number(x.c)]))
}

const day = (key: string, campaign: string, d: string) =>
  api(key, 'GET', `/reports/overview?from=${d}&to=${d}&tz=Europe/Berlin&campaign_id=${campaign}`)

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('costs-ch'), 'ch'), database: 'tf_costs' })
  await migrateClickHouse(h)
  pipeline = createPipeline({
    handle: h,
    spoolDir: tempDir('costs-spool'),
    queueMax: 1000,
    batchSize: 100,
    flushMs: 10,
    logger: silentLogger,
  })
  db = await throwawayDb('pglite')
  app = await testApiApp(db.db, {
    clock,
    plugins: [
      { plugin: costUpdateRoutes({ db: db.db, handle: h, clock }) },
      { plugin: analyticsRoutes({ handle: h, pipeline, clock }) },
    ],
  })
  A = await createWorkspaceWithKey(db.db)
  B = await createWorkspaceWithKey(db.db)
  const mk = async (key: string, alias: string) => {
    const r = await api(
      key,
      'POST',
      '/campaigns',
      JSON.stringify({ name: `Campaign ${alias}`, alias, timezone: 'Europe/Berlin', currency: 'EUR' }),
      'application/json',
    )
    expect(r.status).toBe(201)
    return r.body
  }
  campA = await mk(A.apiKey, 'summer-a')
  campA2 = await mk(A.apiKey, 'other-a')
  campB = await mk(B.apiKey, 'summer-b')
  const a = { workspace_id: A.workspaceId, campaign_id: campA.id, cost_micros: 1500 }
  const events = [
    // 2024-06-01 in Berlin is [2024-05-31T22:00Z, 2024-06-01T22:00Z).
    click({ ...a, click_id: 'k1', ts: T('2024-05-31T22:10:00Z'), country: 'DE', sub1: 'z1' }),
    click({ ...a, click_id: 'k2', ts: T('2024-06-01T05:00:00Z'), country: 'DE', sub1: 'z1' }),
    click({ ...a, click_id: 'k3', ts: T('2024-06-01T05:00:00Z'), country: 'FR', sub1: 'z2' }),
    click({ ...a, click_id: 'k4', ts: T('2024-06-01T12:07:00Z'), country: 'FR', sub1: 'z1' }),
    click({ ...a, click_id: 'k5', ts: T('2024-06-01T21:59:59.999Z'), country: 'DE', sub1: 'z2' }),
    click({ ...a, click_id: 'k6', ts: T('2024-05-31T21:59:59.999Z'), country: 'DE', sub1: 'z1' }),
    click({ ...a, click_id: 'k7', ts: T('2024-06-01T22:00:00Z'), country: 'DE', sub1: 'z1' }),
    click({ ...a, click_id: 'k8', campaign_id: campA2.id, ts: T('2024-06-01T10:00:00Z') }),
    click({
      workspace_id: B.workspaceId,
      campaign_id: campB.id,
      click_id: 'w1',
      ts: T('2024-06-01T10:00:00Z'),
      cost_micros: 1500,
    }),
  ]
  for (const e of events) expect(pipeline.push(e)).toBe(true)
  await pipeline.flush()
  // One conversion of k2: €30 revenue (click time 2024-06-01).
  await h.client.insert({
    table: 'tf_costs.conversions',
    format: 'JSONEachRow',
    values: [
      {
        ts: '2024-06-02 10:00:00.000',
        click_ts: '2024-06-01 05:00:00.000',
        conversion_id: 'cv1',
        seq: 1,
        click_id: 'k2',
        workspace_id: A.workspaceId,
        campaign_id: campA.id,
        country: 'DE',
        sub1: 'z1',
        status: 'sale',
        previous_status: '',
        conversions_delta: 1,
        revenue_delta_micros: 30_000_000,
        currency: 'EUR',
      },
    ],
  })
})

afterAll(async () => {
  await app?.close()
  await db?.drop()
  await pipeline?.close()
  await h?.close()
  removeTempDirs()
})

const body = (over: Json = {}) =>
  JSON.stringify({ campaign_id: campA.id, from: '2024-06-01', to: '2024-06-01', cost: '10.000002', ...over })
const post = (path: string, over: Json = {}, key = A.apiKey) =>
  api(key, 'POST', path, body(over), 'application/json')

describe('cost updates', () => {
  const ids: Record<string, string> = {}

  it('preview: clicks, current → new cost, ROI before → after; nothing written', async () => {
    const p = await post('/cost-updates/preview')
    expect(p.status).toBe(200)
    expect(p.body).toMatchObject({
      campaign_id: campA.id,
      from: '2024-05-31T22:00:00.000Z',
      to: '2024-06-01T22:00:00.000Z',
      timezone: 'Europe/Berlin',
      currency: 'EUR',
      clicks: 5,
      current_cost: 0.0075,
      new_cost: 10.000002,
      delta: 9.992502,
      revenue: 30,
      roi_before: 399900,
      roi_after: 199.9999,
    })
    expect((await rows(h, 'SELECT * FROM tf_costs.cost_adjustments')).length).toBe(0)
  })

  it('refuses bad input with 400 naming the field, an empty range with 409', async () => {
    const bad = await post('/cost-updates/preview', { from: '2024-06-02', to: '2024-06-01', cost: '-1' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.details.map((d: Json) => d.path).sort()).toEqual(['cost', 'to'])
    const extra = await post('/cost-updates/preview', { price: 1 })
    expect(extra.status).toBe(400)
    const empty = await post('/cost-updates', { from: '2030-01-01', to: '2030-01-01' })
    expect(empty.status).toBe(409)
    expect(empty.body.error.message).toContain('nothing to spread')
    expect((await api(A.apiKey, 'GET', `/cost-updates?campaign_id=${campA.id}`)).body.items).toEqual([])
  })

  it('apply: each click gets its exact share; every report shows the total for the range', async () => {
    const r = await post('/cost-updates', { id: '0b9e4d7c-1111-4a2b-8c3d-000000000001' })
    expect(r.status).toBe(201)
    ids.u1 = r.body.id
    expect(r.body).toMatchObject({
      clicks: 5,
      cost_micros: 10_000_002,
      previous_cost_micros: 7500,
      status: 'applied',
      origin: 'manual',
      created_by: A.userId,
    })
    // (ts, click_id) order: k1, k2, k3 (same ts as k2), k4, k5.
    const shares = spreadShares(10_000_002, 5)
    expect(await effective(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'])).toEqual({
      k1: shares[0],
      k2: shares[1],
      k3: shares[2],
      k4: shares[3],
      k5: shares[4],
      k6: 1500,
      k7: 1500,
      k8: 1500,
    })
    const ov = await api(
      A.apiKey,
      'GET',
      `/reports/overview?from=2024-06-01&to=2024-06-01&tz=Europe/Berlin&campaign_id=${campA.id}&attribution=click`,
    )
    expect(ov.body).toMatchObject({
      clicks: 5,
      cost: 10.000002,
      revenue: 30,
      profit: 19.999998,
      roi: 199.9999,
    })
    // Same from the raw table (the route's overview used the rollup).
    const raw = await overview(
      h,
      A.workspaceId,
      { fromMs: T('2024-05-31T22:00:00Z'), toMs: T('2024-06-01T22:00:00Z'), tz: 'Europe/Berlin' },
      { filters: { campaign: [campA.id] }, forceRaw: true },
    )
    expect(raw.cost).toBe(10.000002)
    const byCountry = await api(
      A.apiKey,
      'GET',
      `/reports/breakdown?by=country&from=2024-06-01&to=2024-06-01&tz=Europe/Berlin&campaign_id=${campA.id}`,
    )
    expect(byCountry.body.rows.map((x: Json) => [x.key, x.cost])).toEqual([
      ['DE', 6.000002],
      ['FR', 4],
    ])
    const bySub = await api(
      A.apiKey,
      'GET',
      `/reports/breakdown?by=sub1&from=2024-06-01&to=2024-06-01&tz=Europe/Berlin&campaign_id=${campA.id}`,
    )
    expect(Object.fromEntries(bySub.body.rows.map((x: Json) => [x.key, x.cost]))).toEqual({
      z1: 6.000002,
      z2: 4,
    })
    const hours = await api(
      A.apiKey,
      'GET',
      `/reports/series?interval=hour&from=2024-06-01&to=2024-06-01&tz=Europe/Berlin&campaign_id=${campA.id}`,
    )
    expect(hours.body.buckets).toHaveLength(24)
    const total = hours.body.buckets.reduce((s: number, b: Json) => s + Math.round(b.cost * 1e6), 0)
    expect(total).toBe(10_000_002)
    expect(hours.body.buckets[0]).toMatchObject({
      local: '2024-06-01T00:00+02:00',
      clicks: 1,
      cost: 2.000001,
    })
    expect(hours.body.buckets[23]).toMatchObject({ local: '2024-06-01T23:00+02:00', clicks: 1, cost: 2 })
    // Outside the range and other campaigns: unchanged.
    expect((await day(A.apiKey, campA.id, '2024-05-31')).body.cost).toBe(0.0015)
    expect((await day(A.apiKey, campA.id, '2024-06-02')).body.cost).toBe(0.0015)
    expect((await day(A.apiKey, campA2.id, '2024-06-01')).body.cost).toBe(0.0015)
  })

  it('a retry with the same id writes nothing twice', async () => {
    const again = await post('/cost-updates', { id: '0b9e4d7c-1111-4a2b-8c3d-000000000001' })
    expect(again.status).toBe(201)
    expect(again.body.id).toBe(ids.u1)
    const [n] = await rows<{ n: string }>(h, 'SELECT count() AS n FROM tf_costs.cost_adjustments')
    expect(Number(n!.n)).toBe(5)
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(10.000002)
  })

  it('an overlapping update composes (newest wins); reverts in any order restore', async () => {
    clock.advance(60_000)
    // 12:00 local on Jun 1 to 12:00 local on Jun 2: k4, k5, k7.
    const u2 = await post('/cost-updates', { from: '2024-06-01T12:00', to: '2024-06-02T12:00', cost: 3 })
    expect(u2.status).toBe(201)
    expect(u2.body).toMatchObject({ clicks: 3, previous_cost_micros: 2_000_000 * 2 + 1500 })
    ids.u2 = u2.body.id
    expect(await effective(['k1', 'k4', 'k5', 'k7'])).toEqual({
      k1: 2_000_001,
      k4: 1_000_000,
      k5: 1_000_000,
      k7: 1_000_000,
    })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(8.000002)
    expect((await day(A.apiKey, campA.id, '2024-06-02')).body.cost).toBe(1)

    // Revert the older one: its clicks under u2 keep u2's share, the others go back.
    clock.advance(60_000)
    const r1 = await api(A.apiKey, 'POST', `/cost-updates/${ids.u1}/revert`)
    expect(r1.status).toBe(200)
    expect(r1.body).toMatchObject({ status: 'reverted', reverted_by: A.userId })
    expect(await effective(['k1', 'k2', 'k3', 'k4', 'k5'])).toEqual({
      k1: 1500,
      k2: 1500,
      k3: 1500,
      k4: 1_000_000,
      k5: 1_000_000,
    })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(2.0045)
    expect((await api(A.apiKey, 'POST', `/cost-updates/${ids.u1}/revert`)).status).toBe(409)

    clock.advance(60_000)
    expect((await api(A.apiKey, 'POST', `/cost-updates/${ids.u2}/revert`)).status).toBe(200)
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(0.0075)
    expect((await day(A.apiKey, campA.id, '2024-06-02')).body.cost).toBe(0.0015)
  })

  it('reverting the newer of two overlapping updates returns its clicks to the older one', async () => {
    clock.advance(60_000)
    const u3 = await post('/cost-updates', { cost: 5 })
    clock.advance(60_000)
    const u4 = await post('/cost-updates', { from: '2024-06-01T12:00', to: '2024-06-02T12:00', cost: 3 })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(5)
    clock.advance(60_000)
    expect((await api(A.apiKey, 'POST', `/cost-updates/${u4.body.id}/revert`)).status).toBe(200)
    expect(await effective(['k4', 'k5', 'k7'])).toEqual({ k4: 1_000_000, k5: 1_000_000, k7: 1500 })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(5)
    clock.advance(60_000)
    expect((await api(A.apiKey, 'POST', `/cost-updates/${u3.body.id}/revert`)).status).toBe(200)
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(0.0075)
  })

  it('a sub-ID scoped update changes only those clicks', async () => {
    clock.advance(60_000)
    const u = await post('/cost-updates', { sub_key: 'sub1', sub_value: 'z2', cost: '1' })
    expect(u.body).toMatchObject({ clicks: 2, sub_key: 'sub1', sub_value: 'z2' })
    const bySub = await api(
      A.apiKey,
      'GET',
      `/reports/breakdown?by=sub1&from=2024-06-01&to=2024-06-01&tz=Europe/Berlin&campaign_id=${campA.id}`,
    )
    expect(Object.fromEntries(bySub.body.rows.map((x: Json) => [x.key, x.cost]))).toEqual({
      z1: 0.0045,
      z2: 1,
    })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(1.0045)
    expect((await api(A.apiKey, 'POST', `/cost-updates/${u.body.id}/revert`)).status).toBe(200)
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(0.0075)
  })

  it('history: newest first, per campaign', async () => {
    const hist = await api(A.apiKey, 'GET', `/cost-updates?campaign_id=${campA.id}`)
    expect(hist.status).toBe(200)
    expect(hist.body.items).toHaveLength(5)
    expect(hist.body.items.every((i: Json) => i.status === 'reverted')).toBe(true)
    expect(hist.body.items.at(-1).id).toBe(ids.u1)
  })

  it('CSV preview: errors by line, preview figures for valid lines; import is all-or-nothing', async () => {
    const csv = [
      'campaign,from,to,timezone,sub_key,sub_value,cost',
      `summer-a,2024-06-01,2024-06-01,,,,12`,
      `no-such,2024-06-01,2024-06-01,,,,1`,
      `summer-a,2024-06-31,2024-06-31,,,,1`,
      `summer-a,2030-01-01,2030-01-01,,,,1`,
      `summer-b,2024-06-01,2024-06-01,,,,1`,
      `${campA2.id},2024-06-01,2024-06-01,UTC,sub1,a,x`,
    ].join('\r\n')
    const p = await api(A.apiKey, 'POST', '/cost-updates/import/preview', csv, 'text/csv')
    expect(p.status).toBe(200)
    expect(p.body.rows).toHaveLength(1)
    expect(p.body.rows[0]).toMatchObject({
      line: 2,
      campaign_name: 'Campaign summer-a',
      clicks: 5,
      new_cost: 12,
    })
    expect(p.body.errors.map((e: Json) => [e.line, e.issues[0].path])).toEqual([
      [3, 'campaign'],
      [4, 'from'],
      [5, 'from'],
      [6, 'campaign'], // another workspace's alias
      [7, 'cost'],
    ])
    expect(p.body.errors[2].issues[0].message).toContain('nothing to spread')
    const refused = await api(
      A.apiKey,
      'POST',
      '/cost-updates/import',
      JSON.stringify({ csv }),
      'application/json',
    )
    expect(refused.status).toBe(400)
    expect(refused.body.error.details.map((e: Json) => e.line)).toEqual([3, 4, 5, 6, 7])
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(0.0075)

    const good = [
      'campaign;from;to;cost',
      'summer-a;2024-06-01;2024-06-01;12',
      `${campA2.id};2024-06-01;2024-06-01;"0,5"`,
    ].join('\n')
    const batch = '7c1e0d2a-2222-4b3c-9d4e-000000000002'
    const imp = await api(
      A.apiKey,
      'POST',
      '/cost-updates/import',
      JSON.stringify({ csv: good, batch_id: batch }),
      'application/json',
    )
    expect(imp.status).toBe(201)
    expect(imp.body.items.map((i: Json) => [i.campaign_id, i.cost, i.origin])).toEqual([
      [campA.id, 12, `csv:${batch}`],
      [campA2.id, 0.5, `csv:${batch}`],
    ])
    // The same import again (a retry): the same updates, no second delta.
    const again = await api(
      A.apiKey,
      'POST',
      '/cost-updates/import',
      JSON.stringify({ csv: good, batch_id: batch }),
      'application/json',
    )
    expect(again.body.items.map((i: Json) => i.id)).toEqual(imp.body.items.map((i: Json) => i.id))
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(12)
    expect((await day(A.apiKey, campA2.id, '2024-06-01')).body.cost).toBe(0.5)
  })

  it('workspace isolation: another workspace cannot preview, apply, list or revert, and its reports do not move', async () => {
    expect((await post('/cost-updates/preview', {}, B.apiKey)).status).toBe(404)
    expect((await post('/cost-updates', {}, B.apiKey)).status).toBe(404)
    expect((await api(B.apiKey, 'GET', `/cost-updates?campaign_id=${campA.id}`)).body.items).toEqual([])
    expect((await api(B.apiKey, 'GET', '/cost-updates')).body.items).toEqual([])
    const mine = (await api(A.apiKey, 'GET', '/cost-updates')).body.items
    expect(mine.length).toBeGreaterThan(0)
    expect((await api(B.apiKey, 'POST', `/cost-updates/${mine[0].id}/revert`)).status).toBe(404)
    expect((await day(B.apiKey, campB.id, '2024-06-01')).body).toMatchObject({ clicks: 1, cost: 0.0015 })
    // B's own update does not touch A.
    const ub = await post('/cost-updates', { campaign_id: campB.id, cost: 7 }, B.apiKey)
    expect(ub.status).toBe(201)
    expect((await day(B.apiKey, campB.id, '2024-06-01')).body.cost).toBe(7)
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(12)
  })

  it('a rollup backfill keeps the cost updates (the deltas are copied with the clicks)', async () => {
    // As if the store predated the rollups: the watermark in the future, reports read raw.
    await h.client.command({
      query: `INSERT INTO tf_costs.rollup_state (name, since, set_at)
        VALUES ('clicks', toDateTime64('2024-07-01 00:00:00', 3, 'UTC'), now64(3, 'UTC'))`,
    })
    expect((await day(A.apiKey, campA.id, '2024-06-01')).body.cost).toBe(12)
    expect(await backfillClickRollups(h)).toBeGreaterThan(0)
    const ov = await day(A.apiKey, campA.id, '2024-06-01')
    expect(ov.body).toMatchObject({ clicks: 5, cost: 12 })
    expect((await day(A.apiKey, campA2.id, '2024-06-01')).body.cost).toBe(0.5)
  })
})
