/**
 * The SQL shared by the report queries (overview, series, breakdown, recent EPC): report
 * dimensions and their columns, filters, the choice between the raw `clicks` table and a
 * click rollup, and the one statement that sums clicks, conversions and (optionally)
 * trafficback per group. Each report in `queries/` is one call of {@link buildReportSql}.
 *
 * Safety: the only text put into SQL is the database name (checked by the caller with
 * `assertIdentifier`) and fixed strings from the tables below; every value (workspace,
 * times, zone, filter values, limits) is a `query_params` parameter.
 *
 * Statement shape (all money in micros, every metric cast to Int64 so the UNION has one type):
 *
 * ```sql
 * SELECT <keys>, sum(clicks) AS clicks, …, sum(revenue_micros) AS revenue_micros
 * FROM (
 *   <clicks: raw, or rollup for whole quarter-hours + raw for the edges>
 *   UNION ALL <conversions (deltas), by conversion or click time>
 *   UNION ALL <trafficback, when asked for and the grouping allows it>
 * ) GROUP BY <keys> ORDER BY … LIMIT …
 * ```
 */
import type { ReportRange } from './range.ts'

/** Dimensions a report can group or filter by. */
export const REPORT_DIMENSIONS = [
  'campaign',
  'stream',
  'destination',
  'lander',
  'source',
  'network',
  'country',
  'device',
  'os',
  'browser',
  'os_version',
  'language',
  'hour',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
] as const

/** One of {@link REPORT_DIMENSIONS}. */
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number]

/**
 * Where each dimension lives, per table. A `Record` over {@link ReportDimension}: a new
 * dimension does not compile until it says how every table serves it (see README.md, "To
 * add a report dimension").
 */
export interface DimensionColumns {
  /** Query-string name of its filter (`campaign_id=…`, `country=…`): ids get `_id`. */
  filter: string
  /** Column in `clicks` and the rollups; null when derived from the destination (`network`, see {@link NetworkMap}). */
  click: string | null
  /** Column in `conversions`; null when only the click has it (joined by click_id, see `convSource`). */
  conversion: string | null
  /** Column in `trafficback`; null when trafficback does not record it (nothing was routed). */
  trafficback: string | null
  /**
   * Derived from the row's time in the report zone (`hour`: `'00'`…`'23'`, the hour of day);
   * the column fields then name the time column, and every table (and rollup) serves it.
   */
  time?: true
}

