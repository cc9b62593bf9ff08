/**
 * The autopilot's decisions (rules: `autopilot/README.md`): a pure function of
 * (settings, state, observation, now) → (next state, actions, events). No I/O, no clock:
 * the scheduler (`autopilot.service.ts`) observes TrafficStars and the router, calls
 * {@link decide}, persists the state and performs the actions.
 *
 * Money is integer **micros of USD** everywhere; times are **ms since epoch (UTC)**; the
 * TrafficStars end time is the API's `YYYY-MM-DD HH:MM:SS` UTC string.
 *
 * The state holds the *desired* TrafficStars configuration (status, end time, an
 * unconfirmed daily-budget target). Every tick the desired values are compared with what
 * TrafficStars reports and the difference becomes actions — so a lost answer, a crash
 * between "decided" and "done", or a status changed by hand is corrected on the next tick,
 * and a budget raise re-sent after a crash sets the same absolute value (it cannot add twice).
 */

/** The states of the state machine (`autopilot/README.md`). */
export type Phase = 'IDLE' | 'WAITING' | 'CONDITION_ONE' | 'CONDITION_TWO'

/** Per-campaign thresholds; {@link DEFAULT_SETTINGS} holds the defaults. */
export interface AutopilotSettings {
  /** Minutes to wait after a pause before reading spent (default: 2). */
  waitMinutes: number
  /** What the TrafficStars campaign pays per 1,000 clicks, micros of USD. */
  pricePer1000Micros: number
  /** Spent below this → CONDITION_ONE, at or above → CONDITION_TWO (default: $10). */
  spentThresholdMicros: number
  /** CONDITION_ONE starts the campaign when remaining clicks are **above** this (default: 15,000). */
  startAboveClicks: number
  /** The campaign is paused when remaining clicks are **at or below** this (default: 5,000). */
  pauseAtClicks: number
  /** Daily budget at or above this is "high": new budgets queue as pending (default: $50). */
  highBudgetMicros: number
  /** Below the high-budget line, new destinations are budgeted this often (default: 10 min). */
  budgetIntervalMinutes: number
  /** Pending budgets are added when spent ≥ daily budget − this margin (default: $1). */
  thresholdMarginMicros: number
  /** The daily budget is never set above this, micros of USD. */
  dailyBudgetCapMicros: number
  /** At most this many starts per UTC day (guards against start/pause flapping). */
  maxCyclesPerDay: number
}

/** The defaults, with two guards: a $500 daily budget cap and 10 starts a day. */
export const DEFAULT_SETTINGS: Omit<AutopilotSettings, 'pricePer1000Micros'> = {
  waitMinutes: 2,
  spentThresholdMicros: 10_000_000,
  startAboveClicks: 15_000,
  pauseAtClicks: 5_000,
  highBudgetMicros: 50_000_000,
  budgetIntervalMinutes: 10,
  thresholdMarginMicros: 1_000_000,
  dailyBudgetCapMicros: 500_000_000,
  maxCyclesPerDay: 10,
}

/** What the autopilot wants TrafficStars to show. `null` = not enforced. */
export interface Desired {
  status: 'running' | 'paused' | null
  /** `YYYY-MM-DD HH:MM:SS` UTC. */
  endTime: string | null
  /** A daily budget we set that TrafficStars has not shown yet, micros; cleared once seen. */
  maxDailyMicros: number | null
}

/** The persisted machine state of one campaign (JSON-serialisable). */
export interface AutopilotState {
  phase: Phase
  /** UTC day (`YYYY-MM-DD`) the per-day fields below belong to. */
  day: string
  /** WAITING ends at this time, ms. */
  waitUntil: number | null
  desired: Desired
  /** Destinations budgeted today → micros added for each. Never budgeted twice a day. */
  budgeted: Record<string, number>
  /** High-budget mode: destinations whose budget waits → micros. */
  pending: Record<string, number>
  /** Last time destinations were budgeted below the high-budget line, ms. */
  lastBudgetAt: number | null
  /** Starts made today. */
  cycles: number
  /** Last known spent of `day` (the last resort of {@link resolveSpent}), micros. */
  spent: { micros: number; at: number } | null
  /** Repeated corrections of a mismatch: attempts so far and when the next may go out, ms. */
  correction: { attempts: number; nextAt: number } | null
  /** The current reason for holding back (e.g. `spent_unknown`), to log it once, not every tick. */
  problem: string | null
}

