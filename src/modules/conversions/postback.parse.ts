/**
 * Inbound postback parsing (pure): request → flat fields → {@link NormalizedPostback},
 * following the network's template preset, parameter overrides and status map.
 *
 * Fields: the query string and the body (JSON object or form) are merged into one map of
 * strings; a body value wins over a query value of the same name; only the first value of
 * a repeated parameter counts; nested JSON values are ignored; numbers and booleans become
 * their string form.
 */
import {
  type ConversionStatus,
  NETWORK_PARAM,
  type NormalizedPostback,
  SUB_KEYS,
  type SubKey,
} from './conversions.core.ts'
import type { PostbackParams, PostbackTemplate, StatusMap } from './conversions.schema.ts'

/** A network's postback settings, as stored on `affiliate_networks`. */
export interface PostbackSettings {
  template: PostbackTemplate
  /** Overrides of the preset's parameter names (all of them for `custom`). */
  params: PostbackParams
  /** Extra status names (case-insensitive keys). */
  statusMap: StatusMap
  /** Status used when the postback carries none. */
  defaultStatus: ConversionStatus
}

/** Resolved parameter names of one network. `transaction_id`/`status`/`currency` may be absent. */
export interface EffectiveParams {
  click_id: string
  transaction_id?: string
  payout?: string
  status?: string
  currency?: string
  subs: Partial<Record<SubKey, string>>
}

/** Parameter names of each preset (see README for example URLs). `custom` has none. */
export const TEMPLATE_PRESETS: Readonly<Record<PostbackTemplate, Omit<EffectiveParams, 'subs'> | null>> = {
  subid_tid_payout_status: {
    click_id: 'subid',
    transaction_id: 'tid',
    payout: 'payout',
    status: 'status',
    currency: 'currency',
  },
  // Status defaults to the network's default status (sale unless configured).
  cid_txid_payout: { click_id: 'cid', transaction_id: 'txid', payout: 'payout', currency: 'currency' },
  cnv_id_payout_cnv_status: {
    click_id: 'cnv_id',
    transaction_id: 'txid',
    payout: 'payout',
    status: 'cnv_status',
    currency: 'currency',
  },
  custom: null,
}

/**
 * Built-in status names, matched case-insensitively; a network's `status_map` extends and
 * overrides them. Numeric codes are network-specific and therefore never built in.
 */
export const DEFAULT_STATUS_MAP: Readonly<Record<string, ConversionStatus>> = {
  lead: 'lead',
  pending: 'lead',
  hold: 'lead',
  on_hold: 'lead',
  sale: 'sale',
  approved: 'sale',
  approve: 'sale',
  confirmed: 'sale',
  paid: 'sale',
  rejected: 'rejected',
  reject: 'rejected',
  declined: 'rejected',
  decline: 'rejected',
  canceled: 'rejected',
  cancelled: 'rejected',
  trash: 'rejected',
  fraud: 'rejected',
  chargeback: 'rejected',
  refund: 'rejected',
  reversed: 'rejected',
  rebill: 'rebill',
  recurring: 'rebill',
}

/** Largest accepted payout, in currency units (anything above is refused as absurd). */
export const MAX_PAYOUT_UNITS = 1_000_000
/** Max length of a click ID or transaction ID value. */
export const MAX_ID_LENGTH = 200
/** Max length of a sub value taken from a postback. */
export const MAX_SUB_LENGTH = 500
const MAX_FIELDS = 100
const MAX_FIELD_LENGTH = 2000

/**
 * Effective parameter names: the preset's, overridden by `params`.
 * @returns undefined when no click ID parameter is known (a `custom` template without `click_id`).
 */
