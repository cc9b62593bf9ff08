/**
 * Public outreach routes under `/api/v1` (no login; README "Unsubscribe", "Enrichment"):
 *
 * - `POST /outreach/unsubscribe/:token` — RFC 8058 one-click unsubscribe. Mail clients POST
 *   `List-Unsubscribe=One-Click` form-encoded; any body is accepted, the HMAC'd token is the
 *   authentication. 200 `{ok:true}`; 400 `bad_token`.
 * - `GET /outreach/unsubscribe/:token` — `{email_masked, already}` for the unsubscribe page.
 * - `POST /outreach/clay/callback/:correlationId` — Clay's HTTP API action posts the enriched
 *   row here with our token (`x-traffoflex-token` header or `?token=`); Clay does not sign,
 *   so the token (HMAC of the correlation ID) is the authentication. 200 `{ok, duplicate}`;
 *   400 no token or an unreadable body; 401 wrong token (nothing recorded).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError, badRequest } from '../../platform/errors.ts'
import {
  CLAY_CALLBACK_TOKEN_HEADER,
  ClayCallbackError,
  parseClayCallback,
  verifyCallbackToken,
} from './clay.callback.core.ts'
import type { OutreachService } from './outreach.service.ts'

/** Largest body these routes read (a Clay row with its enriched columns). */
const BODY_LIMIT = 64 * 1024

const tokenParams = z.strictObject({ token: z.string().min(10).max(1_000) })

/** The public outreach routes (see file comment). Register under `/api/v1`. */
export function outreachPublicRoutes(deps: {
  service: OutreachService
  callbackKey: Buffer
}): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    // Mail clients send form-encoded one-click bodies; Clay sends JSON. Both are read as text.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    )

    app.post(
      '/outreach/unsubscribe/:token',
      {
        config: { public: true },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['outreach'],
          summary: 'One-click unsubscribe (RFC 8058; public, the token authenticates)',
          params: tokenParams,
          security: [],
        },
      },
      async (req) => {
        await deps.service.unsubscribe(req.params.token)
        return { ok: true }
      },
    )

    app.get(
      '/outreach/unsubscribe/:token',
      {
        config: { public: true },
        schema: {
          tags: ['outreach'],
          summary: 'What the unsubscribe page shows (public)',
          params: tokenParams,
          security: [],
        },
      },
      async (req) => deps.service.unsubscribeInfo(req.params.token),
    )

    app.post(
      '/outreach/clay/callback/:correlationId',
      {
        config: { public: true },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['outreach'],
          summary: 'Clay enrichment callback (public; our HMAC token authenticates)',
          params: z.strictObject({ correlationId: z.uuid() }),
          querystring: z.strictObject({ token: z.string().max(200).optional() }),
          security: [],
        },
      },
      async (req) => {
        const header = req.headers[CLAY_CALLBACK_TOKEN_HEADER]
        const token = (typeof header === 'string' ? header : undefined) ?? req.query.token ?? ''
        // The token first: an unauthenticated caller learns nothing about what we accept.
        if (token === '') throw badRequest('the callback token is missing (?token= or x-traffoflex-token)')
        if (!verifyCallbackToken(deps.callbackKey, req.params.correlationId, token))
          throw new AppError(401, 'bad_token', 'callback token does not match the correlation ID')
        let body: unknown
        try {
          body = JSON.parse(typeof req.body === 'string' ? req.body : '')
        } catch {
          throw badRequest('body is not JSON')
        }
        let parsed: ReturnType<typeof parseClayCallback>
        try {
          parsed = parseClayCallback(body, req.params.correlationId)
        } catch (e) {
          if (e instanceof ClayCallbackError) throw badRequest(e.message, e.issues)
          throw e
        }
        const r = await deps.service.clayCallback(
          req.params.correlationId,
          token,
          parsed.email,
          body as Record<string, unknown>,
        )
        return { ok: true, duplicate: r.duplicate }
      },
    )
  }
}
