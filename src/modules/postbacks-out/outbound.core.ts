/**
 * Pure rules of outbound postbacks: the retry schedule, how a delivery attempt's result is
 * classified, the URL macros and their values, and URL redaction for logs. No I/O, no clock.
 *
 * Units: delays and offsets in milliseconds; money in integer micros (millionths of a
 * currency unit) in, decimal currency units out (`{payout}`).
 */
import { type CompiledUrlTemplate, compileUrlTemplateWith, renderCompiledUrl } from '../routing/index.ts'

// ---------------------------------------------------------------------------------------
// retry schedule

/** When attempts happen. */
export interface RetryPolicy {
  /** Attempts per round, the first included (≥ 1). */
  maxAttempts: number
  /** Delay after the first failed attempt, ms. */
  baseDelayMs: number
  /** Each further delay is the previous × factor (≥ 1). */
  factor: number
  /** No single delay is longer than this, ms. */
  maxDelayMs: number
  /** The last attempt happens at most this long after the first, ms (its delay is shortened to fit). */
  windowMs: number
}

/**
 * The production schedule: 12 attempts, the delay doubling from 1 minute, the last attempt
 * 24 h after the first. Offsets from the first attempt (minutes):
 * 0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1440.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 12,
  baseDelayMs: 60_000,
  factor: 2,
  maxDelayMs: 12 * 3_600_000,
  windowMs: 24 * 3_600_000,
}

/**
 * Delay between attempt `attempt` (1-based, just failed) and the next one, ms; undefined
 * when `attempt` was the last of the round (→ dead).
 *
 * delay(n) = round(min(baseDelayMs × factor^(n−1), maxDelayMs)) ms, then shortened so the next
 * attempt's offset from the first does not pass `windowMs`. A delay that would come out
 * ≤ 0 (the window is used up) also ends the round.
 */
export function delayAfterAttempt(policy: RetryPolicy, attempt: number): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt >= policy.maxAttempts) return undefined
  const offsets = retryOffsets(policy)
  const next = offsets[attempt]
  const prev = offsets[attempt - 1]
  return next === undefined || prev === undefined ? undefined : next - prev
}

/**
 * Offsets of every attempt of a round from the first one, ms (`[0, …]`). Ends early when
 * the window is used up.
 */
export function retryOffsets(policy: RetryPolicy): number[] {
  const out = [0]
  let at = 0
  for (let n = 1; n < policy.maxAttempts; n++) {
    const raw = Math.round(Math.min(policy.baseDelayMs * policy.factor ** (n - 1), policy.maxDelayMs))
    const next = Math.min(at + raw, policy.windowMs)
    if (!(next > at)) break
    out.push(next)
    at = next
  }
  return out
}

// ---------------------------------------------------------------------------------------
// classification

/** What a delivery attempt leads to. */
export type AttemptVerdict =
  /** 2xx: done. */
  | 'delivered'
  /** Worth another attempt later (timeouts, connection errors, 5xx, 408, 425, 429). */
  | 'retry'
  /** The target refused the request itself; the same URL will not work later (other 4xx, too many redirects, blocked, invalid URL). */
  | 'failed'

/**
 * Classifies an HTTP status.
 *
 * - 2xx → `delivered`;
 * - 408 Request Timeout, 425 Too Early, 429 Too Many Requests, 5xx → `retry`;
 * - any other 4xx → `failed`: the request itself is wrong (bad token, unknown path, bad
 *   parameters) and the identical URL will be refused again; a manual retry after fixing the
 *   source's template re-renders it;
 * - 3xx (only when redirects are exhausted or `Location` is missing) → `failed`;
 * - anything else (1xx, out of range) → `retry`.
 */
export function classifyStatus(status: number): AttemptVerdict {
  if (status >= 200 && status <= 299) return 'delivered'
  if (status === 408 || status === 425 || status === 429) return 'retry'
  if (status >= 500 && status <= 599) return 'retry'
  if (status >= 300 && status <= 499) return 'failed'
  return 'retry'
}

/** Why an attempt produced no usable response. */
export type FailureKind =
  /** The SSRF guard refused the target (private address or non-http scheme). */
  | 'blocked'
  /** The URL could not be parsed. */
  | 'invalid_url'
  /** The deadline passed. */
  | 'timeout'
  /** DNS, connect, reset, TLS and other network errors. */
  | 'network'

/**
 * Classifies an attempt that got no response: `blocked` and `invalid_url` are `failed`
 * (configuration problems: fix the source or `OUTBOUND_ALLOW_PRIVATE`, then retry
 * manually); `timeout` and `network` are `retry`.
 */
export function classifyFailure(kind: FailureKind): AttemptVerdict {
  return kind === 'blocked' || kind === 'invalid_url' ? 'failed' : 'retry'
}

/**
 * The state after an attempt of a round: `delivered`, `failed`, `dead` (a retryable
 * failure on the round's last attempt), or `pending` with the delay until the next attempt.
 */
