import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  initSchedule,
  mulberry32,
  retarget,
  type ScheduleState,
  stepSchedule,
  nextWakeDelayMs,
} from './visitors.schedule.core.ts'

/** Runs a schedule in steps of `tickMs` from its origin for `durationMs`, with unlimited slots. */
function run(state: ScheduleState, durationMs: number, tickMs: number, freeSlots = Number.POSITIVE_INFINITY) {
  let s = state
  const starts: number[] = []
  let drops = 0
  for (let t = state.originMs; t <= state.originMs + durationMs; t += tickMs) {
    const r = stepSchedule(s, { nowMs: t, freeSlots, maxWaitMs: 1e12 })
    s = r.state
    starts.push(...r.start.map((x) => x.atMs))
    drops += r.drop.length
  }
  return { state: s, starts, drops }
}

describe('initSchedule / stepSchedule (table)', () => {
  it('even mode at 60/min starts exactly once per second, from the origin', () => {
    const s = initSchedule({ mode: 'even', perMinute: 60, originMs: 1_000_000, seed: 1 })
    const r = stepSchedule(s, { nowMs: 1_004_500, freeSlots: 100, maxWaitMs: 10_000 })
    expect(r.start.map((x) => x.atMs)).toEqual([1_000_000, 1_001_000, 1_002_000, 1_003_000, 1_004_000])
    expect(r.start.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4])
    expect(r.state.next).toEqual({ seq: 5, atMs: 1_005_000 })
  })

  it('starts with no free slot wait up to maxWaitMs, then are dropped (not delayed further)', () => {
    let s = initSchedule({ mode: 'even', perMinute: 600, originMs: 0, seed: 1 }) // every 100 ms
    let r = stepSchedule(s, { nowMs: 150, freeSlots: 1, maxWaitMs: 200 }) // due: 0, 100
    expect(r.start.map((x) => x.atMs)).toEqual([0])
    expect(r.drop).toEqual([])
    s = r.state
    expect(s.pending.map((x) => x.atMs)).toEqual([100])
    r = stepSchedule(s, { nowMs: 350, freeSlots: 0, maxWaitMs: 200 }) // 100 waited 250 > 200
    expect(r.drop.map((x) => x.atMs)).toEqual([100])
    expect(r.state.pending.map((x) => x.atMs)).toEqual([200, 300])
    r = stepSchedule(r.state, { nowMs: 360, freeSlots: 5, maxWaitMs: 200 })
    expect(r.start.map((x) => x.atMs)).toEqual([200, 300])
    expect(r.state.started).toBe(3)
    expect(r.state.dropped).toBe(1)
  })

  it('maxWaitMs 0 drops at once what finds no slot', () => {
    const s = initSchedule({ mode: 'even', perMinute: 60_000, originMs: 0, seed: 1 }) // every 1 ms
    const r = stepSchedule(s, { nowMs: 9, freeSlots: 3, maxWaitMs: 0 })
    // 0..9 due; only 9 is not older than 0 ms — the older ones are dropped, 9 starts.
    expect(r.start.map((x) => x.atMs)).toEqual([9])
    expect(r.drop).toHaveLength(9)
  })

  it('maxDue bounds the queue a stalled loop could build', () => {
    const s = initSchedule({ mode: 'even', perMinute: 60_000, originMs: 0, seed: 1 })
    const r = stepSchedule(s, { nowMs: 999, freeSlots: 0, maxWaitMs: 1_000_000, maxDue: 10 })
    expect(r.state.pending).toHaveLength(10)
    expect(r.drop).toHaveLength(990)
  })

  it('poisson mode is deterministic for a seed and differs between seeds', () => {
    const a = run(initSchedule({ mode: 'poisson', perMinute: 600, originMs: 0, seed: 42 }), 60_000, 50)
    const b = run(initSchedule({ mode: 'poisson', perMinute: 600, originMs: 0, seed: 42 }), 60_000, 50)
    const c = run(initSchedule({ mode: 'poisson', perMinute: 600, originMs: 0, seed: 43 }), 60_000, 50)
    expect(a.starts).toEqual(b.starts)
    expect(a.starts).not.toEqual(c.starts)
  })

  it('refuses a rate that is not positive', () => {
    expect(() => initSchedule({ mode: 'even', perMinute: 0, originMs: 0, seed: 1 })).toThrow(RangeError)
    expect(() => initSchedule({ mode: 'even', perMinute: Number.NaN, originMs: 0, seed: 1 })).toThrow(
      RangeError,
    )
  })

  it('retarget changes the rate from now, keeping sequence numbers and totals', () => {
    const s = run(initSchedule({ mode: 'even', perMinute: 60, originMs: 0, seed: 1 }), 2_500, 100).state
    const t = retarget(s, 120, 3_000)
    const r = stepSchedule(t, { nowMs: 4_000, freeSlots: 10, maxWaitMs: 10_000 })
    expect(r.start.map((x) => [x.seq, x.atMs])).toEqual([
      [3, 3_000],
      [4, 3_500],
      [5, 4_000],
    ])
    expect(r.state.started).toBe(6)
  })

  it('mulberry32 stays in [0,1)', () => {
    let st = 0
    for (let i = 0; i < 10_000; i++) {
      const [u, n] = mulberry32(st)
      expect(u).toBeGreaterThanOrEqual(0)
      expect(u).toBeLessThan(1)
      st = n
    }
  })
})

