/**
 * SQL for accounts: workspaces, users, memberships, sessions and API keys.
 *
 * Plain data access only — no hashing, no policy. Token and key *hashes* come in from the
 * service; nothing here ever sees a raw session token or API key.
 */
import { and, asc, count, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { apiKeys, sessions, users, workspaceMembers, workspaces } from '../../platform/db/schema.ts'

/** A workspace row. */
export type WorkspaceRow = typeof workspaces.$inferSelect
/** A user row, including the argon2id `passwordHash` (never send it to a client). */
export type UserRow = typeof users.$inferSelect
/** An API key row (`keyHash` is the SHA-256 hex of the full key). */
export type ApiKeyRow = typeof apiKeys.$inferSelect

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
  },
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
    .select({ id: workspaces.id, name: workspaces.name, createdAt: workspaces.createdAt })
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
 * and the user is still a member of the session's workspace; undefined otherwise.
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
    .innerJoin(
      workspaceMembers,
      and(
        eq(workspaceMembers.userId, sessions.userId),
        eq(workspaceMembers.workspaceId, sessions.workspaceId),
      ),
    )
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)))
  return row
}

/** Deletes one session (logout). */
export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash))
}

/** Deletes a user's sessions that expired before `now` (housekeeping on login). */
export async function deleteExpiredSessions(db: Db, userId: string, now: Date): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.userId, userId), lt(sessions.expiresAt, now)))
}

/** Stores an API key by its SHA-256 hex; returns the row. */
export async function insertApiKey(
  db: Db,
  values: { workspaceId: string; userId: string; name: string; prefix: string; keyHash: string },
): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning()
  return row!
}

/**
 * Resolves an unrevoked API key hash to its principal (and the key's id and last use) when
 * its user is still a member of the key's workspace; undefined otherwise.
 */
export async function findApiKeyPrincipal(
  db: Db,
  keyHash: string,
): Promise<(Principal & { keyId: string; lastUsedAt: Date | null }) | undefined> {
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      lastUsedAt: apiKeys.lastUsedAt,
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
 * Sets `last_used_at = now` unless it was already set within the last `minIntervalMs`
 * (the condition is in SQL so concurrent requests write at most once per interval).
 */
export async function touchApiKey(db: Db, keyId: string, now: Date, minIntervalMs: number): Promise<void> {
  const threshold = new Date(now.getTime() - minIntervalMs)
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, threshold))))
}

/** The API keys `userId` created in `workspaceId`, newest first (revoked ones included). */
export async function listApiKeysOf(db: Db, workspaceId: string, userId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.userId, userId)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
}

/**
 * Revokes a key of `userId` in `workspaceId` (idempotent: keeps the first revocation time).
 * @returns false when no such key exists in that scope.
 */
export async function revokeApiKeyOf(
  db: Db,
  workspaceId: string,
  userId: string,
  keyId: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.userId, userId)))
    .returning({ id: apiKeys.id })
  return rows.length > 0
}
