/**
 * Public surface of the `postbacks-out` module: outbound postbacks to traffic sources —
 * the conversions outbox hook, delivery jobs with retries, the dead-letter list and its API.
 * Other modules import only from here. See README.md in this folder.
 */
export { undeliveredByState } from './outbound.repository.ts'
export { outboundPostbackRoutes } from './outbound.routes.ts'
export { createOutboundPostbacks } from './outbound.service.ts'
