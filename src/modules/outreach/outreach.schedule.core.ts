/**
 * When outreach things happen (pure; luxon for time zones): the local day of a campaign or
 * a workspace's credits, the sending window of a day, how a run's emails are spread over
 * what is left of that window, when a campaign's next run is due, and a mailbox's earliest
 * next send.
 *
 * Units: instants are `Date` (UTC inside); gaps and jitter are **milliseconds**; window
 * bounds are **minutes after local midnight** (0..1440, `[start, end)`); days are local
 * calendar dates `YYYY-MM-DD` in an IANA time zone. No clock: `now` is always an argument.
 *
 * Local wall times that do not exist or exist twice (daylight saving changes) follow
 * RFC 5545 §3.3.5 / Temporal's `disambiguation: 'compatible'`: a time in a gap moves
 * forward by the gap's length (New York 02:30 on 2026-03-08 → 03:30 EDT), an ambiguous time
 * takes the **earlier** instant (Berlin 02:30 on 2026-10-25 → 02:30 CEST = 00:30Z). luxon
 * does the first by itself but picks the later instant of an overlap, so {@link localTime}
 * corrects that with `getPossibleOffsets`.
 */
import { DateTime, IANAZone } from 'luxon'

/** Minutes in a local day as window bounds count them (24:00 = the next midnight). */
export const DAY_MINUTES = 1440

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** The zone, or a RangeError naming it (every function here refuses an unknown zone). */
function zoneOf(tz: string): IANAZone {
  if (!IANAZone.isValidZone(tz)) throw new RangeError(`unknown time zone ${JSON.stringify(tz)}`)
  return IANAZone.create(tz)
}

/** `YYYY-MM-DD` → its parts, or a RangeError for text that is not a real calendar date. */
function parseDay(day: string): { year: number; month: number; day: number } {
  const m = DAY.exec(day)
  const parts = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null
  if (!parts || !DateTime.fromObject(parts, { zone: 'UTC' }).isValid)
    throw new RangeError(`not a calendar date YYYY-MM-DD: ${JSON.stringify(day)}`)
  return parts
}

/**
 * The local calendar date of `now` in `tz`, `YYYY-MM-DD`.
 * @example localDay(new Date('2026-06-01T10:30:00Z'), 'Pacific/Kiritimati') // '2026-06-02' (UTC+14)
 * @throws RangeError for an unknown time zone.
 */
export function localDay(now: Date, tz: string): string {
  return DateTime.fromJSDate(now, { zone: zoneOf(tz) }).toISODate() as string
}

/** The calendar date after `day` (`2026-12-31` → `2027-01-01`). @throws RangeError for a bad date. */
export function nextDay(day: string): string {
  return DateTime.fromObject(parseDay(day), { zone: 'UTC' }).plus({ days: 1 }).toISODate() as string
}

/**
 * The instant of local wall time `minute` (0..1440 minutes after midnight; 1440 = the next
 * day's start) on `day` in `tz`, disambiguated as described in the module comment (gap →
 * forward, overlap → earlier instant).
 * @throws RangeError for a bad date, zone or minute.
 */
export function localTime(day: string, tz: string, minute: number): Date {
  const zone = zoneOf(tz)
  if (!Number.isInteger(minute) || minute < 0 || minute > DAY_MINUTES)
    throw new RangeError(`minute must be an integer in 0..${DAY_MINUTES}, got ${minute}`)
  const parts = parseDay(minute === DAY_MINUTES ? nextDay(day) : day)
  const m = minute % DAY_MINUTES
  const dt = DateTime.fromObject({ ...parts, hour: Math.floor(m / 60), minute: m % 60 }, { zone })
  // An overlap has two offsets; luxon picks the later instant, we want the earlier one.
  const earliest = Math.min(...dt.getPossibleOffsets().map((d) => d.toMillis()), dt.toMillis())
  return new Date(earliest)
}

