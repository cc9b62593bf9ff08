/**
 * Public surface of the routing module: configuration API, the redirect runtime, route
 * preview, health checks and the first-run sample. Other modules import only from here.
 */
export { clickIdTime, isClickId } from './core/click-id.ts'
export { type CompiledUrlTemplate, compileUrlTemplateWith, renderCompiledUrl } from './core/macros.ts'
export { healthRoutes } from './health/health.routes.ts'
export { createHealthChecker } from './health/health.service.ts'
export { createRoutingRuntime, type RoutingRuntime } from './hotpath/runtime.ts'
export { previewRoutes } from './preview/preview.routes.ts'
export { routingApiRoutes } from './routing.routes.ts'
export { type ListStatsDeps, listStatsRoutes } from './lists/stats.routes.ts'
export { affiliateNetworks, campaigns, destinations, trafficSources } from './routing.tables.ts'
export { landingRoutes } from './sample/landing.routes.ts'
export { SAMPLE_ALIAS, seedSample } from './sample/sample.seed.ts'
