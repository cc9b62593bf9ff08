/**
 * An egress proxy of one "country" for the visitor engine's geo tests and demo: a real HTTP
 * proxy on loopback (never a mock) that forwards absolute-form requests (`GET http://host/…`)
 * and tunnels `CONNECT host:port`, opening its upstream connections from `localAddress`
 * (e.g. `127.0.0.2`; all of 127/8 is loopback on Linux), so the target site sees the
 * "country's" address as the client — as a real site sees a real egress. It adds no header
 * (no `Via`, no `X-Forwarded-For`) and counts requests and tunnels per target host.
 */
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'

/** A running egress proxy. */
export interface EgressProxy {
  /** Proxy URL without credentials, e.g. `http://127.0.0.1:40123`. */
  url: string
  /** Proxy URL with the configured credentials (same as `url` without `auth`). */
  authUrl: string
  /** Forwarded requests per target `host[:port]` (absolute-form requests). */
  requests(): Record<string, number>
  /** CONNECT requests per target `host:port` as asked (counted on receipt, also when refused by a fault). */
  tunnels(): Record<string, number>
  /** Requests refused with 407 (missing or wrong credentials). */
  refusedAuth(): number
  /**
   * `refuse`: a broken egress — open tunnels are dropped and every CONNECT and forward request
   * is answered 502; null: normal again.
   */
  setFault(fault: 'refuse' | null): void
  /** Forgets the counters. */
  clear(): void
  /** Closes the proxy and every open connection and tunnel. */
  stop(): Promise<void>
}

/** Options of {@link startEgressProxy}. */
export interface EgressProxyOptions {
  /** Port to listen on (default random), always on 127.0.0.1. */
  port?: number
  /** Source address of upstream connections (default the system's choice, 127.0.0.1 for loopback). */
  localAddress?: string
  /** Require `Proxy-Authorization: Basic` with these credentials (else 407). */
  auth?: { user: string; pass: string }
}

/**
 * Starts one egress proxy on 127.0.0.1.
 * @returns the proxy; `stop()` it when done.
 */
export async function startEgressProxy(opts: EgressProxyOptions = {}): Promise<EgressProxy> {
  let requests: Record<string, number> = {}
  let tunnels: Record<string, number> = {}
  let refused = 0
  let fault: 'refuse' | null = null
  const sockets = new Set<net.Socket>()
  const open = new Set<net.Socket>() // established tunnels (client side)
  const want = opts.auth
    ? `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}`
    : null
  const authorized = (h: http.IncomingHttpHeaders) => {
    if (want === null || h['proxy-authorization'] === want) return true
    refused++
    return false
  }
  const track = (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  }

  const server = http.createServer((req, res) => {
    // Forward proxy: absolute-form target (RFC 9112 §3.2.2).
    const target = URL.parse(req.url ?? '')
    if (target?.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' })
      return res.end('absolute http:// URL expected')
    }
    if (!authorized(req.headers)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="egress"', 'content-length': 0 })
      return res.end()
    }
    requests[target.host] = (requests[target.host] ?? 0) + 1
    if (fault === 'refuse') {
      res.writeHead(502, { 'content-length': 0 })
      return res.end()
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const up = http.request(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      },
    )
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': 0 })
      res.end()
    })
    req.pipe(up)
  })

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client)
    client.on('error', () => {})
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '')
    if (!m) return client.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n')
    if (!authorized(req.headers))
      return client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="egress"\r\ncontent-length: 0\r\n\r\n',
      )
    tunnels[req.url!] = (tunnels[req.url!] ?? 0) + 1
    if (fault === 'refuse') return client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
    const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!
    const upstream = net.connect({
      host,
      port: Number(m[2]),
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    })
    track(upstream)
    upstream.on('connect', () => {
      open.add(client)
      client.on('close', () => open.delete(client))
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n')
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  server.on('connection', track)

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const authUrl = opts.auth
    ? `http://${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@127.0.0.1:${port}`
    : url
  return {
    url,
    authUrl,
    requests: () => ({ ...requests }),
    tunnels: () => ({ ...tunnels }),
    refusedAuth: () => refused,
    setFault: (f) => {
      fault = f
      // A broken egress also drops the tunnels it had open (keep-alive would bypass the fault).
      if (f === 'refuse') for (const s of open) s.destroy()
    },
    clear: () => {
      requests = {}
      tunnels = {}
      refused = 0
    },
    stop: async () => {
      for (const s of sockets) s.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
