import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseAmount, tierIndexFor, tierRanges } from './quote.lib'

const TIERS = [
  { from: 0, rate: 0.58 },
  { from: 129, rate: 0.43 },
  { from: 399, rate: 0.4 },
  { from: 999, rate: 0.33 },
  { from: 1249, rate: 0.25 },
  { from: 2999, rate: 0.2 },
]

describe('parseAmount', () => {
  it.each([
    ['500', 500],
    ['129.9', 129.9],
    ['129,90', 129.9],
    [' 1 000 ', 1000],
    ['€25', 25],
    ['7.', 7],
    ['0.01', 0.01],
  ])('reads %j as %d', (input, amount) => {
    expect(parseAmount(input)).toEqual({ ok: true, amount })
  })

  it('says nothing while the field is empty', () => {
    expect(parseAmount('')).toEqual({ ok: false, error: null })
    expect(parseAmount('   ')).toEqual({ ok: false, error: null })
  })

  it.each([
    ['abc', 'Enter an amount like 500 or 129.90'],
    ['-5', 'Enter an amount like 500 or 129.90'],
    ['1e3', 'Enter an amount like 500 or 129.90'],
    ['1.2.3', 'Enter an amount like 500 or 129.90'],
    ['12.345', 'Use at most 2 decimals'],
    ['0', 'Enter an amount above 0'],
    ['0.00', 'Enter an amount above 0'],
  ])('refuses %j: %s', (input, error) => {
    expect(parseAmount(input)).toEqual({ ok: false, error })
  })

  it('checks the bounds of the last quote', () => {
    const fmt = (n: number) => `€${n}`
    expect(parseAmount('5', { min: 10, max: 50000 }, fmt)).toEqual({ ok: false, error: 'The minimum is €10' })
    expect(parseAmount('50001', { min: 10, max: 50000 }, fmt)).toEqual({
      ok: false,
      error: 'The maximum is €50000',
    })
    expect(parseAmount('50000', { min: 10, max: 50000 }, fmt)).toEqual({ ok: true, amount: 50000 })
  })

  it('accepts every amount of whole cents above 0 it is given as text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (cents) => {
        const text = (cents / 100).toFixed(2)
        const r = parseAmount(text)
        expect(r).toEqual({ ok: true, amount: Number(text) })
      }),
    )
  })
})

describe('tierIndexFor', () => {
  it.each([
    [0.01, 0],
    [128.99, 0],
    [129, 1],
    [500, 2],
    [999, 3],
    [2999, 5],
    [1e6, 5],
  ])('%d is in tier %i', (amount, tier) => {
    expect(tierIndexFor(TIERS, amount)).toBe(tier)
  })

  it('has no tier without an amount or below the first', () => {
    expect(tierIndexFor(TIERS, null)).toBe(-1)
    expect(tierIndexFor([{ from: 10, rate: 1 }], 5)).toBe(-1)
    expect(tierIndexFor([], 5)).toBe(-1)
  })

  it('never falls to a lower tier when the amount grows (the rate never rises)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a]
          expect(tierIndexFor(TIERS, hi)).toBeGreaterThanOrEqual(tierIndexFor(TIERS, lo))
          expect(TIERS[tierIndexFor(TIERS, hi)]!.rate).toBeLessThanOrEqual(
            TIERS[tierIndexFor(TIERS, lo)]!.rate,
          )
        },
      ),
    )
  })
})

describe('tierRanges', () => {
  it('ends each tier where the next begins; the last is open', () => {
    expect(tierRanges([TIERS[2]!, TIERS[0]!, TIERS[1]!])).toEqual([
      { from: 0, rate: 0.58, to: 129 },
      { from: 129, rate: 0.43, to: 399 },
      { from: 399, rate: 0.4, to: null },
    ])
  })
})
