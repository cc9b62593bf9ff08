/**
 * Pure rules of the affiliate program ("20 % lifetime commission", module README "Affiliates"): the
 * referral cookie and its first-touch rule, email normalisation for the self-referral check,
 * the referral decision at sign-up (refuse, flag or accept), the payout decision, and small
 * formatting helpers (masked emails, money in major units, CSV fields, list cursors).
 * No I/O, no clock: callers pass `now`. The commission amount itself (`commissionMinor`)
 * lives in `affiliates.core.ts` (payments side).
 */

/** Name of the first-party referral cookie set by `GET /r/:code`. */
export const REF_COOKIE = 'tf_ref'

/**
 * Alphabet of affiliate codes: Crockford's base32 in lower case (no i, l, o, u), so a code
 * read aloud or typed from a screenshot is unambiguous and URL-safe.
 */
const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
/** Characters of an affiliate code (8 × 5 = 40 random bits). */
export const CODE_LENGTH = 8
/** What an affiliate code looks like; anything else is not looked up. */
export const CODE_PATTERN = /^[0-9abcdefghjkmnpqrstvwxyz]{8}$/

/**
 * Maps random bytes to an affiliate code: each of the first {@link CODE_LENGTH} bytes gives
 * one character (its low 5 bits; 256 is a multiple of 32, so every character is uniform).
 * @param bytes at least {@link CODE_LENGTH} random bytes (`crypto.randomBytes`).
 * @throws Error when fewer bytes are given.
 */
export function codeFromBytes(bytes: Uint8Array): string {
  if (bytes.length < CODE_LENGTH) throw new Error(`codeFromBytes needs ${CODE_LENGTH} bytes`)
  let out = ''
  for (let i = 0; i < CODE_LENGTH; i++) out += CODE_ALPHABET[bytes[i]! & 31]
  return out
}

/** A parsed `tf_ref` cookie: the code clicked and when (epoch seconds, UTC). */
export interface RefCookie {
  code: string
  /** When the link was clicked, epoch seconds (UTC). */
  at: number
}

/** The cookie's value: `<code>.<epoch seconds>` (cookie-safe characters only). */
export function formatRefCookie(c: RefCookie): string {
  return `${c.code}.${c.at}`
}

/** Parses a `tf_ref` value; undefined for anything malformed (never throws). */
export function parseRefCookie(value: string | undefined): RefCookie | undefined {
  if (!value) return undefined
  const m = /^([0-9a-z]{8})\.(\d{1,12})$/.exec(value)
  if (!m || !CODE_PATTERN.test(m[1]!)) return undefined
  return { code: m[1]!, at: Number(m[2]) }
}

/**
 * Whether a cookie is inside its window at `now`: clicked at most `windowDays` days before
 * (and not in the future, beyond a minute of clock skew between processes). The browser
 * drops it after Max-Age anyway; this re-check makes a cookie kept longer count for nothing.
 */
export function refCookieValid(c: RefCookie, now: Date, windowDays: number): boolean {
  const nowS = Math.floor(now.getTime() / 1000)
  return c.at <= nowS + 60 && nowS - c.at <= windowDays * 86_400
}

/**
 * First touch (`GET /r/:code`): the cookie to set, or undefined to keep the existing one.
 * An existing cookie wins while it is valid (well-formed, inside its window, naming a code
 * that exists); a malformed, expired or unknown one is replaced.
 * @param existing the raw `tf_ref` value the browser sent.
 * @param existingKnown whether the existing cookie's code belongs to an affiliate.
 * @param clicked the code of the link just followed (already known to exist).
 */
export function firstTouch(input: {
  existing: string | undefined
  existingKnown: boolean
  clicked: string
  now: Date
  windowDays: number
}): RefCookie | undefined {
  const old = parseRefCookie(input.existing)
  if (old && input.existingKnown && refCookieValid(old, input.now, input.windowDays)) return undefined
  return { code: input.clicked, at: Math.floor(input.now.getTime() / 1000) }
}

/**
 * An email address in the form used to compare people, not to send mail: trimmed, lower
 * case, `+tag` removed from the local part, and for Gmail (gmail.com and googlemail.com,
 * which are one mailbox) the dots of the local part dropped and the domain written
 * gmail.com. A string without `@` is only trimmed and lower-cased.
 */
