/**
 * Date ranges of the report pages: presets ("Last 7 days") resolved to the API's
 * `from`/`to` local dates (`YYYY-MM-DD`, both inclusive) in a time zone. Pure: `now` and the
 * zone are arguments (`date-range.test.ts`).
 */

/** Range presets offered by the date range picker. */
export const RANGE_PRESETS = [
  { id: 'today', label: 'Today' },
  { id: 'yesterday', label: 'Yesterday' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: 'this_month', label: 'This month' },
  { id: 'last_month', label: 'Last month' },
  { id: 'custom', label: 'Custom' },
] as const

/** One of {@link RANGE_PRESETS}' ids. */
export type RangePreset = (typeof RANGE_PRESETS)[number]['id']

/** A resolved range: local dates in `tz`, both inclusive. */
export interface DateRange {
  from: string
  to: string
}

const YMD = /^(\d{4})-(\d{2})-(\d{2})$/

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isYmd(s: string | null | undefined): s is string {
  const m = s ? YMD.exec(s) : null
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === s
}

/** True when `id` is one of the presets. */
export function isRangePreset(id: string | null | undefined): id is RangePreset {
  return RANGE_PRESETS.some((p) => p.id === id)
}

/** The local date (`YYYY-MM-DD`) of `now` in `tz` (an IANA zone). */
export function localDateIn(now: Date, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** `ymd` moved by `days` calendar days. */
export function addDays(ymd: string, days: number): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

/** Calendar days from `from` to `to`, both inclusive (1 for a single day). */
export function spanDays(range: DateRange): number {
  const a = Date.parse(`${range.from}T00:00:00Z`)
  const b = Date.parse(`${range.to}T00:00:00Z`)
  return Math.round((b - a) / 86_400_000) + 1
}

/**
 * The dates of a preset at `now` in `tz`. `custom` uses `custom` when both dates are valid
 * (swapped when reversed), else today.
 */
export function resolveRange(
  preset: RangePreset,
  now: Date,
  tz: string,
  custom?: Partial<DateRange>,
): DateRange {
  const today = localDateIn(now, tz)
  switch (preset) {
    case 'today':
      return { from: today, to: today }
    case 'yesterday': {
      const y = addDays(today, -1)
      return { from: y, to: y }
    }
    case '7d':
      return { from: addDays(today, -6), to: today }
    case '30d':
      return { from: addDays(today, -29), to: today }
    case 'this_month':
      return { from: `${today.slice(0, 8)}01`, to: today }
    case 'last_month': {
      const lastOfPrev = addDays(`${today.slice(0, 8)}01`, -1)
      return { from: `${lastOfPrev.slice(0, 8)}01`, to: lastOfPrev }
    }
    case 'custom': {
      const { from, to } = custom ?? {}
      if (!isYmd(from) || !isYmd(to)) return { from: today, to: today }
      return from <= to ? { from, to } : { from: to, to: from }
    }
  }
}

/** Series granularity for a range: hours up to two days, days beyond. */
export function seriesInterval(range: DateRange): 'hour' | 'day' {
  return spanDays(range) <= 2 ? 'hour' : 'day'
}

/** Human label of a range: "Today", "12 – 18 May 2025", "3 Mar 2025". */
export function rangeLabel(preset: RangePreset, range: DateRange, locale?: string): string {
  if (preset !== 'custom') return RANGE_PRESETS.find((p) => p.id === preset)?.label ?? ''
  const fmt = new Intl.DateTimeFormat(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  })
  const a = new Date(`${range.from}T00:00:00Z`)
  if (range.from === range.to) return fmt.format(a)
  return fmt.formatRange(a, new Date(`${range.to}T00:00:00Z`))
}

/** The browser's IANA time zone, `UTC` when it has none. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  } catch {
    return 'UTC'
  }
}

/** IANA zones the browser knows (for the zone picker), always including `UTC` and `current`. */
export function timeZones(current: string): string[] {
  let zones: string[] = []
  try {
    zones = Intl.supportedValuesOf('timeZone')
  } catch {
    zones = []
  }
  const set = new Set(['UTC', ...zones])
  set.add(current)
  return [...set]
}
