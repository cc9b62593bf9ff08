/**
 * Two-factor authentication (TOTP, RFC 6238; issue 18): enrolment, the second sign-in step,
 * recovery codes, remembered devices and workspace-enforced 2FA. The decisions are in
 * `accounts.totp.core.ts`; this shell does the SQL, the HMAC (otpauth), the QR code (qrcode)
 * and the security events. See the 2FA section of this module's README.
 *
 * Storage: the TOTP secret (20 random bytes, base32) is sealed with the platform's
 * {@link SecretBox} (AES-256-GCM) in `users.totp_secret` (`totp_pending_secret` during
 * set-up); recovery codes, challenge and device tokens are stored as SHA-256 only.
 */
import { recordChange } from '../../platform/changelog/index.ts'
import { randomBytes } from 'node:crypto'
import { and, asc, eq, gt, isNull, isNotNull, lt, or, sql } from 'drizzle-orm'
import type { FastifyRequest } from 'fastify'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import type { Db } from '../../platform/db/client.ts'
import { AppError, notFound } from '../../platform/errors.ts'
import type { SecretBox } from '../../platform/secret-box.ts'
import { type SecurityEventKind, recordSecurityEvent } from './accounts.security-events.ts'
import { sha256Hex, type VerifiedLogin, verifyPassword } from './accounts.service.ts'
import { loginChallenges, recoveryCodes, trustedDevices, users, workspaces } from './accounts.tables.ts'
import {
  checkTotpCode,
  formatRecoveryCode,
  LOGIN_CHALLENGE_MAX_ATTEMPTS,
  LOGIN_CHALLENGE_TTL_MS,
  mustEnrolFirst,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  trustedDeviceExpiry,
} from './accounts.totp.core.ts'

/** Cookie of a sign-in waiting for its second factor (5 minutes). */
export const CHALLENGE_COOKIE = 'tf_2fa'
/** Cookie of a remembered device ("don't ask for a code on this browser for N days"). */
export const TRUSTED_DEVICE_COOKIE = 'tf_device'
/** Issuer shown by authenticator apps. */
export const TOTP_ISSUER = 'traffoflex'

/** Who did it, from where: stamped on security events. */
export interface RequestMeta {
  ip: string
  userAgent: string | null
}

/** The request's client IP (honours TRUSTED_PROXIES, see the API app) and User-Agent. */
export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent']
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua : null }
}

/** Dependencies of the 2FA shell. */
export interface TotpDeps {
  db: Db
  /** Seals TOTP secrets (the server's key from SECRETS_KEY or DATA_DIR/secret.key). */
  box: SecretBox
}

const totpOf = (base32: string, label = 'account') =>
  new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(base32),
  })

/** The 6-digit code of `step` for a base32 secret (what the authenticator app shows). */
export function totpCodeAt(base32: string, step: number): string {
  return totpOf(base32).generate({ timestamp: step * TOTP_PERIOD_SECONDS * 1000 })
}

async function userRow(db: Db, userId: string) {
  const [u] = await db.select().from(users).where(eq(users.id, userId)).limit(1)
  if (!u) throw notFound('user')
  return u
}

const event = (
  db: Db,
  kind: SecurityEventKind,
  who: { userId: string; email?: string | null; workspaceId?: string | null },
  meta: RequestMeta,
  detail?: Record<string, unknown>,
) =>
  recordSecurityEvent(db, {
    kind,
    userId: who.userId,
    email: who.email ?? null,
    workspaceId: who.workspaceId ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    ...(detail ? { detail } : {}),
  })

// ---------------------------------------------------------------------------------------
// enrolment

/** What `POST /auth/2fa/setup` answers: add it to an authenticator app, then confirm a code. */
export interface TotpSetup {
  /** `otpauth://totp/traffoflex:<email>?secret=…&issuer=traffoflex&…` */
  uri: string
  /** The same URI as a QR code: `data:image/svg+xml;base64,…` */
  qrDataUrl: string
  /** The base32 secret for manual entry. */
  secret: string
}

/**
 * Starts (or restarts) enrolment: a new secret, sealed into `users.totp_pending_secret`.
 * Nothing changes for sign-in until {@link enableTotp} confirms a code.
 * @throws AppError 409 `two_factor_already_enabled` (disable first).
 */
