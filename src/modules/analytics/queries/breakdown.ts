/**
 * Breakdown report: clicks of one workspace in a range grouped by one dimension, sorted
 * by clicks (desc), at most {@link BREAKDOWN_LIMIT} rows. Ids are returned as keys; the API
 * layer joins names in.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import type { BreakdownDimension } from '../analytics.schema.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import type { ReportRange } from '../range.ts'

/** Max rows returned. */
export const BREAKDOWN_LIMIT = 1000

/** Column grouped by for each dimension: a fixed whitelist, never caller text. */
const COLUMN: Record<BreakdownDimension, string> = {
  campaign: 'campaign_id',
  stream: 'stream_id',
  destination: 'destination_id',
  country: 'country',
  device: 'device',
  source: 'source_id',
}

/** One group of {@link breakdown}. `key` is an id (or country code, device type); '' = unknown. */
export interface BreakdownRow {
  key: string
  clicks: number
  unique_clicks: number
  bots: number
  /** Trafficback requests of the campaign; only when grouping by campaign. */
  trafficback?: number
}

/**
 * Groups `workspaceId`'s clicks in `[range.fromMs, range.toMs)` by `by`. Grouping by
 * campaign also counts trafficback requests per campaign (campaigns with trafficback but
 * no clicks appear with 0 clicks). Ties are ordered by key.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function breakdown(
  handle: ClickHouseHandle,
  workspaceId: string,
  by: BreakdownDimension,
  range: ReportRange,
): Promise<BreakdownRow[]> {
  const db = assertIdentifier(handle.database)
  const col = COLUMN[by]
  const where = `workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
  const clicks = `SELECT ${col} AS key, count() AS clicks, sum(is_unique) AS unique_clicks, sum(is_bot) AS bots
    FROM ${db}.clicks WHERE ${where} GROUP BY key`
  const query =
    by === 'campaign'
      ? `SELECT key, sum(clicks) AS clicks, sum(unique_clicks) AS unique_clicks, sum(bots) AS bots,
                sum(trafficback) AS trafficback
         FROM (
           SELECT key, clicks, unique_clicks, bots, toUInt64(0) AS trafficback FROM (${clicks})
           UNION ALL
           SELECT campaign_id AS key, toUInt64(0), toUInt64(0), toUInt64(0), count()
           FROM ${db}.trafficback WHERE ${where} GROUP BY key
         )
         GROUP BY key ORDER BY clicks DESC, key ASC LIMIT {limit:UInt32}`
      : `${clicks} ORDER BY clicks DESC, key ASC LIMIT {limit:UInt32}`
  const rs = await handle.client.query({
    query,
    format: 'JSONEachRow',
    query_params: {
      ws: workspaceId,
      from: chDateTime(range.fromMs),
      to: chDateTime(range.toMs),
      limit: BREAKDOWN_LIMIT,
    },
  })
  const rows = await rs.json<Record<string, string | number>>()
  return rows.map((r) => {
    const out: BreakdownRow = {
      key: String(r.key),
      clicks: Number(r.clicks),
      unique_clicks: Number(r.unique_clicks),
      bots: Number(r.bots),
    }
    if (by === 'campaign') out.trafficback = Number(r.trafficback)
    return out
  })
}
