/**
 * Public surface of the `conversions` module: inbound postbacks, conversion rules, the
 * postback log, the click lookup (pipeline queue, then ClickHouse) and the exactly-once
 * outbox into ClickHouse.
 * Other modules import only from here. See README.md in this folder.
 */
export {
  type ClickInfo,
  CLICK_LOOKUP_WINDOW_MS,
  findClickInClickHouse,
  NO_RECENT_CLICKS,
  type RecentClickSource,
  recentClicksOf,
  type RecentClicks,
} from './click.lookup.ts'
export {
  ALLOWED_TRANSITIONS,
  canTransition,
  CONVERSION_STATUSES,
  type ConversionEvent,
  type ConversionState,
  type ConversionStatus,
  type DecideDefaults,
  type Decision,
  decide,
  type NormalizedPostback,
  OUTCOME_HTTP_STATUS,
  POSTBACK_OUTCOMES,
  type PostbackOutcome,
  SUB_KEYS,
  type SubKey,
  type LiveConversion,
} from './conversions.core.ts'
export {
  type ConversionsApiDeps,
  conversionsApiRoutes,
} from './conversions.routes.ts'
export {
  POSTBACK_TEMPLATES,
  type PostbackParams,
  type PostbackTemplate,
  postbackParamsSchema,
  postbackSettingsInput,
  type StatusMap,
  statusMapSchema,
} from './conversions.schema.ts'
export {
  type AcceptedConversionChange,
  type ConversionLivePublisher,
  type ConversionOutbox,
  type ConversionsService,
  type ConversionsServiceDeps,
  type ConversionsStats,
  createConversionsService,
  type InboundPostback,
  liveConversion,
  type PostbackResult,
} from './conversions.service.ts'
export { batchToken, type SyncResult, type SyncStats } from './conversions.sync.ts'
export {
  type ConversionRow,
  pendingEventCount,
  resetSync as resetConversionSync,
} from './conversions.repository.ts'
export {
  compileAllowlist,
  type IpAllowlist,
  redactSecrets,
  SECRET_HEADERS,
  SECRET_PARAMS,
  secretMatches,
} from './network.auth.ts'
export {
  DEFAULT_STATUS_MAP,
  effectiveParams,
  MAX_PAYOUT_UNITS,
  mapStatus,
  NETWORK_PARAM,
  parsePayoutMicros,
  parsePostback,
  type PostbackSettings,
  postbackFields,
  postbackUrlFor,
  TEMPLATE_PRESETS,
} from './postback.parse.ts'
export {
  POSTBACK_LOG_RETENTION_JOB,
  type PostbackLogRetentionOptions,
  type PruneResult,
  prunePostbackLog,
  registerPostbackLogRetention,
} from './postback-log.retention.ts'
export { POSTBACK_BODY_LIMIT, postbackRoutes, type PostbackRoutesDeps } from './postback.routes.ts'
