/**
 * Overview report: clicks, unique clicks, bot clicks and trafficback requests of one
 * workspace in a resolved range. Reads the raw tables; the sort key
 * (workspace_id, hour, …) keeps it to the workspace's granules of the range.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import type { ReportRange } from '../range.ts'

/** Totals of {@link overview}. `clicks` counts every routed click, bots included. */
export interface OverviewResult {
  clicks: number
  /** Clicks flagged unique for their campaign's window. */
  unique_clicks: number
  /** Requests that fell through to trafficback (or 404). */
  trafficback: number
  /** Clicks flagged as bots (a subset of `clicks`). */
  bots: number
}

/**
 * Totals for `workspaceId` over `[range.fromMs, range.toMs)`.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function overview(
  handle: ClickHouseHandle,
  workspaceId: string,
  range: ReportRange,
): Promise<OverviewResult> {
  const db = assertIdentifier(handle.database)
  const where = `workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
  const rs = await handle.client.query({
    query: `SELECT c.clicks AS clicks, c.unique_clicks AS unique_clicks, c.bots AS bots, t.trafficback AS trafficback
      FROM (SELECT count() AS clicks, sum(is_unique) AS unique_clicks, sum(is_bot) AS bots
            FROM ${db}.clicks WHERE ${where}) AS c
      CROSS JOIN (SELECT count() AS trafficback FROM ${db}.trafficback WHERE ${where}) AS t`,
    format: 'JSONEachRow',
    query_params: { ws: workspaceId, from: chDateTime(range.fromMs), to: chDateTime(range.toMs) },
  })
  const [row] = await rs.json<Record<keyof OverviewResult, string | number>>()
  return {
    clicks: Number(row?.clicks ?? 0),
    unique_clicks: Number(row?.unique_clicks ?? 0),
    trafficback: Number(row?.trafficback ?? 0),
    bots: Number(row?.bots ?? 0),
  }
}
