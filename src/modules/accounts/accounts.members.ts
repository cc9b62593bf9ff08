/**
 * Workspace membership: the current workspace and its members, adding existing users,
 * role changes, removal, the caller's workspaces and switching a session's workspace.
 * Who may do what is decided by {@link checkMemberChange}; every change runs in a
 * transaction that locks the workspace row, so the owner count it checks stays true.
 */
import type { Db } from '../../platform/db/client.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import { checkMemberChange } from './accounts.core.ts'
import {
  countOwners,
  deleteMember,
  findMemberRole,
  findUserByEmail,
  findWorkspace,
  insertMember,
  listMembers,
  listWorkspacesOf,
  lockWorkspace,
  type MemberRole,
  type MemberRow,
  setSessionWorkspace,
  updateMemberRole,
  type WorkspaceRow,
} from './accounts.repository.ts'
import { normaliseEmail, sha256Hex } from './accounts.service.ts'

/** A workspace with its members and the caller's role in it. */
export interface WorkspaceView {
  workspace: WorkspaceRow
  /** The caller's role in this workspace. */
  role: MemberRole
  members: MemberRow[]
}

/**
 * The workspace `workspaceId` as seen by member `userId`.
 * @throws AppError 404 when the workspace is gone or the user is not a member.
 */
export async function getWorkspaceView(db: Db, workspaceId: string, userId: string): Promise<WorkspaceView> {
  const [workspace, role, members] = await Promise.all([
    findWorkspace(db, workspaceId),
    findMemberRole(db, workspaceId, userId),
    listMembers(db, workspaceId),
  ])
  if (!workspace || !role) throw notFound('workspace')
  return { workspace, role, members }
}

// Runs `fn` in a transaction holding the workspace lock, with the actor's and target's roles
// and the owner count read under it.
async function withMembership<T>(
  db: Db,
  workspaceId: string,
  actorId: string,
  targetId: string | undefined,
  fn: (tx: Db, ctx: { actorRole?: MemberRole; targetRole?: MemberRole; owners: number }) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    if (!(await lockWorkspace(tx, workspaceId))) throw notFound('workspace')
    // One connection per transaction: these run one after another anyway.
    const actorRole = await findMemberRole(tx, workspaceId, actorId)
    const targetRole = targetId ? await findMemberRole(tx, workspaceId, targetId) : undefined
    const owners = await countOwners(tx, workspaceId)
    return fn(tx, {
      ...(actorRole ? { actorRole } : {}),
      ...(targetRole ? { targetRole } : {}),
      owners,
    })
  })
}

/**
 * Adds an existing, active user (by email) to the workspace as `admin` or `member`.
 * @returns the new member.
 * @throws AppError 403 when the actor is not an owner/admin; 404 `user_not_found` when no
 *   active user has the email (same answer for unknown, pending and suspended); 409
 *   `already_member`.
 */
export async function addMember(
  db: Db,
  opts: { workspaceId: string; actorId: string; email: string; role: 'admin' | 'member' },
): Promise<MemberRow> {
  const user = await findUserByEmail(db, normaliseEmail(opts.email))
  return withMembership(db, opts.workspaceId, opts.actorId, user?.id, async (tx, c) => {
    // Check the actor's right first, so a plain member learns nothing about other accounts.
    checkMemberChange({
      actorRole: c.actorRole,
      self: false,
      from: null,
      to: opts.role,
      ownerCount: c.owners,
    })
    if (user?.status !== 'active')
      throw new AppError(404, 'user_not_found', 'no active user with this email', [
        { path: 'email', message: 'no active user with this email' },
      ])
    if (c.targetRole) throw new AppError(409, 'already_member', 'this user is already a member')
    await insertMember(tx, opts.workspaceId, user.id, opts.role)
    const added = (await listMembers(tx, opts.workspaceId)).find((m) => m.userId === user.id)
    return added!
  })
}

/**
 * Changes a member's role (`owner` only by an owner; the last owner cannot be demoted).
 * @returns the member after the change.
 * @throws AppError 403, 404 when `userId` is not a member, 409 `last_owner`.
 */
export async function setMemberRole(
  db: Db,
  opts: { workspaceId: string; actorId: string; userId: string; role: MemberRole },
): Promise<MemberRow> {
  return withMembership(db, opts.workspaceId, opts.actorId, opts.userId, async (tx, c) => {
    if (!c.actorRole) throw forbidden('not a member of this workspace')
    if (!c.targetRole) throw notFound('member')
    checkMemberChange({
      actorRole: c.actorRole,
      self: opts.actorId === opts.userId,
      from: c.targetRole,
      to: opts.role,
      ownerCount: c.owners,
    })
    if (c.targetRole !== opts.role) await updateMemberRole(tx, opts.workspaceId, opts.userId, opts.role)
    return (await listMembers(tx, opts.workspaceId)).find((m) => m.userId === opts.userId)!
  })
}

/**
 * Removes a member (owners/admins remove others; anyone may leave). The removed user's
 * sessions and API keys in this workspace stop working at once (every request checks the
 * membership).
 * @throws AppError 403, 404 when `userId` is not a member, 409 `last_owner`.
 */
export async function removeMember(
  db: Db,
  opts: { workspaceId: string; actorId: string; userId: string },
): Promise<void> {
  await withMembership(db, opts.workspaceId, opts.actorId, opts.userId, async (tx, c) => {
    if (!c.actorRole) throw forbidden('not a member of this workspace')
    if (!c.targetRole) throw notFound('member')
    checkMemberChange({
      actorRole: c.actorRole,
      self: opts.actorId === opts.userId,
      from: c.targetRole,
      to: null,
      ownerCount: c.owners,
    })
    await deleteMember(tx, opts.workspaceId, opts.userId)
  })
}

/** The user's workspaces with their role in each, oldest membership first. */
export function listMyWorkspaces(
  db: Db,
  userId: string,
): Promise<{ id: string; name: string; role: MemberRole; createdAt: Date }[]> {
  return listWorkspacesOf(db, userId)
}

/**
 * Points the session with raw token `sessionToken` at another workspace of its user.
 * @returns the workspace and the user's role in it.
 * @throws AppError 404 when the user is not a member of `workspaceId` (or it does not exist).
 */
export async function switchWorkspace(
  db: Db,
  opts: { sessionToken: string; userId: string; workspaceId: string },
): Promise<{ workspace: WorkspaceRow; role: MemberRole }> {
  const [workspace, role] = await Promise.all([
    findWorkspace(db, opts.workspaceId),
    findMemberRole(db, opts.workspaceId, opts.userId),
  ])
  if (!workspace || !role) throw notFound('workspace')
  await setSessionWorkspace(db, sha256Hex(opts.sessionToken), workspace.id)
  return { workspace, role }
}
