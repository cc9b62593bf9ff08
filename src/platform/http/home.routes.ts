/**
 * The admin UI: the React single-page app built into `web/dist` (`npm run build:web`, run
 * by `npm start` through `prestart` when the build is missing or stale), served by the same
 * process as the API.
 *
 * - `/assets/*` — Vite's content-hashed files: `Cache-Control: public, max-age=31536000,
 *   immutable`; a missing asset is a plain 404 (never the HTML page, which a browser would
 *   try to run as a script).
 * - other files at the top of `web/dist` (favicon, robots.txt): cached for an hour.
 * - any other GET/HEAD path (client-side routes such as `/reports`): `index.html` with
 *   `Cache-Control: no-cache`, so a new deploy is picked up on the next navigation.
 * - reserved paths are never swallowed by the fallback: `/api/*`, `/c/*`, `/postback`,
 *   `/healthz`, `/readyz`, `/metrics`, `/sample/*` go to their own routes or the API's 404.
 * - without a build, every UI path answers a small page saying to run `npm run build:web`.
 *
 * Files are read per request (no start-up scan), so a rebuild is served without a restart.
 */
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'

/** Default build output of the UI: `<repo>/web/dist`. */
export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist')

/** Options of {@link homeRoutes}. */
export interface HomeRoutesOptions {
  /** Directory holding the built UI (`index.html`, `assets/`); default {@link WEB_DIST}. */
  distDir?: string
}

/** Paths (without query) that belong to the API, the redirect, postbacks, operators and the sample offers. */
const RESERVED = /^\/(?:api|c|sample)(?:\/|$)|^\/(?:postback|healthz|readyz|metrics)\/?$/

/** True when `pathname` must not be answered with the UI's `index.html`. */
export function isReservedPath(pathname: string): boolean {
  return RESERVED.test(pathname)
}

/**
 * Content-Security-Policy of the UI page. Scripts and styles come only from this origin;
 * `style-src 'unsafe-inline'` is for the `style` attributes that charts and dialogs set.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>traffoflex</title>
<style>body{font:16px/1.55 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1.25rem;color:#1f2937}
code{background:#f3f4f6;border-radius:.3rem;padding:.1rem .35rem}a{color:#1d4ed8}</style></head>
<body><h1>traffoflex</h1>
<p>The admin UI is not built. Run <code>npm run build:web</code> (or restart with <code>npm start</code>,
which builds it), then reload this page.</p>
<p>The REST API works meanwhile: <a href="/api/docs">API documentation</a>.</p>
</body></html>
`

const HOUR_S = 3600

/** Registers `GET /` and `GET /*` serving the built UI (see the module doc). */
export const homeRoutes: FastifyPluginAsync<HomeRoutesOptions> = async (app, opts) => {
  const root = opts.distDir ?? WEB_DIST
  const indexFile = path.join(root, 'index.html')
  await app.register(fastifyStatic, { root, serve: false, dotfiles: 'deny' })

  const sendIndex = (reply: FastifyReply) => {
    if (!existsSync(indexFile)) {
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(MISSING_BUILD)
    }
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', UI_CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .sendFile('index.html', { cacheControl: false })
  }

  const isTopLevelFile = (pathname: string): string | null => {
    const name = pathname.slice(1)
    if (name === '' || name.includes('/') || name === 'index.html' || name.startsWith('.')) return null
    try {
      return statSync(path.join(root, name)).isFile() ? name : null
    } catch {
      return null
    }
  }

  const handler = async (req: { url: string }, reply: FastifyReply) => {
    const pathname = decodePath(req.url)
    if (pathname === null || isReservedPath(pathname)) return reply.callNotFound()
    if (pathname.startsWith('/assets/')) {
      return reply
        .header('x-content-type-options', 'nosniff')
        .sendFile(pathname.slice(1), { immutable: true, maxAge: 365 * 24 * HOUR_S * 1000 })
    }
    const file = isTopLevelFile(pathname)
    if (file) return reply.sendFile(file, { maxAge: HOUR_S * 1000 })
    return sendIndex(reply)
  }

  app.get('/', { schema: { hide: true } }, handler)
  app.get('/*', { schema: { hide: true } }, handler)
}

/** The URL's path, percent-decoded; null when it cannot be decoded. */
function decodePath(url: string): string | null {
  const q = url.indexOf('?')
  try {
    return decodeURIComponent(q === -1 ? url : url.slice(0, q))
  } catch {
    return null
  }
}