describe('schedule properties', () => {
  it('even mode: starts in any window [origin, origin + W] are exactly floor(W / gap) + 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 1, max: 500 }),
        (perMinute, windowMs, tickMs) => {
          const s = initSchedule({ mode: 'even', perMinute, originMs: 10_000, seed: 7 })
          let st = s
          let n = 0
          for (let t = 10_000; ; t = Math.min(t + tickMs, 10_000 + windowMs)) {
            const r = stepSchedule(st, { nowMs: t, freeSlots: Number.POSITIVE_INFINITY, maxWaitMs: 1e12 })
            st = r.state
            n += r.start.length
            if (t >= 10_000 + windowMs) break
          }
          // Start k is at k × 60000 / perMinute: exactly floor(W × perMinute / 60000) + 1 in [0, W].
          const expected = Math.floor((windowMs * perMinute) / 60_000) + 1
          expect(n).toBe(expected)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('even mode at 24,037/min: the start exactly at 120 s is on time (found by the property)', () => {
    let st = initSchedule({ mode: 'even', perMinute: 24_037, originMs: 0, seed: 7 })
    let n = 0
    for (let t = 0; t <= 120_000; t += 1000) {
      const r = stepSchedule(st, { nowMs: t, freeSlots: Number.POSITIVE_INFINITY, maxWaitMs: 1e12 })
      st = r.state
      n += r.start.length
    }
    expect(n).toBe(48_075)
  })

  it('poisson mode: the rate over a long window is within 5 σ of the target', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 60_000 }), fc.integer(), (perMinute, seed) => {
        // A window holding ~4000 expected starts: count ~ Poisson(4000), σ ≈ 63 (1.6 %).
        const expected = 4_000
        const windowMs = (expected / perMinute) * 60_000
        let st = initSchedule({ mode: 'poisson', perMinute, originMs: 0, seed })
        const r = stepSchedule(st, {
          nowMs: windowMs,
          freeSlots: Number.POSITIVE_INFINITY,
          maxWaitMs: 1e15,
          maxDue: 1e9,
        })
        st = r.state
        expect(Math.abs(r.start.length - expected)).toBeLessThan(5 * Math.sqrt(expected))
      }),
      { numRuns: 50 },
    )
  })

  it('conservation: scheduled = started + dropped + pending; started never exceeds the slots given', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('even' as const, 'poisson' as const),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer(),
        fc.array(
          fc.record({ dt: fc.integer({ min: 0, max: 300 }), slots: fc.integer({ min: 0, max: 20 }) }),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 0, max: 1_000 }),
        (mode, perMinute, seed, steps, maxWaitMs) => {
          let st = initSchedule({ mode, perMinute, originMs: 0, seed })
          let now = 0
          let slotsGiven = 0
          let started = 0
          let dropped = 0
          const seen = new Set<number>()
          for (const { dt, slots } of steps) {
            now += dt
            const r = stepSchedule(st, { nowMs: now, freeSlots: slots, maxWaitMs })
            expect(r.start.length).toBeLessThanOrEqual(slots)
            for (const x of [...r.start, ...r.drop]) {
              expect(seen.has(x.seq)).toBe(false) // each start decided once
              seen.add(x.seq)
              expect(x.atMs).toBeLessThanOrEqual(now) // never launched before its time
            }
            for (const x of r.start) expect(now - x.atMs).toBeLessThanOrEqual(maxWaitMs) // never late past the bound
            slotsGiven += slots
            started += r.start.length
            dropped += r.drop.length
            st = r.state
          }
          expect(started).toBeLessThanOrEqual(slotsGiven)
          expect(st.started).toBe(started)
          expect(st.dropped).toBe(dropped)
          expect(started + dropped + st.pending.length).toBe(st.next.seq)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('nextWakeDelayMs', () => {
  const at = (atMs: number) => ({ next: { seq: 0, atMs } })
  it.each([
    ['none: the regular pass', [], 1000, 5, 5],
    ['due in 3.7 ms: wake at 3 (never past it)', [at(1003.7)], 1000, 5, 3],
    ['due in 0.4 ms: the timer minimum', [at(1000.4)], 1000, 5, 1],
    ['overdue: at once (1 ms)', [at(990)], 1000, 5, 1],
    ['far: capped by the regular pass', [at(2000)], 1000, 5, 5],
    ['the earliest of several', [at(1004.2), at(1002.9), at(1003)], 1000, 5, 2],
    ['maxMs below 1 counts as 1', [at(1010)], 1000, 0, 1],
  ])('%s', (_name, schedules, nowMs, maxMs, want) => {
    expect(nextWakeDelayMs(schedules, nowMs, maxMs)).toBe(want)
  })

  it('is within [1, maxMs] and never sleeps past the earliest due start by a whole ms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { maxLength: 5 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (offsets, nowMs, maxMs) => {
          const d = nextWakeDelayMs(
            offsets.map((o) => at(nowMs + o)),
            nowMs,
            maxMs,
          )
          expect(d).toBeGreaterThanOrEqual(1)
          expect(d).toBeLessThanOrEqual(maxMs)
          expect(Number.isInteger(d)).toBe(true)
          if (offsets.length > 0) expect(d).toBeLessThanOrEqual(Math.max(1, Math.min(...offsets) + 1e-9))
        },
      ),
    )
  })
})