export async function startTotpSetup(deps: TotpDeps, userId: string): Promise<TotpSetup> {
  const u = await userRow(deps.db, userId)
  if (u.totpEnabledAt)
    throw new AppError(409, 'two_factor_already_enabled', 'two-factor authentication is already on')
  const secret = new Secret({ size: 20 }).base32
  await deps.db
    .update(users)
    .set({ totpPendingSecret: deps.box.seal(secret) })
    .where(eq(users.id, userId))
  const uri = totpOf(secret, u.email).toString()
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
  return { uri, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, secret }
}

/**
 * Confirms enrolment with a code from the app: the pending secret becomes the secret,
 * `totp_enabled_at` is set and {@link RECOVERY_CODE_COUNT} recovery codes are made.
 * @returns the recovery codes in clear — the only time they exist outside the user's hands.
 * @throws AppError 409 `two_factor_already_enabled`, 409 `setup_required` (no pending
 *   secret), 400 `invalid_code`.
 */
export async function enableTotp(
  deps: TotpDeps,
  input: { userId: string; code: string; now: Date; workspaceId: string | null; meta: RequestMeta },
): Promise<string[]> {
  return deps.db.transaction(async (tx) => {
    const [u] = await tx.select().from(users).where(eq(users.id, input.userId)).for('update')
    if (!u) throw notFound('user')
    if (u.totpEnabledAt)
      throw new AppError(409, 'two_factor_already_enabled', 'two-factor authentication is already on')
    if (!u.totpPendingSecret)
      throw new AppError(409, 'setup_required', 'start the set-up first (POST /auth/2fa/setup)')
    const secret = deps.box.open(u.totpPendingSecret)
    const r = checkTotpCode({
      code: input.code,
      nowMs: input.now.getTime(),
      lastStep: u.totpLastStep,
      codeAt: (s) => totpCodeAt(secret, s),
    })
    if (!r.ok) throw invalidCode(400)
    await tx
      .update(users)
      .set({
        totpSecret: u.totpPendingSecret,
        totpPendingSecret: null,
        totpEnabledAt: input.now,
        totpLastStep: r.step,
      })
      .where(eq(users.id, u.id))
    const codes = await replaceRecoveryCodes(tx, u.id)
    await event(
      tx,
      'two_factor_enabled',
      { userId: u.id, email: u.email, workspaceId: input.workspaceId },
      input.meta,
    )
    return codes
  })
}

/**
 * A refused code: 401 at sign-in (no session yet); 400 for a signed-in change, as a wrong
 * current password is, so a client does not take it for an ended session.
 */
const invalidCode = (status: 400 | 401) =>
  new AppError(status, 'invalid_code', 'the code is wrong, expired or already used', [
    { path: 'code', message: 'wrong, expired or already used' },
  ])

async function replaceRecoveryCodes(tx: Db, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(10)))
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
  await tx
    .insert(recoveryCodes)
    .values(codes.map((c) => ({ userId, codeHash: sha256Hex(normaliseRecoveryCode(c)!) })))
  return codes
}

// ---------------------------------------------------------------------------------------
// verifying a second factor

/** A second factor as sent by a client: a code from the app or a recovery code. */
export interface SecondFactor {
  code?: string | undefined
  recoveryCode?: string | undefined
}

/**
 * Verifies a TOTP code (spent: `totp_last_step` moves forward in one conditional UPDATE, so
 * two concurrent requests with the same code cannot both pass) or a recovery code (spent:
 * `used_at` set in one conditional UPDATE).
 * @returns how it passed, or null when refused (wrong, replayed, used, 2FA off).
 */
async function spendSecondFactor(
  deps: TotpDeps,
  tx: Db,
  userId: string,
  f: SecondFactor,
  now: Date,
): Promise<'totp' | 'recovery_code' | null> {
  if (f.recoveryCode !== undefined) {
    const norm = normaliseRecoveryCode(f.recoveryCode)
    if (!norm) return null
    const used = await tx
      .update(recoveryCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, sha256Hex(norm)),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id })
    return used.length === 1 ? 'recovery_code' : null
  }
  if (f.code === undefined) return null
  const [u] = await tx
    .select({ secret: users.totpSecret, lastStep: users.totpLastStep })
    .from(users)
    .where(eq(users.id, userId))
  if (!u?.secret) return null
  const secret = deps.box.open(u.secret)
  const r = checkTotpCode({
    code: f.code,
    nowMs: now.getTime(),
    lastStep: u.lastStep,
    codeAt: (s) => totpCodeAt(secret, s),
  })
  if (!r.ok) return null
  const moved = await tx
    .update(users)
    .set({ totpLastStep: r.step })
    .where(
      and(
        eq(users.id, userId),
        isNotNull(users.totpSecret),
        or(isNull(users.totpLastStep), lt(users.totpLastStep, r.step)),
      ),
    )
    .returning({ id: users.id })
  return moved.length === 1 ? 'totp' : null
}

