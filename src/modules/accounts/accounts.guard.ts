/**
 * The admin API's authentication and CSRF guard, run by the API app (src/platform/http/app.ts)
 * before every `/api/v1/*` route that is not declared `config: { public: true }`.
 *
 * Auth: `Authorization: Bearer tfk_…` (API key) when the header is present — it alone is
 * used, a bad key is 401 even with a valid cookie — otherwise the `tf_session` cookie.
 * 401 when neither is valid, 403 for pending or suspended users.
 *
 * CSRF rule: a cookie-authenticated POST/PUT/PATCH/DELETE must send the header
 * `X-Requested-With: traffoflex`. Browsers cannot add a custom header to a cross-site
 * request without a CORS preflight, which this API never grants, so a forged form or
 * `fetch` from another origin is refused with 403 `csrf_failed`. Bearer-key requests are
 * exempt (no ambient credential to forge).
 *
 * Scopes (issue 18): an API key must hold the route's `config.scope` (`accounts.scopes.ts`),
 * else 403 `insufficient_scope`; an expired key is 401 `api_key_expired`. Sessions are not scoped.
 */
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, unauthorized } from '../../platform/errors.ts'
import type { AuthContext } from '../../platform/http/types.ts'
import { enforceWorkspace2fa } from './accounts.totp.ts'
import {
  authenticateApiKey,
  authenticateSession,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  SESSION_COOKIE,
} from './accounts.service.ts'
import { assertScope, scopeStillAllows } from './accounts.scopes.ts'

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Builds the guard: sets `req.auth` or throws. `clock` decides session expiry and the API
 * key's `last_used_at`.
 * @throws AppError 401 `unauthorized` (no or bad credentials) or `api_key_expired`, 403
 *   (pending/suspended user, `insufficient_scope` for a key without the route's scope, or `csrf_failed` for a cookie-authenticated unsafe request without the CSRF header).
 */
export function apiGuard(db: Db, clock: Clock): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    req.auth = await authenticateRequest(db, req, clock.now())
    assertScope(req)
    if (req.auth.via === 'session' && UNSAFE_METHODS.has(req.method)) {
      const h = req.headers[CSRF_HEADER]
      if (typeof h !== 'string' || h.toLowerCase() !== CSRF_HEADER_VALUE) {
        throw new AppError(
          403,
          'csrf_failed',
          `cookie-authenticated ${req.method} requires header X-Requested-With: ${CSRF_HEADER_VALUE}`,
        )
      }
    }
    // A workspace that requires 2FA: a session user without it may only enrol (403 otherwise).
    await enforceWorkspace2fa(db, req, req.auth)
  }
}

/**
 * Builds a re-check for a request that already passed {@link apiGuard} and lasts (the live
 * feed's SSE stream): it authenticates the request's own credential again, as the guard
 * would now, and answers whether it still acts as the same user, with the same platform
 * role (`user`/`admin`), in the same workspace.
 * False when the API key was revoked, the session ended (logout, expiry, suspension), the
 * user is no longer active, the membership is gone (or, in admin view, the admin role), or
 * the session moved to another workspace, or the platform role changed, or the key expired or
 * lost the route's scope. Reads the database, so a change made by any
 * process is seen.
 * @throws whatever the database throws (the caller decides; the live feed ends the stream).
 */
export function credentialStillValid(db: Db, clock: Clock): (req: FastifyRequest) => Promise<boolean> {
  return async (req) => {
    try {
      const now = await authenticateRequest(db, req, clock.now())
      // The role too: the admin live stream must end when its user stops being an admin.
      return (
        now.userId === req.auth.userId &&
        now.workspaceId === req.auth.workspaceId &&
        now.role === req.auth.role &&
        scopeStillAllows(req, now)
      )
    } catch (err) {
      if (err instanceof AppError && (err.status === 401 || err.status === 403)) return false
      throw err
    }
  }
}

/**
 * The request's credential → its auth context: the API key when an `Authorization` header
 * is present (alone), otherwise the session cookie.
 * @throws AppError 401 / 403 as {@link apiGuard}.
 */
async function authenticateRequest(db: Db, req: FastifyRequest, now: Date): Promise<AuthContext> {
  const authz = req.headers.authorization
  if (authz !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(authz)
    if (!m) throw unauthorized()
    return authenticateApiKey(db, m[1]!, now, req.ip)
  }
  const token = req.cookies[SESSION_COOKIE]
  if (!token) throw unauthorized()
  return authenticateSession(db, token, now)
}