export const DIMENSION_COLUMNS: Record<ReportDimension, DimensionColumns> = {
  campaign: {
    filter: 'campaign_id',
    click: 'campaign_id',
    conversion: 'campaign_id',
    trafficback: 'campaign_id',
  },
  stream: { filter: 'stream_id', click: 'stream_id', conversion: 'stream_id', trafficback: null },
  destination: {
    filter: 'destination_id',
    click: 'destination_id',
    conversion: 'destination_id',
    trafficback: null,
  },
  // Conversions carry the lander and OS version of their click (copied when the conversion
  // is created; '' for conversions recorded before migration 007).
  lander: { filter: 'lander_id', click: 'lander_id', conversion: 'lander_id', trafficback: null },
  source: { filter: 'source_id', click: 'source_id', conversion: 'source_id', trafficback: null },
  network: { filter: 'network_id', click: null, conversion: 'network_id', trafficback: null },
  country: { filter: 'country', click: 'country', conversion: 'country', trafficback: 'country' },
  device: { filter: 'device', click: 'device', conversion: 'device', trafficback: 'device' },
  os: { filter: 'os', click: 'os', conversion: 'os', trafficback: null },
  browser: { filter: 'browser', click: 'browser', conversion: 'browser', trafficback: null },
  // Conversions do not carry these (yet): read from the converting click.
  os_version: { filter: 'os_version', click: 'os_version', conversion: 'os_version', trafficback: null },
  language: { filter: 'language', click: 'language', conversion: null, trafficback: null },
  hour: { filter: 'hour', click: 'ts', conversion: 'ts', trafficback: 'ts', time: true },
  sub1: { filter: 'sub1', click: 'sub1', conversion: 'sub1', trafficback: null },
  sub2: { filter: 'sub2', click: 'sub2', conversion: 'sub2', trafficback: null },
  sub3: { filter: 'sub3', click: 'sub3', conversion: 'sub3', trafficback: null },
  sub4: { filter: 'sub4', click: 'sub4', conversion: 'sub4', trafficback: null },
  sub5: { filter: 'sub5', click: 'sub5', conversion: 'sub5', trafficback: null },
  sub6: { filter: 'sub6', click: 'sub6', conversion: 'sub6', trafficback: null },
  sub7: { filter: 'sub7', click: 'sub7', conversion: 'sub7', trafficback: null },
  sub8: { filter: 'sub8', click: 'sub8', conversion: 'sub8', trafficback: null },
  sub9: { filter: 'sub9', click: 'sub9', conversion: 'sub9', trafficback: null },
  sub10: { filter: 'sub10', click: 'sub10', conversion: 'sub10', trafficback: null },
  utm_source: { filter: 'utm_source', click: 'utm_source', conversion: null, trafficback: null },
  utm_medium: { filter: 'utm_medium', click: 'utm_medium', conversion: null, trafficback: null },
  utm_campaign: { filter: 'utm_campaign', click: 'utm_campaign', conversion: null, trafficback: null },
  utm_term: { filter: 'utm_term', click: 'utm_term', conversion: null, trafficback: null },
  utm_content: { filter: 'utm_content', click: 'utm_content', conversion: null, trafficback: null },
}

/** Query-string name of each dimension's filter (`campaign_id=…`, `country=…`). */
export const FILTER_PARAMS = Object.fromEntries(
  REPORT_DIMENSIONS.map((d) => [d, DIMENSION_COLUMNS[d].filter]),
) as Record<ReportDimension, string>

/** Filters: dimension → accepted values (a row matches when its value is one of them). */
export type ReportFilters = Partial<Record<ReportDimension, string[]>>

/**
 * Which time conversions are counted at: `conversion` (default) the time of each status
 * change, so revenue lands on the day it was reported; `click` the time of the click that
 * converted, so a day's revenue sits next to that day's cost (and still grows later).
 */
export type Attribution = 'conversion' | 'click'

/** Time bucket of a series, in the report's zone. */
export type SeriesInterval = 'day' | 'hour'

/**
 * Network of each destination, as parallel arrays (destination id → affiliate network id).
 * Clicks carry no network; a click's network is its destination's.
 */
export interface NetworkMap {
  destinationIds: string[]
  networkIds: string[]
}

/** Dimensions conversions do not carry: read from the converting click (see `convSource`). */
const FROM_CLICK = REPORT_DIMENSIONS.filter((d) => DIMENSION_COLUMNS[d].conversion === null)

/** `'00'`…`'23'`: the hour of day of time column `t` in the report zone (`{tz:String}`). */
const hourOf = (t: string) => `formatDateTime(${t}, '%H', {tz:String})`

/** The click rollups of migration 005, narrowest first, with the dimensions each can serve. */
export const CLICK_ROLLUPS = [
  {
    table: 'clicks_route_15m',
    dims: new Set<ReportDimension>(['campaign', 'stream', 'destination', 'source', 'network', 'hour']),
  },
  {
    table: 'clicks_geo_15m',
    dims: new Set<ReportDimension>(['campaign', 'source', 'country', 'device', 'hour']),
  },
] as const

/**
 * Columns of `lander_clicks` (migration 007) per dimension: lander metrics (`lp_clicks`) can
 * be grouped and filtered by these only (`network` through the destination, like clicks).
 */
