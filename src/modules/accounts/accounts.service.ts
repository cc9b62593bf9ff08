/**
 * Accounts orchestration: passwords (argon2id), login sessions, API keys, the first admin.
 * The attempt limiter is in `accounts.limiter.ts`. Time comes in as an explicit `now` that
 * callers read from their injected `Clock`.
 *
 * Secrets policy: session tokens and API keys are 32 random bytes; only their SHA-256 is
 * stored (they are high-entropy, so a fast hash is enough and lookups stay O(1) by index).
 * Passwords are low-entropy, hence argon2id.
 */
import { isUniqueViolation } from '../../platform/db/errors.ts'
import { createHash, randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import type { Db } from '../../platform/db/client.ts'
import { AppError, forbidden, notFound, unauthorized } from '../../platform/errors.ts'
import type { AuthContext } from '../../platform/http/types.ts'
import { recordChange } from '../../platform/changelog/index.ts'
import { type ApiScope, expiryProblem, keyExpired, normaliseScopes } from './accounts.scopes.core.ts'
import { recordSecurityEvent } from './accounts.security-events.ts'
import {
  countUsers,
  deleteExpiredSessions,
  deleteResetTokensOf,
  deleteSession,
  deleteSessionsOf,
  findApiKeyPrincipal,
  findSessionPrincipal,
  findUserByEmail,
  findUserById,
  firstWorkspaceOf,
  insertApiKey,
  insertMember,
  insertSession,
  insertUser,
  insertWorkspace,
  listApiKeysOf,
  type ApiKeyRow,
  type Principal,
  type ProfileFields,
  findApiKeyOf,
  updateApiKeyRow,
  setPasswordHash,
  touchApiKey,
  type UserRow,
  updateProfile as updateProfileRow,
} from './accounts.repository.ts'

/** Name of the session cookie (HttpOnly, SameSite=Lax, Path=/). */
export const SESSION_COOKIE = 'tf_session'
/** Cookie-authenticated writes must send this header with {@link CSRF_HEADER_VALUE}. */
export const CSRF_HEADER = 'x-requested-with'
/** Required value of {@link CSRF_HEADER} (compared case-insensitively). */
export const CSRF_HEADER_VALUE = 'traffoflex'
/** Every API key starts with this, so leaked keys are recognisable by secret scanners. */
export const API_KEY_PREFIX = 'tfk_'
/** `last_used_at` of an API key is written at most once per this many milliseconds. */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000

/** Lower-cases and trims an email so lookups and the unique index agree. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** SHA-256 of a UTF-8 string as 64 lower-case hex characters. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

/** argon2id PHC string of `password` (library defaults: m=19 MiB, t=2, p=1 — OWASP minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

/** True when `password` matches the argon2 PHC string `passwordHash`; false on any malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

/** A strong random password: 24 URL-safe characters (18 random bytes, 144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url')
}

// A real argon2id hash of a random password, verified against when the email is unknown so
// that "no such user" costs the same time as "wrong password" (no user enumeration by timing).
let dummyHash: Promise<string> | undefined
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return dummyHash
}

/**
 * Creates a user and its membership in one transaction. The workspace is `workspaceId` when
 * given, otherwise a new workspace named `workspaceName` (default "Default"). Does not bump
 * the config version (accounts are not routing configuration).
 * @param opts.email any case; stored normalised.
 * @param opts.password plain text; stored as argon2id.
 * @param opts.role global role, default 'user'. @param opts.status default 'active'.
 * @param opts.memberRole role inside the workspace, default 'owner' for a new workspace, else 'member'.
 * @returns the ids of the user and workspace.
 * @throws AppError 409 `conflict` (details path `email`) when the email is taken.
 */
export async function createAccount(
  db: Db,
  opts: {
    email: string
    password: string
    role?: 'user' | 'admin'
    status?: 'pending' | 'active' | 'suspended'
    workspaceId?: string
    workspaceName?: string
    memberRole?: 'owner' | 'admin' | 'member'
    /** Profile columns (name, phone, company, vatId, address, city, country). */
    profile?: Partial<ProfileFields>
  },
): Promise<{ userId: string; workspaceId: string }> {
  const email = normaliseEmail(opts.email)
  const passwordHash = await hashPassword(opts.password)
  const taken = () =>
    new AppError(409, 'conflict', 'email already registered', [{ path: 'email', message: 'taken' }])
  try {
    return await db.transaction(async (tx) => {
      if (await findUserByEmail(tx, email)) throw taken()
      const workspaceId = opts.workspaceId ?? (await insertWorkspace(tx, opts.workspaceName ?? 'Default')).id
      const user = await insertUser(tx, {
        ...opts.profile,
        email,
        passwordHash,
        role: opts.role ?? 'user',
        status: opts.status ?? 'active',
      })
      await insertMember(tx, workspaceId, user.id, opts.memberRole ?? (opts.workspaceId ? 'member' : 'owner'))
      return { userId: user.id, workspaceId }
    })
  } catch (err) {
    // Two concurrent sign-ups with one email: the loser hits the unique index.
    if (isUniqueViolation(err)) throw taken()
    throw err
  }
}

/** Outcome of {@link bootstrapAdmin}. */
export interface BootstrapResult {
  /** False when users already existed (nothing was changed). */
  created: boolean
  /** The admin email (normalised) when created, else the email that was asked for. */
  email: string
  /** Present only when a password was generated; print it once and never store it. */
  generatedPassword?: string
  workspaceId?: string
  userId?: string
}

/**
 * First run: on an empty users table creates workspace "Default", the admin user
 * (role admin, status active) and its owner membership. A no-op when any user exists, so it
 * is safe to call on every start. When `password` is empty or absent a strong one is
 * generated and returned once.
 */
export async function bootstrapAdmin(
  db: Db,
  opts: { email: string; password?: string },
): Promise<BootstrapResult> {
  if ((await countUsers(db)) > 0) return { created: false, email: normaliseEmail(opts.email) }
  const generated = opts.password ? undefined : generatePassword()
  const password = opts.password || (generated as string)
  try {
    const ids = await createAccount(db, {
      email: opts.email,
      password,
      role: 'admin',
      status: 'active',
      workspaceName: 'Default',
      memberRole: 'owner',
    })
    return {
      created: true,
      email: normaliseEmail(opts.email),
      ...(generated ? { generatedPassword: generated } : {}),
      ...ids,
    }
  } catch (err) {
    // Two processes bootstrapping the same empty database: the loser sees the email taken.
    if (err instanceof AppError && err.status === 409)
      return { created: false, email: normaliseEmail(opts.email) }
    throw err
  }
}

/** A successful login: the raw session token goes into the cookie and nowhere else. */
export interface LoginResult {
  /** 43 base64url characters (32 random bytes); only its SHA-256 is stored. */
  token: string
  expiresAt: Date
  user: { id: string; email: string; role: 'user' | 'admin' }
  workspace: { id: string; name: string }
}

/**
 * Verifies email + password and opens a session in the user's first workspace.
 * @param opts.ttlHours session lifetime in hours. @param opts.now the current time (from the caller's clock).
 * @throws AppError 401 `invalid_credentials` for an unknown email or wrong password (same
 *   message and similar time for both); after a correct password, 403 `pending_approval`
 *   or `suspended` for such users and 403 `forbidden` for one without a workspace.
 */
export async function login(
  db: Db,
  creds: { email: string; password: string },
  opts: { ttlHours: number; now: Date },
): Promise<LoginResult> {
  return openSession(db, await checkPassword(db, creds), opts)
}

/** A user whose password was verified (see {@link checkPassword}). */
export interface VerifiedLogin {
  user: UserRow
  workspace: { id: string; name: string }
}

/**
 * The password step of {@link login} alone (the 2FA flow opens the session after the code).
 * @throws as {@link login}.
 */
export async function checkPassword(
  db: Db,
  creds: { email: string; password: string },
): Promise<VerifiedLogin> {
  const user = await findUserByEmail(db, normaliseEmail(creds.email))
  const ok = await verifyPassword(user?.passwordHash ?? (await getDummyHash()), creds.password)
  if (!user || !ok) throw new AppError(401, 'invalid_credentials', 'invalid email or password')
  assertActive(user.status)
  const workspace = await firstWorkspaceOf(db, user.id)
  if (!workspace) throw forbidden('user has no workspace')
  return { user, workspace: { id: workspace.id, name: workspace.name } }
}

/**
 * A user who passed the password step earlier (a 2FA challenge) as a {@link VerifiedLogin}
 * again, re-checking that they are still active and still have a workspace.
 * @throws AppError 401 when the user is gone, 403 as {@link login}.
 */
export async function verifiedLoginOf(db: Db, userId: string): Promise<VerifiedLogin> {
  const user = await findUserById(db, userId)
  if (!user) throw unauthorized()
  assertActive(user.status)
  const workspace = await firstWorkspaceOf(db, user.id)
  if (!workspace) throw forbidden('user has no workspace')
  return { user, workspace: { id: workspace.id, name: workspace.name } }
}

/**
 * Opens a session for a verified login (deleting the user's expired ones).
 * @param opts.ttlHours session lifetime in hours; @param opts.now the current time.
 */
export async function openSession(
  db: Db,
  v: VerifiedLogin,
  opts: { ttlHours: number; now: Date },
): Promise<LoginResult> {
  const { user, workspace } = v
  const { now } = opts
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now.getTime() + opts.ttlHours * 3_600_000)
  await deleteExpiredSessions(db, user.id, now)
  await insertSession(db, {
    tokenHash: sha256Hex(token),
    userId: user.id,
    workspaceId: workspace.id,
    expiresAt,
  })
  return {
    token,
    expiresAt,
    user: { id: user.id, email: user.email, role: user.role },
    workspace: { id: workspace.id, name: workspace.name },
  }
}

