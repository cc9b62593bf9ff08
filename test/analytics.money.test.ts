/**
 * Reports with money: clicks with cost and conversion deltas inserted directly into chDB,
 * every figure checked against a hand-computed fixture (see the tables in the comments),
 * per time zone boundary, per attribution, with filters, through the HTTP routes (JSON and
 * CSV), and the rollups checked against the raw tables.
 */
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  analyticsRoutes,
  backfillClickRollups,
  type ClickEvent,
  migrateClickHouse,
  recentEpc,
} from '../src/modules/analytics/index.ts'
import {
  parseBreakdownQuery,
  parseOverviewQuery,
  parseSeriesQuery,
} from '../src/modules/analytics/analytics.schema.ts'
import type { ReportMetrics } from '../src/modules/analytics/metrics.ts'
import { breakdown } from '../src/modules/analytics/queries/breakdown.ts'
import { overview } from '../src/modules/analytics/queries/overview.ts'
import { series } from '../src/modules/analytics/queries/series.ts'
import { trafficbackReport } from '../src/modules/analytics/queries/trafficback.ts'
import { clickRollupWatermark } from '../src/modules/analytics/rollups.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import { AppError } from '../src/platform/errors.ts'
import type { AuthContext } from '../src/platform/http/types.ts'
import { click, removeTempDirs, rows, tempDir, trafficback } from './analytics.helpers.ts'

const DB = 'tf_money'
let h: ClickHouseHandle
const now = new Date('2024-01-20T12:00:00Z')
const T = (iso: string) => Date.parse(iso)
const ch = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ')
const M = 1_000_000

/** A click row for ClickHouse (the event without `type`, `ts` as text). */
function clickRow(over: Partial<ClickEvent> & { click_id: string; ts: number }) {
  const { type: _type, ...row } = click({ workspace_id: 'ws-m', sub1: '', ...over })
  return { ...row, ts: ch(over.ts) }
}

/** One conversion event (a delta), attributes copied from `k` as the conversions module does. */
function convRow(
  k: ReturnType<typeof clickRow>,
  e: {
    ts: string
    id: string
    seq: number
    network: string
    status: 'lead' | 'sale' | 'rejected' | 'rebill'
    previous?: string
    delta: 0 | 1
    revenue: number
    payout?: number
    tid?: string
  },
) {
  return {
    ts: ch(T(e.ts)),
    conversion_id: e.id,
    seq: e.seq,
    click_id: k.click_id,
    workspace_id: k.workspace_id,
    network_id: e.network,
    campaign_id: k.campaign_id,
    stream_id: k.stream_id,
    destination_id: k.destination_id,
    source_id: k.source_id,
    country: k.country,
    device: k.device,
    os: k.os,
    browser: k.browser,
    sub1: k.sub1,
    sub2: k.sub2,
    sub3: k.sub3,
    sub4: k.sub4,
    sub5: k.sub5,
    sub6: k.sub6,
    sub7: k.sub7,
    sub8: k.sub8,
    sub9: k.sub9,
    sub10: k.sub10,
    external_id: k.external_id,
    status: e.status,
    previous_status: e.previous ?? '',
    conversions_delta: e.delta,
    revenue_delta_micros: e.revenue,
    payout_micros: e.payout ?? Math.max(0, e.revenue),
    currency: 'USD',
    transaction_id: e.tid ?? `${e.id}-tx`,
    click_ts: k.ts,
  }
}

