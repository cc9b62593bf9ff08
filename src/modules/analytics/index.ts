/**
 * Public surface of the `analytics` module: ClickHouse migrations, the crash-safe click
 * pipeline, report queries and their HTTP routes. Other modules import only from here.
 * See README.md in this folder for the rules and the schema.
 */
export { analyticsRoutes } from './analytics.routes.ts'
export { parseVisitReportQuery, visitReportQuerySchema } from './analytics.schema.ts'
export type { ClickEvent, PipelineEvent, TrafficbackEvent, VisitEvent } from './events.ts'
export { createLiveHub, type LiveHub, liveRoutes } from './live.ts'
export type { LiveHit, LiveVisitRate } from './live.types.ts'
export { createVisitPulse, type RunningVisitProject, type VisitPulse } from './live.visits.ts'
export { migrateClickHouse } from './migrate.ts'
export { createPipeline } from './pipeline.ts'
export type { Pipeline } from './pipeline.types.ts'
export { recentEpc } from './queries/recent-epc.ts'
// Per-row stats of the routing module's list pages: the breakdown engine and a from/to/tz range query.
export { type BreakdownRow, breakdown } from './queries/breakdown.ts'
export {
  parseVisitReportQuery as parseRangeQuery,
  visitReportQuerySchema as rangeQuerySchema,
} from './analytics.schema.ts'
export type { NetworkMap } from './report-sql.ts'
export type { ReportRange } from './range.ts'
export { type VisitReport, visitReport } from './queries/visit-report.ts'
export { backfillClickRollups } from './rollups.ts'
export { createVisitsWriter, type VisitRecord, type VisitsWriter, visitEventOf } from './visits.ts'