/** Ends the session with this raw token (no-op when unknown). */
export async function logout(db: Db, token: string): Promise<void> {
  await deleteSession(db, sha256Hex(token))
}

/**
 * Only active users get in.
 * @throws AppError 403 `pending_approval` (sign-up not yet approved) or 403 `suspended`.
 */
function assertActive(status: Principal['status']): void {
  if (status === 'pending') throw new AppError(403, 'pending_approval', 'account pending approval')
  if (status === 'suspended') throw new AppError(403, 'suspended', 'account suspended')
}

function toAuth(p: Principal, via: AuthContext['via']): AuthContext {
  assertActive(p.status)
  return { userId: p.userId, workspaceId: p.workspaceId, role: p.role, via, email: p.email }
}

/**
 * Resolves a raw session token (cookie value) to the request's auth context.
 * @param now the current time (from the caller's clock); a session is valid while `expires_at > now`.
 * @throws AppError 401 when unknown, expired or the membership is gone; 403
 *   `pending_approval` / `suspended` when the user is not active.
 */
export async function authenticateSession(db: Db, token: string, now: Date): Promise<AuthContext> {
  if (!token || token.length > 200) throw unauthorized()
  const p = await findSessionPrincipal(db, sha256Hex(token), now)
  if (!p) throw unauthorized()
  return toAuth(p, 'session')
}