export const LANDER_CLICK_COLUMNS: Partial<Record<ReportDimension, string>> = {
  campaign: 'campaign_id',
  stream: 'stream_id',
  destination: 'destination_id',
  lander: 'lander_id',
  source: 'source_id',
  country: 'country',
  device: 'device',
}

/** Rollup bucket length. */
export const ROLLUP_BUCKET_MS = 15 * 60_000

/** What {@link buildReportSql} should group and add. */
export interface ReportSpec {
  workspaceId: string
  range: ReportRange
  filters?: ReportFilters
  /** Default `conversion`. */
  attribution?: Attribution
  /** Group by these dimensions; output columns `k0`, `k1`, … in this order. */
  dims?: ReportDimension[]
  /**
   * Also group by local day/hour in `range.tz`; output column `period` (epoch seconds of
   * its start). Not `bucket`: an alias shadows the rollups' `bucket` column in WHERE.
   */
  interval?: SeriesInterval
  /**
   * Add a `trafficback` count when the grouping and filters use only dimensions the
   * trafficback table records (campaign, country, device). See {@link ReportSql.trafficback}.
   */
  trafficback?: boolean
  /**
   * Add `lander_visits` (clicks sent to a lander) and `lp_clicks` (unique lander CTA clicks,
   * from `lander_clicks`) when the grouping and filters use only dimensions of
   * {@link LANDER_CLICK_COLUMNS} (or `network`). Clicks are then read from the raw table (the
   * rollups carry no lander). See {@link ReportSql.landers}.
   */
  landers?: boolean
  /** Needed when `network` is grouped or filtered by. */
  networks?: NetworkMap
  /** `ORDER BY` (fixed text chosen by the caller, never input). */
  orderBy?: string
  /** Bound as `{limit:UInt32}`. */
  limit?: number
  /** Force the raw table (tests comparing rollups with raw). */
  forceRaw?: boolean
}

/** A statement ready for `client.query`. */
export interface ReportSql {
  query: string
  params: Record<string, unknown>
  /** Where clicks are read from: `clicks` or a rollup table (for tests and the benchmark). */
  clickSource: 'clicks' | (typeof CLICK_ROLLUPS)[number]['table']
  /** Whether the statement has a `trafficback` column. */
  trafficback: boolean
  /** Whether the statement has `lander_visits` and `lp_clicks` columns. */
  landers: boolean
}

/** True when grouping or filtering needs the destination → network map. */
export function needsNetworks(spec: Pick<ReportSpec, 'dims' | 'filters'>): boolean {
  return (spec.dims ?? []).includes('network') || (spec.filters?.network?.length ?? 0) > 0
}

/** Epoch ms → `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for a `DateTime64(3, 'UTC')` parameter. */
function chTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ')
}

function activeFilters(filters: ReportFilters | undefined): [ReportDimension, string[]][] {
  return Object.entries(filters ?? {}).filter(([, v]) => v !== undefined && v.length > 0) as [
    ReportDimension,
    string[],
  ][]
}

/**
 * Builds the report statement for `spec` against database `db` (already checked).
 * @throws Error when `network` is used without `spec.networks`.
 */
