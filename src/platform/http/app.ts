/**
 * The admin API application: Fastify with zod validation, OpenAPI docs, cookies, one error
 * shape for every failure, and the auth + CSRF guard in front of every `/api/v1/*` route.
 *
 * Error body (all 4xx/5xx): `{ error: { code, message, details? } }` where `details` is, for
 * validation failures, `[{ path, message }]` naming each bad field (`"destinations.0.weight"`).
 * 5xx never leak internals: `{ error: { code: 'internal', message: 'internal error' } }`.
 *
 * Input rules for every `/api/v1` route, checked here once (src/platform/http/input.ts), not
 * per route: every string in the query, the path parameters and the body is storable text
 * (no NUL, no unpaired surrogate) and every number fits a `real` column (no denormals like
 * `1e-320`) — a `preValidation` hook; and a body key that a schema would silently drop, at
 * any depth, is refused as `unknown field` — the validator compiler.
 *
 * Auth: an injected guard (`ApiAppDeps.auth.guard`, the accounts module's) runs before every
 * `/api/v1/*` route; it sets `req.auth` or throws. Routes declared with
 * `config: { public: true }` skip it — login, sign-up and password reset (they have no session
 * yet). `test/accounts.security.test.ts` sweeps every `/api/v1` route and fails on any public
 * route it was not told about.
 *
 * Scopes: every non-public `/api/v1` route declares `config: { scope: 'read'|'write'|'admin' }`
 * (the API-key scope it needs; `read` only on GET/HEAD); an `onRoute` hook makes
 * {@link createApiApp} throw, naming the route, when one does not. The guard enforces it.
 *
 * The platform mounts no module's routes itself: the composition root (src/api.ts) passes
 * every module plugin in `ApiAppDeps.plugins`.
 */
import fastifyCookie from '@fastify/cookie'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, {
  type FastifyError,
  type FastifySchemaCompiler,
  type FastifySchemaValidationError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
} from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { AppConfig } from '../../config.ts'
import { withChangeActor } from '../changelog/index.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { droppedKeys, type FieldError, unsafeInput } from './input.ts'
import { routeScopeProblem } from './route-scope.ts'
import './types.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No authentication and no CSRF check for this `/api/v1` route (login, sign-up, password reset). */
    public?: boolean
    /**
     * The API-key scope this route needs (issue 18): `read` (GET/HEAD only), `write`
     * (everything but membership, keys, billing and account security), `admin`. Every
     * non-public `/api/v1` route declares one: the app refuses to start otherwise.
     */
    scope?: 'read' | 'write' | 'admin'
  }
}

/** A module plugin mounted under `/api/v1` (+ `prefix`), behind the auth hook. */
export interface ApiPlugin {
  plugin: FastifyPluginAsync
  /** Path under `/api/v1`, e.g. `/reports`; default none. */
  prefix?: string
}

/** Dependencies of {@link createApiApp}. */
export interface ApiAppDeps {
  config: AppConfig
  /** pino logger; becomes Fastify's `loggerInstance` (request logs carry its redaction). */
  logger: Logger
  auth: {
    /** Runs before every non-public `/api/v1` route: sets `req.auth` or throws an AppError (401/403). */
    guard: (req: FastifyRequest) => Promise<void>
    /** Name of the session cookie, for the OpenAPI security scheme. */
    sessionCookie: string
  }
  /** Module routes, registered under `/api/v1` behind the guard, in this order. */
  plugins: ApiPlugin[]
  /** Passed to Fastify, e.g. to share one `node:http` server with the redirect listener. */
  serverFactory?: FastifyServerFactory
}

/** Request body limit in bytes (1 MiB): configuration documents are small. */
export const BODY_LIMIT = 1024 * 1024

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

// Serialised by hand (a string body bypasses route response schemas), so an error reply can
// never itself fail response validation.
function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body))
}

function dotted(instancePath: string | undefined): string {
  return (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
}

/** `invalid <where>: path: message; …` (the first five). */
function summarize(where: string, details: FieldError[]): string {
  const summary = details
    .slice(0, 5)
    .map((d) => `${d.path}: ${d.message}`)
    .join('; ')
  return `invalid ${where}: ${summary}`
}

/**
 * zod validation (fastify-type-provider-zod) made strict for bodies: a key that a nested
 * non-strict `z.object` would silently drop is a validation error naming it (unknown keys
 * are refused at every depth, whatever each module's schema says). Query strings keep
 * their schema's own policy.
 */
const strictValidatorCompiler: FastifySchemaCompiler<unknown> = (route) => {
  const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0])
  if (route.httpPart !== 'body') return validate
  return (data: unknown) => {
    const r = validate(data) as { value?: unknown; error?: FastifySchemaValidationError[] }
    if (r.error !== undefined) return r
    const unknown = droppedKeys(data, r.value)
    if (unknown.length === 0) return r
    return {
      error: unknown.map((d) => ({
        keyword: 'unknown_field',
        instancePath: `/${d.path.replace(/\./g, '/')}`,
        schemaPath: '#',
        message: d.message,
        params: {},
      })),
    }
  }
}

/**
 * Builds the admin API application (not yet listening, not yet `ready()`: callers may add
 * routes — UI, redirects — before `listen`). Routes: `/api/docs` (Swagger UI),
 * `/api/docs/json` (OpenAPI 3) and `deps.plugins` under `/api/v1`. Unknown routes answer 404
 * in the error shape.
 */
