/**
 * SQL for accounts: workspaces, users, memberships, sessions and API keys.
 *
 * Plain data access only — no hashing, no policy. Token and key *hashes* come in from the
 * service; nothing here ever sees a raw session token or API key.
 */
import {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  ilike,
  inArray,
  isNotNull,
  isNull,
  lt,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import {
  apiKeys,
  loginChallenges,
  passwordResetTokens,
  sessions,
  trustedDevices,
  users,
  workspaceInvitations,
  workspaceMembers,
  workspaces,
} from './accounts.tables.ts'

/** A workspace row. */
export type WorkspaceRow = typeof workspaces.$inferSelect
/** A user row, including the argon2id `passwordHash` (never send it to a client). */
export type UserRow = typeof users.$inferSelect
/** An API key row (`keyHash` is the SHA-256 hex of the full key). */
export type ApiKeyRow = typeof apiKeys.$inferSelect
/** Global account status. */
export type UserStatus = UserRow['status']
/** Role inside a workspace. */
export type MemberRole = (typeof workspaceMembers.$inferSelect)['role']
/** The editable profile columns of a user (null = not given). */
export type ProfileFields = Pick<
  UserRow,
  'name' | 'phone' | 'company' | 'vatId' | 'address' | 'city' | 'country'
>

/** What an authenticated principal resolves to: the user and the workspace it acts in. */
export interface Principal {
  userId: string
  email: string
  role: 'user' | 'admin'
  status: 'pending' | 'active' | 'suspended'
  workspaceId: string
}

/** Inserts a workspace; returns the row. */
export async function insertWorkspace(db: Db, name: string): Promise<WorkspaceRow> {
  const [row] = await db.insert(workspaces).values({ name }).returning()
  return row!
}

/** The workspace with this id, or undefined. */
export async function findWorkspace(db: Db, id: string): Promise<WorkspaceRow | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id))
  return row
}

/**
 * Inserts a user. `email` must already be normalised (trimmed, lower case) and
 * `passwordHash` an argon2id PHC string. Throws the driver's unique violation on a taken email.
 */
export async function insertUser(
  db: Db,
  values: {
    email: string
    passwordHash: string
    role: 'user' | 'admin'
    status: 'pending' | 'active' | 'suspended'
  } & Partial<ProfileFields>,
): Promise<UserRow> {
  const [row] = await db.insert(users).values(values).returning()
  return row!
}

/** The user with this (normalised) email, or undefined. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email))
  return row
}

/** The user with this id, or undefined. */
export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id))
  return row
}

/**
 * Emails of users by ID (other modules show whose row it is: billing's affiliate lists and
 * payout exports). Unknown IDs are absent from the map.
 */
export async function userEmailsByIds(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(inArray(users.id, [...new Set(ids)]))
  return new Map(rows.map((r) => [r.id, r.email]))
}

/** Sets a user's status (approval / suspension). */
export async function setUserStatus(
  db: Db,
  id: string,
  status: 'pending' | 'active' | 'suspended',
): Promise<void> {
  await db.update(users).set({ status }).where(eq(users.id, id))
}

/** Number of users (0 on a fresh install). */
export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users)
  return Number(row?.n ?? 0)
}

/** Adds `userId` to `workspaceId` with `role` (no-op when already a member). */
export async function insertMember(
  db: Db,
  workspaceId: string,
  userId: string,
  role: 'owner' | 'admin' | 'member',
): Promise<void> {
  await db.insert(workspaceMembers).values({ workspaceId, userId, role }).onConflictDoNothing()
}

/** The user's first (oldest) workspace membership, or undefined when it has none. */
export async function firstWorkspaceOf(db: Db, userId: string): Promise<WorkspaceRow | undefined> {
  const [row] = await db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      createdAt: workspaces.createdAt,
      require2fa: workspaces.require2fa,
    })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(eq(workspaceMembers.userId, userId))
    .orderBy(asc(workspaceMembers.createdAt), asc(workspaces.id))
    .limit(1)
  return row
}

/** Stores a session by the SHA-256 hex of its token. */
export async function insertSession(
  db: Db,
  values: { tokenHash: string; userId: string; workspaceId: string; expiresAt: Date },
): Promise<void> {
  await db.insert(sessions).values(values)
}

