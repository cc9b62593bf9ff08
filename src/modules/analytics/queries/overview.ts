/**
 * Overview report: totals of one workspace in a resolved range — clicks, unique clicks,
 * bots, trafficback, conversions by status, revenue, cost, profit, CR, ROI, EPC — with
 * optional filters. Clicks come from the route/geo rollups when they cover the filters
 * (see `report-sql.ts`), conversions from the raw delta rows.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { finalizeMetrics, type ReportMetrics, sumsOf } from '../metrics.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import type { ReportRange } from '../range.ts'
import { buildReportSql, needsNetworks, type ReportOptions } from '../report-sql.ts'
import { destinationNetworks } from './destination-networks.ts'

/** Totals of {@link overview}. `clicks` counts every routed click, bots included. */
export interface OverviewResult extends ReportMetrics {
  /**
   * Requests that fell through to trafficback (or 404). Null when a filter names a
   * dimension trafficback requests do not record (anything but campaign, country, device).
   */
  trafficback: number | null
  /**
   * Currencies of the conversions in the range. Revenue is summed without conversion
   * (one currency per workspace is assumed); more than one entry means mixed figures.
   */
  currencies: string[]
}

/**
 * Totals for `workspaceId` over `[range.fromMs, range.toMs)`.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function overview(
  handle: ClickHouseHandle,
  workspaceId: string,
  range: ReportRange,
  opts: ReportOptions = {},
): Promise<OverviewResult> {
  const db = assertIdentifier(handle.database)
  const networks =
    opts.networks ??
    (needsNetworks({ filters: opts.filters }) ? await destinationNetworks(handle, workspaceId) : undefined)
  const sql = buildReportSql(db, { workspaceId, range, ...opts, networks, trafficback: true })
  const [totals, currencies] = await Promise.all([
    handle.client
      .query({ query: sql.query, format: 'JSONEachRow', query_params: sql.params })
      .then((rs) => rs.json<Record<string, unknown>>()),
    handle.client
      .query({
        query: `SELECT DISTINCT currency FROM ${db}.conversions
          WHERE workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
            AND currency != '' ORDER BY currency`,
        format: 'JSONEachRow',
        query_params: { ws: workspaceId, from: chDateTime(range.fromMs), to: chDateTime(range.toMs) },
      })
      .then((rs) => rs.json<{ currency: string }>()),
  ])
  const row = totals[0] ?? {}
  return {
    ...finalizeMetrics(sumsOf(row)),
    trafficback: sql.trafficback ? Number(row.trafficback ?? 0) : null,
    currencies: currencies.map((c) => c.currency),
  }
}
