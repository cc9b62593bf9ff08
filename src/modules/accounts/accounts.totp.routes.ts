/**
 * Two-factor authentication over HTTP (issue 18): `/auth/2fa*` (enrolment, status, recovery
 * codes, remembered devices), the second sign-in step `POST /auth/login/2fa` and the
 * password step's hand-over (`totpLogin`, called by `POST /auth/login` in accounts.routes.ts).
 * Mounted from `accountsRoutes`. See the 2FA section of this module's README.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AppConfig } from '../../config.ts'
import type { Clock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError } from '../../platform/errors.ts'
import type { SecretBox } from '../../platform/secret-box.ts'
import type { LoginLimiter } from './accounts.limiter.ts'
import { recordSecurityEvent } from './accounts.security-events.ts'
import { findUserByEmail } from './accounts.repository.ts'
import {
  type LoginResult,
  normaliseEmail,
  openSession,
  type VerifiedLogin,
  verifiedLoginOf,
} from './accounts.service.ts'
import {
  CHALLENGE_COOKIE,
  completeSecondFactor,
  createLoginChallenge,
  disableTotp,
  enableTotp,
  needsSecondFactor,
  regenerateRecoveryCodes,
  removeTrustedDevice,
  requestMeta,
  type SecondFactor,
  startTotpSetup,
  takeChallengeAttempt,
  TRUSTED_DEVICE_COOKIE,
  totpStatus,
} from './accounts.totp.ts'
import { errorBody } from './accounts.wire.ts'

/** Dependencies of the 2FA routes and of the login hand-over. */
export interface TotpRoutesDeps {
  db: Db
  box: SecretBox
  clock: Clock
  limiter: LoginLimiter
  config: Pick<AppConfig, 'SESSION_TTL_HOURS' | 'COOKIE_SECURE' | 'TRUSTED_DEVICE_DAYS'>
  /** Sets the `tf_session` cookie exactly as a password-only login does. */
  setSessionCookie: (reply: FastifyReply, token: string, expires: Date) => void
}

/** The cookies of the 2FA sign-in live only on the login paths. */
const LOGIN_COOKIE_PATH = '/api/v1/auth/login'

const rateLimited = (reply: FastifyReply, retryAfterSeconds: number) => {
  reply.header('retry-after', String(retryAfterSeconds))
  return new AppError(429, 'rate_limited', 'too many attempts, try again later')
}

/**
 * The login route's 2FA hand-over and its security events, used by `POST /auth/login`:
 * - `signInFailed` records `sign_in_failed` (unknown email included) for a refused password step;
 * - `afterPassword` answers `{two_factor_required: true}` with the challenge cookie when a
 *   code is still needed (null: open the session now);
 * - `signedIn` records `sign_in`.
 */
export function totpLogin(deps: TotpRoutesDeps) {
  const { db, clock, config } = deps
  return {
    async signInFailed(req: FastifyRequest, email: string, err: unknown): Promise<void> {
      const user = await findUserByEmail(db, normaliseEmail(email))
      const m = requestMeta(req)
      await recordSecurityEvent(db, {
        kind: 'sign_in_failed',
        userId: user?.id ?? null,
        email: user?.email ?? normaliseEmail(email).slice(0, 320),
        ip: m.ip,
        userAgent: m.userAgent,
        detail: { reason: err instanceof AppError ? err.code : 'error' },
      })
    },
    async afterPassword(
      req: FastifyRequest,
      reply: FastifyReply,
      v: VerifiedLogin,
    ): Promise<{ two_factor_required: true; trusted_device_days: number } | null> {
      const now = clock.now()
      if (!(await needsSecondFactor(db, v.user, req.cookies[TRUSTED_DEVICE_COOKIE], now))) return null
      const c = await createLoginChallenge(db, v.user.id, now)
      reply.setCookie(CHALLENGE_COOKIE, c.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: config.COOKIE_SECURE,
        path: LOGIN_COOKIE_PATH,
        expires: c.expiresAt,
      })
      return { two_factor_required: true, trusted_device_days: config.TRUSTED_DEVICE_DAYS }
    },
    async signedIn(req: FastifyRequest, res: LoginResult, how: string): Promise<void> {
      const m = requestMeta(req)
      await recordSecurityEvent(db, {
        kind: 'sign_in',
        userId: res.user.id,
        email: res.user.email,
        workspaceId: res.workspace.id,
        ip: m.ip,
        userAgent: m.userAgent,
        detail: { second_factor: how },
      })
    },
  }
}

const codeField = z.string().trim().min(1).max(20).describe('6-digit code from the authenticator app')
const recoveryField = z.string().trim().min(1).max(40).describe('a recovery code, e.g. "abcde-fghij"')

