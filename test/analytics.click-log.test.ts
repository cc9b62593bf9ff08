/**
 * The click log over embedded ClickHouse (chDB) and PGlite, through the real API app:
 * search by each filter, keyset paging, the range bound, CSV with names, workspace
 * isolation (search and detail), and the route decision replay of a click's page.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClickEvent, migrateClickHouse } from '../src/modules/analytics/index.ts'
import { chDateTime } from '../src/modules/analytics/migrate.ts'
import { clickLogRoutes, createRoutingRuntime, type RoutingRuntime } from '../src/modules/routing/index.ts'
import { newClickId } from '../src/modules/routing/core/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { createLogger } from '../src/platform/logger.ts'
import { click, removeTempDirs, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

let pg: Awaited<ReturnType<typeof throwawayDb>>
let ch: ClickHouseHandle
let app: FastifyInstance
let runtime: RoutingRuntime
let a: { apiKey: string; workspaceId: string }
let b: { apiKey: string; workspaceId: string }
const ids = { campaign: '', usStream: '', mobileStream: '', usOffer: '', mobileOffer: '', bCampaign: '' }
const T0 = Date.parse('2024-06-01T12:00:00Z')
const cid = (ms: number) => newClickId(ms, randomBytes(10))
/** Named clicks of the fixture. */
const c = { mobile: '', us: '', stale: '', b: '', tie: [] as string[] }
const RANGE = 'from=2024-06-01&to=2024-06-01&tz=UTC'

