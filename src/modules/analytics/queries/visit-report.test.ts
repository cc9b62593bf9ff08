import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fillHours } from './visit-report.ts'

const H = 3_600_000
const ms = (iso: string) => Date.parse(iso)

describe('fillHours (by_hour zero-filled between the range bounds)', () => {
  it('a UTC day: 24 hours, the counted ones in place, zeros elsewhere', () => {
    const range = { tz: 'UTC', fromMs: ms('2024-06-01T00:00:00Z'), toMs: ms('2024-06-02T00:00:00Z') }
    const out = fillHours(range, [
      { h: ms('2024-06-01T10:00:00Z') / 1000, visits: 5, failed: 1 },
      { h: ms('2024-06-01T11:00:00Z') / 1000, visits: 4, failed: 4 },
    ])
    expect(out).toHaveLength(24)
    expect(out[0]).toEqual({ ts: '2024-06-01T00:00:00.000Z', visits: 0, failed: 0 })
    expect(out[10]).toEqual({ ts: '2024-06-01T10:00:00.000Z', visits: 5, failed: 1 })
    expect(out[11]).toEqual({ ts: '2024-06-01T11:00:00.000Z', visits: 4, failed: 4 })
    expect(out[23]!.ts).toBe('2024-06-01T23:00:00.000Z')
  })

  it.each([
    // Local whole hours of a +05:30 zone start at :30 UTC.
    [
      'Asia/Kolkata day',
      'Asia/Kolkata',
      '2024-05-31T18:30:00Z',
      '2024-06-01T18:30:00Z',
      24,
      '2024-05-31T18:30:00.000Z',
    ],
    // Spring forward (Berlin, 31 March 2024): a 23-hour day; fall back (27 October): 25 hours.
    [
      'Berlin spring forward',
      'Europe/Berlin',
      '2024-03-30T23:00:00Z',
      '2024-03-31T22:00:00Z',
      23,
      '2024-03-30T23:00:00.000Z',
    ],
    [
      'Berlin fall back',
      'Europe/Berlin',
      '2024-10-26T22:00:00Z',
      '2024-10-27T23:00:00Z',
      25,
      '2024-10-26T22:00:00.000Z',
    ],
    // A range starting mid-hour begins with the hour holding it.
    ['mid-hour start', 'UTC', '2024-06-01T10:15:00Z', '2024-06-01T12:00:00Z', 2, '2024-06-01T10:00:00.000Z'],
    ['empty range', 'UTC', '2024-06-01T10:00:00Z', '2024-06-01T10:00:00Z', 0, undefined],
  ])('%s: %s → %i hours', (_name, tz, from, to, n, first) => {
    const out = fillHours({ tz, fromMs: ms(from), toMs: ms(to) }, [])
    expect(out).toHaveLength(n)
    expect(out[0]?.ts).toBe(first)
    expect(out.every((x) => x.visits === 0 && x.failed === 0)).toBe(true)
  })

  it('merges an hour the generator did not list (30-minute DST, Lord Howe) instead of losing it', () => {
    const range = { tz: 'UTC', fromMs: ms('2024-06-01T00:00:00Z'), toMs: ms('2024-06-01T03:00:00Z') }
    const out = fillHours(range, [{ h: ms('2024-06-01T01:30:00Z') / 1000, visits: 2, failed: 0 }])
    expect(out.map((x) => x.ts.slice(11, 16))).toEqual(['00:00', '01:00', '01:30', '02:00'])
  })

  it('property: every counted visit kept, hours unique, sorted, one hour apart at least', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('UTC', 'Asia/Kolkata', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu'),
        fc.integer({ min: ms('2024-01-01T00:00:00Z'), max: ms('2024-12-01T00:00:00Z') }),
        fc.integer({ min: 0, max: 72 * H }),
        fc.array(fc.record({ k: fc.nat(), visits: fc.integer({ min: 1, max: 9 }) }), { maxLength: 10 }),
        (tz, fromMs, span, picks) => {
          const range = { tz, fromMs, toMs: fromMs + span }
          const hours = fillHours(range, [])
          fc.pre(hours.length > 0)
          // Rows at hours the generator lists (as ClickHouse would answer), each hour once.
          const byH = new Map<number, number>()
          for (const p of picks) {
            const h = Date.parse(hours[p.k % hours.length]!.ts) / 1000
            byH.set(h, (byH.get(h) ?? 0) + p.visits)
          }
          const rows = [...byH].map(([h, visits]) => ({ h, visits, failed: 0 }))
          const out = fillHours(range, rows)
          expect(out).toHaveLength(hours.length)
          expect(out.reduce((n, x) => n + x.visits, 0)).toBe(rows.reduce((n, x) => n + x.visits, 0))
          for (let i = 1; i < out.length; i++)
            expect(Date.parse(out[i]!.ts) - Date.parse(out[i - 1]!.ts)).toBeGreaterThanOrEqual(H)
          expect(Date.parse(out[0]!.ts)).toBeLessThanOrEqual(fromMs)
          expect(Date.parse(out.at(-1)!.ts)).toBeLessThan(range.toMs)
        },
      ),
    )
  })
})
