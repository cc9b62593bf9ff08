/**
 * HTTP mode of the visitor engine: one visit = the page and its same-origin subresources,
 * fetched as a first page load would, over pooled keep-alive connections (undici `Agent`),
 * every request labelled (User-Agent suffix + signed `X-Traffoflex-Visit` header).
 *
 * Safety: each connection's DNS answer goes through the SSRF address policy of
 * `src/platform/net/ssrf.ts` (`isPublicAddress`) in the socket's `lookup` — the checked
 * addresses are the ones connected to, no second query — and IP-literal hosts are checked
 * before the request. Redirects are followed by hand (bounded), each hop re-checked the same
 * way and only to hosts of the project (its verified hosts); elsewhere the visit ends at the
 * 3xx. `allowPrivate` (VISITORS_ALLOW_PRIVATE) turns the address check off, for local sites.
 * A visit with a `country` leaves through that country's egress proxy (`visitors.egress.ts`,
 * which also says how the target is checked then); a country without one fails the visit
 * (`egress`, not charged) rather than going out direct.
 *
 * What it cannot do (README "Engine"): execute JavaScript, fire analytics beacons, keep
 * cookies across pages, scroll or hold a session open for the time on page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { lookup as dnsLookup } from 'node:dns/promises'
import type { LookupAddress, LookupOptions } from 'node:dns'
import ipaddr from 'ipaddr.js'
import { Agent, type Dispatcher } from 'undici'
import { isPublicAddress, SsrfBlockedError } from '../../platform/net/ssrf.ts'
import { createEgress, pinTarget } from './visitors.egress.ts'

/** Engine version in the User-Agent suffix. */
export const VISIT_AGENT_VERSION = '1.0'
/** Header carrying the signed visit label. */
export const VISIT_HEADER = 'x-traffoflex-visit'

/** Desktop or mobile visit. */
export type Device = 'desktop' | 'mobile'

/**
 * Current browsers' User-Agent strings (mid-2026 stable channels; Chrome's reduced UA
 * format). One is picked per visit; the identifying suffix is appended to each.
 */
export const USER_AGENTS: Record<Device, readonly string[]> = {
  desktop: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0',
  ],
  mobile: [
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/28.0 Chrome/130.0.0.0 Mobile Safari/537.36',
  ],
}

/** The identifying suffix of every visit's User-Agent: `traffoflex-visit/<v> (+<PUBLIC_URL>/visits; run=<id>)`. */
export const visitUaSuffix = (publicUrl: string, runId: string): string =>
  `traffoflex-visit/${VISIT_AGENT_VERSION} (+${publicUrl}/visits; run=${runId})`

/** A browser UA of `device` (index taken modulo the list) with the identifying suffix. */
export function visitUserAgent(device: Device, index: number, publicUrl: string, runId: string): string {
  const list = USER_AGENTS[device]
  return `${list[Math.abs(Math.floor(index)) % list.length]} ${visitUaSuffix(publicUrl, runId)}`
}

/**
 * The signature of a visit label: hex HMAC-SHA256 over the exact text `run=<id>; ts=<unix s>`
 * with the workspace's visit-signing key.
 */
export function visitSignature(key: Buffer | string, runId: string, tsSeconds: number): string {
  return createHmac('sha256', key).update(`run=${runId}; ts=${tsSeconds}`).digest('hex')
}

/** The `X-Traffoflex-Visit` value: `run=<id>; ts=<unix s>; sig=<hex>`. */
export function visitHeader(key: Buffer | string, runId: string, tsSeconds: number): string {
  return `run=${runId}; ts=${tsSeconds}; sig=${visitSignature(key, runId, tsSeconds)}`
}

/**
 * Checks an `X-Traffoflex-Visit` value as a site owner would (constant-time compare).
 * @param nowSeconds current Unix time in s; @param toleranceS accepted age/skew (default 300 s).
 * @returns the run ID when the label is authentic and fresh, else null.
 */
export function verifyVisitHeader(
  key: Buffer | string,
  header: string,
  nowSeconds: number,
  toleranceS = 300,
): string | null {
  const m = /^run=([^;\s]+); ts=(\d{1,12}); sig=([0-9a-f]{64})$/.exec(header.trim())
  if (!m) return null
  const [, runId, ts, sig] = m as unknown as [string, string, string, string]
  if (Math.abs(nowSeconds - Number(ts)) > toleranceS) return null
  const want = Buffer.from(visitSignature(key, runId, Number(ts)), 'hex')
  const got = Buffer.from(sig, 'hex')
  return want.length === got.length && timingSafeEqual(want, got) ? runId : null
}

