import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Line } from './pipeline.types.ts'
import { clickSearch, RecentClicks } from './pipeline.recent.ts'

const run = (table: Line['table'], ids: string[], ts: number): Line => {
  const bytes = Buffer.from(
    ids
      .map(
        (id) =>
          `${JSON.stringify({ type: table === 'clicks' ? 'click' : 'trafficback', click_id: id, ts })}\n`,
      )
      .join(''),
  )
  return { table, bytes, rows: ids.length, minTs: ts, maxTs: ts }
}

describe('RecentClicks', () => {
  it('keeps click runs only, dropping the oldest past the byte budget', () => {
    const a = run('clicks', ['a1', 'a2'], 1000)
    const r = new RecentClicks(a.bytes.length * 2)
    r.keep([a, run('trafficback', ['t1'], 1000)])
    r.keep([run('clicks', ['b1', 'b2'], 2000)])
    expect(r.size).toBe(2)
    r.keep([run('clicks', ['c1', 'c2'], 3000)])
    expect(r.size).toBe(2)
    expect(r.findNewest(clickSearch('a1', 1000))).toBeUndefined()
    expect(r.findNewest(clickSearch('b2', 2000))).toMatchObject({ click_id: 'b2' })
  })

  it('findNewestClickAt answers like a scan of every run, across evictions and wide runs (property)', () => {
    const arbRun = fc.record({
      table: fc.constantFrom<Line['table']>('clicks', 'clicks', 'clicks', 'lander_clicks', 'trafficback'),
      ids: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }),
      minTs: fc.integer({ min: 0, max: 2_000 }),
      span: fc.oneof(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 6_000, max: 9_000 })),
    })
    fc.assert(
      fc.property(
        fc.array(fc.array(arbRun, { maxLength: 3 }), { maxLength: 25 }),
        fc.integer({ min: 100, max: 2_000 }),
        fc.array(
          fc.record({
            id: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
            ms: fc.integer({ min: 0, max: 11_000 }),
          }),
          {
            minLength: 1,
            maxLength: 10,
          },
        ),
        (groups, budget, queries) => {
          const r = new RecentClicks(budget)
          for (const g of groups) {
            r.keep(
              g.map((x) => {
                const l = run(x.table, x.ids, x.minTs)
                return { ...l, maxTs: x.minTs + x.span }
              }),
            )
            for (const q of queries) {
              const search = clickSearch(q.id, q.ms)
              expect(r.findNewestClickAt(q.ms, search)).toEqual(r.findNewest(search))
            }
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('keeps nothing with a budget of 0', () => {
    const r = new RecentClicks(0)
    r.keep([run('clicks', ['a'], 1)])
    expect(r.size).toBe(0)
  })
})

describe('clickSearch', () => {
  it.each([
    ['finds a click in a run whose ts range covers it', 'clicks', 'x2', 1500, 'x2'],
    ['skips a run whose ts range does not cover the click time', 'clicks', 'x2', 999, undefined],
    ['skips trafficback runs', 'trafficback', 'x2', 1500, undefined],
    ['a prefix of an id is not the id', 'clicks', 'x', 1500, undefined],
  ] as const)('%s', (_name, table, id, ms, want) => {
    const l = { ...run(table, ['x1', 'x2', 'x3'], 1000), maxTs: 2000 }
    expect(clickSearch(id, ms)(l)?.click_id).toBe(want)
  })
})
