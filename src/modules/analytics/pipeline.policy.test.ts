import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type FlushInputs,
  flushDecision,
  retryDelayMs,
  segmentExpired,
  shouldLogError,
} from './pipeline.policy.ts'

const idle: FlushInputs = {
  intentPending: false,
  spilled: false,
  closing: false,
  flushWaiters: 0,
  queuedRows: 0,
  batchSize: 100,
  flushMs: 1000,
  sinceLastBatchMs: 0,
}

describe('flushDecision', () => {
  it.each<[string, Partial<FlushInputs>, ReturnType<typeof flushDecision>]>([
    ['empty queue: sleeps a whole interval', {}, { take: false, waitMs: 1000 }],
    [
      'empty queue long after the last batch: still sleeps',
      { sinceLastBatchMs: 5000 },
      { take: false, waitMs: 1000 },
    ],
    [
      'partial batch, not due: sleeps the rest',
      { queuedRows: 5, sinceLastBatchMs: 300 },
      { take: false, waitMs: 700 },
    ],
    ['partial batch, just due', { queuedRows: 5, sinceLastBatchMs: 1000 }, { take: true }],
    [
      'partial batch, clock stepped back: waits the interval plus the step',
      { queuedRows: 5, sinceLastBatchMs: -50 },
      { take: false, waitMs: 1050 },
    ],
    [
      'partial batch, due in under 1 ms: sleeps 1 ms',
      { queuedRows: 5, sinceLastBatchMs: 999.5 },
      { take: false, waitMs: 1 },
    ],
    ['full batch', { queuedRows: 100 }, { take: true }],
    ['intent to replay', { intentPending: true }, { take: true }],
    ['spilled (disk-only events)', { spilled: true }, { take: true }],
    ['closing', { closing: true }, { take: true }],
    ['a flush() waits', { flushWaiters: 1 }, { take: true }],
  ])('%s', (_name, over, want) => {
    expect(flushDecision({ ...idle, ...over })).toEqual(want)
  })

  it('never sleeps longer than flushMs past the last batch while events wait', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 1000 }),
        (flushMs, since, queued) => {
          const d = flushDecision({
            ...idle,
            batchSize: 1001,
            flushMs,
            sinceLastBatchMs: since,
            queuedRows: queued,
          })
          if (since >= flushMs) expect(d.take).toBe(true)
          else {
            expect(d).toMatchObject({ take: false })
            if (!d.take) expect(since + d.waitMs).toBeLessThanOrEqual(flushMs + 1)
          }
        },
      ),
    )
  })
})

describe('retryDelayMs', () => {
  it.each([
    // attempt, base, max, random, delay
    [1, 200, 30_000, 0, 100],
    [1, 200, 30_000, 0.999, 199.9],
    [2, 200, 30_000, 0.5, 300],
    [3, 200, 30_000, 1 - 2 ** -53, 800],
    [8, 200, 30_000, 0, 12_800],
    [9, 200, 30_000, 0, 15_000], // 51,200 capped at 30 s, half of it
    [50, 200, 30_000, 0.5, 22_500],
  ])('attempt %i (base %i, cap %i, draw %f) → %f ms', (attempt, base, max, r, want) => {
    expect(retryDelayMs(attempt, base, max, r)).toBeCloseTo(want, 6)
  })

  it('stays within [half, all] of the capped exponential delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const d = retryDelayMs(attempt, base, max, r)
          const full = Math.min(max, base * 2 ** (attempt - 1))
          expect(d).toBeGreaterThanOrEqual(full / 2)
          expect(d).toBeLessThanOrEqual(full)
          expect(d).toBeLessThanOrEqual(max)
        },
      ),
    )
  })
})

describe('segmentExpired', () => {
  it.each([
    // offset, openedAt, now, maxAge, expired
    [0, 0, 120_000, 60_000, false], // empty segment never rotates by age
    [10, 0, 59_999, 60_000, false],
    [10, 0, 60_000, 60_000, true],
    [10, 1000, 30_000, 60_000, false],
  ])('offset %i opened %i at %i (max %i) → %s', (offset, opened, now, max, want) => {
    expect(segmentExpired(offset, opened, now, max)).toBe(want)
  })
})

describe('shouldLogError', () => {
  it.each([
    ['a new message', { message: 'a', atMs: 1000 }, 'b', 1001, true],
    ['the same message within a second', { message: 'a', atMs: 1000 }, 'a', 1999, false],
    ['the same message a second later', { message: 'a', atMs: 1000 }, 'a', 2000, true],
    ['the first error ever', { message: '', atMs: 0 }, 'disk full', 5, true],
  ])('%s → %s', (_name, last, message, now, want) => {
    expect(shouldLogError(last, message, now)).toBe(want)
  })
})
