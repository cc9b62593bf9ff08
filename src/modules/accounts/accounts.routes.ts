/**
 * Accounts HTTP routes, registered under `/api/v1` by the API app behind its auth hook.
 * Routes with `config: { public: true }` (login, sign-up, password reset) are the only ones
 * the hook lets through unauthenticated. Admin user management and workspace membership
 * live in `accounts.admin.routes.ts` and `accounts.workspace.routes.ts`, mounted from here.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AppConfig } from '../../config.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError, unauthorized } from '../../platform/errors.ts'
import { createSecretBox, type SecretBox } from '../../platform/secret-box.ts'
import { adminRoutes } from './accounts.admin.routes.ts'
import type { LoginLimiter } from './accounts.limiter.ts'
import { invitationRoutes } from './accounts.invitations.routes.ts'
import { createMailer, type Mailer } from './accounts.mailer.ts'
import { getWorkspaceAccess, listMyWorkspaces, switchWorkspace } from './accounts.members.ts'
import { findUserById, findWorkspace } from './accounts.repository.ts'
import { confirmPasswordReset, requestPasswordReset } from './accounts.reset.ts'
import {
  passwordChangeBody,
  profilePatch,
  profileToColumns,
  resetConfirmBody,
  resetRequestBody,
  signupBody,
  switchWorkspaceBody,
} from './accounts.schema.ts'
import {
  type ApiKeyInfo,
  changePassword,
  checkPassword,
  type KeyChangeMeta,
  createApiKey,
  listApiKeys,
  logout,
  normaliseEmail,
  openSession,
  revokeApiKey,
  SESSION_COOKIE,
  signup,
  updateApiKey,
  updateProfile,
} from './accounts.service.ts'
import { API_SCOPES, DEFAULT_KEY_SCOPES, keyExpired } from './accounts.scopes.core.ts'
import { totpLogin, totpRoutes } from './accounts.totp.routes.ts'
import { errorBody, memberRoleOut, userJson, userOut } from './accounts.wire.ts'
import { workspaceRoutes } from './accounts.workspace.routes.ts'

/** Dependencies of {@link accountsRoutes}. */
export interface AccountsRoutesDeps {
  db: Db
  config: Pick<
    AppConfig,
    'SESSION_TTL_HOURS' | 'COOKIE_SECURE' | 'SMTP_URL' | 'MAIL_FROM' | 'publicUrl' | 'TRUSTED_DEVICE_DAYS'
  >
  /**
   * Seals TOTP secrets (2FA). The server passes the box of SECRETS_KEY / DATA_DIR/secret.key;
   * default (tests, tools): a random key of this process, so sealed secrets do not outlive it.
   */
  secretBox?: SecretBox
  /**
   * Attempts per key (`ip|email` for login; see README for the others). The server's keeps
   * its counts in the database, shared by every process (`createLoginLimiter`).
   */
  limiter: LoginLimiter
  /** Time source for sessions, reset tokens, key revocation and approvals. */
  clock: Clock
  /** Account email (resets, invitations); default: SMTP from `config.SMTP_URL`, none (links logged) when unset. */
  mailer?: Mailer
  /**
   * Called after a successful sign-up with the new user (normalised email) and the request
   * (cookies, client IP), e.g. billing's referral hook. Injected so that accounts depends on
   * no other module. Its failure is logged and never fails the sign-up.
   */
  onSignup?: (user: { id: string; email: string }, req: FastifyRequest) => Promise<void>
}

const loginBody = z.strictObject({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
})

const loginUserOut = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['user', 'admin']),
})
const workspaceOut = z.object({ id: z.uuid(), name: z.string() })
/** The workspace a request acts in, with the caller's role there and whether they are a member. */
const actingWorkspaceOut = workspaceOut.extend({
  role: memberRoleOut.describe('your role here; `owner` in admin view'),
  member: z
    .boolean()
    .describe('false in admin view: a platform admin acting in a workspace they are not a member of'),
})
/** One entry of `GET /auth/workspaces`. */
const switchableWorkspaceOut = actingWorkspaceOut.extend({
  current: z.boolean().describe('the workspace this request acts in'),
})

const scopeEnum = z.enum(API_SCOPES)
const apiKeyOut = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('first 12 characters of the key, e.g. "tfk_AbCdEfGh"'),
  scopes: z
    .array(scopeEnum)
    .describe('read < write < admin, lowest first; a higher scope includes the lower'),
  expires_at: z
    .string()
    .nullable()
    .describe('after this instant the key is refused (401 api_key_expired); null = never'),
  expired: z.boolean().describe('expires_at has passed'),
  last_used_at: z.string().nullable().describe('last authenticated use (updated at most once a minute)'),
  last_used_ip: z.string().nullable().describe('client IP of that use'),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
})