// ---- The fixture (workspace ws-m) --------------------------------------------------------
//
// click  ts (UTC)          campaign stream dest  src   country device  sub1 utm_source uniq bot cost
// k1     01-10 10:00       camp-A   s-A1   d-A1  src-1 DE      desktop z1   fb         1    0   0.50
// k2     01-10 11:00       camp-A   s-A1   d-A1  src-1 DE      mobile  z2   fb         1    0   0.50
// k3     01-10 23:30 (*)   camp-A   s-A2   d-A2  src-1 FR      mobile  z1   gg         0    1   0.50
// k4     01-11 09:00       camp-B   s-B1   d-B1  src-2 US      desktop z3   —          1    0   1.00
// k5     01-11 19:00 (**)  camp-B   s-B1   d-B1  src-2 US      tablet  —    gg         1    0   0
// k6     01-11 12:00       camp-C   s-C1   d-C1  src-3 IN      mobile  —    —          1    0   0
// (*) 00:30 on 01-11 in Europe/Berlin; (**) 00:30 on 01-12 in Asia/Kolkata.
//
// conversion events (deltas)          click network status (prev)   Δconv Δrevenue
// cv1  01-10 12:00                    k1    n-1     lead            +1    +2.00
// cv1  01-11 08:00                    k1    n-1     sale (lead)      0    +8.00
// cv1  01-12 08:00                    k1    n-1     rejected (sale)  0   −10.00   → counts 0
// cv2  01-10 13:00                    k2    n-1     sale            +1    +5.00
// cv6  01-11 00:10                    k3    n-1     sale            +1    +2.50
// cv3  01-11 10:00                    k4    n-2     lead            +1    +1.50
// cv4  01-11 20:00 (01:30 IST 01-12)  k4    n-2     rebill          +1    +3.00
// cv5  01-11 13:00                    k6    n-2     sale            +1    +4.00
//
// trafficback: 01-10 15:00 camp-A (no stream matched → url), 01-11 05:00 '' (unknown campaign → 404)
// ws-other: one click and a $1000 sale on 01-10 (never visible to ws-m).
const k = {
  k1: clickRow({
    click_id: 'k1',
    ts: T('2024-01-10T10:00:00Z'),
    campaign_id: 'camp-A',
    stream_id: 's-A1',
    destination_id: 'd-A1',
    source_id: 'src-1',
    country: 'DE',
    device: 'desktop',
    os: 'Windows',
    browser: 'Chrome',
    sub1: 'z1',
    utm_source: 'fb',
    is_unique: 1,
    is_bot: 0,
    cost_micros: 500_000,
  }),
  k2: clickRow({
    click_id: 'k2',
    ts: T('2024-01-10T11:00:00Z'),
    campaign_id: 'camp-A',
    stream_id: 's-A1',
    destination_id: 'd-A1',
    source_id: 'src-1',
    country: 'DE',
    device: 'mobile',
    os: 'Android',
    browser: 'Chrome',
    sub1: 'z2',
    utm_source: 'fb',
    is_unique: 1,
    is_bot: 0,
    cost_micros: 500_000,
  }),
  k3: clickRow({
    click_id: 'k3',
    ts: T('2024-01-10T23:30:00Z'),
    campaign_id: 'camp-A',
    stream_id: 's-A2',
    destination_id: 'd-A2',
    source_id: 'src-1',
    country: 'FR',
    device: 'mobile',
    os: 'iOS',
    browser: 'Safari',
    sub1: 'z1',
    utm_source: 'gg',
    is_unique: 0,
    is_bot: 1,
    cost_micros: 500_000,
  }),
  k4: clickRow({
    click_id: 'k4',
    ts: T('2024-01-11T09:00:00Z'),
    campaign_id: 'camp-B',
    stream_id: 's-B1',
    destination_id: 'd-B1',
    source_id: 'src-2',
    country: 'US',
    device: 'desktop',
    os: 'macOS',
    browser: 'Safari',
    sub1: 'z3',
    utm_source: '',
    is_unique: 1,
    is_bot: 0,
    cost_micros: 1_000_000,
  }),
  k5: clickRow({
    click_id: 'k5',
    ts: T('2024-01-11T19:00:00Z'),
    campaign_id: 'camp-B',
    stream_id: 's-B1',
    destination_id: 'd-B1',
    source_id: 'src-2',
    country: 'US',
    device: 'tablet',
    os: 'iOS',
    browser: 'Safari',
    sub1: '',
    utm_source: 'gg',
    is_unique: 1,
    is_bot: 0,
    cost_micros: 0,
  }),
  k6: clickRow({
    click_id: 'k6',
    ts: T('2024-01-11T12:00:00Z'),
    campaign_id: 'camp-C',
    stream_id: 's-C1',
    destination_id: 'd-C1',
    source_id: 'src-3',
    country: 'IN',
    device: 'mobile',
    os: 'Android',
    browser: 'Chrome',
    sub1: '',
    utm_source: '',
    is_unique: 1,
    is_bot: 0,
    cost_micros: 0,
  }),
}
const other = clickRow({
  click_id: 'o1',
  workspace_id: 'ws-other',
  ts: T('2024-01-10T10:00:00Z'),
  cost_micros: 7 * M,
})
const conversions = [
  convRow(k.k1, {
    ts: '2024-01-10T12:00:00Z',
    id: 'cv1',
    seq: 1,
    network: 'n-1',
    status: 'lead',
    delta: 1,
    revenue: 2 * M,
  }),
  convRow(k.k1, {
    ts: '2024-01-11T08:00:00Z',
    id: 'cv1',
    seq: 2,
    network: 'n-1',
    status: 'sale',
    previous: 'lead',
    delta: 0,
    revenue: 8 * M,
    payout: 10 * M,
  }),
  convRow(k.k1, {
    ts: '2024-01-12T08:00:00Z',
    id: 'cv1',
    seq: 3,
    network: 'n-1',
    status: 'rejected',
    previous: 'sale',
    delta: 0,
    revenue: -10 * M,
    payout: 0,
  }),
  convRow(k.k2, {
    ts: '2024-01-10T13:00:00Z',
    id: 'cv2',
    seq: 1,
    network: 'n-1',
    status: 'sale',
    delta: 1,
    revenue: 5 * M,
  }),
  convRow(k.k3, {
    ts: '2024-01-11T00:10:00Z',
    id: 'cv6',
    seq: 1,
    network: 'n-1',
    status: 'sale',
    delta: 1,
    revenue: 2_500_000,
  }),
  convRow(k.k4, {
    ts: '2024-01-11T10:00:00Z',
    id: 'cv3',
    seq: 1,
    network: 'n-2',
    status: 'lead',
    delta: 1,
    revenue: 1_500_000,
  }),
  convRow(k.k4, {
    ts: '2024-01-11T20:00:00Z',
    id: 'cv4',
    seq: 1,
    network: 'n-2',
    status: 'rebill',
    delta: 1,
    revenue: 3 * M,
  }),
  convRow(k.k6, {
    ts: '2024-01-11T13:00:00Z',
    id: 'cv5',
    seq: 1,
    network: 'n-2',
    status: 'sale',
    delta: 1,
    revenue: 4 * M,
  }),
  convRow(other, {
    ts: '2024-01-10T12:00:00Z',
    id: 'cvo',
    seq: 1,
    network: 'n-9',
    status: 'sale',
    delta: 1,
    revenue: 1000 * M,
  }),
]

