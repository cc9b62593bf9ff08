/**
 * Number, money, percent and time formatting for tables, cards and charts. `locale`
 * defaults to the browser's. Missing ratios (`null`: no clicks, no cost) print as an em dash.
 */

const cache = new Map<string, Intl.NumberFormat>()
function nf(locale: string | undefined, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(opts)}`
  let f = cache.get(key)
  if (!f) {
    f = new Intl.NumberFormat(locale, opts)
    cache.set(key, f)
  }
  return f
}

/** Shown for a missing value. */
export const NONE = '—'

/** 1234 → "1,234". */
export function formatInt(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  return nf(locale, { maximumFractionDigits: 0 }).format(n)
}

/** 12.5 → "12.50", or "€12.50" with a currency code. */
export function formatMoney(n: number | null | undefined, currency?: string, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    return nf(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(n)
  }
  return nf(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)
}

/** Revenue per click: up to 4 decimals ("0.0125"). */
export function formatEpc(n: number | null | undefined, currency?: string, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  const opts: Intl.NumberFormatOptions = { minimumFractionDigits: 2, maximumFractionDigits: 4 }
  if (currency && /^[A-Z]{3}$/.test(currency)) Object.assign(opts, { style: 'currency', currency })
  return nf(locale, opts).format(n)
}

/** A percentage as the API gives it (12.3456 → "12.35%"). */
export function formatPercent(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  return `${nf(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)}%`
}

/** Compact count for chart axes: 12 300 → "12.3K". */
export function formatCompact(n: number, locale?: string): string {
  return nf(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

/** "14:03:27" in the browser's zone. */
export function formatTime(iso: string, locale?: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return NONE
  return d.toLocaleTimeString(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  })
}

/** "12 May 2025, 14:03". */
export function formatDateTime(iso: string | null | undefined, locale?: string): string {
  if (!iso) return NONE
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return NONE
  return d.toLocaleString(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
}

/** "just now", "5 minutes ago", "3 days ago" (relative to `now`). */
export function formatRelative(iso: string | null | undefined, now = new Date(), locale?: string): string {
  if (!iso) return NONE
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return NONE
  const s = Math.round((t - now.getTime()) / 1000)
  const abs = Math.abs(s)
  if (abs < 45) return 'just now'
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, 'second'],
    [3600, 'minute'],
    [86_400, 'hour'],
    [86_400 * 30, 'day'],
    [86_400 * 365, 'month'],
  ]
  let unit: Intl.RelativeTimeFormatUnit = 'year'
  let size = 86_400 * 365
  for (let i = 0; i < steps.length; i++) {
    const [limit] = steps[i]!
    if (abs < limit) {
      unit = i === 0 ? 'second' : steps[i - 1]![1]
      size = i === 0 ? 1 : steps[i - 1]![0]
      break
    }
  }
  return rtf.format(Math.round(s / size), unit)
}
