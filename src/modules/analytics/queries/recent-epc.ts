/**
 * Recent EPC per destination, the input of the router's "best ROI" strategy: clicks and
 * revenue per destination over a recent window (e.g. the last 7 days), cheap enough to run
 * every minute off the hot path. Clicks come from the `clicks_route_15m` rollup (whole
 * quarter-hours; the raw table only before the rollup watermark), revenue from the
 * conversion deltas by conversion time.
 *
 * Not exposed over HTTP: without `workspaceIds` it reads every workspace (the router keeps
 * one table for all of them; destination ids are globally unique).
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import { ROLLUP_BUCKET_MS } from '../report-sql.ts'

/** Recent figures of one destination. */
export interface RecentEpcRow {
  workspace_id: string
  destination_id: string
  /** Clicks (bots included, as in the reports) in the window. */
  clicks: number
  /** Σ revenue deltas of the window, micros. */
  revenue_micros: number
  /** revenue_micros / clicks, micros per click, rounded to an integer. */
  epc_micros: number
}

/**
 * Clicks, revenue and EPC per destination with at least one click in
 * `[sinceMs, untilMs)` (epoch ms, UTC), `sinceMs` rounded down to a quarter-hour. The caller
 * reads the time (from its clock): a query never does.
 * @param opts.workspaceIds only these workspaces (default: all).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function recentEpc(
  handle: ClickHouseHandle,
  opts: { sinceMs: number; untilMs: number; workspaceIds?: readonly string[] },
): Promise<RecentEpcRow[]> {
  const db = assertIdentifier(handle.database)
  const from = Math.floor(opts.sinceMs / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS
  const to = opts.untilMs
  const wsFilter = opts.workspaceIds ? ' AND workspace_id IN {ws:Array(String)}' : ''
  const since = `(SELECT argMax(since, set_at) FROM ${db}.rollup_state WHERE name = 'clicks')`
  const A = `least(greatest({from:DateTime64(3, 'UTC')}, ${since}), {to:DateTime64(3, 'UTC')})`
  const rs = await handle.client.query({
    query: `SELECT workspace_id, destination_id, sum(clicks) AS clicks, sum(revenue_micros) AS revenue_micros
      FROM (
        SELECT workspace_id, destination_id, toInt64(count()) AS clicks, toInt64(0) AS revenue_micros
        FROM ${db}.clicks WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < ${A}${wsFilter}
        GROUP BY workspace_id, destination_id
        UNION ALL
        SELECT workspace_id, destination_id, toInt64(sum(clicks)), toInt64(0)
        FROM ${db}.clicks_route_15m WHERE bucket >= ${A} AND bucket < {to:DateTime64(3, 'UTC')}${wsFilter}
        GROUP BY workspace_id, destination_id
        UNION ALL
        SELECT workspace_id, destination_id, toInt64(0), toInt64(sum(revenue_delta_micros))
        FROM ${db}.conversions WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}${wsFilter}
        GROUP BY workspace_id, destination_id
      )
      GROUP BY workspace_id, destination_id HAVING clicks > 0
      ORDER BY workspace_id, destination_id`,
    format: 'JSONEachRow',
    query_params: {
      from: chDateTime(from),
      to: chDateTime(to),
      ...(opts.workspaceIds ? { ws: [...opts.workspaceIds] } : {}),
    },
  })
  const rows = await rs.json<Record<string, string | number>>()
  return rows.map((r) => {
    const clicks = Number(r.clicks)
    const revenue = Number(r.revenue_micros)
    return {
      workspace_id: String(r.workspace_id),
      destination_id: String(r.destination_id),
      clicks,
      revenue_micros: revenue,
      epc_micros: Math.round(revenue / clicks) + 0,
    }
  })
}