export async function createApiApp(deps: ApiAppDeps): Promise<FastifyInstance> {
  const { config, logger } = deps
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT,
    // Signed tokens in paths (one-click unsubscribe links) run past Fastify's default of 100.
    routerOptions: { maxParamLength: 512 },
    trustProxy: config.TRUSTED_PROXIES.trim() === '' ? false : config.TRUSTED_PROXIES,
    ...(deps.serverFactory ? { serverFactory: deps.serverFactory } : {}),
  }) as unknown as FastifyInstance

  // Every non-public /api/v1 route must say which API-key scope it needs (read routes must be
  // GET/HEAD): a route that does not stops the app here, at start, naming the route — so a new
  // route cannot silently be open to every key. Added first, on the root, so it sees every route.
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      const problem = routeScopeProblem({
        method: String(method),
        url: r.url,
        scope: r.config?.scope,
        public: r.config?.public === true,
      })
      if (problem) throw new Error(`API route ${String(method)} ${r.url} ${problem}`)
    }
  })

  app.setValidatorCompiler(strictValidatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.decorateRequest('auth', null as never)

  // An empty JSON body (e.g. a DELETE from a client that always sets Content-Type) is "no
  // body", not a 400; everything else goes through Fastify's poisoning-safe parser.
  const defaultJson = app.getDefaultJsonParser('error', 'error') as unknown as (
    req: FastifyRequest,
    body: string,
    done: (err: Error | null, value?: unknown) => void,
  ) => void
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined)
    defaultJson(req, body as string, done)
  })

  await app.register(fastifyCookie)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'traffoflex admin API',
        version: '1',
        description:
          'Session cookie (POST /api/v1/auth/login) or `Authorization: Bearer tfk_…`. Cookie-authenticated ' +
          'writes need `X-Requested-With: traffoflex`. API keys carry scopes read < write < admin: ' +
          'GET routes need read, changes need write, members/keys/billing/account security need admin ' +
          '(403 insufficient_scope); an expired key is 401 api_key_expired. Errors: `{error:{code,message,details}}`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: deps.auth.sessionCookie },
          apiKey: { type: 'http', scheme: 'bearer', description: 'API key, tfk_…' },
        },
      },
      security: [{ session: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (Array.isArray(err.validation)) {
      const where = err.validationContext ?? 'body'
      const details = err.validation.flatMap((v): FieldError[] => {
        const at = dotted(v.instancePath)
        // zod reports unknown keys on the parent object; name each key instead.
        const keys = (v.params as { keys?: unknown } | undefined)?.keys
        if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
          return keys.map((k) => ({ path: at ? `${at}.${String(k)}` : String(k), message: 'unknown field' }))
        }
        return [{ path: at || where, message: v.message ?? 'invalid' }]
      })
      return sendError(reply, 400, {
        error: { code: 'validation_failed', message: summarize(where, details), details },
      })
    }
    if (err instanceof AppError) {
      if (err.status >= 500) {
        req.log.error({ err }, 'request failed')
        return sendError(reply, err.status, { error: { code: 'internal', message: 'internal error' } })
      }
      const body: ErrorBody = { error: { code: err.code, message: err.message } }
      if (err.details !== undefined) body.error.details = err.details
      return sendError(reply, err.status, body)
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500
    if (status >= 400 && status < 500) {
      const code =
        err.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
          ? 'invalid_json'
          : (STATUS_CODES[status] ?? `http_${status}`)
      return sendError(reply, status, { error: { code, message: err.message } })
    }
    req.log.error({ err }, 'request failed')
    return sendError(reply, 500, { error: { code: 'internal', message: 'internal error' } })
  })

  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, {
      error: { code: 'not_found', message: `route ${req.method} ${req.url.split('?')[0]} not found` },
    }),
  )

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req) => {
        if (req.routeOptions.config.public !== true) await deps.auth.guard(req)
      })
      // The change log's author for everything the handler does (src/platform/changelog):
      // set in the last hook before the handler, which then runs inside it.
      api.addHook('preHandler', (req, _reply, done) => {
        if (req.routeOptions.config.public === true || !req.auth) return done()
        const a = req.auth
        withChangeActor(
          {
            type: a.via === 'api_key' ? 'api_key' : 'user',
            userId: a.userId,
            apiKeyId: a.apiKeyId ?? null,
            label: a.via === 'api_key' ? `key ${a.apiKeyPrefix ?? '?'} (${a.email})` : a.email,
            ip: req.ip,
          },
          done,
        )
      })
      // Every string of every route (query, path parameters, body) is checked here, before
      // any schema or handler, so a NUL or an unpaired surrogate never reaches PostgreSQL
      // (which refuses 0x00 in text) whatever a route's schema says — routes added later
      // included. The route's own validation follows.
      api.addHook('preValidation', async (req) => {
        for (const [where, value] of [
          ['query', req.query],
          ['params', req.params],
          ['body', req.body],
        ] as const) {
          const details = unsafeInput(value)
          if (details.length === 0) continue
          for (const d of details) if (d.path === '') d.path = where
          throw new AppError(400, 'validation_failed', summarize(where, details), details)
        }
      })
      for (const p of deps.plugins) {
        await api.register(p.plugin, p.prefix ? { prefix: p.prefix } : {})
      }
    },
    { prefix: '/api/v1' },
  )

  return app
}
