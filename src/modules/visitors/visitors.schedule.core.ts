/**
 * Open-model arrival schedule of the visitor engine (pure).
 *
 * Visits start on a schedule fixed in advance at the target rate, whatever the site's
 * answers do: the next start time never depends on when earlier visits finished (an open
 * model, as in wrk2 / k6's `constant-arrival-rate`), so a slow site cannot slow the
 * offered load down and hide its own latency (no coordinated omission). Latency is measured
 * by the shell from each start's *scheduled* time (`atMs`), not from when it was launched.
 *
 * A start needs a free slot (the concurrency cap bounds sockets and memory). A start that
 * finds no slot waits at most `maxWaitMs` in a FIFO queue; past it, it is counted as
 * dropped — never launched late without a trace. Every scheduled start ends as exactly one
 * of started, dropped or (still) pending.
 *
 * Deterministic: the only randomness (Poisson gaps) comes from a seeded PRNG (mulberry32)
 * whose state lives in {@link ScheduleState}, so the same seed and inputs give the same
 * schedule.
 */

/** `poisson`: exponential gaps (mean 60000/perMinute ms); `even`: exactly evenly spaced. */
export type ArrivalMode = 'poisson' | 'even'

/** One scheduled start. */
export interface ScheduledStart {
  /** 0-based sequence number within this schedule. */
  seq: number
  /** Scheduled start time, epoch ms (UTC). Latency is measured from here. */
  atMs: number
}

/** The schedule's whole state (plain data: can be logged, compared, replayed). */
export interface ScheduleState {
  mode: ArrivalMode
  /** Target arrival rate, visits per minute (> 0). */
  perMinute: number
  /** Epoch ms of the schedule's origin (even mode: start k is at `originMs + k × gap`). */
  originMs: number
  /** The next start not yet due. */
  next: ScheduledStart
  /** mulberry32 state (uint32). */
  rng: number
  /** Due starts waiting for a slot, oldest first. */
  pending: ScheduledStart[]
  /** Totals since the origin. */
  started: number
  dropped: number
}

/** What {@link stepSchedule} decided at one instant. */
export interface ScheduleStep {
  state: ScheduleState
  /** Launch these now (at most the free slots given). */
  start: ScheduledStart[]
  /** These waited longer than `maxWaitMs` for a slot: count them as dropped. */
  drop: ScheduledStart[]
}

/** Mean gap between starts in ms for a rate in visits per minute. */
export const gapMs = (perMinute: number): number => 60_000 / perMinute

/** mulberry32: one step → [value in [0,1), next state]. Small, fast, good enough for gaps. */
export function mulberry32(state: number): [number, number] {
  const s = (state + 0x6d2b79f5) >>> 0
  let t = s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, s]
}

/** Exponential gap with mean `mean` from a uniform `u` in [0,1) (inverse CDF). */
const expGap = (u: number, mean: number): number => -Math.log(1 - u) * mean

/**
 * A new schedule whose first start is at `originMs` (even) or one random gap after it (poisson).
 * @param perMinute target rate in visits per minute, finite and > 0.
 * @param seed any integer; the same seed gives the same Poisson gaps.
 * @throws RangeError for a rate that is not finite and positive.
 */
export function initSchedule(opts: {
  mode: ArrivalMode
  perMinute: number
  originMs: number
  seed: number
}): ScheduleState {
  if (!Number.isFinite(opts.perMinute) || opts.perMinute <= 0)
    throw new RangeError(`perMinute must be > 0, got ${opts.perMinute}`)
  let rng = opts.seed >>> 0
  let first = opts.originMs
  if (opts.mode === 'poisson') {
    const [u, s] = mulberry32(rng)
    rng = s
    first = opts.originMs + expGap(u, gapMs(opts.perMinute))
  }
  return {
    mode: opts.mode,
    perMinute: opts.perMinute,
    originMs: opts.originMs,
    next: { seq: 0, atMs: first },
    rng,
    pending: [],
    started: 0,
    dropped: 0,
  }
}

/**
 * Time of even start `seq` after `originMs`: `(seq × 60000) / perMinute`, one rounding (not
 * `seq × gap`, whose two roundings put start 48,074 at 24,037/min a hair past 120 s).
 */
