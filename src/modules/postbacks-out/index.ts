/**
 * Public surface of the `postbacks-out` module: outbound postbacks to traffic sources —
 * the conversions outbox hook, delivery jobs with retries, the dead-letter list and its API.
 * Other modules import only from here. See README.md in this folder.
 */
export {
  type AttemptVerdict,
  classifyFailure,
  classifyStatus,
  compileOutboundTemplate,
  DEFAULT_RETRY_POLICY,
  delayAfterAttempt,
  type FailureKind,
  formatMicros,
  nextState,
  type OutboundChange,
  OUTBOUND_MACROS,
  type OutboundMacro,
  type OutboundMacroValues,
  outboundMacroValues,
  type RetryPolicy,
  redactUrl,
  renderOutboundUrl,
  retryOffsets,
  SECRET_PARAM_PATTERN,
} from './outbound.core.ts'
export {
  type AttemptRow,
  type OutboundRow,
  type OutboundState,
  undeliveredByState,
} from './outbound.repository.ts'
export { outboundJson, outboundPostbackRoutes, type OutboundRoutesDeps } from './outbound.routes.ts'
export { OUTBOUND_STATES } from './outbound.schema.ts'
export {
  changeOf,
  createOutboundPostbacks,
  DEAD_JOB,
  DELIVER_JOB,
  deliverKey,
  type OutboundJobs,
  OUTBOUND_USER_AGENT,
  type OutboundPostbacks,
  type OutboundPostbacksDeps,
  type OutboundStats,
  SWEEP_JOB,
} from './outbound.service.ts'