export function effectiveParams(
  settings: Pick<PostbackSettings, 'template' | 'params'>,
): EffectiveParams | undefined {
  const preset = TEMPLATE_PRESETS[settings.template]
  const p = settings.params ?? {}
  const clickId = p.click_id ?? preset?.click_id
  if (!clickId) return undefined
  const out: EffectiveParams = { click_id: clickId, subs: { ...(p.subs ?? {}) } }
  const tid = p.transaction_id ?? preset?.transaction_id
  const payout = p.payout ?? preset?.payout
  const status = p.status ?? preset?.status
  const currency = p.currency ?? preset?.currency
  if (tid) out.transaction_id = tid
  if (payout) out.payout = payout
  if (status) out.status = status
  if (currency) out.currency = currency
  return out
}

/**
 * Example postback URL for a network: our parameter names with `{…}` placeholders the
 * operator replaces by the network's own macros (e.g. `{clickid}`, `#s2#`). Pure (the admin
 * UI previews the URL with it while the settings are edited).
 */
export function postbackUrlFor(
  publicUrl: string,
  networkId: string,
  settings: Pick<PostbackSettings, 'template' | 'params'>,
  hasSecret: boolean,
): string {
  const p = effectiveParams(settings)
  const parts = [`${NETWORK_PARAM}=${networkId}`]
  if (hasSecret) parts.push('secret={secret}')
  if (p) {
    parts.push(`${p.click_id}={click_id}`)
    if (p.transaction_id) parts.push(`${p.transaction_id}={transaction_id}`)
    if (p.payout) parts.push(`${p.payout}={payout}`)
    if (p.status) parts.push(`${p.status}={status}`)
    for (const [k, v] of Object.entries(p.subs)) if (v) parts.push(`${v}={${k}}`)
  }
  return `${publicUrl.replace(/\/$/, '')}/postback?${parts.join('&')}`
}

/** What stands in for the secret in {@link postbackUrlFor}'s URL. */
export const SECRET_PLACEHOLDER = '{secret}'

/**
 * The postback URL to give the network: {@link postbackUrlFor}'s URL with the network's
 * real secret (URL-encoded) in place of `secret={secret}`, so only the network's own macros
 * are left as `{…}` — pasted as is, it passes the secret check. `secret` null or empty
 * (the caller may not read it, or the network has none) leaves the URL unchanged. Pure
 * (the admin UI's copy button uses it).
 * @param url a URL from {@link postbackUrlFor}.
 */
export function postbackUrlWithSecret(url: string, secret: string | null | undefined): string {
  if (!secret) return url
  return url.replace(/([?&]secret=)\{secret\}/, (_m, head: string) => `${head}${encodeURIComponent(secret)}`)
}

/** Result of {@link parsePayoutMicros}. */
export type PayoutParse = { ok: true; micros: number } | { ok: false; reason: string }

/**
 * Parses a payout in currency units into integer micros.
 * Accepts a finite non-negative number, or a decimal string `123`, `123.45` (dot only, no
 * sign, no exponent, no thousands separator); digits past the 6th decimal are rounded half
 * up. Refuses NaN, negatives and amounts above {@link MAX_PAYOUT_UNITS} (1e6 units).
 * Strings are parsed digit by digit, so "0.1" is exactly 100,000 micros (no float error).
 */
export function parsePayoutMicros(raw: string | number): PayoutParse {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, reason: `payout ${raw} is not a number` }
    if (raw < 0) return { ok: false, reason: `payout ${raw} is negative` }
    if (raw > MAX_PAYOUT_UNITS) return { ok: false, reason: `payout ${raw} is above ${MAX_PAYOUT_UNITS}` }
    return { ok: true, micros: Math.round(raw * 1e6) }
  }
  const s = raw.trim()
  const m = /^(\d{1,16})(?:\.(\d{1,30}))?$/.exec(s)
  if (!m) {
    if (/^-\s*\d/.test(s)) return { ok: false, reason: `payout ${JSON.stringify(raw)} is negative` }
    return { ok: false, reason: `payout ${JSON.stringify(raw.slice(0, 40))} is not a decimal number` }
  }
  const int = Number(m[1])
  if (int > MAX_PAYOUT_UNITS) return { ok: false, reason: `payout ${s} is above ${MAX_PAYOUT_UNITS}` }
  const frac = (m[2] ?? '').padEnd(7, '0')
  const micros = int * 1e6 + Number(frac.slice(0, 6)) + (Number(frac[6]) >= 5 ? 1 : 0)
  if (micros > MAX_PAYOUT_UNITS * 1e6)
    return { ok: false, reason: `payout ${s} is above ${MAX_PAYOUT_UNITS}` }
  return { ok: true, micros }
}

