import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { actionDetail, type CallItem, planCalls } from './autopilot.calls.ts'
import { type Action, sumRemaining } from './autopilot.core.ts'

const reason = { rule: 'r', text: 't', inputs: {} }
const run: Action = { kind: 'run', reason, correction: false }
const pause: Action = { kind: 'pause', reason, correction: false }
const budget: Action = { kind: 'patch', maxDailyMicros: 5_000_000, reason, correction: false }
const endTime: Action = { kind: 'patch', endTime: '2026-01-01 23:59:00', reason, correction: false }

const item = (id: string, ...actions: Action[]): CallItem<{ id: string }> => ({
  row: { id },
  decision: { actions },
})

/** A plan as `{pauses, patches, runs, deferred}` of campaign ids (patches as id:kind). */
function summary(items: CallItem<{ id: string }>[], calls: number) {
  const p = planCalls(items, calls)
  const patchName = (a: Action) => (a.kind === 'patch' && a.maxDailyMicros !== undefined ? 'budget' : 'end')
  return {
    pauses: p.pauses.map((c) => c.row.id),
    patches: p.patches.map((c) => `${c.row.id}:${patchName(c.action)}`),
    runs: p.runs.map((c) => c.row.id),
    deferred: [...p.deferred].sort(),
  }
}

describe('planCalls', () => {
  it.each<[string, CallItem<{ id: string }>[], number, ReturnType<typeof summary>]>([
    ['nothing to do', [item('a')], 10, { pauses: [], patches: [], runs: [], deferred: [] }],
    [
      'bulk run and pause whatever the number of campaigns',
      [item('a', run), item('b', run), item('c', pause)],
      2,
      { pauses: ['c'], patches: [], runs: ['a', 'b'], deferred: [] },
    ],
    [
      'PATCHes fill what the bulk calls leave',
      [item('a', endTime, run), item('b', budget)],
      3,
      { pauses: [], patches: ['b:budget', 'a:end'], runs: ['a'], deferred: [] },
    ],
    [
      'budget raises first, then end times of pausing campaigns, then of starting ones',
      [item('start', endTime, run), item('stop', pause, endTime), item('raise', budget)],
      4,
      { pauses: ['stop'], patches: ['raise:budget', 'stop:end'], runs: [], deferred: ['start'] },
    ],
    [
      'a start whose end-time PATCH does not fit is deferred whole (its run waits too)',
      [item('a', endTime, run), item('b', run)],
      1,
      { pauses: [], patches: [], runs: ['b'], deferred: ['a'] },
    ],
    [
      'a campaign with one of two PATCHes left out sends neither',
      [item('a', budget, endTime)],
      1,
      { pauses: [], patches: [], runs: [], deferred: ['a'] },
    ],
    [
      'a negative budget defers every PATCH but not the bulk calls',
      [item('a', pause), item('b', budget)],
      -5,
      { pauses: ['a'], patches: [], runs: [], deferred: ['b'] },
    ],
  ])('%s', (_name, items, calls, want) => {
    expect(summary(items, calls)).toEqual(want)
  })

  const anyAction = fc.constantFrom(run, pause, budget, endTime)
  const anyItems = fc
    .array(fc.array(anyAction, { maxLength: 3 }), { maxLength: 30 })
    .map((xs) => xs.map((actions, i) => item(`c${i}`, ...actions)))

  it('never plans more calls than the budget (when it covers the two bulk calls)', () => {
    fc.assert(
      fc.property(anyItems, fc.integer({ min: 2, max: 80 }), (items, calls) => {
        const p = planCalls(items, calls)
        const used = (p.pauses.length > 0 ? 1 : 0) + (p.runs.length > 0 ? 1 : 0) + p.patches.length
        expect(used).toBeLessThanOrEqual(calls)
      }),
    )
  })

  it('plans every action of a campaign or defers the campaign whole', () => {
    fc.assert(
      fc.property(anyItems, fc.integer({ min: -5, max: 80 }), (items, calls) => {
        const p = planCalls(items, calls)
        const planned = [...p.pauses, ...p.patches, ...p.runs]
        for (const t of items) {
          const mine = planned.filter((c) => c.row === t.row)
          if (p.deferred.has(t.row.id)) expect(mine).toEqual([])
          else expect(mine).toHaveLength(t.decision.actions.length)
        }
      }),
    )
  })

  it('defers only when PATCHes outnumber the calls left', () => {
    fc.assert(
      fc.property(anyItems, fc.integer({ min: 0, max: 80 }), (items, calls) => {
        const p = planCalls(items, calls)
        const all = items.flatMap((t) => t.decision.actions)
        const bulk =
          (all.some((a) => a.kind === 'pause') ? 1 : 0) + (all.some((a) => a.kind === 'run') ? 1 : 0)
        const patches = all.filter((a) => a.kind === 'patch').length
        if (patches <= calls - bulk) expect(p.deferred.size).toBe(0)
      }),
    )
  })
})

describe('actionDetail', () => {
  it.each<[Action, ReturnType<typeof actionDetail>]>([
    [run, {}],
    [pause, {}],
    [budget, { max_daily_micros: 5_000_000 }],
    [endTime, { end_time: '2026-01-01 23:59:00' }],
    [
      { kind: 'patch', maxDailyMicros: 0, endTime: '2026-01-01 23:59:00', reason, correction: true },
      { max_daily_micros: 0, end_time: '2026-01-01 23:59:00' },
    ],
  ])('%o → %o', (a, want) => {
    expect(actionDetail(a)).toEqual(want)
  })
})

describe('sumRemaining (the panel and the decisions)', () => {
  it.each([
    [[], 0],
    [[5000, 3000], 8000],
    [[5000, -200], 5000], // an over-delivered destination does not eat another's clicks
    [[-10, -20], 0],
    [[Number.NaN, 7], 7],
    [[Number.POSITIVE_INFINITY, 7], 7],
  ])('%o → %i', (remaining, want) => {
    expect(sumRemaining(remaining.map((r) => ({ remaining: r })))).toBe(want)
  })

  it('is never negative and never less than any one destination', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -100_000, max: 100_000 })), (xs) => {
        const sum = sumRemaining(xs.map((remaining) => ({ remaining })))
        expect(sum).toBeGreaterThanOrEqual(0)
        for (const x of xs) expect(sum).toBeGreaterThanOrEqual(x)
      }),
    )
  })
})