/** Expected metrics: the sums as written in the fixture, derived figures spelled out. */
function m(over: Partial<ReportMetrics>): ReportMetrics {
  return {
    clicks: 0,
    unique_clicks: 0,
    bots: 0,
    conversions: 0,
    leads: 0,
    sales: 0,
    rejected: 0,
    rebills: 0,
    revenue: 0,
    cost: 0,
    profit: 0,
    cr: null,
    roi: null,
    epc: null,
    ...over,
  }
}

/** The whole fixture, 2024-01-10..12 (UTC): 6 clicks, 6 conversions, $16 revenue, $2.50 cost. */
const TOTAL = m({
  clicks: 6,
  unique_clicks: 5,
  bots: 1,
  conversions: 6,
  leads: 1, // cv3 (cv1 moved on)
  sales: 3, // cv2, cv5, cv6 (cv1 was rejected)
  rejected: 1, // cv1
  rebills: 1, // cv4
  revenue: 16, // 0 + 5 + 2.5 + 1.5 + 3 + 4
  cost: 2.5,
  profit: 13.5,
  cr: 100, // 6 / 6
  roi: 540, // 13.5 / 2.5
  epc: 2.666667, // 16 / 6
})

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('money-ch'), 'ch'), database: DB })
  await migrateClickHouse(h)
  await h.client.insert({
    table: `${DB}.clicks`,
    values: [...Object.values(k), other],
    format: 'JSONEachRow',
  })
  await h.client.insert({ table: `${DB}.conversions`, values: conversions, format: 'JSONEachRow' })
  const tb = (over: Parameters<typeof trafficback>[0]) => {
    const { type: _t, ...row } = trafficback(over)
    return { ...row, ts: ch(row.ts) }
  }
  await h.client.insert({
    table: `${DB}.trafficback`,
    values: [
      tb({
        workspace_id: 'ws-m',
        click_id: 't1',
        ts: T('2024-01-10T15:00:00Z'),
        campaign_id: 'camp-A',
        country: 'FR',
      }),
      tb({
        workspace_id: 'ws-m',
        click_id: 't2',
        ts: T('2024-01-11T05:00:00Z'),
        campaign_id: '',
        country: 'US',
        reason: 'unknown campaign',
        target_type: 'none',
        target: '',
        is_bot: 1,
      }),
      tb({ workspace_id: 'ws-other', click_id: 't3', ts: T('2024-01-10T15:00:00Z'), campaign_id: 'camp-X' }),
    ],
    format: 'JSONEachRow',
  })
})

afterAll(async () => {
  await h?.close()
  removeTempDirs()
})

const range = (q: Record<string, string>) => parseOverviewQuery(q, now).range
const ALL = { from: '2024-01-10', to: '2024-01-12' }

describe('overview', () => {
  it('adds up a lead → sale → rejected sequence, statuses, cost, profit, ROI, EPC, CR', async () => {
    expect(await overview(h, 'ws-m', range(ALL))).toEqual({ ...TOTAL, trafficback: 2, currencies: ['USD'] })
  })

  it('is the same from the rollups and from the raw table', async () => {
    expect(await overview(h, 'ws-m', range(ALL), { forceRaw: true })).toEqual(
      await overview(h, 'ws-m', range(ALL)),
    )
  })

  it('counts revenue on the conversion day by default, on the click day with attribution=click', async () => {
    // 2024-01-12 UTC has no clicks, only cv1's rejection: −$10, no cost → ROI null, CR/EPC null.
    const jan12 = range({ from: '2024-01-12', to: '2024-01-12' })
    expect(await overview(h, 'ws-m', jan12)).toEqual({
      ...m({ sales: -1, rejected: 1, revenue: -10, profit: -10 }),
      trafficback: 0,
      currencies: ['USD'],
    })
    expect(await overview(h, 'ws-m', jan12, { attribution: 'click' })).toEqual({
      ...m({}),
      trafficback: 0,
      currencies: ['USD'],
    })
    // By click time 2024-01-10 holds k1..k3 and everything they ever converted.
    const jan10 = range({ from: '2024-01-10', to: '2024-01-10' })
    expect(await overview(h, 'ws-m', jan10, { attribution: 'click' })).toMatchObject({
      clicks: 3,
      conversions: 3, // cv1, cv2, cv6
      sales: 2,
      rejected: 1,
      revenue: 7.5,
      cost: 1.5,
      profit: 6,
      roi: 400,
      epc: 2.5,
    })
  })

  it('puts a 23:30 UTC click on the next day in Europe/Berlin', async () => {
    const r = (d: string) => range({ from: d, to: d, tz: 'Europe/Berlin' })
    expect(await overview(h, 'ws-m', r('2024-01-10'))).toMatchObject({
      clicks: 2, // k1, k2 (k3 is 00:30 on the 11th)
      bots: 0,
      cost: 1,
      conversions: 2,
      revenue: 7,
    })
    expect(await overview(h, 'ws-m', r('2024-01-11'))).toMatchObject({
      clicks: 4, // k3, k4, k5, k6
      bots: 1,
      cost: 1.5,
      conversions: 4, // cv6 (00:10 UTC = 01:10 Berlin), cv3, cv4, cv5
      revenue: 19, // 2.5 + 8 + 1.5 + 3 + 4
    })
  })

  it('filters, and says when trafficback cannot be filtered', async () => {
    const run = (filters: Record<string, string[]>) => overview(h, 'ws-m', range(ALL), { filters })
    expect(await run({ country: ['DE'] })).toMatchObject({
      clicks: 2,
      conversions: 2,
      revenue: 5,
      cost: 1,
      trafficback: 0,
    })
    expect(await run({ country: ['DE', 'FR'] })).toMatchObject({ clicks: 3, revenue: 7.5, trafficback: 1 })
    expect(await run({ sub1: ['z1'] })).toMatchObject({
      clicks: 2,
      conversions: 2,
      revenue: 2.5,
      trafficback: null,
    })
    expect(await run({ campaign: ['camp-B'], device: ['tablet'] })).toMatchObject({
      clicks: 1,
      conversions: 0,
      revenue: 0,
    })
    expect(await run({ utm_source: ['gg'] })).toMatchObject({ clicks: 2, conversions: 1, revenue: 2.5 })
    expect(await run({ network: ['n-2'] })).toMatchObject({ clicks: 3, conversions: 3, revenue: 8.5 })
    expect(await run({ sub1: [''] })).toMatchObject({ clicks: 2, conversions: 1, revenue: 4 }) // k5, k6
  })

  it('is scoped to the workspace', async () => {
    expect(await overview(h, 'ws-other', range(ALL))).toMatchObject({
      clicks: 1,
      conversions: 1,
      revenue: 1000,
      cost: 7,
      trafficback: 1,
    })
    expect(await overview(h, 'ws-none', range(ALL))).toEqual({ ...m({}), trafficback: 0, currencies: [] })
  })
})