export function nextState(
  policy: RetryPolicy,
  attempt: number,
  verdict: AttemptVerdict,
): { state: 'delivered' | 'failed' | 'dead' } | { state: 'pending'; delayMs: number } {
  if (verdict === 'delivered') return { state: 'delivered' }
  if (verdict === 'failed') return { state: 'failed' }
  const delayMs = delayAfterAttempt(policy, attempt)
  return delayMs === undefined ? { state: 'dead' } : { state: 'pending', delayMs }
}

// ---------------------------------------------------------------------------------------
// macros

/** Macros of a traffic source's postback URL template. */
export const OUTBOUND_MACROS = [
  'external_id',
  'click_id',
  'campaign_id',
  'conversion_id',
  'transaction_id',
  'status',
  'payout',
  'revenue',
  'currency',
  'stream_id',
  'destination_id',
  'country',
  'device',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
] as const

/** A macro name of {@link OUTBOUND_MACROS}. */
export type OutboundMacro = (typeof OUTBOUND_MACROS)[number]

/** Raw (unencoded) macro values. */
export type OutboundMacroValues = Partial<Record<OutboundMacro, string>>

/** The conversion change an outbound postback reports, as the macros need it. Money in micros. */
export interface OutboundChange {
  conversionId: string
  clickId: string
  /** The source's click ID captured at the click (`{external_id}`). */
  externalId: string
  transactionId: string
  campaignId: string
  streamId: string
  destinationId: string
  country: string
  device: string
  /** Status after the change. */
  status: string
  /** Payout on record after the change, micros (kept on a rejection). */
  payoutMicros: number
  /** Revenue counted after the change, micros (0 when rejected). */
  revenueMicros: number
  currency: string
  subs: Partial<Record<`sub${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`, string>>
}

/**
 * Micros → decimal currency units without trailing zeros: 12_500_000 → "12.5",
 * 1 → "0.000001", 0 → "0". Integers only (exact; no floating point).
 */
export function formatMicros(micros: number): string {
  if (!Number.isSafeInteger(micros)) return '0'
  const neg = micros < 0
  const abs = BigInt(Math.abs(micros))
  const units = abs / 1_000_000n
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${units}${frac ? `.${frac}` : ''}`
}

/** The raw macro values of a change (`{payout}`/`{revenue}` in currency units). */
export function outboundMacroValues(c: OutboundChange): Record<OutboundMacro, string> {
  return {
    external_id: c.externalId,
    click_id: c.clickId,
    campaign_id: c.campaignId,
    conversion_id: c.conversionId,
    transaction_id: c.transactionId,
    status: c.status,
    payout: formatMicros(c.payoutMicros),
    revenue: formatMicros(c.revenueMicros),
    currency: c.currency,
    stream_id: c.streamId,
    destination_id: c.destinationId,
    country: c.country,
    device: c.device,
    sub1: c.subs.sub1 ?? '',
    sub2: c.subs.sub2 ?? '',
    sub3: c.subs.sub3 ?? '',
    sub4: c.subs.sub4 ?? '',
    sub5: c.subs.sub5 ?? '',
    sub6: c.subs.sub6 ?? '',
    sub7: c.subs.sub7 ?? '',
    sub8: c.subs.sub8 ?? '',
    sub9: c.subs.sub9 ?? '',
    sub10: c.subs.sub10 ?? '',
  }
}

/** Compiles a source's template with the outbound macros (routing's safe URL templates). */
export function compileOutboundTemplate(template: string): CompiledUrlTemplate<OutboundMacro> {
  return compileUrlTemplateWith(template, OUTBOUND_MACROS)
}

function lookupValue(name: OutboundMacro, values: OutboundMacroValues): string | undefined {
  return Object.hasOwn(values, name) ? values[name] : undefined
}

/**
 * Renders a source's postback URL: values are percent-encoded (encodeURIComponent) and sit
 * after the template's literal `scheme://host`, so no value can change the scheme, host or
 * port; a macro written inside the host is dropped; unknown `{names}` render as "".
 * @returns the URL, or "" when the template is not an absolute http(s) URL with a literal host.
 */
export function renderOutboundUrl(template: string, values: OutboundMacroValues): string {
  return renderCompiledUrl(compileOutboundTemplate(template), lookupValue, values)
}

// ---------------------------------------------------------------------------------------
// redaction

/** Query parameter names whose values are hidden in logs and API answers (case-insensitive substrings). */
export const SECRET_PARAM_PATTERN = /secret|token|key|pass|auth|sig|hash|api/i

/**
 * A URL fit for logs: the password of `user:password@` and the values of query parameters
 * whose name looks secret ({@link SECRET_PARAM_PATTERN}) become `***`. The rest is kept
 * byte for byte (no re-encoding). A string that is not a URL is returned as `<invalid url>`.
 */
export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return '<invalid url>'
  }
  const auth = u.password ? `${u.username}:***@` : u.username ? `${u.username}@` : ''
  const q = u.search.length > 1 ? u.search.slice(1) : ''
  const query = q
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq < 0) return pair
      let name = pair.slice(0, eq)
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '))
      } catch {
        // keep the raw name
      }
      return SECRET_PARAM_PATTERN.test(name) ? `${pair.slice(0, eq)}=***` : pair
    })
    .join('&')
  return `${u.protocol}//${auth}${u.host}${u.pathname}${query ? `?${query}` : ''}`
}
