/**
 * The list pages' API (routing `lists/`): tags/notes/group/status fields and list filters,
 * per-row stats from clicks written through the real click pipeline into embedded
 * ClickHouse (plus conversion deltas inserted as the conversions module writes them),
 * campaign clones with streams, offer and lander lists, all-or-nothing bulk actions, and
 * workspace isolation of each — on PGlite, through the admin API app. Landers get their stats
 * (visits, LP clicks, LP CTR, money) from clicks and lander CTA clicks through the pipeline.
 */
import path from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createPipeline,
  type LanderClickEvent,
  migrateClickHouse,
  type Pipeline,
  type PipelineEvent,
} from '../src/modules/analytics/index.ts'
import { listStatsRoutes } from '../src/modules/routing/index.ts'
import { readConfigVersion } from '../src/modules/routing/routing.api.ts'
import { landers, streamLanders } from '../src/modules/routing/routing.tables.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import { click, removeTempDirs, silentLogger, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

const now = new Date('2024-03-10T15:00:00Z')
let h: Awaited<ReturnType<typeof throwawayDb>>
let ch: ClickHouseHandle
let pipeline: Pipeline
let app: FastifyInstance
let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>

async function call(key: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Json) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${key}` },
    ...(payload ? { payload } : {}),
  })
  return { status: res.statusCode, body: res.body ? (res.json() as Json) : undefined }
}
async function create(key: string, url: string, body: Json): Promise<Json> {
  const r = await call(key, 'POST', url, body)
  if (r.status !== 201) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body!
}
const ids = (r: { body?: Json }) => (r.body!.items as Json[]).map((i) => i.name as string)

type Seed =
  | 'src'
  | 'src2'
  | 'net'
  | 'offer'
  | 'offer2'
  | 'c1'
  | 'c2'
  | 'c3'
  | 'lander'
  | 'lander2'
  | 'bLander'
  | 's1'
  | 's2'
  | 'bSrc'
  | 'bNet'
  | 'bOffer'
  | 'bCamp'
const seeded = {} as Record<Seed, Json>

beforeAll(async () => {
  h = await throwawayDb('pglite')
  ch = await openClickHouse({ chDir: path.join(tempDir('lists-ch'), 'ch'), database: 'tf_lists' })
  await migrateClickHouse(ch)
  pipeline = createPipeline({
    handle: ch,
    spoolDir: tempDir('lists-spool'),
    queueMax: 1000,
    batchSize: 100,
    flushMs: 10,
    logger: silentLogger,
  })
  A = await createWorkspaceWithKey(h.db, { workspaceName: 'A' })
  B = await createWorkspaceWithKey(h.db, { workspaceName: 'B' })
  app = await testApiApp(h.db, {
    plugins: [{ plugin: listStatsRoutes({ db: h.db, handle: ch, clock: manualClock(now) }) }],
  })
  const k = A.apiKey
  seeded.src = await create(k, '/sources', { name: 'PropellerAds', tags: ['push'], notes: 'main' })
  seeded.src2 = await create(k, '/sources', { name: 'Old source', status: 'archived' })
  seeded.net = await create(k, '/networks', { name: 'MaxBounty', tags: ['cpa'] })
  seeded.offer = await create(k, '/destinations', {
    name: 'Offer DE',
    url: 'https://offer.test/?c={click_id}',
    network_id: seeded.net.id,
    currency: 'EUR',
    tags: ['de'],
  })
  seeded.offer2 = await create(k, '/destinations', { name: 'Offer FR', url: 'https://fr.test/' })
  seeded.c1 = await create(k, '/campaigns', {
    name: 'Push DE',
    alias: 'push-de',
    source_id: seeded.src.id,
    currency: 'EUR',
    tags: [' de ', 'push', 'de'],
    group_name: 'Tier 1',
    notes: 'Bid 0.02',
  })
  seeded.c2 = await create(k, '/campaigns', { name: 'Pops FR', alias: 'pops-fr', group_name: '' })
  seeded.c3 = await create(k, '/campaigns', { name: 'Old test', alias: 'old-test', status: 'archived' })
  // A lander (its API is another part of the issue): written straight into its table.
  const [lander] = await h.db
    .insert(landers)
    .values({ workspaceId: A.workspaceId, name: 'LP 1', url: 'https://lp.test/' })
    .returning()
  seeded.lander = lander!
  seeded.lander2 = await create(k, '/landers', {
    name: 'LP old',
    url: 'https://old.test/',
    status: 'archived',
    tags: ['quiz'],
  })
  seeded.s1 = await create(k, '/streams', {
    campaign_id: seeded.c1.id,
    name: 'DE mobile',
    strategy: 'waterfall',
    conditions: { groups: [{ rules: [{ type: 'country', values: ['de'] }] }] },
    destinations: [
      { destination_id: seeded.offer.id, weight: 70 },
      { destination_id: seeded.offer2.id, weight: 30, active: false },
    ],
  })
  seeded.s2 = await create(k, '/streams', {
    campaign_id: seeded.c1.id,
    name: 'Default',
    kind: 'default',
    destinations: [{ destination_id: seeded.offer2.id }],
  })
  await h.db
    .insert(streamLanders)
    .values({ streamId: seeded.s1.id, landerId: lander!.id, position: 0, weight: 60 })

  // Workspace B: one of everything.
  seeded.bSrc = await create(B.apiKey, '/sources', { name: 'B source' })
  seeded.bNet = await create(B.apiKey, '/networks', { name: 'B network' })
  seeded.bOffer = await create(B.apiKey, '/destinations', { name: 'B offer', url: 'https://b.test/' })
  seeded.bCamp = await create(B.apiKey, '/campaigns', { name: 'B campaign', alias: 'b-camp' })
  seeded.bLander = await create(B.apiKey, '/landers', { name: 'B LP', url: 'https://blp.test/' })

  // Clicks today (2024-03-10 UTC) through the pipeline: 3 on c1 → offer (0.10 each), 1 on c2 →
  // offer2 (0.20), one yesterday on c1 (outside the default range), one of workspace B.
  const ws = A.workspaceId
  const base = { workspace_id: ws, source_id: seeded.src.id, stream_id: seeded.s1.id, currency: 'EUR' }
  const events: PipelineEvent[] = [
    click({
      ...base,
      click_id: 'k1',
      ts: Date.parse('2024-03-10T08:00:00Z'),
      campaign_id: seeded.c1.id,
      destination_id: seeded.offer.id,
      cost_micros: 100_000,
      is_unique: 1,
    }),
    click({
      ...base,
      click_id: 'k2',
      ts: Date.parse('2024-03-10T09:00:00Z'),
      campaign_id: seeded.c1.id,
      destination_id: seeded.offer.id,
      cost_micros: 100_000,
      is_unique: 1,
    }),
    click({
      ...base,
      click_id: 'k3',
      ts: Date.parse('2024-03-10T10:00:00Z'),
      campaign_id: seeded.c1.id,
      destination_id: seeded.offer.id,
      cost_micros: 100_000,
      is_unique: 0,
    }),
    click({
      ...base,
      click_id: 'k4',
      ts: Date.parse('2024-03-10T11:00:00Z'),
      campaign_id: seeded.c2.id,
      destination_id: seeded.offer2.id,
      source_id: '',
      cost_micros: 200_000,
      is_unique: 1,
    }),
    click({
      ...base,
      click_id: 'k0',
      ts: Date.parse('2024-03-09T11:00:00Z'),
      campaign_id: seeded.c1.id,
      destination_id: seeded.offer.id,
      cost_micros: 5_000_000,
    }),
    click({
      workspace_id: B.workspaceId,
      click_id: 'b1',
      ts: Date.parse('2024-03-10T08:00:00Z'),
      campaign_id: seeded.bCamp.id,
      destination_id: seeded.bOffer.id,
      source_id: seeded.bSrc.id,
    }),
  ]
  // On 2024-03-05 (outside every other range here): three visits to c1's lander (€0.10 each),
  // two of them click its call to action (one twice), one converts; and one of B's lander.
  const lpDay = (h: number) => Date.parse(`2024-03-05T${String(h).padStart(2, '0')}:00:00Z`)
  const visit = (id: string, h: number) =>
    click({
      ...base,
      click_id: id,
      ts: lpDay(h),
      campaign_id: seeded.c1.id,
      destination_id: '',
      lander_id: seeded.lander.id,
      cost_micros: 100_000,
    })
  const cta = (id: string, h: number, unique: 0 | 1): LanderClickEvent => ({
    type: 'lander_click',
    click_id: id,
    ts: lpDay(h) + 60_000,
    workspace_id: ws,
    campaign_id: seeded.c1.id,
    stream_id: seeded.s1.id,
    lander_id: seeded.lander.id,
    destination_id: seeded.offer.id,
    source_id: seeded.src.id,
    is_unique: unique,
    country: 'DE',
    device: 'desktop',
    destination_url: 'https://offer.test/',
  })
  events.push(
    visit('l1', 8),
    visit('l2', 9),
    visit('l3', 10),
    cta('l1', 8, 1),
    cta('l1', 8, 0),
    cta('l2', 9, 1),
    click({
      workspace_id: B.workspaceId,
      click_id: 'bl1',
      ts: lpDay(8),
      campaign_id: seeded.bCamp.id,
      destination_id: '',
      lander_id: seeded.bLander.id,
      source_id: seeded.bSrc.id,
    }),
  )
  for (const e of events) expect(pipeline.push(e)).toBe(true)
  await pipeline.flush()
  // A sale of l1 worth €0.50 on the lander day.
  await ch.client.insert({
    table: 'tf_lists.conversions',
    format: 'JSONEachRow',
    values: [
      {
        ts: '2024-03-05 12:00:00.000',
        conversion_id: 'cvl1',
        seq: 1,
        click_id: 'l1',
        workspace_id: ws,
        network_id: seeded.net.id,
        campaign_id: seeded.c1.id,
        stream_id: seeded.s1.id,
        destination_id: seeded.offer.id,
        lander_id: seeded.lander.id,
        source_id: seeded.src.id,
        status: 'sale',
        previous_status: '',
        conversions_delta: 1,
        revenue_delta_micros: 500_000,
        payout_micros: 500_000,
        currency: 'EUR',
        transaction_id: 'txl1',
        click_ts: '2024-03-05 08:00:00.000',
      },
    ],
  })
  // One sale of k1 worth €0.50 today, as the conversions module writes it.
  await ch.client.insert({
    table: 'tf_lists.conversions',
    format: 'JSONEachRow',
    values: [
      {
        ts: '2024-03-10 12:00:00.000',
        conversion_id: 'cv1',
        seq: 1,
        click_id: 'k1',
        workspace_id: ws,
        network_id: seeded.net.id,
        campaign_id: seeded.c1.id,
        stream_id: seeded.s1.id,
        destination_id: seeded.offer.id,
        source_id: seeded.src.id,
        status: 'sale',
        previous_status: '',
        conversions_delta: 1,
        revenue_delta_micros: 500_000,
        payout_micros: 500_000,
        currency: 'EUR',
        transaction_id: 'tx1',
        click_ts: '2024-03-10 08:00:00.000',
      },
    ],
  })
}, 120_000)

afterAll(async () => {
  await app?.close()
  await pipeline?.close()
  await ch?.close()
  await h?.drop()
  removeTempDirs()
})

describe('list fields and filters', () => {
  it('stores tags trimmed and deduplicated, the group, notes and status, and answers them', () => {
    expect(seeded.c1).toMatchObject({ tags: ['de', 'push'], group_name: 'Tier 1', notes: 'Bid 0.02' })
    expect(seeded.c2.group_name).toBeNull()
    expect(seeded.src).toMatchObject({ status: 'active', tags: ['push'], notes: 'main' })
    expect(seeded.src2.status).toBe('archived')
    expect(seeded.offer.tags).toEqual(['de'])
    expect(seeded.net).toMatchObject({ status: 'active', tags: ['cpa'], notes: '' })
  })

  it('refuses bad tags, notes, group and status naming the field', async () => {
    const k = A.apiKey
    for (const [url, body, field] of [
      [
        '/campaigns',
        { name: 'x', alias: 'bad-tags', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
        'tags',
      ],
      ['/campaigns', { name: 'x', alias: 'bad-tag', tags: ['x'.repeat(41)] }, 'tags.0'],
      ['/campaigns', { name: 'x', alias: 'bad-group', group_name: 'g'.repeat(61) }, 'group_name'],
      ['/destinations', { name: 'x', url: 'https://x.test/', notes: 'n'.repeat(2001) }, 'notes'],
      ['/sources', { name: 'x', status: 'paused' }, 'status'],
    ] as const) {
      const r = await call(k, 'POST', url, body)
      expect(r.status, `${url} ${field}`).toBe(400)
      expect(r.body!.error.details.map((d: Json) => d.path)).toContain(field)
    }
  })

  it('lists leave archived rows out by default; status, tag, q, source_id and group filter', async () => {
    const k = A.apiKey
    expect(ids(await call(k, 'GET', '/campaigns'))).toEqual(['Push DE', 'Pops FR'])
    expect(ids(await call(k, 'GET', '/campaigns?status=archived'))).toEqual(['Old test'])
    expect(ids(await call(k, 'GET', '/campaigns?status=all'))).toEqual(['Push DE', 'Pops FR', 'Old test'])
    expect(ids(await call(k, 'GET', '/campaigns?tag=push'))).toEqual(['Push DE'])
    expect(ids(await call(k, 'GET', `/campaigns?source_id=${seeded.src.id}`))).toEqual(['Push DE'])
    expect(ids(await call(k, 'GET', '/campaigns?group=Tier%201'))).toEqual(['Push DE'])
    expect(ids(await call(k, 'GET', '/campaigns?group='))).toEqual(['Pops FR'])
    expect(ids(await call(k, 'GET', '/campaigns?q=pops'))).toEqual(['Pops FR'])
    expect(ids(await call(k, 'GET', '/sources'))).toEqual(['PropellerAds'])
    expect(ids(await call(k, 'GET', '/sources?status=archived'))).toEqual(['Old source'])
    expect(ids(await call(k, 'GET', '/destinations?tag=de'))).toEqual(['Offer DE'])
    expect(ids(await call(k, 'GET', '/networks?tag=cpa'))).toEqual(['MaxBounty'])
    expect(ids(await call(k, 'GET', '/landers'))).toEqual(['LP 1'])
    expect(ids(await call(k, 'GET', '/landers?status=archived'))).toEqual(['LP old'])
    expect(ids(await call(k, 'GET', '/landers?status=all&tag=quiz'))).toEqual(['LP old'])
    expect(ids(await call(k, 'GET', '/landers?status=all&q=old'))).toEqual(['LP old'])
    expect(ids(await call(k, 'GET', '/landers?status=active'))).toEqual(['LP 1'])
    expect((await call(k, 'GET', '/landers?status=nope')).status).toBe(400)
    expect((await call(k, 'GET', '/sources?status=paused')).status).toBe(400)
    expect((await call(k, 'GET', '/campaigns?source_id=nope')).status).toBe(400)
  })

  it('a PATCH changes tags, group and notes only', async () => {
    const k = A.apiKey
    const r = await call(k, 'PATCH', `/campaigns/${seeded.c2.id}`, { tags: ['fr'], notes: 'note' })
    expect(r.body).toMatchObject({ tags: ['fr'], notes: 'note', group_name: null, name: 'Pops FR' })
  })
})

describe('stats per row', () => {
  const metrics = (over: Json) => ({
    clicks: 0,
    unique_clicks: 0,
    conversions: 0,
    revenue: 0,
    cost: 0,
    profit: 0,
    roi: null,
    cr: null,
    epc: null,
    ...over,
  })

  it('campaigns: today by default, every row (archived too), profit and ROI from clicks and conversions', async () => {
    const r = await call(A.apiKey, 'GET', '/campaigns/stats')
    expect(r.status).toBe(200)
    expect(r.body!.range).toEqual({
      from: '2024-03-10T00:00:00.000Z',
      to: '2024-03-11T00:00:00.000Z',
      tz: 'UTC',
    })
    expect(r.body!.items).toEqual([
      // 3 clicks × €0.10 = €0.30 cost, €0.50 revenue → profit €0.20, ROI 66.6667 %.
      {
        id: seeded.c1.id,
        currency: 'EUR',
        ...metrics({
          clicks: 3,
          unique_clicks: 2,
          conversions: 1,
          revenue: 0.5,
          cost: 0.3,
          profit: 0.2,
          roi: 66.6667,
          cr: 33.3333,
          epc: 0.166667,
        }),
      },
      {
        id: seeded.c2.id,
        currency: 'USD',
        ...metrics({ clicks: 1, unique_clicks: 1, cost: 0.2, profit: -0.2, roi: -100, cr: 0, epc: 0 }),
      },
      { id: seeded.c3.id, currency: 'USD', ...metrics({}) },
    ])
  })

  it('a range and zone: two days in UTC include yesterday’s click', async () => {
    const r = await call(A.apiKey, 'GET', '/campaigns/stats?from=2024-03-09&to=2024-03-10&tz=UTC')
    expect(r.body!.items[0]).toMatchObject({ clicks: 4, cost: 5.3, revenue: 0.5 })
  })

  it('offers, sources and networks group by their own id', async () => {
    const offers = (await call(A.apiKey, 'GET', '/offers/stats')).body!.items as Json[]
    expect(offers).toEqual((await call(A.apiKey, 'GET', '/destinations/stats')).body!.items)
    expect(offers.find((o) => o.id === seeded.offer.id)).toMatchObject({
      clicks: 3,
      revenue: 0.5,
      currency: 'EUR',
    })
    expect(offers.find((o) => o.id === seeded.offer2.id)).toMatchObject({ clicks: 1, cost: 0.2 })
    const sources = (await call(A.apiKey, 'GET', '/sources/stats')).body!.items as Json[]
    expect(sources.map((s) => [s.id, s.clicks, s.profit])).toEqual([
      [seeded.src.id, 3, 0.2],
      [seeded.src2.id, 0, 0],
    ])
    const nets = (await call(A.apiKey, 'GET', '/networks/stats')).body!.items as Json[]
    expect(nets).toEqual([
      {
        id: seeded.net.id,
        currency: 'EUR',
        ...metrics({
          clicks: 3,
          unique_clicks: 2,
          conversions: 1,
          revenue: 0.5,
          cost: 0.3,
          profit: 0.2,
          roi: 66.6667,
          cr: 33.3333,
          epc: 0.166667,
        }),
      },
    ])
  })

  it('landers: visits, unique CTA clicks, LP CTR and money of the range; archived rows listed with zeros', async () => {
    const r = await call(A.apiKey, 'GET', '/landers/stats?from=2024-03-05&to=2024-03-05')
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body!.items).toEqual([
      // 3 visits × €0.10, 2 visitors clicked the CTA (one of them twice), one €0.50 sale.
      {
        id: seeded.lander.id,
        currency: 'EUR',
        ...metrics({
          clicks: 3,
          unique_clicks: 3,
          conversions: 1,
          revenue: 0.5,
          cost: 0.3,
          profit: 0.2,
          roi: 66.6667,
          cr: 33.3333,
          epc: 0.166667,
        }),
        lander_visits: 3,
        lp_clicks: 2,
        lp_ctr: 66.6667,
      },
      { id: seeded.lander2.id, currency: null, ...metrics({}), lander_visits: 0, lp_clicks: 0, lp_ctr: null },
    ])
    // Today: no lander traffic.
    const today = (await call(A.apiKey, 'GET', '/landers/stats')).body!.items as Json[]
    expect(today.map((i) => [i.clicks, i.lp_clicks])).toEqual([
      [0, 0],
      [0, 0],
    ])
  })

  it('another workspace sees only its own rows and figures', async () => {
    const r = await call(B.apiKey, 'GET', '/campaigns/stats')
    expect(r.body!.items).toEqual([
      {
        id: seeded.bCamp.id,
        currency: 'USD',
        ...metrics({ clicks: 1, unique_clicks: 1, cost: 0.0015, profit: -0.0015, roi: -100, cr: 0, epc: 0 }),
      },
    ])
    const bl = (await call(B.apiKey, 'GET', '/landers/stats?from=2024-03-05&to=2024-03-05')).body!
      .items as Json[]
    expect(bl.map((i) => [i.id, i.clicks, i.lander_visits, i.lp_clicks])).toEqual([
      [seeded.bLander.id, 1, 1, 0],
    ])
    for (const p of ['/offers/stats', '/sources/stats', '/networks/stats']) {
      const items = (await call(B.apiKey, 'GET', p)).body!.items as Json[]
      expect(items.map((i) => i.id)).not.toContain(seeded.offer.id)
      expect(items.every((i) => i.clicks <= 1)).toBe(true)
    }
  })

  it('refuses a bad range naming the field', async () => {
    const r = await call(A.apiKey, 'GET', '/campaigns/stats?from=yesterday')
    expect(r.status).toBe(400)
    expect(r.body!.error.details[0].path).toBe('from')
  })
})

describe('clone', () => {
  it('copies the campaign paused with a new alias, its streams, offer and lander lists, in one write', async () => {
    const v = await readConfigVersion(h.db)
    const r = await call(A.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`)
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const c = r.body!
    expect(c).toMatchObject({
      name: 'Push DE (copy)',
      alias: 'push-de-copy',
      status: 'paused',
      source_id: seeded.src.id,
      currency: 'EUR',
      tags: ['de', 'push'],
      group_name: 'Tier 1',
      notes: 'Bid 0.02',
    })
    expect(c.id).not.toBe(seeded.c1.id)
    expect(await readConfigVersion(h.db)).toBe(v + 1)
    const streams = (await call(A.apiKey, 'GET', `/streams?campaign_id=${c.id}`)).body!.items as Json[]
    expect(streams.map((s) => [s.name, s.kind, s.strategy, s.destinations])).toEqual([
      [
        'DE mobile',
        'regular',
        'waterfall',
        [
          { destination_id: seeded.offer.id, weight: 70, active: true },
          { destination_id: seeded.offer2.id, weight: 30, active: false },
        ],
      ],
      ['Default', 'default', 'weighted', [{ destination_id: seeded.offer2.id, weight: 100, active: true }]],
    ])
    expect(streams[0]!.conditions).toEqual(seeded.s1.conditions)
    expect(streams.map((s) => s.id)).not.toContain(seeded.s1.id)
    const lp = await h.db
      .select()
      .from(streamLanders)
      .where(
        inArray(
          streamLanders.streamId,
          streams.map((s) => s.id as string),
        ),
      )
    expect(lp.map((l) => [l.streamId, l.landerId, l.weight, l.position])).toEqual([
      [streams[0]!.id, seeded.lander.id, 60, 0],
    ])
    // The original keeps its own streams and lander list.
    expect((await call(A.apiKey, 'GET', `/streams?campaign_id=${seeded.c1.id}`)).body!.total).toBe(2)
    expect(
      await h.db.select().from(streamLanders).where(eq(streamLanders.streamId, seeded.s1.id)),
    ).toHaveLength(1)
  })

  it('a second clone gets the next free alias; a given name and alias are used; a taken alias is 409', async () => {
    const again = await call(A.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`, {})
    expect(again.body!.alias).toBe('push-de-copy-2')
    const named = await call(A.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`, {
      name: 'Push AT',
      alias: 'push-at',
    })
    expect(named.body).toMatchObject({ name: 'Push AT', alias: 'push-at' })
    const taken = await call(A.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`, { alias: 'b-camp' })
    expect(taken.status).toBe(409)
    expect((await call(A.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`, { nope: 1 })).status).toBe(400)
  })

  it("another workspace's campaign is a 404 and nothing is written", async () => {
    const v = await readConfigVersion(h.db)
    const r = await call(B.apiKey, 'POST', `/campaigns/${seeded.c1.id}/clone`)
    expect(r.status).toBe(404)
    expect(await readConfigVersion(h.db)).toBe(v)
    expect((await call(B.apiKey, 'GET', '/campaigns?status=all')).body!.total).toBe(1)
  })
})

