/**
 * Composition root of the admin API: the platform's API app (src/platform/http/app.ts) with
 * the accounts module's guard, the modules every API has (accounts, routing configuration)
 * and the caller's further module plugins. src/server.ts mounts every module through it;
 * tests build the same API over a throwaway database.
 */
import type { FastifyInstance, FastifyRequest, FastifyServerFactory } from 'fastify'
import type { AppConfig } from './config.ts'
import {
  accountsRoutes,
  apiGuard,
  createMemoryLoginLimiter,
  type LoginLimiter,
  SESSION_COOKIE,
} from './modules/accounts/index.ts'
import { auditRoutes } from './modules/audit/index.ts'
import { routingApiRoutes } from './modules/routing/index.ts'
import { type Clock, systemClock } from './platform/clock.ts'
import type { Db } from './platform/db/client.ts'
import { type ApiPlugin, createApiApp } from './platform/http/app.ts'
import type { Logger } from './platform/logger.ts'
import type { SecretBox } from './platform/secret-box.ts'

/** Dependencies of {@link createAdminApi}. */
export interface AdminApiDeps {
  db: Db
  config: AppConfig
  logger: Logger
  /** Module routes after accounts and routing (reports, preview, …), under `/api/v1` behind the guard. */
  plugins?: ApiPlugin[]
  /** Passed to Fastify, e.g. to share one `node:http` server with the redirect listener. */
  serverFactory?: FastifyServerFactory
  /**
   * Attempt limiter of the auth routes (for login: 10 per IP+email and 30 failed per IP across emails, per 15 minutes). The server
   * passes the database-backed one shared by all processes (`createLoginLimiter`); default:
   * in this app's memory (tests, tools).
   */
  loginLimiter?: LoginLimiter
  /**
   * Seals TOTP secrets (2FA). The server passes the box it gives the autopilot (SECRETS_KEY or
   * DATA_DIR/secret.key); default: a random key of this process (tests, tools).
   */
  secretBox?: SecretBox
  /** Time source of the auth guard and the accounts routes; default `systemClock`. */
  clock?: Clock
  /** Called after each successful sign-up (billing's referral hook); see `AccountsRoutesDeps.onSignup`. */
  onSignup?: (user: { id: string; email: string }, req: FastifyRequest) => Promise<void>
}

/**
 * Builds the admin API (not yet listening, not yet `ready()`): `/api/v1/auth/*`,
 * `/api/v1/api-keys`, workspace and admin routes (accounts), the routing configuration
 * routes, the audit routes (change log, security events), then `deps.plugins`.
 */
export function createAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const { db, config } = deps
  const clock = deps.clock ?? systemClock
  const limiter = deps.loginLimiter ?? createMemoryLoginLimiter()
  return createApiApp({
    config,
    logger: deps.logger,
    ...(deps.serverFactory ? { serverFactory: deps.serverFactory } : {}),
    auth: { guard: apiGuard(db, clock), sessionCookie: SESSION_COOKIE },
    plugins: [
      {
        plugin: accountsRoutes({
          db,
          config,
          limiter,
          clock,
          ...(deps.secretBox ? { secretBox: deps.secretBox } : {}),
          ...(deps.onSignup ? { onSignup: deps.onSignup } : {}),
        }),
      },
      { plugin: routingApiRoutes({ db, config }) },
      { plugin: auditRoutes({ db, clock }) },
      ...(deps.plugins ?? []),
    ],
  })
}
