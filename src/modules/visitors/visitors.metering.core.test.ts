import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  dayIn,
  initMeter,
  type MeterAction,
  type MeterLimits,
  type MeterObservation,
  type MeterState,
  meter,
  statusAfter,
} from './visitors.metering.core.ts'

const T0 = Date.parse('2026-03-10T12:00:00Z')
const limits = (l: Partial<MeterLimits> = {}): MeterLimits => ({
  dailyLimit: 0,
  totalTarget: 0,
  expiresAtMs: null,
  timezone: 'UTC',
  ...l,
})
const fresh = (l: Partial<MeterLimits> = {}, blockSize = 10, extra: Partial<MeterState> = {}) => ({
  ...initMeter({ runId: 'r1', limits: limits(l), blockSize, visitsDone: 0, dayVisits: 0, nowMs: T0 }),
  ...extra,
})

/** Applies observations in order, collecting actions. */
function apply(s: MeterState, obs: MeterObservation[], now = T0) {
  const actions: MeterAction[] = []
  for (const o of obs) {
    const r = meter(s, o, now)
    s = r.state
    actions.push(...r.actions)
  }
  return { state: s, actions }
}

describe('dayIn', () => {
  it.each([
    ['UTC', '2026-03-10T23:30:00Z', '2026-03-10'],
    ['Europe/Berlin', '2026-03-10T23:30:00Z', '2026-03-11'],
    ['America/Los_Angeles', '2026-03-10T05:00:00Z', '2026-03-09'],
    ['Asia/Kolkata', '2026-03-10T18:29:59Z', '2026-03-10'],
    ['Asia/Kolkata', '2026-03-10T18:30:00Z', '2026-03-11'],
    // DST start in Berlin (2026-03-29 02:00 → 03:00): still the same day.
    ['Europe/Berlin', '2026-03-29T01:30:00Z', '2026-03-29'],
  ])('%s at %s is %s', (tz, at, day) => {
    expect(dayIn(tz, Date.parse(at))).toBe(day)
  })
  it('refuses an unknown zone', () => {
    expect(() => dayIn('Mars/Olympus', T0)).toThrow(RangeError)
  })
})