/**
 * Resolves a session token hash to its principal when the session has not expired at `now`
 * and the user is still a member of the session's workspace or is a platform admin (who may
 * act in any workspace: "admin view"); undefined otherwise. Checked on every request, so a
 * removed membership or a lost admin role ends access at once.
 */
export async function findSessionPrincipal(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<Principal | undefined> {
  const [row] = await db
    .select({
      userId: users.id,
      email: users.email,
      role: users.role,
      status: users.status,
      workspaceId: sessions.workspaceId,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(
      workspaceMembers,
      and(
        eq(workspaceMembers.userId, sessions.userId),
        eq(workspaceMembers.workspaceId, sessions.workspaceId),
      ),
    )
    .where(
      and(
        eq(sessions.tokenHash, tokenHash),
        gt(sessions.expiresAt, now),
        or(isNotNull(workspaceMembers.userId), eq(users.role, 'admin')),
      ),
    )
  return row
}

/** Deletes one session (logout). */
export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash))
}

/** Deletes a user's sessions, sign-in challenges and remembered devices that expired before `now` (housekeeping on login). */
export async function deleteExpiredSessions(db: Db, userId: string, now: Date): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, now)))
  // The 2FA leftovers of the same user: sign-in challenges (5 min) and remembered devices
  // past their expiry are refused already; this only keeps the tables from growing.
  await db
    .delete(loginChallenges)
    .where(and(eq(loginChallenges.userId, userId), lt(loginChallenges.expiresAt, now)))
  await db
    .delete(trustedDevices)
    .where(and(eq(trustedDevices.userId, userId), lt(trustedDevices.expiresAt, now)))
}

/** Stores an API key by its SHA-256 hex; returns the row. */
export async function insertApiKey(
  db: Db,
  values: {
    workspaceId: string
    userId: string
    name: string
    prefix: string
    keyHash: string
    scopes: string[]
    expiresAt: Date | null
  },
): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning()
  return row!
}

/**
 * Resolves an unrevoked API key hash to its principal (and the key's id, scopes, expiry and
 * last use) when its user is still a member of the key's workspace; undefined otherwise.
 * Expiry is the caller's decision (it answers a distinct 401).
 */
export async function findApiKeyPrincipal(
  db: Db,
  keyHash: string,
): Promise<
  | (Principal & {
      keyId: string
      prefix: string
      lastUsedAt: Date | null
      scopes: string[]
      expiresAt: Date | null
    })
  | undefined
> {
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      prefix: apiKeys.prefix,
      lastUsedAt: apiKeys.lastUsedAt,
      scopes: apiKeys.scopes,
      expiresAt: apiKeys.expiresAt,
      userId: users.id,
      email: users.email,
      role: users.role,
      status: users.status,
      workspaceId: apiKeys.workspaceId,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .innerJoin(
      workspaceMembers,
      and(eq(workspaceMembers.userId, apiKeys.userId), eq(workspaceMembers.workspaceId, apiKeys.workspaceId)),
    )
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
  return row
}

/**
 * Sets `last_used_at = now` and `last_used_ip = ip` unless the key was already used within
 * the last `minIntervalMs` (the condition is in SQL so concurrent requests write at most once
 * per interval).
 */
export async function touchApiKey(
  db: Db,
  keyId: string,
  now: Date,
  minIntervalMs: number,
  ip: string | null,
): Promise<void> {
  const threshold = new Date(now.getTime() - minIntervalMs)
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now, lastUsedIp: ip })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, threshold))))
}

/** One API key of `userId` in `workspaceId` (revoked included), or undefined. `forUpdate` locks the row. */
export async function findApiKeyOf(
  db: Db,
  workspaceId: string,
  userId: string,
  keyId: string,
  forUpdate = false,
): Promise<ApiKeyRow | undefined> {
  const q = db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.userId, userId)))
  const [row] = forUpdate ? await q.for('update') : await q
  return row
}

/** Sets the given columns of one API key (by id; the caller checked ownership); returns the row. */
export async function updateApiKeyRow(
  db: Db,
  keyId: string,
  patch: Partial<Pick<ApiKeyRow, 'name' | 'scopes' | 'expiresAt' | 'revokedAt'>>,
): Promise<ApiKeyRow> {
  const [row] = await db.update(apiKeys).set(patch).where(eq(apiKeys.id, keyId)).returning()
  return row!
}