describe('series', () => {
  it('gives every UTC day, zero-filled', async () => {
    const q = parseSeriesQuery({ ...ALL, interval: 'day' }, now)
    const out = await series(h, 'ws-m', q.interval, q.range)
    expect(out).toEqual([
      {
        start: '2024-01-10T00:00:00.000Z',
        local: '2024-01-10',
        ...m({
          clicks: 3,
          unique_clicks: 2,
          bots: 1,
          conversions: 2,
          leads: 1,
          sales: 1,
          revenue: 7,
          cost: 1.5,
          profit: 5.5,
          cr: 66.6667,
          roi: 366.6667,
          epc: 2.333333,
        }),
      },
      {
        start: '2024-01-11T00:00:00.000Z',
        local: '2024-01-11',
        ...m({
          clicks: 3,
          unique_clicks: 3,
          conversions: 4,
          leads: 0, // cv1 left lead, cv3 entered
          sales: 3, // cv1, cv5, cv6
          rebills: 1,
          revenue: 19,
          cost: 1,
          profit: 18,
          cr: 133.3333,
          roi: 1800,
          epc: 6.333333,
        }),
      },
      {
        start: '2024-01-12T00:00:00.000Z',
        local: '2024-01-12',
        ...m({ sales: -1, rejected: 1, revenue: -10, profit: -10 }),
      },
    ])
    // The days add up to the overview.
    const sum = (key: 'clicks' | 'conversions' | 'revenue' | 'cost') => out.reduce((a, p) => a + p[key], 0)
    expect([sum('clicks'), sum('conversions'), sum('revenue'), sum('cost')]).toEqual([6, 6, 16, 2.5])
  })

  it('buckets days in Europe/Berlin and by click time', async () => {
    const q = parseSeriesQuery({ ...ALL, tz: 'Europe/Berlin', attribution: 'click' }, now)
    const out = await series(h, 'ws-m', q.interval, q.range, { attribution: q.attribution })
    expect(out.map((p) => [p.start, p.local, p.clicks, p.conversions, p.revenue, p.cost])).toEqual([
      ['2024-01-09T23:00:00.000Z', '2024-01-10', 2, 2, 5, 1], // k1 (cv1 → 0), k2 (cv2)
      ['2024-01-10T23:00:00.000Z', '2024-01-11', 4, 4, 11, 1.5], // k3 (cv6), k4 (cv3, cv4), k6 (cv5)
      ['2024-01-11T23:00:00.000Z', '2024-01-12', 0, 0, 0, 0],
    ])
  })

  it('buckets hours at :30 UTC in Asia/Kolkata (+05:30)', async () => {
    const q = parseSeriesQuery(
      { from: '2024-01-12T00:00', to: '2024-01-12T01:59:59.999', tz: 'Asia/Kolkata', interval: 'hour' },
      now,
    )
    const out = await series(h, 'ws-m', q.interval, q.range)
    expect(out).toEqual([
      {
        start: '2024-01-11T18:30:00.000Z',
        local: '2024-01-12T00:00+05:30',
        ...m({ clicks: 1, unique_clicks: 1, cr: 0, epc: 0 }), // k5 at 19:00 UTC, free click
      },
      {
        start: '2024-01-11T19:30:00.000Z',
        local: '2024-01-12T01:00+05:30',
        ...m({ conversions: 1, rebills: 1, revenue: 3, profit: 3 }), // cv4 at 20:00 UTC
      },
    ])
    expect(await series(h, 'ws-m', 'hour', q.range, { forceRaw: true })).toEqual(out)
  })

  it('zero-fills 24 hourly buckets of a UTC day and 25 on a Berlin DST fall-back day', async () => {
    const utc = parseSeriesQuery({ from: '2024-01-10', to: '2024-01-10', interval: 'hour' }, now)
    const hours = await series(h, 'ws-m', 'hour', utc.range)
    expect(hours).toHaveLength(24)
    expect(hours.filter((p) => p.clicks > 0).map((p) => [p.local, p.clicks])).toEqual([
      ['2024-01-10T10:00+00:00', 1],
      ['2024-01-10T11:00+00:00', 1],
      ['2024-01-10T23:00+00:00', 1],
    ])
    const dst = parseSeriesQuery(
      { from: '2024-10-27', to: '2024-10-27', tz: 'Europe/Berlin', interval: 'hour' },
      now,
    )
    const fallBack = await series(h, 'ws-m', 'hour', dst.range)
    expect(fallBack).toHaveLength(25)
    expect(fallBack.slice(2, 4).map((p) => p.local)).toEqual([
      '2024-10-27T02:00+02:00',
      '2024-10-27T02:00+01:00',
    ])
  })
})