describe('bulk', () => {
  const statusOf = async (key: string, url: string) =>
    Object.fromEntries(
      ((await call(key, 'GET', `${url}?status=all&limit=500`)).body!.items as Json[]).map((i) => [i.id, i]),
    )

  it('pauses two campaigns in one write and answers {updated}', async () => {
    const v = await readConfigVersion(h.db)
    const r = await call(A.apiKey, 'POST', '/campaigns/bulk', {
      ids: [seeded.c1.id, seeded.c2.id],
      action: 'pause',
    })
    expect(r).toEqual({ status: 200, body: { updated: 2 } })
    expect(await readConfigVersion(h.db)).toBe(v + 1)
    const rows = await statusOf(A.apiKey, '/campaigns')
    expect([rows[seeded.c1.id]!.status, rows[seeded.c2.id]!.status]).toEqual(['paused', 'paused'])
    await call(A.apiKey, 'POST', '/campaigns/bulk', { ids: [seeded.c1.id, seeded.c2.id], action: 'resume' })
  })

  it('moves to a group, changes the source, adds and removes tags', async () => {
    const k = A.apiKey
    const two = [seeded.c1.id, seeded.c2.id]
    expect(
      (await call(k, 'POST', '/campaigns/bulk', { ids: two, action: 'move_to_group', group_name: 'Tier 2' }))
        .status,
    ).toBe(200)
    expect(
      (await call(k, 'POST', '/campaigns/bulk', { ids: two, action: 'set_source', source_id: seeded.src.id }))
        .status,
    ).toBe(200)
    expect(
      (await call(k, 'POST', '/campaigns/bulk', { ids: two, action: 'add_tags', tags: ['q2'] })).status,
    ).toBe(200)
    expect(
      (await call(k, 'POST', '/campaigns/bulk', { ids: two, action: 'remove_tags', tags: ['push'] })).status,
    ).toBe(200)
    const rows = await statusOf(k, '/campaigns')
    expect(rows[seeded.c1.id]).toMatchObject({
      group_name: 'Tier 2',
      source_id: seeded.src.id,
      tags: ['de', 'q2'],
    })
    expect(rows[seeded.c2.id]).toMatchObject({
      group_name: 'Tier 2',
      source_id: seeded.src.id,
      tags: ['fr', 'q2'],
    })
    expect(ids(await call(k, 'GET', '/campaigns?group=Tier%202'))).toEqual(['Push DE', 'Pops FR'])
  })

  it('archives and unarchives offers, sources and networks', async () => {
    const k = A.apiKey
    expect(
      (await call(k, 'POST', '/offers/bulk', { ids: [seeded.offer2.id], action: 'archive' })).body,
    ).toEqual({ updated: 1 })
    expect(ids(await call(k, 'GET', '/destinations'))).toEqual(['Offer DE'])
    await call(k, 'POST', '/destinations/bulk', { ids: [seeded.offer2.id], action: 'unarchive' })
    expect((await statusOf(k, '/destinations'))[seeded.offer2.id]!.status).toBe('paused')
    await call(k, 'POST', '/sources/bulk', { ids: [seeded.src2.id], action: 'unarchive' })
    expect((await statusOf(k, '/sources'))[seeded.src2.id]!.status).toBe('active')
    await call(k, 'POST', '/networks/bulk', { ids: [seeded.net.id], action: 'add_tags', tags: ['eu'] })
    expect((await statusOf(k, '/networks'))[seeded.net.id]!.tags).toEqual(['cpa', 'eu'])
  })

  it('pauses, resumes, tags, archives and unarchives landers in one write each', async () => {
    const k = A.apiKey
    const two = [seeded.lander.id, seeded.lander2.id]
    const v = await readConfigVersion(h.db)
    expect(
      (await call(k, 'POST', '/landers/bulk', { ids: [seeded.lander.id], action: 'pause' })).body,
    ).toEqual({
      updated: 1,
    })
    expect(await readConfigVersion(h.db)).toBe(v + 1)
    expect((await statusOf(k, '/landers'))[seeded.lander.id]!.status).toBe('paused')
    await call(k, 'POST', '/landers/bulk', { ids: [seeded.lander.id], action: 'resume' })
    await call(k, 'POST', '/landers/bulk', { ids: two, action: 'add_tags', tags: ['lp'] })
    await call(k, 'POST', '/landers/bulk', { ids: two, action: 'unarchive' })
    const rows = await statusOf(k, '/landers')
    expect([rows[seeded.lander.id], rows[seeded.lander2.id]].map((l) => [l!.status, l!.tags])).toEqual([
      ['active', ['lp']],
      ['paused', ['quiz', 'lp']],
    ])
    await call(k, 'POST', '/landers/bulk', { ids: [seeded.lander2.id], action: 'archive' })
    expect(ids(await call(k, 'GET', '/landers'))).toEqual(['LP 1'])
    const bad = await call(k, 'POST', '/landers/bulk', { ids: two, action: 'set_source', source_id: null })
    expect(bad.status).toBe(400)
    expect(bad.body!.error.details.map((d: Json) => d.path)).toContain('action')
  })

  it('is all-or-nothing: one foreign id is a 404 naming it and nothing changes', async () => {
    const v = await readConfigVersion(h.db)
    const before = await statusOf(A.apiKey, '/campaigns')
    const r = await call(A.apiKey, 'POST', '/campaigns/bulk', {
      ids: [seeded.c1.id, seeded.bCamp.id],
      action: 'archive',
    })
    expect(r.status).toBe(404)
    expect(r.body!.error.details).toEqual([{ path: 'ids', message: seeded.bCamp.id }])
    expect(await readConfigVersion(h.db)).toBe(v)
    expect(await statusOf(A.apiKey, '/campaigns')).toEqual(before)
    // B's own campaign is untouched too, and B cannot change A's rows.
    expect((await statusOf(B.apiKey, '/campaigns'))[seeded.bCamp.id]!.status).toBe('active')
    for (const [url, id] of [
      ['/offers/bulk', seeded.offer.id],
      ['/sources/bulk', seeded.src.id],
      ['/networks/bulk', seeded.net.id],
      ['/landers/bulk', seeded.lander.id],
    ] as const) {
      expect((await call(B.apiKey, 'POST', url, { ids: [id], action: 'archive' })).status).toBe(404)
    }
    expect(await readConfigVersion(h.db)).toBe(v)
  })

  it('refuses an action the list does not take, a missing field, a foreign source, bad ids', async () => {
    const k = A.apiKey
    const cases: [string, Json, string][] = [
      ['/sources/bulk', { ids: [seeded.src.id], action: 'pause' }, 'action'],
      ['/campaigns/bulk', { ids: [seeded.c1.id], action: 'move_to_group' }, 'group_name'],
      [
        '/campaigns/bulk',
        { ids: [seeded.c1.id], action: 'set_source', source_id: seeded.bSrc.id },
        'source_id',
      ],
      ['/campaigns/bulk', { ids: [], action: 'pause' }, 'ids'],
      ['/campaigns/bulk', { ids: Array.from({ length: 501 }, () => seeded.c1.id), action: 'pause' }, 'ids'],
      ['/campaigns/bulk', { ids: [seeded.c1.id], action: 'pause', extra: 1 }, 'extra'],
    ]
    const v = await readConfigVersion(h.db)
    for (const [url, body, field] of cases) {
      const r = await call(k, 'POST', url, body)
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(r.body!.error.details.map((d: Json) => d.path)).toContain(field)
    }
    expect(await readConfigVersion(h.db)).toBe(v)
  })
})
