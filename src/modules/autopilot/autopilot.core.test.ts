import { describe, expect, it } from 'vitest'
import {
  type Action,
  type AutopilotSettings,
  type AutopilotState,
  DEFAULT_SETTINGS,
  decide,
  deferred,
  endOfDay,
  initialState,
  type Observation,
  requiredBudgetMicros,
  resolveSpent,
} from './autopilot.core.ts'

const USD = 1_000_000
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 21, 10, 0, 0)
const settings: AutopilotSettings = { ...DEFAULT_SETTINGS, pricePer1000Micros: 2 * USD }

function obs(o: {
  status?: 'running' | 'paused'
  maxDaily?: number | null
  endTime?: string | null
  spent?: number | null
  dest?: Record<string, number>
  campaign?: null
}): Observation {
  return {
    campaign:
      o.campaign === null
        ? null
        : { status: o.status ?? 'paused', maxDailyMicros: o.maxDaily ?? 5 * USD, endTime: o.endTime ?? null },
    spent:
      o.spent === null || o.spent === undefined
        ? o.spent === null
          ? null
          : { micros: 0, source: 'report' }
        : { micros: o.spent, source: 'report' },
    destinations: Object.entries(o.dest ?? { a: 20_000 }).map(([id, remaining]) => ({ id, remaining })),
  }
}

function state(p: Partial<AutopilotState>, now = T0): AutopilotState {
  return { ...initialState(now), ...p }
}

const kinds = (a: Action[]) =>
  a.map((x) => (x.kind === 'patch' ? `patch(${x.maxDailyMicros ?? '-'},${x.endTime ?? '-'})` : x.kind))

describe('decide: enabling (IDLE)', () => {
  it('adopts the real status, waits for spent (due now) and runs condition one in the same tick', () => {
    const d = decide(settings, initialState(T0), obs({ spent: 5 * USD, dest: { a: 20_000 } }), T0)
    expect(d.state.phase).toBe('CONDITION_ONE')
    expect(kinds(d.actions)).toEqual(['patch(-,2026-11-21 23:59:00)', 'run'])
    expect(d.state.cycles).toBe(1)
  })
  it('with spent unknown it waits and says so once', () => {
    const d = decide(settings, initialState(T0), obs({ spent: null }), T0)
    expect(d.state.phase).toBe('WAITING')
    expect(d.actions).toEqual([])
    expect(d.events.filter((e) => e.kind === 'hold').map((e) => e.reason.rule)).toEqual(['spent_unknown'])
    const again = decide(settings, d.state, obs({ spent: null }), T0 + MIN)
    expect(again.events).toEqual([])
  })
  it('a running campaign with few clicks left is paused at once', () => {
    const d = decide(
      settings,
      initialState(T0),
      obs({ status: 'running', spent: 1 * USD, dest: { a: 5_000 } }),
      T0,
    )
    expect(d.state.phase).toBe('WAITING')
    expect(kinds(d.actions)).toEqual(['pause', 'patch(-,2026-11-21 10:00:00)'])
  })
})

describe('decide: WAITING → condition by spent (boundary $10)', () => {
  const waiting = state({
    phase: 'WAITING',
    waitUntil: T0,
    desired: { status: 'paused', endTime: null, maxDailyMicros: null },
  })
  it.each([
    [9_999_999, 'CONDITION_ONE'],
    [10 * USD, 'CONDITION_TWO'],
    [10 * USD + 1, 'CONDITION_TWO'],
    [0, 'CONDITION_ONE'],
  ])('spent %i micros → %s', (spent, phase) => {
    expect(decide(settings, waiting, obs({ spent, dest: { a: 1_000 } }), T0).state.phase).toBe(phase)
  })
  it('does nothing before the wait is over (one minute short)', () => {
    const w = { ...waiting, waitUntil: T0 + 2 * MIN }
    const d = decide(settings, w, obs({ spent: 1 * USD }), T0 + MIN)
    expect(d.state.phase).toBe('WAITING')
    expect(d.actions).toEqual([])
  })
  it('resumes exactly at the end of the wait', () => {
    const w = { ...waiting, waitUntil: T0 + 2 * MIN }
    expect(decide(settings, w, obs({ spent: 1 * USD }), T0 + 2 * MIN).state.phase).toBe('CONDITION_ONE')
  })
})