/**
 * Maps a received status value to ours: the network's map first, then the built-in names,
 * both case-insensitive after trimming. Undefined when unknown.
 */
export function mapStatus(raw: string, statusMap: StatusMap = {}): ConversionStatus | undefined {
  const key = raw.trim().toLowerCase()
  if (key === '') return undefined
  for (const [k, v] of Object.entries(statusMap)) if (k.trim().toLowerCase() === key) return v
  return Object.hasOwn(DEFAULT_STATUS_MAP, key) ? DEFAULT_STATUS_MAP[key] : undefined
}

/** Result of {@link parsePostback}; on failure the click/transaction IDs found so far, for the log. */
export type PostbackParse =
  | { ok: true; postback: NormalizedPostback }
  | {
      ok: false
      outcome: 'malformed' | 'bad_status'
      reason: string
      clickId: string
      transactionId: string
    }

/**
 * Reads one postback from its fields with the network's settings.
 * Failures: `malformed` for a missing click ID parameter, an over-long ID, a bad payout or
 * currency; `bad_status` for a status value that maps to nothing (fix the status map and
 * the network's retry succeeds). The click ID's *format* is checked by the caller.
 */
export function parsePostback(
  fields: Readonly<Record<string, string>>,
  settings: PostbackSettings,
): PostbackParse {
  const params = effectiveParams(settings)
  const get = (name: string | undefined) => (name && Object.hasOwn(fields, name) ? fields[name]!.trim() : '')
  const fail = (outcome: 'malformed' | 'bad_status', reason: string, clickId = '', transactionId = '') =>
    ({ ok: false, outcome, reason, clickId, transactionId }) as const
  if (!params)
    return fail('malformed', 'custom template without a click ID parameter (configure params.click_id)')

  const clickId = get(params.click_id)
  const transactionId = get(params.transaction_id)
  const ids = [clickId.slice(0, MAX_ID_LENGTH), transactionId.slice(0, MAX_ID_LENGTH)] as const
  if (clickId === '') return fail('malformed', `missing click ID parameter "${params.click_id}"`, ...ids)
  if (clickId.length > MAX_ID_LENGTH)
    return fail('malformed', `click ID longer than ${MAX_ID_LENGTH}`, ...ids)
  if (transactionId.length > MAX_ID_LENGTH)
    return fail('malformed', `transaction ID longer than ${MAX_ID_LENGTH}`, ...ids)

  const rawStatus = get(params.status)
  let status: ConversionStatus
  if (rawStatus === '') status = settings.defaultStatus
  else {
    const mapped = mapStatus(rawStatus, settings.statusMap)
    if (!mapped) return fail('bad_status', `unknown status ${JSON.stringify(rawStatus.slice(0, 64))}`, ...ids)
    status = mapped
  }

  let payoutMicros: number | undefined
  const rawPayout = get(params.payout)
  if (rawPayout !== '') {
    const p = parsePayoutMicros(rawPayout)
    if (!p.ok) return fail('malformed', p.reason, ...ids)
    payoutMicros = p.micros
  }

  let currency: string | undefined
  const rawCurrency = get(params.currency)
  if (rawCurrency !== '') {
    const c = rawCurrency.toUpperCase()
    if (!/^[A-Z]{3}$/.test(c))
      return fail(
        'malformed',
        `currency ${JSON.stringify(rawCurrency.slice(0, 16))} is not an ISO 4217 code`,
        ...ids,
      )
    currency = c
  }

  const subs: Partial<Record<SubKey, string>> = {}
  for (const k of SUB_KEYS) {
    const v = get(params.subs[k])
    if (v !== '') subs[k] = v.slice(0, MAX_SUB_LENGTH)
  }
  return { ok: true, postback: { clickId, transactionId, status, rawStatus, payoutMicros, currency, subs } }
}

