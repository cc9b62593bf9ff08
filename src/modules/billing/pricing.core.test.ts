import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PRICE_TIERS, parseMajorAmount, quote, tierProblems, toMajor } from './pricing.core.ts'

describe('quote on the seed curve', () => {
  it.each([
    // amount (€), tier, rate (cents per 1000), visits
    [0.01, 0, 58, 17],
    [1, 0, 58, 1_724],
    [128.99, 0, 58, 222_396],
    [129, 1, 43, 300_000],
    [398.5, 1, 43, 926_744],
    [398.99, 1, 43, 927_883],
    [399, 2, 40, 997_500],
    [500, 2, 40, 1_250_000],
    [998.99, 2, 40, 2_497_475],
    [999, 3, 33, 3_027_272],
    [1248.99, 3, 33, 3_784_818],
    [1249, 4, 25, 4_996_000],
    [2998.99, 4, 25, 11_995_960],
    [2999, 5, 20, 14_995_000],
    [100_000, 5, 20, 500_000_000],
  ])('€%s → tier %i at %i → %i visits', (amount, tier, rate, visits) => {
    const q = quote(Math.round(amount * 100))
    expect(q).toEqual({ amountMinor: Math.round(amount * 100), tier, rateMinorPer1000: rate, visits })
  })

  it('refuses non-positive and fractional minor amounts', () => {
    expect(() => quote(0)).toThrow(RangeError)
    expect(() => quote(-5)).toThrow(RangeError)
    expect(() => quote(1.5)).toThrow(RangeError)
  })

  it('properties: visits = floor(amount×1000/rate) exactly; the rate never rises with the amount; more money never buys fewer visits within a tier', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.integer({ min: 1, max: 1000 }), (a, d) => {
        const q = quote(a)
        expect(q.visits * q.rateMinorPer1000 <= a * 1000).toBe(true)
        expect((q.visits + 1) * q.rateMinorPer1000 > a * 1000).toBe(true)
        const r = quote(a + d)
        expect(r.rateMinorPer1000).toBeLessThanOrEqual(q.rateMinorPer1000)
        expect(r.tier).toBeGreaterThanOrEqual(q.tier)
        if (r.tier === q.tier) expect(r.visits).toBeGreaterThanOrEqual(q.visits)
      }),
    )
  })

  it('a custom curve (gaps fall in the lower tier)', () => {
    const tiers = [
      { fromMinor: 0, rateMinorPer1000: 100 },
      { fromMinor: 1000, rateMinorPer1000: 50 },
    ]
    expect(quote(999, tiers)).toMatchObject({ tier: 0, visits: 9_990 })
    expect(quote(1000, tiers)).toMatchObject({ tier: 1, visits: 20_000 })
  })
})

describe('tierProblems', () => {
  it('accepts the seed curve and refuses broken ones', () => {
    expect(tierProblems(DEFAULT_PRICE_TIERS)).toEqual([])
    expect(tierProblems([])).not.toEqual([])
    expect(tierProblems([{ fromMinor: 5, rateMinorPer1000: 1 }])).not.toEqual([])
    expect(
      tierProblems([
        { fromMinor: 0, rateMinorPer1000: 5 },
        { fromMinor: 0, rateMinorPer1000: 4 },
      ]),
    ).not.toEqual([])
    expect(tierProblems([{ fromMinor: 0, rateMinorPer1000: 0 }])).not.toEqual([])
  })
})

describe('parseMajorAmount / toMajor', () => {
  it.each([
    ['500', 50_000],
    ['398.5', 39_850],
    ['398.50', 39_850],
    ['0.01', 1],
    ['0', 0],
  ])('%s → %i', (t, v) => expect(parseMajorAmount(t)).toBe(v))
  it.each(['', '1.234', '-1', '1e3', ' 1', '01', '1.', '.5', 'NaN', '0x10', '1,5'])('refuses %j', (t) =>
    expect(parseMajorAmount(t)).toBeUndefined(),
  )
  it('round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (m) => {
        expect(parseMajorAmount(toMajor(m).toFixed(2))).toBe(m)
      }),
    )
  })
})
