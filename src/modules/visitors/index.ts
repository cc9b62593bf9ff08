/**
 * Public surface of the visitors module (the visitor engine, `README.md` beside it):
 * projects, ownership verification of their hosts, and the engine that makes labelled,
 * metered visits. Other modules and the platform import from here only.
 */
export { visitorProjects } from './visitors.tables.ts'
// The engine (README "Engine").
export {
  createVisitorEngine,
  type EngineProject,
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