/** What one tick saw. */
export interface Observation {
  /** The TrafficStars campaign; null when it could not be read this tick. */
  campaign: {
    status: 'running' | 'paused'
    maxDailyMicros: number | null
    endTime: string | null
  } | null
  /** Today's spent (see {@link resolveSpent}); null = unknown. */
  spent: { micros: number; source: SpentSource } | null
  /** The router campaign's capped destinations and their remaining clicks (cap − delivered). */
  destinations: ReadonlyArray<{ id: string; remaining: number }>
}

export type SpentSource = 'campaign' | 'report' | 'stored'

/** Why an action or event happened: the rule and the inputs it read. */
export interface Reason {
  rule: string
  text: string
  inputs: Record<string, unknown>
}

/** A TrafficStars call the scheduler must make. `correction` marks a re-send after a mismatch. */
export type Action =
  | { kind: 'run'; reason: Reason; correction: boolean }
  | { kind: 'pause'; reason: Reason; correction: boolean }
  | {
      kind: 'patch'
      /** New daily budget, micros; absent = unchanged. */
      maxDailyMicros?: number
      /** New end time, `YYYY-MM-DD HH:MM:SS` UTC; absent = unchanged. */
      endTime?: string
      reason: Reason
      correction: boolean
    }

/** Something worth the audit log that is not a call: a transition, a hold, a refusal. */
export interface AuditEvent {
  kind: 'transition' | 'hold' | 'refused' | 'budget' | 'day_reset'
  reason: Reason
}

export interface Decision {
  state: AutopilotState
  actions: Action[]
  events: AuditEvent[]
}

const MINUTE = 60_000
const DAY = 86_400_000
/** Correction back-off: 1, 2, 4, … minutes, at most 30; then it keeps trying every 30 min. */
const MAX_BACKOFF_MIN = 30
/** A single destination's budget above $100,000 is treated as a data error, not money to spend. */
const ABSURD_MICROS = 100_000_000_000

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
/** `YYYY-MM-DD HH:MM:SS` UTC (seconds truncated). */
export const tsTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
/** 23:59:00 UTC of the day of `ms`, the end time a start sets. */
export const endOfDay = (ms: number): string => `${utcDay(ms)} 23:59:00`
const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY

/** The state of a campaign whose autopilot is off (or was just turned on). */
export function initialState(now: number): AutopilotState {
  return {
    phase: 'IDLE',
    day: utcDay(now),
    waitUntil: null,
    desired: { status: null, endTime: null, maxDailyMicros: null },
    budgeted: {},
    pending: {},
    lastBudgetAt: null,
    cycles: 0,
    spent: null,
    correction: null,
    problem: null,
  }
}

/**
 * Spent lookup (`autopilot/README.md`, "Spent"): (1) the campaign object's own `spent`
 * field, (2) the by-campaign report (a campaign missing from a report that answered has spent
 * 0 today), (3) the last value stored today. None → `null` (unknown), never 0.
 *
 * @param campaignField the raw `spent` value of the campaign object (USD, number or string), if any
 * @param report today's by-campaign report: `undefined` when the call failed, else micros per campaign
 * @param stored the state's last known spent, only used when it belongs to `today`
 */
export function resolveSpent(
  campaignField: unknown,
  report: ReadonlyMap<number, number> | undefined,
  tsCampaignId: number,
  stored: AutopilotState['spent'],
  storedDay: string,
  today: string,
): Observation['spent'] {
  const fromField = usdToMicros(campaignField)
  if (fromField !== undefined) return { micros: fromField, source: 'campaign' }
  if (report) return { micros: report.get(tsCampaignId) ?? 0, source: 'report' }
  if (stored && storedDay === today) return { micros: stored.micros, source: 'stored' }
  return null
}

