/**
 * The analytics store against a ClickHouse server (`CLICKHOUSE_URL` path), checked against
 * the embedded chDB as the reference: the same migrations, the same schema, the click
 * pipeline and the conversion outbox inserts exactly once (retries with their
 * deduplication tokens dropped, also by the rollups' materialized views), and every report
 * query answering exactly what chDB answers on the same data — whose figures the other
 * tests check by hand (`analytics.money.test.ts`).
 *
 * Used by `clickhouse-server.test.ts`, which runs it when TEST_CLICKHOUSE_URL is set.
 * Environment is read there, not here.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  backfillClickRollups,
  type ClickEvent,
  createPipeline,
  migrateClickHouse,
  type PipelineEvent,
  recentEpc,
} from '../src/modules/analytics/index.ts'
import {
  parseBreakdownQuery,
  parseOverviewQuery,
  parseSeriesQuery,
  parseTrafficbackQuery,
} from '../src/modules/analytics/analytics.schema.ts'
import { breakdown } from '../src/modules/analytics/queries/breakdown.ts'
import { destinationNetworks } from '../src/modules/analytics/queries/destination-networks.ts'
import { overview } from '../src/modules/analytics/queries/overview.ts'
import { series } from '../src/modules/analytics/queries/series.ts'
import { trafficbackReport } from '../src/modules/analytics/queries/trafficback.ts'
import { clickRollupWatermark } from '../src/modules/analytics/rollups.ts'
import { findClickInClickHouse } from '../src/modules/conversions/click.lookup.ts'
import { batchToken } from '../src/modules/conversions/conversions.sync.ts'
import { newClickId } from '../src/modules/routing/core/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { click, removeTempDirs, rows, silentLogger, tempDir, trafficback } from './analytics.helpers.ts'

const WS = 'ws-srv'
const START = Date.parse('2024-03-29T00:00:00Z')
/** Four days across the Europe/Berlin DST change (2024-03-31). */
const END = Date.parse('2024-04-02T00:00:00Z')
const NOW = new Date('2024-04-10T00:00:00Z')
const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ')

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The fixture: clicks and trafficback for the pipeline, conversion delta rows for the outbox path. */
function fixture() {
  const r = rng(7)
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!
  const events: PipelineEvent[] = []
  const clicks: ClickEvent[] = []
  for (let i = 0; i < 3000; i++) {
    const ts = START + Math.floor(r() * (END - START))
    const campaign = Math.floor(r() * 4)
    const dest = campaign * 3 + Math.floor(r() * 3)
    const bytes = Uint8Array.from({ length: 10 }, () => Math.floor(r() * 256))
    const k = click({
      click_id: newClickId(ts, bytes),
      ts,
      workspace_id: WS,
      campaign_id: `camp-${campaign}`,
      stream_id: `stream-${campaign}-${dest % 2}`,
      destination_id: `dest-${dest}`,
      source_id: `src-${Math.floor(r() * 3)}`,
      is_unique: r() < 0.7 ? 1 : 0,
      is_bot: r() < 0.05 ? 1 : 0,
      country: pick(['DE', 'US', 'IN', 'FR', 'BR', 'NP']),
      device: pick(['desktop', 'mobile', 'tablet']),
      os: pick(['Windows', 'Android', 'iOS', 'Linux']),
      browser: pick(['Chrome', 'Safari', 'Firefox']),
      cost_micros: Math.floor(r() * 50) * 1000,
      sub1: pick(['z1', 'z2', 'z3', '', 'z 4, "quoted"']),
      utm_source: pick(['fb', 'gg', '']),
      external_id: `ext-${i}`,
    })
    clicks.push(k)
    events.push(k)
    if (i % 20 === 0) {
      events.push(
        trafficback({
          click_id: newClickId(
            ts,
            bytes.map((b) => b ^ 0xff),
          ),
          ts,
          workspace_id: WS,
          campaign_id: `camp-${campaign}`,
          country: k.country,
          device: k.device,
          reason: pick(['no stream matched', 'campaign paused']),
        }),
      )
    }
  }
  // Conversion events (deltas): every 12th click converts as a lead, half of them become
  // a sale later, one in ten sales is then rejected.
  const conversions: Record<string, string | number>[] = []
  for (const [i, k] of clicks.entries()) {
    if (i % 12 !== 0) continue
    const id = `conv-${i}`
    const network = Number(k.destination_id.slice(5)) % 2 === 0 ? 'net-even' : 'net-odd'
    const row = (
      ts: number,
      seq: number,
      status: string,
      previous: string,
      delta: number,
      revenue: number,
    ) => ({
      ts: chTime(ts),
      conversion_id: id,
      seq,
      click_id: k.click_id,
      workspace_id: k.workspace_id,
      network_id: network,
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
      status,
      previous_status: previous,
      conversions_delta: delta,
      revenue_delta_micros: revenue,
      payout_micros: Math.abs(revenue),
      currency: 'USD',
      transaction_id: `${id}-tx`,
      click_ts: chTime(k.ts),
    })
    const lead = 1_000_000 + (i % 7) * 250_000
    const t1 = k.ts + (i % 90) * 60_000
    conversions.push(row(t1, 1, 'lead', '', 1, lead))
    if (i % 24 === 0) {
      const sale = lead * 4
      const t2 = t1 + 6 * 3_600_000
      conversions.push(row(t2, 2, 'sale', 'lead', 0, sale - lead))
      if (i % 240 === 0) conversions.push(row(t2 + 3_600_000, 3, 'rejected', 'sale', 0, -sale))
    }
  }
  return { events, clicks, conversions }
}

