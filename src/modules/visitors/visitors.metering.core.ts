/**
 * Metering of one project's run (pure): which visits may start, which are charged, when
 * credits are reserved and released, and when the run stops and why.
 *
 * Rules (README "Engine", section Metering):
 * - **Paid before made.** Credits are reserved from the workspace in blocks through ledger
 *   holds (`available → reserved`). A visit starts only when one reserved, unassigned credit
 *   is assigned to it; with none, the start is refused (`no_credit`) and counted as dropped.
 * - **Charged when answered.** A visit the site answered (any HTTP status, also 4xx/5xx, also
 *   when the body or a subresource later failed) is committed (`reserved → spent`): the
 *   `commit` action, whose shell charges such actions in groups (one hold commit of n visits
 *   per group, keyed by the group, so a retried group charges once; README "Engine") and
 *   reports `committed` per visit once its group is written — until then the visit counts as
 *   being committed (the limits count it, its hold stays open). A visit that failed
 *   before any response (DNS, connect, TLS, reset or timeout before the status line, or
 *   refused by the SSRF guard) is not charged: its credit returns to the hold.
 * - **Limits count visits in flight.** Total target: done + in flight + being committed never
 *   exceeds it. Daily limit: the same per day in the project's IANA time zone (days computed
 *   with `Intl`, never by hand).
 * - **Stop.** On a reason (credits out, daily limit, total reached, expired, verification
 *   failed, stopped, shutdown) no new visit starts; the visits in flight settle; then every
 *   hold is released (what is left returns to `available`) and the run finishes.
 *
 * Decisions are `(state, observation, nowMs) → {state, actions}`; the shell performs actions
 * and reports their outcomes as new observations.
 */

/** Why a run stopped. */
export type StopReason =
  | 'credits_exhausted'
  | 'daily_limit'
  | 'total_reached'
  | 'expired'
  | 'verification_failed'
  | 'stopped'
  | 'shutdown'

/** The project status a stop reason leaves (undefined: status unchanged). */
export function statusAfter(reason: StopReason): 'paused' | 'completed' | undefined {
  switch (reason) {
    case 'credits_exhausted':
    case 'daily_limit':
    case 'verification_failed':
      return 'paused'
    case 'total_reached':
    case 'expired':
      return 'completed'
    default:
      return undefined
  }
}

/** A project's limits. */
export interface MeterLimits {
  /** Visits per day in `timezone`; 0 = none. */
  dailyLimit: number
  /** Visits over the project's life; 0 = none. */
  totalTarget: number
  /** Epoch ms after which no visit starts; null = never. */
  expiresAtMs: number | null
  /** IANA time zone of the daily limit's days. */
  timezone: string
}

/** An open ledger hold of this run. */
export interface MeterHold {
  id: string
  /** Reserved credits not assigned to any visit yet. */
  left: number
  /** Credits assigned to visits not settled yet (in flight or being committed). */
  outstanding: number
}

/** The whole metering state of one run (plain data). */
export interface MeterState {
  runId: string
  limits: MeterLimits
  /** Credits asked for per reserve (a block). */
  blockSize: number
  holds: MeterHold[]
  /** Reserves asked for so far (the next reserve's key suffix). */
  holdSeq: number
  reserving: boolean
  /** The workspace had no credit at the last reserve. */
  creditsOut: boolean
  /** Visits started and not settled. */
  inFlight: number
  /** Visits answered whose commit is not confirmed yet. */
  committing: number
  /**
   * Their visit IDs: a confirmation (`committed`, `commit_lost`) counts only for a visit
   * listed here, so a replayed or duplicate confirmation changes nothing.
   */
  awaiting: readonly string[]
  /** Charged visits over the project's life. */
  visitsDone: number
  /** Day (YYYY-MM-DD in `limits.timezone`) of `dayVisits`. */
  day: string
  dayVisits: number
  phase: 'running' | 'draining' | 'done'
  reason: StopReason | null
}

/** What the shell must do. */
export type MeterAction =
  | { type: 'reserve'; amount: number; idempotencyKey: string }
  | { type: 'start'; visitId: string; holdId: string }
  | { type: 'refuse'; visitId: string; reason: 'no_credit' | 'limit' | 'stopping' }
  | { type: 'commit'; visitId: string; holdId: string; idempotencyKey: string }
  | { type: 'release'; holdId: string }
  | { type: 'finish'; reason: StopReason }

/** What happened. */
export type MeterObservation =
  | { type: 'tick' }
  | { type: 'start_requested'; visitId: string }
  | { type: 'visit_settled'; visitId: string; holdId: string; charged: boolean }
  | { type: 'committed'; visitId: string; holdId: string }
  /** The commit could not be made (gave up after retries): the visit stays uncharged. */
  | { type: 'commit_lost'; visitId: string; holdId: string }
  | { type: 'reserved'; holdId: string; amount: number }
  /** The reserve failed; `available` = what the workspace had then (0 = none). */
  | { type: 'reserve_failed'; available: number }
  | { type: 'stop_requested'; reason: StopReason }

