import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Health,
  type HealthState,
  initialHealthState,
  isDue,
  judgeStatus,
  nextHealth,
  probeUrlFor,
} from './health.core.ts'

const check = (failure_threshold: number) => ({ failure_threshold })
const ok = { ok: true }
const fail = { ok: false }

/** Runs a sequence of outcomes from `start`, returning every step. */
function run(start: Health, outcomes: boolean[], threshold: number) {
  let state: HealthState = initialHealthState(start)
  return outcomes.map((o) => {
    const before = state
    const step = nextHealth(state, { ok: o }, check(threshold))
    state = step.state
    return { before, ...step }
  })
}

describe('nextHealth', () => {
  it.each<[string, Health, boolean[], number, Health[]]>([
    ['first success makes unknown healthy', 'unknown', [true], 3, ['healthy']],
    ['unknown stays unknown below threshold', 'unknown', [false, false], 3, ['unknown', 'unknown']],
    [
      'unknown → unhealthy at threshold',
      'unknown',
      [false, false, false],
      3,
      ['unknown', 'unknown', 'unhealthy'],
    ],
    [
      'healthy survives threshold-1 failures',
      'healthy',
      [false, false, true, false, false],
      3,
      Array(5).fill('healthy'),
    ],
    [
      'healthy → unhealthy at threshold',
      'healthy',
      [false, false, false, false],
      3,
      ['healthy', 'healthy', 'unhealthy', 'unhealthy'],
    ],
    ['threshold 1 flips on one failure', 'healthy', [false], 1, ['unhealthy']],
    ['threshold 1 recovers on one success', 'unhealthy', [true], 1, ['healthy']],
    [
      'unhealthy needs threshold successes (hysteresis)',
      'unhealthy',
      [true, true, true],
      3,
      ['unhealthy', 'unhealthy', 'healthy'],
    ],
    [
      'a failure resets the recovery run',
      'unhealthy',
      [true, true, false, true, true, true],
      3,
      ['unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'],
    ],
    [
      'a success resets the failure run',
      'healthy',
      [false, false, true, false, false, false],
      3,
      ['healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'unhealthy'],
    ],
  ])('%s', (_name, start, outcomes, threshold, expected) => {
    expect(run(start, outcomes, threshold).map((s) => s.state.health)).toEqual(expected)
  })

  it('emits the transition with from and to', () => {
    expect(nextHealth(initialHealthState('unknown'), ok, check(3))).toEqual({
      state: { health: 'healthy', consecutiveFailures: 0, consecutiveSuccesses: 1 },
      event: { from: 'unknown', to: 'healthy' },
    })
    expect(
      nextHealth({ health: 'healthy', consecutiveFailures: 1, consecutiveSuccesses: 0 }, fail, check(2)),
    ).toEqual({
      state: { health: 'unhealthy', consecutiveFailures: 2, consecutiveSuccesses: 0 },
      event: { from: 'healthy', to: 'unhealthy' },
    })
  })

  it('treats a threshold below 1 as 1', () => {
    expect(nextHealth(initialHealthState('healthy'), fail, check(0)).state.health).toBe('unhealthy')
  })

  const health = fc.constantFrom<Health>('unknown', 'healthy', 'unhealthy')
  const outcomes = fc.array(fc.boolean(), { maxLength: 60 })
  const threshold = fc.integer({ min: 1, max: 20 })

  it('property: the state changes only together with an event describing that change', () => {
    fc.assert(
      fc.property(health, outcomes, threshold, (start, seq, t) => {
        for (const s of run(start, seq, t)) {
          if (s.state.health === s.before.health) expect(s.event).toBeUndefined()
          else expect(s.event).toEqual({ from: s.before.health, to: s.state.health })
        }
      }),
    )
  })

  it('property: never becomes unhealthy with fewer than threshold consecutive failures', () => {
    fc.assert(
      fc.property(health, outcomes, threshold, (start, seq, t) => {
        for (const s of run(start, seq, t)) {
          if (s.event?.to === 'unhealthy') expect(s.state.consecutiveFailures).toBeGreaterThanOrEqual(t)
          if (s.event?.to === 'unhealthy') expect(s.state.consecutiveFailures).toBe(t) // exactly when reached
        }
      }),
    )
  })

  it('property: recovers from unhealthy only after threshold consecutive successes', () => {
    fc.assert(
      fc.property(outcomes, threshold, (seq, t) => {
        for (const s of run('unhealthy', seq, t)) {
          if (s.event?.from === 'unhealthy') expect(s.state.consecutiveSuccesses).toBe(t)
          if (s.before.health === 'unhealthy' && s.state.consecutiveSuccesses < t) {
            expect(s.state.health).toBe('unhealthy')
          }
        }
      }),
    )
  })

  it('property: never returns to unknown, and runs count the trailing outcomes', () => {
    fc.assert(
      fc.property(health, outcomes, threshold, (start, seq, t) => {
        run(start, seq, t).forEach((s, i) => {
          if (start !== 'unknown' || s.before.health !== 'unknown') expect(s.state.health).not.toBe('unknown')
          let trail = 0
          for (let j = i; j >= 0 && seq[j] === seq[i]; j--) trail++
          expect(seq[i] ? s.state.consecutiveSuccesses : s.state.consecutiveFailures).toBe(trail)
          expect(seq[i] ? s.state.consecutiveFailures : s.state.consecutiveSuccesses).toBe(0)
        })
      }),
    )
  })

  it('property: threshold consecutive failures always end unhealthy, threshold successes always end healthy', () => {
    fc.assert(
      fc.property(health, outcomes, threshold, fc.boolean(), (start, prefix, t, tail) => {
        const steps = run(start, [...prefix, ...Array<boolean>(t).fill(tail)], t)
        expect(steps.at(-1)!.state.health).toBe(tail ? 'healthy' : 'unhealthy')
      }),
    )
  })
})

describe('isDue', () => {
  const t0 = new Date('2026-01-01T00:00:00Z')
  const at = (s: number) => new Date(t0.getTime() + s * 1000)

  it.each<[string, Date | null, number, Date, boolean]>([
    ['never checked', null, 60, t0, true],
    ['just checked', t0, 60, t0, false],
    ['one ms early', t0, 60, new Date(t0.getTime() + 59_999), false],
    ['exactly on interval', t0, 60, at(60), true],
    ['late', t0, 60, at(3600), true],
    ['clock moved backwards', at(100), 60, t0, true],
  ])('%s', (_n, last, interval, now, expected) => {
    expect(isDue(last, interval, now)).toBe(expected)
  })

  it('property: once due stays due as time moves forward', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 86400 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        (interval, a, b) => {
          const [x, y] = a <= b ? [a, b] : [b, a]
          if (isDue(t0, interval, new Date(t0.getTime() + x))) {
            expect(isDue(t0, interval, new Date(t0.getTime() + y))).toBe(true)
          }
          expect(isDue(t0, interval, new Date(t0.getTime() + x))).toBe(x >= interval * 1000)
        },
      ),
    )
  })
})

describe('probeUrlFor and judgeStatus', () => {
  it('empties macros of the destination URL unless a check URL is set', () => {
    expect(probeUrlFor('https://o.example/a?c={click_id}&s={sub1}&x=1', {})).toBe(
      'https://o.example/a?c=&s=&x=1',
    )
    expect(probeUrlFor('https://o.example/a?c={click_id}', { url: 'https://o.example/health' })).toBe(
      'https://o.example/health',
    )
  })
  it('is ok only for an expected status', () => {
    expect(judgeStatus(302, 12, { expected_statuses: [200, 302] })).toEqual({
      ok: true,
      status: 302,
      latencyMs: 12,
    })
    expect(judgeStatus(500, 12, { expected_statuses: [200] })).toEqual({
      ok: false,
      status: 500,
      latencyMs: 12,
      error: 'unexpected status 500',
    })
  })
})