/** The API keys `userId` created in `workspaceId`, newest first (revoked ones included). */
export async function listApiKeysOf(db: Db, workspaceId: string, userId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.userId, userId)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
}

// ---------------------------------------------------------------------------------------
// accounts (issue 4): profile, passwords, reset tokens, admin user list, memberships

/** Updates the given profile columns (undefined = unchanged); returns the row, or undefined when gone. */
export async function updateProfile(
  db: Db,
  userId: string,
  patch: Partial<ProfileFields>,
): Promise<UserRow | undefined> {
  if (Object.keys(patch).length === 0) return findUserById(db, userId)
  const [row] = await db.update(users).set(patch).where(eq(users.id, userId)).returning()
  return row
}

/** Replaces a user's argon2id password hash. */
export async function setPasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId))
}

/**
 * Deletes every session of `userId`, except the one whose hash is `keepTokenHash` when given.
 * @returns how many sessions were deleted.
 */
export async function deleteSessionsOf(db: Db, userId: string, keepTokenHash?: string): Promise<number> {
  const where = keepTokenHash
    ? and(eq(sessions.userId, userId), ne(sessions.tokenHash, keepTokenHash))
    : eq(sessions.userId, userId)
  const rows = await db.delete(sessions).where(where).returning({ h: sessions.tokenHash })
  return rows.length
}

/** Moves a session to another workspace (the caller checked the membership). */
export async function setSessionWorkspace(db: Db, tokenHash: string, workspaceId: string): Promise<void> {
  await db.update(sessions).set({ workspaceId }).where(eq(sessions.tokenHash, tokenHash))
}

/** Stores a password-reset token by the SHA-256 hex of its value. */
export async function insertResetToken(
  db: Db,
  values: { tokenHash: string; userId: string; expiresAt: Date },
): Promise<void> {
  await db.insert(passwordResetTokens).values(values)
}

/**
 * Marks the reset token with this hash used, if it is unused and unexpired at `now` — in one
 * UPDATE, so two concurrent confirmations cannot both win.
 * @returns the token's user id, or undefined when the token is unknown, used or expired.
 */
export async function consumeResetToken(db: Db, tokenHash: string, now: Date): Promise<string | undefined> {
  const [row] = await db
    .update(passwordResetTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(passwordResetTokens.tokenHash, tokenHash),
        isNull(passwordResetTokens.usedAt),
        gt(passwordResetTokens.expiresAt, now),
      ),
    )
    .returning({ userId: passwordResetTokens.userId })
  return row?.userId
}

/** Deletes a user's reset tokens (all of them, or only the unused ones made obsolete by a reset). */
export async function deleteResetTokensOf(db: Db, userId: string): Promise<void> {
  await db.delete(passwordResetTokens).where(eq(passwordResetTokens.userId, userId))
}

/** Deletes reset tokens that expired before `now` (housekeeping on each new request). */
export async function deleteExpiredResetTokens(db: Db, now: Date): Promise<void> {
  await db.delete(passwordResetTokens).where(lt(passwordResetTokens.expiresAt, now))
}

/** Escapes LIKE metacharacters so `q` matches literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * A page of users for the admin list, newest first.
 * @param query.status only this status; @param query.q case-insensitive substring of email,
 *   name or company; @param query.limit 1–500; @param query.offset ≥ 0.
 * @returns the rows and `total` (all rows matching the filters).
 */
export async function listUsers(
  db: Db,
  query: { status?: UserStatus; q?: string; limit: number; offset: number },
): Promise<{ items: UserRow[]; total: number }> {
  const parts: SQL[] = []
  if (query.status) parts.push(eq(users.status, query.status))
  if (query.q) {
    const p = likePattern(query.q)
    parts.push(or(ilike(users.email, p), ilike(users.name, p), ilike(users.company, p))!)
  }
  const where = parts.length > 0 ? and(...parts) : undefined
  const items = await db
    .select()
    .from(users)
    .where(where)
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(query.limit)
    .offset(query.offset)
  const [c] = await db.select({ n: count() }).from(users).where(where)
  return { items, total: Number(c?.n ?? 0) }
}

/**
 * Sets a user's status and, when given, the approval stamp; returns the updated row.
 * `approved` is only written when the user has none yet (the first approval is kept).
 */