const formatters = new Map<string, Intl.DateTimeFormat>()

/**
 * The calendar day of `nowMs` in an IANA time zone, `YYYY-MM-DD` (via `Intl`).
 * @throws RangeError for an unknown time zone.
 */
export function dayIn(timezone: string, nowMs: number): string {
  let f = formatters.get(timezone)
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    formatters.set(timezone, f)
  }
  return f.format(nowMs)
}

/**
 * A visit's own commit key (the `commit` action's): one charge per visit. The engine charges
 * in groups under a group key instead (`groupCommitKey` of `visitors.engine.ts`).
 */
export const commitKey = (visitId: string): string => `visit:${visitId}`

/**
 * A fresh run's metering state.
 * @param opts.visitsDone charged visits so far (the project's `visits_done`).
 * @param opts.dayVisits charged visits today (the project's `visitor_daily` row of today).
 * @param opts.blockSize credits per reserve, ≥ 1.
 */
export function initMeter(opts: {
  runId: string
  limits: MeterLimits
  blockSize: number
  visitsDone: number
  dayVisits: number
  nowMs: number
}): MeterState {
  return {
    runId: opts.runId,
    limits: opts.limits,
    blockSize: Math.max(1, Math.floor(opts.blockSize)),
    holds: [],
    holdSeq: 0,
    reserving: false,
    creditsOut: false,
    inFlight: 0,
    committing: 0,
    awaiting: [],
    visitsDone: opts.visitsDone,
    day: dayIn(opts.limits.timezone, opts.nowMs),
    dayVisits: opts.dayVisits,
    phase: 'running',
    reason: null,
  }
}

const creditsLeft = (s: MeterState) => s.holds.reduce((n, h) => n + h.left, 0)
/** Visits that will be charged if they all succeed. */
const pendingCharges = (s: MeterState) => s.inFlight + s.committing

/** The limit reached now, if any (counting only charged visits). */
function limitReached(s: MeterState, nowMs: number): StopReason | null {
  const l = s.limits
  if (l.expiresAtMs !== null && nowMs >= l.expiresAtMs) return 'expired'
  if (l.totalTarget > 0 && s.visitsDone >= l.totalTarget) return 'total_reached'
  if (l.dailyLimit > 0 && s.dayVisits >= l.dailyLimit) return 'daily_limit'
  return null
}

/** How many more visits may still be started before a limit (counting those in flight). */
function headroom(s: MeterState): number {
  const l = s.limits
  let room = Number.POSITIVE_INFINITY
  if (l.totalTarget > 0) room = Math.min(room, l.totalTarget - s.visitsDone - pendingCharges(s))
  if (l.dailyLimit > 0) room = Math.min(room, l.dailyLimit - s.dayVisits - pendingCharges(s))
  return room
}

function beginStop(s: MeterState, reason: StopReason): MeterState {
  if (s.phase !== 'running') return s
  return { ...s, phase: 'draining', reason }
}

/** Releases holds no longer needed, tops up credits, finishes a drained stop. */
function housekeeping(s: MeterState, actions: MeterAction[]): MeterState {
  if (s.phase === 'done') return s
  if (s.phase === 'draining') {
    if (pendingCharges(s) > 0 || s.reserving) return s
    for (const h of s.holds) actions.push({ type: 'release', holdId: h.id })
    actions.push({ type: 'finish', reason: s.reason ?? 'stopped' })
    return { ...s, holds: [], phase: 'done' }
  }
  // A used-up hold whose visits are all settled is closed (a release of nothing), keeping
  // the open holds few; the newest hold stays open.
  const keep = s.holds.filter((h, i) => {
    const spent = h.left === 0 && h.outstanding === 0 && i < s.holds.length - 1
    if (spent) actions.push({ type: 'release', holdId: h.id })
    return !spent
  })
  let next = keep.length === s.holds.length ? s : { ...s, holds: keep }
  // Top up below half a block, asking only for what the limits still allow.
  const left = creditsLeft(next)
  if (!next.reserving && !next.creditsOut && left < Math.ceil(next.blockSize / 2)) {
    const want = Math.min(next.blockSize, headroom(next) - left)
    if (want > 0) {
      actions.push({
        type: 'reserve',
        amount: want,
        idempotencyKey: `visitors:run:${next.runId}:hold:${next.holdSeq}`,
      })
      next = { ...next, reserving: true, holdSeq: next.holdSeq + 1 }
    }
  }
  if (next.creditsOut && left === 0 && !next.reserving) next = beginStop(next, 'credits_exhausted')
  if (next.phase === 'draining') return housekeeping(next, actions)
  return next
}

