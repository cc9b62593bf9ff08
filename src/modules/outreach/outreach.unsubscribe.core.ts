/**
 * One-click unsubscribe tokens (RFC 8058), the pure part. Every outreach email carries
 * `List-Unsubscribe: <https://…/api/v1/outreach/unsubscribe/<token>>`; the token names the
 * workspace, the address and the email it was sent in, and is authenticated with
 * HMAC-SHA256 so nobody can unsubscribe an address they did not receive mail for (RFC 8058
 * §3.2 asks that the URI carry "an opaque identifier" that cannot be forged).
 *
 * Token = `<payload>.<mac>`, both base64url without padding:
 * - payload: 16 bytes workspace UUID ‖ 16 bytes email UUID ‖ UTF-8 address (lower-cased by
 *   the caller): binary UUIDs keep the URL short (~100 characters for a typical address);
 * - mac: the first 16 bytes (128 bits) of HMAC-SHA256(key, `"outreach-unsubscribe-v1\n"` ‖
 *   payload bytes). 128 bits is the truncation NIST SP 800-107 §5.3.3 allows for a MAC
 *   that guards against forgery (no collision resistance is needed here).
 *
 * Reading is strict: exact shape, canonical base64url (so two spellings of one token do not
 * both verify), constant-time MAC comparison before the payload is looked at.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/** What an unsubscribe token names. IDs are UUIDs; `email` is the address as stored (lower-case). */
export interface UnsubscribeClaims {
  workspaceId: string
  email: string
  emailId: string
}

const MAC_BYTES = 16
const DOMAIN_TAG = Buffer.from('outreach-unsubscribe-v1\n')
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const B64URL_RE = /^[A-Za-z0-9_-]+$/
/** Longest accepted address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets). */
const MAX_EMAIL_BYTES = 254

/**
 * The 32-byte HMAC key of unsubscribe tokens, derived with HKDF-SHA256 from the server's
 * secret key (the one that seals stored credentials), so the same secret never serves two
 * purposes (same scheme as `deriveVerifyKey` in `visitors/visitors.verify.core.ts`).
 */
export function deriveUnsubscribeKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'traffoflex outreach unsubscribe v1', 32))
}

function uuidBytes(id: string, what: string): Buffer {
  const lower = id.toLowerCase()
  if (!UUID_RE.test(lower)) throw new TypeError(`${what} is not a UUID: ${JSON.stringify(id)}`)
  return Buffer.from(lower.replaceAll('-', ''), 'hex')
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** Whether `s` can be an address in a token: non-empty, one `@` with text on both sides, no spaces or controls. */
function plausibleEmail(s: string): boolean {
  const at = s.lastIndexOf('@')
  return (
    at > 0 &&
    at < s.length - 1 &&
    Buffer.byteLength(s) <= MAX_EMAIL_BYTES &&
    !/[\s\u0000-\u001f\u007f]/.test(s) &&
    Buffer.from(s, 'utf8').toString('utf8') === s // no lone surrogates
  )
}

function mac(key: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(DOMAIN_TAG).update(payload).digest().subarray(0, MAC_BYTES)
}

/**
 * The token for `claims` under `key` (see the module comment for the format). Deterministic:
 * the same claims give the same token (so re-sending the same email gives the same URL).
 * @throws TypeError when an ID is not a UUID or the address is implausible (empty, no `@`,
 *   whitespace or control characters, longer than 254 bytes).
 */
export function unsubscribeToken(key: Buffer, claims: UnsubscribeClaims): string {
  if (!plausibleEmail(claims.email))
    throw new TypeError(`not an email address: ${JSON.stringify(claims.email)}`)
  const payload = Buffer.concat([
    uuidBytes(claims.workspaceId, 'workspaceId'),
    uuidBytes(claims.emailId, 'emailId'),
    Buffer.from(claims.email, 'utf8'),
  ])
  return `${payload.toString('base64url')}.${mac(key, payload).toString('base64url')}`
}

/** Decodes canonical base64url only: re-encoding must give the same text. */
function decodeCanonical(s: string): Buffer | null {
  if (!B64URL_RE.test(s)) return null
  const b = Buffer.from(s, 'base64url')
  return b.toString('base64url') === s ? b : null
}

/**
 * The claims of a token made by {@link unsubscribeToken} with the same key, or null for
 * anything else (wrong shape, non-canonical base64url, wrong MAC, malformed payload). Never
 * throws. The MAC is compared in constant time (`crypto.timingSafeEqual`) before the
 * payload is parsed.
 */
export function readUnsubscribeToken(key: Buffer, token: string): UnsubscribeClaims | null {
  if (typeof token !== 'string' || token.length > 1024) return null
  const parts = token.split('.')
  if (parts.length !== 2) return null
  const payload = decodeCanonical(parts[0]!)
  const got = decodeCanonical(parts[1]!)
  if (!payload || !got || got.length !== MAC_BYTES || payload.length < 32 + 3) return null
  if (!timingSafeEqual(got, mac(key, payload))) return null
  const emailBytes = payload.subarray(32)
  const email = emailBytes.toString('utf8')
  // A payload we made always round-trips; this refuses invalid UTF-8 under a valid MAC
  // (only possible with a leaked key, but the parser stays strict regardless).
  if (!Buffer.from(email, 'utf8').equals(emailBytes) || !plausibleEmail(email)) return null
  return {
    workspaceId: uuidString(payload.subarray(0, 16)),
    emailId: uuidString(payload.subarray(16, 32)),
    email,
  }
}

/**
 * An address masked for the public unsubscribe page (it is reachable by anyone holding the
 * link): `alice@example.com` → `a***e@e***.com`. The local part keeps its first and last
 * character (first only when it has at most two), the domain its first character and its
 * last label. Input without `@` is masked as a local part.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  const local = at < 0 ? email : email.slice(0, at)
  const chars = [...local]
  const maskedLocal =
    chars.length === 0 ? '' : chars.length <= 2 ? `${chars[0]}*` : `${chars[0]}***${chars[chars.length - 1]}`
  if (at < 0) return maskedLocal
  const domain = email.slice(at + 1)
  const dot = domain.lastIndexOf('.')
  const name = dot > 0 ? domain.slice(0, dot) : domain
  const tld = dot > 0 ? domain.slice(dot) : ''
  const first = [...name][0] ?? ''
  return `${maskedLocal}@${first}***${tld}`
}
