/**
 * The shell of API-key scopes (issue 18): applies {@link scopeDecision} to a request that the
 * guard authenticated. The route's needed scope is its `config.scope` (every non-public
 * `/api/v1` route declares one; the API app refuses to start otherwise).
 */
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../platform/errors.ts'
import type { AuthContext } from '../../platform/http/types.ts'
import { scopeDecision } from './accounts.scopes.core.ts'

function decide(req: FastifyRequest, auth: AuthContext) {
  return scopeDecision({
    via: auth.via,
    scopes: auth.scopes,
    needed: req.routeOptions.config.scope,
    method: req.method,
    route: req.routeOptions.url ?? req.url.split('?')[0] ?? '',
  })
}

/**
 * Refuses an API-key request whose key lacks the route's scope (sessions pass).
 * @throws AppError 403 `insufficient_scope` with details `[{ path: 'scope', message: <scope> }]`;
 *   500 when the route declares no scope (the app's start-up check makes that unreachable).
 */
export function assertScope(req: FastifyRequest): void {
  const d = decide(req, req.auth)
  if (d.ok) return
  if (d.status === 403) throw new AppError(403, d.code, d.message, [{ path: 'scope', message: d.scope }])
  throw new AppError(500, d.code, d.message)
}

/** True when `auth` (e.g. re-read for a long-lived stream) may still call this request's route. */
export function scopeStillAllows(req: FastifyRequest, auth: AuthContext): boolean {
  return decide(req, auth).ok
}