const call = (key: string, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${key}` } })

async function insert(events: ClickEvent[]) {
  await ch.client.insert({
    table: `${ch.database}.clicks`,
    values: events.map(({ type: _t, ts, ...rest }) => ({ ...rest, ts: chDateTime(ts) })),
    format: 'JSONEachRow',
  })
}

beforeAll(async () => {
  pg = await throwawayDb('pglite')
  ch = await openClickHouse({ chDir: path.join(tempDir('clicklog-ch'), 'ch'), database: 'tf_clicklog' })
  await migrateClickHouse(ch)
  const config = testConfig()
  runtime = await createRoutingRuntime({
    db: pg.db,
    config,
    logger: createLogger('silent'),
    pipeline: { pushMany: () => true },
  })
  app = await testApiApp(pg.db, {
    config,
    plugins: [{ plugin: clickLogRoutes({ db: pg.db, handle: ch, runtime }) }],
  })
  a = await createWorkspaceWithKey(pg.db)
  b = await createWorkspaceWithKey(pg.db)
  const post = async (key: string, url: string, body: unknown) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      payload: body as object,
    })
    expect(res.statusCode, res.body).toBe(201)
    return (res.json() as { id: string }).id
  }
  ids.usOffer = await post(a.apiKey, '/destinations', {
    name: 'US offer',
    url: 'https://us.example/?c={click_id}',
  })
  ids.mobileOffer = await post(a.apiKey, '/destinations', { name: 'Mobile offer', url: 'https://m.example/' })
  ids.campaign = await post(a.apiKey, '/campaigns', { name: 'Summer push', alias: 'summer-push' })
  ids.usStream = await post(a.apiKey, '/streams', {
    campaign_id: ids.campaign,
    name: 'US only',
    priority: 1,
    conditions: { groups: [{ rules: [{ type: 'country', op: 'is', values: ['US'] }] }] },
    destinations: [{ destination_id: ids.usOffer }],
  })
  ids.mobileStream = await post(a.apiKey, '/streams', {
    campaign_id: ids.campaign,
    name: 'Mobile',
    priority: 2,
    conditions: { groups: [{ rules: [{ type: 'device', op: 'is', values: ['mobile'] }] }] },
    destinations: [{ destination_id: ids.mobileOffer }],
  })
  ids.bCampaign = await post(b.apiKey, '/campaigns', { name: 'B campaign', alias: 'b-campaign' })
  await runtime.snapshots.refresh()

  const base = {
    workspace_id: a.workspaceId,
    campaign_id: ids.campaign,
    source_id: '',
    user_key: 'uk-a',
  }
  c.mobile = cid(T0)
  c.us = cid(T0 + 60_000)
  // Recorded on the US stream, but its context (DE, desktop) matches no stream today.
  c.stale = cid(T0 + 120_000)
  c.b = cid(T0 + 30_000)
  const tieMs = T0 + 3_600_000
  c.tie = Array.from({ length: 5 }, () => cid(tieMs))
  await insert([
    click({
      ...base,
      click_id: c.mobile,
      ts: T0,
      stream_id: ids.mobileStream,
      destination_id: ids.mobileOffer,
      country: 'DE',
      device: 'mobile',
      ip: '203.0.113.7',
      sub1: 'zone-17',
      sub3: 'banner',
      external_id: 'ts-abc',
    }),
    click({
      ...base,
      click_id: c.us,
      ts: T0 + 60_000,
      stream_id: ids.usStream,
      destination_id: ids.usOffer,
      country: 'US',
      device: 'desktop',
      ip: '198.51.100.4',
      sub1: 'zone-18',
    }),
    click({
      ...base,
      click_id: c.stale,
      ts: T0 + 120_000,
      stream_id: ids.usStream,
      destination_id: ids.usOffer,
      country: 'DE',
      device: 'desktop',
      ip: '203.0.113.99',
      sub1: '',
    }),
    ...c.tie.map((id) =>
      click({
        ...base,
        click_id: id,
        ts: tieMs,
        stream_id: ids.mobileStream,
        destination_id: ids.mobileOffer,
        country: 'FR',
        device: 'mobile',
        ip: '192.0.2.1',
        sub1: 'tie',
      }),
    ),
    // Workspace B: same IP and sub1 as A's first click.
    click({
      workspace_id: b.workspaceId,
      campaign_id: ids.bCampaign,
      click_id: c.b,
      ts: T0 + 30_000,
      ip: '203.0.113.7',
      sub1: 'zone-17',
      country: 'DE',
    }),
  ])
})

afterAll(async () => {
  await app?.close()
  await runtime?.stop()
  await ch?.close()
  await pg?.drop()
  removeTempDirs()
})

type Item = { click_id: string; [k: string]: unknown }
const found = async (key: string, query: string): Promise<string[]> => {
  const res = await call(key, `/clicks?${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return (res.json().items as Item[]).map((i) => i.click_id)
}

describe('click search', () => {
  it('finds a click by its ID alone (range from the ID), with names', async () => {
    const res = await call(a.apiKey, `/clicks?click_id=${c.mobile}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.items).toHaveLength(1)
    expect(body.items[0]).toMatchObject({
      click_id: c.mobile,
      ts: '2024-06-01T12:00:00.000Z',
      campaign_name: 'Summer push',
      stream_name: 'Mobile',
      destination_name: 'Mobile offer',
      country: 'DE',
      external_id: 'ts-abc',
      is_unique: true,
    })
    expect(body.items[0].subs.sub1).toBe('zone-17')
    expect(body.range).toEqual({
      from: '2024-06-01T11:00:00.000Z',
      to: '2024-06-01T13:00:00.000Z',
      tz: 'UTC',
    })
  })

  it.each([
    ['ip exact', 'ip=203.0.113.7', () => [c.mobile]],
    ['ip prefix', 'ip=203.0.113.*', () => [c.stale, c.mobile]],
    ['sub1', 'sub1=zone-18', () => [c.us]],
    ['sub3', 'sub3=banner', () => [c.mobile]],
    ['external_id', 'external_id=ts-abc', () => [c.mobile]],
    ['country (any case)', 'country=us', () => [c.us]],
    ['two countries', 'country=US&country=DE', () => [c.stale, c.us, c.mobile]],
    ['campaign', `campaign_id=${'00000000-0000-4000-8000-000000000000'}`, () => []],
    ['combined', 'country=DE&sub1=zone-17', () => [c.mobile]],
  ])('filters by %s', async (_name, q, expected) => {
    expect(await found(a.apiKey, `${RANGE}&${q}`)).toEqual(expected())
  })

  it('filters by campaign and lists newest first', async () => {
    const all = await found(a.apiKey, `${RANGE}&campaign_id=${ids.campaign}`)
    expect(all).toHaveLength(8)
    expect(all.slice(0, 5).sort()).toEqual([...c.tie].sort())
    expect(all.slice(5)).toEqual([c.stale, c.us, c.mobile])
  })

  it('pages with a stable keyset cursor, also through equal timestamps', async () => {
    const all = await found(a.apiKey, RANGE)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await call(a.apiKey, `/clicks?${RANGE}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      seen.push(...(body.items as Item[]).map((i) => i.click_id))
      cursor = body.next_cursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toEqual(all)
    expect(new Set(seen).size).toBe(8)
  })

  it('refuses unbounded or malformed queries with field errors', async () => {
    const cases: [string, string][] = [
      ['from=2024-01-01&to=2024-06-01', 'to'],
      ['from=2024-06-02&to=2024-06-01', 'from'],
      ['ip=not-an-ip', 'ip'],
      ['limit=500', 'limit'],
      ['cursor=!!!', 'cursor'],
      ['cursor=abc', 'cursor'],
      ['campain_id=x', 'campain_id'],
      ['country=DEU', 'country'],
    ]
    for (const [q, field] of cases) {
      const res = await call(a.apiKey, `/clicks?${q}`)
      expect(res.statusCode, q).toBe(400)
      const err = res.json().error
      expect(err.code, q).toBe('validation_failed')
      expect(
        (err.details as { path: string }[]).some((d) => d.path === field || d.path.startsWith(`${field}.`)),
        `${q}: ${JSON.stringify(err.details)}`,
      ).toBe(true)
    }
  })

  it('exports the same filter as CSV with names', async () => {
    const res = await call(a.apiKey, `/clicks.csv?${RANGE}&country=DE`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toContain('text/csv')
    expect(res.headers['content-disposition']).toContain('traffoflex-clicks-2024-06-01_2024-06-01.csv')
    const lines = res.body.trim().split('\r\n')
    expect(lines[0]).toMatch(
      /^time,click_id,campaign,campaign_id,stream,stream_id,lander,lander_id,offer,offer_id,/,
    )
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain(`${c.stale},Summer push,${ids.campaign},US only,${ids.usStream}`)
    expect(lines[2]).toContain(`Mobile offer,${ids.mobileOffer}`)
    expect(lines[2]).toContain(',0.0015,USD,ts-abc,zone-17,')
    const bad = await call(a.apiKey, `/clicks.csv?${RANGE}&limit=5`)
    expect(bad.statusCode).toBe(400)
  })
})

describe('workspace isolation', () => {
  it("never finds another workspace's clicks, and its page is 404", async () => {
    expect(await found(a.apiKey, `click_id=${c.b}`)).toEqual([])
    expect(await found(a.apiKey, `${RANGE}&ip=203.0.113.7`)).toEqual([c.mobile])
    expect(await found(b.apiKey, `${RANGE}&ip=203.0.113.7`)).toEqual([c.b])
    expect((await call(a.apiKey, `/clicks/${c.b}`)).statusCode).toBe(404)
    expect((await call(b.apiKey, `/clicks/${c.mobile}`)).statusCode).toBe(404)
    const own = await call(b.apiKey, `/clicks/${c.b}`)
    expect(own.statusCode, own.body).toBe(200)
    expect((await call(a.apiKey, '/clicks/NOT-A-CLICK-ID')).statusCode).toBe(404)
    expect((await call(a.apiKey, `/clicks/${cid(T0 + 5_000)}`)).statusCode).toBe(404)
    const csv = await call(a.apiKey, `/clicks.csv?${RANGE}`)
    expect(csv.body).not.toContain(c.b)
  })
})

describe('click page', () => {
  it('shows every column, no lander clicks (null before migration 007), and replays the same decision', async () => {
    const res = await call(a.apiKey, `/clicks/${c.mobile}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.click).toMatchObject({
      click_id: c.mobile,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0',
      referrer: 'https://example.com/',
      destination_url: 'https://offer.example.com/?cid=x',
      campaign_name: 'Summer push',
    })
    expect(body.click.columns).toMatchObject({ utm_source: '', cost_micros: 1500, sub3: 'banner' })
    // null while the store has no lander_clicks table (before 007_landers.sql), else [].
    expect(body.lander_clicks ?? []).toEqual([])
    const r = body.route
    expect(r.recorded).toMatchObject({ stream_name: 'Mobile', destination_name: 'Mobile offer' })
    expect(r.same).toBe(true)
    expect(r.differs).toBeNull()
    expect(r.replay).toMatchObject({
      outcome: 'redirect',
      stream_id: ids.mobileStream,
      destination_id: ids.mobileOffer,
    })
    const [us, mobile] = r.replay.trace.streams
    expect(us).toMatchObject({ name: 'US only', matched: false })
    expect(us.failed).toContain('country')
    expect(us.failed).toContain('DE')
    expect(mobile).toMatchObject({ name: 'Mobile', matched: true })
    expect(mobile.destinations).toEqual([
      expect.objectContaining({ destination_id: ids.mobileOffer, name: 'Mobile offer', kept: true }),
    ])
  })

  it('lists the lander clicks once the lander_clicks table exists (migration 007)', async () => {
    // The shape of 007_landers.sql; IF NOT EXISTS: a no-op where the migration ran.
    await ch.client.command({
      query: `CREATE TABLE IF NOT EXISTS ${ch.database}.lander_clicks (click_id String,
        ts DateTime64(3, 'UTC'), workspace_id LowCardinality(String), campaign_id LowCardinality(String),
        stream_id LowCardinality(String), lander_id LowCardinality(String), destination_id LowCardinality(String),
        source_id LowCardinality(String), is_unique UInt8, country LowCardinality(String),
        device LowCardinality(String), destination_url String)
        ENGINE = MergeTree ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)`,
    })
    const row = (ws: string, ms: number) => ({
      click_id: c.mobile,
      ts: chDateTime(ms),
      workspace_id: ws,
      campaign_id: ids.campaign,
      stream_id: ids.mobileStream,
      lander_id: '',
      destination_id: ids.mobileOffer,
      source_id: '',
      is_unique: 1,
      country: 'DE',
      device: 'mobile',
      destination_url: 'https://m.example/',
    })
    await ch.client.insert({
      table: `${ch.database}.lander_clicks`,
      values: [row(a.workspaceId, T0 + 5_000), row(b.workspaceId, T0 + 6_000)],
      format: 'JSONEachRow',
    })
    const body = (await call(a.apiKey, `/clicks/${c.mobile}`)).json()
    expect(body.lander_clicks).toEqual([
      {
        ts: '2024-06-01T12:00:05.000Z',
        lander_id: '',
        lander_name: null,
        destination_id: ids.mobileOffer,
        destination_name: 'Mobile offer',
        is_unique: true,
        destination_url: 'https://m.example/',
      },
    ])
    expect((await call(b.apiKey, `/clicks/${c.b}`)).json().lander_clicks).toEqual([])
  })

  it('says when the replay differs from the recorded route', async () => {
    const body = (await call(a.apiKey, `/clicks/${c.stale}`)).json()
    expect(body.route.recorded.stream_name).toBe('US only')
    expect(body.route.same).toBe(false)
    expect(body.route.replay.outcome).toBe('trafficback')
    expect(body.route.differs).toMatch(/trafficback \(no stream matched\)/)
  })

  it('cannot replay a click of a campaign that is gone, and says so', async () => {
    const body = (await call(b.apiKey, `/clicks/${c.b}`)).json()
    expect(body.route.replay).not.toBeNull()
    const other = cid(T0 + 200_000)
    await insert([
      click({ workspace_id: a.workspaceId, campaign_id: 'gone', click_id: other, ts: T0 + 200_000 }),
    ])
    const gone = (await call(a.apiKey, `/clicks/${other}`)).json()
    expect(gone.route.replay).toBeNull()
    expect(gone.route.same).toBeNull()
    expect(gone.route.differs).toMatch(/no longer configured/)
  })
})
