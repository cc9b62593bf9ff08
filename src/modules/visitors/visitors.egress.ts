/**
 * Egress per country (README "Engine", "Geo"): the operator configures one proxy per country
 * (`VISITORS_EGRESS`, parsed in `src/config.ts`); a visit for country X leaves through X's
 * proxy, never direct and never with a geo header. One pooled undici `ProxyAgent` per country.
 *
 * - HTTP(S) proxies: every request is **tunnelled** (`CONNECT`, also for http:// targets;
 *   undici's `proxyTunnel: true`), so the proxy cannot add `X-Forwarded-For`/`Via` headers
 *   (the site sees the egress address only) and a proxy's own error page can never pass for
 *   the site's answer (a refused tunnel fails before any response: the visit is not charged).
 * - SOCKS5 proxies (`socks5://`, `socks://`): undici's native `Socks5ProxyAgent` (undici 8,
 *   marked experimental by undici: it prints one ExperimentalWarning).
 *
 * SSRF: the proxy connects for us, so the socket-level address check of `visitors.http.ts`
 * would only see the proxy. Instead {@link pinTarget} resolves the target's name here, checks
 * every address (`isPublicAddress`) and, for HTTP(S) proxies, hands the proxy the checked
 * address itself (`CONNECT 203.0.113.7:443`, `Host` and TLS SNI/certificate name stay the
 * target's name): the address checked is the address the proxy connects to. For SOCKS5 the
 * name is checked the same way but handed over as a name (undici's SOCKS5 TLS would otherwise
 * verify the certificate against the IP); the proxy resolves it again, and a name that changes
 * its answer between the two lookups is not caught. The proxies themselves are configured by
 * the operator and may be private.
 */
import type { LookupAddress } from 'node:dns'
import net from 'node:net'
import tls from 'node:tls'
import ipaddr from 'ipaddr.js'
import { type Dispatcher, ProxyAgent } from 'undici'
import { isPublicAddress, SsrfBlockedError } from '../../platform/net/ssrf.ts'

/** The egress of a configured country: its dispatcher and whether it is a SOCKS proxy. */
export interface CountryEgress {
  dispatcher: Dispatcher
  socks: boolean
}

/** Egress dispatchers by country. */
export interface Egress {
  /** Countries with an egress proxy, sorted (upper-case ISO 3166-1 alpha-2). */
  countries: string[]
  /** The country's egress, or undefined when it has none. */
  get(cc: string): CountryEgress | undefined
  /** Closes every proxy pool. */
  close(): Promise<void>
}

/** Pool options of {@link createEgress} (the same as the direct agent's). */
export interface EgressOptions {
  /** Keep-alive connections per target origin and country (default 64). */
  connectionsPerOrigin?: number
  /** Headers and body deadline, ms (default 15000). */
  timeoutMs?: number
}

/**
 * One pooled `ProxyAgent` per country of `proxies` (`{US: 'http://127.0.0.1:8001', …}`, as
 * config's `VISITORS_EGRESS`). Source of the API shape: undici `ProxyAgent`
 * (https://undici.nodejs.org/#/docs/api/ProxyAgent).
 * @throws Error (from undici) on a URL it cannot use; config has checked the shape already.
 */
export function createEgress(proxies: Readonly<Record<string, string>>, opts: EgressOptions = {}): Egress {
  const timeoutMs = opts.timeoutMs ?? 15_000
  const byCountry = new Map<string, CountryEgress>()
  for (const [cc, uri] of Object.entries(proxies)) {
    const socks = /^socks5?:/i.test(uri)
    byCountry.set(cc, {
      socks,
      dispatcher: new ProxyAgent({
        uri,
        proxyTunnel: true,
        connections: opts.connectionsPerOrigin ?? 64,
        keepAliveTimeout: 10_000,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        connectTimeout: Math.min(timeoutMs, 10_000),
      }),
    })
  }
  return {
    countries: [...byCountry.keys()].sort(),
    get: (cc) => byCountry.get(cc),
    close: async () => {
      await Promise.all([...byCountry.values()].map((e) => e.dispatcher.close()))
    },
  }
}

/** Where to send one request through a proxy: the origin the proxy connects to, and the Host. */
export interface PinnedTarget {
  /** `scheme://host:port` handed to the proxy: the checked IP for HTTP(S) proxies. */
  origin: string
  /** The `Host` header (the target's own `host`), or undefined to leave it to undici. */
  host?: string
}

