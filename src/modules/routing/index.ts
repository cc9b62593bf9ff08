/**
 * Public surface of the routing module: configuration API, the redirect runtime, route
 * preview, health checks and the first-run sample. Other modules import only from here.
 */
export * from './routing.api.ts'
export {
  clickIdTime,
  type CompiledUrlTemplate,
  compileUrlTemplateWith,
  isClickId,
  renderCompiledUrl,
} from './core/index.ts'
export { createRoutingRuntime, type RemainingClicks, type RoutingRuntime } from './hotpath/runtime.ts'
export { previewRoutes } from './preview/preview.routes.ts'
export { createHealthChecker, healthRoutes, type HealthChecker } from './health/index.ts'
export { landingRoutes } from './sample/landing.routes.ts'
export { SAMPLE_ALIAS, seedSample } from './sample/sample.seed.ts'
export type { ConfigRows, Decision, RequestContext } from './routing.types.ts'