/**
 * Resolves a raw API key (`tfk_…`) to the request's auth context (with the key's scopes) and
 * records its use — `last_used_at` and `last_used_ip` together, at most once per
 * {@link API_KEY_TOUCH_INTERVAL_MS}.
 * @param now the current time (from the caller's clock): decides expiry, written as `last_used_at`.
 * @param ip the client address (`req.ip`, which honours TRUSTED_PROXIES), written as `last_used_ip`.
 * @throws AppError 401 when malformed, unknown or revoked; 401 `api_key_expired` when
 *   `expires_at <= now`; 403 `pending_approval` / `suspended` when the user is not active.
 */
export async function authenticateApiKey(
  db: Db,
  key: string,
  now: Date,
  ip: string | null = null,
): Promise<AuthContext> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) throw unauthorized()
  const p = await findApiKeyPrincipal(db, sha256Hex(key))
  if (!p) throw unauthorized()
  if (keyExpired(p.expiresAt, now))
    throw new AppError(401, 'api_key_expired', `this API key expired at ${p.expiresAt!.toISOString()}`)
  const auth: AuthContext = {
    ...toAuth(p, 'api_key'),
    apiKeyId: p.keyId,
    apiKeyPrefix: p.prefix,
    scopes: normaliseScopes(p.scopes),
  }
  // Check in JS first so the common case (used within the last minute) costs no write at all.
  if (!p.lastUsedAt || now.getTime() - p.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS) {
    await touchApiKey(db, p.keyId, now, API_KEY_TOUCH_INTERVAL_MS, ip)
  }
  return auth
}

