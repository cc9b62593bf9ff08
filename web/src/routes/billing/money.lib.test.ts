import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatMajor,
  formatMinor,
  formatMinorDelta,
  formatRate,
  formatShare,
  formatVisits,
  formatVisitsDelta,
  majorToMinor,
  minorDigits,
  minorToMajor,
  NONE,
} from './money.lib'

// Intl output uses U+00A0 / U+202F in some locales; compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ')

describe('minorDigits', () => {
  it.each([
    ['EUR', 2],
    ['USD', 2],
    ['JPY', 0],
    ['BHD', 3],
    [undefined, 2],
    ['eur', 2],
    ['', 2],
  ])('%s has %i decimals', (c, d) => {
    expect(minorDigits(c)).toBe(d)
  })
})

describe('formatMinor', () => {
  it.each([
    [1234, 'EUR', 'en', '€12.34'],
    [0, 'EUR', 'en', '€0.00'],
    [5, 'EUR', 'en', '€0.05'],
    [123456789, 'EUR', 'en', '€1,234,567.89'],
    [1234, 'EUR', 'de', '12,34 €'],
    [1234, 'USD', 'en', '$12.34'],
    [1234, 'JPY', 'en', '¥1,234'],
    [-250, 'EUR', 'en', '-€2.50'],
  ])('%i %s (%s) → %s', (minor, cur, locale, out) => {
    expect(plain(formatMinor(minor, cur, locale))).toBe(out)
  })

  it('keeps the unit when the currency is not an ISO code', () => {
    expect(formatMinor(1234, 'XX', 'en')).toBe('12.34 XX')
    expect(formatMinor(1234, null, 'en')).toBe('12.34')
  })

  it('prints a dash for a missing value', () => {
    expect(formatMinor(null, 'EUR')).toBe(NONE)
    expect(formatMinor(undefined, 'EUR')).toBe(NONE)
    expect(formatMinor(Number.NaN, 'EUR')).toBe(NONE)
  })

  it('is formatMajor of the major amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (minor) => {
        expect(formatMinor(minor, 'EUR', 'en')).toBe(formatMajor(minor / 100, 'EUR', 'en'))
      }),
    )
  })
})

describe('minor ↔ major', () => {
  it('round-trips every integer amount of cents', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.constantFrom('EUR', 'JPY', 'BHD'),
        (minor, cur) => {
          expect(majorToMinor(minorToMajor(minor, cur), cur)).toBe(minor)
        },
      ),
    )
  })

  it('rounds major amounts to the nearest minor unit', () => {
    expect(majorToMinor(129.9, 'EUR')).toBe(12990)
    expect(majorToMinor(0.1 + 0.2, 'EUR')).toBe(30)
    expect(majorToMinor(500, 'JPY')).toBe(500)
  })
})

describe('deltas and units', () => {
  it('signs money and visit changes', () => {
    expect(formatMinorDelta(1234, 'EUR', 'en')).toBe('+€12.34')
    expect(formatMinorDelta(-500, 'EUR', 'en')).toBe('−€5.00')
    expect(formatMinorDelta(0, 'EUR', 'en')).toBe('€0.00')
    expect(formatVisitsDelta(1_250_000, 'en')).toBe('+1,250,000 visits')
    expect(formatVisitsDelta(-1, 'en')).toBe('−1 visit')
    expect(formatVisitsDelta(0, 'en')).toBe('0 visits')
  })

  it('names the unit of visits', () => {
    expect(formatVisits(1_250_000, 'en')).toBe('1,250,000 visits')
    expect(formatVisits(1, 'en')).toBe('1 visit')
    expect(formatVisits(null)).toBe(NONE)
  })

  it('formats rates with 2 to 4 decimals and shares as percent', () => {
    expect(formatRate(0.4, 'EUR', 'en')).toBe('€0.40')
    expect(formatRate(0.425, 'EUR', 'en')).toBe('€0.425')
    expect(formatRate(0.12345, 'EUR', 'en')).toBe('€0.1235')
    expect(formatShare(0.2, 'en')).toBe('20%')
    expect(formatShare(0.125, 'en')).toBe('12.5%')
  })
})