const loginBody = z
  .strictObject({
    code: codeField.optional(),
    recovery_code: recoveryField.optional(),
    remember_device: z.boolean().optional().describe('skip the code on this browser for TRUSTED_DEVICE_DAYS'),
  })
  .refine((b) => (b.code === undefined) !== (b.recovery_code === undefined), {
    message: 'send either code or recovery_code',
    path: ['code'],
  })

/** A code or a recovery code, for disable / regenerate. */
const factorBody = {
  code: codeField.optional(),
  recovery_code: recoveryField.optional(),
}
const oneFactor = (b: { code?: string | undefined; recovery_code?: string | undefined }) =>
  (b.code === undefined) !== (b.recovery_code === undefined)

const factorOf = (b: { code?: string | undefined; recovery_code?: string | undefined }): SecondFactor =>
  b.recovery_code !== undefined ? { recoveryCode: b.recovery_code } : { code: b.code }

const loginOut = z.object({
  user: z.object({ id: z.uuid(), email: z.string(), role: z.enum(['user', 'admin']) }),
  workspace: z.object({ id: z.uuid(), name: z.string() }),
  expires_at: z.string(),
})

const statusOut = z.object({
  enabled: z.boolean(),
  enabled_at: z.string().nullable(),
  recovery_codes_left: z.number().int(),
  required_by_workspace: z.boolean().describe("the session's workspace requires 2FA of its members"),
  trusted_device_days: z.number().int().describe('how long "remember this device" lasts'),
  devices: z.array(
    z.object({
      id: z.uuid(),
      label: z.string().nullable().describe('the browser (User-Agent) it was remembered from'),
      created_at: z.string(),
      last_used_at: z.string().nullable(),
      expires_at: z.string(),
    }),
  ),
})

const codesOut = z.object({
  recovery_codes: z.array(z.string()).describe('shown once: store them now'),
})

/**
 * `GET /auth/2fa`, `POST /auth/2fa/setup|enable|disable|recovery-codes`,
 * `DELETE /auth/2fa/devices/:id` (cookie sessions only for changes) and the public
 * `POST /auth/login/2fa`.
 */
