/**
 * Figures of the run panel from `GET /projects/:id/stats` (contract `RunStatsJson`): target
 * and achieved rate in visits per minute, errors in all, success share.
 */
import type { RunStats } from '@/hooks/api/visitors'

export interface RunFigures {
  targetPerMinute: number
  achievedPerMinute: number
  /** achieved ÷ target, 0..∞; null without a target. */
  ratio: number | null
  errors: number
  /** answered ÷ started; null before the first start. */
  answeredShare: number | null
}

/** The panel's derived figures of one run. */
export function runFigures(r: RunStats): RunFigures {
  const errors = Object.values(r.errors ?? {}).reduce((a, b) => a + b, 0)
  const achievedPerMinute = r.achieved_per_second * 60
  return {
    targetPerMinute: r.target_per_minute,
    achievedPerMinute,
    ratio: r.target_per_minute > 0 ? achievedPerMinute / r.target_per_minute : null,
    errors,
    answeredShare: r.started > 0 ? r.answered / r.started : null,
  }
}

/** "12.5/min" for small rates, "1,234/min" for large. */
export function rateText(perMinute: number): string {
  if (!Number.isFinite(perMinute)) return '—'
  return perMinute >= 100
    ? `${Math.round(perMinute).toLocaleString('en')}/min`
    : `${(Math.round(perMinute * 10) / 10).toLocaleString('en')}/min`
}

/** `{timeout: 3, dns: 1}` → `[['timeout', 3], ['dns', 1]]`, most first, zeros left out. */
export function errorRows(errors: Record<string, number> | undefined): [string, number][] {
  return Object.entries(errors ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}
