/**
 * Public surface of the `analytics` module: ClickHouse migrations, the crash-safe click
 * pipeline, report queries and their HTTP routes. Other modules import only from here.
 * See README.md in this folder for the rules and the schema.
 */
export { analyticsRoutes } from './analytics.routes.ts'
export type { ClickEvent, PipelineEvent, TrafficbackEvent } from './events.ts'
export { createLiveHub, liveRoutes } from './live.ts'
export { migrateClickHouse } from './migrate.ts'
export { createPipeline } from './pipeline.ts'
export type { Pipeline } from './pipeline.types.ts'
export { recentEpc } from './queries/recent-epc.ts'
export { backfillClickRollups } from './rollups.ts'
