/**
 * Pure rules of two-factor authentication (TOTP, RFC 6238; issue 18): which time step a code
 * is accepted for (window ±1 step, no replay), the recovery-code format, remembered-device
 * expiry and which routes a user who must enrol may still call. No I/O, no clock: callers
 * pass the time and the HMAC (`codeAt`, from otpauth in `accounts.totp.ts`).
 */
import { timingSafeEqual } from 'node:crypto'

/** Seconds per TOTP time step (RFC 6238 default; every authenticator app uses it). */
export const TOTP_PERIOD_SECONDS = 30
/** Digits of a code. */
export const TOTP_DIGITS = 6
/** Steps accepted either side of the current one (clock drift, a code typed at a step's end). */
export const TOTP_WINDOW = 1

/** The RFC 6238 time step of instant `nowMs` (milliseconds since the epoch). */
export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS)
}

/** Why {@link checkTotpCode} refused a code. */
export type TotpRefusal = 'malformed' | 'no_match' | 'replayed'

/**
 * Decides whether `code` is accepted at `nowMs`.
 *
 * A code is accepted for step `s` when it equals `codeAt(s)` for some `s` in
 * `current-1 … current+1` **and** `s > lastStep` (the last step accepted for this user):
 * a code, once used, never works again, nor does any older one. When a code matches
 * several steps (two steps can share a code by chance), the latest one is taken, so the
 * same code cannot be spent twice in one window. Spaces inside the code are ignored.
 *
 * @param input.code what the user typed; @param input.nowMs the current time (ms);
 *   @param input.lastStep `users.totp_last_step` (null: never used);
 *   @param input.codeAt the 6-digit code of a step (HMAC of the user's secret).
 * @returns `{ok: true, step}` — store `step` as the new `lastStep` (only if it is still
 *   greater, see the service) — or `{ok: false, reason}`.
 */
export function checkTotpCode(input: {
  code: string
  nowMs: number
  lastStep: number | null
  codeAt: (step: number) => string
}): { ok: true; step: number } | { ok: false; reason: TotpRefusal } {
  const code = input.code.replace(/\s+/g, '')
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'malformed' }
  const current = timeStep(input.nowMs)
  let matched: number | null = null
  // Every step is compared (no early exit) so the time taken does not tell which one matched.
  for (let s = current - TOTP_WINDOW; s <= current + TOTP_WINDOW; s++) {
    if (sameCode(input.codeAt(s), code)) matched = s
  }
  if (matched === null) return { ok: false, reason: 'no_match' }
  if (input.lastStep !== null && matched <= input.lastStep) return { ok: false, reason: 'replayed' }
  return { ok: true, step: matched }
}

function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

// ---------------------------------------------------------------------------------------
// recovery codes

/** Codes made at once (enabling 2FA, regenerating). */
export const RECOVERY_CODE_COUNT = 10
/**
 * Alphabet of recovery codes: lower-case letters and digits without the look-alikes
 * 0/o and 1/l (32 symbols, 5 bits each).
 */
export const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'

/**
 * Turns random bytes into one recovery code `xxxxx-xxxxx` (10 symbols, 50 bits).
 * @param bytes at least 10 random bytes (each byte gives one symbol, `byte % 32`, unbiased as 256 = 8·32).
 * @throws RangeError when fewer than 10 bytes are given.
 */
export function formatRecoveryCode(bytes: Uint8Array): string {
  if (bytes.length < 10) throw new RangeError('a recovery code needs 10 random bytes')
  let s = ''
  for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[bytes[i]! % 32]
  return `${s.slice(0, 5)}-${s.slice(5)}`
}

/**
 * Normalises what a user typed as a recovery code: case, dashes and spaces do not matter.
 * @returns the 10 symbols in lower case, or null when it cannot be a recovery code (the
 *   caller then refuses it without a database lookup).
 */
export function normaliseRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]+/g, '')
  if (s.length !== 10) return null
  for (const ch of s) if (!RECOVERY_ALPHABET.includes(ch)) return null
  return s
}

// ---------------------------------------------------------------------------------------
// remembered devices and login challenges

/** Remembered-device lifetime bounds in days (env `TRUSTED_DEVICE_DAYS`). */
export const TRUSTED_DEVICE_DAYS_MIN = 1
export const TRUSTED_DEVICE_DAYS_MAX = 90
/** A login challenge (password passed, code awaited) lives this long. */
export const LOGIN_CHALLENGE_TTL_MS = 5 * 60_000
/** Codes tried per login challenge; after that the user signs in with the password again. */
export const LOGIN_CHALLENGE_MAX_ATTEMPTS = 5

/**
 * When a device remembered at `now` stops skipping the code.
 * @param days 1–90 (clamped).
 */
export function trustedDeviceExpiry(now: Date, days: number): Date {
  const d = Math.min(TRUSTED_DEVICE_DAYS_MAX, Math.max(TRUSTED_DEVICE_DAYS_MIN, Math.floor(days)))
  return new Date(now.getTime() + d * 86_400_000)
}

/** True while a remembered device (its `expires_at`) still skips the code at `now`. */
export function trustedDeviceValid(expiresAt: Date, now: Date): boolean {
  return expiresAt.getTime() > now.getTime()
}

// ---------------------------------------------------------------------------------------
// workspace-enforced 2FA

/**
 * Routes a session user may still call while their workspace requires 2FA and they have
 * none: enough to enrol (status, setup, enable), to see who they are, to sign out and to
 * switch to another workspace. Keys are `METHOD /api/v1/path` as Fastify names the route.
 */
export const ENROLMENT_ALLOWED_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/v1/auth/2fa',
  'POST /api/v1/auth/2fa/setup',
  'POST /api/v1/auth/2fa/enable',
  'GET /api/v1/auth/me',
  'POST /api/v1/auth/logout',
  'GET /api/v1/auth/workspaces',
  'POST /api/v1/auth/workspace',
])

/**
 * Whether a request must be refused with 403 `two_factor_enrollment_required`: the
 * session's workspace requires 2FA, the user has not enabled it, and the route is not one
 * of {@link ENROLMENT_ALLOWED_ROUTES}. API keys are not concerned (they never sign in).
 */
export function mustEnrolFirst(input: {
  via: 'session' | 'api_key'
  workspaceRequires2fa: boolean
  userHas2fa: boolean
  method: string
  routeUrl: string
}): boolean {
  if (input.via !== 'session' || !input.workspaceRequires2fa || input.userHas2fa) return false
  return !ENROLMENT_ALLOWED_ROUTES.has(`${input.method.toUpperCase()} ${input.routeUrl}`)
}
