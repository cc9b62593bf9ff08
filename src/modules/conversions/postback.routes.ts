/**
 * The public postback endpoint: `GET /postback` and `POST /postback` (JSON or form body),
 * outside `/api/v1` and without auth (the network's secret and IP allowlist are checked by
 * the service). Register it on the root Fastify app.
 *
 * Why no zod schema on the route: a Fastify validation error would answer before the
 * handler and the request would not be logged. The handler takes the raw query string and
 * body and the service parses them (zod-free but strict, see `postback.parse.ts`), so every
 * request, however broken, is counted by outcome and (past the sampling of unauthenticated
 * refusals, see README "Refused postbacks") ends in a `postback_log` row.
 *
 * Answers: 2xx `{"outcome":"accepted"|"duplicate","conversion_id":"…"}`; 4xx/5xx
 * `{"error":{"code":"<outcome>","message":"<reason>"}}` (see README for the status table).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ConversionsService } from './conversions.service.ts'

/** Max postback body, bytes (64 KiB). Larger bodies get Fastify's 413 and are not logged. */
export const POSTBACK_BODY_LIMIT = 64 * 1024

/** Dependencies of {@link postbackRoutes}. */
export interface PostbackRoutesDeps {
  service: ConversionsService
}

/**
 * Public `/postback` routes. Encapsulated: the plugin replaces the content-type parsers
 * for its own routes only (every body is read as text, whatever its content type, so a bad
 * JSON body is logged as `malformed` instead of being refused by Fastify).
 * Request logging is at `warn` for these routes: the URL carries the network's secret, and
 * `postback_log` (redacted) is the record.
 */
export function postbackRoutes(deps: PostbackRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: POSTBACK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    )
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.raw.url ?? ''
      const qi = url.indexOf('?')
      const ct = req.headers['content-type']
      const r = await deps.service.handlePostback({
        method: req.method,
        rawQuery: qi === -1 ? '' : url.slice(qi + 1),
        body: typeof req.body === 'string' ? req.body : undefined,
        contentType: typeof ct === 'string' ? ct : undefined,
        headers: req.headers,
        ip: req.ip ?? '',
      })
      const body =
        r.httpStatus < 400
          ? { outcome: r.outcome, conversion_id: r.conversionId ?? null }
          : { error: { code: r.outcome, message: r.reason } }
      if (r.retryAfterSeconds !== undefined) reply.header('retry-after', String(r.retryAfterSeconds))
      return reply
        .code(r.httpStatus)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(body))
    }
    const schema = {
      tags: ['postback'],
      summary: 'Inbound conversion postback from an affiliate network (public, no auth)',
      description:
        'Identify the network with `?network=<network id>`; send its secret as `secret`/`token` ' +
        '(query or body) or the `X-Postback-Secret` header. Parameters follow the network template. ' +
        '200 accepted/duplicate; 400 malformed/bad_status; 403 bad_secret/ip_not_allowed; ' +
        '404 unknown_network/unknown_click; 429 rate_limited; 503 error. HEAD answers 405.',
      security: [],
    }
    // No automatic HEAD route: Fastify would run the GET handler for it, and a HEAD (a link
    // checker, a prefetch) would record a conversion. HEAD must change nothing.
    app.get('/postback', { logLevel: 'warn', schema, exposeHeadRoute: false }, handler)
    app.post('/postback', { logLevel: 'warn', schema }, handler)
    app.head('/postback', { logLevel: 'warn' }, async (_req, reply) =>
      reply
        .code(405)
        .header('allow', 'GET, POST')
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(
          JSON.stringify({
            error: { code: 'method_not_allowed', message: 'HEAD does not send a postback; use GET or POST' },
          }),
        ),
    )
  }
}
