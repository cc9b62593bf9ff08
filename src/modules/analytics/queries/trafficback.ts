/**
 * Trafficback report: requests of one workspace that nothing could serve, grouped by reason
 * and target (type and URL or campaign), with optional campaign, country and device filters,
 * most requests first.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import type { ReportRange } from '../range.ts'

/** Max rows returned. */
export const TRAFFICBACK_LIMIT = 1000

/** Filters of {@link trafficbackReport} (values of one filter are alternatives). */
export interface TrafficbackFilters {
  campaign?: string[]
  country?: string[]
  device?: string[]
}

/** One group of {@link trafficbackReport}. */
export interface TrafficbackRow {
  /** Why nothing was available, e.g. "no stream matched", "unknown campaign". */
  reason: string
  /** `url` | `campaign` | `none` (404) | `loop` (hop limit reached → 404). */
  target_type: string
  /** The trafficback URL or campaign id; '' for a 404. */
  target: string
  requests: number
  /** Requests flagged as bots (a subset of `requests`). */
  bots: number
  /** Distinct campaigns the requests came to ('' — unknown alias — counts as one). */
  campaigns: number
}

const COLUMN: Record<keyof TrafficbackFilters, string> = {
  campaign: 'campaign_id',
  country: 'country',
  device: 'device',
}

/**
 * Trafficback of `workspaceId` in `[range.fromMs, range.toMs)` by (reason, target_type,
 * target); requests desc, then the keys.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function trafficbackReport(
  handle: ClickHouseHandle,
  workspaceId: string,
  range: ReportRange,
  filters: TrafficbackFilters = {},
): Promise<TrafficbackRow[]> {
  const db = assertIdentifier(handle.database)
  const params: Record<string, unknown> = {
    ws: workspaceId,
    from: chDateTime(range.fromMs),
    to: chDateTime(range.toMs),
    limit: TRAFFICBACK_LIMIT,
  }
  let where = ''
  for (const key of Object.keys(COLUMN) as (keyof TrafficbackFilters)[]) {
    const values = filters[key]
    if (!values || values.length === 0) continue
    params[`f_${key}`] = values
    where += ` AND ${COLUMN[key]} IN {f_${key}:Array(String)}`
  }
  const rs = await handle.client.query({
    query: `SELECT reason, target_type, target, count() AS requests, sum(is_bot) AS bots,
        uniqExact(campaign_id) AS campaigns
      FROM ${db}.trafficback
      WHERE workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}${where}
      GROUP BY reason, target_type, target
      ORDER BY requests DESC, reason ASC, target_type ASC, target ASC LIMIT {limit:UInt32}`,
    format: 'JSONEachRow',
    query_params: params,
  })
  const rows = await rs.json<Record<string, string | number>>()
  return rows.map((r) => ({
    reason: String(r.reason),
    target_type: String(r.target_type),
    target: String(r.target),
    requests: Number(r.requests),
    bots: Number(r.bots),
    campaigns: Number(r.campaigns),
  }))
}