/**
 * Runs `change` in a transaction after spending a second factor of a signed-in user
 * (disable, regenerate); records `recovery_code_used` when one was spent, and
 * `two_factor_failed` (after the rolled-back transaction: PGlite has one connection) when wrong.
 * @throws AppError 400 `invalid_code`.
 */
async function withSecondFactor<T>(
  deps: TotpDeps,
  who: { userId: string; email: string; workspaceId: string | null },
  f: SecondFactor,
  now: Date,
  meta: RequestMeta,
  change: (tx: Db) => Promise<T>,
): Promise<T> {
  const r = await deps.db.transaction(async (tx) => {
    const how = await spendSecondFactor(deps, tx, who.userId, f, now)
    if (!how) return { ok: false as const }
    if (how === 'recovery_code') await event(tx, 'recovery_code_used', who, meta)
    return { ok: true as const, value: await change(tx) }
  })
  if (!r.ok) {
    await event(deps.db, 'two_factor_failed', who, meta)
    throw invalidCode(400)
  }
  return r.value
}

/**
 * Turns 2FA off: needs the password and a current code (or a recovery code). Clears the
 * secret, the recovery codes and the remembered devices.
 * @throws AppError 409 `two_factor_not_enabled`, 400 `invalid_credentials` (password,
 *   `details: [{path:'password'}]`), 400 `invalid_code`.
 */
export async function disableTotp(
  deps: TotpDeps,
  input: {
    userId: string
    password: string
    factor: SecondFactor
    now: Date
    workspaceId: string | null
    meta: RequestMeta
  },
): Promise<void> {
  const u = await userRow(deps.db, input.userId)
  if (!u.totpEnabledAt) throw notEnabled()
  if (!(await verifyPassword(u.passwordHash, input.password)))
    throw new AppError(400, 'invalid_credentials', 'wrong password', [
      { path: 'password', message: 'wrong password' },
    ])
  const who = { userId: u.id, email: u.email, workspaceId: input.workspaceId }
  await withSecondFactor(deps, who, input.factor, input.now, input.meta, async (tx) => {
    await tx
      .update(users)
      .set({ totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null })
      .where(eq(users.id, u.id))
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, u.id))
    await tx.delete(trustedDevices).where(eq(trustedDevices.userId, u.id))
    await tx.delete(loginChallenges).where(eq(loginChallenges.userId, u.id))
    await event(tx, 'two_factor_disabled', who, input.meta)
  })
}

const notEnabled = () =>
  new AppError(409, 'two_factor_not_enabled', 'two-factor authentication is not on for this account')

/**
 * New recovery codes (the old ones stop working), after a current code.
 * @returns the codes in clear (shown once).
 * @throws AppError 409 `two_factor_not_enabled`, 400 `invalid_code`.
 */
export async function regenerateRecoveryCodes(
  deps: TotpDeps,
  input: { userId: string; factor: SecondFactor; now: Date; workspaceId: string | null; meta: RequestMeta },
): Promise<string[]> {
  const u = await userRow(deps.db, input.userId)
  if (!u.totpEnabledAt) throw notEnabled()
  const who = { userId: u.id, email: u.email, workspaceId: input.workspaceId }
  return withSecondFactor(deps, who, input.factor, input.now, input.meta, async (tx) => {
    const codes = await replaceRecoveryCodes(tx, u.id)
    await event(tx, 'recovery_codes_regenerated', who, input.meta)
    return codes
  })
}

/** `GET /auth/2fa`: the user's 2FA state. */
export interface TotpStatus {
  enabled: boolean
  enabledAt: Date | null
  recoveryCodesLeft: number
  /** The session's workspace requires 2FA of its members. */
  requiredByWorkspace: boolean
  devices: { id: string; label: string | null; createdAt: Date; lastUsedAt: Date | null; expiresAt: Date }[]
}

