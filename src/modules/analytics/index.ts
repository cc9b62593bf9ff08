/**
 * Public surface of the `analytics` module: ClickHouse migrations, the crash-safe click
 * pipeline, report queries and their HTTP routes. Other modules import only from here.
 * See README.md in this folder for the rules and the schema.
 */
export { analyticsRoutes } from './analytics.routes.ts'
export { reportPresetRoutes } from './presets.routes.ts'
export { parseVisitReportQuery, visitReportQuerySchema } from './analytics.schema.ts'
export type { ClickEvent, LanderClickEvent, PipelineEvent, TrafficbackEvent, VisitEvent } from './events.ts'
export { createLiveHub, type LiveHub, liveRoutes } from './live.ts'
export type { LiveHit, LiveVisitRate } from './live.types.ts'
export { createVisitPulse, type RunningVisitProject, type VisitPulse } from './live.visits.ts'
export { migrateClickHouse } from './migrate.ts'
export { createPipeline } from './pipeline.ts'
export type { EventSink, Pipeline, TableLines } from './pipeline.types.ts'
export { createClickHouseSink } from './sink.clickhouse.ts'
// Event log (scale-out, README "Event log"): traffic nodes publish, workers insert.
export {
  createNatsEventConsumer,
  createNatsEventSink,
  ensureNatsStream,
  type NatsEventConsumerOptions,
  type NatsEventSinkOptions,
} from './eventlog/eventlog.nats.ts'
export {
  createKafkaEventConsumer,
  createKafkaEventSink,
  type KafkaEventConsumerOptions,
  type KafkaEventSinkOptions,
  kafkaBrokers,
} from './eventlog/eventlog.kafka.ts'
export type {
  EventLogConsumer,
  EventLogConsumerStats,
  EventLogSink,
  EventLogSinkStats,
} from './eventlog/eventlog.types.ts'
export { recentEpc } from './queries/recent-epc.ts'
export { CLICK_LOOKUP_SLACK_MS, clickDetail } from './queries/click-detail.ts'
export {
  CLICK_CSV_MAX_ROWS,
  CLICK_SEARCH_MAX_DAYS,
  CLICK_SEARCH_MAX_LIMIT,
  CLICK_VALUE_FILTERS,
  type ClickCursor,
  type ClickLogRow,
  type ClickSearchFilters,
  type ClickValueFilter,
  iterateClicks,
  searchClicks,
} from './queries/click-search.ts'
export { type LanderClickRow, landerClicksOf } from './queries/lander-clicks.ts'
export { csvLine, type CsvValue } from './csv.ts'
export { canonicalTimeZone, localDate, parseBound, resolveRange } from './range.ts'
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
export {
  applyCostUpdate,
  COST_SUB_KEYS,
  type CostScope,
  type CostScopeStats,
  type CostSubKey,
  type CostUpdateResult,
  costScopeStats,
  revertCostUpdate,
} from './queries/cost-adjust.ts'
