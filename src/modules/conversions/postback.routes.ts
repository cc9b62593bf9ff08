/**
 * The public postback endpoint: `GET /postback` and `POST /postback` (JSON or form body),
 * outside `/api/v1` and without auth (the network's secret and IP allowlist are checked by
 * the service). Two entries onto the same service and the same answers:
 * - {@link createPostbackHttpHandler}: a plain `node:http` handler, which the server calls
 *   for `/postback` before Fastify (like the redirect), so a postback pays no router, hooks
 *   or reply serialisation — at thousands per second that is most of the CPU outside SQL;
 * - {@link postbackRoutes}: the same endpoint as Fastify routes (the OpenAPI document, and
 *   tests that drive the app through `inject`).
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
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import proxyAddr from 'proxy-addr'
import type { ConversionsService, PostbackResult } from './conversions.service.ts'

/** Max postback body, bytes (64 KiB). Larger bodies get Fastify's 413 and are not logged. */
export const POSTBACK_BODY_LIMIT = 64 * 1024

/** Status, extra headers and JSON body of a postback's answer (both entries answer alike). */
export function postbackAnswer(r: PostbackResult): {
  status: number
  headers: Record<string, string>
  body: string
} {
  const body =
    r.httpStatus < 400
      ? { outcome: r.outcome, conversion_id: r.conversionId ?? null }
      : { error: { code: r.outcome, message: r.reason } }
  return {
    status: r.httpStatus,
    headers: r.retryAfterSeconds !== undefined ? { 'retry-after': String(r.retryAfterSeconds) } : {},
    body: JSON.stringify(body),
  }
}

const HEAD_ANSWER = JSON.stringify({
  error: { code: 'method_not_allowed', message: 'HEAD does not send a postback; use GET or POST' },
})

/** Whether a request URL is the postback endpoint (`/postback`, with or without a query). */
export function isPostbackUrl(url: string | undefined): boolean {
  return url?.startsWith('/postback') === true && (url.length === 9 || url[9] === '?')
}

/**
 * The postback endpoint as a plain `node:http` handler (see file comment). Same parsing,
 * checks and answers as {@link postbackRoutes}: GET/POST (any other method 405, HEAD changes
 * nothing), bodies up to {@link POSTBACK_BODY_LIMIT} (413 past it, not logged), the client
 * IP from `X-Forwarded-For` only when the peer is one of `trustedProxies` (proxy-addr, as
 * Fastify's `trustProxy`).
 * @param opts.trustedProxies comma-separated IPs/CIDRs (TRUSTED_PROXIES); '' trusts none.
 */
export function createPostbackHttpHandler(
  deps: PostbackRoutesDeps,
  opts: { trustedProxies: string },
): (req: IncomingMessage, res: ServerResponse) => void {
  const list = opts.trustedProxies
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const trust = proxyAddr.compile(list)
  const clientIp = (req: IncomingMessage) =>
    list.length === 0 ? (req.socket.remoteAddress ?? '') : proxyAddr(req, trust)
  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    if (res.headersSent) return
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
      ...headers,
    })
    res.end(body)
  }
  const handle = (req: IncomingMessage, res: ServerResponse, body: string | undefined) => {
    const url = req.url ?? ''
    const qi = url.indexOf('?')
    const ct = req.headers['content-type']
    deps.service
      .handlePostback({
        method: req.method ?? 'GET',
        rawQuery: qi === -1 ? '' : url.slice(qi + 1),
        body,
        contentType: typeof ct === 'string' ? ct : undefined,
        headers: req.headers,
        ip: clientIp(req),
      })
      .then(
        (r) => {
          const a = postbackAnswer(r)
          send(res, a.status, a.body, a.headers)
        },
        () =>
          send(
            res,
            503,
            JSON.stringify({ error: { code: 'error', message: 'internal error; retry later' } }),
          ),
      )
  }
  return (req, res) => {
    const method = req.method ?? ''
    if (method === 'HEAD') return send(res, 405, HEAD_ANSWER, { allow: 'GET, POST' })
    if (method === 'GET') return handle(req, res, undefined)
    if (method !== 'POST') {
      const msg = `${method} is not supported; use GET or POST`
      return send(res, 405, JSON.stringify({ error: { code: 'method_not_allowed', message: msg } }), {
        allow: 'GET, POST',
      })
    }
    const tooLarge = () => {
      const msg = `body larger than ${POSTBACK_BODY_LIMIT} bytes`
      send(res, 413, JSON.stringify({ error: { code: 'payload_too_large', message: msg } }), {
        connection: 'close',
      })
      req.destroy()
    }
    if (Number(req.headers['content-length'] ?? 0) > POSTBACK_BODY_LIMIT) return tooLarge()
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > POSTBACK_BODY_LIMIT) tooLarge()
      else chunks.push(c)
    })
    req.on('end', () => {
      if (size <= POSTBACK_BODY_LIMIT) handle(req, res, Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', () => req.destroy())
  }
}

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
      const a = postbackAnswer(r)
      return reply
        .code(a.status)
        .headers(a.headers)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(a.body)
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
        .send(HEAD_ANSWER),
    )
  }
}
