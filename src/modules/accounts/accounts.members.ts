/**
 * Workspace membership: the current workspace and its members, role changes, removal, the
 * caller's workspaces and switching a session's workspace. Members join only by accepting an
 * invitation (`accounts.invitations.ts`). Who may do what is decided by {@link checkMemberChange}; every change runs in a
 * transaction that locks the workspace row, so the owner count it checks stays true.
 * The role a user acts with comes from {@link workspaceAccess}: a platform admin who is not
 * a member acts as an owner ("admin view").
 */
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import { forbidden, notFound } from '../../platform/errors.ts'
import { checkMemberChange, type WorkspaceAccess, workspaceAccess } from './accounts.core.ts'
import {
  countOwners,
  deleteMember,
  findAccessFacts,
  findMemberRole,
  findWorkspace,
  listAllWorkspacesFor,
  listMembers,
  listWorkspacesOf,
  lockWorkspace,
  type MemberRole,
  type MemberRow,
  setSessionWorkspace,
  updateMemberRole,
  type WorkspaceRow,
} from './accounts.repository.ts'
import { sha256Hex } from './accounts.service.ts'

/**
 * How `userId` may act in `workspaceId` (see {@link workspaceAccess}); undefined when they
 * may not (neither a member nor a platform admin, or the user is gone). Does not check that
 * the workspace exists.
 */
export async function getWorkspaceAccess(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<WorkspaceAccess | undefined> {
  const facts = await findAccessFacts(db, workspaceId, userId)
  return facts && workspaceAccess(facts.memberRole, facts.globalRole)
}

/** A workspace with its members and the caller's role in it. */
export interface WorkspaceView {
  workspace: WorkspaceRow
  /** The caller's role in this workspace (`owner` in admin view). */
  role: MemberRole
  /** False in admin view (a platform admin who is not a member). */
  member: boolean
  members: MemberRow[]
}

/**
 * The workspace `workspaceId` as seen by `userId` (a member, or a platform admin).
 * @throws AppError 404 when the workspace is gone or the user may not act in it.
 */
export async function getWorkspaceView(db: Db, workspaceId: string, userId: string): Promise<WorkspaceView> {
  const [workspace, access, members] = await Promise.all([
    findWorkspace(db, workspaceId),
    getWorkspaceAccess(db, workspaceId, userId),
    listMembers(db, workspaceId),
  ])
  if (!workspace || !access) throw notFound('workspace')
  return { workspace, ...access, members }
}

/**
 * Runs `fn` in a transaction holding the workspace lock, with the actor's role (its access:
 * membership, or owner in admin view), the target's membership role and the owner count
 * read under it.
 * @throws AppError 404 when the workspace is gone.
 */
export async function withMembership<T>(
  db: Db,
  workspaceId: string,
  actorId: string,
  targetId: string | undefined,
  fn: (tx: Db, ctx: { actorRole?: MemberRole; targetRole?: MemberRole; owners: number }) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    if (!(await lockWorkspace(tx, workspaceId))) throw notFound('workspace')
    // One connection per transaction: these run one after another anyway.
    const actorRole = (await getWorkspaceAccess(tx, workspaceId, actorId))?.role
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
    const before = (await listMembers(tx, opts.workspaceId)).find((m) => m.userId === opts.userId)!
    if (c.targetRole === opts.role) return before
    await updateMemberRole(tx, opts.workspaceId, opts.userId, opts.role)
    const after = (await listMembers(tx, opts.workspaceId)).find((m) => m.userId === opts.userId)!
    await recordMemberChange(tx, opts.workspaceId, 'update', before, after)
    return after
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
    const before = (await listMembers(tx, opts.workspaceId)).find((m) => m.userId === opts.userId)
    await deleteMember(tx, opts.workspaceId, opts.userId)
    if (before) await recordMemberChange(tx, opts.workspaceId, 'delete', before, undefined)
  })
}

/**
 * Logs a membership change (`member`, id = the user's id, name = their email): the role and
 * email, not the user's profile.
 */
export async function recordMemberChange(
  tx: Db,
  workspaceId: string,
  action: 'create' | 'update' | 'delete',
  before: Pick<MemberRow, 'userId' | 'email' | 'role'> | undefined,
  after: Pick<MemberRow, 'userId' | 'email' | 'role'> | undefined,
): Promise<void> {
  const m = (after ?? before)!
  const view = (r: typeof before) => (r ? { email: r.email, role: r.role } : null)
  await recordChange(tx, {
    workspaceId,
    objectType: 'member',
    objectId: m.userId,
    objectName: m.email,
    action,
    before: view(before),
    after: view(after),
  })
}

/** A workspace the user may switch to, with the role they would act with there. */
export interface SwitchableWorkspace {
  id: string
  name: string
  /** The membership role, or `owner` in admin view. */
  role: MemberRole
  /** False for a workspace a platform admin sees without being a member (admin view). */
  member: boolean
}

/**
 * The workspaces `userId` may act in: their memberships (oldest first) and, for a platform
 * admin (`globalRole` `admin`), every other workspace after them by name in admin view.
 */
export async function listMyWorkspaces(
  db: Db,
  userId: string,
  globalRole: 'user' | 'admin',
): Promise<SwitchableWorkspace[]> {
  if (globalRole !== 'admin')
    return (await listWorkspacesOf(db, userId)).map((w) => ({
      id: w.id,
      name: w.name,
      role: w.role,
      member: true,
    }))
  return (await listAllWorkspacesFor(db, userId)).map((w) => ({
    id: w.id,
    name: w.name,
    ...workspaceAccess(w.role ?? undefined, 'admin')!,
  }))
}

/**
 * Points the session with raw token `sessionToken` at another workspace its user may act in
 * (a membership, or any workspace for a platform admin).
 * @returns the workspace and how the user acts in it.
 * @throws AppError 404 when the workspace does not exist or the user may not act in it
 *   (the session is unchanged).
 */
export async function switchWorkspace(
  db: Db,
  opts: { sessionToken: string; userId: string; workspaceId: string },
): Promise<{ workspace: WorkspaceRow } & WorkspaceAccess> {
  const [workspace, access] = await Promise.all([
    findWorkspace(db, opts.workspaceId),
    getWorkspaceAccess(db, opts.workspaceId, opts.userId),
  ])
  if (!workspace || !access) throw notFound('workspace')
  await setSessionWorkspace(db, sha256Hex(opts.sessionToken), workspace.id)
  return { workspace, ...access }
}
