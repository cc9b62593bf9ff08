import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countryShares, missingEgress, pickCountry } from './visitors.geo.core.ts'

describe('pickCountry', () => {
  const t = [
    { cc: 'US', w: 3 },
    { cc: 'DE', w: 1 },
  ]
  it.each([
    [0, 'US'],
    [0.5, 'US'],
    [0.7499, 'US'],
    [0.75, 'DE'],
    [0.9999, 'DE'],
    [1, 'DE'], // clamped
    [-1, 'US'], // clamped
  ])('u=%s → %s', (u, cc) => expect(pickCountry(t, u)).toBe(cc))

  it('no targets → null (direct egress)', () => {
    expect(pickCountry([], 0.3)).toBeNull()
  })

  it('property: the share of each country over an even grid of draws is w/Σw within 1/n', () => {
    const targets = fc
      .uniqueArray(
        fc.record({
          cc: fc.constantFrom('US', 'DE', 'FR', 'BR', 'JP', 'GB'),
          w: fc.integer({ min: 1, max: 50 }),
        }),
        { selector: (g) => g.cc, minLength: 1, maxLength: 6 },
      )
      .filter((a) => a.length > 0)
    fc.assert(
      fc.property(targets, (ts) => {
        const n = 2000
        const counts = new Map<string, number>()
        // Evenly spaced draws: the cumulative-weight picker gives each country ⌊share·n⌋ ± 1.
        for (let i = 0; i < n; i++) {
          const cc = pickCountry(ts, (i + 0.5) / n)!
          counts.set(cc, (counts.get(cc) ?? 0) + 1)
        }
        for (const [cc, share] of countryShares(ts))
          expect(Math.abs((counts.get(cc) ?? 0) / n - share)).toBeLessThanOrEqual(1 / n + 1e-9)
      }),
    )
  })

  it('property: the pick is always one of the targets, whatever u', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            cc: fc.constantFrom('US', 'DE', 'FR'),
            w: fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (ts, u) => {
          expect(ts.map((x) => x.cc)).toContain(pickCountry(ts, u))
        },
      ),
    )
  })

  it('property: seeded uniform draws give shares within 5σ (binomial)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({ cc: fc.constantFrom('US', 'DE', 'FR'), w: fc.integer({ min: 1, max: 10 }) }),
          {
            selector: (g) => g.cc,
            minLength: 1,
            maxLength: 3,
          },
        ),
        fc.integer(),
        (ts, seed) => {
          // mulberry32: a seeded uniform source, as the engine's random would be.
          let a = seed >>> 0
          const next = () => {
            a = (a + 0x6d2b79f5) >>> 0
            let x = a
            x = Math.imul(x ^ (x >>> 15), x | 1)
            x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
            return ((x ^ (x >>> 14)) >>> 0) / 4294967296
          }
          const n = 5000
          const counts = new Map<string, number>()
          for (let i = 0; i < n; i++) {
            const cc = pickCountry(ts, next())!
            counts.set(cc, (counts.get(cc) ?? 0) + 1)
          }
          for (const [cc, p] of countryShares(ts))
            expect(Math.abs((counts.get(cc) ?? 0) / n - p)).toBeLessThanOrEqual(
              5 * Math.sqrt((p * (1 - p)) / n) + 1e-9,
            )
        },
      ),
      { numRuns: 30 },
    )
  })
})

describe('missingEgress', () => {
  it('names each country without egress by its index', () => {
    expect(
      missingEgress(
        [
          { cc: 'US', w: 1 },
          { cc: 'DE', w: 1 },
          { cc: 'FR', w: 2 },
        ],
        ['US'],
      ),
    ).toEqual([
      { path: 'settings.geoTargets.1.cc', message: 'no egress for DE' },
      { path: 'settings.geoTargets.2.cc', message: 'no egress for FR' },
    ])
  })
  it('empty when all have egress, or no targets', () => {
    expect(missingEgress([{ cc: 'US', w: 1 }], new Set(['US', 'DE']))).toEqual([])
    expect(missingEgress([], [])).toEqual([])
  })
})
