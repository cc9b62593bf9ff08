import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Condition, Conditions } from '../routing.schema.ts'
import type { ConfigRows, Decision, RequestContext, RouterState } from '../routing.types.ts'
import { type RouteOptions, route, routeOffer } from './router.ts'
import { compileSnapshot, findCampaign } from './snapshot.ts'
import {
  campaignRow,
  ctx,
  destinationRow,
  fakeState,
  mulberry32,
  NOW,
  only,
  rows,
  sourceRow,
  streamRow,
  uid,
} from './test-fixtures.ts'

const CLICK = '01JNMQ0000ABCDEFGHJKMNPQRS'

function run(
  config: ConfigRows,
  request: Partial<RequestContext> = {},
  state: RouterState = fakeState(),
  options: RouteOptions = {},
  alias = 'camp',
): Decision {
  const snapshot = compileSnapshot(config)
  return route(snapshot, findCampaign(snapshot, alias)!, ctx(request), state, NOW, CLICK, options)
}

const DE: Condition = { type: 'country', op: 'is', values: ['DE'] }
const US: Condition = { type: 'country', op: 'is', values: ['US'] }

describe('stream order', () => {
  const config = (forcedMatches: boolean, regularMatches: boolean) =>
    rows({
      streams: [
        streamRow(1, { kind: 'default', destinations: [1] }),
        streamRow(2, { kind: 'regular', priority: 2, destinations: [2], conditions: only(US) }),
        streamRow(3, {
          kind: 'regular',
          priority: 1,
          destinations: [3],
          conditions: only(regularMatches ? US : DE),
        }),
        streamRow(4, {
          kind: 'forced',
          priority: 9,
          destinations: [2],
          conditions: only(forcedMatches ? US : DE),
        }),
      ],
    })

  it('forced first', () => {
    expect(run(config(true, true))).toMatchObject({ kind: 'redirect', streamId: uid(104) })
  })
  it('then regular by priority (lower first)', () => {
    expect(run(config(false, true))).toMatchObject({ kind: 'redirect', streamId: uid(103) })
    expect(run(config(false, false))).toMatchObject({ kind: 'redirect', streamId: uid(102) })
  })
  it('then default', () => {
    expect(run(config(false, false), { country: 'FR' })).toMatchObject({
      kind: 'redirect',
      streamId: uid(101),
    })
  })
})

describe('fallthrough and trafficback', () => {
  it('skips a matched stream with nothing available and records why', () => {
    const state = fakeState()
    state.daily.set(uid(1001), 5)
    const d = run(
      rows({
        destinations: [
          destinationRow(1, { dailyClickCap: 5 }),
          destinationRow(2, { status: 'paused' }),
          destinationRow(3),
        ],
        streams: [
          streamRow(1, { priority: 1, destinations: [1, 2] }),
          streamRow(2, { priority: 2, destinations: [3] }),
        ],
      }),
      {},
      state,
    )
    expect(d).toMatchObject({ kind: 'redirect', streamId: uid(102), destinationId: uid(1003) })
    expect(d.trace.streams[0]).toMatchObject({
      name: 'S1',
      matched: true,
      destinations: [
        { destinationId: uid(1001), kept: false, reason: 'daily_cap' },
        { destinationId: uid(1002), kept: false, reason: 'status' },
      ],
    })
  })

  it('no stream matched', () => {
    const d = run(rows({ streams: [streamRow(1, { conditions: only(DE) })] }))
    expect(d).toMatchObject({
      kind: 'trafficback',
      reason: 'no stream matched',
      target: { type: 'url', url: 'https://tb.example/' },
    })
    expect(d.trace.trafficback?.reason).toBe('no stream matched')
  })

  it('no destination available in stream X', () => {
    const d = run(
      rows({
        destinations: [destinationRow(1, { health: 'unhealthy' })],
        streams: [streamRow(1), streamRow(2, { conditions: only(DE) })],
      }),
    )
    expect(d).toMatchObject({ kind: 'trafficback', reason: 'no destination available in stream S1' })
    const two = run(rows({ destinations: [], streams: [streamRow(1), streamRow(2)] }))
    expect(two).toMatchObject({ reason: 'no destination available in streams S1, S2' })
  })

  it('campaign paused', () => {
    const d = run(rows({ campaigns: [campaignRow({ status: 'paused' })] }))
    expect(d).toMatchObject({
      kind: 'trafficback',
      reason: 'campaign paused',
      effects: { rememberCampaign: {} },
    })
  })

  it('no streams at all', () => {
    expect(run(rows({ streams: [] }))).toMatchObject({ kind: 'trafficback', reason: 'no stream matched' })
  })

  it('trafficback to another campaign, a missing one, or itself', () => {
    const other = campaignRow({ id: uid(2), alias: 'other' })
    const to = (id: string) =>
      run(
        rows({
          campaigns: [campaignRow({ trafficback: { type: 'campaign', campaign_id: id } }), other],
          streams: [],
        }),
      )
    expect(to(uid(2))).toMatchObject({ target: { type: 'campaign', campaign_id: uid(2) } })
    expect(to(uid(77))).toMatchObject({
      target: { type: 'none' },
      reason: 'no stream matched; trafficback campaign not found',
    })
    expect(to(uid(1))).toMatchObject({ target: { type: 'none' } })
  })
})