describe('breakdown', () => {
  const run = (by: string, extra: Record<string, string> = {}) => {
    const q = parseBreakdownQuery({ ...ALL, by, ...extra }, now)
    return breakdown(h, 'ws-m', q.by, q.range, { filters: q.filters, attribution: q.attribution })
  }

  it('by campaign: every figure per group, trafficback included', async () => {
    expect(await run('campaign')).toEqual([
      {
        key: 'camp-A',
        keys: ['camp-A'],
        ...m({
          clicks: 3,
          unique_clicks: 2,
          bots: 1,
          conversions: 3,
          sales: 2,
          rejected: 1,
          revenue: 7.5,
          cost: 1.5,
          profit: 6,
          cr: 100,
          roi: 400,
          epc: 2.5,
        }),
        trafficback: 1,
      },
      {
        key: 'camp-B',
        keys: ['camp-B'],
        ...m({
          clicks: 2,
          unique_clicks: 2,
          conversions: 2,
          leads: 1,
          rebills: 1,
          revenue: 4.5,
          cost: 1,
          profit: 3.5,
          cr: 100,
          roi: 350,
          epc: 2.25,
        }),
        trafficback: 0,
      },
      {
        key: 'camp-C',
        keys: ['camp-C'],
        ...m({
          clicks: 1,
          unique_clicks: 1,
          conversions: 1,
          sales: 1,
          revenue: 4,
          profit: 4,
          cr: 100,
          epc: 4,
        }),
        trafficback: 0,
      },
      { key: '', keys: [''], ...m({}), trafficback: 1 },
    ])
  })

  it('two levels: campaign, country (from the geo rollup, equal to raw)', async () => {
    const out = await run('campaign,country')
    expect(out.map((r) => [r.key, r.key2, r.clicks, r.conversions, r.revenue, r.cost])).toEqual([
      ['camp-A', 'DE', 2, 2, 5, 1],
      ['camp-B', 'US', 2, 2, 4.5, 1],
      ['camp-A', 'FR', 1, 1, 2.5, 0.5],
      ['camp-C', 'IN', 1, 1, 4, 0],
    ])
    const q = parseBreakdownQuery({ ...ALL, by: 'campaign,country' }, now)
    expect(await breakdown(h, 'ws-m', q.by, q.range, { forceRaw: true })).toEqual(out)
  })

  it('by raw-only dimensions: sub1, utm_source (conversions joined to their clicks), os', async () => {
    const flat = async (by: string) => (await run(by)).map((r) => [r.key, r.clicks, r.conversions, r.revenue])
    // clicks desc, then conversions desc, then key
    expect(await flat('sub1')).toEqual([
      ['z1', 2, 2, 2.5], // k1 (cv1 → 0), k3 (cv6)
      ['', 2, 1, 4], // k5, k6 (cv5)
      ['z3', 1, 2, 4.5], // k4 (cv3, cv4)
      ['z2', 1, 1, 5],
    ])
    expect(await flat('utm_source')).toEqual([
      ['', 2, 3, 8.5], // k4 (cv3, cv4), k6 (cv5)
      ['fb', 2, 2, 5],
      ['gg', 2, 1, 2.5],
    ])
    expect(await flat('os')).toEqual([
      ['Android', 2, 2, 9], // k2 (cv2), k6 (cv5)
      ['iOS', 2, 1, 2.5],
      ['macOS', 1, 2, 4.5],
      ['Windows', 1, 1, 0],
    ])
  })

  it('by network: clicks follow their destination’s network', async () => {
    expect((await run('network')).map((r) => [r.key, r.clicks, r.conversions, r.revenue])).toEqual([
      ['n-1', 3, 3, 7.5],
      ['n-2', 3, 3, 8.5],
    ])
    const q = parseBreakdownQuery({ ...ALL, by: 'network' }, now)
    const configured = await breakdown(h, 'ws-m', q.by, q.range, {
      networks: { destinationIds: ['d-A1', 'd-A2', 'd-B1'], networkIds: ['n-1', 'n-1', 'n-2'] },
    })
    // d-C1 has no configured network: its click is under '', its conversion (cv5, reported by n-2) under n-2.
    expect(configured.map((r) => [r.key, r.clicks, r.conversions])).toEqual([
      ['n-1', 3, 3],
      ['n-2', 2, 3],
      ['', 1, 0],
    ])
  })

  it('by conversion time shows groups whose clicks are outside the range', async () => {
    const out = await run('campaign', { from: '2024-01-12', to: '2024-01-12' })
    expect(out.map((r) => [r.key, r.clicks, r.conversions, r.rejected, r.revenue])).toEqual([
      ['camp-A', 0, 0, 1, -10],
    ])
  })

  it('rejects bad input naming the fields', () => {
    const paths = (q: Record<string, unknown>) => {
      try {
        parseBreakdownQuery(q, now)
      } catch (err) {
        expect(err).toBeInstanceOf(AppError)
        return ((err as AppError).details as { path: string }[]).map((d) => d.path).sort()
      }
      return []
    }
    expect(paths({ by: 'campaign,country,device,os,browser,sub1,sub2' })).toEqual(['by'])
    expect(paths({ by: 'campaign,campaign' })).toEqual(['by'])
    expect(paths({ by: 'campaign', limit: '0', attribution: 'later', country: 'x'.repeat(201) })).toEqual([
      'attribution',
      'country',
      'limit',
    ])
    expect(paths({ by: 'campaign', campain_id: 'x' })).toEqual(['campain_id'])
    expect(() => parseSeriesQuery({ from: '2024-01-01', to: '2024-06-01', interval: 'hour' }, now)).toThrow(
      /hourly series spans at most 93 days/,
    )
    expect(() => parseSeriesQuery({ interval: 'week' }, now)).toThrow(/interval/)
  })
})