describe('decide: CONDITION_ONE thresholds (15,000 / 5,000)', () => {
  const one = (status: 'running' | 'paused') =>
    state({ phase: 'CONDITION_ONE', desired: { status, endTime: null, maxDailyMicros: null } })
  it.each([
    ['paused', 15_000, []],
    ['paused', 15_001, ['patch(-,2026-11-21 23:59:00)', 'run']],
    ['paused', 5_000, []],
    ['running', 5_001, []],
    ['running', 5_000, ['pause', 'patch(-,2026-11-21 10:00:00)']],
    ['running', 0, ['pause', 'patch(-,2026-11-21 10:00:00)']],
  ] as const)('%s with %i remaining → %j', (status, remaining, expected) => {
    const d = decide(settings, one(status), obs({ status, spent: 1 * USD, dest: { a: remaining } }), T0)
    expect(kinds(d.actions)).toEqual(expected)
  })
  it('remaining is the sum over destinations', () => {
    const d = decide(settings, one('paused'), obs({ spent: 0, dest: { a: 7_000, b: 8_001 } }), T0)
    expect(kinds(d.actions)).toContain('run')
  })
  it('a pause waits the wait minutes, then reads spent again', () => {
    const d = decide(
      settings,
      one('running'),
      obs({ status: 'running', spent: 1 * USD, dest: { a: 4_000 } }),
      T0,
    )
    expect(d.state.phase).toBe('WAITING')
    expect(d.state.waitUntil).toBe(T0 + 2 * MIN)
  })
  it('spent reaching $10 moves to condition two in the same tick', () => {
    const d = decide(
      settings,
      one('running'),
      obs({ status: 'running', spent: 10 * USD, dest: { a: 20_000 } }),
      T0,
    )
    expect(d.state.phase).toBe('CONDITION_TWO')
    expect(kinds(d.actions)).toEqual(['patch(45000000,-)'])
  })
  it('does not start with spent unknown, but still pauses', () => {
    expect(decide(settings, one('paused'), obs({ spent: null, dest: { a: 20_000 } }), T0).actions).toEqual([])
    const p = decide(settings, one('running'), obs({ status: 'running', spent: null, dest: { a: 10 } }), T0)
    expect(kinds(p.actions)[0]).toBe('pause')
  })
  it('the start/pause cycle cap holds starts for the rest of the day', () => {
    const capped = { ...one('paused'), cycles: settings.maxCyclesPerDay }
    const d = decide(settings, capped, obs({ spent: 0, dest: { a: 50_000 } }), T0)
    expect(d.actions).toEqual([])
    expect(d.events.map((e) => e.reason.rule)).toContain('cycle_cap')
  })
  it('end time is 23:59:00 UTC of today; no start after 23:59:00', () => {
    const late = Date.UTC(2026, 10, 21, 23, 58, 59)
    const d = decide(settings, one('paused'), obs({ spent: 0, dest: { a: 50_000 } }), late)
    expect(kinds(d.actions)).toEqual(['patch(-,2026-11-21 23:59:00)', 'run'])
    const tooLate = Date.UTC(2026, 10, 21, 23, 59, 0)
    const d2 = decide(
      settings,
      { ...one('paused'), day: '2026-11-21' },
      obs({ spent: 0, dest: { a: 50_000 } }),
      tooLate,
    )
    expect(d2.actions).toEqual([])
    expect(d2.events.map((e) => e.reason.rule)).toContain('day_over')
  })
})

