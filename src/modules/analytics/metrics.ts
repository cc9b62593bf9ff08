/**
 * Report metrics: the sums a report query returns per group, and the derived figures
 * (revenue, cost, profit, CR, ROI, EPC) computed from them in one place. Pure.
 *
 * Definitions (the usual tracker ones — Keitaro, Binom, RedTrack, Voluum; see REPORTS.md):
 * - clicks: routed clicks, bots included; unique_clicks: clicks the router flagged unique
 *   for their campaign's window; bots: clicks flagged as bots (a subset of clicks);
 * - conversions: conversions created (sum of `conversions_delta`);
 * - leads / sales / rejected / rebills: conversions whose status moved into minus out of
 *   that status (sum of (status = S) − (previous_status = S)); over all time that is the
 *   number currently in S; over a period by conversion time it is the net change;
 * - revenue = Σ revenue deltas (so a rejected conversion stops counting);
 *   cost = Σ click cost; profit = revenue − cost;
 * - CR = conversions / clicks × 100 (percent; null without clicks);
 * - ROI = profit / cost × 100 (percent; null when cost is 0);
 * - EPC = revenue / clicks (currency units per click; null without clicks).
 *
 * Money is summed in integer micros (millionths of a currency unit) and reported in
 * currency units as numbers with at most 6 decimals (exact: micros / 1e6).
 */

/** Raw sums of one group, as integers (micros for money). */
export interface MetricSums {
  clicks: number
  unique_clicks: number
  bots: number
  /** Σ click cost, micros. */
  cost_micros: number
  conversions: number
  leads: number
  sales: number
  rejected: number
  rebills: number
  /** Σ revenue deltas, micros. */
  revenue_micros: number
}

/** The metrics of one report group, as returned by the API. */
export interface ReportMetrics {
  clicks: number
  unique_clicks: number
  bots: number
  conversions: number
  leads: number
  sales: number
  rejected: number
  rebills: number
  /** Revenue in currency units (≤ 6 decimals). */
  revenue: number
  /** Cost in currency units (≤ 6 decimals). */
  cost: number
  /** revenue − cost, currency units (≤ 6 decimals). */
  profit: number
  /** conversions / clicks × 100, percent rounded to 4 decimals; null when clicks = 0. */
  cr: number | null
  /** profit / cost × 100, percent rounded to 4 decimals; null when cost = 0. */
  roi: number | null
  /** revenue / clicks, currency units rounded to 6 decimals; null when clicks = 0. */
  epc: number | null
}

/** Names of {@link MetricSums}, in the column order report queries select them. */
export const SUM_COLUMNS = [
  'clicks',
  'unique_clicks',
  'bots',
  'cost_micros',
  'conversions',
  'leads',
  'sales',
  'rejected',
  'rebills',
  'revenue_micros',
] as const satisfies readonly (keyof MetricSums)[]

/** Names of {@link ReportMetrics} in output (and CSV column) order. */
export const METRIC_COLUMNS = [
  'clicks',
  'unique_clicks',
  'bots',
  'conversions',
  'leads',
  'sales',
  'rejected',
  'rebills',
  'revenue',
  'cost',
  'profit',
  'cr',
  'roi',
  'epc',
] as const satisfies readonly (keyof ReportMetrics)[]

/** All-zero sums. */
export function emptySums(): MetricSums {
  return {
    clicks: 0,
    unique_clicks: 0,
    bots: 0,
    cost_micros: 0,
    conversions: 0,
    leads: 0,
    sales: 0,
    rejected: 0,
    rebills: 0,
    revenue_micros: 0,
  }
}

/** Reads the {@link SUM_COLUMNS} of a ClickHouse JSON row (Int64 arrives as a string). */
export function sumsOf(row: Record<string, unknown>): MetricSums {
  const out = emptySums()
  for (const k of SUM_COLUMNS) out[k] = Number(row[k] ?? 0)
  return out
}

const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals
  // +0 turns -0 into 0 so JSON never shows "-0".
  return Math.round(v * f) / f + 0
}

/** Micros → currency units (exact to the micro). */
export const microsToUnits = (micros: number): number => round(micros / 1e6, 6)

/** Derives the reported metrics from a group's sums (formulas in the file comment). */
export function finalizeMetrics(s: MetricSums): ReportMetrics {
  const profitMicros = s.revenue_micros - s.cost_micros
  return {
    clicks: s.clicks,
    unique_clicks: s.unique_clicks,
    bots: s.bots,
    conversions: s.conversions,
    leads: s.leads,
    sales: s.sales,
    rejected: s.rejected,
    rebills: s.rebills,
    revenue: microsToUnits(s.revenue_micros),
    cost: microsToUnits(s.cost_micros),
    profit: microsToUnits(profitMicros),
    cr: s.clicks === 0 ? null : round((s.conversions / s.clicks) * 100, 4),
    roi: s.cost_micros === 0 ? null : round((profitMicros / s.cost_micros) * 100, 4),
    epc: s.clicks === 0 ? null : round(s.revenue_micros / s.clicks / 1e6, 6),
  }
}