/**
 * The start of the local day after `now`'s local day in `tz`: when daily credits reset.
 * On a day whose midnight does not exist (e.g. America/Santiago on 2026-09-06, clocks jump
 * from 24:00 to 01:00) it is the first instant of that day (01:00 local).
 * @throws RangeError for an unknown time zone.
 */
export function nextMidnight(now: Date, tz: string): Date {
  return localTime(nextDay(localDay(now, tz)), tz, 0)
}

/** A span of time `[start, end)`; `end ≥ start` (an empty window has `end = start`). */
export interface Window {
  start: Date
  end: Date
}

/**
 * The sending window of local `day` in `tz`: `[startMin, endMin)` in minutes after local
 * midnight (0 ≤ startMin < endMin ≤ 1440), as instants. Each bound is a wall time
 * (09:00 stays 9 AM local on a daylight saving day), so such a day's window is an hour
 * shorter or longer. A bound inside a gap moves forward; should that put the end before the
 * start (a window inside the gap), the window is empty (`end = start`).
 * @throws RangeError for a bad date, zone or bounds.
 */
export function windowOf(day: string, tz: string, startMin: number, endMin: number): Window {
  if (!(startMin < endMin)) throw new RangeError(`window start ${startMin} must be before end ${endMin}`)
  const start = localTime(day, tz, startMin)
  const end = localTime(day, tz, endMin)
  return { start, end: new Date(Math.max(end.getTime(), start.getTime())) }
}

/**
 * Most sends that fit `[from, end)` at least `minGapMs` apart, the first at `from`:
 * `ceil((end − from) / max(1, minGapMs))` (0 when the span is empty). Pure.
 */
export function sendCapacity(fromMs: number, endMs: number, minGapMs: number): number {
  const span = endMs - fromMs
  if (span <= 0) return 0
  return Math.ceil(span / Math.max(1, Math.floor(minGapMs)))
}

/**
 * Send times for a run's emails over what is left of today's window: the remaining span is
 * `[max(now, window.start), window.end)`; the first send is at its beginning and the others
 * follow evenly, `step = max(minGapMs, span / n)` apart (rounded down to whole ms, so never
 * closer than `minGapMs`), all strictly before `window.end` — never spilling into tomorrow.
 * `n = min(count, capacity)` with capacity from {@link sendCapacity}: when the span cannot
 * hold `count` sends `minGapMs` apart, only the first `n` get a time; the rest wait for the
 * next run (the caller leaves those creators uncontacted).
 *
 * Sends are at distinct milliseconds (a `minGapMs` below 1 counts as 1).
 *
 * @param opts.count sends wanted (integer ≥ 0).
 * @param opts.minGapMs smallest gap between two sends, ms (the mailbox's `min_gap_seconds` × 1000).
 * @returns ascending instants, `length = min(count, capacity)`.
 */
export function spreadSends(opts: { count: number; now: Date; window: Window; minGapMs: number }): Date[] {
  const from = Math.max(opts.now.getTime(), opts.window.start.getTime())
  const end = opts.window.end.getTime()
  const gap = Math.max(1, Math.floor(opts.minGapMs))
  const n = Math.min(Math.max(0, Math.floor(opts.count)), sendCapacity(from, end, gap))
  if (n === 0) return []
  const span = end - from
  const out: Date[] = []
  for (let i = 0; i < n; i++) {
    // Either i × gap (the gap is the binding constraint) or i × span / n, one rounding each:
    // both stay below `span` for i < n, and successive floors differ by ≥ gap (gap is whole ms).
    const offset = gap * n >= span ? i * gap : Math.floor((i * span) / n)
    out.push(new Date(from + offset))
  }
  return out
}