// ---------------------------------------------------------------------------------------
// accounts (issue 4): sign-up, password change, profile

/**
 * Self-service sign-up: a `pending` user (no session until an admin approves) owning a new
 * workspace named after the company, the name or the email.
 * @param input.email any case, stored normalised; @param input.password ≥ 10 characters
 *   (checked by the route schema); @param input.profile optional profile columns.
 * @throws AppError 409 `conflict` with a generic message when the email cannot be used.
 */
export async function signup(
  db: Db,
  input: { email: string; password: string; profile: Partial<ProfileFields> },
): Promise<{ id: string; email: string; status: 'pending' }> {
  const email = normaliseEmail(input.email)
  try {
    const { userId } = await createAccount(db, {
      email,
      password: input.password,
      role: 'user',
      status: 'pending',
      workspaceName: input.profile.company ?? input.profile.name ?? email,
      memberRole: 'owner',
      profile: input.profile,
    })
    return { id: userId, email, status: 'pending' }
  } catch (err) {
    if (err instanceof AppError && err.status === 409)
      throw new AppError(409, 'conflict', 'an account cannot be created with this email', [
        { path: 'email', message: 'cannot be used' },
      ])
    throw err
  }
}

/**
 * Changes a user's password after checking the current one, and ends the user's other
 * sessions (all of them when `keepSessionToken` is absent, e.g. for an API-key caller) and
 * any outstanding password-reset links. API keys keep working.
 * @param opts.keepSessionToken the raw cookie token of the session making the change.
 * @throws AppError 400 `invalid_credentials` (details path `current_password`) when the
 *   current password is wrong; 401 when the user is gone.
 */
export async function changePassword(
  db: Db,
  opts: { userId: string; currentPassword: string; newPassword: string; keepSessionToken?: string },
): Promise<void> {
  const user = await findUserById(db, opts.userId)
  if (!user) throw unauthorized()
  if (!(await verifyPassword(user.passwordHash, opts.currentPassword)))
    throw new AppError(400, 'invalid_credentials', 'current password is incorrect', [
      { path: 'current_password', message: 'incorrect' },
    ])
  const passwordHash = await hashPassword(opts.newPassword)
  await db.transaction(async (tx) => {
    await setPasswordHash(tx, user.id, passwordHash)
    await deleteSessionsOf(tx, user.id, opts.keepSessionToken ? sha256Hex(opts.keepSessionToken) : undefined)
    await deleteResetTokensOf(tx, user.id)
  })
}

/**
 * Updates the caller's profile columns (undefined = unchanged, null = cleared).
 * @returns the updated user row. @throws AppError 401 when the user is gone.
 */
export async function updateProfile(db: Db, userId: string, patch: Partial<ProfileFields>): Promise<UserRow> {
  const row = await updateProfileRow(db, userId, patch)
  if (!row) throw unauthorized()
  return row
}

