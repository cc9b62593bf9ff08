/**
 * The price-quote curve (module README "Price quote"): euros per 1,000 visits by the amount paid,
 * volume pricing — the whole amount at the rate of the tier it falls in. Pure, integer
 * arithmetic only: amounts in minor units (cents), rates in minor units per 1,000 visits,
 * so `visits = floor(amount_minor × 1000 / rate_minor)` has no float error.
 *
 * The operator may replace the curve (`BILLING_PRICE_TIERS`, parsed in src/config.ts into
 * the same {@link PriceTier} shape); a gap between tiers (e.g. €398.50 with tiers at 129 and
 * 399) belongs to the lower tier, because a tier runs from its `from` up to the next one.
 */

/** One tier: from `fromMinor` (inclusive, cents) up to the next tier's `fromMinor`. */
export interface PriceTier {
  /** Lower bound of the tier in minor units (cents), inclusive. The first tier starts at 0. */
  fromMinor: number
  /** Price of 1,000 visits in minor units (58 = €0.58), an integer ≥ 1. */
  rateMinorPer1000: number
}

/** The seed's curve: < €129 → 0.58; 129 → 0.43; 399 → 0.40; 999 → 0.33; 1,249 → 0.25; 2,999 → 0.20. */
export const DEFAULT_PRICE_TIERS: readonly PriceTier[] = [
  { fromMinor: 0, rateMinorPer1000: 58 },
  { fromMinor: 12_900, rateMinorPer1000: 43 },
  { fromMinor: 39_900, rateMinorPer1000: 40 },
  { fromMinor: 99_900, rateMinorPer1000: 33 },
  { fromMinor: 124_900, rateMinorPer1000: 25 },
  { fromMinor: 299_900, rateMinorPer1000: 20 },
]

/** A quote: the tier an amount falls in and the visits it buys. */
export interface Quote {
  amountMinor: number
  /** 0-based index of the tier. */
  tier: number
  rateMinorPer1000: number
  /** floor(amountMinor × 1000 / rateMinorPer1000). */
  visits: number
}

/**
 * Problems of a tier list (empty when valid): at least one tier, the first from 0, `from`
 * strictly increasing, integer amounts ≥ 0 and integer rates ≥ 1.
 */
export function tierProblems(tiers: readonly PriceTier[]): string[] {
  const out: string[] = []
  if (tiers.length === 0) return ['at least one tier is needed']
  if (tiers[0]!.fromMinor !== 0) out.push('the first tier must start at 0')
  tiers.forEach((t, i) => {
    if (!Number.isSafeInteger(t.fromMinor) || t.fromMinor < 0) out.push(`tier ${i}: bad lower bound`)
    if (!Number.isSafeInteger(t.rateMinorPer1000) || t.rateMinorPer1000 < 1)
      out.push(`tier ${i}: the rate must be at least 0.01`)
    if (i > 0 && t.fromMinor <= tiers[i - 1]!.fromMinor) out.push(`tier ${i}: lower bounds must increase`)
  })
  return out
}

/**
 * Quotes `amountMinor` (cents, integer ≥ 1) on `tiers` (valid per {@link tierProblems}).
 * @throws RangeError for a non-integer or non-positive amount (callers validate first).
 */
export function quote(amountMinor: number, tiers: readonly PriceTier[] = DEFAULT_PRICE_TIERS): Quote {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 1)
    throw new RangeError(`amount must be a positive integer of minor units, got ${amountMinor}`)
  let tier = 0
  for (let i = 1; i < tiers.length; i++) if (tiers[i]!.fromMinor <= amountMinor) tier = i
  const rate = tiers[tier]!.rateMinorPer1000
  // BigInt: exact whatever the amount (amount × 1000 may pass 2^53 for absurd amounts).
  const visits = Number((BigInt(amountMinor) * 1000n) / BigInt(rate))
  return { amountMinor, tier, rateMinorPer1000: rate, visits }
}

const DECIMAL = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/

/**
 * Parses a decimal amount in major units ("500", "398.5", "398.50") into minor units.
 * @returns the cents, or undefined when the text is not a plain non-negative decimal with at
 *   most two decimals (no sign, exponent, spaces or leading zeros).
 */
export function parseMajorAmount(text: string): number | undefined {
  const m = DECIMAL.exec(text)
  if (!m) return undefined
  const cents = (m[2] ?? '').padEnd(2, '0')
  const v = Number(m[1]) * 100 + Number(cents)
  return Number.isSafeInteger(v) ? v : undefined
}

/** Minor units → major units as a number (12345 → 123.45), for JSON answers. */
export function toMajor(minor: number): number {
  return Number((minor / 100).toFixed(2))
}
