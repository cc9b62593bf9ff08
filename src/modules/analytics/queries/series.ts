/**
 * Time-series report: one workspace's figures per local day or hour of the report's zone,
 * every bucket of the range present (zero-filled), oldest first. Clicks are bucketed by
 * click time, conversions by conversion time (or click time with `attribution: 'click'`).
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { emptySums, finalizeMetrics, type MetricSums, type ReportMetrics, sumsOf } from '../metrics.ts'
import { assertIdentifier } from '../migrate.ts'
import { bucketLabel, type ReportRange, seriesBuckets } from '../range.ts'
import { buildReportSql, needsNetworks, type ReportOptions, type SeriesInterval } from '../report-sql.ts'
import { destinationNetworks } from './destination-networks.ts'

/** One bucket of {@link series}. */
export interface SeriesPoint extends ReportMetrics {
  /** Bucket start, ISO instant (UTC). */
  start: string
  /** Local label: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:00±HH:MM` for hours. */
  local: string
}

/**
 * Figures of `workspaceId` per `interval` over `[range.fromMs, range.toMs)` in `range.tz`.
 * The first bucket is the one holding `range.fromMs` (it may start earlier when `from` is
 * a date-time; only data inside the range is counted).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function series(
  handle: ClickHouseHandle,
  workspaceId: string,
  interval: SeriesInterval,
  range: ReportRange,
  opts: ReportOptions = {},
): Promise<SeriesPoint[]> {
  const db = assertIdentifier(handle.database)
  const networks =
    opts.networks ??
    (needsNetworks({ filters: opts.filters }) ? await destinationNetworks(handle, workspaceId) : undefined)
  const sql = buildReportSql(db, { workspaceId, range, ...opts, networks, interval, orderBy: 'period ASC' })
  const rs = await handle.client.query({ query: sql.query, format: 'JSONEachRow', query_params: sql.params })
  const bySecond = new Map<number, MetricSums>()
  for (const r of await rs.json<Record<string, unknown>>()) bySecond.set(Number(r.period), sumsOf(r))
  const points = seriesBuckets(range, interval).map((b) => ({ startMs: b.startMs, local: b.local }))
  const listed = new Set(points.map((p) => p.startMs))
  // Buckets ClickHouse saw that the generator did not list (zones with 30-minute DST).
  for (const sec of bySecond.keys()) {
    if (!listed.has(sec * 1000))
      points.push({ startMs: sec * 1000, local: bucketLabel(sec * 1000, range.tz, interval) })
  }
  points.sort((a, b) => a.startMs - b.startMs)
  return points.map((p) => ({
    start: new Date(p.startMs).toISOString(),
    local: p.local,
    ...finalizeMetrics(bySecond.get(p.startMs / 1000) ?? emptySums()),
  }))
}
