/**
 * Security events (issue 18): sign-ins, failed sign-ins, 2FA changes, API key creation and
 * revocation — who, when, from which IP and browser. Written by the accounts module's flows;
 * listed per workspace (the audit module's page) and per user.
 */
import type { Db } from '../../platform/db/client.ts'
import { securityEvents } from './accounts.tables.ts'

/** Kinds of security event. */
export type SecurityEventKind =
  | 'sign_in'
  | 'sign_in_failed'
  | 'two_factor_failed'
  | 'two_factor_enabled'
  | 'two_factor_disabled'
  | 'recovery_code_used'
  | 'recovery_codes_regenerated'
  | 'trusted_device_added'
  | 'api_key_created'
  | 'api_key_updated'
  | 'api_key_revoked'
  | 'workspace_2fa_required'
  | 'workspace_2fa_optional'

/** One event to record (see {@link recordSecurityEvent}). */
export interface SecurityEventInput {
  kind: SecurityEventKind
  userId?: string | null
  workspaceId?: string | null
  /** The address tried when no user matched (failed sign-in), else the user's. */
  email?: string | null
  ip?: string | null
  userAgent?: string | null
  /** Small JSON facts (key id and prefix, scopes, reason); never a secret. */
  detail?: Record<string, unknown>
}

/**
 * Records one security event. Pass the transaction of the change when there is one (2FA
 * enabled, key created) so both commit together; sign-in attempts use the db directly.
 * @throws whatever the database throws.
 */
export async function recordSecurityEvent(db: Pick<Db, 'insert'>, e: SecurityEventInput): Promise<void> {
  await db.insert(securityEvents).values({
    kind: e.kind,
    userId: e.userId ?? null,
    workspaceId: e.workspaceId ?? null,
    email: e.email ?? null,
    ip: e.ip ?? null,
    userAgent: e.userAgent?.slice(0, 500) ?? null,
    detail: e.detail ?? {},
  })
}