describe('trafficback report', () => {
  it('groups by reason and target', async () => {
    expect(await trafficbackReport(h, 'ws-m', range(ALL))).toEqual([
      {
        reason: 'no stream matched',
        target_type: 'url',
        target: 'https://fallback.example.com/',
        requests: 1,
        bots: 0,
        campaigns: 1,
      },
      { reason: 'unknown campaign', target_type: 'none', target: '', requests: 1, bots: 1, campaigns: 1 },
    ])
    expect(await trafficbackReport(h, 'ws-m', range(ALL), { campaign: ['camp-A'] })).toHaveLength(1)
  })
})

describe('recentEpc', () => {
  it('gives clicks, revenue and EPC (micros) per destination', async () => {
    const since = T('2024-01-10T00:00:00Z')
    const until = T('2024-01-13T00:00:00Z')
    expect(await recentEpc(h, { sinceMs: since, untilMs: until, workspaceIds: ['ws-m'] })).toEqual([
      {
        workspace_id: 'ws-m',
        destination_id: 'd-A1',
        clicks: 2,
        revenue_micros: 5 * M,
        epc_micros: 2_500_000,
      },
      {
        workspace_id: 'ws-m',
        destination_id: 'd-A2',
        clicks: 1,
        revenue_micros: 2_500_000,
        epc_micros: 2_500_000,
      },
      {
        workspace_id: 'ws-m',
        destination_id: 'd-B1',
        clicks: 2,
        revenue_micros: 4_500_000,
        epc_micros: 2_250_000,
      },
      { workspace_id: 'ws-m', destination_id: 'd-C1', clicks: 1, revenue_micros: 4 * M, epc_micros: 4 * M },
    ])
    const all = await recentEpc(h, { sinceMs: since, untilMs: until })
    expect(all.map((r) => r.workspace_id)).toContain('ws-other')
    expect(all).toHaveLength(5)
  })
})

