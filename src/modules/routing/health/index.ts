/**
 * Public surface of destination health checks (part of the `routing` module). Other modules
 * and the app import from here only.
 */
export {
  type Health,
  type HealthState,
  type HealthStep,
  type HealthTransition,
  initialHealthState,
  isDue,
  judgeStatus,
  nextHealth,
  type ProbeOutcome,
  probeUrlFor,
} from './health.core.ts'
export {
  type HealthChange,
  type HealthEventRow,
  type HealthTarget,
  listHealthEvents,
} from './health.repository.ts'
export { healthCheckResultResponse, healthEventResponse, healthRoutes } from './health.routes.ts'
export {
  createHealthChecker,
  type HealthChecker,
  type HealthCheckerDeps,
  type ProbeReport,
} from './health.service.ts'