/**
 * The same-origin subresources a first page load would fetch: `<img src>`, `<script src>`,
 * `<link rel=stylesheet href>`; resolved against the page URL, deduplicated, document order,
 * at most `max`. Cross-origin references are skipped (the visit is only to verified hosts).
 */
export function subresourcesOf(html: string, pageUrl: string, max: number): string[] {
  const base = new URL(pageUrl)
  const out: string[] = []
  const seen = new Set<string>()
  const attr = (tag: string, name: string) =>
    new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  for (const m of html.matchAll(/<(img|script|link)\b[^>]*>/gi)) {
    const tag = m[0]
    const kind = m[1]!.toLowerCase()
    let ref: RegExpExecArray | null
    if (kind === 'link') {
      const rel = attr(tag, 'rel')
      const relv = (rel?.[1] ?? rel?.[2] ?? rel?.[3] ?? '').toLowerCase().split(/\s+/)
      if (!relv.includes('stylesheet')) continue
      ref = attr(tag, 'href')
    } else ref = attr(tag, 'src')
    const v = ref?.[1] ?? ref?.[2] ?? ref?.[3]
    if (!v) continue
    let u: URL
    try {
      u = new URL(v.replace(/&amp;/g, '&'), base)
    } catch {
      continue
    }
    if (u.origin !== base.origin) continue
    u.hash = ''
    if (seen.has(u.href)) continue
    seen.add(u.href)
    out.push(u.href)
    if (out.length >= max) break
  }
  return out
}

/** Why a visit failed (or its first failure). Before-response kinds are not charged. */
export type VisitErrorKind =
  | 'dns'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'reset'
  | 'blocked'
  | 'redirects'
  | 'egress'
  | 'other'

/** The outcome of one visit. */
export interface VisitOutcome {
  /** The site answered (a status line arrived): the visit is charged. */
  answered: boolean
  /** Final status (after redirects), when answered. */
  status?: number
  /** Failure before any response (not charged), or a later failure of the page body. */
  error?: VisitErrorKind
  /** Epoch ms (from the injected clock) when the first response's headers arrived. */
  headersAtMs?: number
  /** Epoch ms when the page and its subresources were done. */
  doneAtMs: number
  /** Redirects followed. */
  redirects: number
  /** Subresources fetched, and how many of them failed. */
  subresources: number
  subresourceErrors: number
  /** Body bytes read (page + subresources). */
  bytes: number
  /** URL of the final page. */
  finalUrl: string
}

/** Options of {@link createVisitHttp}. */
export interface VisitHttpOptions {
  /** VISITORS_ALLOW_PRIVATE: skip the address check (local sites, tests). */
  allowPrivate: boolean
  /** PUBLIC_URL (no trailing slash), named in the UA suffix. */
  publicUrl: string
  /** The clock, epoch ms (timestamps of outcomes). */
  nowMs: () => number
  /** Deadline of the whole visit in ms (default 15000). */
  timeoutMs?: number
  /** Redirects followed at most (default 5). */
  maxRedirects?: number
  /** Subresources fetched at most per page (default 20) and bytes read per visit (default 2 MiB). */
  maxSubresources?: number
  maxBytes?: number
  /** Keep-alive connections per origin (default 64). */
  connectionsPerOrigin?: number
  /** Resolver (default `dns.lookup`, all addresses); its answers are checked like DNS's. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>
  /** Egress proxy per country (`VISITORS_EGRESS`: `{US: 'http://…:8001'}`); default none. */
  egress?: Readonly<Record<string, string>>
}

/** One visit to make. */
export interface VisitRequest {
  url: string
  device: Device
  /** Which UA of the device's list (any integer). */
  uaIndex: number
  runId: string
  /** The workspace's visit-signing key (HMAC). */
  signingKey: Buffer | string
  /** Lower-case hosts (with `:port` when not default) redirects may go to. */
  allowedHosts: ReadonlySet<string>
  /** Aborts the visit (engine shutdown). */
  signal?: AbortSignal
  /** The visit's country: leaves through its egress proxy; null/absent = direct egress. */
  country?: string | null
  /**
   * `Referer` of the page request: null/absent = none, else one of the project's own URLs
   * (the settings refuse anything else: a third-party referrer would be a lie).
   */
  referrer?: string | null
}

