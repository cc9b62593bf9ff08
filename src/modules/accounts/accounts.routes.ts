/**
 * Accounts HTTP routes, registered under `/api/v1` by the API app (after its auth hook;
 * `POST /auth/login` is the only route the hook lets through unauthenticated).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AppConfig } from '../../config.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError } from '../../platform/errors.ts'
import { findUserById, findWorkspace } from './accounts.repository.ts'
import {
  type ApiKeyInfo,
  createApiKey,
  type LoginLimiter,
  listApiKeys,
  login,
  logout,
  normaliseEmail,
  revokeApiKey,
  SESSION_COOKIE,
} from './accounts.service.ts'

/** Dependencies of {@link accountsRoutes}. */
export interface AccountsRoutesDeps {
  db: Db
  config: Pick<AppConfig, 'SESSION_TTL_HOURS' | 'COOKIE_SECURE'>
  /** Login attempts per `ip|email`; one limiter per app instance. */
  limiter: LoginLimiter
}

const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
})

const loginBody = z.strictObject({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
})

const userOut = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['user', 'admin']),
})
const workspaceOut = z.object({ id: z.uuid(), name: z.string() })

const apiKeyOut = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('first 12 characters of the key, e.g. "tfk_AbCdEfGh"'),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
})

const keyJson = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
  created_at: k.createdAt.toISOString(),
})

/**
 * `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`, `GET|POST /api-keys`,
 * `DELETE /api-keys/:id`. See `src/modules/accounts/README.md`.
 */
export function accountsRoutes(deps: AccountsRoutesDeps): FastifyPluginAsync {
  const { db, config, limiter } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Log in; sets the tf_session cookie',
          security: [],
          body: loginBody,
          response: {
            200: z.object({ user: userOut, workspace: workspaceOut, expires_at: z.string() }),
            401: errorBody,
            403: errorBody,
            429: errorBody,
          },
        },
      },
      async (req, reply) => {
        const limitKey = `${req.ip}|${normaliseEmail(req.body.email)}`
        const gate = limiter.consume(limitKey)
        if (!gate.allowed) {
          reply.header('retry-after', String(gate.retryAfterSeconds))
          throw new AppError(429, 'rate_limited', 'too many login attempts, try again later')
        }
        const res = await login(db, req.body, { ttlHours: config.SESSION_TTL_HOURS })
        limiter.reset(limitKey)
        reply.setCookie(SESSION_COOKIE, res.token, {
          httpOnly: true,
          sameSite: 'lax',
          secure: config.COOKIE_SECURE,
          path: '/',
          expires: res.expiresAt,
        })
        return { user: res.user, workspace: res.workspace, expires_at: res.expiresAt.toISOString() }
      },
    )

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['auth'],
          summary: 'End the cookie session (no-op for API keys)',
          response: { 204: z.undefined() },
        },
      },
      async (req, reply) => {
        const token = req.cookies[SESSION_COOKIE]
        if (req.auth.via === 'session' && token) await logout(db, token)
        reply.clearCookie(SESSION_COOKIE, { path: '/' })
        return reply.code(204).send()
      },
    )

    app.get(
      '/auth/me',
      {
        schema: {
          tags: ['auth'],
          summary: 'The authenticated user and workspace',
          response: {
            200: z.object({
              user: userOut.extend({ status: z.enum(['pending', 'active', 'suspended']) }),
              workspace: workspaceOut,
              via: z.enum(['session', 'api_key']),
            }),
          },
        },
      },
      async (req) => {
        const [user, ws] = await Promise.all([
          findUserById(db, req.auth.userId),
          findWorkspace(db, req.auth.workspaceId),
        ])
        if (!user || !ws) throw new AppError(401, 'unauthorized', 'authentication required')
        return {
          user: { id: user.id, email: user.email, role: user.role, status: user.status },
          workspace: { id: ws.id, name: ws.name },
          via: req.auth.via,
        }
      },
    )

    app.get(
      '/api-keys',
      {
        schema: {
          tags: ['api keys'],
          summary: "The caller's API keys in this workspace (secrets are never returned)",
          response: { 200: z.object({ items: z.array(apiKeyOut) }) },
        },
      },
      async (req) => ({ items: (await listApiKeys(db, req.auth.workspaceId, req.auth.userId)).map(keyJson) }),
    )

    app.post(
      '/api-keys',
      {
        schema: {
          tags: ['api keys'],
          summary: 'Create an API key; the key is in this response only',
          body: z.strictObject({ name: z.string().trim().min(1).max(200) }),
          response: {
            201: apiKeyOut.extend({ key: z.string().describe('tfk_… — shown once, store it now') }),
          },
        },
      },
      async (req, reply) => {
        const k = await createApiKey(db, {
          workspaceId: req.auth.workspaceId,
          userId: req.auth.userId,
          name: req.body.name,
        })
        return reply.code(201).send({ ...keyJson(k), key: k.key })
      },
    )

    app.delete(
      '/api-keys/:id',
      {
        schema: {
          tags: ['api keys'],
          summary: 'Revoke an API key (idempotent)',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.undefined(), 404: errorBody },
        },
      },
      async (req, reply) => {
        await revokeApiKey(db, req.auth.workspaceId, req.auth.userId, req.params.id)
        return reply.code(204).send()
      },
    )
  }
}