describe('rollups', () => {
  it('a batch retried with its deduplication token is counted once in the rollups too', async () => {
    const batch = Buffer.from(
      [1, 2, 3]
        .map((i) =>
          JSON.stringify(
            clickRow({ click_id: `r${i}`, workspace_id: 'ws-r', ts: T('2024-01-15T10:00:00Z') }),
          ),
        )
        .join('\n') + '\n',
    )
    for (let i = 0; i < 3; i++)
      await h.insertJsonEachRow(`${DB}.clicks`, batch, { insert_deduplication_token: 'spool:1:0-3' })
    const r = range({ from: '2024-01-15', to: '2024-01-15' })
    const [viaRollup, viaRaw] = await Promise.all([
      overview(h, 'ws-r', r),
      overview(h, 'ws-r', r, { forceRaw: true }),
    ])
    expect(viaRollup.clicks).toBe(3)
    expect(viaRollup).toEqual(viaRaw)
  })

  it('equal the raw table on random clicks in every zone, interval and grouping', async () => {
    // 20 000 pseudo-random clicks over 5 days in workspace ws-rand, some at odd minutes.
    await h.client.command({
      query: `INSERT INTO ${DB}.clicks (click_id, ts, workspace_id, campaign_id, stream_id, destination_id, source_id,
          is_unique, is_bot, country, device, cost_micros)
        SELECT 'rand-' || toString(number), toDateTime64('2024-02-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(cityHash64(number) % 432000000),
          'ws-rand', 'c' || toString(cityHash64(number, 1) % 4), 's' || toString(cityHash64(number, 2) % 6),
          'd' || toString(cityHash64(number, 3) % 9), 'src' || toString(cityHash64(number, 4) % 3),
          cityHash64(number, 5) % 3 > 0, cityHash64(number, 6) % 10 = 0,
          ['DE', 'US', 'IN', 'NP'][1 + cityHash64(number, 7) % 4], ['mobile', 'desktop'][1 + cityHash64(number, 8) % 2],
          cityHash64(number, 9) % 100000
        FROM numbers(20000)`,
    })
    const cases: [string, Record<string, string>][] = [
      ['UTC', {}],
      ['Europe/Berlin', {}],
      ['Asia/Kolkata', {}],
      ['Asia/Kathmandu', {}],
      ['America/St_Johns', { from: '2024-02-01T10:07', to: '2024-02-04T13:52' }],
    ]
    for (const [tz, span] of cases) {
      const base = { from: '2024-02-01', to: '2024-02-05', tz, ...span }
      for (const interval of ['day', 'hour'] as const) {
        const q = parseSeriesQuery({ ...base, interval }, now)
        const a = await series(h, 'ws-rand', interval, q.range)
        expect(a.reduce((s, p) => s + p.clicks, 0)).toBeGreaterThan(0)
        expect(a).toEqual(await series(h, 'ws-rand', interval, q.range, { forceRaw: true }))
      }
      const groupings: [string, Record<string, string[]>][] = [
        ['campaign', {}],
        ['destination,source', {}],
        ['stream', { campaign_id: ['c1', 'c2'] }],
        ['country,device', {}],
        ['campaign,country', { country: ['DE', 'NP'] }],
        ['device', { source_id: ['src1'] }],
      ]
      for (const [by, filters] of groupings) {
        const q = parseBreakdownQuery({ ...base, by, ...filters }, now)
        const opts = { filters: q.filters }
        expect(await breakdown(h, 'ws-rand', q.by, q.range, opts)).toEqual(
          await breakdown(h, 'ws-rand', q.by, q.range, { ...opts, forceRaw: true }),
        )
      }
    }
  })

  it('read the raw table before the watermark, and backfill moves it to 0', async () => {
    // A store whose clicks predate migration 005: the views never saw them.
    const wm = { ...h, database: 'tf_money_old' } as ClickHouseHandle
    const dir = tempDir('old-migrations')
    const { cpSync, readdirSync } = await import('node:fs')
    const { MIGRATIONS_DIR } = await import('../src/modules/analytics/migrate.ts')
    for (const f of readdirSync(MIGRATIONS_DIR).filter((n) => n < '005'))
      cpSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f))
    await migrateClickHouse(wm, { dir })
    await h.client.insert({ table: 'tf_money_old.clicks', values: Object.values(k), format: 'JSONEachRow' })
    await h.client.insert({ table: 'tf_money_old.conversions', values: conversions, format: 'JSONEachRow' })
    expect(await migrateClickHouse(wm)).toEqual([
      '005_click_rollups.sql',
      '006_visits.sql',
      '007_landers.sql',
      '008_cost_adjustments.sql',
    ])
    expect(await clickRollupWatermark(wm)).toBeGreaterThan(Date.now())
    const [inRollup] = await rows<{ n: string }>(h, 'SELECT count() AS n FROM tf_money_old.clicks_route_15m')
    expect(Number(inRollup?.n)).toBe(0)
    const expected = { ...TOTAL, trafficback: 0, currencies: ['USD'] }
    expect(await overview(wm, 'ws-m', range(ALL))).toEqual(expected)

    expect(await backfillClickRollups(wm)).toBeGreaterThan(0)
    expect(await clickRollupWatermark(wm)).toBe(0)
    expect(await overview(wm, 'ws-m', range(ALL))).toEqual(expected)
    const [after] = await rows<{ n: string }>(h, 'SELECT sum(clicks) AS n FROM tf_money_old.clicks_route_15m')
    expect(Number(after?.n)).toBe(6)
    expect(await backfillClickRollups(wm)).toBe(0) // idempotent
  })
})

