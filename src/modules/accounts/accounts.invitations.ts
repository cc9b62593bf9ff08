/**
 * Invitations: the only way into a workspace (issue 13). An owner or admin invites an email
 * address with a role; the address gets a single-use link; the person signed in with that
 * address accepts (and becomes a member) or declines. Nobody is added without consent.
 *
 * The inviting side learns nothing about accounts: the invitation is stored and emailed the
 * same way whether or not the address has an account (a person without one signs up with
 * it, is approved, then accepts), so the answer and its timing are the same. The token is
 * 32 random bytes (base64url), stored as SHA-256 only, valid {@link INVITATION_TTL_MS}; it
 * travels in the link's fragment (`/invitations/accept#token=…`), which browsers never send
 * to a server. Without SMTP the link is written to the server log at info level, as for
 * password resets.
 */
import { randomBytes } from 'node:crypto'
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, forbidden, notFound } from '../../platform/errors.ts'
import { checkMemberChange } from './accounts.core.ts'
import type { Mailer } from './accounts.mailer.ts'
import { getWorkspaceAccess, recordMemberChange, withMembership } from './accounts.members.ts'
import {
  findMemberRole,
  findUserById,
  findWorkspace,
  type InvitationRow,
  type InvitationView,
  insertMember,
  isMemberEmail,
  listInvitationsOfWorkspace,
  listInvitationsToEmail,
  type MemberRole,
  takeInvitation,
  upsertInvitation,
} from './accounts.repository.ts'
import { normaliseEmail, sha256Hex } from './accounts.service.ts'

/** How long an invitation link works: 7 days, in milliseconds. */
export const INVITATION_TTL_MS = 7 * 24 * 3_600_000

/** The link an invitation email carries: `{publicUrl}/invitations/accept#token={token}`. */
export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl}/invitations/accept#token=${encodeURIComponent(token)}`
}

/** A new invitation and its raw token (only ever emailed or logged, never answered). */
export interface CreatedInvitation {
  invitation: InvitationView
  token: string
}

/**
 * Invites `email` to `workspaceId` as `admin` or `member`, replacing a pending invitation of
 * the same address (the old link stops working). Whether the address has an account is
 * neither checked nor told: the same row is stored either way.
 * @param now the current time; the invitation expires {@link INVITATION_TTL_MS} later.
 * @returns the invitation and its raw token, for {@link sendInvitation}.
 * @throws AppError 403 when the actor is not an owner/admin; 409 `already_member` when a
 *   member of this workspace has the address (the managers see the member list anyway).
 */
export async function createInvitation(
  db: Db,
  opts: { workspaceId: string; actorId: string; email: string; role: 'admin' | 'member' },
  now: Date,
): Promise<CreatedInvitation> {
  const email = normaliseEmail(opts.email)
  return withMembership(db, opts.workspaceId, opts.actorId, undefined, async (tx, c) => {
    // The actor's right first, so a plain member learns nothing.
    checkMemberChange({
      actorRole: c.actorRole,
      self: false,
      from: null,
      to: opts.role,
      ownerCount: c.owners,
    })
    if (await isMemberEmail(tx, opts.workspaceId, email))
      throw new AppError(409, 'already_member', 'someone with this email is already a member', [
        { path: 'email', message: 'already a member of this workspace' },
      ])
    const token = randomBytes(32).toString('base64url')
    const row = await upsertInvitation(tx, {
      workspaceId: opts.workspaceId,
      email,
      role: opts.role,
      invitedBy: opts.actorId,
      tokenHash: sha256Hex(token),
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      now,
    })
    const view = (await listInvitationsOfWorkspace(tx, opts.workspaceId)).find((i) => i.id === row.id)
    await recordInvitation(tx, 'create', undefined, row)
    return { invitation: view!, token }
  })
}

/** The logger calls {@link sendInvitation} makes (pino and Fastify's logger fit). */
export interface InvitationLog {
  info(obj: object, msg: string): void
}

/** Dependencies of {@link sendInvitation}. */
export interface InvitationMailDeps {
  /** SMTP mailer; undefined when `SMTP_URL` is unset (the link is logged instead). */
  mailer: Mailer | undefined
  log: InvitationLog
  /** Base URL of the admin UI without a trailing slash, e.g. `https://tds.example.com`. */
  publicUrl: string
}

/**
 * Emails the invitation link to the invited address (or logs it when there is no mailer).
 * @throws when the SMTP server refuses or is unreachable (the route runs this in the
 *   background and logs it; inviting again sends a new link).
 */
export async function sendInvitation(deps: InvitationMailDeps, created: CreatedInvitation): Promise<void> {
  const inv = created.invitation
  const link = invitationLink(deps.publicUrl, created.token)
  if (!deps.mailer) {
    deps.log.info(
      { email: inv.email, workspace_id: inv.workspaceId, invitation_link: link },
      'workspace invitation created; SMTP_URL is not set, so the link is logged instead of emailed',
    )
    return
  }
  const inviter = inv.inviterName
    ? `${inv.inviterName} (${inv.inviterEmail})`
    : (inv.inviterEmail ?? 'Someone')
  await deps.mailer.send({
    to: inv.email,
    subject: `You are invited to ${inv.workspaceName} on traffoflex`,
    text: [
      `${inviter} invited ${inv.email} to join the traffoflex workspace "${inv.workspaceName}" as ${inv.role}.`,
      '',
      'Open this link within 7 days to accept or decline (it works once):',
      link,
      '',
      'No account yet? Sign up with this email address; the link works once your account is approved.',
      'If you do not want to join, ignore this email: nothing changes until you accept.',
    ].join('\n'),
  })
}