describe('meter (table)', () => {
  it('the first tick reserves a block; a start waits for it (refused no_credit before)', () => {
    let r = meter(fresh(), { type: 'tick' }, T0)
    expect(r.actions).toEqual([{ type: 'reserve', amount: 10, idempotencyKey: 'visitors:run:r1:hold:0' }])
    r = meter(r.state, { type: 'start_requested', visitId: 'v1' }, T0)
    expect(r.actions).toEqual([{ type: 'refuse', visitId: 'v1', reason: 'no_credit' }])
    r = apply(r.state, [
      { type: 'reserved', holdId: 'h1', amount: 10 },
      { type: 'start_requested', visitId: 'v2' },
    ])
    expect(r.actions).toEqual([{ type: 'start', visitId: 'v2', holdId: 'h1' }])
    expect(r.state.inFlight).toBe(1)
  })

  it('an answered visit is committed with its visit key; a failed one returns its credit', () => {
    const s = apply(fresh(), [
      { type: 'tick' },
      { type: 'reserved', holdId: 'h1', amount: 10 },
      { type: 'start_requested', visitId: 'a' },
      { type: 'start_requested', visitId: 'b' },
    ]).state
    const r = apply(s, [
      { type: 'visit_settled', visitId: 'a', holdId: 'h1', charged: true },
      { type: 'visit_settled', visitId: 'b', holdId: 'h1', charged: false },
    ])
    expect(r.actions).toEqual([{ type: 'commit', visitId: 'a', holdId: 'h1', idempotencyKey: 'visit:a' }])
    expect(r.state.holds).toEqual([{ id: 'h1', left: 9, outstanding: 1 }])
    const c = apply(r.state, [
      { type: 'committed', visitId: 'a', holdId: 'h1' },
      { type: 'committed', visitId: 'a', holdId: 'h1' }, // a replayed confirmation changes nothing
    ])
    expect(c.state.visitsDone).toBe(1)
    expect(c.state.dayVisits).toBe(1)
    expect(c.state.committing).toBe(0)
  })

  it('tops up below half a block, asking only what the total target still allows', () => {
    const s = apply(fresh({ totalTarget: 13 }, 10), [{ type: 'tick' }]).state
    let r = apply(s, [
      { type: 'reserved', holdId: 'h1', amount: 10 },
      ...['1', '2', '3', '4', '5', '6'].map((v) => ({ type: 'start_requested', visitId: v }) as const),
    ])
    expect(r.actions.filter((a) => a.type === 'reserve')).toEqual([
      { type: 'reserve', amount: 3, idempotencyKey: 'visitors:run:r1:hold:1' },
    ])
    r = apply(r.state, [{ type: 'reserved', holdId: 'h2', amount: 3 }])
    expect(r.state.holds.map((h) => h.left)).toEqual([4, 3])
  })

  it('never starts past the total target, counting visits in flight', () => {
    let s = apply(fresh({ totalTarget: 2 }), [
      { type: 'tick' },
      { type: 'reserved', holdId: 'h1', amount: 2 },
    ]).state
    const r = apply(s, [
      { type: 'start_requested', visitId: 'a' },
      { type: 'start_requested', visitId: 'b' },
      { type: 'start_requested', visitId: 'c' },
    ])
    expect(r.actions.map((a) => a.type)).toEqual(['start', 'start', 'refuse'])
    s = apply(r.state, [
      { type: 'visit_settled', visitId: 'a', holdId: 'h1', charged: true },
      { type: 'visit_settled', visitId: 'b', holdId: 'h1', charged: true },
      { type: 'committed', visitId: 'a', holdId: 'h1' },
    ]).state
    const done = apply(s, [{ type: 'committed', visitId: 'b', holdId: 'h1' }])
    expect(done.actions).toEqual([
      { type: 'release', holdId: 'h1' },
      { type: 'finish', reason: 'total_reached' },
    ])
    expect(done.state.phase).toBe('done')
    expect(statusAfter('total_reached')).toBe('completed')
  })

  it('credits out: a smaller reserve for what is left, then pause when none is left', () => {
    let r = apply(fresh({}, 10), [{ type: 'tick' }, { type: 'reserve_failed', available: 3 }])
    expect(r.actions.at(-1)).toEqual({ type: 'reserve', amount: 3, idempotencyKey: 'visitors:run:r1:hold:1' })
    r = apply(r.state, [
      { type: 'reserved', holdId: 'h1', amount: 3 },
      { type: 'reserve_failed', available: 0 }, // the top-up after the first start
    ])
    r = apply(r.state, [
      { type: 'start_requested', visitId: 'a' },
      { type: 'start_requested', visitId: 'b' },
      { type: 'start_requested', visitId: 'c' },
    ])
    expect(r.state.phase).toBe('draining')
    expect(r.state.reason).toBe('credits_exhausted')
    r = apply(
      r.state,
      ['a', 'b', 'c'].map(
        (v) => ({ type: 'visit_settled', visitId: v, holdId: 'h1', charged: true }) as const,
      ),
    )
    r = apply(
      r.state,
      ['a', 'b', 'c'].map((v) => ({ type: 'committed', visitId: v, holdId: 'h1' }) as const),
    )
    expect(r.actions.slice(-2)).toEqual([
      { type: 'release', holdId: 'h1' },
      { type: 'finish', reason: 'credits_exhausted' },
    ])
    expect(statusAfter('credits_exhausted')).toBe('paused')
  })

  it('daily limit in the project zone: stops at the limit; the next day starts from 0', () => {
    const tz = 'Europe/Berlin'
    const s = {
      ...initMeter({
        runId: 'r',
        limits: limits({ dailyLimit: 5, timezone: tz }),
        blockSize: 10,
        visitsDone: 0,
        dayVisits: 5,
        nowMs: T0,
      }),
    }
    const r = meter(s, { type: 'tick' }, T0)
    expect(r.actions).toEqual([{ type: 'finish', reason: 'daily_limit' }])
    const tomorrow = Date.parse('2026-03-10T23:30:00Z') // 00:30 in Berlin
    const t = meter(s, { type: 'tick' }, tomorrow)
    expect(t.state.day).toBe('2026-03-11')
    expect(t.state.dayVisits).toBe(0)
    expect(t.actions[0]?.type).toBe('reserve')
  })

  it('a duplicate confirmation of one commit changes nothing (found by the property: seed 1969603514)', () => {
    const s = apply(fresh(), [
      { type: 'tick' },
      { type: 'reserved', holdId: 'h1', amount: 3 },
      { type: 'start_requested', visitId: 'a' },
      { type: 'visit_settled', visitId: 'a', holdId: 'h1', charged: true },
      { type: 'start_requested', visitId: 'b' },
      { type: 'committed', visitId: 'a', holdId: 'h1' },
      { type: 'visit_settled', visitId: 'b', holdId: 'h1', charged: true },
    ]).state
    const again = apply(s, [{ type: 'committed', visitId: 'a', holdId: 'h1' }]).state
    expect(again).toEqual(s)
    expect(again.committing).toBe(1)
    expect(apply(again, [{ type: 'committed', visitId: 'b', holdId: 'h1' }]).state.visitsDone).toBe(2)
  })

  it('expiry completes the run; a stop request drains the visits in flight first', () => {
    expect(meter(fresh({ expiresAtMs: T0 }), { type: 'tick' }, T0).actions).toEqual([
      { type: 'finish', reason: 'expired' },
    ])
    let s = apply(fresh(), [
      { type: 'tick' },
      { type: 'reserved', holdId: 'h1', amount: 10 },
      { type: 'start_requested', visitId: 'a' },
      { type: 'stop_requested', reason: 'shutdown' },
    ]).state
    expect(s.phase).toBe('draining')
    const r = apply(s, [{ type: 'start_requested', visitId: 'b' }])
    expect(r.actions).toEqual([{ type: 'refuse', visitId: 'b', reason: 'stopping' }])
    s = apply(r.state, [{ type: 'visit_settled', visitId: 'a', holdId: 'h1', charged: false }]).state
    expect(s.phase).toBe('done')
  })
})