describe('redirect', () => {
  it('renders macros with the click ID and never uses url/redirect_url', () => {
    const d = run(
      rows({
        campaigns: [campaignRow({ sourceId: uid(9) })],
        sources: [sourceRow()],
        destinations: [
          destinationRow(1, {
            url: 'https://offer.example/o?c={click_id}&s1={sub1}&x={external_id}&cc={country}&u={url}&camp={campaign_id}',
          }),
        ],
      }),
      {
        query: {
          sub1: 'a/b c',
          clickid: 'ext-1',
          url: 'https://evil.example/',
          redirect_url: 'https://evil.example/',
        },
      },
    )
    expect(d.kind).toBe('redirect')
    if (d.kind !== 'redirect') return
    expect(d.url).toBe(`https://offer.example/o?c=${CLICK}&s1=a%2Fb%20c&x=ext-1&cc=US&u=&camp=${uid(1)}`)
    expect(new URL(d.url).host).toBe('offer.example')
    expect(d.trace.picked).toEqual({
      streamId: uid(101),
      destinationId: uid(1001),
      strategy: 'waterfall',
      url: d.url,
    })
  })

  it('returns the effects to apply', () => {
    const d = run(
      rows({
        campaigns: [campaignRow({ antiRepeat: { enabled: true, window_seconds: 60 } })],
        streams: [streamRow(1, { strategy: 'round_robin', destinations: [1, 2, 3] })],
      }),
      { userKey: 'k' },
    )
    expect(d.effects).toEqual({
      countDestination: uid(1001),
      rememberCampaign: { userKey: 'k', campaignId: uid(1) },
      rememberDestination: { userKey: 'k', destinationId: uid(1001) },
      roundRobin: { streamId: uid(101), cursor: 1 },
    })
  })

  it('anti-repeat sends a returning visitor to another destination, then trafficback', () => {
    const state = fakeState()
    const config = rows({
      campaigns: [campaignRow({ antiRepeat: { enabled: true, window_seconds: 3600 } })],
      streams: [streamRow(1, { destinations: [1, 2] })],
    })
    state.seenDestination.set(`visitor-1|${uid(1001)}`, NOW.getTime() - 10_000)
    expect(run(config, {}, state)).toMatchObject({ destinationId: uid(1002) })
    state.seenDestination.set(`visitor-1|${uid(1002)}`, NOW.getTime() - 10_000)
    expect(run(config, {}, state)).toMatchObject({
      kind: 'trafficback',
      reason: 'no destination available in stream S1',
    })
  })

  it('unique uses the campaign window (default 24 h)', () => {
    const state = fakeState()
    state.seenCampaign.set(`visitor-1|${uid(1)}`, NOW.getTime() - 3600_000)
    expect(run(rows(), {}, state).unique).toBe(false)
    expect(run(rows(), { userKey: 'new' }, state).unique).toBe(true)
    const short = rows({ campaigns: [campaignRow({ antiRepeat: { enabled: false, window_seconds: 60 } })] })
    expect(run(short, {}, state).unique).toBe(true)
  })
})

