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
 */
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, unauthorized } from '../../platform/errors.ts'
import {
  authenticateApiKey,
  authenticateSession,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  SESSION_COOKIE,
} from './accounts.service.ts'

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Builds the guard: sets `req.auth` or throws. `clock` decides session expiry and the API
 * key's `last_used_at`.
 * @throws AppError 401 `unauthorized` (no or bad credentials), 403 (pending/suspended user,
 *   or `csrf_failed` for a cookie-authenticated unsafe request without the CSRF header).
 */
export function apiGuard(db: Db, clock: Clock): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const authz = req.headers.authorization
    if (authz !== undefined) {
      const m = /^Bearer +(\S+) *$/i.exec(authz)
      if (!m) throw unauthorized()
      req.auth = await authenticateApiKey(db, m[1]!, clock.now())
      return
    }
    const token = req.cookies[SESSION_COOKIE]
    if (!token) throw unauthorized()
    req.auth = await authenticateSession(db, token, clock.now())
    if (UNSAFE_METHODS.has(req.method)) {
      const h = req.headers[CSRF_HEADER]
      if (typeof h !== 'string' || h.toLowerCase() !== CSRF_HEADER_VALUE) {
        throw new AppError(
          403,
          'csrf_failed',
          `cookie-authenticated ${req.method} requires header X-Requested-With: ${CSRF_HEADER_VALUE}`,
        )
      }
    }
  }
}
