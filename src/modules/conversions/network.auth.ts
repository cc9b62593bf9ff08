/**
 * Who may post a conversion for a network: the per-network secret (timing-safe) and the
 * optional IP allowlist, plus redaction of the secret from what the postback log stores.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import proxyAddr from 'proxy-addr'

/** Query/body parameter names that carry the secret. */
export const SECRET_PARAMS = ['secret', 'token'] as const
/** Request headers that carry the secret (lower case). */
export const SECRET_HEADERS = ['x-postback-secret', 'x-postback-token'] as const

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * True when `given` equals `expected`. Both are hashed first so the comparison takes the
 * same time whatever the length or content of `given` (timingSafeEqual needs equal lengths,
 * and comparing raw strings would leak the length of the secret).
 * An undefined or empty `given` never matches.
 */
export function secretMatches(expected: string, given: string | undefined): boolean {
  const ok = timingSafeEqual(expectedDigest(expected), sha256(given ?? ''))
  return ok && given !== undefined && given !== ''
}

// The stored secrets' digests, so a postback hashes only what it presents (networks are few;
// the cap only bounds memory if secrets keep changing).
const digests = new Map<string, Buffer>()
function expectedDigest(secret: string): Buffer {
  let d = digests.get(secret)
  if (!d) {
    if (digests.size >= 10_000) digests.clear()
    d = sha256(secret)
    digests.set(secret, d)
  }
  return d
}

/**
 * The secret a postback presents: the first of the headers `X-Postback-Secret`,
 * `X-Postback-Token`, then the fields `secret`, `token`. Undefined when none is present.
 */
export function presentedSecret(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  fields: Readonly<Record<string, string>>,
): string | undefined {
  for (const h of SECRET_HEADERS) {
    const v = headers[h]
    const s = Array.isArray(v) ? v[0] : v
    if (s) return s
  }
  for (const p of SECRET_PARAMS) if (Object.hasOwn(fields, p) && fields[p] !== '') return fields[p]
  return undefined
}

/** A compiled IP allowlist. */
export interface IpAllowlist {
  /** True when no entry was configured (everyone allowed). */
  readonly open: boolean
  /** Entries that are neither an IP nor a CIDR; they match nothing (fail closed). */
  readonly invalid: readonly string[]
  /** True when `ip` (IPv4, IPv6 or IPv4-mapped IPv6) is inside an entry. */
  allows(ip: string): boolean
}

/**
 * Compiles a network's allowlist (IPs and CIDRs, e.g. `203.0.113.0/24`, `2001:db8::/32`).
 * An empty list allows everyone. A non-empty list whose entries are all invalid allows no
 * one: a typo must not silently open the network.
 */
export function compileAllowlist(entries: readonly string[]): IpAllowlist {
  const list = entries.map((e) => e.trim()).filter((e) => e !== '')
  if (list.length === 0) return { open: true, invalid: [], allows: () => true }
  const valid: string[] = []
  const invalid: string[] = []
  for (const e of list) {
    try {
      proxyAddr.compile(e)
      valid.push(e)
    } catch {
      invalid.push(e)
    }
  }
  const trust = valid.length > 0 ? proxyAddr.compile(valid) : () => false
  return {
    open: false,
    invalid,
    allows: (ip) => {
      try {
        return ip !== '' && trust(ip, 0)
      } catch {
        return false
      }
    },
  }
}

/** Max stored length of a request's query string in the postback log (chars). */
export const LOG_QUERY_MAX = 2048
/** Max stored length of a request's body in the postback log (chars). */
export const LOG_BODY_MAX = 4096

/**
 * Removes secrets from a query string, form body or JSON body before it is logged: the
 * values of `secret`/`token` parameters and JSON keys, and any literal occurrence of the
 * network's secret (when at least 4 characters, raw or URL-encoded). Then truncates to `max`.
 * NULs become `\0` and unpaired surrogates U+FFFD, so the text can be stored (PostgreSQL
 * refuses 0x00 in text) and the request is logged whatever its bytes.
 */
export function redactSecrets(text: string, max: number, secret?: string | null): string {
  let out = text
    .replaceAll('\0', '\\0')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/(^|[?&])(secret|token)=[^&]*/gi, '$1$2=***')
    .replace(/("(?:secret|token)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/gi, '$1"***"')
  if (secret && secret.length >= 4) {
    out = out.replaceAll(secret, '***').replaceAll(encodeURIComponent(secret), '***')
  }
  return out.length > max ? `${out.slice(0, max)}…` : out
}
