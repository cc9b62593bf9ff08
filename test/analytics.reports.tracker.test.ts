/**
 * Report features of the tracker workflow (issue 17) on embedded ClickHouse and PGlite:
 * groupings by hour of day (in the report zone), language and OS version; breakdowns by
 * more than two dimensions and drill-down by the parents' values; CSV with names next to
 * ids; named column presets per user and workspace.
 */
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { workspaceMembers } from '../src/modules/accounts/index.ts'
import { analyticsRoutes, migrateClickHouse, reportPresetRoutes } from '../src/modules/analytics/index.ts'
import { entityNames } from '../src/modules/routing/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import { click, removeTempDirs, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

let h: ClickHouseHandle
let db: Awaited<ReturnType<typeof throwawayDb>>
let app: FastifyInstance
let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
/** A second user in A's workspace. */
let A2key = ''
let camp: Json
let dest: Json
const clock = manualClock(new Date('2024-06-05T12:00:00Z'))
const chTime = (iso: string) => iso.replace('T', ' ').replace('Z', '')

async function api(key: string, method: string, url: string, body?: unknown) {
  const res = await app.inject({
    method: method as 'GET',
    url: `/api/v1${url}`,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  const text = res.body
  return {
    status: res.statusCode,
    text,
    body:
      res.headers['content-type']?.toString().startsWith('application/json') && text
        ? (JSON.parse(text) as Json)
        : {},
  }
}

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('tracker-ch'), 'ch'), database: 'tf_tracker' })
  await migrateClickHouse(h)
  db = await throwawayDb('pglite')
  app = await testApiApp(db.db, {
    clock,
    plugins: [
      {
        plugin: analyticsRoutes({
          handle: h,
          pipeline: { stats: () => ({}) as never },
          clock,
          entityNames: entityNames(db.db),
        }),
      },
      { plugin: reportPresetRoutes({ db: db.db, clock }) },
    ],
  })
  A = await createWorkspaceWithKey(db.db)
  B = await createWorkspaceWithKey(db.db)
  const other = await createWorkspaceWithKey(db.db)
  await db.db
    .insert(workspaceMembers)
    .values({ workspaceId: A.workspaceId, userId: other.userId, role: 'member' })
  A2key = (
    await createApiKey(db.db, {
      workspaceId: A.workspaceId,
      userId: other.userId,
      name: 'second',
      scopes: ['admin'],
    })
  ).key
  camp = (await api(A.apiKey, 'POST', '/campaigns', { name: 'Summer, "DE"', alias: 'summer-de' })).body
  dest = (await api(A.apiKey, 'POST', '/destinations', { name: 'Offer One', url: 'https://offer.example/' }))
    .body
  const base = {
    workspace_id: A.workspaceId,
    campaign_id: camp.id,
    destination_id: dest.id,
    cost_micros: 1000,
  }
  // Kathmandu is +05:45: 18:15 UTC is 00:00 local, 23:59 UTC is 05:44 local.
  const clicks = [
    {
      ...click({ ...base, click_id: 'h1', country: 'DE', language: 'de', sub1: 'a' }),
      os_version: '17.4',
      ts: '2024-06-01T18:15:00.000Z',
    },
    {
      ...click({ ...base, click_id: 'h2', country: 'DE', language: 'de', sub1: 'b' }),
      os_version: '17.4',
      ts: '2024-06-01T18:20:00.000Z',
    },
    {
      ...click({ ...base, click_id: 'h3', country: 'FR', language: 'fr', sub1: 'a' }),
      os_version: '14',
      ts: '2024-06-01T23:59:00.000Z',
    },
    {
      ...click({ ...base, click_id: 'h4', country: 'DE', language: 'en', sub1: 'a' }),
      os_version: '',
      ts: '2024-06-02T04:00:00.000Z',
    },
  ].map(({ type: _t, ...c }) => ({ ...c, ts: chTime(c.ts as string) }))
  await h.client.insert({ table: 'tf_tracker.clicks', values: clicks, format: 'JSONEachRow' })
  // A conversion of h3 (language only on the click: joined from it; the OS version is copied
  // onto the conversion row when it is created, as the conversions module does).
  await h.client.insert({
    table: 'tf_tracker.conversions',
    format: 'JSONEachRow',
    values: [
      {
        ts: chTime('2024-06-02T01:00:00.000Z'),
        click_ts: chTime('2024-06-01T23:59:00.000Z'),
        conversion_id: 'cv1',
        seq: 1,
        click_id: 'h3',
        workspace_id: A.workspaceId,
        campaign_id: camp.id,
        destination_id: dest.id,
        country: 'FR',
        os_version: '14',
        sub1: 'a',
        status: 'sale',
        conversions_delta: 1,
        revenue_delta_micros: 5_000_000,
        currency: 'USD',
      },
    ],
  })
})

