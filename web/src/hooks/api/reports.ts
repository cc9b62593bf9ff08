/**
 * Report hooks over `GET /api/v1/reports/*` (see src/modules/analytics/REPORTS.md):
 * overview, series, breakdown, trafficback, and the CSV links of each.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api, apiUrl, type QueryParams } from '@/lib/api'
import type { ReportDimension, ReportMetrics } from '@/lib/report-meta'

/** The resolved range of an answer: UTC instants (`to` exclusive) and the zone. */
export interface ReportRangeOut {
  from: string
  to: string
  tz: string
}

/** `GET /reports/overview`. */
export interface Overview extends ReportMetrics {
  range: ReportRangeOut
  /** Trafficback requests; null when a filter names a dimension trafficback does not record. */
  trafficback: number | null
  /** Currencies of the conversions in range. */
  currencies: string[]
}

/** Currency to print money in: the conversions' one currency, else none (plain numbers). */
export function currencyOf(o: Overview | undefined): string | undefined {
  return o?.currencies.length === 1 ? o.currencies[0] : undefined
}

/** One bucket of `GET /reports/series`. */
export interface SeriesBucket extends ReportMetrics {
  /** Bucket start, ISO UTC. */
  start: string
  /** `YYYY-MM-DD`, or `YYYY-MM-DDTHH:00±HH:MM` for hours. */
  local: string
}

/** `GET /reports/series`. */
export interface Series {
  range: ReportRangeOut
  interval: 'day' | 'hour'
  buckets: SeriesBucket[]
}

/** One row of `GET /reports/breakdown`. */
export interface BreakdownRow extends ReportMetrics {
  key: string
  key2?: string
  /** Only when `by=campaign`. */
  trafficback?: number
  /** Lander metrics, only when grouped by lander: clicks sent to a lander first. */
  lander_visits?: number
  /** Unique clicks on landers' calls to action (one per visit). */
  lp_clicks?: number
  /** lp_clicks / lander_visits × 100, percent; null without visits. */
  lp_ctr?: number | null
}

/** `GET /reports/breakdown`. */
export interface Breakdown {
  range: ReportRangeOut
  by: ReportDimension[]
  rows: BreakdownRow[]
}

/** One row of `GET /reports/trafficback`. */
export interface TrafficbackRow {
  reason: string
  /** `url` | `campaign` | `none` (404) | `loop` (hop limit, 404) */
  target_type: string
  target: string
  requests: number
  bots: number
  campaigns: number
}

/** `GET /reports/trafficback`. */
export interface TrafficbackReport {
  range: ReportRangeOut
  rows: TrafficbackRow[]
}

/** Parameters every report takes. */
export interface ReportParams {
  /** `YYYY-MM-DD`, inclusive, in `tz`. */
  from: string
  to: string
  tz: string
  attribution?: 'conversion' | 'click'
  /** Filter parameter name (`campaign_id`, `country`, `sub1` …) → accepted values. */
  filters?: Record<string, string[]>
}

/** The query string of a report request. */
export function reportQuery(p: ReportParams, extra: QueryParams = {}): QueryParams {
  const q: QueryParams = { from: p.from, to: p.to, tz: p.tz }
  if (p.attribution && p.attribution !== 'conversion') q.attribution = p.attribution
  for (const [name, values] of Object.entries(p.filters ?? {})) if (values.length > 0) q[name] = values
  return { ...q, ...extra }
}

/** Link that downloads a report as CSV (same parameters, `format=csv`). */
export function reportCsvUrl(
  report: 'overview' | 'series' | 'breakdown' | 'trafficback',
  p: ReportParams,
  extra: QueryParams = {},
): string {
  return apiUrl(`/reports/${report}`, reportQuery(p, { ...extra, format: 'csv' }))
}

export const reportKeys = {
  all: ['reports'] as const,
  overview: (p: ReportParams) => ['reports', 'overview', p] as const,
  series: (p: ReportParams, interval: string) => ['reports', 'series', p, interval] as const,
  breakdown: (p: ReportParams, by: string, limit?: number) => ['reports', 'breakdown', p, by, limit] as const,
  trafficback: (p: ReportParams) => ['reports', 'trafficback', p] as const,
}

/**
 * Report figures change with every click and postback, so they are never fresh from the
 * cache: a report shown again (a page opened through the sidebar, a window refocused)
 * refetches at once, showing the figures it had meanwhile (not the app's 30 s default).
 */
const REPORT_STALE_MS = 0

/** Options shared by the report hooks. */
export interface ReportHookOptions {
  /** Poll every N ms (the dashboard counters use 15 000). */
  refetchInterval?: number
  enabled?: boolean
}

export function useOverview(p: ReportParams, opts: ReportHookOptions = {}) {
  return useQuery({
    queryKey: reportKeys.overview(p),
    queryFn: ({ signal }) => api.get<Overview>('/reports/overview', reportQuery(p), { signal }),
    placeholderData: keepPreviousData,
    staleTime: REPORT_STALE_MS,
    ...opts,
  })
}

export function useSeries(p: ReportParams, interval: 'day' | 'hour', opts: ReportHookOptions = {}) {
  return useQuery({
    queryKey: reportKeys.series(p, interval),
    queryFn: ({ signal }) => api.get<Series>('/reports/series', reportQuery(p, { interval }), { signal }),
    placeholderData: keepPreviousData,
    staleTime: REPORT_STALE_MS,
    ...opts,
  })
}

/** `by`: one dimension or two (`['campaign', 'country']`). */
export function useBreakdown(
  p: ReportParams,
  by: readonly ReportDimension[],
  opts: ReportHookOptions & { limit?: number } = {},
) {
  const { limit, ...rest } = opts
  const byParam = by.join(',')
  return useQuery({
    queryKey: reportKeys.breakdown(p, byParam, limit),
    queryFn: ({ signal }) =>
      api.get<Breakdown>('/reports/breakdown', reportQuery(p, { by: byParam, limit }), { signal }),
    placeholderData: keepPreviousData,
    staleTime: REPORT_STALE_MS,
    ...rest,
  })
}

export function useTrafficback(p: ReportParams, opts: ReportHookOptions = {}) {
  return useQuery({
    queryKey: reportKeys.trafficback(p),
    queryFn: ({ signal }) => api.get<TrafficbackReport>('/reports/trafficback', reportQuery(p), { signal }),
    placeholderData: keepPreviousData,
    staleTime: REPORT_STALE_MS,
    ...opts,
  })
}
