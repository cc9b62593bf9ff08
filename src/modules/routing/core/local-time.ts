/**
 * Wall-clock time in an IANA timezone, and weekly schedule windows evaluated against it.
 *
 * DST: the local time of an instant is whatever Intl reports for that instant, so
 * - on a spring-forward day the skipped hour never occurs: a window 02:00–03:00 in
 *   America/New_York matches nothing that day, and a window 02:30–05:00 starts at 03:00;
 * - on a fall-back day the repeated hour occurs twice: a window 01:00–02:00 is open for
 *   two real hours;
 * - windows are measured in local minutes, not elapsed time.
 *
 * `Intl.DateTimeFormat` instances are created once per timezone and the last result is
 * memoised per timezone and epoch minute, so the hot path calls Intl at most once per
 * timezone per minute. The memo is invisible to callers (same input, same output).
 */
import type { Schedule } from '../routing.schema.ts'

/** Local time of an instant: ISO weekday (1 = Monday … 7 = Sunday) and minute of the day (0–1439). */
export interface LocalTime {
  readonly weekday: number
  readonly minute: number
}

interface ZoneCache {
  readonly fmt: Intl.DateTimeFormat | null
  epochMinute: number
  value: LocalTime | null
}

const zones = new Map<string, ZoneCache>()
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

function zone(timeZone: string): ZoneCache {
  let z = zones.get(timeZone)
  if (!z) {
    let fmt: Intl.DateTimeFormat | null = null
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      })
    } catch {
      fmt = null
    }
    z = { fmt, epochMinute: Number.NaN, value: null }
    zones.set(timeZone, z)
  }
  return z
}

/** True when Intl knows the IANA timezone name. */
export function isValidTimeZone(timeZone: string): boolean {
  return typeof timeZone === 'string' && zone(timeZone).fmt !== null
}

/**
 * Local weekday and minute of `epochMs` (ms since 1970 UTC) in `timeZone`.
 * Returns null for an unknown timezone or a non-finite / out-of-range instant. Never throws.
 */
export function localTime(timeZone: string, epochMs: number): LocalTime | null {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > 8.64e15) return null
  const z = zone(timeZone)
  if (!z.fmt) return null
  const epochMinute = Math.floor(epochMs / 60_000)
  if (epochMinute === z.epochMinute) return z.value
  let weekday = 0
  let hour = -1
  let minute = -1
  for (const p of z.fmt.formatToParts(epochMs)) {
    if (p.type === 'weekday') weekday = WEEKDAYS[p.value] ?? 0
    else if (p.type === 'hour') hour = Number(p.value) % 24
    else if (p.type === 'minute') minute = Number(p.value)
  }
  const value = weekday > 0 && hour >= 0 && minute >= 0 ? { weekday, minute: hour * 60 + minute } : null
  z.epochMinute = epochMinute
  z.value = value
  return value
}

/**
 * A weekly window compiled to integers.
 * `days` is a bitmask (bit d set for ISO weekday d); `from`/`to` are minutes of the day.
 */
export interface CompiledSchedule {
  readonly days: number
  readonly from: number
  /** Exclusive; 1440 = end of day. */
  readonly to: number
  /** from === to in the configuration: the whole day. */
  readonly fullDay: boolean
  /** Human-readable form for traces, e.g. "Mon,Tue 22:00–02:00". */
  readonly label: string
}

function parseHhmm(v: unknown, fallback: number): number {
  if (typeof v !== 'string') return fallback
  const m = /^(\d{1,2}):(\d{2})$/.exec(v)
  if (!m) return fallback
  const h = Number(m[1])
  const min = Number(m[2])
  return h <= 23 && min <= 59 ? h * 60 + min : fallback
}

/**
 * Compiles a schedule (`days` ISO weekdays, `from` inclusive, `to` exclusive, "HH:MM").
 * Rules beyond the schema:
 * - `to` = "23:59" means end of day (24:00), so the default 00:00–23:59 is always open;
 * - `from` = `to` means the whole day;
 * - `from` > `to` wraps midnight, and the part after midnight belongs to the day the
 *   window started: Fri 22:00–02:00 is open Saturday 01:00 (even if Saturday is not listed).
 * Missing or malformed fields fall back to the schema defaults (all days, whole day).
 */
export function compileSchedule(s: Partial<Schedule> | null | undefined): CompiledSchedule {
  let days = 0
  for (const d of Array.isArray(s?.days) ? s.days : []) {
    if (Number.isInteger(d) && d >= 1 && d <= 7) days |= 1 << d
  }
  if (days === 0 && !Array.isArray(s?.days)) days = 0b11111110
  const from = parseHhmm(s?.from, 0)
  const rawTo = parseHhmm(s?.to, 1439)
  const fullDay = from === rawTo
  const to = rawTo === 1439 ? 1440 : rawTo
  const dayList = DAY_NAMES.filter((_, d) => (days & (1 << d)) !== 0).join(',')
  const label = `${dayList || 'no days'} ${fullDay ? 'all day' : `${fmtMinute(from)}–${fmtMinute(to)}`}`
  return { days, from, to, fullDay, label }
}

/** "HH:MM" for a minute of the day (1440 → "24:00"). */
export function fmtMinute(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** Formats a local time for traces, e.g. "Sat 01:15". */
export function fmtLocalTime(t: LocalTime | null): string {
  return t ? `${DAY_NAMES[t.weekday] ?? '?'} ${fmtMinute(t.minute)}` : 'unknown time'
}

/** True when local time `t` lies inside the compiled window. */
export function inSchedule(s: CompiledSchedule, t: LocalTime): boolean {
  const today = (s.days & (1 << t.weekday)) !== 0
  if (s.fullDay) return today
  if (s.from < s.to) return today && t.minute >= s.from && t.minute < s.to
  const yesterday = (s.days & (1 << (t.weekday === 1 ? 7 : t.weekday - 1))) !== 0
  return (today && t.minute >= s.from) || (yesterday && t.minute < s.to)
}