afterAll(async () => {
  await app?.close()
  await db?.drop()
  await h?.close()
  removeTempDirs()
})

const q = 'from=2024-06-02&to=2024-06-02&tz=Asia/Kathmandu'

describe('new groupings', () => {
  it('hour of day in the report zone (+05:45), from the rollup and with conversions by click time', async () => {
    const r = await api(A.apiKey, 'GET', `/reports/breakdown?by=hour&${q}&attribution=click`)
    expect(r.status).toBe(200)
    expect(r.body.rows.map((x: Json) => [x.key, x.clicks, x.conversions])).toEqual([
      ['00', 2, 0],
      ['05', 1, 1], // 23:59 UTC = 05:44 local
      ['09', 1, 0], // 04:00 UTC = 09:45 local
    ])
    const f = await api(A.apiKey, 'GET', `/reports/overview?${q}&hour=00&hour=09`)
    expect(f.body.clicks).toBe(3)
  })

  it('language and OS version, conversions counted under the converting click', async () => {
    const lang = await api(A.apiKey, 'GET', `/reports/breakdown?by=language&${q}`)
    expect(lang.body.rows.map((x: Json) => [x.key, x.clicks, x.conversions, x.revenue])).toEqual([
      ['de', 2, 0, 0],
      ['fr', 1, 1, 5], // clicks desc, then conversions desc
      ['en', 1, 0, 0],
    ])
    const os = await api(A.apiKey, 'GET', `/reports/breakdown?by=os_version&${q}`)
    expect(os.body.rows.map((x: Json) => [x.key, x.clicks, x.conversions])).toEqual([
      ['17.4', 2, 0],
      ['14', 1, 1],
      ['', 1, 0],
    ])
    expect((await api(A.apiKey, 'GET', `/reports/overview?${q}&os_version=17.4`)).body.clicks).toBe(2)
  })
})

describe('drill-down', () => {
  it('groups by up to 6 dimensions with every key in `keys`', async () => {
    const r = await api(A.apiKey, 'GET', `/reports/breakdown?by=campaign,country,sub1,language&${q}`)
    expect(r.status).toBe(200)
    expect(r.body.by).toEqual(['campaign', 'country', 'sub1', 'language'])
    expect(r.body.rows.map((x: Json) => x.keys)).toEqual([
      [camp.id, 'FR', 'a', 'fr'], // 1 click and a conversion first
      [camp.id, 'DE', 'a', 'de'],
      [camp.id, 'DE', 'a', 'en'],
      [camp.id, 'DE', 'b', 'de'],
    ])
    expect(r.body.rows[0]).toMatchObject({ key: camp.id, key2: 'FR' })
    const tooMany = await api(
      A.apiKey,
      'GET',
      `/reports/breakdown?by=campaign,country,sub1,sub2,sub3,sub4,sub5&${q}`,
    )
    expect(tooMany.status).toBe(400)
  })

  it('any depth: each level filters by the parent rows and groups by the next dimension', async () => {
    const path = [
      ['campaign', 'campaign_id', camp.id],
      ['destination', 'destination_id', dest.id],
      ['country', 'country', 'DE'],
      ['sub1', 'sub1', 'a'],
      ['language', 'language', 'en'],
    ] as const
    let filters = ''
    const seen: number[] = []
    for (const [dim, param, value] of path) {
      const r = await api(A.apiKey, 'GET', `/reports/breakdown?by=${dim}&${q}${filters}`)
      const row = r.body.rows.find((x: Json) => x.key === value)
      seen.push(row.clicks)
      filters += `&${param}=${encodeURIComponent(value)}`
    }
    expect(seen).toEqual([4, 4, 3, 2, 1])
  })
})