/**
 * The SSRF check of a target reached through a proxy (see file comment). IP literals were
 * checked by the caller; a name is resolved with `resolve` and refused when any address is
 * not public. With `pin` the first address becomes the origin (IPv6 in brackets) and `Host`
 * keeps the name; without, the name is kept. `allowPrivate` skips the check (the proxy then
 * resolves the name).
 * @throws SsrfBlockedError `private_address` naming the address.
 */
export async function pinTarget(
  u: URL,
  opts: { allowPrivate: boolean; pin: boolean; resolve: (hostname: string) => Promise<LookupAddress[]> },
): Promise<PinnedTarget> {
  const name = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  if (opts.allowPrivate || ipaddr.isValid(name)) return { origin: u.origin }
  const all = await opts.resolve(name)
  const bad = all.find((a) => !isPublicAddress(a.address))
  if (bad) throw new SsrfBlockedError('private_address', u.href, bad.address)
  const first = all[0]
  if (!first) throw Object.assign(new Error(`no address for ${name}`), { code: 'ENOTFOUND' })
  if (!opts.pin) return { origin: u.origin }
  const ip = first.family === 6 ? `[${first.address}]` : first.address
  const port = u.port || (u.protocol === 'https:' ? '443' : '80')
  return { origin: `${u.protocol}//${ip}:${port}`, host: u.host }
}

/**
 * Opens a `CONNECT` tunnel through an HTTP(S) egress proxy to `host:port` and returns the
 * socket once the proxy answered 200 (bytes after the answer's head are put back). Used by
 * browser mode's guard proxy, which chains its upstream connections through the visit
 * country's egress (README "Browser mode", "Geo"); undici does the same for HTTP mode.
 * `proxyUrl` is a `VISITORS_EGRESS` value: `http://` or `https://`, credentials in its
 * user-info sent as `Proxy-Authorization: Basic` (RFC 9110 §11.7.1) to the proxy only.
 * `host` is what the proxy is told to connect to (the checked address, IPv6 unbracketed).
 * Source of the exchange: RFC 9110 §9.3.6 (CONNECT).
 * @throws Error with `code: 'EGRESS'` when the proxy is unreachable, answers anything but 2xx,
 *   closes early or exceeds `timeoutMs` (default 10000); SOCKS proxies are not handled here
 *   (also `EGRESS`).
 */
export async function openEgressTunnel(
  proxyUrl: string,
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<net.Socket> {
  const p = new URL(proxyUrl)
  const fail = (message: string) => Object.assign(new Error(message), { code: 'EGRESS' })
  if (p.protocol !== 'http:' && p.protocol !== 'https:')
    throw fail(`egress ${p.protocol}// proxies are not supported in browser mode`)
  const proxyPort = Number(p.port || (p.protocol === 'https:' ? 443 : 80))
  const proxyHost = p.hostname.startsWith('[') ? p.hostname.slice(1, -1) : p.hostname
  const sock: net.Socket =
    p.protocol === 'https:'
      ? tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? '' : proxyHost })
      : net.connect({ host: proxyHost, port: proxyPort })
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const auth = p.username
    ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}\r\n`
    : ''
  return await new Promise<net.Socket>((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const timer = setTimeout(
      () => done(fail(`egress proxy ${p.host}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    )
    const done = (err: Error | null) => {
      clearTimeout(timer)
      sock.off('data', onData)
      sock.off('error', onError)
      sock.off('close', onClose)
      if (err) {
        sock.destroy()
        reject(err)
      } else resolve(sock)
    }
    const onError = (err: Error) => done(fail(`egress proxy ${p.host}: ${err.message}`))
    const onClose = () => done(fail(`egress proxy ${p.host} closed the tunnel`))
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buf.length > 16_384) done(fail(`egress proxy ${p.host}: answer head too long`))
        return
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, end).toString('latin1'))?.[1]
      if (!status?.startsWith('2')) {
        done(fail(`egress proxy ${p.host} answered ${status ?? 'garbage'} to CONNECT ${authority}`))
        return
      }
      // Paused with any early bytes put back: the caller's pipe (or resume) reads them in order.
      sock.pause()
      const rest = buf.subarray(end + 4)
      if (rest.length > 0) sock.unshift(rest)
      done(null)
    }
    sock.on('data', onData)
    sock.on('error', onError)
    sock.on('close', onClose)
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`)
  })
}