/** The HTTP visitor: `visit()` and `close()` (ends the pools). */
export interface VisitHttp {
  /** Makes one visit; never throws (failures are in the outcome). */
  visit(req: VisitRequest): Promise<VisitOutcome>
  close(): Promise<void>
  /** Countries with an egress proxy, sorted (absent: none). */
  egressCountries?: readonly string[]
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** Classifies a request error. */
export function errorKind(err: unknown): VisitErrorKind {
  for (let e = err as { name?: string; code?: string; cause?: unknown } | undefined, i = 0; e && i < 5; i++) {
    if (e instanceof SsrfBlockedError) return 'blocked'
    const code = e.code ?? ''
    const name = e.name ?? ''
    // The proxy refused or broke the tunnel (undici: `Proxy response (502) !== 200 …`).
    if (code === 'UND_ERR_PRX_CONN' || code === 'UND_ERR_PRX_TLS' || code === 'EGRESS') return 'egress'
    if (code === 'UND_ERR_ABORTED' && /^Proxy response \(\d+\)/.test((e as Error).message ?? ''))
      return 'egress'
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns'
    if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code))
      return 'connect'
    if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) return 'tls'
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || name === 'TimeoutError')
      return 'timeout'
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return 'reset'
    e = e.cause as typeof e
  }
  return 'other'
}

/**
 * Creates the HTTP visitor with its connection pools.
 * Source of the API shape: undici `Agent#request` (https://undici.nodejs.org).
 */