/** What {@link runDue} needs of a campaign (structurally a subset of its row). */
export interface RunDueCampaign {
  recurring: boolean
  /** Runs in all (a one-time campaign runs once whatever this says). */
  maxRuns: number
  /** Runs started so far. */
  runCount: number
  isActive: boolean
  /** IANA zone of the campaign's days and window. */
  timezone: string
  /** Window bounds, minutes after local midnight. */
  windowStartMin: number
  windowEndMin: number
  /** Not read: the first run is due at once whenever the campaign was created. */
  createdAt?: Date
  /** Local date (`YYYY-MM-DD`, campaign zone) of the latest run; null before the first. */
  lastRunDate: string | null
}

/** Why a campaign has no run due now. */
export type RunWaitReason = 'inactive' | 'completed' | 'ran_today' | 'before_window'

/** Outcome of {@link runDue}. */
export type RunDue =
  | {
      due: false
      reason: RunWaitReason
      /** When it may next be due (a window start), or null when only an edit can change it. */
      notBefore: Date | null
    }
  | { due: true; runDate: string; runNumber: number }

/**
 * Whether a campaign's next run is due at `now`, and its local date and number.
 *
 * Rules, in order:
 * 1. inactive → not due (`inactive`);
 * 2. `runCount ≥ maxRuns` (a one-time campaign, `recurring = false`, has `maxRuns = 1`
 *    whatever is stored) → not due (`completed`);
 * 3. a run on today's local date (or later, after a time zone change) already → `ran_today`
 *    (at most one run per local day; `notBefore` = tomorrow's window start);
 * 4. the first run (`runCount = 0`) is due at once, inside the window or not: it discovers
 *    and enriches now; its emails are only ever scheduled inside today's window
 *    ({@link spreadSends}), so after the window has closed nothing is sent that day and the
 *    creators wait, uncontacted, for the next run;
 * 5. later runs are due from today's window start on (the daily run happens at e.g. 09:00
 *    local); before it → `before_window` with `notBefore` = that start. A run that starts
 *    late (the service was down) still runs that day: its discoveries wait for the next
 *    run's window like any email found after the window closed.
 *
 * @returns `runDate` = today's local date, `runNumber` = `runCount + 1`.
 * @throws RangeError for an unknown time zone or bad window bounds.
 */
export function runDue(input: { campaign: RunDueCampaign; now: Date }): RunDue {
  const c = input.campaign
  const today = localDay(input.now, c.timezone)
  const startOf = (day: string) => windowOf(day, c.timezone, c.windowStartMin, c.windowEndMin).start
  if (!c.isActive) return { due: false, reason: 'inactive', notBefore: null }
  const maxRuns = c.recurring ? c.maxRuns : 1
  if (c.runCount >= maxRuns) return { due: false, reason: 'completed', notBefore: null }
  if (c.lastRunDate !== null && c.lastRunDate >= today)
    return { due: false, reason: 'ran_today', notBefore: startOf(nextDay(today)) }
  const due = { due: true, runDate: today, runNumber: c.runCount + 1 } as const
  if (c.runCount === 0) return due
  const start = startOf(today)
  if (input.now < start) return { due: false, reason: 'before_window', notBefore: start }
  return due
}

/**
 * The earliest time a mailbox may send again: `lastSendAt + minGapMs + jitter`, with jitter
 * uniform in `[0, jitterMs)` from `rand()` (a number in [0, 1), e.g. `Math.random`). No
 * send yet (`lastSendAt = null`) → the epoch (no constraint).
 *
 * Roll the jitter once per send and keep it (or derive `rand` from the email's ID): calling
 * this on every poll with a fresh roll would drift the real gaps towards `minGapMs`.
 * @param opts.minGapMs, opts.jitterMs milliseconds, ≥ 0.
 */
export function mailboxSlot(opts: {
  lastSendAt: Date | null
  minGapMs: number
  jitterMs: number
  rand: () => number
}): Date {
  if (opts.lastSendAt === null) return new Date(0)
  const u = Math.min(Math.max(opts.rand(), 0), 1 - Number.EPSILON)
  const jitter = Math.floor(u * Math.max(0, opts.jitterMs))
  return new Date(opts.lastSendAt.getTime() + Math.max(0, opts.minGapMs) + jitter)
}
