/**
 * Property tests of the decisions against a small model of TrafficStars: random clicks,
 * spend, destinations added, lost and repeated calls, stale observations and restarts.
 * The scheduler's contract is modelled exactly: the state is persisted before the calls go
 * out, so a restart loses calls, never decisions.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Action,
  type AutopilotSettings,
  DEFAULT_SETTINGS,
  decide,
  initialState,
  type Observation,
  utcDay,
} from './autopilot.core.ts'

const USD = 1_000_000
const MIN = 60_000

interface World {
  status: 'running' | 'paused'
  maxDaily: number
  endTime: string | null
  spentDay: string
  spent: number
  dest: Map<string, number>
}

const step = fc.record({
  clicks: fc.integer({ min: 0, max: 4_000 }),
  spendUsdCents: fc.integer({ min: 0, max: 800 }),
  newDest: fc.option(fc.integer({ min: 0, max: 40_000 }), { freq: 8 }),
  /** the calls of this tick are lost (a restart right after persisting, or a failed call) */
  drop: fc.boolean(),
  /** the calls are sent twice (a retry whose first answer was lost) */
  dup: fc.boolean(),
  /** this tick sees the world as it was a tick ago */
  stale: fc.boolean(),
  /** spent is unknown this tick */
  spentUnknown: fc.boolean(),
})

const cfgArb = fc.record({
  price: fc.integer({ min: 100_000, max: 5 * USD }),
  cap: fc.integer({ min: 20 * USD, max: 300 * USD }),
  startMaxDaily: fc.integer({ min: 0, max: 60 * USD }),
  startMinute: fc.integer({ min: 0, max: 1439 }),
})

function apply(w: World, a: Action, now: number): void {
  if (a.kind === 'run') w.status = 'running'
  else if (a.kind === 'pause') w.status = 'paused'
  else {
    if (a.maxDailyMicros !== undefined) w.maxDaily = a.maxDailyMicros
    if (a.endTime !== undefined) w.endTime = a.endTime
  }
  void now
}

function observe(w: World, spentUnknown: boolean): Observation {
  return {
    campaign: { status: w.status, maxDailyMicros: w.maxDaily, endTime: w.endTime },
    spent: spentUnknown ? null : { micros: w.spent, source: 'report' },
    destinations: [...w.dest].map(([id, remaining]) => ({ id, remaining })),
  }
}

describe('autopilot decisions under random days', () => {
  it('never exceeds the cap, never budgets a destination twice a day, pauses within two ticks', () => {
    fc.assert(
      fc.property(cfgArb, fc.array(step, { minLength: 20, maxLength: 240 }), (c, steps) => {
        const settings: AutopilotSettings = {
          ...DEFAULT_SETTINGS,
          pricePer1000Micros: c.price,
          dailyBudgetCapMicros: c.cap,
        }
        let now = Date.UTC(2026, 10, 21, 0, c.startMinute)
        const w: World = {
          status: 'paused',
          maxDaily: c.startMaxDaily,
          endTime: null,
          spentDay: utcDay(now),
          spent: 0,
          dest: new Map([
            ['d0', 30_000],
            ['d1', 8_000],
          ]),
        }
        let state = initialState(now)
        let prevObs = observe(w, false)
        let lowRunningTicks = 0
        let lastDropped = false
        const budgetedOn = new Map<string, Set<string>>()
        let n = 2
        for (const s of steps) {
          // the world moves one minute
          if (utcDay(now) !== w.spentDay) {
            w.spentDay = utcDay(now)
            w.spent = 0
          }
          const live = w.status === 'running' && (w.endTime === null || w.endTime > tsNow(now))
          if (live && w.spent < w.maxDaily) {
            w.spent = Math.min(w.maxDaily, w.spent + s.spendUsdCents * 10_000)
            let left = s.clicks
            for (const [id, r] of w.dest) {
              const used = Math.min(r, left)
              w.dest.set(id, r - used)
              left -= used
            }
          }
          if (s.newDest !== null) w.dest.set(`d${n++}`, s.newDest)

          const current = observe(w, s.spentUnknown)
          const o = s.stale ? prevObs : current
          prevObs = current
          const d = decide(settings, state, o, now)
          state = d.state // persisted before any call goes out

          for (const e of d.events) {
            if (e.reason.rule !== 'budget_new_destinations' && e.reason.rule !== 'budget_pending_released')
              continue
            const day = budgetedOn.get(state.day) ?? new Set<string>()
            for (const dd of e.reason.inputs.destinations as Array<{ id: string }>) {
              expect(day.has(dd.id), `destination ${dd.id} budgeted twice on ${state.day}`).toBe(false)
              day.add(dd.id)
            }
            budgetedOn.set(state.day, day)
          }
          for (const a of d.actions) {
            if (a.kind === 'patch' && a.maxDailyMicros !== undefined) {
              expect(a.maxDailyMicros).toBeLessThanOrEqual(Math.max(c.cap, c.startMaxDaily))
            }
          }
          // a call may be lost, but not on two ticks in a row (then it is an outage, not a retry)
          const drop: boolean = s.drop && !lastDropped
          lastDropped = drop
          if (!drop) {
            for (const a of d.actions) apply(w, a, now)
            if (s.dup) for (const a of d.actions) apply(w, a, now)
          }
          expect(w.maxDaily).toBeLessThanOrEqual(Math.max(c.cap, c.startMaxDaily))

          const remaining = [...w.dest.values()].reduce((a, b) => a + b, 0)
          lowRunningTicks =
            w.status === 'running' && remaining <= settings.pauseAtClicks ? lowRunningTicks + 1 : 0
          // "more than two ticks" is the bound: a stale observation or a lost call costs one tick each
          expect(lowRunningTicks, 'running with ≤ 5,000 remaining clicks').toBeLessThanOrEqual(2)
          now += MIN
        }
      }),
      { numRuns: 300 },
    )
  })

  it('never throws for arbitrary observations', () => {
    const anyNum = fc.oneof(fc.double(), fc.integer(), fc.constant(Number.NaN), fc.constant(-1))
    fc.assert(
      fc.property(
        fc.record({
          status: fc.constantFrom('running' as const, 'paused' as const),
          maxDaily: fc.option(anyNum),
          endTime: fc.option(fc.string()),
          spent: fc.option(anyNum),
          dests: fc.array(fc.tuple(fc.string(), anyNum), { maxLength: 5 }),
          price: anyNum,
          now: fc.integer({ min: 0, max: 4_000_000_000_000 }),
        }),
        (r) => {
          const o: Observation = {
            campaign: { status: r.status, maxDailyMicros: r.maxDaily, endTime: r.endTime },
            spent: r.spent === null ? null : { micros: r.spent, source: 'report' },
            destinations: r.dests.map(([id, remaining]) => ({ id, remaining })),
          }
          const s = { ...DEFAULT_SETTINGS, pricePer1000Micros: r.price }
          let st = initialState(r.now)
          for (let i = 0; i < 4; i++) st = decide(s, st, o, r.now + i * MIN).state
          for (const a of decide(s, st, o, r.now + 5 * MIN).actions) {
            if (a.kind === 'patch' && a.maxDailyMicros !== undefined) {
              expect(Number.isSafeInteger(a.maxDailyMicros)).toBe(true)
              expect(a.maxDailyMicros).toBeGreaterThanOrEqual(0)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

const tsNow = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