describe('trace', () => {
  const config = rows({ streams: [streamRow(1, { conditions: only(DE) }), streamRow(2, { priority: 200 })] })

  it('is cheap by default', () => {
    const d = run(config)
    expect(d.trace.streams[0]).toEqual({ streamId: uid(101), name: 'S1', kind: 'regular', matched: false })
    expect(d.trace.streams[1]?.destinations).toBeUndefined()
  })

  it('is detailed on request', () => {
    const d = run(config, {}, fakeState(), { trace: true })
    expect(d.trace.streams[0]?.failed).toBe('country is [DE] — got US')
    expect(d.trace.streams[1]?.destinations).toEqual([{ destinationId: uid(1001), name: 'D1', kept: true }])
  })
})

describe('never throws', () => {
  it('turns a throwing state into a routing-error trafficback', () => {
    const state = {
      ...fakeState(),
      random: () => 0,
      dailyClicks: () => {
        throw new Error('boom')
      },
    }
    const d = run(rows({ destinations: [destinationRow(1, { dailyClickCap: 5 })] }), {}, state)
    expect(d).toMatchObject({ kind: 'trafficback', reason: 'routing error: boom', target: { type: 'url' } })
  })

  const str = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '',
      'US',
      'de',
      'mobile',
      'iOS',
      'Chrome',
      '10.1.2.3',
      '::ffff:10.0.0.1',
      '2001:db8::5',
      '*',
    ),
  )
  const values = fc.array(str, { minLength: 1, maxLength: 4 })
  const op = fc.constantFrom('is' as const, 'is_not' as const)
  const hhmm = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)
  const schedule = fc.record({
    days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
    from: hhmm,
    to: hhmm,
  })
  const condition: fc.Arbitrary<Condition> = fc.oneof(
    fc.record({ type: fc.constant('country' as const), op, values }),
    fc.record({ type: fc.constant('language' as const), op, values }),
    fc.record({
      type: fc.constant('device' as const),
      op,
      values: fc.array(
        fc.constantFrom('desktop' as const, 'mobile' as const, 'tablet' as const, 'other' as const),
        {
          minLength: 1,
        },
      ),
    }),
    fc.record({ type: fc.constant('os' as const), op, values }),
    fc.record({ type: fc.constant('browser' as const), op, values }),
    fc.record({
      type: fc.constant('ip' as const),
      op,
      values: fc.array(
        fc.oneof(str, fc.constantFrom('10.0.0.0/8', '2001:db8::/32', '::ffff:0:0/96', '1.2.3.4/40')),
      ),
    }),
    fc.record({ type: fc.constant('user_agent' as const), op, values }),
    fc.record({ type: fc.constant('referrer' as const), op, values }),
    fc.record({ type: fc.constant('param' as const), op, name: str, values }),
    fc.record({ type: fc.constant('source' as const), op, values }),
    fc.record({ type: fc.constant('bot' as const), op }),
    fc.record({ type: fc.constant('schedule' as const), op, schedule }),
    fc.record({
      type: fc.constant('unique' as const),
      op,
      window_seconds: fc.integer({ min: 1, max: 31 * 86400 }),
    }),
  )
  const join = fc.constantFrom('and' as const, 'or' as const)
  const conditions: fc.Arbitrary<Conditions> = fc.record({
    join,
    groups: fc.oneof(
      fc.constant<Conditions['groups']>([]),
      fc.array(fc.record({ join, rules: fc.array(condition, { minLength: 1, maxLength: 3 }) }), {
        maxLength: 3,
      }),
    ),
  })
  const num = fc.oneof(
    fc.integer({ min: 0, max: 20 }),
    fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY),
  )
  /** null three times out of four: most destinations should be available. */
  const maybe = <T>(a: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: a, weight: 1 })
  const mostly = <T>(common: T, ...rare: T[]) =>
    fc.oneof(
      { arbitrary: fc.constant(common), weight: 4 },
      { arbitrary: fc.constantFrom(...rare), weight: 1 },
    )

  const config = fc
    .record({
      campaign: fc.record({
        status: mostly<'active' | 'paused'>('active', 'paused'),
        timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Tokyo', 'Asia/Kathmandu', 'Not/AZone'),
        antiRepeat: fc.record({ enabled: fc.boolean(), window_seconds: fc.integer({ min: 1, max: 86400 }) }),
        trafficback: fc.constantFrom(
          { type: 'none' as const },
          { type: 'url' as const, url: 'https://tb.example/' },
          { type: 'campaign' as const, campaign_id: uid(55) },
        ),
      }),
      destinations: fc.array(
        fc.record({
          status: mostly<'active' | 'paused' | 'archived'>('active', 'paused', 'archived'),
          url: fc.constantFrom(
            'https://a.example/?c={click_id}&s={sub1}&k={unknown}',
            'http://b.example:8080/{country}/{device}/{os}?u={utm_source}&e={external_id}',
            'https://c.example{sub2}/p',
            'not a url {sub1}',
          ),
          schedule: maybe(schedule),
          dailyClickCap: maybe(fc.integer({ min: 1, max: 10 })),
          totalClickCap: maybe(fc.integer({ min: 1, max: 10 })),
          health: mostly<'unknown' | 'healthy' | 'unhealthy'>('unknown', 'healthy', 'unhealthy'),
        }),
        { maxLength: 5 },
      ),
      streams: fc.array(
        fc.record({
          kind: fc.constantFrom('forced' as const, 'regular' as const, 'default' as const),
          priority: fc.integer({ min: 0, max: 5 }),
          conditions,
          strategy: fc.constantFrom(
            'waterfall' as const,
            'round_robin' as const,
            'weighted' as const,
            'best_roi' as const,
          ),
          exploration: fc.double({ min: 0, max: 1, noNaN: true }),
          active: mostly(true, false),
          links: fc.array(
            fc.record({
              d: fc.integer({ min: 0, max: 6 }),
              weight: fc.integer({ min: 0, max: 10000 }),
              active: mostly(true, false),
            }),
            { maxLength: 6 },
          ),
        }),
        { maxLength: 5 },
      ),
    })
    .map(
      (g): ConfigRows => ({
        version: 1,
        campaigns: [campaignRow(g.campaign)],
        destinations: g.destinations.map((d, i) => destinationRow(i, d)),
        streams: g.streams.map(({ links, ...s }, i) =>
          streamRow(i, {
            ...s,
            destinations: links.map((l) => ({
              destinationId: uid(1000 + l.d),
              weight: l.weight,
              active: l.active,
            })),
          }),
        ),
        sources: [sourceRow()],
      }),
    )

  const request: fc.Arbitrary<RequestContext> = fc.record({
    ip: fc.oneof(str, fc.ipV4(), fc.ipV6()),
    country: str,
    language: str,
    device: fc.constantFrom('desktop' as const, 'mobile' as const, 'tablet' as const, 'other' as const),
    os: str,
    osVersion: str,
    browser: str,
    userAgent: fc.string({ unit: 'binary', maxLength: 40 }),
    referrer: fc.string({ unit: 'binary', maxLength: 40 }),
    isBot: fc.boolean(),
    userKey: fc.constantFrom('a', 'b', ''),
    query: fc.dictionary(
      fc.oneof(
        str,
        fc.constantFrom('__proto__', 'constructor', 'url', 'redirect_url', 'sub1', 'source', 'external_id'),
      ),
      fc.string({ unit: 'binary', maxLength: 20 }),
    ),
  })

  const stateRecord = fc.record({
    n: num,
    last: fc.option(fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.constant(Number.NaN)), {
      nil: undefined,
      freq: 2,
    }),
    cursor: fc.oneof(fc.integer(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1)),
    epc: fc.option(fc.record({ epcMicros: num, clicks: fc.integer({ min: 0, max: 1000 }) }), {
      nil: undefined,
    }),
    seed: fc.integer(),
    badRandom: fc.constantFrom(undefined, Number.NaN, 1, -0.5, 2),
  })
  /** A fresh state (its own PRNG) from a generated record: two calls replay the same draws. */
  const stateOf = (s: typeof stateRecord extends fc.Arbitrary<infer T> ? T : never): RouterState => {
    const prng = mulberry32(s.seed)
    return {
      dailyClicks: () => s.n,
      totalClicks: () => s.n,
      lastSeenDestination: () => s.last,
      lastSeenCampaign: () => s.last,
      roundRobinCursor: () => s.cursor,
      epc: () => s.epc,
      random: () => s.badRandom ?? prng(),
    }
  }
  const state = stateRecord.map(stateOf)

  const now = fc.oneof(
    fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') }),
    fc.constant(new Date(Number.NaN)),
  )

  it('route() returns a well-formed decision for any config, request and state', () => {
    let redirects = 0
    fc.assert(
      fc.property(config, request, state, now, fc.boolean(), (cfg, req, st, at, trace) => {
        const snapshot = compileSnapshot(cfg)
        const campaign = findCampaign(snapshot, 'camp')!
        const d = route(snapshot, campaign, req, st, at, CLICK, { trace })
        expect(d.kind === 'redirect' || d.kind === 'trafficback').toBe(true)
        if (d.kind === 'trafficback') {
          expect(d.reason).not.toMatch(/^routing error/)
          return
        }
        const url = new URL(d.url)
        const dest = snapshot.destinationsById.get(d.destinationId)!
        expect(url.host).toBe(new URL(dest.template.origin).host)
        expect(d.effects.countDestination).toBe(d.destinationId)
        redirects++
      }),
      { numRuns: 1500 },
    )
    // The generators must reach the redirect path often enough to mean something.
    expect(redirects).toBeGreaterThan(100)
  })

  it('lean routing (the hot path) decides exactly as traced routing, without the trace', () => {
    fc.assert(
      fc.property(config, request, stateRecord, now, fc.boolean(), (cfg, req, st, at, skipLanders) => {
        const snapshot = compileSnapshot(cfg)
        const campaign = findCampaign(snapshot, 'camp')!
        const { trace: _traced, ...full } = route(snapshot, campaign, req, stateOf(st), at, CLICK, {
          skipLanders,
        })
        const { trace, ...lean } = route(snapshot, campaign, req, stateOf(st), at, CLICK, {
          skipLanders,
          lean: true,
        })
        expect(lean).toEqual(full)
        expect(trace.streams).toEqual([])
        expect(Object.isFrozen(trace)).toBe(true)
        // A lander's call to action (first generated stream).
        const offerFull = routeOffer(snapshot, campaign, uid(100), req, stateOf(st), at, CLICK)
        const offerLean = routeOffer(snapshot, campaign, uid(100), req, stateOf(st), at, CLICK, {
          lean: true,
        })
        expect({ ...offerLean, trace: undefined }).toEqual({ ...offerFull, trace: undefined })
      }),
      { numRuns: 1000 },
    )
  })
})