describe('routes', () => {
  let app: FastifyInstance
  const auth: AuthContext = {
    userId: 'u1',
    workspaceId: 'ws-m',
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
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof AppError) {
        return reply
          .code(err.status)
          .send({ error: { code: err.code, message: err.message, details: err.details } })
      }
      const e = err as {
        validation?: { params: { keys?: string[] }; instancePath: string }[]
        statusCode?: number
        message: string
      }
      if (e.validation) {
        const details = e.validation.flatMap((v) =>
          v.params.keys
            ? v.params.keys.map((p) => ({ path: p }))
            : [{ path: v.instancePath.replace(/^\//, '') }],
        )
        return reply.code(400).send({ error: { code: 'validation_failed', message: e.message, details } })
      }
      return reply.code(e.statusCode ?? 500).send({ error: { code: 'internal', message: e.message } })
    })
    await app.register(
      analyticsRoutes({
        handle: h,
        pipeline: { stats: () => ({}) as never },
        clock: manualClock(now),
      }),
      { prefix: '/api/v1' },
    )
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
  })

  it('GET /reports/overview with the money figures', async () => {
    const res = await app.inject({ url: '/api/v1/reports/overview?from=2024-01-10&to=2024-01-12' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      range: { from: '2024-01-10T00:00:00.000Z', to: '2024-01-13T00:00:00.000Z', tz: 'UTC' },
      ...TOTAL,
      trafficback: 2,
      currencies: ['USD'],
    })
  })

  it('GET /reports/series and /reports/breakdown with repeated filters', async () => {
    const s = await app.inject({
      url: '/api/v1/reports/series?from=2024-01-10&to=2024-01-12&interval=day&country=DE',
    })
    expect(s.statusCode).toBe(200)
    expect(s.json().buckets.map((b: { clicks: number }) => b.clicks)).toEqual([2, 0, 0])
    const b = await app.inject({
      url: '/api/v1/reports/breakdown?from=2024-01-10&to=2024-01-12&by=campaign,device&country=DE&country=US',
    })
    expect(b.statusCode).toBe(200)
    expect(b.json().by).toEqual(['campaign', 'device'])
    expect(b.json().rows.map((r: { key: string; key2: string }) => `${r.key}/${r.key2}`)).toEqual([
      'camp-B/desktop', // 1 click, 2 conversions
      'camp-A/desktop',
      'camp-A/mobile',
      'camp-B/tablet',
    ])
  })

  it('GET /reports/trafficback', async () => {
    const res = await app.inject({
      url: '/api/v1/reports/trafficback?from=2024-01-10&to=2024-01-12&campaign_id=camp-A',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().rows).toHaveLength(1)
  })

  it('exports CSV with format=csv or Accept: text/csv, quoted and formula-safe', async () => {
    await h.client.insert({
      table: `${DB}.clicks`,
      values: [
        clickRow({
          click_id: 'q1',
          ts: T('2024-01-16T10:00:00Z'),
          sub1: 'a "quoted", value',
          cost_micros: 1_500_000,
        }),
        clickRow({
          click_id: 'q2',
          ts: T('2024-01-16T10:00:00Z'),
          sub1: '=HYPERLINK("http://evil")',
          cost_micros: 1_500_000,
        }),
        clickRow({
          click_id: 'q3',
          ts: T('2024-01-16T10:00:00Z'),
          sub1: 'line\nbreak',
          cost_micros: 3_000_000,
        }),
      ],
      format: 'JSONEachRow',
    })
    const res = await app.inject({
      url: '/api/v1/reports/breakdown?from=2024-01-16&to=2024-01-16&by=sub1&format=csv',
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="traffoflex-breakdown-sub1-2024-01-16_2024-01-16.csv"',
    )
    const lines = res.body.split('\r\n')
    expect(lines[0]).toBe(
      'sub1,clicks,unique_clicks,bots,conversions,leads,sales,rejected,rebills,revenue,cost,profit,cr,roi,epc',
    )
    expect(lines.slice(1)).toEqual([
      `"'=HYPERLINK(""http://evil"")",1,1,0,0,0,0,0,0,0,1.5,-1.5,0,-100,0`,
      '"a ""quoted"", value",1,1,0,0,0,0,0,0,0,1.5,-1.5,0,-100,0',
      '"line\nbreak",1,1,0,0,0,0,0,0,0,3,-3,0,-100,0',
      '',
    ])
    const viaAccept = await app.inject({
      url: '/api/v1/reports/overview?from=2024-01-10&to=2024-01-12',
      headers: { accept: 'text/csv' },
    })
    expect(viaAccept.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(viaAccept.body.split('\r\n')).toEqual([
      'from,to,tz,clicks,unique_clicks,bots,conversions,leads,sales,rejected,rebills,revenue,cost,profit,cr,roi,epc,trafficback,currencies',
      '2024-01-10T00:00:00.000Z,2024-01-13T00:00:00.000Z,UTC,6,5,1,6,1,3,1,1,16,2.5,13.5,100,540,2.666667,2,USD',
      '',
    ])
    const series = await app.inject({
      url: '/api/v1/reports/series?from=2024-01-10&to=2024-01-11&format=csv',
    })
    expect(series.body.split('\r\n').slice(0, 2)).toEqual([
      'start,local,clicks,unique_clicks,bots,conversions,leads,sales,rejected,rebills,revenue,cost,profit,cr,roi,epc',
      '2024-01-10T00:00:00.000Z,2024-01-10,3,2,1,2,1,1,0,0,7,1.5,5.5,66.6667,366.6667,2.333333',
    ])
  })

  it('answers 400 naming the fields', async () => {
    const unknown = await app.inject({ url: '/api/v1/reports/overview?campain_id=x' })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().error.details).toEqual([{ path: 'campain_id' }])
    const by = await app.inject({ url: '/api/v1/reports/breakdown?by=campaign,planet' })
    expect(by.statusCode).toBe(400)
    expect(by.json().error.details).toEqual([{ path: 'by' }])
    const span = await app.inject({
      url: '/api/v1/reports/series?interval=hour&from=2024-01-01&to=2024-12-31',
    })
    expect(span.statusCode).toBe(400)
    expect(span.json().error.details).toEqual([
      { path: 'to', message: 'an hourly series spans at most 93 days; use interval=day' },
    ])
  })
})