describe('decide: CONDITION_TWO budgets', () => {
  const two = (p: Partial<AutopilotState> = {}) =>
    state({
      phase: 'CONDITION_TWO',
      desired: { status: 'paused', endTime: null, maxDailyMicros: null },
      ...p,
    })

  it('adds price/1000 × remaining per destination to the current daily budget, then starts', () => {
    const d = decide(
      settings,
      two(),
      obs({ spent: 12 * USD, maxDaily: 15 * USD, dest: { a: 10_000, b: 2_500 } }),
      T0,
    )
    // $2 per 1000: a → $20, b → $5; 15 + 25 = 40
    expect(kinds(d.actions)).toEqual(['patch(40000000,2026-11-21 23:59:00)', 'run'])
    expect(d.state.budgeted).toEqual({ a: 20 * USD, b: 5 * USD })
  })
  it('never budgets a destination twice in a day', () => {
    const s = two({ budgeted: { a: 20 * USD }, lastBudgetAt: T0 - 60 * MIN })
    const d = decide(settings, s, obs({ spent: 12 * USD, maxDaily: 40 * USD, dest: { a: 10_000 } }), T0)
    expect(d.actions.filter((a) => a.kind === 'patch' && a.maxDailyMicros)).toEqual([])
  })
  it('below $50: new destinations wait for the 10-minute mark', () => {
    const s = two({
      budgeted: { a: 20 * USD },
      lastBudgetAt: T0 - 9 * MIN,
      desired: { status: 'running', endTime: endOfDay(T0), maxDailyMicros: null },
    })
    const o = obs({
      status: 'running',
      endTime: endOfDay(T0),
      spent: 12 * USD,
      maxDaily: 40 * USD,
      dest: { a: 10_000, n: 1_000 },
    })
    expect(decide(settings, s, o, T0).actions).toEqual([])
    const later = decide(settings, { ...s, lastBudgetAt: T0 - 10 * MIN }, o, T0)
    expect(kinds(later.actions)).toEqual(['patch(42000000,-)'])
  })
  it('at $50 exactly: new destinations queue as pending', () => {
    const s = two({
      budgeted: { a: 1 },
      desired: { status: 'running', endTime: endOfDay(T0), maxDailyMicros: null },
    })
    const o = obs({
      status: 'running',
      endTime: endOfDay(T0),
      spent: 20 * USD,
      maxDaily: 50 * USD,
      dest: { a: 10_000, n: 5_000 },
    })
    const d = decide(settings, s, o, T0)
    expect(d.actions).toEqual([])
    expect(d.state.pending).toEqual({ n: 10 * USD })
  })
  it.each([
    [49 * USD - 1, false],
    [49 * USD, true],
    [50 * USD, true],
  ])('pending is released when spent %i ≥ budget − $1 → %s', (spent, released) => {
    const s = two({
      budgeted: { a: 1 },
      pending: { n: 10 * USD },
      desired: { status: 'running', endTime: endOfDay(T0), maxDailyMicros: null },
    })
    const o = obs({
      status: 'running',
      endTime: endOfDay(T0),
      spent,
      maxDaily: 50 * USD,
      dest: { a: 10_000, n: 5_000 },
    })
    const d = decide(settings, s, o, T0)
    expect(kinds(d.actions)).toEqual(released ? ['patch(60000000,-)'] : [])
    expect(Object.keys(d.state.pending)).toEqual(released ? [] : ['n'])
  })
  it('the daily budget cap is never exceeded: clamped, then refused', () => {
    const capped = { ...settings, dailyBudgetCapMicros: 30 * USD }
    const d = decide(capped, two(), obs({ spent: 12 * USD, maxDaily: 15 * USD, dest: { a: 10_000 } }), T0)
    expect(kinds(d.actions)[0]).toBe('patch(30000000,2026-11-21 23:59:00)')
    const full = decide(capped, two(), obs({ spent: 12 * USD, maxDaily: 30 * USD, dest: { a: 10_000 } }), T0)
    expect(full.actions.some((a) => a.kind === 'patch' && a.maxDailyMicros !== undefined)).toBe(false)
    expect(full.events.map((e) => e.reason.rule)).toContain('budget_cap')
  })
  it('refuses NaN, negative and absurd amounts', () => {
    for (const remaining of [Number.NaN, -5, 1e15]) {
      const d = decide(settings, two(), obs({ spent: 12 * USD, dest: { a: remaining } }), T0)
      expect(d.state.budgeted).toEqual({})
      if (remaining > 0) expect(d.events.map((e) => e.kind)).toContain('refused')
    }
    const noPrice = decide(
      { ...settings, pricePer1000Micros: 0 },
      two(),
      obs({ spent: 12 * USD, dest: { a: 9_000 } }),
      T0,
    )
    expect(noPrice.events.map((e) => e.reason.rule)).toContain('absurd_amount')
  })
  it('spent unknown: no budget change and no start', () => {
    const d = decide(settings, two(), obs({ spent: null, dest: { a: 10_000 } }), T0)
    expect(d.actions).toEqual([])
  })
  it('builds on an unconfirmed raise instead of the stale value TrafficStars shows', () => {
    const s = two({
      budgeted: { a: 20 * USD },
      lastBudgetAt: T0 - 11 * MIN,
      desired: { status: 'running', endTime: endOfDay(T0), maxDailyMicros: 25 * USD },
    })
    const o = obs({
      status: 'running',
      endTime: endOfDay(T0),
      spent: 12 * USD,
      maxDaily: 5 * USD,
      dest: { a: 10_000, n: 1_000 },
    })
    expect(kinds(decide(settings, s, o, T0).actions)).toEqual(['patch(27000000,-)'])
  })
})