const jsonLines = (rs: readonly object[]) => Buffer.from(`${rs.map((x) => JSON.stringify(x)).join('\n')}\n`)

async function count(h: ClickHouseHandle, query: string): Promise<number> {
  const [r] = await rows<{ n: string | number }>(h, query.replaceAll('{db}', h.database), { ws: WS })
  return Number(r?.n ?? 0)
}

/** Every report the API serves, over the fixture, in the shapes the routes return. */
async function reports(h: ClickHouseHandle): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const base = { from: '2024-03-29', to: '2024-04-01' }
  for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kolkata']) {
    for (const attribution of ['conversion', 'click'] as const) {
      const q = (extra: Record<string, unknown> = {}) => ({ ...base, tz, attribution, ...extra })
      const key = `${tz}/${attribution}`
      const filters: [string, Record<string, unknown>][] = [
        ['all', {}],
        ['country', { country: ['DE', 'NP'] }],
        ['sub1', { sub1: ['z3', ''] }],
        ['utm', { utm_source: ['fb'] }],
        ['network', { network_id: ['net-odd'] }],
        ['time', { from: '2024-03-30T10:07', to: '2024-03-31T13:52' }],
      ]
      for (const [name, extra] of filters) {
        const o = parseOverviewQuery(q(extra), NOW)
        out[`overview ${key} ${name}`] = await overview(h, WS, o.range, {
          filters: o.filters,
          attribution: o.attribution,
        })
      }
      for (const interval of ['day', 'hour'] as const) {
        const s = parseSeriesQuery(q({ interval }), NOW)
        out[`series ${key} ${interval}`] = await series(h, WS, interval, s.range, {
          filters: s.filters,
          attribution: s.attribution,
        })
      }
      const bys = [
        'campaign',
        'stream',
        'destination',
        'source',
        'network',
        'country',
        'device',
        'os',
        'browser',
        'sub1',
        'utm_source',
        'campaign,country',
        'source,device',
        'destination,network',
      ]
      for (const by of bys) {
        const b = parseBreakdownQuery(q({ by }), NOW)
        out[`breakdown ${key} ${by}`] = await breakdown(h, WS, b.by, b.range, {
          filters: b.filters,
          attribution: b.attribution,
          limit: b.limit,
        })
      }
    }
    const t = parseTrafficbackQuery({ ...base, tz }, NOW)
    out[`trafficback ${tz}`] = await trafficbackReport(h, WS, t.range, t.filters)
  }
  out.recentEpc = await recentEpc(h, { sinceMs: START, untilMs: END, workspaceIds: [WS] })
  out.destinationNetworks = await destinationNetworks(h, WS)
  return out
}

/**
 * Declares the tests (call inside a `describe`).
 * @param opts.openTarget opens the store under test with a database of its own (dropped at the end).
 * @param opts.openReference the embedded reference (default chDB in a temporary directory).
 */
