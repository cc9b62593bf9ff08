import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDayKeyer, createRuntimeState } from './router-state.ts'

const D = 'dest-1'

describe('createDayKeyer', () => {
  it.each([
    ['UTC', '2026-03-01T23:59:59.999Z', '2026-03-01'],
    ['UTC', '2026-03-02T00:00:00.000Z', '2026-03-02'],
    ['Europe/Berlin', '2026-03-01T23:30:00Z', '2026-03-02'],
    ['America/New_York', '2026-03-02T03:00:00Z', '2026-03-01'],
    ['Asia/Kolkata', '2026-03-01T18:29:00Z', '2026-03-01'],
    ['Asia/Kolkata', '2026-03-01T18:30:00Z', '2026-03-02'],
  ])('%s at %s is %s', (tz, at, day) => {
    expect(createDayKeyer()(tz, Date.parse(at))).toBe(day)
  })

  it('does not reuse a cached day across midnight', () => {
    const key = createDayKeyer()
    expect(key('UTC', Date.parse('2026-03-01T23:59:59.900Z'))).toBe('2026-03-01')
    expect(key('UTC', Date.parse('2026-03-02T00:00:00.100Z'))).toBe('2026-03-02')
  })
})

describe('runtime state', () => {
  it('counts daily and total clicks and resets the daily count at midnight in the cap timezone', () => {
    const s = createRuntimeState()
    s.setCapTimezones(new Map([[D, 'Europe/Berlin']]))
    const t1 = Date.parse('2026-03-01T22:00:00Z') // 23:00 Berlin
    s.apply({ countDestination: D, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, t1)
    s.apply({ countDestination: D, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, t1)
    expect(s.dailyClicks(D, new Date(t1))).toBe(2)
    const t2 = Date.parse('2026-03-01T23:00:00Z') // 00:00 Berlin next day
    expect(s.dailyClicks(D, new Date(t2))).toBe(0)
    s.apply({ countDestination: D, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, t2)
    expect(s.dailyClicks(D, new Date(t2))).toBe(1)
    expect(s.totalClicks(D)).toBe(3)
  })

  it('loads persisted counters and hands out deltas exactly once', () => {
    const s = createRuntimeState()
    const now = Date.parse('2026-03-01T12:00:00Z')
    s.load(
      [
        { destinationId: D, day: '2026-02-28', clicks: 10 },
        { destinationId: D, day: '2026-03-01', clicks: 4 },
      ],
      now,
    )
    expect(s.totalClicks(D)).toBe(14)
    expect(s.dailyClicks(D, new Date(now))).toBe(4)
    s.apply({ countDestination: D, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, now)
    const deltas = s.drainDeltas()
    expect(deltas).toEqual([{ destinationId: D, day: '2026-03-01', clicks: 1 }])
    expect(s.drainDeltas()).toEqual([])
    s.restoreDeltas(deltas)
    expect(s.drainDeltas()).toEqual(deltas)
  })

  it('remembers visitors per destination and campaign, and round-robin cursors', () => {
    const s = createRuntimeState()
    s.apply(
      {
        rememberDestination: { userKey: 'u', destinationId: D },
        rememberCampaign: { userKey: 'u', campaignId: 'c' },
        roundRobin: { streamId: 's', cursor: 3 },
      },
      1000,
    )
    expect(s.lastSeenDestination('u', D)).toBe(1000)
    expect(s.lastSeenDestination('v', D)).toBeUndefined()
    expect(s.lastSeenCampaign('u', 'c')).toBe(1000)
    expect(s.roundRobinCursor('s')).toBe(3)
    expect(s.roundRobinCursor('other')).toBe(0)
  })

  it('keeps campaigns and destinations apart even when their IDs are equal', () => {
    const s = createRuntimeState()
    s.apply({ rememberCampaign: { userKey: 'u', campaignId: 'x' } }, 1000)
    expect(s.lastSeenDestination('u', 'x')).toBeUndefined()
    s.apply(
      {
        rememberCampaign: { userKey: 'u', campaignId: 'x' },
        rememberDestination: { userKey: 'u', destinationId: 'x' },
      },
      2000,
    )
    expect(s.lastSeenCampaign('u', 'x')).toBe(2000)
    expect(s.lastSeenDestination('u', 'x')).toBe(2000)
  })

  it('forgets the oldest entries of a visitor past 32 campaigns and destinations', () => {
    const s = createRuntimeState()
    for (let i = 0; i < 33; i++) s.apply({ rememberCampaign: { userKey: 'u', campaignId: `c${i}` } }, i)
    expect(s.lastSeenCampaign('u', 'c0')).toBeUndefined()
    expect(s.lastSeenCampaign('u', 'c1')).toBe(1)
    expect(s.lastSeenCampaign('u', 'c32')).toBe(32)
  })

  it('answers like a plain map of (visitor, campaign|destination) → last time', () => {
    const op = fc.record({
      user: fc.constantFrom('u1', 'u2', 'u3'),
      campaign: fc.constantFrom('c1', 'c2', 'c3'),
      destination: fc.option(fc.constantFrom('d1', 'd2', 'c1'), { nil: undefined }),
      ms: fc.integer({ min: 0, max: 4e12 }),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = createRuntimeState()
        const model = new Map<string, number>()
        for (const o of ops) {
          s.apply(
            {
              rememberCampaign: { userKey: o.user, campaignId: o.campaign },
              ...(o.destination
                ? { rememberDestination: { userKey: o.user, destinationId: o.destination } }
                : {}),
            },
            o.ms,
          )
          model.set(`${o.user} c ${o.campaign}`, o.ms)
          if (o.destination) model.set(`${o.user} d ${o.destination}`, o.ms)
        }
        for (const u of ['u1', 'u2', 'u3', 'u4'])
          for (const id of ['c1', 'c2', 'c3', 'd1', 'd2']) {
            expect(s.lastSeenCampaign(u, id)).toBe(model.get(`${u} c ${id}`))
            expect(s.lastSeenDestination(u, id)).toBe(model.get(`${u} d ${id}`))
          }
      }),
    )
  })
})
