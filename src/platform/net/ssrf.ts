/**
 * SSRF guard for every outbound request to a URL a customer can configure (destination
 * health checks, outbound postbacks, …).
 *
 * Two layers:
 * - {@link isPublicAddress} decides whether one IP address may be contacted. It refuses
 *   loopback, private, CGNAT, link-local (cloud metadata at 169.254.169.254), unique-local,
 *   multicast, unspecified, broadcast, reserved and documentation ranges, and looks through
 *   IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64, 6to4).
 * - {@link guardedFetch} resolves the host name itself, checks every resolved address and
 *   then connects to exactly those checked addresses (the socket's `lookup` is replaced by
 *   one that answers from the checked list). There is no second DNS query between check and
 *   connect, so a DNS-rebinding answer cannot slip a private address in (no TOCTOU).
 *   It never follows redirects: a 3xx is returned to the caller, whose next URL would go
 *   through the guard again.
 *
 * And one check at save time: {@link refusePrivateTargets} answers a 400 naming the field when
 * a configured URL's host is, or resolves to, a non-public address — so a private target is
 * refused when it is entered, not only later when it is fetched (the fetch-time guard stays:
 * DNS answers change).
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { LookupAddress, LookupOptions } from 'node:dns'
import { performance } from 'node:perf_hooks'
import ipaddr from 'ipaddr.js'
import { badRequest } from '../errors.ts'

type Addr = ipaddr.IPv4 | ipaddr.IPv6

/**
 * Ranges refused regardless of what `ipaddr.js` names them. Defence in depth: the primary
 * rule is "only ipaddr.js's `unicast` range", this list makes the important cases explicit
 * and keeps them refused even if a future ipaddr.js renames or narrows a range.
 * Exported so tests can generate addresses inside every blocked range.
 */
export const BLOCKED_RANGES: readonly string[] = [
  // IPv4
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches localhost on Linux
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // CGNAT, RFC 6598
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. cloud metadata 169.254.169.254
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // IETF protocol assignments (incl. 192.0.0.170/171 NAT64 discovery)
  '192.0.2.0/24', // TEST-NET-1 (documentation)
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast 255.255.255.255
  // IPv6
  '::/96', // unspecified, loopback and deprecated IPv4-compatible (::a.b.c.d)
  '64:ff9b:1::/48', // local-use NAT64 (RFC 8215): translates to whatever the local NAT wants
  '100::/64', // discard-only
  '2001::/32', // Teredo: the embedded client address is obfuscated, cannot be checked
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation (RFC 9637)
  'fc00::/7', // unique-local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
]

const blockedV4: [ipaddr.IPv4, number][] = []
const blockedV6: [ipaddr.IPv6, number][] = []
for (const cidr of BLOCKED_RANGES) {
  const [net, bits] = ipaddr.parseCIDR(cidr)
  if (net.kind() === 'ipv4') blockedV4.push([net as ipaddr.IPv4, bits])
  else blockedV6.push([net as ipaddr.IPv6, bits])
}
const globalUnicastV6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number]
const nat64WellKnown = ipaddr.parseCIDR('64:ff9b::/96') as [ipaddr.IPv6, number]

function v4FromParts(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
}

function isPublicV4(a: ipaddr.IPv4): boolean {
  if (a.range() !== 'unicast') return false
  return !blockedV4.some((r) => a.match(r))
}

function isPublicV6(a: ipaddr.IPv6): boolean {
  const p = a.parts
  // Forms that carry an IPv4 address: the packet ends up at that IPv4 address (directly or
  // through a translator), so the IPv4 address decides.
  const range = a.range()
  if (range === 'ipv4Mapped') return isPublicV4(a.toIPv4Address()) // ::ffff:a.b.c.d
  if (range === 'rfc6145') return isPublicV4(v4FromParts(p[6]!, p[7]!)) // ::ffff:0:a.b.c.d
  if (a.match(nat64WellKnown)) {
    return isPublicV4(v4FromParts(p[6]!, p[7]!)) // NAT64 well-known prefix
  }
  if (range === '6to4') return isPublicV4(v4FromParts(p[1]!, p[2]!)) // 2002:aabb:ccdd::/48
  if (range !== 'unicast') return false
  if (!a.match(globalUnicastV6)) return false // outside 2000::/3 nothing is allocated
  return !blockedV6.some((r) => a.match(r))
}

/**
 * Whether `ip` may be contacted by an outbound request when private targets are not allowed.
 *
 * Accepts IPv4 (dotted quad; other forms ipaddr.js understands are judged by the address they
 * denote) and IPv6 (optionally with a zone id, optionally in brackets). Anything that does not
 * parse as an IP address returns `false` (refuse when in doubt). Never throws.
 *
 * @returns `true` only for globally routable unicast addresses.
 */
