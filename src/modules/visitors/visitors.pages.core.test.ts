import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nextPageWaiter } from './visitors.pages.core.ts'

const w = (keys: string) => (keys ? keys.split(' ').map((key) => ({ key })) : [])
const open = (spec: Record<string, number>) => new Map(Object.entries(spec))

describe('nextPageWaiter (fair page cap)', () => {
  it.each([
    ['nobody waits', '', {}, -1],
    ['one waiter', 'a', { a: 4 }, 0],
    ['FIFO within a project', 'a a a', { a: 2 }, 0],
    // A holds every page and queues first: B (none open) still gets the freed page.
    ['the starved project first', 'a a a b a', { a: 3 }, 3],
    ['fewest open wins', 'a b c', { a: 2, b: 1, c: 3 }, 1],
    ['tie: the oldest waiter', 'b a', { a: 1, b: 1 }, 0],
    ['tie at zero: the oldest waiter', 'c b a', {}, 0],
    ['a project alone takes pages past an even share (work-conserving)', 'a a', { a: 7 }, 0],
  ])('%s', (_name, keys, o, want) => {
    expect(nextPageWaiter(w(keys), open(o))).toBe(want)
  })

  it('property: the chosen project has the fewest pages among those waiting, and its oldest waiter is chosen', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 20 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat({ max: 8 })),
        (keys, o) => {
          const waiters = keys.map((key) => ({ key }))
          const m = new Map(Object.entries(o))
          const i = nextPageWaiter(waiters, m)
          if (waiters.length === 0) {
            expect(i).toBe(-1)
            return
          }
          const k = waiters[i]!.key
          expect(waiters.findIndex((x) => x.key === k)).toBe(i)
          for (const x of waiters) expect(m.get(k) ?? 0).toBeLessThanOrEqual(m.get(x.key) ?? 0)
        },
      ),
    )
  })

  it('simulation: two projects, one asking 10× more, share 4 pages evenly once both wait', () => {
    // Every step one page frees (the oldest-opened one) and is granted; both always have waiters.
    const max = 4
    const pages: string[] = ['a', 'a', 'a', 'a'] // A took every page first
    const counts = new Map<string, number>([['a', 4]])
    const served = { a: 0, b: 0 }
    for (let step = 0; step < 400; step++) {
      const freed = pages.shift()!
      counts.set(freed, (counts.get(freed) ?? 0) - 1)
      // A's queue is 10 deep, B's 1 deep (B asks 10× less), A's arrived first.
      const waiters = [...Array.from({ length: 10 }, () => ({ key: 'a' })), { key: 'b' }]
      const k = waiters[nextPageWaiter(waiters, counts)]!.key as 'a' | 'b'
      served[k]++
      pages.push(k)
      counts.set(k, (counts.get(k) ?? 0) + 1)
      expect(pages.length).toBe(max)
    }
    expect(served.b).toBeGreaterThanOrEqual(199)
    expect(counts.get('a')).toBe(2)
    expect(counts.get('b')).toBe(2)
  })
})
