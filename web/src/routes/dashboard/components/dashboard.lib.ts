/**
 * Pure decisions of the dashboard: the currency money is printed in, and the hourly chart's
 * buckets (none drawn after now).
 */

/** The currency when nothing says otherwise. */
export const DEFAULT_CURRENCY = 'USD'

/**
 * The currency of the dashboard's money figures: the conversions' one currency in the
 * range; before the first conversion, the one currency the workspace's click costs are in
 * (its traffic sources' `currency`, of those that charge); with neither, USD. Undefined
 * when the figures mix currencies (several for the conversions, or several sources' with
 * no conversion): money then prints as plain numbers, no sign that would be wrong.
 * @param conversionCurrencies `currencies` of `GET /reports/overview` (range, then the
 *   comparison period), undefined while loading.
 * @param sources the workspace's traffic sources (`cost_model`, `currency`), undefined while loading.
 */
export function dashboardCurrency(
  conversionCurrencies: readonly (readonly string[] | undefined)[],
  sources: readonly { cost_model?: string | undefined; currency?: string | undefined }[] | undefined,
): string | undefined {
  for (const list of conversionCurrencies) {
    if (!list || list.length === 0) continue
    return list.length === 1 ? list[0] : undefined
  }
  const costs = new Set(
    (sources ?? [])
      .filter((s) => s.cost_model !== 'none' && s.currency && /^[A-Z]{3}$/.test(s.currency))
      .map((s) => s.currency!),
  )
  if (costs.size === 1) return [...costs][0]
  if (costs.size > 1) return undefined
  return DEFAULT_CURRENCY
}

/** What the chart reads of a bucket. */
export interface ChartBucket {
  /** Bucket start, ISO UTC. */
  start: string
  clicks: number
  conversions: number
  revenue: number
  cost: number
  profit: number
}

/** A bucket as drawn: figures null for a bucket that has not started (nothing drawn there). */
export type ChartRow<T extends ChartBucket> = Omit<
  T,
  'clicks' | 'conversions' | 'revenue' | 'cost' | 'profit'
> & {
  clicks: number | null
  conversions: number | null
  revenue: number | null
  cost: number | null
  profit: number | null
  /** True for a bucket after now (kept so the axis spans the whole range). */
  future: boolean
}

/**
 * The chart's rows: every bucket (the axis spans the whole range), with the figures of the
 * buckets that start after `nowMs` (epoch ms) set to null — hours still to come are not
 * drawn as zeros, the bars and lines stop at the current hour.
 */
export function chartRows<T extends ChartBucket>(buckets: readonly T[], nowMs: number): ChartRow<T>[] {
  return buckets.map((b) => {
    const future = Date.parse(b.start) > nowMs
    if (!future) return { ...b, future }
    return { ...b, clicks: null, conversions: null, revenue: null, cost: null, profit: null, future }
  })
}
