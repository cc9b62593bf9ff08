/**
 * Pure pieces of the Clay enrichment round trip: the per-row callback token and URL, and
 * the callback body we configure Clay to send back. No I/O, no clock.
 *
 * Flow: each row we POST to Clay's table webhook carries `callback_url`
 * (`clay.client.ts`); the Clay table's "HTTP API" action POSTs the result to
 * `{{callback_url}}` with the JSON body below. Clay offers no signature on that request, so
 * the URL itself carries the proof: a token that is HMAC-SHA256(key, "outreach-clay-callback:v1:"
 * + correlationId), base64url (43 characters). A token is valid for its one correlation
 * ID only, so a leaked URL (Clay's run history, an access log) can answer that one row and
 * nothing else.
 *
 * Token in the query (`?token=`), not a header: the Clay action then needs exactly one
 * column reference (the URL) and no per-row header mapping, which is the easiest setup to
 * get right. The callback route should also accept the same token in the
 * `x-traffoflex-token` header (for operators who prefer headers); both are verified by
 * {@link verifyCallbackToken}.
 *
 * Callback body (configure the Clay action's body as exactly this, strict — unknown keys
 * are refused so a mis-mapped column is noticed at once):
 *   `{"correlation_id": "{{correlation_id}}", "email": "{{Email}}", "email_status": "found"|"not_found"}`
 * `email` may be null or "" (Clay renders an empty column as ""): both mean not found.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'

/** Path of the callback route under the public URL; the correlation ID follows. */
export const CLAY_CALLBACK_PATH = '/api/v1/outreach/clay/callback/'
/** Header the callback route also accepts the token in. */
export const CLAY_CALLBACK_TOKEN_HEADER = 'x-traffoflex-token'

const TOKEN_CONTEXT = 'outreach-clay-callback:v1:'
const CORRELATION_ID = /^[A-Za-z0-9_-]{1,100}$/

/** Correlation IDs are our enrichment row IDs (UUIDs); anything URL-safe up to 100 characters is accepted. */
export const correlationIdSchema = z.string().regex(CORRELATION_ID, 'correlation ID: 1–100 of [A-Za-z0-9_-]')

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length < 16)
    throw new RangeError('callback key must be a Buffer of ≥ 16 bytes')
}

/**
 * The callback token of one row: HMAC-SHA256(key, context + correlationId), base64url.
 * @throws RangeError for a key under 16 bytes or a correlation ID outside `[A-Za-z0-9_-]{1,100}`
 */
export function callbackToken(key: Buffer, correlationId: string): string {
  checkKey(key)
  if (!CORRELATION_ID.test(correlationId)) throw new RangeError('invalid correlation ID')
  return createHmac('sha256', key)
    .update(TOKEN_CONTEXT + correlationId)
    .digest('base64url')
}

/**
 * Whether `token` is the callback token of `correlationId` under `key`. Constant-time
 * comparison (`crypto.timingSafeEqual`) of the decoded 32-byte MACs; false, never a throw,
 * for any malformed input.
 */
export function verifyCallbackToken(key: Buffer, correlationId: string, token: unknown): boolean {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false
  if (!CORRELATION_ID.test(correlationId)) return false
  const expected = Buffer.from(callbackToken(key, correlationId), 'base64url')
  const given = Buffer.from(token, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * `${publicUrl}/api/v1/outreach/clay/callback/<correlationId>?token=<token>`.
 * @param publicUrl the server's public base URL (http/https, trailing slashes dropped)
 * @throws RangeError for a non-http(s) URL or an invalid key / correlation ID
 */
export function callbackUrl(publicUrl: string, correlationId: string, key: Buffer): string {
  const base = new URL(publicUrl)
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new RangeError('publicUrl must be http(s)')
  const token = callbackToken(key, correlationId)
  return `${publicUrl.replace(/\/+$/, '')}${CLAY_CALLBACK_PATH}${correlationId}?token=${token}`
}

/** The callback body Clay sends (see the header), strict. */
export const clayCallbackSchema = z.strictObject({
  correlation_id: correlationIdSchema,
  email: z.string().max(320).nullable(),
  email_status: z.enum(['found', 'not_found']).optional(),
})
export type ClayCallbackBody = z.infer<typeof clayCallbackSchema>

/** A refused callback body; `issues` fit the 422 `validation_failed` details. */
export class ClayCallbackError extends Error {
  override name = 'ClayCallbackError'
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid Clay callback: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`)
  }
}

const emailSchema = z.email()

/**
 * The result a callback carries.
 * @param body the parsed JSON body
 * @param expectedCorrelationId when given (the route's path parameter), the body's must match
 * @returns `{correlationId, email}`: email trimmed and lower-cased, or null when absent/empty
 * @throws ClayCallbackError for unknown keys, a malformed email, a correlation ID mismatch,
 *   or `email_status: 'found'` without an email
 */
export function parseClayCallback(
  body: unknown,
  expectedCorrelationId?: string,
): { correlationId: string; email: string | null } {
  const r = clayCallbackSchema.safeParse(body)
  if (!r.success) {
    throw new ClayCallbackError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })))
  }
  const { correlation_id: correlationId, email_status: status } = r.data
  if (expectedCorrelationId !== undefined && correlationId !== expectedCorrelationId) {
    throw new ClayCallbackError([{ path: 'correlation_id', message: 'does not match the callback URL' }])
  }
  const raw = (r.data.email ?? '').trim().toLowerCase()
  if (raw === '') {
    if (status === 'found') throw new ClayCallbackError([{ path: 'email', message: 'found but empty' }])
    return { correlationId, email: null }
  }
  if (!emailSchema.safeParse(raw).success) {
    throw new ClayCallbackError([{ path: 'email', message: 'not a valid email address' }])
  }
  if (status === 'not_found') {
    throw new ClayCallbackError([{ path: 'email_status', message: 'not_found with an email' }])
  }
  return { correlationId, email: raw }
}

/** The callback token key: an HKDF derivative of the installation's secret key (`SECRETS_KEY`). */
export function deriveCallbackKey(secretKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secretKey, Buffer.alloc(0), 'traffoflex outreach clay callback v1', 32),
  )
}
