import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDayKeyer, createRuntimeState, createVisitorMemory, hashUserKey } from './router-state.ts'

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

  it('forgets the oldest entries of a visitor past 8 campaigns and destinations', () => {
    const s = createRuntimeState()
    for (let i = 0; i < 9; i++) s.apply({ rememberCampaign: { userKey: 'u', campaignId: `c${i}` } }, i)
    expect(s.lastSeenCampaign('u', 'c0')).toBeUndefined()
    expect(s.lastSeenCampaign('u', 'c1')).toBe(1)
    expect(s.lastSeenCampaign('u', 'c8')).toBe(8)
  })

  it('forgets the entry given longest ago, not the first written', () => {
    const s = createRuntimeState()
    s.apply(
      {
        rememberCampaign: { userKey: 'u', campaignId: 'c0' },
        rememberDestination: { userKey: 'u', destinationId: 'd' },
      },
      100,
    )
    for (let i = 1; i < 7; i++) s.apply({ rememberCampaign: { userKey: 'u', campaignId: `c${i}` } }, 10 + i)
    s.apply({ rememberCampaign: { userKey: 'u', campaignId: 'c7' } }, 5)
    expect(s.lastSeenCampaign('u', 'c7')).toBe(5)
    expect(s.lastSeenCampaign('u', 'c0')).toBe(100)
    expect(s.lastSeenDestination('u', 'd')).toBe(100)
    expect(s.lastSeenCampaign('u', 'c1')).toBeUndefined()
    expect(s.lastSeenCampaign('u', 'c2')).toBe(12)
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

  it("keeps both entries of a visitor's last click when the clock stepped back", () => {
    // Found by the small-capacity property (seed 1171561536): eight entries given at ms 1,
    // then a click at ms 0 whose destination evicted its own campaign entry.
    const s = createRuntimeState()
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8']
    for (const id of ids) s.apply({ rememberCampaign: { userKey: 'u', campaignId: id } }, 1)
    s.apply(
      {
        rememberCampaign: { userKey: 'u', campaignId: 'c9' },
        rememberDestination: { userKey: 'u', destinationId: 'd1' },
      },
      0,
    )
    expect(s.lastSeenCampaign('u', 'c9')).toBe(0)
    expect(s.lastSeenDestination('u', 'd1')).toBe(0)
  })

  it('under a small capacity answers either what it was told last or nothing', () => {
    const op = fc.record({
      user: fc.integer({ min: 0, max: 400 }),
      campaign: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5', 'c6'),
      destination: fc.option(fc.constantFrom('d1', 'd2', 'd3', 'd4', 'c1'), { nil: undefined }),
      ms: fc.integer({ min: 0, max: 4e12 }),
    })
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 600 }), (ops) => {
        const s = createRuntimeState({ memory: 64 })
        const model = new Map<string, number>()
        const users = new Set<string>()
        for (const o of ops) {
          const user = `k${o.user}.203.0.113.${o.user % 256}`
          users.add(user)
          s.apply(
            {
              rememberCampaign: { userKey: user, campaignId: o.campaign },
              ...(o.destination
                ? { rememberDestination: { userKey: user, destinationId: o.destination } }
                : {}),
            },
            o.ms,
          )
          model.set(`${user} c ${o.campaign}`, o.ms)
          if (o.destination) model.set(`${user} d ${o.destination}`, o.ms)
        }
        const lastOp = ops[ops.length - 1]!
        const lastUser = `k${lastOp.user}.203.0.113.${lastOp.user % 256}`
        expect(s.lastSeenCampaign(lastUser, lastOp.campaign)).toBe(lastOp.ms)
        users.add('never-seen')
        for (const u of users)
          for (const id of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'd1', 'd2', 'd3', 'd4', 'x']) {
            for (const [kind, got] of [
              ['c', s.lastSeenCampaign(u, id)],
              ['d', s.lastSeenDestination(u, id)],
            ] as const) {
              if (got !== undefined) expect(got).toBe(model.get(`${u} ${kind} ${id}`))
            }
          }
      }),
      { numRuns: 50 },
    )
  })

  it('keeps the visitors touched last and forgets older ones past its capacity', () => {
    const s = createRuntimeState({ memory: 16 })
    const key = (i: number) => `k${i}.198.51.100.${i}`
    for (let i = 0; i < 200; i++)
      s.apply({ rememberCampaign: { userKey: key(i), campaignId: 'c' } }, 1000 + i)
    const kept = [...Array(200).keys()].filter((i) => s.lastSeenCampaign(key(i), 'c') !== undefined)
    // A bucket takes at most 8 of the last 8 visitors, so they all survive.
    for (let i = 192; i < 200; i++) expect(s.lastSeenCampaign(key(i), 'c')).toBe(1000 + i)
    expect(kept.length).toBeLessThanOrEqual(16)
    expect(kept[0]).toBeGreaterThanOrEqual(150)
  })

  it('reading a visitor does not make it recently touched', () => {
    // One bucket of 8 ways: the 9th visitor evicts the one touched least recently.
    const m = createVisitorMemory(8)
    for (let i = 0; i < 8; i++) m.rememberCampaign(`u${i}`, 'c', i)
    expect(m.lastCampaign('u0', 'c')).toBe(0)
    m.rememberCampaign('u1', 'c', 100)
    m.rememberCampaign('u8', 'c', 8)
    expect(m.lastCampaign('u0', 'c')).toBeUndefined()
    expect(m.lastCampaign('u1', 'c')).toBe(100)
    expect(m.lastCampaign('u2', 'c')).toBe(2)
    expect(m.lastCampaign('u8', 'c')).toBe(8)
  })

  it('stores a visitor whose fingerprint is the reserved empty value, apart from others', () => {
    // Everyone lands in one bucket (hi = 0); 'zero' hashes to (0, 0), the others to (0, n + 2).
    const hash = (userKey: string, out: Uint32Array) => {
      out[0] = 0
      out[1] = userKey === 'zero' ? 0 : Number(userKey.slice(1)) + 2
    }
    const m = createVisitorMemory(8, hash)
    expect(m.lastCampaign('zero', 'c')).toBeUndefined()
    m.rememberCampaign('u0', 'c', 1)
    m.rememberCampaign('zero', 'c', 7)
    for (let i = 1; i < 7; i++) m.rememberCampaign(`u${i}`, 'c', 10 + i)
    expect(m.lastCampaign('zero', 'c')).toBe(7)
    expect(m.lastCampaign('u0', 'c')).toBe(1)
    expect(m.lastCampaign('u6', 'c')).toBe(16)
    // Bucket full: the next two new visitors evict u0, then zero.
    m.rememberCampaign('u7', 'c', 20)
    expect(m.lastCampaign('zero', 'c')).toBe(7)
    expect(m.lastCampaign('u0', 'c')).toBeUndefined()
    m.rememberCampaign('u8', 'c', 21)
    expect(m.lastCampaign('zero', 'c')).toBeUndefined()
    m.rememberCampaign('zero', 'c', 30)
    expect(m.lastCampaign('zero', 'c')).toBe(30)
    expect(m.lastCampaign('u8', 'c')).toBe(21)
  })

  it('remaps the reserved fingerprint (0, 0) to (0, 1)', () => {
    const hash = (userKey: string, out: Uint32Array) => {
      out[0] = 0
      out[1] = userKey === 'zero' ? 0 : 1
    }
    const m = createVisitorMemory(8, hash)
    m.rememberCampaign('zero', 'c', 5)
    expect(m.lastCampaign('one', 'c')).toBe(5)
  })

  it('rejects a capacity below one visitor', () => {
    expect(() => createRuntimeState({ memory: 0 })).toThrow(RangeError)
  })
})

describe('hashUserKey', () => {
  it('gives distinct 64-bit fingerprints and spreads visitors over buckets', () => {
    const out = new Uint32Array(2)
    const seen = new Set<string>()
    const perBucket = new Uint32Array(1024)
    const n = 50_000
    for (let i = 0; i < n; i++) {
      hashUserKey(`${(i % 97).toString(36)}x9.10.${(i >> 8) & 255}.${i & 255}`, out)
      seen.add(`${out[0]}:${out[1]}`)
      perBucket[out[0]! & 1023]!++
    }
    expect(seen.size).toBe(n)
    // ~49 per bucket expected; a uniform hash stays well inside [20, 90].
    expect(Math.min(...perBucket)).toBeGreaterThan(20)
    expect(Math.max(...perBucket)).toBeLessThan(90)
  })
})
