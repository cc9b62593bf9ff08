/**
 * Public surface of the audit module: the change log and security events API (browse, CSV)
 * and their retention job. Recording is done by every module itself, in the change's own
 * transaction (src/platform/changelog; security events: the accounts module).
 */
export { auditRoutes } from './audit.routes.ts'
export { type AuditPruneResult, auditRetentionHandlers, pruneAudit } from './audit.retention.ts'
