/**
 * Public surface of the visitors module (the visitor engine, `README.md` beside it):
 * projects, ownership verification of their hosts, and the engine that makes labelled,
 * metered visits. Other modules and the platform import from here only.
 */
export { visitorProjects } from './visitors.tables.ts'
// Projects and ownership verification (visitors.routes.ts, visitors.settings.ts, visitors.verify*.ts).
export { visitorProjectRoutes, type VisitorProjectRoutesDeps } from './visitors.routes.ts'
export {
  DEFAULT_SPEED_RANGE,
  type EngineSettings,
  engineSettingsSchema,
  estimateDaily,
  parseEngineSettings,
  parseTimeOnPage,
  SETTINGS_MAX_BYTES,
  SETTINGS_MAX_DEPTH,
  type SpeedRange,
  visitsPerMinute,
} from './visitors.settings.ts'
export { deriveVerifyKey, type HostTarget, hostTargets } from './visitors.verify.core.ts'
export { checkHost, type RecheckResult, recheckHosts, type VerifyDeps } from './visitors.verify.ts'
// Results: stats and the ClickHouse report (README "Results and live pulse").
export { runStatsJson, visitorRunRoutes, type VisitorRunRoutesDeps } from './visitors.run.routes.ts'
// The engine (README "Engine").
export {
  createVisitorEngine,
  type EngineProject,
  groupCommitKey,
  holdReference,
  minimalEngineProject,
  type RecheckHosts,
  type RunStats,
  type VisitHit,
  type VisitorEngine,
  type VisitorEngineDeps,
} from './visitors.engine.ts'
export {
  createVisitHttp,
  type VisitHttp,
  type VisitHttpOptions,
  verifyVisitHeader,
  visitHeader,
  visitSignature,
  visitUaSuffix,
} from './visitors.http.ts'
// Geo: country per visit, egress per country (README "Engine", "Geo").
export { countryShares, type GeoTarget, missingEgress, pickCountry } from './visitors.geo.core.ts'
export { createEgress, type Egress } from './visitors.egress.ts'
export {
  browserErrorKind,
  CHROMIUM_ARGS,
  createVisitBrowser,
  deviceProfile,
  type ProcessTreeUsage,
  processTreeUsage,
  type VisitBrowser,
  type VisitBrowserOptions,
  type Visitor,
  type VisitorOutcome,
  type VisitorRequest,
} from './visitors.browser.ts'
export {
  checkEgressCountries,
  createVisitorRuntime,
  engineProjectOf,
  engineRecheck,
  type VisitorRuntimeDeps,
  visitSigningKeys,
} from './visitors.runtime.ts'
