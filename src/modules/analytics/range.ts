/**
 * Report date ranges: calendar dates and wall-clock times in an IANA time zone → UTC
 * instants. Pure functions over `Intl` (no time-zone library); reports then filter the
 * UTC `ts` column by the resolved half-open interval `[fromMs, toMs)`, so ClickHouse never
 * needs the zone for overview/breakdown and a click at 23:30 UTC lands on the next day in
 * Europe/Berlin by construction.
 */

const DAY_MS = 86_400_000
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Cached formatter for `tz`; throws RangeError for an unknown zone. */
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(tz, f)
  }
  return f
}

/**
 * The canonical spelling of IANA zone `tz` (e.g. `utc` → `UTC`), or null when the
 * runtime does not know it.
 */
export function canonicalTimeZone(tz: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return null
  try {
    return formatter(tz).resolvedOptions().timeZone
  } catch {
    return null
  }
}

/** Wall-clock fields of instant `ms` in `tz`, as epoch ms of the same fields read in UTC. */
function wallAsUtc(ms: number, tz: string): number {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value)
  }
  return (
    Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (((ms % 1000) + 1000) % 1000)
  )
}

/**
 * The UTC instant (epoch ms) at which the wall clock in `tz` shows `wallMs` (wall-clock
 * fields encoded as if UTC). In a DST gap the result is shifted by the gap; in an overlap
 * the earlier instant is returned.
 */
export function zonedWallToUtc(wallMs: number, tz: string): number {
  // The answer is wallMs minus the offset in force at the answer. Offsets change at most
  // once within a day or so, so the offsets a day either side give every candidate.
  const offsets = new Set([-DAY_MS, 0, DAY_MS].map((d) => wallAsUtc(wallMs + d, tz) - (wallMs + d)))
  const candidates = [...offsets].map((off) => wallMs - off)
  const valid = candidates.filter((c) => wallAsUtc(c, tz) === wallMs)
  // Overlap (two valid instants): the earlier. Gap (none valid, e.g. a midnight that does
  // not exist): the latest candidate, i.e. just past the jump.
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates)
}

/** `YYYY-MM-DD` of instant `ms` in `tz`. */
export function localDate(ms: number, tz: string): string {
  return new Date(wallAsUtc(ms, tz)).toISOString().slice(0, 10)
}

/** A date or date-time as accepted by the report API, parsed. */
export type RangeBound =
  | { kind: 'date' /** wall-clock midnight encoded as UTC ms */; wallMs: number }
  | { kind: 'datetime' /** exact instant */; ms: number }
  | { kind: 'local' /** wall-clock time encoded as UTC ms, zone from the query */; wallMs: number }

/**
 * Parses `YYYY-MM-DD`, or an ISO date-time `YYYY-MM-DDTHH:MM[:SS[.mmm]]` with an optional
 * `Z`/`±HH:MM` offset (without one it is a wall-clock time in the report's zone).
 * @returns null when the text is not one of those or names an impossible date.
 */
export function parseBound(text: string): RangeBound | null {
  const d = DATE_RE.exec(text)
  if (d) {
    const wallMs = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]))
    return new Date(wallMs).toISOString().slice(0, 10) === text ? { kind: 'date', wallMs } : null
  }
  const m = DATETIME_RE.exec(text)
  if (!m) return null
  const [y, mo, da, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const frac = Number((m[7] ?? '0').padEnd(3, '0'))
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return null
  const wallMs = Date.UTC(y, mo - 1, da, h, mi, se, frac)
  if (new Date(wallMs).getUTCDate() !== da) return null
  const off = m[8]
  if (off === undefined) return { kind: 'local', wallMs }
  if (off === 'Z') return { kind: 'datetime', ms: wallMs }
  const om = /^([+-])(\d{2}):?(\d{2})$/.exec(off)!
  const minutes = Number(om[2]) * 60 + Number(om[3])
  if (Number(om[2]) > 23 || Number(om[3]) > 59) return null
  return { kind: 'datetime', ms: wallMs - (om[1] === '-' ? -1 : 1) * minutes * 60_000 }
}

/** A resolved report range: the half-open UTC interval `[fromMs, toMs)` and its zone. */
export interface ReportRange {
  /** Canonical IANA zone the dates were read in. */
  tz: string
  /** Inclusive start, epoch ms UTC. */
  fromMs: number
  /** Exclusive end, epoch ms UTC. */
  toMs: number
}

/** Longest range a report may span, in days. */
export const MAX_RANGE_DAYS = 400

/** A validation problem of one query field. */
export interface RangeIssue {
  path: 'from' | 'to' | 'tz'
  message: string
}