describe('CSV with names', () => {
  it('puts the name under the dimension and the id in <dim>_id', async () => {
    const r = await api(A.apiKey, 'GET', `/reports/breakdown?by=campaign,destination,country&${q}&format=csv`)
    expect(r.status).toBe(200)
    const lines = r.text.trim().split('\r\n')
    expect(lines[0]).toMatch(/^campaign,campaign_id,destination,destination_id,country,clicks,/)
    expect(lines[1]).toMatch(new RegExp(`^"Summer, ""DE""",${camp.id},Offer One,${dest.id},DE,3,`))
  })

  it("never names another workspace's ids", async () => {
    const r = await api(
      B.apiKey,
      'GET',
      `/reports/breakdown?by=campaign&${q}&format=csv&campaign_id=${camp.id}`,
    )
    expect(r.text.trim().split('\r\n')).toHaveLength(1) // header only: B has no such clicks
  })
})

describe('report presets', () => {
  const def = {
    columns: ['clicks', 'cost', 'roi'],
    dimensions: ['campaign', 'country'],
    filters: { country: ['DE'] },
  }

  it('CRUD for the signed-in user, strict definition, 409 on a taken name', async () => {
    const c = await api(A.apiKey, 'POST', '/report-presets', { name: 'Buyer view', definition: def })
    expect(c.status).toBe(201)
    expect(c.body).toMatchObject({ name: 'Buyer view', definition: def })
    expect(
      (await api(A.apiKey, 'POST', '/report-presets', { name: 'Buyer view', definition: def })).status,
    ).toBe(409)
    const bad = await api(A.apiKey, 'POST', '/report-presets', {
      name: 'x',
      definition: { ...def, colour: 'red' },
    })
    expect(bad.status).toBe(400)
    const badCol = await api(A.apiKey, 'POST', '/report-presets', {
      name: 'y',
      definition: { columns: ['nope'] },
    })
    expect(badCol.status).toBe(400)
    const u = await api(A.apiKey, 'PUT', `/report-presets/${c.body.id}`, { name: 'Renamed' })
    expect(u.body).toMatchObject({ name: 'Renamed', definition: def })
    const list = await api(A.apiKey, 'GET', '/report-presets')
    expect(list.body.items.map((p: Json) => p.name)).toEqual(['Renamed'])
    expect((await api(A.apiKey, 'DELETE', `/report-presets/${c.body.id}`)).status).toBe(204)
    expect((await api(A.apiKey, 'GET', '/report-presets')).body.items).toEqual([])
  })

  it('another user of the same workspace, or another workspace, neither sees nor changes mine', async () => {
    const mine = await api(A.apiKey, 'POST', '/report-presets', { name: 'Mine', definition: def })
    expect((await api(A2key, 'GET', '/report-presets')).body.items).toEqual([])
    expect((await api(B.apiKey, 'GET', '/report-presets')).body.items).toEqual([])
    expect((await api(A2key, 'PUT', `/report-presets/${mine.body.id}`, { name: 'Hijack' })).status).toBe(404)
    expect((await api(A2key, 'DELETE', `/report-presets/${mine.body.id}`)).status).toBe(404)
    expect((await api(B.apiKey, 'DELETE', `/report-presets/${mine.body.id}`)).status).toBe(404)
    // The other user may use the same name for a preset of their own.
    expect((await api(A2key, 'POST', '/report-presets', { name: 'Mine', definition: def })).status).toBe(201)
    expect((await api(A.apiKey, 'GET', '/report-presets')).body.items.map((p: Json) => p.name)).toEqual([
      'Mine',
    ])
  })
})
