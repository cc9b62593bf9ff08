/**
 * Ownership verification of a project's hosts, the pure part (shell: `visitors.verify.ts`).
 * Like loader.io and ACME http-01: the owner proves control of a host by serving a token at
 * `/.well-known/traffoflex-verify.txt` or publishing it as a DNS TXT record at
 * `_traffoflex.<host>`. The token is derived, never stored: base64url HMAC-SHA256 of
 * `${workspaceId}:${host}` under a key derived (HKDF) from the server's secret key, so it is
 * stable per workspace and host, differs between workspaces (one workspace's proof does not
 * verify another's), and cannot be guessed without the key.
 */
import { createHmac, hkdfSync } from 'node:crypto'

/** Path of the token file on the verified host. */
export const WELL_KNOWN_PATH = '/.well-known/traffoflex-verify.txt'
/** Prefix of the TXT record value (and accepted in the file). */
export const TXT_PREFIX = 'traffoflex-verify='
/** Label prepended to the host name for the TXT record. */
export const TXT_LABEL = '_traffoflex'
/** Default age after which a verification is stale (see {@link isStale}), hours. */
export const DEFAULT_STALE_HOURS = 24

/**
 * The 32-byte HMAC key of verification tokens, derived with HKDF-SHA256 from the server's
 * secret key (`loadSecretKey`, src/platform/secret-box.ts: `SECRETS_KEY` or `DATA_DIR/secret.key`),
 * so the same secret never serves two purposes (it also encrypts stored API keys).
 */
export function deriveVerifyKey(secretKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secretKey, Buffer.alloc(0), 'traffoflex visitors host verification v1', 32),
  )
}

/** The token of `host` (lower-case, `:port` when not default) for `workspaceId`: base64url HMAC-SHA256, 43 characters. */
export function verificationToken(key: Buffer, workspaceId: string, host: string): string {
  return createHmac('sha256', key).update(`${workspaceId}:${host}`).digest('base64url')
}

/** A host to verify and the schemes its token file may be fetched with, in order. */
export interface HostTarget {
  /** Lower-case host as in URL `host`: name, plus `:port` when not the scheme's default. */
  host: string
  /** `https` first; `http` only when some of the host's URLs are http. */
  schemes: ('https' | 'http')[]
}

/**
 * The distinct hosts of `urls` with their schemes (see {@link HostTarget}), in first-seen
 * order. URLs that do not parse are skipped (the settings schema refuses them first). Pure.
 */
export function hostTargets(urls: readonly string[]): HostTarget[] {
  const byHost = new Map<string, Set<'https' | 'http'>>()
  for (const url of urls) {
    const u = URL.parse(url)
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) continue
    const set = byHost.get(u.host) ?? new Set()
    set.add(u.protocol === 'https:' ? 'https' : 'http')
    byHost.set(u.host, set)
  }
  return [...byHost].map(([host, s]) => ({
    host,
    schemes: (['https', 'http'] as const).filter((x) => s.has(x)),
  }))
}

/** The host name of a `host` (port dropped, IPv6 brackets kept off), for DNS. */
export function hostName(host: string): string {
  const u = URL.parse(`http://${host}/`)
  const name = u ? u.hostname : host
  return name.startsWith('[') ? name.slice(1, -1) : name
}

/** Whether a host is an IP literal (no DNS record can be published for it). */
export function isIpLiteral(host: string): boolean {
  const n = hostName(host)
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(n) || n.includes(':')
}

/** The TXT record name of a host: `_traffoflex.<host name>`. */
export function txtRecordName(host: string): string {
  return `${TXT_LABEL}.${hostName(host)}`
}

/** The token file URL of a host on a scheme. */
export function wellKnownUrl(scheme: 'https' | 'http', host: string): string {
  return `${scheme}://${host}${WELL_KNOWN_PATH}`
}

/**
 * Whether a fetched token file proves control: some line, trimmed, is the token or
 * `traffoflex-verify=<token>` (so the TXT value may be pasted into the file). Pure.
 */
export function fileProves(body: string, token: string): boolean {
  return body.split(/\r?\n/).some((l) => {
    const t = l.trim()
    return t === token || t === `${TXT_PREFIX}${token}`
  })
}

/**
 * Whether TXT records (as `dns.resolveTxt` answers: each record a list of chunks, joined
 * here) prove control: one record is exactly `traffoflex-verify=<token>` (blanks trimmed). Pure.
 */
export function txtProves(records: readonly (readonly string[])[], token: string): boolean {
  return records.some((chunks) => chunks.join('').trim() === `${TXT_PREFIX}${token}`)
}

/**
 * Whether a verification made at `verifiedAt` is stale at `now`: older than `staleHours`.
 * A stale host counts as not verified until checked again (the engine re-checks hosts at
 * each start and at least hourly while running, so a running project's never gets stale).
 */
export function isStale(verifiedAt: Date | null, now: Date, staleHours = DEFAULT_STALE_HOURS): boolean {
  // Written so that an invalid date (NaN) counts as stale.
  return verifiedAt === null || !(now.getTime() - verifiedAt.getTime() <= staleHours * 3_600_000)
}

/** What a user must do to verify a host (shown by `GET /projects/:id/verification`). */
export interface Instructions {
  file: { url: string; content: string }
  dns: { name: string; type: 'TXT'; value: string } | null
}

/** The instructions for a host and its token (DNS omitted for an IP literal). Pure. */
export function instructions(target: HostTarget, token: string): Instructions {
  return {
    file: { url: wellKnownUrl(target.schemes[0] ?? 'https', target.host), content: `${TXT_PREFIX}${token}` },
    dns: isIpLiteral(target.host)
      ? null
      : { name: txtRecordName(target.host), type: 'TXT', value: `${TXT_PREFIX}${token}` },
  }
}

/** One verification attempt of one way (`http` file or `dns` record). */
export interface Attempt {
  method: 'http' | 'dns'
  ok: boolean
  /** Why it failed (status, network error, token mismatch). */
  error?: string
}

/** The verdict of a host's check: the first successful method, else every attempt's error joined. */
export function verdict(
  attempts: readonly Attempt[],
): { ok: true; method: 'http' | 'dns' } | { ok: false; error: string } {
  const hit = attempts.find((a) => a.ok)
  if (hit) return { ok: true, method: hit.method }
  const error = attempts.map((a) => `${a.method}: ${a.error ?? 'failed'}`).join('; ')
  return { ok: false, error: error === '' ? 'nothing to check' : error.slice(0, 1000) }
}
