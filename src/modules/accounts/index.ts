/**
 * Public surface of the accounts module: users, workspaces, sessions, API keys, the first
 * admin. Other modules and the platform import from here only.
 */
export { apiGuard, credentialStillValid } from './accounts.guard.ts'
export { accountsRoutes } from './accounts.routes.ts'
export { createLoginLimiter, createMemoryLoginLimiter, type LoginLimiter } from './accounts.limiter.ts'
export { createMailer, type Mailer } from './accounts.mailer.ts'
// How a user acts in a workspace (owner/admin/member): other modules gate owner-only reads on it.
export { getWorkspaceAccess } from './accounts.members.ts'
export { userEmailsByIds } from './accounts.repository.ts'
export { bootstrapAdmin, SESSION_COOKIE } from './accounts.service.ts'
// users / workspace_members: billing matches a payer's email to their orders (read-only).
export { users, workspaceMembers, workspaceRef, workspaces } from './accounts.tables.ts'
// security_events: the audit module lists and prunes them (read and retention only).
export { securityEvents } from './accounts.tables.ts'