/** An API key as listed (never includes the secret). */
export interface ApiKeyInfo {
  id: string
  name: string
  /** First 12 characters of the key (`tfk_` + 8), to recognise it. */
  prefix: string
  /** Lowest first; keys made before scopes existed are `['admin']`. */
  scopes: ApiScope[]
  /** Null = never expires. */
  expiresAt: Date | null
  lastUsedAt: Date | null
  /** Client IP of the last use (written with `lastUsedAt`). */
  lastUsedIp: string | null
  revokedAt: Date | null
  createdAt: Date
}

/** Who is creating, editing or revoking a key: for the security event (all optional). */
export interface KeyChangeMeta {
  email?: string | null
  ip?: string | null
  userAgent?: string | null
}

function keyInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: normaliseScopes(row.scopes),
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    lastUsedIp: row.lastUsedIp,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  }
}

/** What the change log stores of a key: never the key or its hash. */
function keyView(row: ApiKeyRow): Record<string, unknown> {
  return {
    name: row.name,
    prefix: row.prefix,
    scopes: normaliseScopes(row.scopes),
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  }
}

/** Records the security event and the change-log row of a key change, in `tx`. */
async function recordKeyChange(
  tx: Db,
  kind: 'api_key_created' | 'api_key_updated' | 'api_key_revoked',
  before: ApiKeyRow | null,
  after: ApiKeyRow,
  meta: KeyChangeMeta | undefined,
): Promise<void> {
  await recordSecurityEvent(tx, {
    kind,
    userId: after.userId,
    workspaceId: after.workspaceId,
    email: meta?.email ?? null,
    ip: meta?.ip ?? null,
    userAgent: meta?.userAgent ?? null,
    detail: {
      key_id: after.id,
      prefix: after.prefix,
      scopes: normaliseScopes(after.scopes),
      expires_at: after.expiresAt?.toISOString() ?? null,
    },
  })
  await recordChange(tx, {
    workspaceId: after.workspaceId,
    objectType: 'api_key',
    objectId: after.id,
    objectName: after.name,
    // A revocation is an update of `revokedAt` (the row stays, listed as revoked).
    action: kind === 'api_key_created' ? 'create' : 'update',
    before: before && keyView(before),
    after: keyView(after),
  })
}

/** Normalised scopes, or 400 when none is left. */
function checkedScopes(scopes: readonly string[]): ApiScope[] {
  const out = normaliseScopes(scopes)
  if (out.length === 0)
    throw new AppError(400, 'validation_failed', 'invalid body: scopes: at least one scope', [
      { path: 'scopes', message: 'at least one of read, write, admin' },
    ])
  return out
}

/** 400 naming `expires_at` when it cannot be given to a key at `now`. */
function checkExpiry(expiresAt: Date | null, now: Date): void {
  const problem = expiryProblem(expiresAt, now)
  if (problem)
    throw new AppError(400, 'validation_failed', `invalid body: expires_at: ${problem}`, [
      { path: 'expires_at', message: problem },
    ])
}

/**
 * Creates an API key for `userId` acting in `workspaceId`, and records the security event
 * `api_key_created` and the change-log row in the same transaction.
 * @param opts.scopes at least one of `read` | `write` | `admin` (repeats dropped). The HTTP
 *   route defaults to `['read']`; in-process callers say what they need.
 * @param opts.expiresAt null/absent = never expires; otherwise in the future and at most a
 *   year after `opts.now` (required with an `expiresAt`).
 * @returns the info plus `key`, the full secret: `tfk_` + 43 base64url characters
 *   (32 random bytes). It is shown once; only its SHA-256 is stored.
 * @throws AppError 400 `validation_failed` (details path `scopes` or `expires_at`).
 */
