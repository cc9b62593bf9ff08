/**
 * Pure account rules (no I/O): who acts with which role in a workspace, who may change which
 * workspace membership, and which account-status transitions an admin may make. The service
 * loads the facts, asks these functions, and performs what they allow. Refusals are thrown
 * as {@link AppError}s.
 */
import { AppError, forbidden } from '../../platform/errors.ts'
import type { MemberRole, UserStatus } from './accounts.repository.ts'

/** A membership change: add (`from` null), role change, or removal (`to` null). */
export interface MemberChange {
  /** The acting user's role in the workspace (undefined when not a member). */
  actorRole: MemberRole | undefined
  /** True when the actor changes their own membership. */
  self: boolean
  /** The target's current role; null when the target is not a member yet (an add). */
  from: MemberRole | null
  /** The target's new role; null for a removal. */
  to: MemberRole | null
  /** Owners the workspace has now (before the change). */
  ownerCount: number
}

/**
 * Checks a membership change against the workspace rules:
 * - owners and admins manage members; a member may only remove themselves (leave);
 * - only an owner may grant the owner role or change/remove an owner;
 * - the last owner can be neither demoted nor removed (a workspace always has an owner).
 * @throws AppError 403 `forbidden` when the actor may not do it, 409 `last_owner` when it
 *   would leave the workspace without an owner.
 */
export function checkMemberChange(c: MemberChange): void {
  const leaving = c.self && c.to === null
  const manager = c.actorRole === 'owner' || c.actorRole === 'admin'
  if (!manager && !leaving) throw forbidden('only workspace owners and admins can manage members')
  const touchesOwner = c.from === 'owner' || c.to === 'owner'
  if (touchesOwner && c.actorRole !== 'owner' && !leaving)
    throw forbidden('only a workspace owner can grant, change or remove the owner role')
  if (c.from === 'owner' && c.to !== 'owner' && c.ownerCount <= 1)
    throw new AppError(409, 'last_owner', 'a workspace must keep at least one owner')
}

/** How a user acts in a workspace: with their membership role, or in "admin view". */
export interface WorkspaceAccess {
  /** The role the user acts with (`owner` in admin view). */
  role: MemberRole
  /** False in admin view: a platform admin acting in a workspace they are not a member of. */
  member: boolean
}

/**
 * The role a user acts with in a workspace ("admins see all"): a member acts with their
 * membership role; a platform admin who is not a member acts as an owner would (admin view),
 * so they can inspect and fix any workspace; anyone else has no access.
 * @param memberRole the user's membership role there, undefined when not a member.
 * @param globalRole the user's global role.
 * @returns undefined when the user may not act in the workspace.
 */
export function workspaceAccess(
  memberRole: MemberRole | undefined,
  globalRole: 'user' | 'admin',
): WorkspaceAccess | undefined {
  if (memberRole) return { role: memberRole, member: true }
  return globalRole === 'admin' ? { role: 'owner', member: false } : undefined
}

/** What an admin does to an account. */
export type StatusAction = 'approve' | 'suspend' | 'reactivate'

/** Outcome of {@link nextStatus}: the new status, and whether approval is stamped now. */
export interface StatusTransition {
  status: UserStatus
  /** False when the account already had the target status (idempotent no-op). */
  changed: boolean
  /** True when this transition approves the account (sets `approved_at/by` if unset). */
  approves: boolean
  /** True when the user's sessions must be ended (suspension). */
  endSessions: boolean
}

/**
 * The status an admin action leads to:
 * - approve: pending → active; active stays active; suspended → 409 (use reactivate);
 * - suspend: pending|active → suspended (sessions end); never one's own account (409);
 * - reactivate: suspended → active; active stays active; pending → 409 (use approve).
 * @throws AppError 409 `conflict` for the refused transitions, 409 `cannot_suspend_self`.
 */
export function nextStatus(action: StatusAction, current: UserStatus, self: boolean): StatusTransition {
  const same = (status: UserStatus): StatusTransition => ({
    status,
    changed: false,
    approves: false,
    endSessions: false,
  })
  switch (action) {
    case 'approve':
      if (current === 'suspended')
        throw new AppError(409, 'conflict', 'the account is suspended; reactivate it instead')
      if (current === 'active') return same('active')
      return { status: 'active', changed: true, approves: true, endSessions: false }
    case 'suspend':
      if (self) throw new AppError(409, 'cannot_suspend_self', 'you cannot suspend your own account')
      if (current === 'suspended') return { ...same('suspended'), endSessions: true }
      return { status: 'suspended', changed: true, approves: false, endSessions: true }
    case 'reactivate':
      if (current === 'pending')
        throw new AppError(409, 'conflict', 'the account was never approved; approve it instead')
      if (current === 'active') return same('active')
      // A user created suspended was never approved; reactivating them approves them.
      return { status: 'active', changed: true, approves: true, endSessions: false }
  }
}

// CLDR region codes that Intl.DisplayNames names although they are not ISO 3166-1 countries
// (UK is only "exceptionally reserved"; the United Kingdom's code is GB).
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'UK'])
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })

/** True for an assigned ISO 3166-1 alpha-2 code (upper case, e.g. "DE"); uses the runtime's ICU data. */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false
  return regionNames.of(code) !== undefined
}
