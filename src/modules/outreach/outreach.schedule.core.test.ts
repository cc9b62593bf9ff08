import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  localDay,
  localTime,
  mailboxSlot,
  nextDay,
  nextMidnight,
  type RunDueCampaign,
  runDue,
  sendCapacity,
  spreadSends,
  windowOf,
} from './outreach.schedule.core.ts'

const at = (iso: string) => new Date(iso)
const iso = (d: Date) => d.toISOString()

describe('localDay / nextMidnight (table)', () => {
  it.each([
    // now (UTC)                 zone                   local day      next midnight (UTC)
    ['2026-06-01T10:30:00Z', 'UTC', '2026-06-01', '2026-06-02T00:00:00.000Z'],
    ['2026-06-01T10:30:00Z', 'Pacific/Kiritimati', '2026-06-02', '2026-06-02T10:00:00.000Z'], // UTC+14
    ['2026-06-01T09:59:59Z', 'Pacific/Kiritimati', '2026-06-01', '2026-06-01T10:00:00.000Z'],
    ['2026-06-01T03:00:00Z', 'America/New_York', '2026-05-31', '2026-06-01T04:00:00.000Z'],
    // The day before spring forward is 24 h; the midnight after it is still EST (−5).
    ['2026-03-07T12:00:00Z', 'America/New_York', '2026-03-07', '2026-03-08T05:00:00.000Z'],
    // Spring-forward day (23 h): its next midnight is EDT (−4).
    ['2026-03-08T12:00:00Z', 'America/New_York', '2026-03-08', '2026-03-09T04:00:00.000Z'],
    // Fall-back day in Berlin (25 h): next midnight is CET (+1).
    ['2026-10-25T12:00:00Z', 'Europe/Berlin', '2026-10-25', '2026-10-25T23:00:00.000Z'],
    ['2026-10-24T12:00:00Z', 'Europe/Berlin', '2026-10-24', '2026-10-24T22:00:00.000Z'],
    // Santiago's midnight does not exist on 2026-09-06 (24:00 → 01:00): the day starts at 01:00.
    ['2026-09-05T12:00:00Z', 'America/Santiago', '2026-09-05', '2026-09-06T04:00:00.000Z'],
  ])('%s in %s → %s, resets at %s', (now, tz, day, midnight) => {
    expect(localDay(at(now), tz)).toBe(day)
    expect(iso(nextMidnight(at(now), tz))).toBe(midnight)
  })

  it('refuses an unknown zone and a bad date', () => {
    expect(() => localDay(at('2026-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(RangeError)
    expect(() => nextDay('2026-02-30')).toThrow(RangeError)
    expect(() => nextDay('26-1-1')).toThrow(RangeError)
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
    expect(nextDay('2028-02-28')).toBe('2028-02-29')
  })
})

describe('windowOf (table, daylight saving days)', () => {
  it.each([
    ['2026-06-01', 'UTC', 540, 1020, '2026-06-01T09:00:00.000Z', '2026-06-01T17:00:00.000Z'],
    // Spring forward: 09:00 EDT; the window keeps its wall times.
    ['2026-03-08', 'America/New_York', 540, 1020, '2026-03-08T13:00:00.000Z', '2026-03-08T21:00:00.000Z'],
    // 01:30–03:30 spans the gap: 02:00–03:00 does not exist, so it is 1 h long in real time.
    ['2026-03-08', 'America/New_York', 90, 210, '2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z'],
    // A start inside the gap (02:30) moves forward by the gap: 03:30 EDT.
    ['2026-03-08', 'America/New_York', 150, 300, '2026-03-08T07:30:00.000Z', '2026-03-08T09:00:00.000Z'],
    // Both bounds inside the gap move forward together (02:00–02:50 → 03:00–03:50 EDT).
    ['2026-03-08', 'America/New_York', 120, 170, '2026-03-08T07:00:00.000Z', '2026-03-08T07:50:00.000Z'],
    // 02:30–03:00: the start moves to 03:30, past the end (03:00): the window is empty.
    ['2026-03-08', 'America/New_York', 150, 180, '2026-03-08T07:30:00.000Z', '2026-03-08T07:30:00.000Z'],
    // Fall back: 02:30 happens twice; the earlier instant (CEST, +2) is taken.
    ['2026-10-25', 'Europe/Berlin', 150, 240, '2026-10-25T00:30:00.000Z', '2026-10-25T03:00:00.000Z'],
    ['2026-10-25', 'Europe/Berlin', 540, 1020, '2026-10-25T08:00:00.000Z', '2026-10-25T16:00:00.000Z'],
    // 24:00 is the next day's start.
    ['2026-06-01', 'Pacific/Kiritimati', 0, 1440, '2026-05-31T10:00:00.000Z', '2026-06-01T10:00:00.000Z'],
  ])('%s %s [%i, %i) → [%s, %s)', (day, tz, s, e, start, end) => {
    const w = windowOf(day, tz, s, e)
    expect([iso(w.start), iso(w.end)]).toEqual([start, end])
  })

  it('property: the window starts on its local day and is its nominal length ± 1 h', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'Pacific/Kiritimati',
      'America/Santiago',
      'Australia/Lord_Howe',
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 364 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 1, max: 1440 }),
        (tz, dayIndex, startMin, len) => {
          const endMin = Math.min(1440, startMin + len)
          fc.pre(endMin > startMin)
          const day = new Date(Date.UTC(2026, 0, 1 + dayIndex)).toISOString().slice(0, 10)
          const w = windowOf(day, tz, startMin, endMin)
          expect(localDay(w.start, tz)).toBe(day)
          const realMin = (w.end.getTime() - w.start.getTime()) / 60_000
          expect(realMin).toBeGreaterThanOrEqual(0)
          expect(Math.abs(realMin - (endMin - startMin))).toBeLessThanOrEqual(60)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses bounds out of order or out of range', () => {
    expect(() => windowOf('2026-06-01', 'UTC', 600, 600)).toThrow(RangeError)
    expect(() => windowOf('2026-06-01', 'UTC', 600, 1441)).toThrow(RangeError)
    expect(() => localTime('2026-06-01', 'UTC', -1)).toThrow(RangeError)
    expect(() => localTime('2026-06-01', 'UTC', 1.5)).toThrow(RangeError)
  })
})

describe('spreadSends (table)', () => {
  const window = { start: at('2026-06-01T09:00:00Z'), end: at('2026-06-01T17:00:00Z') }
  const times = (count: number, now: string, minGapMs: number) =>
    spreadSends({ count, now: at(now), window, minGapMs }).map(iso)

  it('spreads evenly from the window start when run before it', () => {
    expect(times(4, '2026-06-01T06:00:00Z', 60_000)).toEqual([
      '2026-06-01T09:00:00.000Z',
      '2026-06-01T11:00:00.000Z',
      '2026-06-01T13:00:00.000Z',
      '2026-06-01T15:00:00.000Z',
    ])
  })

  it('uses only what remains when run inside the window', () => {
    expect(times(2, '2026-06-01T16:00:00Z', 60_000)).toEqual([
      '2026-06-01T16:00:00.000Z',
      '2026-06-01T16:30:00.000Z',
    ])
  })

  it('returns only as many as fit at the minimum gap (the rest wait for the next run)', () => {
    // 10 minutes left, 4-minute gap: 16:50, 16:54, 16:58.
    expect(times(50, '2026-06-01T16:50:00Z', 240_000)).toEqual([
      '2026-06-01T16:50:00.000Z',
      '2026-06-01T16:54:00.000Z',
      '2026-06-01T16:58:00.000Z',
    ])
  })

  it('nothing after the window closed, nothing for count 0', () => {
    expect(times(5, '2026-06-01T17:00:00Z', 1000)).toEqual([])
    expect(times(5, '2026-06-01T20:00:00Z', 1000)).toEqual([])
    expect(times(0, '2026-06-01T10:00:00Z', 1000)).toEqual([])
  })

  it('capacity counts the first send at the span start', () => {
    expect(sendCapacity(0, 10, 3)).toBe(4) // 0, 3, 6, 9
    expect(sendCapacity(0, 9, 3)).toBe(3) // 0, 3, 6
    expect(sendCapacity(0, 0, 3)).toBe(0)
    expect(sendCapacity(0, 5, 0)).toBe(5) // gap 0 counts as 1 ms
  })

  it('properties: inside the remaining window, sorted, gaps ≥ min gap, count = min(count, capacity)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 10 * 3_600_000 }), // window start offset
        fc.integer({ min: 1, max: 16 * 3_600_000 }), // window length
        fc.integer({ min: -3_600_000, max: 20 * 3_600_000 }), // now offset
        fc.integer({ min: 0, max: 3_600_000 }),
        (count, startOff, len, nowOff, minGapMs) => {
          const base = Date.UTC(2026, 5, 1)
          const w = { start: new Date(base + startOff), end: new Date(base + startOff + len) }
          const now = new Date(base + nowOff)
          const out = spreadSends({ count, now, window: w, minGapMs }).map((d) => d.getTime())
          const from = Math.max(now.getTime(), w.start.getTime())
          expect(out.length).toBe(Math.min(count, sendCapacity(from, w.end.getTime(), minGapMs)))
          for (const t of out) {
            expect(t).toBeGreaterThanOrEqual(from)
            expect(t).toBeLessThan(w.end.getTime())
          }
          for (let i = 1; i < out.length; i++)
            expect(out[i]! - out[i - 1]!).toBeGreaterThanOrEqual(Math.max(1, minGapMs))
          if (out.length > 0) expect(out[0]).toBe(from)
          // Capacity is exact: one more send would not fit at the minimum gap.
          if (out.length < count && out.length > 0)
            expect(from + out.length * Math.max(1, minGapMs)).toBeGreaterThanOrEqual(w.end.getTime())
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('runDue (table)', () => {
  const base: RunDueCampaign = {
    recurring: true,
    maxRuns: 30,
    runCount: 3,
    isActive: true,
    timezone: 'UTC',
    windowStartMin: 540,
    windowEndMin: 1020,
    createdAt: at('2026-05-01T00:00:00Z'),
    lastRunDate: '2026-05-31',
  }
  type Row = [string, Partial<RunDueCampaign>, string, ReturnType<typeof runDue>]
  const rows: Row[] = [
    [
      'daily run due at window start',
      {},
      '2026-06-01T09:00:00Z',
      { due: true, runDate: '2026-06-01', runNumber: 4 },
    ],
    [
      'daily run waits for the window',
      {},
      '2026-06-01T08:59:59Z',
      { due: false, reason: 'before_window', notBefore: at('2026-06-01T09:00:00Z') },
    ],
    [
      'a late daily run still runs',
      {},
      '2026-06-01T22:00:00Z',
      { due: true, runDate: '2026-06-01', runNumber: 4 },
    ],
    [
      'once per local day',
      { lastRunDate: '2026-06-01' },
      '2026-06-01T12:00:00Z',
      { due: false, reason: 'ran_today', notBefore: at('2026-06-02T09:00:00Z') },
    ],
    [
      'first run at once, before the window',
      { runCount: 0, lastRunDate: null },
      '2026-06-01T03:00:00Z',
      { due: true, runDate: '2026-06-01', runNumber: 1 },
    ],
    [
      'first run at once, after the window closed',
      { runCount: 0, lastRunDate: null },
      '2026-06-01T23:00:00Z',
      { due: true, runDate: '2026-06-01', runNumber: 1 },
    ],
    [
      'inactive',
      { isActive: false },
      '2026-06-01T12:00:00Z',
      { due: false, reason: 'inactive', notBefore: null },
    ],
    [
      'max runs reached',
      { runCount: 30 },
      '2026-06-01T12:00:00Z',
      { due: false, reason: 'completed', notBefore: null },
    ],
    [
      'one-time campaign ran once (stored max_runs ignored)',
      { recurring: false, maxRuns: 30, runCount: 1 },
      '2026-06-01T12:00:00Z',
      { due: false, reason: 'completed', notBefore: null },
    ],
    [
      'one-time campaign, first run',
      { recurring: false, maxRuns: 1, runCount: 0, lastRunDate: null },
      '2026-06-01T12:00:00Z',
      { due: true, runDate: '2026-06-01', runNumber: 1 },
    ],
    // New York spring forward: 09:00 EDT = 13:00Z (the day before, 09:00 EST = 14:00Z).
    [
      'New York 2026-03-08 before 09:00 EDT',
      { timezone: 'America/New_York', lastRunDate: '2026-03-07' },
      '2026-03-08T12:59:00Z',
      { due: false, reason: 'before_window', notBefore: at('2026-03-08T13:00:00Z') },
    ],
    [
      'New York 2026-03-08 at 09:00 EDT',
      { timezone: 'America/New_York', lastRunDate: '2026-03-07' },
      '2026-03-08T13:00:00Z',
      { due: true, runDate: '2026-03-08', runNumber: 4 },
    ],
    [
      'New York 2026-03-07 ran: next at 09:00 EDT',
      { timezone: 'America/New_York', lastRunDate: '2026-03-07' },
      '2026-03-07T20:00:00Z',
      { due: false, reason: 'ran_today', notBefore: at('2026-03-08T13:00:00Z') },
    ],
    // Berlin fall back: 09:00 CET = 08:00Z on 2026-10-25 (07:00Z the day before).
    [
      'Berlin 2026-10-25 at 08:59 CET',
      { timezone: 'Europe/Berlin', lastRunDate: '2026-10-24' },
      '2026-10-25T07:59:00Z',
      { due: false, reason: 'before_window', notBefore: at('2026-10-25T08:00:00Z') },
    ],
    [
      'Berlin 2026-10-25 at 09:00 CET',
      { timezone: 'Europe/Berlin', lastRunDate: '2026-10-24' },
      '2026-10-25T08:00:00Z',
      { due: true, runDate: '2026-10-25', runNumber: 4 },
    ],
    // Kiritimati is UTC+14: 10:00Z on June 1 is already 00:00 on June 2 there.
    [
      'Kiritimati: the local day is ahead of UTC',
      { timezone: 'Pacific/Kiritimati', lastRunDate: '2026-06-01' },
      '2026-06-01T19:00:00Z', // 09:00 on 2026-06-02 local
      { due: true, runDate: '2026-06-02', runNumber: 4 },
    ],
    [
      'Kiritimati: same UTC day, already ran locally',
      { timezone: 'Pacific/Kiritimati', lastRunDate: '2026-06-02' },
      '2026-06-01T23:00:00Z',
      { due: false, reason: 'ran_today', notBefore: at('2026-06-02T19:00:00Z') },
    ],
    [
      'a later last run date (zone changed westwards) is not run again',
      { lastRunDate: '2026-06-02' },
      '2026-06-01T12:00:00Z',
      { due: false, reason: 'ran_today', notBefore: at('2026-06-02T09:00:00Z') },
    ],
  ]
  it.each(rows)('%s', (_name, patch, now, expected) => {
    expect(runDue({ campaign: { ...base, ...patch }, now: at(now) })).toEqual(expected)
  })

  it('property: never due twice on one local day, never past max runs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Pacific/Kiritimati', 'Asia/Kolkata'),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 12 * 3_600_000 }), { minLength: 1, maxLength: 40 }),
        (tz, maxRuns, recurring, steps) => {
          const c: RunDueCampaign = {
            ...base,
            timezone: tz,
            maxRuns,
            recurring,
            runCount: 0,
            lastRunDate: null,
          }
          let t = Date.UTC(2026, 2, 1)
          const days = new Set<string>()
          for (const s of steps) {
            t += s
            const r = runDue({ campaign: c, now: new Date(t) })
            if (r.due) {
              expect(days.has(r.runDate)).toBe(false)
              days.add(r.runDate)
              expect(r.runNumber).toBe(c.runCount + 1)
              c.runCount++
              c.lastRunDate = r.runDate
            }
          }
          expect(c.runCount).toBeLessThanOrEqual(recurring ? maxRuns : 1)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('mailboxSlot', () => {
  it.each([
    [null, 60_000, 30_000, 0.5, '1970-01-01T00:00:00.000Z'],
    ['2026-06-01T10:00:00Z', 60_000, 0, 0.9, '2026-06-01T10:01:00.000Z'],
    ['2026-06-01T10:00:00Z', 60_000, 30_000, 0, '2026-06-01T10:01:00.000Z'],
    ['2026-06-01T10:00:00Z', 60_000, 30_000, 0.5, '2026-06-01T10:01:15.000Z'],
    // rand() = 1 (out of contract) still stays below gap + jitter.
    ['2026-06-01T10:00:00Z', 60_000, 30_000, 1, '2026-06-01T10:01:29.999Z'],
  ] as const)('last %s gap %i jitter %i rand %d → %s', (last, gap, jitter, u, expected) => {
    const r = mailboxSlot({
      lastSendAt: last ? at(last) : null,
      minGapMs: gap,
      jitterMs: jitter,
      rand: () => u,
    })
    expect(iso(r)).toBe(expected)
  })

  it('property: within [last + gap, last + gap + jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (last, gap, jitter, u) => {
          const r = mailboxSlot({
            lastSendAt: new Date(last),
            minGapMs: gap,
            jitterMs: jitter,
            rand: () => u,
          })
          expect(r.getTime()).toBeGreaterThanOrEqual(last + gap)
          expect(r.getTime()).toBeLessThan(last + gap + jitter)
        },
      ),
    )
  })
})
