/**
 * Composition root of the admin API: the platform's API app (src/platform/http/app.ts) with
 * the accounts module's guard, the modules every API has (accounts, routing configuration)
 * and the caller's further module plugins. src/server.ts mounts every module through it;
 * tests build the same API over a throwaway database.
 */
import type { FastifyInstance, FastifyServerFactory } from 'fastify'
import type { AppConfig } from './config.ts'
import {
  accountsRoutes,
  apiGuard,
  createLoginLimiter,
  type LoginLimiter,
  SESSION_COOKIE,
} from './modules/accounts/index.ts'
import { routingApiRoutes } from './modules/routing/index.ts'
import type { Db } from './platform/db/client.ts'
import { type ApiPlugin, createApiApp } from './platform/http/app.ts'
import type { Logger } from './platform/logger.ts'

/** Dependencies of {@link createAdminApi}. */
export interface AdminApiDeps {
  db: Db
  config: AppConfig
  logger: Logger
  /** Module routes after accounts and routing (reports, preview, …), under `/api/v1` behind the guard. */
  plugins?: ApiPlugin[]
  /** Passed to Fastify, e.g. to share one `node:http` server with the redirect listener. */
  serverFactory?: FastifyServerFactory
  /** Login rate limiter; default 10 attempts per IP+email per 15 minutes, per app instance. */
  loginLimiter?: LoginLimiter
}

/**
 * Builds the admin API (not yet listening, not yet `ready()`): `/api/v1/auth/*`,
 * `/api/v1/api-keys`, workspace and admin routes (accounts), the routing configuration
 * routes, then `deps.plugins`.
 */
export function createAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const { db, config } = deps
  return createApiApp({
    config,
    logger: deps.logger,
    ...(deps.serverFactory ? { serverFactory: deps.serverFactory } : {}),
    auth: { guard: apiGuard(db), sessionCookie: SESSION_COOKIE },
    plugins: [
      { plugin: accountsRoutes({ db, config, limiter: deps.loginLimiter ?? createLoginLimiter() }) },
      { plugin: routingApiRoutes({ db, config }) },
      ...(deps.plugins ?? []),
    ],
  })
}