const evenOffsetMs = (seq: number, perMinute: number): number => (seq * 60_000) / perMinute

/** The start after `s` (even: computed from the origin, so no floating-point drift). */
function advance(state: ScheduleState, s: ScheduledStart): [ScheduledStart, number] {
  const gap = gapMs(state.perMinute)
  if (state.mode === 'even')
    return [{ seq: s.seq + 1, atMs: state.originMs + evenOffsetMs(s.seq + 1, state.perMinute) }, state.rng]
  const [u, rng] = mulberry32(state.rng)
  return [{ seq: s.seq + 1, atMs: s.atMs + expGap(u, gap) }, rng]
}

/**
 * Advances the schedule to `nowMs`: every start due by then joins the pending queue; starts
 * pending longer than `maxWaitMs` are dropped; the rest take up to `freeSlots` slots in
 * order of their scheduled time.
 *
 * @param obs.nowMs current time, epoch ms.
 * @param obs.freeSlots slots free now (concurrency cap − visits in flight), ≥ 0.
 * @param obs.maxWaitMs longest a due start may wait for a slot, ms (0 = drop at once).
 * @param obs.maxDue safety bound on starts materialised in one step (a stalled event loop
 *   must not build an unbounded queue); the excess beyond it is dropped. Default 100000.
 */
export function stepSchedule(
  state: ScheduleState,
  obs: { nowMs: number; freeSlots: number; maxWaitMs: number; maxDue?: number },
): ScheduleStep {
  const maxDue = obs.maxDue ?? 100_000
  const pending = state.pending.slice()
  let next = state.next
  let rng = state.rng
  const drop: ScheduledStart[] = []
  while (next.atMs <= obs.nowMs) {
    if (pending.length < maxDue) pending.push(next)
    else drop.push(next)
    ;[next, rng] = advance({ ...state, rng }, next)
  }
  // Pending starts are in scheduled order, so the expired ones are a prefix.
  let i = 0
  while (i < pending.length && obs.nowMs - pending[i]!.atMs > obs.maxWaitMs) i++
  drop.push(...pending.slice(0, i))
  const waiting = pending.slice(i)
  const n = Math.max(0, Math.min(Math.floor(obs.freeSlots), waiting.length))
  const start = waiting.slice(0, n)
  return {
    state: {
      ...state,
      next,
      rng,
      pending: waiting.slice(n),
      started: state.started + start.length,
      dropped: state.dropped + drop.length,
    },
    start,
    drop: drop.sort((a, b) => a.seq - b.seq),
  }
}

/**
 * Changes the rate from `nowMs` on (a project's speed was edited): a new schedule from now;
 * pending starts are kept, totals carried over.
 */
export function retarget(state: ScheduleState, perMinute: number, nowMs: number): ScheduleState {
  if (perMinute === state.perMinute) return state
  const fresh = initSchedule({ mode: state.mode, perMinute, originMs: nowMs, seed: state.rng })
  // Sequence numbers stay unique across the change.
  const seq0 = state.next.seq
  return {
    ...fresh,
    next: { seq: seq0, atMs: fresh.next.atMs },
    originMs: fresh.originMs - evenOffsetMs(seq0, perMinute),
    pending: state.pending,
    started: state.started,
    dropped: state.dropped,
  }
}

/**
 * How long the scheduler may sleep before its next pass, ms: until the earliest start not yet
 * due among `schedules` (so a start is launched when it is due, not at the next coarse tick),
 * at least 1 (the timer's granularity: Node's timers count whole ms) and at most `maxMs` (the
 * regular pass: pending starts look for freed slots, the metering sees its tick). With no
 * schedule, `maxMs`.
 * @param nowMs current time, epoch ms; `maxMs` ≥ 1.
 */
export function nextWakeDelayMs(
  schedules: Iterable<Pick<ScheduleState, 'next'>>,
  nowMs: number,
  maxMs: number,
): number {
  let earliest = Number.POSITIVE_INFINITY
  for (const s of schedules) earliest = Math.min(earliest, s.next.atMs)
  const wait = Math.floor(earliest - nowMs)
  return Math.max(1, Math.min(Math.max(1, maxMs), Number.isFinite(wait) ? wait : maxMs))
}
