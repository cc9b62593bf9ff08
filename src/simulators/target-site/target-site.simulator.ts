/**
 * A customer's web site for the visitor engine's tests and demo: a real HTTP server on
 * loopback (never a mock) with pages that reference same-origin CSS, JS and images (and one
 * cross-origin script the engine must skip), a slow path, error paths, redirects and the
 * ownership token file. Every request is recorded for assertions (with the client's address).
 *
 * Paths:
 * - `/` and `/page/<name>`: HTML (links `/assets/site.css`, `/assets/app.js`, `/assets/logo.png`,
 *   plus `https://cdn.example.invalid/x.js`).
 * - `/assets/*`: the assets (`/assets/big.bin` is `bigBytes` long).
 * - `/slow` and `/slow/<name>`: the page after `slowMs` (settable).
 * - `/error/500`: status 500 with an HTML body; `/error/reset`: the socket is destroyed before
 *   any response; `/error/hang`: never answers.
 * - `/redirect/<n>`: 302 to `/redirect/<n-1>`, `/redirect/0` → `/`; `/redirect-to?url=`: 302 anywhere.
 * - `/.well-known/traffoflex-verify.txt`: `verifyBody` (404 when null).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as received. */
export interface RecordedRequest {
  method: string
  path: string
  /** The User-Agent header ('' when absent). */
  ua: string
  /** All headers, lower-cased names. */
  headers: http.IncomingHttpHeaders
  /** Arrival time, epoch ms. */
  at: number
  /** The client's address as the site sees it (an egress proxy's source address, when proxied). */
  remote: string
}

/** A running simulator. */
export interface TargetSite {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string
  /** Requests so far, oldest first (a copy). */
  requests(): RecordedRequest[]
  /** Forgets the recorded requests. */
  clear(): void
  /** Sets the delay of `/slow*` in ms. */
  setSlowMs(ms: number): void
  /** Most `/slow*` requests in flight at once so far (a client's concurrency, e.g. a browser's page cap). */
  slowPeak(): number
  /** Sets the body of `/.well-known/traffoflex-verify.txt` (null = 404). */
  setVerifyBody(body: string | null): void
  /** Closes the server and every open connection. */
  stop(): Promise<void>
}

const page = (title: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/assets/site.css">
<link rel="icon" href="/assets/favicon.ico">
<script src="/assets/app.js" defer></script>
<script src="https://cdn.example.invalid/x.js"></script>
</head><body><h1>${title}</h1><img src="/assets/logo.png" alt="logo"><a href="/page/next">next</a></body></html>`

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

/**
 * Starts the simulator on 127.0.0.1 (random port unless `port`).
 * @param opts.slowMs delay of `/slow*` in ms (default 1000).
 * @param opts.verifyBody body of the token file (default null = 404).
 * @param opts.bigBytes size of `/assets/big.bin` (default 1 MiB).
 */
export async function startTargetSite(
  opts: { port?: number; slowMs?: number; verifyBody?: string | null; bigBytes?: number } = {},
): Promise<TargetSite> {
  let slowMs = opts.slowMs ?? 1000
  let verifyBody = opts.verifyBody ?? null
  const big = Buffer.alloc(opts.bigBytes ?? 1024 * 1024, 0x61)
  let recorded: RecordedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let slowNow = 0
  let slowPeak = 0

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const path = u.pathname
    recorded.push({
      method: req.method ?? 'GET',
      path: `${path}${u.search}`,
      ua: req.headers['user-agent'] ?? '',
      headers: req.headers,
      at: Date.now(),
      remote: req.socket.remoteAddress ?? '',
    })
    if (path === '/' || path.startsWith('/page/'))
      return send(res, 200, 'text/html; charset=utf-8', page(path))
    if (path === '/slow' || path.startsWith('/slow/')) {
      slowNow++
      slowPeak = Math.max(slowPeak, slowNow)
      res.on('close', () => slowNow--)
      const t = setTimeout(() => {
        timers.delete(t)
        if (!res.destroyed) send(res, 200, 'text/html; charset=utf-8', page(path))
      }, slowMs)
      timers.add(t)
      return
    }
    if (path === '/assets/site.css') return send(res, 200, 'text/css', 'body{font-family:sans-serif}')
    if (path === '/assets/app.js') return send(res, 200, 'text/javascript', 'console.log("hi")')
    if (path === '/assets/logo.png') return send(res, 200, 'image/png', PNG)
    if (path === '/assets/big.bin') return send(res, 200, 'application/octet-stream', big)
    if (path === '/error/500') return send(res, 500, 'text/html', '<h1>500</h1>')
    if (path === '/error/reset') return req.socket.destroy()
    if (path === '/error/hang') return
    const m = /^\/redirect\/(\d+)$/.exec(path)
    if (m) {
      const n = Number(m[1])
      res.writeHead(302, { location: n <= 0 ? '/' : `/redirect/${n - 1}`, 'content-length': 0 })
      return res.end()
    }
    if (path === '/redirect-to') {
      res.writeHead(302, { location: u.searchParams.get('url') ?? '/', 'content-length': 0 })
      return res.end()
    }
    if (path === '/.well-known/traffoflex-verify.txt') {
      if (verifyBody === null) return send(res, 404, 'text/plain', 'not found')
      return send(res, 200, 'text/plain', verifyBody)
    }
    send(res, 404, 'text/plain', 'not found')
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => recorded.slice(),
    clear: () => {
      recorded = []
    },
    setSlowMs: (ms) => {
      slowMs = ms
    },
    slowPeak: () => slowPeak,
    setVerifyBody: (b) => {
      verifyBody = b
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