export function totpRoutes(deps: TotpRoutesDeps): FastifyPluginAsync {
  const { db, box, clock, limiter, config } = deps
  const t = { db, box }
  const login = totpLogin(deps)
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    /** Changing 2FA is for a person at a browser, never an API key. */
    const sessionOnly = (req: FastifyRequest) => {
      if (req.auth.via !== 'session')
        throw new AppError(
          400,
          'session_required',
          'two-factor settings change only from a signed-in browser',
        )
    }

    app.post(
      '/auth/login/2fa',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Second sign-in step: a code (or recovery code) after the password; sets tf_session',
          description:
            'Needs the tf_2fa cookie set by POST /auth/login when it answered `two_factor_required`. ' +
            '401 invalid_code (wrong, used or replayed), 401 challenge_expired (5 minutes or 5 tries ' +
            'passed: sign in again), 429 rate_limited. `remember_device` sets the tf_device cookie.',
          security: [],
          body: loginBody,
          response: { 200: loginOut, 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody },
        },
      },
      async (req, reply) => {
        const now = clock.now()
        // Same two limits as the password step: this address across all users, then this user.
        const ip = await limiter.consumeIp(req.ip)
        if (!ip.allowed) throw rateLimited(reply, ip.retryAfterSeconds)
        const token = req.cookies[CHALLENGE_COOKIE]
        const userId = await takeChallengeAttempt(db, token, now)
        const userKey = `2fa|${userId}`
        const g = await limiter.consume(userKey)
        if (!g.allowed) throw rateLimited(reply, g.retryAfterSeconds)
        const v = await verifiedLoginOf(db, userId)
        const done = await completeSecondFactor(t, {
          challengeToken: token!,
          user: v,
          factor: factorOf(req.body),
          rememberDevice: req.body.remember_device === true,
          trustedDeviceDays: config.TRUSTED_DEVICE_DAYS,
          now,
          meta: requestMeta(req),
        })
        await limiter.refundIp(req.ip)
        await limiter.reset(userKey)
        const res = await openSession(db, v, { ttlHours: config.SESSION_TTL_HOURS, now })
        await login.signedIn(req, res, done.how)
        deps.setSessionCookie(reply, res.token, res.expiresAt)
        reply.clearCookie(CHALLENGE_COOKIE, { path: LOGIN_COOKIE_PATH })
        if (done.device)
          reply.setCookie(TRUSTED_DEVICE_COOKIE, done.device.token, {
            httpOnly: true,
            sameSite: 'lax',
            secure: config.COOKIE_SECURE,
            path: LOGIN_COOKIE_PATH,
            expires: done.device.expiresAt,
          })
        return { user: res.user, workspace: res.workspace, expires_at: res.expiresAt.toISOString() }
      },
    )

    app.get(
      '/auth/2fa',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['auth'],
          summary: 'Your two-factor state: on/off, recovery codes left, remembered devices',
          response: { 200: statusOut },
        },
      },
      async (req) => {
        const s = await totpStatus(db, req.auth.userId, req.auth.workspaceId, clock.now())
        return {
          enabled: s.enabled,
          enabled_at: s.enabledAt?.toISOString() ?? null,
          recovery_codes_left: s.recoveryCodesLeft,
          required_by_workspace: s.requiredByWorkspace,
          trusted_device_days: config.TRUSTED_DEVICE_DAYS,
          devices: s.devices.map((d) => ({
            id: d.id,
            label: d.label,
            created_at: d.createdAt.toISOString(),
            last_used_at: d.lastUsedAt?.toISOString() ?? null,
            expires_at: d.expiresAt.toISOString(),
          })),
        }
      },
    )

    app.post(
      '/auth/2fa/setup',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Start enabling 2FA: a new secret as otpauth URI, QR code (SVG data URL) and base32',
          description: 'Confirm with POST /auth/2fa/enable. 409 two_factor_already_enabled.',
          response: {
            200: z.object({ otpauth_uri: z.string(), qr_data_url: z.string(), secret: z.string() }),
            400: errorBody,
            409: errorBody,
          },
        },
      },
      async (req) => {
        sessionOnly(req)
        const s = await startTotpSetup(t, req.auth.userId)
        return { otpauth_uri: s.uri, qr_data_url: s.qrDataUrl, secret: s.secret }
      },
    )

    app.post(
      '/auth/2fa/enable',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Confirm a code from the app: 2FA is on; answers 10 recovery codes (shown once)',
          body: z.strictObject({ code: codeField }),
          response: { 200: codesOut, 400: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        sessionOnly(req)
        const codes = await enableTotp(t, {
          userId: req.auth.userId,
          code: req.body.code,
          now: clock.now(),
          workspaceId: req.auth.workspaceId,
          meta: requestMeta(req),
        })
        return { recovery_codes: codes }
      },
    )

    /** Per-user limit on code checks of signed-in changes (disable, regenerate). */
    const gateUser = async (reply: FastifyReply, userId: string) => {
      const g = await limiter.consume(`2fa-change|${userId}`)
      if (!g.allowed) throw rateLimited(reply, g.retryAfterSeconds)
    }

    app.post(
      '/auth/2fa/disable',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Turn 2FA off: your password and a current code (or a recovery code)',
          description:
            'Deletes the secret, recovery codes and remembered devices. 400 invalid_credentials (password), ' +
            '400 invalid_code, 409 two_factor_not_enabled.',
          body: z
            .strictObject({ password: z.string().min(1).max(1024), ...factorBody })
            .refine(oneFactor, { message: 'send either code or recovery_code', path: ['code'] }),
          response: { 204: z.undefined(), 400: errorBody, 409: errorBody, 429: errorBody },
        },
      },
      async (req, reply) => {
        sessionOnly(req)
        await gateUser(reply, req.auth.userId)
        await disableTotp(t, {
          userId: req.auth.userId,
          password: req.body.password,
          factor: factorOf(req.body),
          now: clock.now(),
          workspaceId: req.auth.workspaceId,
          meta: requestMeta(req),
        })
        await limiter.reset(`2fa-change|${req.auth.userId}`)
        reply.clearCookie(TRUSTED_DEVICE_COOKIE, { path: LOGIN_COOKIE_PATH })
        return reply.code(204).send()
      },
    )

    app.post(
      '/auth/2fa/recovery-codes',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'New recovery codes after a current code; the old ones stop working',
          body: z
            .strictObject(factorBody)
            .refine(oneFactor, { message: 'send either code or recovery_code', path: ['code'] }),
          response: { 200: codesOut, 400: errorBody, 409: errorBody, 429: errorBody },
        },
      },
      async (req, reply) => {
        sessionOnly(req)
        await gateUser(reply, req.auth.userId)
        const codes = await regenerateRecoveryCodes(t, {
          userId: req.auth.userId,
          factor: factorOf(req.body),
          now: clock.now(),
          workspaceId: req.auth.workspaceId,
          meta: requestMeta(req),
        })
        await limiter.reset(`2fa-change|${req.auth.userId}`)
        return { recovery_codes: codes }
      },
    )

    app.delete(
      '/auth/2fa/devices/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Forget a remembered device (it asks for a code at the next sign-in)',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.undefined(), 400: errorBody, 404: errorBody },
        },
      },
      async (req, reply) => {
        sessionOnly(req)
        await removeTrustedDevice(db, req.auth.userId, req.params.id)
        return reply.code(204).send()
      },
    )
  }
}