const keyJson = (k: ApiKeyInfo, now: Date) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  expires_at: k.expiresAt?.toISOString() ?? null,
  expired: keyExpired(k.expiresAt, now),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
  last_used_ip: k.lastUsedIp,
  revoked_at: k.revokedAt?.toISOString() ?? null,
  created_at: k.createdAt.toISOString(),
})

const keyName = z.string().trim().min(1).max(200)
const keyScopes = z
  .array(scopeEnum)
  .min(1)
  .max(3)
  .refine((a) => new Set(a).size === a.length, 'each scope at most once')
const keyExpiry = z.iso
  .datetime({ offset: true })
  .describe('ISO 8601 date-time in the future, at most one year from now')

/** Who is changing a key (for the security event). */
const keyMeta = (req: FastifyRequest): KeyChangeMeta => ({
  email: req.auth.email,
  ip: req.ip,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
})

/**
 * Auth (`/auth/login|signup|logout|me|password|password-reset/*|workspaces|workspace`), API
 * keys (`/api-keys`), admin user management (`/admin/users`), workspace membership
 * (`/workspace`) and invitations (`/workspace/invitations`, `/invitations`). See `src/modules/accounts/README.md`.
 */
export function accountsRoutes(deps: AccountsRoutesDeps): FastifyPluginAsync {
  const { db, config, limiter, clock } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    const mailer = deps.mailer ?? createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM })

    // Reset requests are answered at once and handled in the background, so the answer's
    // timing does not tell whether the email has an account; invitation emails go the same
    // way, so a slow SMTP server does not hold the answer. Closing the app waits for them.
    const inflight = new Set<Promise<void>>()
    const background = (what: string, work: () => Promise<void>) => {
      const task: Promise<void> = work()
        .catch((err) => app.log.error({ err }, `${what} failed`))
        .finally(() => inflight.delete(task))
      inflight.add(task)
    }
    app.addHook('onClose', async () => {
      await Promise.allSettled([...inflight])
      if (!deps.mailer) mailer?.close()
    })

    /** Counts an attempt for `key`; 429 with Retry-After beyond the limit. */
    const gate = async (reply: FastifyReply, key: string): Promise<string> => {
      const g = await limiter.consume(key)
      if (!g.allowed) {
        reply.header('retry-after', String(g.retryAfterSeconds))
        throw new AppError(429, 'rate_limited', 'too many attempts, try again later')
      }
      return key
    }

    const setSessionCookie = (reply: FastifyReply, token: string, expires: Date) =>
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.COOKIE_SECURE,
        path: '/',
        expires,
      })
    const totpDeps = {
      db,
      box: deps.secretBox ?? createSecretBox(randomBytes(32)),
      clock,
      limiter,
      config,
      setSessionCookie,
    }
    const twoFactor = totpLogin(totpDeps)

    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Log in; sets the tf_session cookie',
          description:
            '401 invalid_credentials for an unknown email or a wrong password; after a correct password, ' +
            '403 pending_approval (sign-up not approved yet) or 403 suspended. A user with two-factor ' +
            'authentication gets `{two_factor_required: true}` and a tf_2fa cookie instead of a session ' +
            '(unless this browser is remembered): send the code to POST /auth/login/2fa.',
          security: [],
          body: loginBody,
          response: {
            200: z.union([
              z.object({ user: loginUserOut, workspace: workspaceOut, expires_at: z.string() }),
              z.object({
                two_factor_required: z.literal(true),
                trusted_device_days: z.number().int().describe('how long "remember this device" lasts'),
              }),
            ]),
            401: errorBody,
            403: errorBody,
            429: errorBody,
          },
        },
      },
      async (req, reply) => {
        // Two limits: failed logins from this address across every email (password spraying),
        // then attempts on this email from this address (guessing one password).
        const ip = await limiter.consumeIp(req.ip)
        if (!ip.allowed) {
          reply.header('retry-after', String(ip.retryAfterSeconds))
          throw new AppError(429, 'rate_limited', 'too many attempts, try again later')
        }
        const limitKey = await gate(reply, `${req.ip}|${normaliseEmail(req.body.email)}`)
        const verified = await checkPassword(db, req.body).catch(async (err) => {
          await twoFactor.signInFailed(req, req.body.email, err)
          throw err
        })
        await limiter.refundIp(req.ip)
        await limiter.reset(limitKey)
        // With 2FA on (and no remembered device) the session opens at POST /auth/login/2fa.
        const pending = await twoFactor.afterPassword(req, reply, verified)
        if (pending) return pending
        const res = await openSession(db, verified, { ttlHours: config.SESSION_TTL_HOURS, now: clock.now() })
        await twoFactor.signedIn(req, res, 'none')
        setSessionCookie(reply, res.token, res.expiresAt)
        return { user: res.user, workspace: res.workspace, expires_at: res.expiresAt.toISOString() }
      },
    )

    app.post(
      '/auth/signup',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Sign up; the account is pending until an admin approves it (no session until then)',
          security: [],
          body: signupBody,
          response: {
            201: z.object({
              user: z.object({ id: z.uuid(), email: z.string(), status: z.literal('pending') }),
            }),
            409: errorBody,
            429: errorBody,
          },
        },
      },
      async (req, reply) => {
        await gate(reply, `signup|${req.ip}`)
        const { email, password, ...profile } = req.body
        const user = await signup(db, { email, password, profile: profileToColumns(profile) })
        if (deps.onSignup) {
          try {
            await deps.onSignup({ id: user.id, email: user.email }, req)
          } catch (err) {
            req.log.error({ err, userId: user.id }, 'sign-up hook failed (sign-up kept)')
          }
        }
        return reply.code(201).send({ user })
      },
    )

    app.post(
      '/auth/logout',
      {
        config: { scope: 'write' },
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

    const meOut = z.object({
      user: userOut,
      workspace: actingWorkspaceOut,
      via: z.enum(['session', 'api_key']),
    })
    const me = async (userId: string, workspaceId: string, via: 'session' | 'api_key') => {
      const [user, ws, access] = await Promise.all([
        findUserById(db, userId),
        findWorkspace(db, workspaceId),
        getWorkspaceAccess(db, workspaceId, userId),
      ])
      if (!user || !ws || !access) throw unauthorized()
      return { user: userJson(user), workspace: { id: ws.id, name: ws.name, ...access }, via }
    }

    app.get(
      '/auth/me',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['auth'],
          summary: 'The authenticated user (with profile) and workspace',
          response: { 200: meOut },
        },
      },
      async (req) => me(req.auth.userId, req.auth.workspaceId, req.auth.via),
    )

    app.patch(
      '/auth/me',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary:
            'Update your profile (name, phone, company, vat_id, address, city, country); null or "" clears',
          body: profilePatch,
          response: { 200: meOut },
        },
      },
      async (req) => {
        await updateProfile(db, req.auth.userId, profileToColumns(req.body))
        return me(req.auth.userId, req.auth.workspaceId, req.auth.via)
      },
    )

    app.post(
      '/auth/password',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Change your password; ends your other sessions (API keys keep working)',
          body: passwordChangeBody,
          response: { 204: z.undefined(), 400: errorBody, 429: errorBody },
        },
      },
      async (req, reply) => {
        const key = await gate(reply, `password|${req.auth.userId}`)
        const token = req.auth.via === 'session' ? req.cookies[SESSION_COOKIE] : undefined
        await changePassword(db, {
          userId: req.auth.userId,
          currentPassword: req.body.current_password,
          newPassword: req.body.new_password,
          ...(token ? { keepSessionToken: token } : {}),
        })
        await limiter.reset(key)
        return reply.code(204).send()
      },
    )

    app.post(
      '/auth/password-reset/request',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Email a single-use password-reset link (valid 1 h); always 202',
          description:
            'The answer is the same whether or not the email has an account. The link is ' +
            '`{PUBLIC_URL}/reset-password#token=…`; without SMTP_URL it is written to the server log.',
          security: [],
          body: resetRequestBody,
          response: { 202: z.object({ message: z.string() }), 429: errorBody },
        },
      },
      async (req, reply) => {
        await gate(reply, `reset|${req.ip}|${normaliseEmail(req.body.email)}`)
        const email = req.body.email
        background('password reset request', () =>
          requestPasswordReset({ db, mailer, log: app.log, publicUrl: config.publicUrl, clock }, email),
        )
        return reply
          .code(202)
          .send({ message: 'if an account exists for this email, a reset link has been sent to it' })
      },
    )

    app.post(
      '/auth/password-reset/confirm',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Set a new password with a reset token; ends every session of the user',
          security: [],
          body: resetConfirmBody,
          response: { 204: z.undefined(), 400: errorBody, 429: errorBody },
        },
      },
      async (req, reply) => {
        await gate(reply, `reset-confirm|${req.ip}`)
        await confirmPasswordReset(db, req.body, clock.now())
        return reply.code(204).send()
      },
    )

    app.get(
      '/auth/workspaces',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['auth'],
          summary: 'The workspaces you can switch to; `current` marks the one this request acts in',
          description:
            'Your memberships, oldest first. For a platform admin also every other workspace, after ' +
            'them by name, with `member: false` and `role: owner` (admin view).',
          response: { 200: z.object({ items: z.array(switchableWorkspaceOut) }) },
        },
      },
      async (req) => ({
        items: (await listMyWorkspaces(db, req.auth.userId, req.auth.role)).map((w) => ({
          ...w,
          current: w.id === req.auth.workspaceId,
        })),
      }),
    )

    app.post(
      '/auth/workspace',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['auth'],
          summary:
            "Switch the session's workspace (cookie sessions only; an API key is bound to its workspace)",
          description:
            'A workspace you are a member of; a platform admin may switch into any workspace and acts ' +
            'there as an owner (admin view). 404 otherwise, and the session is unchanged.',
          body: switchWorkspaceBody,
          response: {
            200: z.object({ workspace: workspaceOut.extend({ role: memberRoleOut }) }),
            400: errorBody,
            404: errorBody,
          },
        },
      },
      async (req) => {
        const token = req.cookies[SESSION_COOKIE]
        if (req.auth.via !== 'session' || !token)
          throw new AppError(400, 'session_required', 'only a cookie session can switch workspace')
        const r = await switchWorkspace(db, {
          sessionToken: token,
          userId: req.auth.userId,
          workspaceId: req.body.workspace_id,
        })
        return { workspace: { id: r.workspace.id, name: r.workspace.name, role: r.role } }
      },
    )

    app.get(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['api keys'],
          summary: "The caller's API keys in this workspace (secrets are never returned)",
          response: { 200: z.object({ items: z.array(apiKeyOut) }) },
        },
      },
      async (req) => {
        const now = clock.now()
        const keys = await listApiKeys(db, req.auth.workspaceId, req.auth.userId)
        return { items: keys.map((k) => keyJson(k, now)) }
      },
    )

    app.post(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['api keys'],
          summary: 'Create an API key; the key is in this response only',
          description:
            '`scopes` (default `["read"]`): `read` = GET routes, `write` = also changes to tracking ' +
            'configuration, `admin` = everything (members, invitations, API keys, billing, account ' +
            'security). `expires_at` (optional): in the future, at most one year away; absent = never. ' +
            'Keys belong to members: in admin view (a platform admin who is not a member) this is ' +
            '403 `membership_required`, so admin view never outlives the session.',
          body: z.strictObject({
            name: keyName,
            scopes: keyScopes.default([...DEFAULT_KEY_SCOPES]),
            expires_at: keyExpiry.nullable().optional(),
          }),
          response: {
            201: apiKeyOut.extend({ key: z.string().describe('tfk_… — shown once, store it now') }),
            400: errorBody,
            403: errorBody,
          },
        },
      },
      async (req, reply) => {
        const access = await getWorkspaceAccess(db, req.auth.workspaceId, req.auth.userId)
        if (!access?.member)
          throw new AppError(403, 'membership_required', 'API keys can only be created by workspace members')
        const now = clock.now()
        const k = await createApiKey(db, {
          workspaceId: req.auth.workspaceId,
          userId: req.auth.userId,
          name: req.body.name,
          scopes: req.body.scopes,
          expiresAt: req.body.expires_at ? new Date(req.body.expires_at) : null,
          now,
          meta: keyMeta(req),
        })
        return reply.code(201).send({ ...keyJson(k, now), key: k.key })
      },
    )

    app.patch(
      '/api-keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['api keys'],
          summary: 'Edit one of your API keys: name, scopes, expiry (absent = unchanged)',
          description:
            '`expires_at: null` removes the expiry; a new expiry must be in the future and at most one ' +
            'year away (so an expired key can be extended). 404 for a key that is not yours in this ' +
            'workspace, 409 for a revoked key.',
          params: z.object({ id: z.uuid() }),
          body: z.strictObject({
            name: keyName.optional(),
            scopes: keyScopes.optional(),
            expires_at: keyExpiry.nullable().optional(),
          }),
          response: { 200: apiKeyOut, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        const now = clock.now()
        const b = req.body
        const k = await updateApiKey(db, {
          workspaceId: req.auth.workspaceId,
          userId: req.auth.userId,
          keyId: req.params.id,
          patch: {
            ...(b.name !== undefined ? { name: b.name } : {}),
            ...(b.scopes !== undefined ? { scopes: b.scopes } : {}),
            ...(b.expires_at !== undefined
              ? { expiresAt: b.expires_at === null ? null : new Date(b.expires_at) }
              : {}),
          },
          now,
          meta: keyMeta(req),
        })
        return keyJson(k, now)
      },
    )

    app.delete(
      '/api-keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['api keys'],
          summary: 'Revoke an API key (idempotent)',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.undefined(), 404: errorBody },
        },
      },
      async (req, reply) => {
        await revokeApiKey(
          db,
          req.auth.workspaceId,
          req.auth.userId,
          req.params.id,
          clock.now(),
          keyMeta(req),
        )
        return reply.code(204).send()
      },
    )

    await app.register(adminRoutes({ db, clock }))
    await app.register(workspaceRoutes({ db }))
    await app.register(totpRoutes(totpDeps))
    await app.register(
      invitationRoutes({ db, clock, mailer, log: app.log, publicUrl: config.publicUrl, background }),
    )
  }
}
