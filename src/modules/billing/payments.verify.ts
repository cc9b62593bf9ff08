/**
 * Webhook signature checks of the three providers, over the raw body exactly as received.
 * No I/O; every comparison is timing-safe.
 *
 * - Stripe: `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "{t}.{body}">` checked by
 *   the official SDK's `webhooks.constructEvent` (300 s tolerance), once per configured
 *   secret (rotation). https://docs.stripe.com/webhooks/signature
 * - Revolut Business: `Revolut-Signature: v1=<hex HMAC-SHA256 of "v1.{Revolut-Request-Timestamp}.{body}">`,
 *   several comma-separated `v1=` values while secrets rotate; the timestamp is in ms and
 *   must be within 5 minutes. https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature
 * - Wise: `X-Signature-SHA256: base64(RSA-SHA256(body))` verified with Wise's public key;
 *   no timestamp (replays are stopped by the event-ID dedupe).
 *   https://docs.wise.com/guides/developer/webhooks/event-handling (keys below from that page).
 */
import { createHmac, createPublicKey, type KeyObject, timingSafeEqual, verify } from 'node:crypto'
import Stripe from 'stripe'

/** Outcome of a check: ok with the parsed body, or why not. */
export type Verification =
  | { ok: true; body: unknown }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' | 'stale' | 'malformed' | 'not_configured' }

/** Tolerance of Stripe and Revolut timestamps: 300 s (both providers' documented default). */
export const TOLERANCE_MS = 300_000

/** Wise's production webhook public key (docs.wise.com, "Event handling"). */
export const WISE_PRODUCTION_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----`

/** Wise's sandbox webhook public key (same page; also in github.com/transferwise/digital-signatures-examples). */
export const WISE_SANDBOX_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----`

/** Header lookup, case-insensitive (Node lower-cases incoming names). */
export type Headers = Record<string, string | string[] | undefined>
const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

function parseJson(raw: string): Verification {
  try {
    return { ok: true, body: JSON.parse(raw) as unknown }
  } catch {
    return { ok: false, reason: 'malformed' }
  }
}

// The SDK's webhook helpers need no API key and make no request; one instance serves all.
let stripeClient: Stripe | undefined
const stripe = (): Stripe => {
  stripeClient ??= new Stripe('sk_unused_for_webhook_checks')
  return stripeClient
}

/**
 * Verifies a Stripe delivery with any of `secrets` (rotation), at `nowMs` (epoch ms).
 * @returns the event object the SDK parsed, or the reason: `stale` when a secret matched but
 *   the timestamp is older than 300 s.
 */
export function verifyStripe(
  raw: string,
  headers: Headers,
  secrets: readonly string[],
  nowMs: number,
): Verification {
  if (secrets.length === 0) return { ok: false, reason: 'not_configured' }
  const sig = header(headers, 'stripe-signature')
  if (!sig) return { ok: false, reason: 'missing_signature' }
  let stale = false
  for (const secret of secrets) {
    try {
      const event = stripe().webhooks.constructEvent(raw, sig, secret, TOLERANCE_MS / 1000, undefined, nowMs)
      return { ok: true, body: event }
    } catch (err) {
      if (err instanceof Error && /tolerance/i.test(err.message)) stale = true
      else if (err instanceof SyntaxError) return { ok: false, reason: 'malformed' }
    }
  }
  return { ok: false, reason: stale ? 'stale' : 'bad_signature' }
}

const safeEqualHex = (a: string, b: string): boolean => {
  if (!/^[0-9a-f]+$/i.test(a) || a.length !== b.length) return false
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))
}

/** The Revolut signature value of a payload: `v1=` + hex HMAC-SHA256 of `v1.{timestamp}.{raw}`. */
export function revolutSignature(raw: string, timestamp: string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(`v1.${timestamp}.${raw}`).digest('hex')}`
}

/**
 * Verifies a Revolut Business delivery: any `v1=` value of the header against any of
 * `secrets`, and a `Revolut-Request-Timestamp` (ms) within 5 minutes of `nowMs`.
 */
export function verifyRevolut(
  raw: string,
  headers: Headers,
  secrets: readonly string[],
  nowMs: number,
): Verification {
  if (secrets.length === 0) return { ok: false, reason: 'not_configured' }
  const sig = header(headers, 'revolut-signature')
  const ts = header(headers, 'revolut-request-timestamp')
  if (!sig || !ts) return { ok: false, reason: 'missing_signature' }
  if (!/^\d{1,16}$/.test(ts)) return { ok: false, reason: 'bad_signature' }
  const given = sig
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3))
  const ok = secrets.some((secret) => {
    const expected = revolutSignature(raw, ts, secret).slice(3)
    return given.some((g) => safeEqualHex(g, expected))
  })
  if (!ok) return { ok: false, reason: 'bad_signature' }
  if (Math.abs(nowMs - Number(ts)) > TOLERANCE_MS) return { ok: false, reason: 'stale' }
  return parseJson(raw)
}

/** Parses a PEM public key once (throws on a bad key: config errors surface at start-up). */
export function wisePublicKey(pem: string): KeyObject {
  return createPublicKey(pem.replace(/\\n/g, '\n'))
}

/** Verifies a Wise delivery: `X-Signature-SHA256` (base64 RSA-SHA256 of the raw body) with `key`. */
export function verifyWise(raw: string, headers: Headers, key: KeyObject | undefined): Verification {
  if (!key) return { ok: false, reason: 'not_configured' }
  const sig = header(headers, 'x-signature-sha256')
  if (!sig) return { ok: false, reason: 'missing_signature' }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) return { ok: false, reason: 'bad_signature' }
  // node:crypto's verify compares in constant time for RSA (OpenSSL's RSA_verify).
  const ok = verify('sha256', Buffer.from(raw, 'utf8'), key, Buffer.from(sig, 'base64'))
  if (!ok) return { ok: false, reason: 'bad_signature' }
  return parseJson(raw)
}