export async function updateUserStatus(
  db: Db,
  userId: string,
  status: UserStatus,
  approved?: { at: Date; by: string },
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({
      status,
      ...(approved
        ? {
            approvedAt: sql`coalesce(${users.approvedAt}, ${approved.at.toISOString()}::timestamptz)`,
            approvedBy: sql`coalesce(${users.approvedBy}, ${approved.by}::uuid)`,
          }
        : {}),
    })
    .where(eq(users.id, userId))
    .returning()
  return row
}

/** A member of a workspace with the user's email, name and status. */
export interface MemberRow {
  userId: string
  email: string
  name: string | null
  status: UserStatus
  role: MemberRole
  joinedAt: Date
}

/** The members of a workspace, owners first, then by join time. */
export async function listMembers(db: Db, workspaceId: string): Promise<MemberRow[]> {
  return db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      status: users.status,
      role: workspaceMembers.role,
      joinedAt: workspaceMembers.createdAt,
    })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(eq(workspaceMembers.workspaceId, workspaceId))
    .orderBy(
      sql`case ${workspaceMembers.role} when 'owner' then 0 when 'admin' then 1 else 2 end`,
      asc(workspaceMembers.createdAt),
      asc(users.email),
    )
}

/** The role of `userId` in `workspaceId`, or undefined when not a member. */
export async function findMemberRole(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<MemberRole | undefined> {
  const [row] = await db
    .select({ role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
  return row?.role
}

/**
 * The facts that decide how `userId` may act in `workspaceId`: the user's global role and
 * membership role there (undefined when not a member). Undefined when the user is gone.
 */
export async function findAccessFacts(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<{ globalRole: 'user' | 'admin'; memberRole: MemberRole | undefined } | undefined> {
  const [row] = await db
    .select({ globalRole: users.role, memberRole: workspaceMembers.role })
    .from(users)
    .leftJoin(
      workspaceMembers,
      and(eq(workspaceMembers.userId, users.id), eq(workspaceMembers.workspaceId, workspaceId)),
    )
    .where(eq(users.id, userId))
  return row && { globalRole: row.globalRole, memberRole: row.memberRole ?? undefined }
}

/** Number of owners of a workspace. */
export async function countOwners(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'owner')))
  return Number(row?.n ?? 0)
}

/**
 * Locks the workspace row until the transaction ends (`SELECT … FOR UPDATE`), so membership
 * changes of one workspace are serialised and "the last owner" cannot be removed by two
 * concurrent requests that each saw another owner.
 */
export async function lockWorkspace(tx: Db, workspaceId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .for('update')
  return rows.length > 0
}

/** Changes a member's role; @returns false when `userId` is not a member. */
export async function updateMemberRole(
  db: Db,
  workspaceId: string,
  userId: string,
  role: MemberRole,
): Promise<boolean> {
  const rows = await db
    .update(workspaceMembers)
    .set({ role })
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
    .returning({ u: workspaceMembers.userId })
  return rows.length > 0
}

/** Removes a membership; @returns false when `userId` was not a member. */
export async function deleteMember(db: Db, workspaceId: string, userId: string): Promise<boolean> {
  const rows = await db
    .delete(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
    .returning({ u: workspaceMembers.userId })
  return rows.length > 0
}

/** The workspaces `userId` belongs to with its role in each, oldest membership first. */
export async function listWorkspacesOf(
  db: Db,
  userId: string,
): Promise<{ id: string; name: string; role: MemberRole; createdAt: Date }[]> {
  return db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      role: workspaceMembers.role,
      createdAt: workspaces.createdAt,
    })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(eq(workspaceMembers.userId, userId))
    .orderBy(asc(workspaceMembers.createdAt), asc(workspaces.id))
}

/**
 * Every workspace with `userId`'s membership role in it (null where not a member), for a
 * platform admin: the user's memberships first (oldest first), then the others by name.
 */
export async function listAllWorkspacesFor(
  db: Db,
  userId: string,
): Promise<{ id: string; name: string; role: MemberRole | null; createdAt: Date }[]> {
  return db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      role: workspaceMembers.role,
      createdAt: workspaces.createdAt,
    })
    .from(workspaces)
    .leftJoin(
      workspaceMembers,
      and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, userId)),
    )
    .orderBy(
      sql`${workspaceMembers.userId} is null`,
      asc(workspaceMembers.createdAt),
      sql`lower(${workspaces.name})`,
      asc(workspaces.id),
    )
}

