/**
 * Public surface of the `conversions` module: inbound postbacks, conversion rules, the
 * postback log, the click lookup (pipeline queue, then ClickHouse) and the exactly-once
 * outbox into ClickHouse.
 * Other modules import only from here. See README.md in this folder.
 */
export { recentClicksOf } from './click.lookup.ts'
export {
  createSharedClickCache,
  type SharedClickCache,
  type SharedClickCacheStats,
} from './click.shared-cache.ts'
export { pendingEventCount } from './conversions.repository.ts'
export { conversionsApiRoutes } from './conversions.routes.ts'
export {
  type AcceptedConversionChange,
  type ConversionOutbox,
  createConversionsService,
} from './conversions.service.ts'
export { conversionEvents, conversions } from './conversions.tables.ts'
export { postbackLogRetentionHandlers, registerPostbackLogRetention } from './postback-log.retention.ts'
export { createPostbackHttpHandler, isPostbackUrl, postbackRoutes } from './postback.routes.ts'
