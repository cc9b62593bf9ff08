/**
 * The live page's pure state: a moving per-second rate series from the SSE `visit_rate`
 * samples (summed over the shown projects) and the `hit` events (counted per second, the
 * fallback when no samples come), and the visits per country of the hits seen.
 */
import type { VisitorLiveEvent } from '@/hooks/api/live'

/** One second of the chart. `t` = epoch seconds (UTC). */
export interface RatePoint {
  t: number
  /** Σ `rate_per_s` of the samples of that second; null when none came. */
  rate: number | null
  /** Σ `target_per_s`; null when no sample came. */
  target: number | null
  /** Σ `errors` of the samples. */
  errors: number
  /** Hit events seen in that second. */
  hits: number
}

/** Seconds the chart shows. */
export const WINDOW_S = 120

const secondOf = (ts: string) => Math.floor(Date.parse(ts) / 1000)

/**
 * Folds a batch of events into the series: samples and hits of `projectId` (all projects
 * when undefined), one point per second, sorted, the last `window` seconds kept (counted
 * back from the newest point). Pure: returns a new array.
 */
export function foldRate(
  series: readonly RatePoint[],
  batch: readonly VisitorLiveEvent[],
  projectId: string | undefined,
  window = WINDOW_S,
): RatePoint[] {
  const byT = new Map(series.map((p) => [p.t, { ...p }]))
  for (const e of batch) {
    if (projectId && e.project_id !== projectId) continue
    const t = secondOf(e.ts)
    if (!Number.isFinite(t)) continue
    const p = byT.get(t) ?? { t, rate: null, target: null, errors: 0, hits: 0 }
    if (e.type === 'visit_rate') {
      p.rate = (p.rate ?? 0) + e.rate_per_s
      p.target = (p.target ?? 0) + e.target_per_s
      p.errors += e.errors
    } else {
      p.hits += 1
    }
    byT.set(t, p)
  }
  const sorted = [...byT.values()].sort((a, b) => a.t - b.t)
  const newest = sorted.at(-1)?.t
  return newest === undefined ? [] : sorted.filter((p) => p.t > newest - window)
}

/** Whether any point has `visit_rate` samples (else the chart plots hits per second). */
export const hasSamples = (series: readonly RatePoint[]) => series.some((p) => p.rate !== null)

/** Adds the hits of a batch (of `projectId`, or all) to visits per country ('' = unknown). */
export function foldCountries(
  counts: Readonly<Record<string, number>>,
  batch: readonly VisitorLiveEvent[],
  projectId: string | undefined,
): Record<string, number> {
  const out = { ...counts }
  for (const e of batch) {
    if (e.type !== 'hit' || (projectId && e.project_id !== projectId)) continue
    const k = e.country ?? ''
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

/** The country bars: most visits first, at most `top` rows, share of all hits counted. */
export function countryBars(
  counts: Readonly<Record<string, number>>,
  top = 10,
): { country: string; visits: number; share: number }[] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([country, visits]) => ({ country, visits, share: total > 0 ? visits / total : 0 }))
}

/** The path (and query) of a hit's URL for a narrow table cell; the URL itself when unparsable. */
export function shortUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.host}${u.pathname}${u.search}`
  } catch {
    return url
  }
}