describe('decide: UTC midnight', () => {
  it('resets per-day tracking and waits until 00:00 + wait minutes', () => {
    const midnight = Date.UTC(2026, 10, 22, 0, 0, 0)
    const s = state({
      phase: 'CONDITION_TWO',
      budgeted: { a: 1 },
      pending: { b: 2 },
      cycles: 3,
      desired: { status: 'running', endTime: '2026-11-21 23:59:00', maxDailyMicros: null },
    })
    const d = decide(settings, s, obs({ status: 'running', spent: 0, dest: { a: 50_000 } }), midnight)
    expect(d.state).toMatchObject({
      day: '2026-11-22',
      phase: 'WAITING',
      budgeted: {},
      pending: {},
      cycles: 0,
    })
    expect(d.state.waitUntil).toBe(midnight + 2 * MIN)
    expect(d.actions).toEqual([])
    const after = decide(
      settings,
      d.state,
      obs({ status: 'running', endTime: '2026-11-21 23:59:00', spent: 0, dest: { a: 50_000 } }),
      midnight + 2 * MIN,
    )
    expect(after.state.phase).toBe('CONDITION_ONE')
    expect(kinds(after.actions)).toEqual(['patch(-,2026-11-22 23:59:00)'])
  })
  it('one millisecond before midnight is still the old day', () => {
    const s = state({ phase: 'CONDITION_ONE', day: '2026-11-21' })
    const d = decide(settings, s, obs({ spent: 0, dest: { a: 1 } }), Date.UTC(2026, 10, 21, 23, 59, 59, 999))
    expect(d.state.day).toBe('2026-11-21')
  })
})

describe('decide: status verification', () => {
  const running = state({
    phase: 'CONDITION_ONE',
    desired: { status: 'running', endTime: endOfDay(T0), maxDailyMicros: null },
  })
  it('re-runs a campaign found paused, with back-off on repeated failures', () => {
    const o = obs({ status: 'paused', endTime: endOfDay(T0), spent: 1 * USD, dest: { a: 10_000 } })
    let s = running
    const sent: number[] = []
    for (let m = 0; m < 16; m++) {
      const d = decide(settings, s, o, T0 + m * MIN)
      if (d.actions.length > 0) {
        expect(d.actions.map((a) => a.kind)).toEqual(['run'])
        sent.push(m)
      }
      s = d.state
    }
    expect(sent).toEqual([0, 1, 3, 7, 15])
  })
  it('a matching observation clears the correction', () => {
    const o = obs({ status: 'running', endTime: endOfDay(T0), spent: 1 * USD, dest: { a: 10_000 } })
    const d = decide(settings, { ...running, correction: { attempts: 3, nextAt: T0 + 99 * MIN } }, o, T0)
    expect(d.state.correction).toBeNull()
  })
  it('re-pauses a campaign started by hand while paused', () => {
    const paused = state({
      phase: 'CONDITION_ONE',
      desired: { status: 'paused', endTime: '2026-11-21 09:00:00', maxDailyMicros: null },
    })
    const d = decide(
      settings,
      paused,
      obs({ status: 'running', endTime: '2026-11-21 09:00:00', spent: 0, dest: { a: 10_000 } }),
      T0,
    )
    expect(kinds(d.actions)).toEqual(['pause'])
  })
  it('an unreadable campaign changes nothing', () => {
    const d = decide(settings, running, obs({ campaign: null }), T0)
    expect(d.actions).toEqual([])
    expect(d.state.phase).toBe('CONDITION_ONE')
  })
  it('deferred(): the next tick re-sends without counting an attempt', () => {
    const o = obs({ status: 'paused', endTime: endOfDay(T0), spent: 1 * USD, dest: { a: 10_000 } })
    const d = decide(settings, running, o, T0)
    const again = decide(settings, deferred(d.state, T0), o, T0 + MIN)
    expect(again.actions[0]?.correction).toBe(false)
  })
})

describe('resolveSpent (lookup order, unknown instead of 0)', () => {
  const report = new Map([[7, 3 * USD]])
  const stored = { micros: 4 * USD, at: T0 }
  it.each([
    ['campaign field first', '1.5', report, stored, { micros: 1_500_000, source: 'campaign' }],
    ['then the report', undefined, report, stored, { micros: 3 * USD, source: 'report' }],
    ['report without the campaign = 0', undefined, new Map(), stored, { micros: 0, source: 'report' }],
    ['then the stored value', undefined, undefined, stored, { micros: 4 * USD, source: 'stored' }],
    ['nothing → unknown', undefined, undefined, null, null],
    ['a garbage field is skipped', 'abc', undefined, null, null],
  ] as const)('%s', (_n, field, rep, st, expected) => {
    expect(resolveSpent(field, rep, 7, st, '2026-11-21', '2026-11-21')).toEqual(expected)
  })
  it('a stored value of another day is not used', () => {
    expect(resolveSpent(undefined, undefined, 7, stored, '2026-11-20', '2026-11-21')).toBeNull()
  })
})

describe('requiredBudgetMicros', () => {
  it.each([
    [2 * USD, 10_000, 20 * USD],
    [1_500_000, 1, 1_500],
    [1, 1, 1],
    [0, 1000, undefined],
    [2 * USD, -1, undefined],
    [Number.NaN, 10, undefined],
    [2 * USD, 1e14, undefined],
  ])('price %d × %d clicks → %s', (price, clicks, expected) => {
    expect(requiredBudgetMicros(price, clicks)).toBe(expected)
  })
})