export function clickHouseServerSuite(opts: {
  openTarget: () => Promise<ClickHouseHandle>
  openReference?: () => Promise<ClickHouseHandle>
}): void {
  let target: ClickHouseHandle
  let reference: ClickHouseHandle
  const data = fixture()

  beforeAll(async () => {
    reference = await (
      opts.openReference ??
      (() => openClickHouse({ chDir: path.join(tempDir('srv-ref'), 'ch'), database: 'tf_reference' }))
    )()
    target = await opts.openTarget()
  })
  afterAll(async () => {
    try {
      if (target) await target.client.command({ query: `DROP DATABASE IF EXISTS ${target.database}` })
    } finally {
      await target?.close()
      await reference?.close()
      removeTempDirs()
    }
  })

  it('runs the migrations, and a second run applies nothing', async () => {
    const applied = await migrateClickHouse(target)
    expect(applied).toEqual(await migrateClickHouse(reference))
    expect(applied.length).toBeGreaterThanOrEqual(5)
    expect(await migrateClickHouse(target)).toEqual([])
    expect(await count(target, 'SELECT uniqExact(version) AS n FROM {db}.schema_migrations')).toBe(
      applied.length,
    )
  })

  it('creates the same schema as the embedded store (engines, keys, columns, indexes)', async () => {
    const schema = async (h: ClickHouseHandle) => ({
      tables: await rows(
        h,
        `SELECT name, replaceRegexpOne(engine, '^Replicated', '') AS engine, sorting_key, partition_key, primary_key
         FROM system.tables WHERE database = {db:String} ORDER BY name`,
        { db: h.database },
      ),
      columns: await rows(
        h,
        `SELECT table, name, type, default_kind, compression_codec
         FROM system.columns WHERE database = {db:String} ORDER BY table, position`,
        { db: h.database },
      ),
      indexes: await rows(
        h,
        `SELECT table, name, type_full, expr, granularity
         FROM system.data_skipping_indices WHERE database = {db:String} ORDER BY table, name`,
        { db: h.database },
      ),
    })
    const [t, r] = await Promise.all([schema(target), schema(reference)])
    expect(t).toEqual(r)
    expect(t.tables).toContainEqual(expect.objectContaining({ name: 'clicks', engine: 'MergeTree' }))
    expect(t.tables).toContainEqual(
      expect.objectContaining({ name: 'clicks_route_15m', engine: 'SummingMergeTree' }),
    )
  })

  it('stores every pipeline event exactly once, and a restart on the same spool replays nothing', async () => {
    for (const h of [target, reference]) {
      const spoolDir = tempDir('srv-spool')
      const pipeline = createPipeline({
        handle: h,
        spoolDir,
        queueMax: 100_000,
        batchSize: 700,
        flushMs: 20,
        logger: silentLogger,
        retryBaseMs: 20,
        retryMaxMs: 200,
      })
      expect(pipeline.pushMany(data.events)).toBe(true)
      await pipeline.flush()
      await pipeline.close()
      const again = createPipeline({
        handle: h,
        spoolDir,
        queueMax: 1000,
        batchSize: 700,
        flushMs: 20,
        logger: silentLogger,
      })
      expect(await again.recover()).toBe(0)
      await again.close()
    }
    const clicks = data.events.filter((e) => e.type === 'click').length
    for (const h of [target, reference]) {
      expect(await count(h, 'SELECT count() AS n FROM {db}.clicks WHERE workspace_id = {ws:String}')).toBe(
        clicks,
      )
      expect(
        await count(h, 'SELECT uniqExact(click_id) AS n FROM {db}.clicks WHERE workspace_id = {ws:String}'),
      ).toBe(clicks)
      expect(
        await count(h, 'SELECT count() AS n FROM {db}.trafficback WHERE workspace_id = {ws:String}'),
      ).toBe(data.events.length - clicks)
      // Both rollups were fed by their materialized views.
      for (const table of ['clicks_route_15m', 'clicks_geo_15m'])
        expect(
          await count(h, `SELECT sum(clicks) AS n FROM {db}.${table} WHERE workspace_id = {ws:String}`),
        ).toBe(clicks)
    }
  })

  it('drops a click batch retried with its token, in the rollups too', async () => {
    const batch = jsonLines(
      [1, 2, 3].map((i) => {
        const { type: _t, ...row } = click({
          click_id: `retry-${i}`,
          workspace_id: 'ws-retry',
          ts: Date.parse('2024-03-15T10:00:00Z'),
        })
        return { ...row, ts: chTime(row.ts) }
      }),
    )
    for (const h of [target, reference]) {
      for (let i = 0; i < 3; i++)
        await h.insertJsonEachRow(`${h.database}.clicks`, batch, {
          insert_deduplicate: 1,
          insert_deduplication_token: `spool-x:7:0-${batch.length}`,
        })
      const q = (table: string, col: string) =>
        count(h, `SELECT ${col} AS n FROM {db}.${table} WHERE workspace_id = 'ws-retry'`)
      expect(await q('clicks', 'count()')).toBe(3)
      expect(await q('clicks_route_15m', 'sum(clicks)')).toBe(3)
      expect(await q('clicks_geo_15m', 'sum(clicks)')).toBe(3)
    }
  })

  it('counts conversion events sent twice with their batch token once', async () => {
    // As conversions.sync.ts sends an outbox batch, re-sent after a lost answer.
    const half = Math.ceil(data.conversions.length / 2)
    const batches = [data.conversions.slice(0, half), data.conversions.slice(half)]
    for (const h of [target, reference]) {
      for (const b of batches) {
        const token = batchToken(randomUUID())
        for (let i = 0; i < 2; i++)
          await h.insertJsonEachRow(`${h.database}.conversions`, jsonLines(b), {
            insert_deduplicate: 1,
            insert_deduplication_token: token,
          })
      }
      expect(
        await count(h, 'SELECT count() AS n FROM {db}.conversions WHERE workspace_id = {ws:String}'),
      ).toBe(data.conversions.length)
    }
  })

  it('answers every report exactly as the embedded store does', async () => {
    const [t, r] = [await reports(target), await reports(reference)]
    expect(Object.keys(t).length).toBeGreaterThan(100)
    for (const key of Object.keys(r)) expect({ key, value: t[key] }).toEqual({ key, value: r[key] })
    // Not trivially equal: the fixture has clicks, money and every status.
    const all = r['overview UTC/click all'] as Record<string, number>
    expect(all.clicks).toBe(3000)
    // By click time every conversion of the fixture is in range: one per 12th click.
    expect(all.conversions).toBe(250)
    expect(all.rejected).toBeGreaterThan(0)
    expect(all.revenue).toBeGreaterThan(0)
    expect(all.cost).toBeGreaterThan(0)
  })

  it('finds clicks by ID for late postbacks', async () => {
    for (const k of data.clicks.slice(0, 5)) {
      const [t, r] = await Promise.all([
        findClickInClickHouse(target, WS, k.click_id),
        findClickInClickHouse(reference, WS, k.click_id),
      ])
      expect(t).toEqual(r)
      expect(t).toMatchObject({ click_id: k.click_id, ts: k.ts, campaign_id: k.campaign_id })
    }
    expect(await findClickInClickHouse(target, 'ws-other', data.clicks[0]!.click_id)).toBeUndefined()
  })

  it('reads the raw table before a rollup watermark, and backfills the rollups (ALTER … DELETE + INSERT … SELECT)', async () => {
    const before = await reports(reference)
    const since = Date.parse('2024-03-31T00:00:00Z')
    for (const h of [target, reference]) {
      await h.client.command({
        query: `INSERT INTO ${h.database}.rollup_state (name, since, set_at)
          VALUES ('clicks', {since:DateTime64(3, 'UTC')}, now64(3, 'UTC'))`,
        query_params: { since: chTime(since) },
      })
      expect(await clickRollupWatermark(h)).toBe(since)
    }
    const [tw, rw] = [await reports(target), await reports(reference)]
    for (const key of Object.keys(before)) {
      expect({ key, value: tw[key] }).toEqual({ key, value: before[key] })
      expect({ key, value: rw[key] }).toEqual({ key, value: before[key] })
    }
    for (const h of [target, reference]) {
      expect(await backfillClickRollups(h)).toBe(since)
      expect(await clickRollupWatermark(h)).toBe(0)
    }
    const after = await reports(target)
    for (const key of Object.keys(before))
      expect({ key, value: after[key] }).toEqual({ key, value: before[key] })
  })
}