/**
 * Resolves `from`/`to` (already-valid bounds or undefined) in zone `tz` at time `now`.
 * Dates are inclusive whole local days; a date-time `to` is inclusive to the millisecond.
 * Defaults: both missing → today in `tz`; one missing → the same local day as the other
 * (`to` defaults to today when that is later).
 * @returns the range, or the issues (from after to, span over {@link MAX_RANGE_DAYS} days).
 */
export function resolveRange(
  input: { from?: RangeBound | undefined; to?: RangeBound | undefined; tz: string },
  now: Date,
): { ok: true; range: ReportRange } | { ok: false; issues: RangeIssue[] } {
  const { tz } = input
  const startOf = (b: RangeBound): number => (b.kind === 'datetime' ? b.ms : zonedWallToUtc(b.wallMs, tz))
  const endOf = (b: RangeBound): number =>
    b.kind === 'date' ? zonedWallToUtc(b.wallMs + DAY_MS, tz) : startOf(b) + 1
  const todayWall = Date.parse(`${localDate(now.getTime(), tz)}T00:00:00Z`)
  const dayOf = (ms: number): RangeBound => ({
    kind: 'date',
    wallMs: Date.parse(`${localDate(ms, tz)}T00:00:00Z`),
  })

  const from = input.from ?? (input.to ? dayOf(startOf(input.to)) : { kind: 'date', wallMs: todayWall })
  let to = input.to
  if (!to) {
    const fromDay = dayOf(startOf(from))
    to = fromDay.kind === 'date' && fromDay.wallMs > todayWall ? fromDay : { kind: 'date', wallMs: todayWall }
  }
  const fromMs = startOf(from)
  const toMs = endOf(to)
  const issues: RangeIssue[] = []
  if (fromMs >= toMs) issues.push({ path: 'from', message: 'must not be after to' })
  // One hour of slack: a range of whole local days can be 400 days and 1 hour across DST.
  else if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS + 3_600_000) {
    issues.push({ path: 'to', message: `range must not exceed ${MAX_RANGE_DAYS} days` })
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, range: { tz, fromMs, toMs } }
}

/** One bucket of a time series: its start instant and its local label. */
export interface SeriesBucket {
  /** Start of the bucket, epoch ms UTC (local midnight or local whole hour in the zone). */
  startMs: number
  /**
   * Local label: `YYYY-MM-DD` for days, `YYYY-MM-DDTHH:00±HH:MM` for hours (the offset
   * tells the two 02:00 hours of a DST fall-back apart).
   */
  local: string
}

/** Longest span of an hourly series, in days. */
export const MAX_HOURLY_DAYS = 93

/** `±HH:MM` of an offset in ms. */
function offsetText(offsetMs: number): string {
  const m = Math.round(Math.abs(offsetMs) / 60_000)
  return `${offsetMs < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** Label of the bucket starting at `startMs` (see {@link SeriesBucket.local}). */
export function bucketLabel(startMs: number, tz: string, interval: 'day' | 'hour'): string {
  const wall = wallAsUtc(startMs, tz)
  const iso = new Date(wall).toISOString()
  return interval === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 13)}:00${offsetText(wall - startMs)}`
}

/**
 * Every day or hour bucket of `range` in its zone, in order, for zero-filling a series:
 * the bucket holding `range.fromMs` first, then each following one that starts before
 * `range.toMs`. Days follow local midnights (23- and 25-hour days across DST); hours step
 * 60 minutes in UTC from the first local whole hour, which gives every local hour of zones
 * whose offset is a multiple of 15 minutes and whose DST shift is whole hours (all of
 * today's except Australia/Lord_Howe; the series merges in any bucket ClickHouse returns
 * that is not listed here).
 */
export function seriesBuckets(range: ReportRange, interval: 'day' | 'hour'): SeriesBucket[] {
  const { tz, fromMs, toMs } = range
  const out: SeriesBucket[] = []
  const wall = wallAsUtc(fromMs, tz)
  if (interval === 'day') {
    let day = Math.floor(wall / DAY_MS) * DAY_MS
    for (let start = zonedWallToUtc(day, tz); start < toMs; ) {
      out.push({ startMs: start, local: new Date(day).toISOString().slice(0, 10) })
      day += DAY_MS
      const next = zonedWallToUtc(day, tz)
      if (next <= start) break // cannot happen in real zones; guards the loop
      start = next
    }
    return out
  }
  const HOUR_MS = 3_600_000
  // The local hour holding `fromMs` began (wall mod 1 h) earlier: offsets do not change mid-hour.
  for (let start = fromMs - (((wall % HOUR_MS) + HOUR_MS) % HOUR_MS); start < toMs; start += HOUR_MS) {
    out.push({ startMs: start, local: bucketLabel(start, tz, 'hour') })
  }
  return out
}
