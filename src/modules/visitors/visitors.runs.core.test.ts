import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keepRecentRuns } from './visitors.runs.core.ts'

const runs = (spec: string) => spec.split(' ').map((p, i) => ({ projectId: p, id: `${p}${i}` }))
const ids = (l: { id: string }[]) => l.map((r) => r.id).join(' ')

describe('keepRecentRuns', () => {
  it.each([
    ['under both bounds: unchanged', 'a b a', 3, 10, 'a0 b1 a2'],
    ['per project: the newest two of a', 'a a a b a', 2, 10, 'a2 b3 a4'],
    ['total: the newest three overall', 'a b c d e', 5, 3, 'c2 d3 e4'],
    ['both: per project first, then total', 'a a a b b c', 2, 3, 'b3 b4 c5'],
    ['zero keeps nothing', 'a b', 0, 10, ''],
  ])('%s', (_name, spec, perProject, total, want) => {
    expect(ids(keepRecentRuns(runs(spec), { perProject, total }))).toBe(want)
  })

  it('property: bounded, a subsequence in order, and every kept run is among its project’s newest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 60 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 30 }),
        (ps, perProject, total) => {
          const list = ps.map((p, i) => ({ projectId: p, i }))
          const out = keepRecentRuns(list, { perProject, total })
          expect(out.length).toBeLessThanOrEqual(total)
          for (let k = 1; k < out.length; k++) expect(out[k]!.i).toBeGreaterThan(out[k - 1]!.i)
          for (const p of new Set(ps)) {
            const mine = out.filter((r) => r.projectId === p)
            expect(mine.length).toBeLessThanOrEqual(perProject)
            // Newer runs of the project than a kept one are kept too (no hole at the new end).
            const newest = list.filter((r) => r.projectId === p).slice(-mine.length)
            if (mine.length > 0) expect(mine.map((r) => r.i)).toEqual(newest.map((r) => r.i))
          }
          // The newest run overall is kept whenever anything can be.
          if (list.length > 0 && perProject > 0 && total > 0) expect(out.at(-1)).toBe(list.at(-1))
        },
      ),
    )
  })
})