/** The user's 2FA state, with unexpired remembered devices (newest first). */
export async function totpStatus(
  db: Db,
  userId: string,
  workspaceId: string,
  now: Date,
): Promise<TotpStatus> {
  const u = await userRow(db, userId)
  const [[left], devices, [ws]] = await Promise.all([
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
    db
      .select()
      .from(trustedDevices)
      .where(and(eq(trustedDevices.userId, userId), gt(trustedDevices.expiresAt, now)))
      .orderBy(asc(trustedDevices.createdAt)),
    db.select({ r: workspaces.require2fa }).from(workspaces).where(eq(workspaces.id, workspaceId)),
  ])
  return {
    enabled: u.totpEnabledAt !== null,
    enabledAt: u.totpEnabledAt,
    recoveryCodesLeft: u.totpEnabledAt ? (left?.n ?? 0) : 0,
    requiredByWorkspace: ws?.r ?? false,
    devices: devices.reverse().map((d) => ({
      id: d.id,
      label: d.label,
      createdAt: d.createdAt,
      lastUsedAt: d.lastUsedAt,
      expiresAt: d.expiresAt,
    })),
  }
}

/**
 * Forgets a remembered device of the user (its browser asks for a code again).
 * @throws AppError 404 when it is not one of theirs.
 */
export async function removeTrustedDevice(db: Db, userId: string, id: string): Promise<void> {
  const gone = await db
    .delete(trustedDevices)
    .where(and(eq(trustedDevices.id, id), eq(trustedDevices.userId, userId)))
    .returning({ id: trustedDevices.id })
  if (gone.length === 0) throw notFound('device')
}

// ---------------------------------------------------------------------------------------
// sign-in

/**
 * After a correct password: does this sign-in still need a code? False when the user has
 * no 2FA, or when `deviceToken` (the `tf_device` cookie) is an unexpired remembered device
 * of this user (its `last_used_at` is then stamped).
 */
export async function needsSecondFactor(
  db: Db,
  user: { id: string; totpEnabledAt: Date | null },
  deviceToken: string | undefined,
  now: Date,
): Promise<boolean> {
  if (!user.totpEnabledAt) return false
  if (!deviceToken || deviceToken.length > 200) return true
  const hit = await db
    .update(trustedDevices)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(trustedDevices.tokenHash, sha256Hex(deviceToken)),
        eq(trustedDevices.userId, user.id),
        gt(trustedDevices.expiresAt, now),
      ),
    )
    .returning({ id: trustedDevices.id })
  return hit.length === 0
}

/**
 * Starts the second step of a sign-in: a challenge row (5 minutes) whose raw token goes into
 * the {@link CHALLENGE_COOKIE}. Expired challenges of the user are deleted.
 * @returns the raw token (43 base64url chars) and its expiry.
 */
export async function createLoginChallenge(
  db: Db,
  userId: string,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now.getTime() + LOGIN_CHALLENGE_TTL_MS)
  await db
    .delete(loginChallenges)
    .where(and(eq(loginChallenges.userId, userId), lt(loginChallenges.expiresAt, now)))
  await db.insert(loginChallenges).values({ tokenHash: sha256Hex(token), userId, expiresAt })
  return { token, expiresAt }
}

/**
 * The user a challenge token stands for, counting one attempt (at most
 * {@link LOGIN_CHALLENGE_MAX_ATTEMPTS} per challenge, counted in the UPDATE itself so
 * concurrent tries cannot exceed it).
 * @throws AppError 401 `challenge_expired` (unknown, expired or out of attempts: sign in again).
 */
export async function takeChallengeAttempt(db: Db, token: string | undefined, now: Date): Promise<string> {
  const expired = () =>
    new AppError(401, 'challenge_expired', 'the sign-in expired or had too many tries; sign in again')
  if (!token || token.length > 200) throw expired()
  const [row] = await db
    .update(loginChallenges)
    .set({ attempts: sql`${loginChallenges.attempts} + 1` })
    .where(
      and(
        eq(loginChallenges.tokenHash, sha256Hex(token)),
        gt(loginChallenges.expiresAt, now),
        lt(loginChallenges.attempts, LOGIN_CHALLENGE_MAX_ATTEMPTS),
      ),
    )
    .returning({ userId: loginChallenges.userId })
  if (!row) throw expired()
  return row.userId
}

/**
 * The second step: spends the factor, ends the challenge and, when asked, remembers the
 * device. Records `two_factor_failed`, or `recovery_code_used` / `trusted_device_added`.
 * @returns how it passed and the raw remembered-device token (for the `tf_device` cookie).
 * @throws AppError 401 `invalid_code` (the challenge stays, with one attempt fewer).
 */
