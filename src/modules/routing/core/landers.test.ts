import { describe, expect, it } from 'vitest'
import type { ConfigRows, Decision, RequestContext, RouterState } from '../routing.types.ts'
import { route, routeOffer } from './router.ts'
import { compileSnapshot, findCampaign } from './snapshot.ts'
import {
  campaignRow,
  ctx,
  destinationRow,
  fakeState,
  landerRow,
  mulberry32,
  NOW,
  rows,
  streamRow,
  uid,
} from './test-fixtures.ts'

const CLICK = '01JNMQ0000ABCDEFGHJKMNPQRS'
const L = (n: number, weight = 100, active = true) => ({ landerId: uid(2000 + n), weight, active })

function config(landers: ReturnType<typeof L>[], over: Partial<ConfigRows> = {}): ConfigRows {
  return rows({
    streams: [streamRow(1, { destinations: [1, 2], strategy: 'waterfall', landers })],
    landers: [landerRow(1), landerRow(2), landerRow(3, { status: 'paused' })],
    ...over,
  })
}

function run(
  c: ConfigRows,
  request: Partial<RequestContext> = {},
  state: RouterState = fakeState(),
): Decision {
  const snap = compileSnapshot(c)
  return route(snap, findCampaign(snap, 'camp')!, ctx(request), state, NOW, CLICK)
}

describe('route: landers', () => {
  const cases: {
    name: string
    landers: ReturnType<typeof L>[]
    expect: { landerId?: string; destinationId: string }
  }[] = [
    { name: 'no landers → straight to the offer', landers: [], expect: { destinationId: uid(1001) } },
    { name: 'one lander → the lander', landers: [L(1)], expect: { landerId: uid(2001), destinationId: '' } },
    {
      name: 'inactive link skipped',
      landers: [L(1, 100, false), L(2)],
      expect: { landerId: uid(2002), destinationId: '' },
    },
    {
      name: 'paused lander skipped',
      landers: [L(3), L(2)],
      expect: { landerId: uid(2002), destinationId: '' },
    },
    {
      name: 'only unavailable landers → straight to the offer',
      landers: [L(1, 100, false), L(3)],
      expect: { destinationId: uid(1001) },
    },
    {
      name: 'missing lander row → straight to the offer',
      landers: [{ landerId: uid(2999), weight: 100, active: true }],
      expect: { destinationId: uid(1001) },
    },
    {
      name: 'weight 0 loses to a positive weight',
      landers: [L(1, 0), L(2, 5)],
      expect: { landerId: uid(2002), destinationId: '' },
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const d = run(config(c.landers))
      expect(d.kind).toBe('redirect')
      if (d.kind !== 'redirect') return
      expect(d.destinationId).toBe(c.expect.destinationId)
      expect(d.landerId).toBe(c.expect.landerId)
    })
  }

  it('renders the lander URL with the click ID and sub IDs, counts no offer', () => {
    const d = run(config([L(1)]), { query: { sub1: 'zone 7' } })
    expect(d).toMatchObject({
      kind: 'redirect',
      url: `https://l1.example/lp?cid=${CLICK}&s1=zone%207`,
      effects: { rememberCampaign: { userKey: 'visitor-1', campaignId: uid(1) } },
      trace: { picked: { landerId: uid(2001), destinationId: '' } },
    })
    expect(d.effects.countDestination).toBeUndefined()
    expect(d.effects.rememberDestination).toBeUndefined()
  })

  it('picks landers by weight (seeded draws, 3:1)', () => {
    const state = fakeState(mulberry32(7))
    const snap = compileSnapshot(config([L(1, 300), L(2, 100)]))
    const campaign = findCampaign(snap, 'camp')!
    const n = new Map<string, number>()
    for (let i = 0; i < 4000; i++) {
      const d = route(snap, campaign, ctx(), state, NOW, CLICK)
      if (d.kind === 'redirect') n.set(d.landerId!, (n.get(d.landerId!) ?? 0) + 1)
    }
    const share = (n.get(uid(2001)) ?? 0) / 4000
    expect(share).toBeGreaterThan(0.72)
    expect(share).toBeLessThan(0.78)
  })

  it('a stream whose offers are all unavailable is exhausted even with landers', () => {
    const c = config([L(1)], {
      destinations: [destinationRow(1, { status: 'paused' }), destinationRow(2, { status: 'paused' })],
    })
    expect(run(c)).toMatchObject({ kind: 'trafficback' })
  })

  it('skipLanders routes straight to the offer', () => {
    const snap = compileSnapshot(config([L(1)]))
    const d = route(snap, findCampaign(snap, 'camp')!, ctx(), fakeState(), NOW, CLICK, { skipLanders: true })
    expect(d).toMatchObject({ kind: 'redirect', destinationId: uid(1001) })
    if (d.kind === 'redirect') expect(d.landerId).toBeUndefined()
  })

  it('ignores a lander of another workspace', () => {
    const c = config([L(1)], { landers: [landerRow(1, { workspaceId: uid(77) })] })
    const snap = compileSnapshot(c)
    expect(snap.warnings.some((w) => w.includes('another workspace'))).toBe(true)
    expect(run(c)).toMatchObject({ kind: 'redirect', destinationId: uid(1001) })
  })
})

