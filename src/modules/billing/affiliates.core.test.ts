import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { commissionMinor } from './affiliates.core.ts'

describe('commissionMinor', () => {
  it.each([
    [50_000, 0.2, 10_000],
    [1005, 0.2, 201],
    [1, 0.2, 0],
    [4, 0.25, 1],
    [12_999, 0.2, 2_599],
    [0, 0.2, 0],
    [100, 0, 0],
    [100, 1, 100],
  ])('%i at %d → %i', (a, r, c) => expect(commissionMinor(a, r)).toBe(c))
  it('refuses bad input', () => {
    expect(() => commissionMinor(-1, 0.2)).toThrow(RangeError)
    expect(() => commissionMinor(1.5, 0.2)).toThrow(RangeError)
    expect(() => commissionMinor(1, 1.5)).toThrow(RangeError)
  })
  it('never exceeds the exact share, and is within a cent of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), fc.integer({ min: 0, max: 100 }), (a, pct) => {
        const c = commissionMinor(a, pct / 100)
        expect(c * 100 <= a * pct).toBe(true)
        expect((c + 1) * 100 > a * pct).toBe(true)
      }),
    )
  })
})