export function canonicalEmail(email: string): string {
  const e = email.trim().toLowerCase()
  const at = e.lastIndexOf('@')
  if (at <= 0) return e
  let local = e.slice(0, at)
  let domain = e.slice(at + 1)
  const plus = local.indexOf('+')
  // A local part that *starts* with `+` is not a tag (nothing would be left).
  if (plus > 0) local = local.slice(0, plus)
  if (domain === 'gmail.com' || domain === 'googlemail.com') {
    local = local.replace(/\./g, '')
    domain = 'gmail.com'
  }
  return `${local}@${domain}`
}

/** Who referred, as the sign-up hook found them. */
export interface ReferrerFacts {
  userId: string
  email: string
  /** The referrer's own sign-up IP (null when unknown, e.g. a user created by an admin). */
  signupIp: string | null
}

/** The outcome of a referral at sign-up. */
export type ReferralDecision =
  | { kind: 'none' }
  | { kind: 'refused'; reason: 'self_referral' }
  | { kind: 'accepted'; flag: 'same_ip' | null }

/**
 * Decides a referral at sign-up. Pure.
 * - no referrer (no cookie, malformed, expired, unknown code) → `none`;
 * - the same user, or the same person by {@link canonicalEmail} → `refused` (no referrer set);
 * - the sign-up IP equals the referrer's own sign-up IP → `accepted` with flag `same_ip`
 *   (for an admin's review, not refused: households and offices share addresses);
 * - otherwise `accepted` without a flag.
 */
export function decideReferral(input: {
  user: { id: string; email: string; ip: string | null }
  referrer: ReferrerFacts | undefined
}): ReferralDecision {
  const { user, referrer } = input
  if (!referrer) return { kind: 'none' }
  if (referrer.userId === user.id || canonicalEmail(referrer.email) === canonicalEmail(user.email))
    return { kind: 'refused', reason: 'self_referral' }
  const sameIp = user.ip !== null && referrer.signupIp !== null && user.ip === referrer.signupIp
  return { kind: 'accepted', flag: sameIp ? 'same_ip' : null }
}

/** The outcome of a payout request. */
export type PayoutDecision =
  | { ok: true; amountMinor: number }
  | { ok: false; code: 'below_minimum' | 'insufficient_funds'; message: string }

/**
 * Decides a payout request. Pure. The amount is `requestedMinor`, or everything available
 * when absent; it must be at least `minMinor` and at most `availableMinor` (which may be
 * negative: a debt from a commission reversed after it was paid out).
 * @param availableMinor the affiliate's available balance, minor units.
 * @param minMinor `AFFILIATE_MIN_PAYOUT_MINOR`.
 */
export function decidePayout(input: {
  requestedMinor?: number | undefined
  availableMinor: number
  minMinor: number
}): PayoutDecision {
  const { availableMinor, minMinor } = input
  const amount = input.requestedMinor ?? availableMinor
  if (amount < minMinor)
    return {
      ok: false,
      code: 'below_minimum',
      message: `the minimum payout is ${minMinor} minor units; ${Math.max(amount, 0)} requested`,
    }
  if (amount > availableMinor)
    return {
      ok: false,
      code: 'insufficient_funds',
      message: `only ${Math.max(availableMinor, 0)} minor units are available`,
    }
  return { ok: true, amountMinor: amount }
}

/**
 * An email shown to the affiliate who referred its owner: first character of the local part,
 * `***`, and the domain (`j***@example.com`), so a referral is recognisable without handing
 * out the address.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0) return '***'
  return `${email[0]}***${email.slice(at)}`
}

/** Minor units as major units with two decimals (`123456` → `"1234.56"`, `-5` → `"-0.05"`). Exact (integer maths). */
export function minorToMajor(minor: number): string {
  const sign = minor < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(minor))
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes
 * doubled. Text a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
 * or CR — OWASP "CSV injection") gets a leading `'`; numbers written by us are passed as
 * numbers and left alone.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return ''
  let s = String(v)
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A CSV document: header row then rows, CRLF line ends (RFC 4180). */
export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n'
}

/** A keyset position in a list ordered by (time, id), newest first. */
export interface Cursor {
  at: Date
  id: string
}

/** Opaque cursor text (base64url of `<epoch ms>|<id>`). */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.at.getTime()}|${c.id}`, 'utf8').toString('base64url')
}

/** Parses a cursor; undefined when it is not one of ours (the caller answers 400). */
export function decodeCursor(s: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(s)) return undefined
  const m = /^(\d{1,15})\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    Buffer.from(s, 'base64url').toString('utf8'),
  )
  if (!m) return undefined
  return { at: new Date(Number(m[1])), id: m[2]! }
}