export function isPublicAddress(ip: string): boolean {
  const s = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  let a: Addr
  try {
    a = ipaddr.parse(s)
  } catch {
    return false
  }
  return a.kind() === 'ipv4' ? isPublicV4(a as ipaddr.IPv4) : isPublicV6(a as ipaddr.IPv6)
}

/** Why {@link guardedFetch} refused a target. */
export type SsrfBlockReason =
  /** The URL's scheme is not http or https. */
  | 'scheme'
  /** The host is, or resolves to, a non-public address (see {@link isPublicAddress}). */
  | 'private_address'

/**
 * Thrown by {@link guardedFetch} when a target is refused before any connection is opened.
 * `address` is the refused IP address (for `reason: 'private_address'`) so logs can say which
 * resolved address tripped the guard; it is `undefined` for a scheme refusal.
 */
export class SsrfBlockedError extends Error {
  constructor(
    readonly reason: SsrfBlockReason,
    readonly url: string,
    readonly address?: string,
  ) {
    super(
      reason === 'scheme'
        ? `blocked: only http and https URLs may be fetched (${safeOrigin(url)})`
        : `blocked: ${safeOrigin(url)} resolves to non-public address ${address}`,
    )
    this.name = 'SsrfBlockedError'
  }
}

/** Thrown by {@link guardedFetch} when the whole request (DNS, connect, headers, body) exceeds `timeoutMs`. */
export class FetchTimeoutError extends Error {
  constructor(
    readonly url: string,
    /** The deadline that was exceeded, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`timeout after ${timeoutMs} ms (${safeOrigin(url)})`)
    this.name = 'FetchTimeoutError'
  }
}

/** Options of {@link guardedFetch}. */
export interface GuardedFetchInit {
  /** HTTP method; default `GET`. */
  method?: string
  /** Request headers. `Host` is derived from the URL. */
  headers?: Record<string, string>
  /** Request body (sent as is; set `content-type` yourself). */
  body?: string | Uint8Array
  /** Skip the address check (operator opt-in, e.g. HEALTHCHECK_ALLOW_PRIVATE). The scheme check still applies. */
  allowPrivate?: boolean
  /** Deadline in milliseconds for the whole exchange: DNS, connect, TLS, headers and body. */
  timeoutMs: number
  /**
   * Maximum response body bytes kept, default 1 MiB. Past it the connection is closed and the
   * response is returned with `truncated: true` (not an error: callers mostly need the status).
   * `0` closes the connection as soon as the headers arrive.
   */
  maxBodyBytes?: number
  /** Aborts the request; the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Resolver for host names, default `dns.lookup` with all addresses. Its answer is checked
   * exactly like DNS's and is the only address list the socket may use (tests use it to
   * simulate a rebinding name; a deployment could plug in a DoH resolver).
   */
  resolve?: (hostname: string) => Promise<LookupAddress[]>
}

/** What {@link guardedFetch} resolves to: the first response as received (redirects are not followed). */
export interface GuardedResponse {
  /** HTTP status code, including 3xx (read `headers.location` to decide whether to follow). */
  status: number
  statusText: string
  /** Response headers, lower-cased names (Node's representation). */
  headers: IncomingHttpHeaders
  /** Body bytes, at most `maxBodyBytes`. */
  body: Buffer
  /** True when the body was cut at `maxBodyBytes`. */
  truncated: boolean
  /** The IP address the socket was connected to (one of the checked addresses). */
  address: string
  /** Milliseconds from the call until the response headers arrived (monotonic wall time). */
  latencyMs: number
}

const DEFAULT_MAX_BODY = 1024 * 1024

/**
 * Performs one HTTP(S) request to a possibly untrusted URL, refusing non-public targets.
 *
 * - Only `http:` and `https:` URLs; anything else throws {@link SsrfBlockedError} (`reason: 'scheme'`).
 * - The host is resolved here (all A/AAAA records). Unless `allowPrivate`, if ANY resolved
 *   address is non-public the request is refused with {@link SsrfBlockedError} carrying that
 *   address: a name that points into a private network is suspicious even if it also has a
 *   public address, and refusing keeps the connect step from ever choosing the private one.
 * - The socket connects only to the checked addresses (custom `lookup`, no second DNS query);
 *   TLS still verifies the certificate against the host name (SNI uses the name too).
 * - Redirects are never followed; no connection pooling (a pooled socket could otherwise be
 *   shared between calls with different `allowPrivate`).
 *
 * @throws SsrfBlockedError the target is refused (no connection was opened).
 * @throws FetchTimeoutError `timeoutMs` elapsed.
 * @throws TypeError `url` is not a valid absolute URL.
 * @throws Error network errors as Node reports them (`code` such as ECONNREFUSED, ENOTFOUND).
 */
export async function guardedFetch(url: string | URL, init: GuardedFetchInit): Promise<GuardedResponse> {
  const u = new URL(url)
  const href = u.href
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SsrfBlockedError('scheme', href)
  const started = performance.now()
  const deadline = started + init.timeoutMs

  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new FetchTimeoutError(href, init.timeoutMs)),
    init.timeoutMs,
  )
  const onOuterAbort = () => controller.abort(init.signal?.reason)
  if (init.signal) {
    if (init.signal.aborted) onOuterAbort()
    else init.signal.addEventListener('abort', onOuterAbort, { once: true })
  }
  try {
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
    const addresses = await withAbort(
      resolveChecked(host, href, init.allowPrivate ?? false, init.resolve ?? defaultResolve),
      controller.signal,
    )
    if (performance.now() >= deadline) throw new FetchTimeoutError(href, init.timeoutMs)
    return await send(u, host, addresses, init, controller.signal, started)
  } finally {
    clearTimeout(timer)
    init.signal?.removeEventListener('abort', onOuterAbort)
  }
}

