/**
 * Public surface of the routing module: configuration API, the redirect runtime, route
 * preview, health checks and the first-run sample. Other modules import only from here.
 */
export { clickLogRoutes } from './clicks/clicks.routes.ts'
export { costUpdateRoutes } from './costs/costs.routes.ts'
export { entityNames } from './repository/entity-names.repository.ts'
export { clickIdTime, isClickId } from './core/click-id.ts'
export { type CompiledUrlTemplate, compileUrlTemplateWith, renderCompiledUrl } from './core/macros.ts'
export { healthRoutes } from './health/health.routes.ts'
export { createHealthChecker } from './health/health.service.ts'
export { createRoutingRuntime, type RoutingRuntime } from './hotpath/runtime.ts'
export { previewRoutes } from './preview/preview.routes.ts'
export {
  type AuthoritativeCounts,
  createSharedCounters,
  type LeaseStatus,
  type SharedCounters,
  type SharedCountersOptions,
  type SharedCountersStatus,
} from './shared/shared-counters.ts'
export { capCountsFromStore } from './shared/store-counts.ts'
export { routingApiRoutes } from './routing.routes.ts'
export {
  buildCampaignLink,
  type CampaignLink,
  catalogueTemplate,
  postbackMacros,
  SOURCE_PARAM_TARGETS,
  SOURCE_TEMPLATES,
  type SourceTemplate,
  sourceParamsSchema,
} from './source.templates.ts'
export { type ListStatsDeps, listStatsRoutes } from './lists/stats.routes.ts'
export { affiliateNetworks, campaigns, destinations, trafficSources } from './routing.tables.ts'
export { landingRoutes } from './sample/landing.routes.ts'
export { SAMPLE_ALIAS, seedSample } from './sample/sample.seed.ts'
