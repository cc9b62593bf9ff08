/**
 * Public surface of the pure routing core (no I/O, no clock, no randomness of its own).
 * See README.md in this folder for the rules and the routing semantics.
 */
export type { AntiRepeat } from './availability.ts'
export { dropReason } from './availability.ts'
export { CLICK_ID_LENGTH, clickIdTime, isClickId, newClickId } from './click-id.ts'
export type { CompiledConditions, CompiledGroup, CompiledRule } from './conditions.ts'
export {
  compileCondition,
  compileConditions,
  explainMismatch,
  MATCH_ALL,
  matchConditions,
} from './conditions.ts'
export { primaryLanguage, RequestEnv } from './env.ts'
export type { IpSet, ParsedIp } from './ip.ts'
export { compileIpSet, ipInSet, parseIp } from './ip.ts'
export type { CompiledSchedule, LocalTime } from './local-time.ts'
export { compileSchedule, inSchedule, isValidTimeZone, localTime } from './local-time.ts'
export type { CompiledUrlTemplate, MacroName, MacroValues } from './macros.ts'
export {
  compileUrlTemplate,
  compileUrlTemplateWith,
  MACRO_NAMES,
  renderCompiledUrl,
  renderUrl,
} from './macros.ts'
export type { RouteOptions } from './router.ts'
export { route, routeOffer } from './router.ts'
export type {
  CompiledCampaign,
  CompiledDestination,
  CompiledLander,
  CompiledLanderLink,
  CompiledLink,
  CompiledStream,
  Snapshot,
} from './snapshot.ts'
export { compareStreams, compileSnapshot, findCampaign } from './snapshot.ts'
export { HOP_PARAM, parseHops, trafficbackStep } from './trafficback.ts'
export type { Candidate, EpcSource, RandomSource, Selection, SelectionInput } from './strategies.ts'
export {
  MIN_EPC_CLICKS,
  pickBestRoi,
  pickRoundRobin,
  pickWaterfall,
  pickWeighted,
  selectDestination,
} from './strategies.ts'