// ---------------------------------------------------------------------------------------
// issue 13: invitations (membership only with the invitee's consent)

/** An invitation row (`tokenHash` is the SHA-256 hex of the emailed token). */
export type InvitationRow = typeof workspaceInvitations.$inferSelect

/**
 * Stores the invitation of `email` to `workspaceId`, replacing a pending one of the same
 * address (new token, role, inviter, expiry; the id is kept).
 * @returns the stored row.
 */
export async function upsertInvitation(
  db: Db,
  values: {
    workspaceId: string
    email: string
    role: 'admin' | 'member'
    invitedBy: string
    tokenHash: string
    expiresAt: Date
    now: Date
  },
): Promise<InvitationRow> {
  const { now, ...row } = values
  const [out] = await db
    .insert(workspaceInvitations)
    .values({ ...row, createdAt: now })
    .onConflictDoUpdate({
      target: [workspaceInvitations.workspaceId, workspaceInvitations.email],
      set: {
        role: row.role,
        invitedBy: row.invitedBy,
        tokenHash: row.tokenHash,
        expiresAt: row.expiresAt,
        createdAt: now,
      },
    })
    .returning()
  return out!
}

/**
 * True when a member of `workspaceId` has the (normalised) `email` — one query whether or not
 * the address has an account, so inviting takes the same time either way.
 */
export async function isMemberEmail(db: Db, workspaceId: string, email: string): Promise<boolean> {
  const rows = await db
    .select({ u: workspaceMembers.userId })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(users.email, email)))
  return rows.length > 0
}

/** An invitation with the names a list shows: the workspace and who invited. */
export interface InvitationView extends InvitationRow {
  workspaceName: string
  inviterEmail: string | null
  inviterName: string | null
}

const invitationView = {
  id: workspaceInvitations.id,
  workspaceId: workspaceInvitations.workspaceId,
  email: workspaceInvitations.email,
  role: workspaceInvitations.role,
  invitedBy: workspaceInvitations.invitedBy,
  tokenHash: workspaceInvitations.tokenHash,
  expiresAt: workspaceInvitations.expiresAt,
  createdAt: workspaceInvitations.createdAt,
  workspaceName: workspaces.name,
  inviterEmail: users.email,
  inviterName: users.name,
}

/** The invitations of a workspace (expired ones included), newest first. */
export async function listInvitationsOfWorkspace(db: Db, workspaceId: string): Promise<InvitationView[]> {
  return db
    .select(invitationView)
    .from(workspaceInvitations)
    .innerJoin(workspaces, eq(workspaces.id, workspaceInvitations.workspaceId))
    .leftJoin(users, eq(users.id, workspaceInvitations.invitedBy))
    .where(eq(workspaceInvitations.workspaceId, workspaceId))
    .orderBy(desc(workspaceInvitations.createdAt), asc(workspaceInvitations.email))
}

/** The unexpired invitations addressed to `email` (normalised), newest first. */
export async function listInvitationsToEmail(db: Db, email: string, now: Date): Promise<InvitationView[]> {
  return db
    .select(invitationView)
    .from(workspaceInvitations)
    .innerJoin(workspaces, eq(workspaces.id, workspaceInvitations.workspaceId))
    .leftJoin(users, eq(users.id, workspaceInvitations.invitedBy))
    .where(and(eq(workspaceInvitations.email, email), gt(workspaceInvitations.expiresAt, now)))
    .orderBy(desc(workspaceInvitations.createdAt), asc(workspaces.name))
}

/**
 * Deletes the invitation picked by `by` (its token hash, or its id) and returns it — one
 * DELETE, so of two concurrent uses of a token only one gets the row. Inside a transaction
 * the caller rolls back to keep the row when it refuses the use (wrong account, expired).
 * @param by.workspaceId only an invitation of this workspace (revocation).
 */
export async function takeInvitation(
  db: Db,
  by: { tokenHash: string } | { id: string; workspaceId?: string },
): Promise<InvitationRow | undefined> {
  const where =
    'tokenHash' in by
      ? eq(workspaceInvitations.tokenHash, by.tokenHash)
      : and(
          eq(workspaceInvitations.id, by.id),
          by.workspaceId ? eq(workspaceInvitations.workspaceId, by.workspaceId) : undefined,
        )
  const [row] = await db.delete(workspaceInvitations).where(where).returning()
  return row
}
