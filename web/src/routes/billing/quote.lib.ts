/**
 * The "Buy credits" calculator's pure parts: reading the typed amount (major units, ≤ 2
 * decimals, as `GET /billing/quote?amount=` and `POST /billing/orders {amount}` take it), the
 * tier that applies, the tier table's ranges, and the debounce delay of the quote request.
 */
import type { QuoteTier } from '@/hooks/api/billing'

/** Wait this long after the last keystroke before asking for a quote (ms). */
export const QUOTE_DEBOUNCE_MS = 400

/** Result of {@link parseAmount}: a valid amount, or why not (`error: null` = nothing typed). */
export type AmountCheck = { ok: true; amount: number } | { ok: false; error: string | null }

/** Known bounds of an amount, major units (from a previous quote's `min_amount`/`max_amount`). */
export interface AmountLimits {
  min?: number | undefined
  max?: number | undefined
}

/**
 * Reads a typed amount in major units: digits with an optional `.` or `,` decimal separator
 * and at most 2 decimals ("500", "129.9", "129,90"); spaces and a leading currency sign are
 * ignored. Must be > 0 and within `limits`.
 *
 * The messages match what the API would answer (400 for ≤ 0, more than 2 decimals, above the
 * maximum), so the field says it before a request is made.
 */
export function parseAmount(
  input: string,
  limits: AmountLimits = {},
  fmt: (n: number) => string = String,
): AmountCheck {
  const s = input.replace(/[\s€$£]/g, '')
  if (s === '') return { ok: false, error: null }
  if (!/^\d+([.,]\d*)?$/.test(s)) return { ok: false, error: 'Enter an amount like 500 or 129.90' }
  const [, decimals = ''] = s.split(/[.,]/)
  if (decimals.length > 2) return { ok: false, error: 'Use at most 2 decimals' }
  const amount = Number(s.replace(',', '.'))
  if (!Number.isFinite(amount) || amount <= 0) return { ok: false, error: 'Enter an amount above 0' }
  if (limits.min !== undefined && amount < limits.min)
    return { ok: false, error: `The minimum is ${fmt(limits.min)}` }
  if (limits.max !== undefined && amount > limits.max)
    return { ok: false, error: `The maximum is ${fmt(limits.max)}` }
  return { ok: true, amount }
}

/**
 * Index of the tier that applies to `amount`: the last tier whose `from` ≤ amount (tiers
 * sorted by `from` ascending, as the API sends them); -1 when none does or no amount.
 */
export function tierIndexFor(tiers: readonly QuoteTier[], amount: number | null): number {
  if (amount === null || !Number.isFinite(amount)) return -1
  let found = -1
  for (let i = 0; i < tiers.length; i++) if (tiers[i]!.from <= amount) found = i
  return found
}

/** A tier with the end of its range: `to` is the next tier's `from` (exclusive), null for the last. */
export interface TierRange extends QuoteTier {
  to: number | null
}

/** The tiers with their ranges, for the tier table. */
export function tierRanges(tiers: readonly QuoteTier[]): TierRange[] {
  const sorted = [...tiers].sort((a, b) => a.from - b.from)
  return sorted.map((t, i) => ({ ...t, to: sorted[i + 1]?.from ?? null }))
}