/** A USD amount (number or decimal string) as micros; undefined when absent or not a sane amount. */
function usdToMicros(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN
  if (!Number.isFinite(n) || n < 0) return undefined
  const micros = Math.round(n * 1_000_000)
  return Number.isSafeInteger(micros) ? micros : undefined
}

/**
 * Budget for `remaining` clicks at `pricePer1000Micros`: price/1000 × remaining, rounded up
 * to a whole micro. Undefined for NaN, negative or absurd inputs (refused, never spent).
 */
export function requiredBudgetMicros(pricePer1000Micros: number, remaining: number): number | undefined {
  if (!Number.isSafeInteger(pricePer1000Micros) || pricePer1000Micros <= 0) return undefined
  if (!Number.isSafeInteger(remaining) || remaining < 0) return undefined
  const micros = Math.ceil((pricePer1000Micros * remaining) / 1000)
  if (!Number.isSafeInteger(micros) || micros > ABSURD_MICROS) return undefined
  return micros
}

/** The sum of remaining clicks over the campaign's capped destinations (negatives count as 0). */
export function totalRemaining(obs: Observation): number {
  return sumRemaining(obs.destinations)
}

/**
 * The sum of remaining clicks over capped destinations, as the decisions and the panel count
 * it: an over-delivered destination (negative remaining) or a non-finite value counts as 0,
 * so it cannot hide another destination's remaining clicks.
 */
export function sumRemaining(destinations: ReadonlyArray<{ remaining: number }>): number {
  let sum = 0
  for (const d of destinations) sum += Math.max(0, Number.isFinite(d.remaining) ? d.remaining : 0)
  return sum
}

/**
 * Turns the autopilot on: the machine leaves IDLE on the next tick (see {@link decide}).
 * Turning it off is `initialState(now)` — monitoring stops and nothing is sent to TrafficStars.
 */
export const enable = initialState

/**
 * One tick for one campaign. Never throws for any observation; amounts that are NaN, negative
 * or absurd are refused with a `refused` event.
 *
 * UTC-midnight rule: on the first tick whose UTC day differs from `state.day`, the per-day
 * tracking (budgeted and pending destinations, starts, stored spent) starts over and a running
 * machine goes to WAITING until 00:00 + wait minutes — the campaign's 23:59:00 end time has
 * stopped it, TrafficStars' daily spend has reset, and the new day begins like a pause.
 */
export function decide(
  settings: AutopilotSettings,
  state: AutopilotState,
  obs: Observation,
  now: number,
): Decision {
  const t = new Tick(settings, structuredClone(state), obs, now)
  t.run()
  return { state: t.s, actions: t.actions, events: t.events }
}

class Tick {
  actions: Action[] = []
  events: AuditEvent[] = []
  /** Set when the phase logic changed what it wants this tick. */
  private intentChanged = false
  private readonly remaining: number

  constructor(
    private readonly cfg: AutopilotSettings,
    public s: AutopilotState,
    private readonly obs: Observation,
    private readonly now: number,
  ) {
    this.remaining = totalRemaining(obs)
  }

  run(): void {
    this.rollover()
    if (this.s.phase !== 'IDLE' && this.obs.spent) {
      this.s.spent = { micros: this.obs.spent.micros, at: this.now }
    }
    const c = this.obs.campaign
    if (!c) {
      this.hold('no_observation', 'TrafficStars campaign could not be read; nothing is changed this tick')
      return
    }
    if (this.s.phase === 'IDLE') this.leaveIdle(c.status)
    if (this.s.phase === 'WAITING') this.waiting()
    if (this.s.phase === 'CONDITION_ONE') this.conditionOne()
    if (this.s.phase === 'CONDITION_TWO') this.conditionTwo()
    this.reconcile()
  }

  // -- per-day tracking -------------------------------------------------------------------

