/**
 * Password reset by email: a single-use link valid for one hour.
 *
 * The token is 32 random bytes (base64url); only its SHA-256 is stored. It travels in the
 * link's fragment (`/reset-password#token=…`), which browsers never send to a server, so it
 * does not land in access logs or `Referer` headers. Without SMTP the link is written to
 * the server log at info level instead — the only place the plain token then exists.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError } from '../../platform/errors.ts'
import type { Mailer } from './accounts.mailer.ts'
import {
  consumeResetToken,
  deleteExpiredResetTokens,
  deleteResetTokensOf,
  deleteSessionsOf,
  findUserByEmail,
  insertResetToken,
  setPasswordHash,
} from './accounts.repository.ts'
import { hashPassword, normaliseEmail, sha256Hex } from './accounts.service.ts'

/** How long a reset link works: 1 hour, in milliseconds. */
export const RESET_TOKEN_TTL_MS = 3_600_000

/** The logger calls this module makes (pino and Fastify's logger fit). */
export interface ResetLog {
  info(obj: object, msg: string): void
}

/** Dependencies of {@link requestPasswordReset}. */
export interface ResetDeps {
  db: Db
  /** SMTP mailer; undefined when `SMTP_URL` is unset (the link is logged instead). */
  mailer: Mailer | undefined
  log: ResetLog
  /** Base URL of the admin UI without a trailing slash, e.g. `https://tds.example.com`. */
  publicUrl: string
  /** Time source: a token expires {@link RESET_TOKEN_TTL_MS} after `clock.now()`. */
  clock: Clock
}

/** The link a reset email carries: `{publicUrl}/reset-password#token={token}`. */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}/reset-password#token=${encodeURIComponent(token)}`
}

/**
 * Starts a reset for `email`: when an active or pending user has it, stores a new token
 * (hashed, expiring in {@link RESET_TOKEN_TTL_MS}) and emails the link — or logs it when
 * there is no mailer. Unknown emails and suspended users silently get nothing; the HTTP
 * caller always answers 202, so the answer never tells whether an account exists.
 * Earlier unused links of the user stay valid until they expire or one is used.
 * @throws when the database or the SMTP server fails (the route runs this in the background and logs it).
 */
export async function requestPasswordReset(deps: ResetDeps, email: string): Promise<void> {
  const now = deps.clock.now()
  const user = await findUserByEmail(deps.db, normaliseEmail(email))
  await deleteExpiredResetTokens(deps.db, now)
  if (!user || user.status === 'suspended') return
  const token = randomBytes(32).toString('base64url')
  await insertResetToken(deps.db, {
    tokenHash: sha256Hex(token),
    userId: user.id,
    expiresAt: new Date(now.getTime() + RESET_TOKEN_TTL_MS),
  })
  const link = resetLink(deps.publicUrl, token)
  if (!deps.mailer) {
    deps.log.info(
      { email: user.email, reset_link: link },
      'password reset requested; SMTP_URL is not set, so the link is logged instead of emailed',
    )
    return
  }
  await deps.mailer.send({
    to: user.email,
    subject: 'Reset your traffoflex password',
    text: [
      `Someone (hopefully you) asked to reset the password of the traffoflex account ${user.email}.`,
      '',
      'Open this link within 1 hour to choose a new password (it works once):',
      link,
      '',
      'If you did not ask for this, ignore this email; your password stays as it is.',
    ].join('\n'),
  })
}

/**
 * Completes a reset: uses the token up (single use, even under concurrent confirmations),
 * sets the new password, ends every session of the user and voids their other reset links.
 * API keys keep working.
 * @param input.token the raw token from the link; @param input.password the new password (≥ 10 chars).
 * @param now the current time (from the caller's clock); tokens with `expires_at <= now` are refused.
 * @returns the user's id.
 * @throws AppError 400 `invalid_token` when the token is unknown, used or expired.
 */
export async function confirmPasswordReset(
  db: Db,
  input: { token: string; password: string },
  now: Date,
): Promise<{ userId: string }> {
  // Hash before the transaction: argon2 takes tens of milliseconds, no lock held meanwhile.
  const passwordHash = await hashPassword(input.password)
  return db.transaction(async (tx) => {
    const userId = await consumeResetToken(tx, sha256Hex(input.token), now)
    if (!userId)
      throw new AppError(400, 'invalid_token', 'the reset link is invalid, expired or already used', [
        { path: 'token', message: 'invalid, expired or already used' },
      ])
    await setPasswordHash(tx, userId, passwordHash)
    await deleteSessionsOf(tx, userId)
    await deleteResetTokensOf(tx, userId)
    return { userId }
  })
}