/**
 * Property: random visits, failures, replays, reserve failures and restarts against a model
 * ledger. A restart discards the meter state (a crash): the model releases the run's open
 * holds, as the engine does on start-up, and the next run starts from the charged count.
 */
describe('meter properties', () => {
  type Op =
    | { k: 'start' }
    | { k: 'settle'; charged: boolean; pick: number }
    | { k: 'confirm'; pick: number; replay: boolean }
    | { k: 'tick' }
    | { k: 'restart' }
    | { k: 'stop' }
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.constant({ k: 'start' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('settle' as const), charged: fc.boolean(), pick: fc.nat() }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('confirm' as const), pick: fc.nat(), replay: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.constant({ k: 'tick' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'stop' as const }) },
  )

  it('never a visit unpaid, never charged twice, total target never exceeded; credits conserved', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        (ops, credits, totalTarget, blockSize) => {
          // The model ledger.
          let available = credits
          let spent = 0
          const holds = new Map<string, { amount: number; committed: number; open: boolean }>()
          const commitKeys = new Set<string>()
          let holdN = 0
          let run = 0
          let s = initMeter({
            runId: `r${run}`,
            limits: limits({ totalTarget }),
            blockSize,
            visitsDone: 0,
            dayVisits: 0,
            nowMs: T0,
          })
          let inFlight: { visitId: string; holdId: string }[] = []
          let toConfirm: { visitId: string; holdId: string; key: string }[] = []
          let visitN = 0
          const perform = (actions: MeterAction[]) => {
            const queue = [...actions]
            while (queue.length) {
              const a = queue.shift()!
              let next: ReturnType<typeof meter> | undefined
              if (a.type === 'reserve') {
                if (available >= a.amount) {
                  const id = `h${holdN++}`
                  available -= a.amount
                  holds.set(id, { amount: a.amount, committed: 0, open: true })
                  next = meter(s, { type: 'reserved', holdId: id, amount: a.amount }, T0)
                } else next = meter(s, { type: 'reserve_failed', available }, T0)
              } else if (a.type === 'start') {
                const h = holds.get(a.holdId)!
                expect(h.open).toBe(true)
                inFlight.push({ visitId: a.visitId, holdId: a.holdId })
              } else if (a.type === 'commit') {
                toConfirm.push({ visitId: a.visitId, holdId: a.holdId, key: a.idempotencyKey })
              } else if (a.type === 'release') {
                const h = holds.get(a.holdId)!
                if (h.open) {
                  available += h.amount - h.committed
                  h.open = false
                }
              }
              if (next) {
                s = next.state
                queue.push(...next.actions)
              }
            }
          }
          const step = (o: MeterObservation) => {
            const r = meter(s, o, T0)
            s = r.state
            perform(r.actions)
          }
          step({ type: 'tick' })
          for (const o of ops) {
            if (o.k === 'start') step({ type: 'start_requested', visitId: `v${visitN++}` })
            else if (o.k === 'tick') step({ type: 'tick' })
            else if (o.k === 'stop') step({ type: 'stop_requested', reason: 'stopped' })
            else if (o.k === 'settle' && inFlight.length) {
              const [v] = inFlight.splice(o.pick % inFlight.length, 1)
              step({ type: 'visit_settled', visitId: v!.visitId, holdId: v!.holdId, charged: o.charged })
            } else if (o.k === 'confirm' && toConfirm.length) {
              const c = toConfirm[o.pick % toConfirm.length]!
              // The ledger commit: idempotent per key; a hold never overspent. A replay is a
              // retried commit with the same key (the first answer was lost): it moves nothing,
              // and its confirmation reaches the meter twice, which must change nothing.
              for (let i = o.replay ? 2 : 1; i > 0; i--)
                if (!commitKeys.has(c.key)) {
                  const h = holds.get(c.holdId)!
                  expect(h.open).toBe(true)
                  expect(h.committed).toBeLessThan(h.amount)
                  h.committed++
                  spent++
                  commitKeys.add(c.key)
                }
              toConfirm = toConfirm.filter((x) => x !== c)
              step({ type: 'committed', visitId: c.visitId, holdId: c.holdId })
              if (o.replay) step({ type: 'committed', visitId: c.visitId, holdId: c.holdId })
            } else if (o.k === 'restart') {
              // Crash: in-flight visits and unconfirmed commits are lost (never charged);
              // the new engine releases the open holds and starts a new run.
              for (const h of holds.values())
                if (h.open) {
                  available += h.amount - h.committed
                  h.open = false
                }
              inFlight = []
              toConfirm = []
              run++
              s = initMeter({
                runId: `r${run}`,
                limits: limits({ totalTarget }),
                blockSize,
                visitsDone: spent,
                dayVisits: spent,
                nowMs: T0,
              })
              step({ type: 'tick' })
            }
            // Invariants after every step.
            if (totalTarget > 0) expect(spent + s.inFlight + s.committing).toBeLessThanOrEqual(totalTarget)
            expect(inFlight.length).toBe(s.inFlight)
            const reservedOpen = [...holds.values()]
              .filter((h) => h.open)
              .reduce((n, h) => n + h.amount - h.committed, 0)
            expect(available + reservedOpen + spent).toBe(credits) // conservation
            expect(available).toBeGreaterThanOrEqual(0)
            // Every in-flight visit holds a reserved credit of an open hold.
            for (const h of s.holds) {
              const m = holds.get(h.id)!
              expect(m.open).toBe(true)
              expect(h.left + h.outstanding).toBe(m.amount - m.committed)
            }
          }
          expect(spent).toBe(commitKeys.size)
          if (totalTarget > 0) expect(spent).toBeLessThanOrEqual(totalTarget)
        },
      ),
      { numRuns: 400 },
    )
  })
})