  private rollover(): void {
    const today = utcDay(this.now)
    if (this.s.day === today) return
    const from = this.s.day
    this.s.day = today
    this.s.budgeted = {}
    this.s.pending = {}
    this.s.lastBudgetAt = null
    this.s.cycles = 0
    this.s.spent = null
    this.events.push({
      kind: 'day_reset',
      reason: this.reason('utc_midnight', `new UTC day ${today}: per-day budgets, pending and starts reset`, {
        from,
      }),
    })
    if (this.s.phase === 'IDLE') return
    this.s.desired = { status: null, endTime: null, maxDailyMicros: null }
    this.s.correction = null
    this.goWaiting(dayStart(this.now) + this.cfg.waitMinutes * MINUTE, 'utc_midnight')
  }

  // -- phases ----------------------------------------------------------------------------

  /** Enable: adopt the real status, then wait for spent (immediately due). */
  private leaveIdle(status: 'running' | 'paused'): void {
    this.s.desired.status = status
    this.s.correction = null
    this.transition('WAITING', 'enabled', `enabled; TrafficStars shows ${status}`)
    this.s.waitUntil = this.now
  }

  private waiting(): void {
    // The pause rule holds while waiting too (e.g. after midnight or enable with a running campaign).
    if (this.s.desired.status !== 'paused' && this.pauseIfExhausted()) return
    if (this.s.waitUntil !== null && this.now < this.s.waitUntil) return
    const spent = this.obs.spent
    if (!spent) {
      this.hold('spent_unknown', 'wait is over but spent is unknown; no spend-dependent action')
      return
    }
    if (spent.micros < this.cfg.spentThresholdMicros)
      this.transition('CONDITION_ONE', 'spent_below_threshold', 'spent below threshold after wait')
    else this.transition('CONDITION_TWO', 'spent_at_threshold', 'spent at or above threshold after wait')
    this.s.waitUntil = null
  }

  private conditionOne(): void {
    const spent = this.obs.spent
    if (spent && spent.micros >= this.cfg.spentThresholdMicros) {
      this.transition('CONDITION_TWO', 'spent_reached_threshold', 'spent reached the threshold')
      return
    }
    if (this.pauseIfExhausted()) return
    if (this.s.desired.status === 'running' || this.remaining <= this.cfg.startAboveClicks) {
      this.clearProblem()
      return
    }
    if (!spent) {
      this.hold('spent_unknown', 'spent unknown: not starting')
      return
    }
    this.start('condition_one_start', `remaining ${this.remaining} > ${this.cfg.startAboveClicks}`)
  }

  private conditionTwo(): void {
    if (this.pauseIfExhausted()) return
    const spent = this.obs.spent
    if (!spent) {
      this.hold('spent_unknown', 'spent unknown: no budget change, no start')
      return
    }
    const base = this.currentBudget()
    const fresh = this.freshDestinations()
    if (base < this.cfg.highBudgetMicros) {
      const due =
        this.s.lastBudgetAt === null ||
        this.now - this.s.lastBudgetAt >= this.cfg.budgetIntervalMinutes * MINUTE
      if (due && fresh.length > 0) {
        this.raise(base, fresh, 'budget_new_destinations', 'budget for destinations not yet budgeted today')
        this.s.lastBudgetAt = this.now
      }
    } else {
      for (const d of fresh) this.s.pending[d.id] = d.micros
      if (fresh.length > 0) {
        this.events.push({
          kind: 'budget',
          reason: this.reason(
            'budget_queued',
            `daily budget ≥ high line: ${fresh.length} destination(s) pending`,
            {
              destinations: fresh,
              daily_budget_micros: base,
            },
          ),
        })
      }
      const pending = Object.entries(this.s.pending).map(([id, micros]) => ({ id, micros }))
      if (pending.length > 0 && spent.micros >= base - this.cfg.thresholdMarginMicros) {
        this.s.pending = {}
        this.raise(base, pending, 'budget_pending_released', 'spent reached daily budget − margin')
      }
    }
    const budget = this.currentBudget()
    if (this.s.desired.status === 'running') {
      this.clearProblem()
      return
    }
    if (this.remaining <= this.cfg.pauseAtClicks) {
      this.clearProblem()
      return
    }
    if (spent.micros >= budget) {
      this.hold('budget_spent', 'daily budget is spent: not starting')
      return
    }
    this.start('condition_two_start', `budgeted; remaining ${this.remaining} > ${this.cfg.pauseAtClicks}`)
  }

