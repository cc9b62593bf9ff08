/**
 * Breakdown report: one workspace's figures in a range grouped by one dimension or two
 * (`campaign,country`) or more (up to 6), with filters, sorted by clicks (desc), then conversions (desc),
 * then keys. Ids are returned as keys; the API layer (or UI) joins names in.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { finalizeMetrics, type ReportMetrics, sumsOf } from '../metrics.ts'
import { assertIdentifier } from '../migrate.ts'
import type { ReportRange } from '../range.ts'
import { buildReportSql, needsNetworks, type ReportDimension, type ReportOptions } from '../report-sql.ts'
import { destinationNetworks } from './destination-networks.ts'

/** Default number of rows returned. */
export const BREAKDOWN_LIMIT = 1000
/** Largest `limit` accepted. */
export const BREAKDOWN_MAX_LIMIT = 10_000

/**
 * One group of {@link breakdown}. `key` is the first dimension's value (an id, country
 * code, device type, sub or UTM value; '' = unknown/empty), `key2` the second's.
 */
export interface BreakdownRow extends ReportMetrics {
  key: string
  /** Second-level value; only for breakdowns by two or more dimensions. */
  key2?: string
  /** Every level's value, outermost first (`keys[0] = key`, `keys[1] = key2`, …). */
  keys: string[]
  /** Trafficback requests of the campaign; only when grouping by campaign alone. */
  trafficback?: number
  /** Clicks sent to a lander first; only with lander metrics (see {@link breakdown}'s `landers`). */
  lander_visits?: number
  /** Unique clicks on landers' calls to action (one per visit however often clicked). */
  lp_clicks?: number
  /** lp_clicks / lander_visits × 100, percent rounded to 4 decimals; null when no lander visits. */
  lp_ctr?: number | null
}

/**
 * Groups `workspaceId`'s clicks, conversions and money in `[range.fromMs, range.toMs)` by
 * `by` (one dimension, or up to 6 nested ones, outermost first). Groups that only have
 * conversions (e.g. by conversion time, of clicks before the range) appear with 0 clicks;
 * grouping by campaign alone also counts trafficback (campaigns with trafficback but no
 * clicks appear with 0 clicks).
 * @param opts.limit rows returned, default {@link BREAKDOWN_LIMIT}.
 * @param opts.landers add the lander metrics (`lander_visits`, `lp_clicks`, `lp_ctr`); default:
 *   when grouping by `lander`. Only for dimensions `lander_clicks` carries (`LANDER_CLICK_COLUMNS`).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function breakdown(
  handle: ClickHouseHandle,
  workspaceId: string,
  by: ReportDimension | readonly ReportDimension[],
  range: ReportRange,
  opts: ReportOptions & { limit?: number; landers?: boolean } = {},
): Promise<BreakdownRow[]> {
  const db = assertIdentifier(handle.database)
  const dims = typeof by === 'string' ? [by] : [...by]
  if (dims.length < 1 || dims.length > 6) throw new Error('breakdown takes 1 to 6 dimensions')
  const { limit, landers, ...rest } = opts
  const networks =
    rest.networks ??
    (needsNetworks({ dims, filters: rest.filters })
      ? await destinationNetworks(handle, workspaceId)
      : undefined)
  const withTrafficback = dims.length === 1 && dims[0] === 'campaign'
  const sql = buildReportSql(db, {
    workspaceId,
    range,
    ...rest,
    networks,
    dims,
    trafficback: withTrafficback,
    landers: landers ?? dims.includes('lander'),
    orderBy: `clicks DESC, conversions DESC, ${dims.map((_, i) => `k${i} ASC`).join(', ')}`,
    limit: Math.max(1, Math.min(BREAKDOWN_MAX_LIMIT, Math.trunc(limit ?? BREAKDOWN_LIMIT))),
  })
  const rs = await handle.client.query({ query: sql.query, format: 'JSONEachRow', query_params: sql.params })
  const rows = await rs.json<Record<string, unknown>>()
  return rows.map((r) => {
    const keys = dims.map((_, i) => String(r[`k${i}`]))
    const out: BreakdownRow = {
      key: keys[0]!,
      ...(dims.length >= 2 ? { key2: keys[1]! } : {}),
      keys,
      ...finalizeMetrics(sumsOf(r)),
    }
    if (withTrafficback) out.trafficback = Number(r.trafficback ?? 0)
    if (sql.landers) {
      const visits = Number(r.lander_visits ?? 0)
      out.lander_visits = visits
      out.lp_clicks = Number(r.lp_clicks ?? 0)
      out.lp_ctr = visits > 0 ? Math.round((out.lp_clicks / visits) * 1_000_000) / 10_000 : null
    }
    return out
  })
}