/** All addresses of a name via the system resolver, in the order it returns them. */
function defaultResolve(hostname: string): Promise<LookupAddress[]> {
  return dnsLookup(hostname, { all: true, verbatim: true })
}

/** Resolves `host` (or takes the IP literal) and applies the address policy. */
async function resolveChecked(
  host: string,
  href: string,
  allowPrivate: boolean,
  resolve: (hostname: string) => Promise<LookupAddress[]>,
): Promise<LookupAddress[]> {
  let addresses: LookupAddress[]
  if (ipaddr.isValid(host)) {
    // WHATWG URL parsing already normalised IPv4 literals (e.g. "2130706433" → 127.0.0.1).
    const a = ipaddr.parse(host)
    addresses = [{ address: a.toString(), family: a.kind() === 'ipv4' ? 4 : 6 }]
  } else {
    addresses = await resolve(host)
  }
  if (!allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a.address))
    if (bad) throw new SsrfBlockedError('private_address', href, bad.address)
  }
  if (addresses.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' })
  return addresses
}

function withAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for `net.connect` that answers from the pre-checked list. Node calls it with
 * `all: true` when it races address families (autoSelectFamily, the Node 20 default) and
 * without it otherwise; both shapes are served. It never queries DNS.
 */
function pinnedLookup(addresses: LookupAddress[]) {
  return (_host: string, options: LookupOptions, cb: LookupCallback): void => {
    const fam = options.family === 4 || options.family === 6 ? options.family : undefined
    const pool = fam ? addresses.filter((a) => a.family === fam) : addresses
    if (pool.length === 0) {
      cb(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '')
      return
    }
    if (options.all) cb(null, pool)
    else cb(null, pool[0]!.address, pool[0]!.family)
  }
}