  // -- helpers for the phases ------------------------------------------------------------

  /** Pause rule for every active phase: running with ≤ pause-at remaining clicks. */
  private pauseIfExhausted(): boolean {
    const running = this.s.desired.status === 'running' || this.obs.campaign?.status === 'running'
    if (!running || this.remaining > this.cfg.pauseAtClicks) return false
    this.s.desired = { ...this.s.desired, status: 'paused', endTime: tsTime(this.now) }
    this.intentChanged = true
    this.goWaiting(this.now + this.cfg.waitMinutes * MINUTE, 'pause_remaining_low', {
      remaining: this.remaining,
      pause_at: this.cfg.pauseAtClicks,
    })
    return true
  }

  private start(rule: string, text: string): void {
    // A start after 23:59:00 UTC would set an end time in the past; the new day starts over.
    if (this.now >= dayStart(this.now) + DAY - MINUTE) {
      this.hold('day_over', 'after 23:59:00 UTC: not starting until the new day')
      return
    }
    if (this.s.cycles >= this.cfg.maxCyclesPerDay) {
      this.hold('cycle_cap', `start/pause cycle cap (${this.cfg.maxCyclesPerDay}/day) reached: not starting`)
      return
    }
    this.s.cycles++
    this.s.desired = { ...this.s.desired, status: 'running', endTime: endOfDay(this.now) }
    this.intentChanged = true
    this.clearProblem()
    this.events.push({
      kind: 'transition',
      reason: this.reason(rule, `start: ${text}`, { cycles: this.s.cycles }),
    })
  }

  /** The daily budget to build on: TrafficStars' value, or our unconfirmed raise if higher. */
  private currentBudget(): number {
    const seen = this.obs.campaign?.maxDailyMicros ?? 0
    return Math.max(Number.isSafeInteger(seen) && seen > 0 ? seen : 0, this.s.desired.maxDailyMicros ?? 0)
  }

  /** Destinations with clicks left that are neither budgeted nor pending today, with their budget. */
  private freshDestinations(): Array<{ id: string; micros: number; remaining: number }> {
    const out: Array<{ id: string; micros: number; remaining: number }> = []
    for (const d of this.obs.destinations) {
      if (d.remaining <= 0 || d.id in this.s.budgeted || d.id in this.s.pending) continue
      const micros = requiredBudgetMicros(this.cfg.pricePer1000Micros, d.remaining)
      if (micros === undefined) {
        this.events.push({
          kind: 'refused',
          reason: this.reason(
            'absurd_amount',
            'budget for a destination is NaN, negative or absurd: refused',
            {
              destination: d.id,
              remaining: d.remaining,
              price_per_1000_micros: this.cfg.pricePer1000Micros,
            },
          ),
        })
        continue
      }
      out.push({ id: d.id, micros, remaining: d.remaining })
    }
    return out
  }

  /** New daily budget = base + Σ items, clamped to the cap; marks the items budgeted. */
  private raise(
    base: number,
    items: Array<{ id: string; micros: number }>,
    rule: string,
    text: string,
  ): void {
    const sum = items.reduce((a, d) => a + d.micros, 0)
    for (const d of items) this.s.budgeted[d.id] = d.micros
    const cap = this.cfg.dailyBudgetCapMicros
    const target = Math.min(base + sum, cap)
    const inputs = { daily_budget_micros: base, added_micros: sum, destinations: items, cap_micros: cap }
    if (target <= base) {
      this.events.push({
        kind: 'refused',
        reason: this.reason('budget_cap', 'daily budget cap reached: no raise', inputs),
      })
      return
    }
    if (target < base + sum) {
      this.events.push({
        kind: 'budget',
        reason: this.reason('budget_cap', `raise clamped to the daily budget cap`, {
          ...inputs,
          target_micros: target,
        }),
      })
    }
    this.s.desired = { ...this.s.desired, maxDailyMicros: target }
    this.intentChanged = true
    this.events.push({
      kind: 'budget',
      reason: this.reason(rule, text, { ...inputs, target_micros: target }),
    })
  }