describe('routeOffer (the lander CTA)', () => {
  const offer = (
    c: ConfigRows,
    streamId: string,
    request: Partial<RequestContext> = {},
    state: RouterState = fakeState(),
  ) => {
    const snap = compileSnapshot(c)
    return routeOffer(snap, findCampaign(snap, 'camp')!, streamId, ctx(request), state, NOW, CLICK)
  }

  it("picks among the stream's offers by its strategy, with the click's subs, and counts it", () => {
    const d = offer(config([L(1)]), uid(101), { query: { sub1: 'z9' } })
    expect(d).toMatchObject({
      kind: 'redirect',
      streamId: uid(101),
      destinationId: uid(1001),
      url: `https://d1.example/offer?c=${CLICK}&s1=z9`,
      effects: { countDestination: uid(1001) },
    })
    if (d.kind === 'redirect') expect(d.landerId).toBeUndefined()
  })

  it('skips an offer that reached its cap (availability as on /c/)', () => {
    const state = fakeState()
    state.daily.set(uid(1001), 1)
    const c = config([L(1)], { destinations: [destinationRow(1, { dailyClickCap: 1 }), destinationRow(2)] })
    expect(offer(c, uid(101), {}, state)).toMatchObject({ destinationId: uid(1002) })
  })

  it("does not re-check the stream's conditions", () => {
    const c = rows({
      streams: [
        streamRow(1, {
          destinations: [2],
          landers: [L(1)],
          conditions: {
            join: 'and',
            groups: [{ join: 'and', rules: [{ type: 'country', op: 'is', values: ['DE'] }] }],
          },
        }),
        streamRow(2, { kind: 'default', destinations: [1] }),
      ],
      landers: [landerRow(1)],
    })
    expect(offer(c, uid(101), { country: 'US' })).toMatchObject({ destinationId: uid(1002) })
  })

  const fallbacks: { name: string; c: ConfigRows; stream: string; expect: Partial<Decision> }[] = [
    {
      name: 'unknown stream → the campaign routed afresh without landers',
      c: config([L(1)]),
      stream: uid(999),
      expect: { kind: 'redirect', destinationId: uid(1001) },
    },
    {
      name: "stream's offers all unavailable → afresh (here: trafficback)",
      c: config([L(1)], {
        destinations: [destinationRow(1, { status: 'paused' }), destinationRow(2, { status: 'paused' })],
      }),
      stream: uid(101),
      expect: { kind: 'trafficback' },
    },
    {
      name: 'paused campaign → trafficback',
      c: config([L(1)], { campaigns: [campaignRow({ status: 'paused' })] }),
      stream: uid(101),
      expect: { kind: 'trafficback', reason: 'campaign paused' } as Partial<Decision>,
    },
  ]
  for (const f of fallbacks) {
    it(f.name, () => {
      const d = offer(f.c, f.stream)
      expect(d).toMatchObject(f.expect)
      if (d.kind === 'redirect') expect(d.landerId).toBeUndefined()
    })
  }
})