export function buildReportSql(db: string, spec: ReportSpec): ReportSql {
  const dims = spec.dims ?? []
  const filters = activeFilters(spec.filters)
  const attribution = spec.attribution ?? 'conversion'
  const { fromMs, toMs } = spec.range
  const params: Record<string, unknown> = {
    ws: spec.workspaceId,
    from: chTime(fromMs),
    to: chTime(toMs),
  }
  const usesTime = [...dims, ...filters.map(([d]) => d)].some((d) => DIMENSION_COLUMNS[d].time)
  if (spec.interval || usesTime) params.tz = spec.range.tz
  if (spec.limit !== undefined) params.limit = spec.limit
  for (const [dim, values] of filters) params[`f_${dim}`] = values
  if (needsNetworks(spec)) {
    if (!spec.networks) throw new Error('report by network needs the destination → network map')
    params.net_d = spec.networks.destinationIds
    params.net_n = spec.networks.networkIds
  }

  const clickExpr = (d: ReportDimension, t: string) =>
    DIMENSION_COLUMNS[d].time
      ? hourOf(t)
      : (DIMENSION_COLUMNS[d].click ??
        `transform(destination_id, {net_d:Array(String)}, {net_n:Array(String)}, '')`)
  const bucketExpr = (timeCol: string) =>
    spec.interval === 'hour'
      ? `toUnixTimestamp(toStartOfHour(${timeCol}, {tz:String}))`
      : `toUnixTimestamp(toStartOfDay(${timeCol}, {tz:String}))`
  /** SELECT list of the keys for one branch, and the GROUP BY list. */
  const keys = (timeCol: string, expr: (d: ReportDimension, t: string) => string) => {
    const sel: string[] = []
    if (spec.interval) sel.push(`${bucketExpr(timeCol)} AS period`)
    for (const [i, d] of dims.entries()) sel.push(`${expr(d, timeCol)} AS k${i}`)
    const names = [...(spec.interval ? ['period'] : []), ...dims.map((_, i) => `k${i}`)]
    return {
      select: sel.map((s) => `${s}, `).join(''),
      groupBy: names.length ? ` GROUP BY ${names.join(', ')}` : '',
    }
  }
  const filterSql = (expr: (d: ReportDimension, t: string) => string, t: string) =>
    filters.map(([d]) => ` AND ${expr(d, t)} IN {f_${d}:Array(String)}`).join('')

  const tbEligible =
    spec.trafficback === true &&
    dims.every((d) => DIMENSION_COLUMNS[d].trafficback !== null) &&
    filters.every(([d]) => DIMENSION_COLUMNS[d].trafficback !== null)
  const tbZero = tbEligible ? ', toInt64(0) AS trafficback' : ''
  const lpOk = (d: ReportDimension) => d === 'network' || LANDER_CLICK_COLUMNS[d] !== undefined
  const lpEligible = spec.landers === true && dims.every(lpOk) && filters.every(([d]) => lpOk(d))
  const lpZero = lpEligible ? ', toInt64(0) AS lander_visits, toInt64(0) AS lp_clicks' : ''
  const zeroClicks =
    'toInt64(0) AS clicks, toInt64(0) AS unique_clicks, toInt64(0) AS bots, toInt64(0) AS cost_micros'
  const zeroConv =
    'toInt64(0) AS conversions, toInt64(0) AS leads, toInt64(0) AS sales, toInt64(0) AS rejected, toInt64(0) AS rebills, toInt64(0) AS revenue_micros'

  // ---- clicks: a rollup when it covers every dimension used and whole quarter-hours exist.
  const used = new Set<ReportDimension>([...dims, ...filters.map(([d]) => d)])
  const rollup =
    spec.forceRaw || lpEligible ? undefined : CLICK_ROLLUPS.find((r) => [...used].every((d) => r.dims.has(d)))
  const a0 = Math.ceil(fromMs / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS
  const b = Math.floor(toMs / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS
  const rawClicks = (timeWhere: string) => {
    const k = keys('ts', clickExpr)
    return `SELECT ${k.select}toInt64(count()) AS clicks, toInt64(sum(is_unique)) AS unique_clicks,
        toInt64(sum(is_bot)) AS bots, toInt64(sum(cost_micros)) AS cost_micros, ${zeroConv}${tbZero}${
          lpEligible ? `, toInt64(countIf(lander_id != '')) AS lander_visits, toInt64(0) AS lp_clicks` : ''
        }
      FROM ${db}.clicks WHERE workspace_id = {ws:String} AND ${timeWhere}${filterSql(clickExpr, 'ts')}${k.groupBy}`
  }
  // Cost updates (migration 008): deltas on the clicks' cost, with the clicks' dimensions.
  // The rollups get them through their views; the raw parts read them here.
  const rawAdjust = (timeWhere: string) => {
    const k = keys('ts', clickExpr)
    return `SELECT ${k.select}toInt64(0) AS clicks, toInt64(0) AS unique_clicks, toInt64(0) AS bots,
        toInt64(sum(delta_micros)) AS cost_micros, ${zeroConv}${tbZero}${lpZero}
      FROM ${db}.cost_adjustments WHERE workspace_id = {ws:String} AND ${timeWhere}${filterSql(clickExpr, 'ts')}${k.groupBy}`
  }
  const branches: string[] = []
  let clickSource: ReportSql['clickSource'] = 'clicks'
  if (rollup && a0 < b) {
    clickSource = rollup.table
    params.a0 = chTime(a0)
    params.b = chTime(b)
    // Start of the rollup's part: whole quarter-hours from `a0`, and never before the
    // watermark (clicks stored before the rollups existed are only in the raw table).
    const since = `(SELECT argMax(since, set_at) FROM ${db}.rollup_state WHERE name = 'clicks')`
    const A = `least(greatest({a0:DateTime64(3, 'UTC')}, ${since}), {b:DateTime64(3, 'UTC')})`
    const edges = `((ts >= {from:DateTime64(3, 'UTC')} AND ts < ${A}) OR (ts >= {b:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}))`
    branches.push(rawClicks(edges), rawAdjust(edges))
    const k = keys('bucket', clickExpr)
    branches.push(`SELECT ${k.select}toInt64(sum(clicks)) AS clicks, toInt64(sum(unique_clicks)) AS unique_clicks,
        toInt64(sum(bots)) AS bots, toInt64(sum(cost_micros)) AS cost_micros, ${zeroConv}${tbZero}
      FROM ${db}.${rollup.table}
      WHERE workspace_id = {ws:String} AND bucket >= ${A} AND bucket < {b:DateTime64(3, 'UTC')}${filterSql(clickExpr, 'bucket')}${k.groupBy}`)
  } else {
    const all = `ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
    branches.push(rawClicks(all), rawAdjust(all))
  }

  // ---- conversions (deltas; no FINAL needed). A conversion is never before its click, so
  // by click time `ts >= from` still holds and prunes by the sort key.
  const convTime =
    attribution === 'click'
      ? `click_ts >= {from:DateTime64(3, 'UTC')} AND click_ts < {to:DateTime64(3, 'UTC')} AND ts >= {from:DateTime64(3, 'UTC')}`
      : `ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
  const convWhere = `workspace_id = {ws:String} AND ${convTime}`
  const needsClickJoin = [...used].some((d) => DIMENSION_COLUMNS[d].conversion === null)
  const fromClick = FROM_CLICK.map((d) => DIMENSION_COLUMNS[d].click!)
  // UTM values live on the click only: join the converting clicks (bounded by the earliest
  // click time of the conversions in range; the click_id set uses the bloom-filter index).
  const convSource = needsClickJoin
    ? `(SELECT cv.*, ${fromClick.map((u) => `ck.${u} AS ${u}`).join(', ')}
        FROM (SELECT * FROM ${db}.conversions WHERE ${convWhere}) AS cv
        LEFT ANY JOIN (
          SELECT click_id, ${fromClick.join(', ')} FROM ${db}.clicks
          WHERE workspace_id = {ws:String}
            AND ts >= (SELECT if(count() = 0, {to:DateTime64(3, 'UTC')}, min(click_ts)) FROM ${db}.conversions WHERE ${convWhere})
            AND ts < {to:DateTime64(3, 'UTC')}
            AND click_id IN (SELECT click_id FROM ${db}.conversions WHERE ${convWhere})
        ) AS ck ON cv.click_id = ck.click_id)`
    : `${db}.conversions`
  // A dimension joined from the click goes by its click column name in `convSource`.
  const convExpr = (d: ReportDimension, t: string) =>
    DIMENSION_COLUMNS[d].time ? hourOf(t) : (DIMENSION_COLUMNS[d].conversion ?? DIMENSION_COLUMNS[d].click!)
  const convCol = attribution === 'click' ? 'click_ts' : 'ts'
  const status = (s: string) => `toInt64(sum((status = '${s}') - (previous_status = '${s}')))`
  {
    const k = keys(convCol, convExpr)
    branches.push(`SELECT ${k.select}${zeroClicks}, toInt64(sum(conversions_delta)) AS conversions,
        ${status('lead')} AS leads, ${status('sale')} AS sales, ${status('rejected')} AS rejected,
        ${status('rebill')} AS rebills, toInt64(sum(revenue_delta_micros)) AS revenue_micros${tbZero}${lpZero}
      FROM ${convSource} WHERE ${convWhere}${filterSql(convExpr, convCol)}${k.groupBy}`)
  }

  // ---- trafficback requests.
  if (tbEligible) {
    const tbExpr = (d: ReportDimension, t: string) =>
      DIMENSION_COLUMNS[d].time ? hourOf(t) : DIMENSION_COLUMNS[d].trafficback!
    const k = keys('ts', tbExpr)
    branches.push(`SELECT ${k.select}${zeroClicks}, ${zeroConv}, toInt64(count()) AS trafficback${lpZero}
      FROM ${db}.trafficback
      WHERE workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}${filterSql(tbExpr, 'ts')}${k.groupBy}`)
  }

  // ---- lander CTA clicks (unique per visit: the router flags the first of each).
  if (lpEligible) {
    const lpExpr = (d: ReportDimension, _t: string) =>
      LANDER_CLICK_COLUMNS[d] ?? `transform(destination_id, {net_d:Array(String)}, {net_n:Array(String)}, '')`
    const k = keys('ts', lpExpr)
    branches.push(`SELECT ${k.select}${zeroClicks}, ${zeroConv}${tbZero}, toInt64(0) AS lander_visits, toInt64(sum(is_unique)) AS lp_clicks
      FROM ${db}.lander_clicks
      WHERE workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}${filterSql(lpExpr, 'ts')}${k.groupBy}`)
  }

  const outerKeys = [...(spec.interval ? ['period'] : []), ...dims.map((_, i) => `k${i}`)]
  const sums = [
    'clicks',
    'unique_clicks',
    'bots',
    'cost_micros',
    'conversions',
    'leads',
    'sales',
    'rejected',
    'rebills',
    'revenue_micros',
    ...(tbEligible ? ['trafficback'] : []),
    ...(lpEligible ? ['lander_visits', 'lp_clicks'] : []),
  ]
    .map((c) => `sum(${c}) AS ${c}`)
    .join(', ')
  const query = `SELECT ${outerKeys.map((k) => `${k}, `).join('')}${sums}
    FROM (${branches.join('\n    UNION ALL\n    ')})${outerKeys.length ? ` GROUP BY ${outerKeys.join(', ')}` : ''}${spec.orderBy ? ` ORDER BY ${spec.orderBy}` : ''}${spec.limit !== undefined ? ' LIMIT {limit:UInt32}' : ''}`
  return { query, params, clickSource, trafficback: tbEligible, landers: lpEligible }
}

/** Options every report query accepts besides the workspace and range. */
export interface ReportOptions {
  /** Only rows matching every filter (values of one filter are alternatives). */
  filters?: ReportFilters
  /** Default `conversion`. */
  attribution?: Attribution
  /**
   * Destination → network map for `network` grouping/filters; when absent it is derived
   * from the workspace's conversions (`destinationNetworks`).
   */
  networks?: NetworkMap
  /** Read clicks from the raw table even where a rollup could serve (tests, benchmark). */
  forceRaw?: boolean
}