  private goWaiting(until: number, rule: string, inputs: Record<string, unknown> = {}): void {
    this.transition('WAITING', rule, `waiting until ${new Date(until).toISOString()}`, inputs)
    this.s.waitUntil = until
  }

  private transition(to: Phase, rule: string, text: string, inputs: Record<string, unknown> = {}): void {
    const from = this.s.phase
    this.s.phase = to
    this.clearProblem()
    this.events.push({ kind: 'transition', reason: this.reason(rule, `${from} → ${to}: ${text}`, inputs) })
  }

  private hold(problem: string, text: string): void {
    if (this.s.problem === problem) return
    this.s.problem = problem
    this.events.push({ kind: 'hold', reason: this.reason(problem, text, {}) })
  }

  private clearProblem(): void {
    this.s.problem = null
  }

  private reason(rule: string, text: string, inputs: Record<string, unknown>): Reason {
    const c = this.obs.campaign
    return {
      rule,
      text,
      inputs: {
        phase: this.s.phase,
        remaining: this.remaining,
        spent_micros: this.obs.spent?.micros ?? null,
        spent_source: this.obs.spent?.source ?? null,
        status: c?.status ?? null,
        daily_budget_micros: c?.maxDailyMicros ?? null,
        ...inputs,
      },
    }
  }

  // -- desired vs observed ---------------------------------------------------------------

  /**
   * Compares the desired configuration with the observation and emits the calls that close
   * the gap. A gap that survives its call is re-sent with back-off (1, 2, 4 … 30 min).
   */
  private reconcile(): void {
    const c = this.obs.campaign
    if (!c) return
    const d = this.s.desired
    if (d.maxDailyMicros !== null && c.maxDailyMicros !== null && c.maxDailyMicros >= d.maxDailyMicros) {
      d.maxDailyMicros = null
    }
    const status = d.status !== null && c.status !== d.status ? d.status : undefined
    const endTime = d.endTime !== null && c.endTime !== d.endTime ? d.endTime : undefined
    const maxDaily = d.maxDailyMicros ?? undefined
    if (status === undefined && endTime === undefined && maxDaily === undefined) {
      this.s.correction = null
      return
    }
    if (this.intentChanged) this.s.correction = null
    const corr = this.s.correction
    if (corr && this.now < corr.nextAt) return
    const attempts = (corr?.attempts ?? 0) + 1
    const correction = attempts > 1
    this.s.correction = {
      attempts,
      nextAt: this.now + Math.min(MAX_BACKOFF_MIN, 2 ** (attempts - 1)) * MINUTE,
    }
    const why = (rule: string, text: string): Reason =>
      this.reason(correction ? `correct_${rule}` : rule, text, {
        attempt: attempts,
        desired: { ...d },
        observed: { status: c.status, end_time: c.endTime, max_daily_micros: c.maxDailyMicros },
      })
    // Pause first (stops spend soonest), then the PATCH, then run (after its end time is set).
    if (status === 'paused') this.actions.push({ kind: 'pause', reason: why('pause', 'pause'), correction })
    if (endTime !== undefined || maxDaily !== undefined) {
      this.actions.push({
        kind: 'patch',
        ...(maxDaily !== undefined ? { maxDailyMicros: maxDaily } : {}),
        ...(endTime !== undefined ? { endTime } : {}),
        reason: why(
          'patch',
          [maxDaily !== undefined ? 'daily budget' : '', endTime ? 'end time' : '']
            .filter(Boolean)
            .join(' + '),
        ),
        correction,
      })
    }
    if (status === 'running') this.actions.push({ kind: 'run', reason: why('run', 'run'), correction })
  }
}

/**
 * When a tick's calls could not all be made (the rate limit bound), the scheduler hands the
 * state back here: the mismatch stays, and the next tick re-sends without counting an attempt.
 */
export function deferred(state: AutopilotState, now: number): AutopilotState {
  const c = state.correction
  return { ...state, correction: c ? { attempts: Math.max(0, c.attempts - 1), nextAt: now } : null }
}
