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

const rtfCache = new Map<string, Intl.RelativeTimeFormat>()
function rtf(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? ''
  let f = rtfCache.get(key)
  if (!f) {
    f = new Intl.RelativeTimeFormat(locale, { numeric: 'always' })
    rtfCache.set(key, f)
  }
  return f
}

const MINUTE = 60
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * How long ago (or how far ahead) `iso` is from `nowMs` (epoch milliseconds, e.g.
 * `Date.now()`, or `useNow()` from `hooks/use-now.ts` in a component), in the largest whole unit that is at least 1: seconds
 * under a minute, minutes under an hour, hours under a day, days under 30 days, months
 * (30-day) under a year, then years — always rounded down ("59 minutes ago" until the hour
 * is full). Under 5 s either way: "just now". Future times: "in 5 minutes". A missing or
 * unreadable time: "—". Text through `Intl.RelativeTimeFormat` in `locale` (default: the
 * browser's). The one relative-time formatter of the UI: pair it with the exact time as a
 * tooltip.
 */
export function formatRelative(
  iso: string | null | undefined,
  nowMs: number = Date.now(),
  locale?: string,
): string {
  if (!iso) return NONE
  const t = new Date(iso).getTime()
  if (Number.isNaN(t) || !Number.isFinite(nowMs)) return NONE
  const diff = (t - nowMs) / 1000
  const abs = Math.floor(Math.abs(diff))
  if (abs < 5) return 'just now'
  const sign = diff < 0 ? -1 : 1
  let value: number
  let unit: Intl.RelativeTimeFormatUnit
  if (abs < MINUTE) [value, unit] = [abs, 'second']
  else if (abs < HOUR) [value, unit] = [Math.floor(abs / MINUTE), 'minute']
  else if (abs < DAY) [value, unit] = [Math.floor(abs / HOUR), 'hour']
  else if (abs < 30 * DAY) [value, unit] = [Math.floor(abs / DAY), 'day']
  else if (abs < 365 * DAY) [value, unit] = [Math.min(11, Math.floor(abs / (30 * DAY))), 'month']
  else [value, unit] = [Math.floor(abs / (365 * DAY)), 'year']
  return rtf(locale).format(sign * value, unit)
}
