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
  type PipelineTestHooks,
} from './pipeline.ts'
export {
  BREAKDOWN_DIMENSIONS,
  type BreakdownDimension,
  breakdownQuerySchema,
  ingestionStatusQuerySchema,
  overviewQuerySchema,
  parseBreakdownQuery,
  parseOverviewQuery,
} from './analytics.schema.ts'
export { MAX_RANGE_DAYS, type ReportRange, resolveRange, canonicalTimeZone, localDate } from './range.ts'
export { overview, type OverviewResult } from './queries/overview.ts'
export { BREAKDOWN_LIMIT, breakdown, type BreakdownRow } from './queries/breakdown.ts'
export { type IngestionErrorRow, recentIngestionErrors } from './queries/ingestion-errors.ts'
export { analyticsRoutes, type AnalyticsRoutesDeps } from './analytics.routes.ts'