export async function completeSecondFactor(
  deps: TotpDeps,
  input: {
    challengeToken: string
    user: VerifiedLogin
    factor: SecondFactor
    rememberDevice: boolean
    trustedDeviceDays: number
    now: Date
    meta: RequestMeta
  },
): Promise<{ how: 'totp' | 'recovery_code'; device?: { token: string; expiresAt: Date } }> {
  const { user, workspace } = input.user
  const who = { userId: user.id, email: user.email, workspaceId: workspace.id }
  const how = await deps.db.transaction((tx) => spendSecondFactor(deps, tx, user.id, input.factor, input.now))
  if (!how) {
    await event(deps.db, 'two_factor_failed', who, input.meta)
    throw invalidCode(401)
  }
  await deps.db.delete(loginChallenges).where(eq(loginChallenges.tokenHash, sha256Hex(input.challengeToken)))
  if (how === 'recovery_code') await event(deps.db, 'recovery_code_used', who, input.meta)
  if (!input.rememberDevice) return { how }
  const token = randomBytes(32).toString('base64url')
  const expiresAt = trustedDeviceExpiry(input.now, input.trustedDeviceDays)
  await deps.db.insert(trustedDevices).values({
    userId: user.id,
    tokenHash: sha256Hex(token),
    label: input.meta.userAgent?.slice(0, 300) ?? null,
    expiresAt,
  })
  await event(deps.db, 'trusted_device_added', who, input.meta, { expires_at: expiresAt.toISOString() })
  return { how, device: { token, expiresAt } }
}

// ---------------------------------------------------------------------------------------
// workspace-enforced 2FA

/**
 * Part of the API guard (session auth only): 403 `two_factor_enrollment_required` when the
 * session's workspace requires 2FA, the user has none and the route is not one needed to
 * enrol (see `ENROLMENT_ALLOWED_ROUTES`). One indexed query per session request.
 * @throws AppError 403 `two_factor_enrollment_required`.
 */
export async function enforceWorkspace2fa(
  db: Db,
  req: FastifyRequest,
  auth: { via: 'session' | 'api_key'; userId: string; workspaceId: string },
): Promise<void> {
  if (auth.via !== 'session') return
  const [row] = await db
    .select({ required: workspaces.require2fa, enabledAt: users.totpEnabledAt })
    .from(workspaces)
    .innerJoin(users, eq(users.id, auth.userId))
    .where(eq(workspaces.id, auth.workspaceId))
  if (!row) return
  if (
    mustEnrolFirst({
      via: auth.via,
      workspaceRequires2fa: row.required,
      userHas2fa: row.enabledAt !== null,
      method: req.method,
      routeUrl: req.routeOptions.url ?? '',
    })
  ) {
    throw new AppError(
      403,
      'two_factor_enrollment_required',
      'this workspace requires two-factor authentication: turn it on in Settings → Security',
    )
  }
}

/**
 * Owner only: requires 2FA of every member of the workspace (or stops requiring it). The
 * owner must have 2FA on before requiring it, so they cannot lock themselves out of the
 * setting. Records `workspace_2fa_required` / `workspace_2fa_optional` and a change-log row
 * (object `workspace`) when it changes.
 * @returns the new value.
 * @throws AppError 403 `owner_required`, 409 `two_factor_not_enabled` (turn it on first).
 */
export async function setWorkspaceRequire2fa(
  db: Db,
  input: { workspaceId: string; userId: string; role: string; require: boolean; meta: RequestMeta },
): Promise<boolean> {
  if (input.role !== 'owner')
    throw new AppError(403, 'owner_required', 'only an owner can change the workspace security settings')
  const u = await userRow(db, input.userId)
  if (input.require && !u.totpEnabledAt)
    throw new AppError(
      409,
      'two_factor_not_enabled',
      'turn on two-factor authentication for your own account before requiring it',
    )
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ r: workspaces.require2fa })
      .from(workspaces)
      .where(eq(workspaces.id, input.workspaceId))
      .for('update')
    if (!before) throw notFound('workspace')
    if (before.r === input.require) return input.require
    await tx.update(workspaces).set({ require2fa: input.require }).where(eq(workspaces.id, input.workspaceId))
    // A workspace setting is configuration too: its History is in the change log.
    await recordChange(tx, {
      workspaceId: input.workspaceId,
      objectType: 'workspace',
      objectId: input.workspaceId,
      action: 'update',
      before: { require2fa: before.r },
      after: { require2fa: input.require },
    })
    await event(
      tx,
      input.require ? 'workspace_2fa_required' : 'workspace_2fa_optional',
      { userId: u.id, email: u.email, workspaceId: input.workspaceId },
      input.meta,
    )
    return input.require
  })
}
