/**
 * Public surface of the `analytics` module: ClickHouse migrations, the crash-safe click
 * pipeline, report queries and their HTTP routes. Other modules import only from here.
 * See README.md in this folder for the rules and the schema.
 */
export type { ClickEvent, PipelineEvent, TrafficbackEvent } from './events.ts'
export { type ClickHouseMigration, loadMigrations, MIGRATIONS_DIR, migrateClickHouse } from './migrate.ts'
export {
  createPipeline,
  type Pipeline,
  type PipelineError,
  type PipelineLogger,
  type PipelineOptions,
  type PipelineStats,
  type PipelineListener,
  type PipelineTestHooks,
} from './pipeline.ts'
export {
  createLiveHub,
  type LiveClick,
  type LiveEvent,
  type LiveHub,
  type LiveHubOptions,
  type LiveHubStats,
  liveRoutes,
  type LiveTrafficback,
} from './live.ts'
export {
  BREAKDOWN_DIMENSIONS,
  type BreakdownDimension,
  breakdownQuerySchema,
  ingestionStatusQuerySchema,
  MAX_FILTER_VALUES,
  overviewQuerySchema,
  parseBreakdownQuery,
  parseOverviewQuery,
  parseSeriesQuery,
  parseTrafficbackQuery,
  REPORT_FORMATS,
  type ReportFormat,
  type ReportQuery,
  seriesQuerySchema,
  trafficbackQuerySchema,
} from './analytics.schema.ts'
export {
  MAX_RANGE_DAYS,
  MAX_HOURLY_DAYS,
  type ReportRange,
  resolveRange,
  canonicalTimeZone,
  localDate,
  seriesBuckets,
  type SeriesBucket,
} from './range.ts'
export {
  type Attribution,
  CLICK_ROLLUPS,
  FILTER_PARAMS,
  type NetworkMap,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportFilters,
  type ReportOptions,
  type SeriesInterval,
} from './report-sql.ts'
export { finalizeMetrics, METRIC_COLUMNS, type MetricSums, type ReportMetrics } from './metrics.ts'
export { csvCell, csvLine, csvStream, type CsvValue } from './csv.ts'
export { overview, type OverviewResult } from './queries/overview.ts'
export { series, type SeriesPoint } from './queries/series.ts'
export { BREAKDOWN_LIMIT, BREAKDOWN_MAX_LIMIT, breakdown, type BreakdownRow } from './queries/breakdown.ts'
export {
  TRAFFICBACK_LIMIT,
  type TrafficbackFilters,
  trafficbackReport,
  type TrafficbackRow,
} from './queries/trafficback.ts'
export { recentEpc, type RecentEpcRow } from './queries/recent-epc.ts'
export { destinationNetworks } from './queries/destination-networks.ts'
export { type IngestionErrorRow, recentIngestionErrors } from './queries/ingestion-errors.ts'
export { analyticsRoutes, type AnalyticsRoutesDeps } from './analytics.routes.ts'
export { backfillClickRollups, clickRollupWatermark } from './rollups.ts'