export async function createApiKey(
  db: Db,
  opts: {
    workspaceId: string
    userId: string
    name: string
    scopes: readonly ApiScope[]
    expiresAt?: Date | null
    now?: Date
    meta?: KeyChangeMeta
  },
): Promise<ApiKeyInfo & { key: string }> {
  const scopes = checkedScopes(opts.scopes)
  const expiresAt = opts.expiresAt ?? null
  if (expiresAt !== null) {
    if (!opts.now) throw new Error('createApiKey: `now` is required with `expiresAt`')
    checkExpiry(expiresAt, opts.now)
  }
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url')
  const row = await db.transaction(async (tx) => {
    const r = await insertApiKey(tx, {
      workspaceId: opts.workspaceId,
      userId: opts.userId,
      name: opts.name,
      prefix: key.slice(0, 12),
      keyHash: sha256Hex(key),
      scopes,
      expiresAt,
    })
    await recordKeyChange(tx, 'api_key_created', null, r, opts.meta)
    return r
  })
  return { ...keyInfo(row), key }
}

/** The caller's own keys in the workspace, newest first, revoked ones included. */
export async function listApiKeys(db: Db, workspaceId: string, userId: string): Promise<ApiKeyInfo[]> {
  return (await listApiKeysOf(db, workspaceId, userId)).map(keyInfo)
}

/**
 * Edits one of the caller's keys: name, scopes, expiry (absent = unchanged; `expiresAt: null`
 * = never expires). A new expiry must be in the future and at most a year after `now`, so an
 * expired key can be given a new one. Records `api_key_updated` and the change-log row in the
 * same transaction when something changed.
 * @throws AppError 404 when the key is not the caller's in this workspace; 409 `conflict` when
 *   it is revoked; 400 `validation_failed` (details path `scopes` or `expires_at`).
 */
export async function updateApiKey(
  db: Db,
  opts: {
    workspaceId: string
    userId: string
    keyId: string
    patch: { name?: string; scopes?: readonly ApiScope[]; expiresAt?: Date | null }
    now: Date
    meta?: KeyChangeMeta
  },
): Promise<ApiKeyInfo> {
  const { patch } = opts
  const set: Parameters<typeof updateApiKeyRow>[2] = {}
  if (patch.name !== undefined) set.name = patch.name
  if (patch.scopes !== undefined) set.scopes = checkedScopes(patch.scopes)
  if (patch.expiresAt !== undefined) {
    checkExpiry(patch.expiresAt, opts.now)
    set.expiresAt = patch.expiresAt
  }
  return db.transaction(async (tx) => {
    const before = await findApiKeyOf(tx, opts.workspaceId, opts.userId, opts.keyId, true)
    if (!before) throw notFound('api key')
    if (before.revokedAt) throw new AppError(409, 'conflict', 'a revoked API key cannot be edited')
    if (Object.keys(set).length === 0) return keyInfo(before)
    const after = await updateApiKeyRow(tx, before.id, set)
    const changed =
      after.name !== before.name ||
      normaliseScopes(after.scopes).join() !== normaliseScopes(before.scopes).join() ||
      after.expiresAt?.getTime() !== before.expiresAt?.getTime()
    if (changed) await recordKeyChange(tx, 'api_key_updated', before, after, opts.meta)
    return keyInfo(after)
  })
}

/**
 * Revokes one of the caller's keys (idempotent: the first revocation time stays, and only it
 * records `api_key_revoked` and the change-log row, in the same transaction).
 * @param now the current time (from the caller's clock), written as `revoked_at`.
 * @throws AppError 404 when the key is not the caller's in this workspace.
 */
export async function revokeApiKey(
  db: Db,
  workspaceId: string,
  userId: string,
  keyId: string,
  now: Date,
  meta?: KeyChangeMeta,
): Promise<void> {
  await db.transaction(async (tx) => {
    const before = await findApiKeyOf(tx, workspaceId, userId, keyId, true)
    if (!before) throw notFound('api key')
    if (before.revokedAt) return
    const after = await updateApiKeyRow(tx, before.id, { revokedAt: now })
    await recordKeyChange(tx, 'api_key_revoked', before, after, meta)
  })
}
