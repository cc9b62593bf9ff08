import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ConversionState,
  type ConversionStatus,
  decide,
  type NormalizedPostback,
} from './conversions.core.ts'
import { conversionKeyOf, type PlanItem, planBatch } from './postback.batch.core.ts'

const NET = '00000000-0000-4000-8000-000000000001'
const CLICKS = ['01JCLICKAAAAAAAAAAAAAAAAAA', '01JCLICKBBBBBBBBBBBBBBBBBB']

function item(clickId: string, tid: string, status: ConversionStatus, payout: number, now: number): PlanItem {
  const postback: NormalizedPostback = {
    clickId,
    transactionId: tid,
    status,
    payoutMicros: payout,
    rawStatus: status,
    currency: 'USD',
    subs: {},
  }
  return { key: conversionKeyOf(NET, clickId, tid), postback, now, defaults: {} }
}

/** The reference: every postback decided one by one against a store of states. */
function oneByOne(items: readonly PlanItem[], stored: ReadonlyMap<string, ConversionState>) {
  const store = new Map(stored)
  return items.map((it) => {
    const d = decide(store.get(it.key), it.postback, it.now, it.defaults)
    if (d.outcome === 'accepted' && d.next) store.set(it.key, d.next)
    return { d, store: new Map(store) }
  })
}

describe('conversionKeyOf', () => {
  it.each([
    ['c1', 'T-1', `t|${NET}|T-1`],
    ['c1', '', `c|${NET}|c1`],
  ])('(%s, %j) → %s', (click, tid, key) => {
    expect(conversionKeyOf(NET, click, tid)).toBe(key)
  })
})

describe('planBatch', () => {
  it.each<[string, PlanItem[], string[]]>([
    [
      'lead → sale → replayed sale inside one batch',
      [
        item(CLICKS[0]!, 'T', 'lead', 1, 1),
        item(CLICKS[0]!, 'T', 'sale', 5, 2),
        item(CLICKS[0]!, 'T', 'sale', 5, 3),
      ],
      ['accepted', 'accepted', 'duplicate'],
    ],
    [
      'sale then a late lead (bad status), two keys interleaved',
      [
        item(CLICKS[0]!, 'A', 'sale', 1, 1),
        item(CLICKS[1]!, 'B', 'lead', 1, 1),
        item(CLICKS[0]!, 'A', 'lead', 1, 2),
      ],
      ['accepted', 'accepted', 'bad_status'],
    ],
    [
      'the same transaction ID on another click',
      [item(CLICKS[0]!, 'X', 'sale', 1, 1), item(CLICKS[1]!, 'X', 'sale', 1, 2)],
      ['accepted', 'malformed'],
    ],
    [
      'a rebill without transaction ID creates nothing',
      [item(CLICKS[0]!, '', 'rebill', 1, 1)],
      ['bad_status'],
    ],
  ])('%s', (_name, items, outcomes) => {
    const plans = planBatch(items, new Map())
    const got: string[] = []
    for (const p of plans) for (const d of p.decisions) got[d.index] = d.decision.outcome
    expect(got).toEqual(outcomes)
  })

  it('gives every postback the decision it would get one by one, and the same final states (property)', () => {
    const status = fc.constantFrom<ConversionStatus>('lead', 'sale', 'rejected', 'rebill')
    const arbItem = fc.record({
      click: fc.integer({ min: 0, max: 1 }),
      tid: fc.constantFrom('', 'T1', 'T2'),
      status,
      payout: fc.integer({ min: 0, max: 5_000_000 }),
    })
    fc.assert(
      fc.property(fc.array(arbItem, { maxLength: 30 }), fc.boolean(), (raw, seedStored) => {
        const items = raw.map((r, i) => item(CLICKS[r.click]!, r.tid, r.status, r.payout, 1000 + i))
        // Optionally start from stored conversions made by the first few postbacks.
        const stored = new Map<string, ConversionState>()
        if (seedStored)
          for (const s of oneByOne(items.slice(0, 3), new Map()))
            for (const [k, v] of s.store) stored.set(k, v)
        const ref = oneByOne(items, stored)
        const plans = planBatch(items, stored)
        const seen = new Set<number>()
        for (const p of plans) {
          for (const { index, decision } of p.decisions) {
            expect(seen.has(index)).toBe(false)
            seen.add(index)
            expect(decision).toEqual(ref[index]!.d)
          }
          expect(p.final).toEqual(ref.at(-1)!.store.get(p.key))
          expect(p.events.map((e) => e.event.seq)).toEqual(
            p.events.map((_, i) => (p.stored?.version ?? 0) + i + 1),
          )
        }
        expect(seen.size).toBe(items.length)
      }),
      { numRuns: 300 },
    )
  })
})