export function createVisitHttp(opts: VisitHttpOptions): VisitHttp {
  const timeoutMs = opts.timeoutMs ?? 15_000
  const maxRedirects = opts.maxRedirects ?? 5
  const maxSub = opts.maxSubresources ?? 20
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024
  const resolve = opts.resolve ?? ((h: string) => dnsLookup(h, { all: true, verbatim: true }))

  // The socket's lookup: resolve, check every address, answer only checked ones.
  const lookup = (hostname: string, options: LookupOptions, cb: LookupCallback) => {
    resolve(hostname).then(
      (all) => {
        if (!opts.allowPrivate) {
          const bad = all.find((a) => !isPublicAddress(a.address))
          if (bad) return cb(new SsrfBlockedError('private_address', `http://${hostname}/`, bad.address), '')
        }
        const fam = options.family === 4 || options.family === 6 ? options.family : undefined
        const pool = fam ? all.filter((a) => a.family === fam) : all
        if (pool.length === 0)
          return cb(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '')
        if (options.all) cb(null, pool)
        else cb(null, pool[0]!.address, pool[0]!.family)
      },
      (err: NodeJS.ErrnoException) => cb(err, ''),
    )
  }
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 64,
    keepAliveTimeout: 10_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { lookup: lookup as never, timeout: Math.min(timeoutMs, 10_000) },
  })
  const egress = createEgress(opts.egress ?? {}, {
    connectionsPerOrigin: opts.connectionsPerOrigin ?? 64,
    timeoutMs,
  })

  /** Refuses schemes other than http(s) and private IP literals (they never reach `lookup`). */
  const precheck = (u: URL) => {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SsrfBlockedError('scheme', u.href)
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
    if (!opts.allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host))
      throw new SsrfBlockedError('private_address', u.href, host)
  }

  /**
   * One GET, direct or through `country`'s egress proxy (target checked and, for HTTP(S)
   * proxies, pinned to the checked address: `pinTarget`); reads at most `budget` body bytes.
   */
  async function get(
    u: URL,
    headers: Record<string, string>,
    signal: AbortSignal,
    budget: number,
    country: string | null,
  ) {
    precheck(u)
    let dispatcher: Dispatcher = agent
    let origin = u.origin
    let sent = headers
    if (country !== null) {
      const e = egress.get(country)
      if (!e) throw Object.assign(new Error(`no egress for ${country}`), { code: 'EGRESS' })
      const t = await pinTarget(u, { allowPrivate: opts.allowPrivate, pin: !e.socks, resolve })
      dispatcher = e.dispatcher
      origin = t.origin
      if (t.host) sent = { ...headers, host: t.host }
    }
    const res = await dispatcher.request({
      origin,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers: sent,
      signal,
    })
    const headersAtMs = opts.nowMs()
    const chunks: Buffer[] = []
    let size = 0
    let bodyError: unknown
    try {
      for await (const chunk of res.body) {
        const b = chunk as Buffer
        if (size + b.length > budget) {
          chunks.push(b.subarray(0, Math.max(0, budget - size)))
          size = budget
          res.body.destroy()
          break
        }
        chunks.push(b)
        size += b.length
      }
    } catch (err) {
      bodyError = err
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      body: Buffer.concat(chunks),
      size,
      headersAtMs,
      bodyError,
    }
  }

  return {
    async visit(req) {
      const signal = req.signal
        ? AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs)
      const tsSeconds = Math.floor(opts.nowMs() / 1000)
      const headers: Record<string, string> = {
        'user-agent': visitUserAgent(req.device, req.uaIndex, opts.publicUrl, req.runId),
        [VISIT_HEADER]: visitHeader(req.signingKey, req.runId, tsSeconds),
        accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'accept-language': 'en-US,en;q=0.9',
      }
      // The page request only: subresources carry the page as their referer, as a browser's do.
      const pageHeaders = req.referrer ? { ...headers, referer: req.referrer } : headers
      let url = new URL(req.url)
      let redirects = 0
      let bytes = 0
      let headersAtMs: number | undefined
      let page: Awaited<ReturnType<typeof get>>
      // The page, following redirects by hand so each hop is checked.
      for (;;) {
        try {
          page = await get(url, pageHeaders, signal, maxBytes - bytes, req.country ?? null)
        } catch (err) {
          // Nothing answered on this hop: charged only if an earlier hop answered.
          return {
            answered: headersAtMs !== undefined,
            status: undefined,
            error: errorKind(err),
            headersAtMs,
            doneAtMs: opts.nowMs(),
            redirects,
            subresources: 0,
            subresourceErrors: 0,
            bytes,
            finalUrl: url.href,
          }
        }
        headersAtMs ??= page.headersAtMs
        bytes += page.size
        const loc = page.headers.location
        if (page.status >= 300 && page.status < 400 && typeof loc === 'string') {
          let next: URL | undefined
          try {
            next = new URL(loc, url)
          } catch {
            next = undefined
          }
          if (!next || !req.allowedHosts.has(next.host.toLowerCase()) || redirects >= maxRedirects) {
            return {
              answered: true,
              status: page.status,
              error: next && redirects >= maxRedirects ? 'redirects' : undefined,
              headersAtMs,
              doneAtMs: opts.nowMs(),
              redirects,
              subresources: 0,
              subresourceErrors: 0,
              bytes,
              finalUrl: url.href,
            }
          }
          url = next
          redirects++
          continue
        }
        break
      }
      let subresources = 0
      let subresourceErrors = 0
      const type = String(page.headers['content-type'] ?? '')
      if (page.status < 400 && type.includes('html') && !page.bodyError) {
        const refs = subresourcesOf(page.body.toString('utf8'), url.href, maxSub)
        const subHeaders = { ...headers, accept: '*/*', referer: url.href }
        // Six at a time, like a browser's per-host connection limit.
        let next = 0
        const worker = async () => {
          while (next < refs.length && bytes < maxBytes && !signal.aborted) {
            const ref = new URL(refs[next++]!)
            try {
              const r = await get(ref, subHeaders, signal, maxBytes - bytes, req.country ?? null)
              bytes += r.size
              subresources++
              if (r.status >= 400 || r.bodyError) subresourceErrors++
            } catch {
              subresources++
              subresourceErrors++
            }
          }
        }
        await Promise.all(Array.from({ length: Math.min(6, refs.length) }, worker))
      }
      return {
        answered: true,
        status: page.status,
        error: page.bodyError ? errorKind(page.bodyError) : undefined,
        headersAtMs,
        doneAtMs: opts.nowMs(),
        redirects,
        subresources,
        subresourceErrors,
        bytes,
        finalUrl: url.href,
      }
    },
    close: async () => {
      await Promise.all([agent.close(), egress.close()])
    },
    egressCountries: egress.countries,
  }
}