/**
 * Result of {@link postbackFields}. On failure, `fields` are the ones that could be read
 * (the query's when the body is unreadable; never a value that failed the text check), so
 * the network and the IDs can still be named in the log.
 */
export type FieldsParse =
  | { ok: true; fields: Record<string, string> }
  | { ok: false; reason: string; fields: Record<string, string> }

/**
 * NUL, or an unpaired UTF-16 surrogate: not storable as PostgreSQL text (the admin API
 * refuses the same at its boundary, see src/platform/http/input.ts).
 */
const UNSAFE_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

interface FieldsAcc {
  n: number
  /** The first field that failed the text check, as a reason. */
  unsafe?: string
}

function addField(out: Record<string, string>, acc: FieldsAcc, k: string, v: string, override: boolean) {
  if (UNSAFE_TEXT.test(k) || UNSAFE_TEXT.test(v)) {
    const what = UNSAFE_TEXT.exec(`${k}${v}`)![0] === '\0' ? 'a NUL character' : 'an unpaired surrogate'
    acc.unsafe ??= `parameter ${JSON.stringify(k.slice(0, 64))} contains ${what}`
    return
  }
  if (acc.n >= MAX_FIELDS) return
  if (!override && Object.hasOwn(out, k)) return
  if (!Object.hasOwn(out, k)) acc.n++
  out[k] = v.length > MAX_FIELD_LENGTH ? v.slice(0, MAX_FIELD_LENGTH) : v
}

/**
 * Merges a request's query string and body into flat fields (a null-prototype object, so
 * a `__proto__` parameter is just a name).
 * @param rawQuery the query string without `?` ('' for none).
 * @param body the raw body text (undefined or '' for none).
 * @param contentType the request's Content-Type (JSON when it says json or the body starts
 *   with `{`; form otherwise).
 * @returns `ok: false` with a reason for a body that is not a JSON object or not parsable,
 *   and for a parameter name or value with a NUL or an unpaired surrogate (malformed).
 */
export function postbackFields(
  rawQuery: string,
  body: string | undefined,
  contentType: string | undefined,
): FieldsParse {
  const out: Record<string, string> = Object.create(null)
  const acc: FieldsAcc = { n: 0 }
  const done = (): FieldsParse =>
    acc.unsafe === undefined ? { ok: true, fields: out } : { ok: false, reason: acc.unsafe, fields: out }
  for (const [k, v] of new URLSearchParams(rawQuery)) addField(out, acc, k, v, false)
  const text = body?.trim() ?? ''
  if (text === '') return done()
  if (UNSAFE_TEXT.test(text)) {
    acc.unsafe ??=
      UNSAFE_TEXT.exec(text)![0] === '\0'
        ? 'body contains a NUL character'
        : 'body contains an unpaired surrogate'
    return done()
  }
  const ct = (contentType ?? '').toLowerCase()
  if (ct.includes('json') || (!ct.includes('form') && text.startsWith('{'))) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return { ok: false, reason: 'body is not valid JSON', fields: out }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return { ok: false, reason: 'JSON body must be an object', fields: out }
    const seen = new Set<string>()
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v === 'string') addField(out, acc, k, v, !seen.has(k))
      else if (typeof v === 'number' || typeof v === 'boolean') addField(out, acc, k, String(v), !seen.has(k))
      seen.add(k)
    }
    return done()
  }
  const seen = new Set<string>()
  for (const [k, v] of new URLSearchParams(text)) {
    addField(out, acc, k, v, !seen.has(k))
    seen.add(k)
  }
  return done()
}