function send(
  u: URL,
  host: string,
  addresses: LookupAddress[],
  init: GuardedFetchInit,
  signal: AbortSignal,
  started: number,
): Promise<GuardedResponse> {
  const maxBody = init.maxBodyBytes ?? DEFAULT_MAX_BODY
  const mod = u.protocol === 'https:' ? https : http
  return new Promise<GuardedResponse>((resolve, reject) => {
    const req = mod.request(
      {
        protocol: u.protocol,
        host,
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: init.method ?? 'GET',
        headers: init.headers,
        auth:
          u.username || u.password
            ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`
            : undefined,
        // A literal IP host never reaches `lookup` (Node connects to it directly); it was checked above.
        lookup: pinnedLookup(addresses) as never,
        agent: false,
        signal,
      },
      (res) => {
        const latencyMs = Math.round(performance.now() - started)
        // Read now: once the socket is closed its peer address is no longer available.
        const address = res.socket?.remoteAddress ?? addresses[0]!.address
        const chunks: Buffer[] = []
        let size = 0
        let done = false
        const finish = (truncated: boolean) => {
          if (done) return
          done = true
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
            address,
            latencyMs,
          })
        }
        if (maxBody === 0) {
          finish(false)
          res.destroy()
          return
        }
        res.on('data', (chunk: Buffer) => {
          if (done) return
          if (size + chunk.length > maxBody) {
            // Keep what fits and hang up: a huge or endless body must not hold memory or the socket.
            chunks.push(chunk.subarray(0, maxBody - size))
            finish(true)
            res.destroy()
            return
          }
          chunks.push(chunk)
          size += chunk.length
        })
        res.on('end', () => finish(false))
        res.on('error', (e) => {
          if (!done) reject(signal.aborted ? signal.reason : e)
        })
      },
    )
    req.on('error', (e) => reject(signal.aborted ? signal.reason : e))
    if (init.body !== undefined) req.write(init.body)
    req.end()
  })
}

/** Scheme, host and port of a URL for messages (no path, query or credentials, which may hold secrets). */
function safeOrigin(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return '<invalid url>'
  }
}

/** What {@link targetVerdict} found about a URL's host. */
export type TargetVerdict =
  /** Every address the host is or resolves to is public. */
  | { kind: 'public' }
  /** The host is, or resolves to, this non-public address (the first one found). */
  | { kind: 'private'; address: string }
  /** The URL does not parse, the name does not resolve, or DNS took longer than the deadline. */
  | { kind: 'unresolved' }

/**
 * Classifies the host of `url` by the addresses it is or resolves to, with the same address
 * policy as {@link guardedFetch} (any non-public address makes the host private). An IP
 * literal is judged without DNS. Never throws.
 * @param opts.resolve resolver, default `dns.lookup` (all addresses).
 * @param opts.timeoutMs DNS deadline in milliseconds, default 2000; past it `unresolved`.
 */
export async function targetVerdict(
  url: string,
  opts: { resolve?: (hostname: string) => Promise<LookupAddress[]>; timeoutMs?: number } = {},
): Promise<TargetVerdict> {
  const u = URL.parse(url)
  if (!u) return { kind: 'unresolved' }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  let addresses: string[]
  if (ipaddr.isValid(host)) {
    addresses = [host]
  } else {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<LookupAddress[]>((resolve) => {
      timer = setTimeout(() => resolve([]), opts.timeoutMs ?? 2000)
      timer.unref()
    })
    const found = await Promise.race([(opts.resolve ?? defaultResolve)(host).catch(() => []), deadline])
    clearTimeout(timer)
    addresses = found.map((a) => a.address)
  }
  if (addresses.length === 0) return { kind: 'unresolved' }
  const bad = addresses.find((a) => !isPublicAddress(a))
  return bad === undefined ? { kind: 'public' } : { kind: 'private', address: bad }
}

/** A configured URL to check before it is saved. */
export interface TargetField {
  /** Dotted path of the field in the request body, named in the 400 (e.g. `health_check.url`). */
  path: string
  /** The URL; `null`/`undefined` (not given, or cleared) is skipped. */
  url: string | null | undefined
}

/**
 * Save-time SSRF check of configured URLs: refuses every field whose host is, or resolves
 * to, a non-public address (see {@link isPublicAddress}) unless the operator allows private
 * targets. A host that does not resolve now is accepted unless `refuseUnresolved` (DNS may
 * not exist yet; the fetch-time guard of {@link guardedFetch} refuses it later if it then
 * points inside). The scheme is the schema's business (`httpUrl` in `url.schema.ts`).
 *
 * @param opts.allowPrivate the operator's `*_ALLOW_PRIVATE` setting: `true` skips the check.
 * @param opts.setting that setting's name, for the message.
 * @param opts.refuseUnresolved also refuse a host that does not resolve (default false).
 * @throws AppError 400 `validation_failed` with `details: [{ path, message }]`, one per refused field.
 */
export async function refusePrivateTargets(
  fields: readonly TargetField[],
  opts: {
    allowPrivate: boolean
    setting: string
    refuseUnresolved?: boolean
    resolve?: (hostname: string) => Promise<LookupAddress[]>
    timeoutMs?: number
  },
): Promise<void> {
  if (opts.allowPrivate) return
  const given = fields.filter((f): f is TargetField & { url: string } => typeof f.url === 'string')
  const verdicts = await Promise.all(given.map((f) => targetVerdict(f.url, opts)))
  const details = given.flatMap((f, i) => {
    const v = verdicts[i]!
    if (v.kind === 'private')
      return [{ path: f.path, message: `host is a private, loopback or reserved address (${v.address})` }]
    if (v.kind === 'unresolved' && opts.refuseUnresolved)
      return [{ path: f.path, message: 'host does not resolve' }]
    return []
  })
  if (details.length > 0) {
    throw badRequest(
      `${details.map((d) => d.path).join(', ')}: private targets are refused unless ${opts.setting}=true`,
      details,
    )
  }
}