/**
 * The invitations of a workspace, for its owners and admins (expired ones included, until
 * they are revoked or replaced), newest first.
 * @throws AppError 403 for plain members; 404 when the user may not act in the workspace.
 */
export async function listWorkspaceInvitations(
  db: Db,
  workspaceId: string,
  actorId: string,
): Promise<InvitationView[]> {
  await requireManager(db, workspaceId, actorId)
  return listInvitationsOfWorkspace(db, workspaceId)
}

/**
 * Revokes an invitation of the workspace: its link stops working.
 * @throws AppError 403 for plain members; 404 when there is no such invitation in this workspace.
 */
export async function revokeInvitation(
  db: Db,
  opts: { workspaceId: string; actorId: string; invitationId: string },
): Promise<void> {
  await requireManager(db, opts.workspaceId, opts.actorId)
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const gone = await takeInvitation(tx, { id: opts.invitationId, workspaceId: opts.workspaceId })
    if (!gone) throw notFound('invitation')
    await recordInvitation(tx, 'delete', gone, undefined)
  })
}

/**
 * Logs an invitation (`invitation`, id = its id, name = the invited email). A re-invitation
 * of the same address is logged as a create too (new token and expiry). The token hash is
 * left out (a secret, and meaningless to a reader).
 */
async function recordInvitation(
  tx: Db,
  action: 'create' | 'delete',
  before: InvitationRow | undefined,
  after: InvitationRow | undefined,
): Promise<void> {
  const inv = (after ?? before)!
  const view = (r: InvitationRow | undefined) =>
    r ? { email: r.email, role: r.role, invitedBy: r.invitedBy, expiresAt: r.expiresAt } : null
  await recordChange(tx, {
    workspaceId: inv.workspaceId,
    objectType: 'invitation',
    objectId: inv.id,
    objectName: inv.email,
    action,
    before: view(before),
    after: view(after),
  })
}

async function requireManager(db: Db, workspaceId: string, actorId: string): Promise<void> {
  const access = await getWorkspaceAccess(db, workspaceId, actorId)
  if (!access) throw notFound('workspace')
  if (access.role !== 'owner' && access.role !== 'admin')
    throw forbidden('only workspace owners and admins can manage invitations')
}

/** The unexpired invitations addressed to the email of `userId`, newest first. */
export async function listMyInvitations(db: Db, userId: string, now: Date): Promise<InvitationView[]> {
  const user = await findUserById(db, userId)
  return user ? listInvitationsToEmail(db, user.email, now) : []
}

/** The workspace an accepted invitation led into, and the role the user has there. */
export interface JoinedWorkspace {
  workspace: { id: string; name: string }
  role: MemberRole
}

/**
 * Answers an invitation as the signed-in user: `accept` adds them to the workspace with the
 * invited role (an existing membership is kept as it is), `decline` only drops the invitation.
 * Either way the invitation is used up, in one DELETE, so a token works once even under
 * concurrent requests; a refused use (wrong account, expired) leaves it in place.
 * @param by the raw token from the emailed link, or the invitation's id (from
 *   `GET /invitations`, which lists only the user's own).
 * @param userId the signed-in user (the invitation's address must be their email).
 * @param now the current time; an invitation with `expires_at <= now` is refused.
 * @returns for `accept`, the workspace joined; for `decline`, undefined.
 * @throws AppError 400 `invalid_token` (unknown or used token), 404 (no such invitation for
 *   this user, by id), 403 `wrong_account` (the token's invitation is for another email),
 *   410 `invitation_expired` (accept only; an expired one may still be declined).
 */
export async function answerInvitation(
  db: Db,
  answer: 'accept' | 'decline',
  by: { token: string } | { id: string },
  userId: string,
  now: Date,
): Promise<JoinedWorkspace | undefined> {
  const user = await findUserById(db, userId)
  if (!user) throw notFound('user')
  return db.transaction(async (tx) => {
    const inv: InvitationRow | undefined = await takeInvitation(
      tx,
      'token' in by ? { tokenHash: sha256Hex(by.token) } : { id: by.id },
    )
    const mine = inv?.email === user.email
    if (!inv || (!mine && 'id' in by)) {
      if ('id' in by) throw notFound('invitation')
      throw new AppError(400, 'invalid_token', 'the invitation link is invalid or was already used', [
        { path: 'token', message: 'invalid or already used' },
      ])
    }
    // Throwing rolls the DELETE back: the invitation stays for its addressee.
    if (!mine)
      throw new AppError(
        403,
        'wrong_account',
        'this invitation is for another email address; sign in with that address to accept it',
      )
    if (answer === 'decline') {
      await recordInvitation(tx, 'delete', inv, undefined)
      return undefined
    }
    if (inv.expiresAt.getTime() <= now.getTime())
      throw new AppError(410, 'invitation_expired', 'the invitation has expired; ask for a new one')
    const existing = await findMemberRole(tx, inv.workspaceId, user.id)
    await insertMember(tx, inv.workspaceId, user.id, inv.role)
    // A member who accepts keeps their membership as it is: nothing to log then.
    if (!existing)
      await recordMemberChange(tx, inv.workspaceId, 'create', undefined, {
        userId: user.id,
        email: user.email,
        role: inv.role,
      })
    // One connection per transaction: one query after another.
    const workspace = await findWorkspace(tx, inv.workspaceId)
    const role = await findMemberRole(tx, inv.workspaceId, user.id)
    return { workspace: { id: workspace!.id, name: workspace!.name }, role: role! }
  })
}