/**
 * The metering decision for one observation at `nowMs` (epoch ms).
 * Settlements of a hold already gone, or with nothing in flight or being committed, change
 * nothing. The shell reports each visit's settlement and each `commit` action's outcome once
 * (the core keeps counts, not visit IDs, so a repeated `committed` would be counted twice);
 * retries happen below it, on the ledger, under the same key.
 */
export function meter(
  state: MeterState,
  obs: MeterObservation,
  nowMs: number,
): { state: MeterState; actions: MeterAction[] } {
  const actions: MeterAction[] = []
  let s = state
  // The day rolls over in the project's time zone: today's count starts from 0.
  const today = dayIn(s.limits.timezone, nowMs)
  if (today !== s.day) s = { ...s, day: today, dayVisits: 0 }

  switch (obs.type) {
    case 'tick':
      break
    case 'start_requested': {
      if (s.phase !== 'running') {
        actions.push({ type: 'refuse', visitId: obs.visitId, reason: 'stopping' })
        break
      }
      const reached = limitReached(s, nowMs)
      if (reached) {
        s = beginStop(s, reached)
        actions.push({ type: 'refuse', visitId: obs.visitId, reason: 'stopping' })
        break
      }
      if (headroom(s) <= 0) {
        actions.push({ type: 'refuse', visitId: obs.visitId, reason: 'limit' })
        break
      }
      const i = s.holds.findIndex((h) => h.left > 0)
      if (i < 0) {
        actions.push({ type: 'refuse', visitId: obs.visitId, reason: 'no_credit' })
        break
      }
      const h = s.holds[i]!
      const holds = s.holds.slice()
      holds[i] = { ...h, left: h.left - 1, outstanding: h.outstanding + 1 }
      s = { ...s, holds, inFlight: s.inFlight + 1 }
      actions.push({ type: 'start', visitId: obs.visitId, holdId: h.id })
      break
    }
    case 'visit_settled': {
      const i = s.holds.findIndex((h) => h.id === obs.holdId)
      if (i < 0 || s.inFlight === 0) break
      const h = s.holds[i]!
      const holds = s.holds.slice()
      if (obs.charged) {
        s = {
          ...s,
          inFlight: s.inFlight - 1,
          committing: s.committing + 1,
          awaiting: [...s.awaiting, obs.visitId],
        }
        actions.push({
          type: 'commit',
          visitId: obs.visitId,
          holdId: h.id,
          idempotencyKey: commitKey(obs.visitId),
        })
      } else {
        // Not answered: not charged, and the credit goes back to the hold.
        holds[i] = { ...h, left: h.left + 1, outstanding: h.outstanding - 1 }
        s = { ...s, holds, inFlight: s.inFlight - 1 }
      }
      break
    }
    case 'committed':
    case 'commit_lost': {
      const i = s.holds.findIndex((h) => h.id === obs.holdId)
      const w = s.awaiting.indexOf(obs.visitId)
      if (i < 0 || w < 0) break
      const h = s.holds[i]!
      const holds = s.holds.slice()
      holds[i] = { ...h, outstanding: h.outstanding - 1 }
      const charged = obs.type === 'committed' ? 1 : 0
      s = {
        ...s,
        holds,
        committing: s.committing - 1,
        awaiting: [...s.awaiting.slice(0, w), ...s.awaiting.slice(w + 1)],
        visitsDone: s.visitsDone + charged,
        dayVisits: s.dayVisits + charged,
      }
      break
    }
    case 'reserved':
      s = {
        ...s,
        reserving: false,
        creditsOut: false,
        holds: [...s.holds, { id: obs.holdId, left: obs.amount, outstanding: 0 }],
      }
      break
    case 'reserve_failed':
      s = { ...s, reserving: false }
      if (obs.available > 0 && s.phase === 'running') {
        // Less than a block is left: reserve exactly that.
        const want = Math.min(Math.floor(obs.available), headroom(s) - creditsLeft(s))
        if (want > 0) {
          actions.push({
            type: 'reserve',
            amount: want,
            idempotencyKey: `visitors:run:${s.runId}:hold:${s.holdSeq}`,
          })
          s = { ...s, reserving: true, holdSeq: s.holdSeq + 1 }
        }
      } else {
        s = { ...s, creditsOut: true }
      }
      break
    case 'stop_requested':
      s = beginStop(s, obs.reason)
      break
  }
  if (s.phase === 'running') {
    const reached = limitReached(s, nowMs)
    if (reached) s = beginStop(s, reached)
  }
  s = housekeeping(s, actions)
  return { state: s, actions }
}
