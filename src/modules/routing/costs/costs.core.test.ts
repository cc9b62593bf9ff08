import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  costToMicros,
  parseCostCsv,
  previewFigures,
  resolveCostRange,
  roiPercent,
  spreadShares,
} from './costs.core.ts'

const iso = (ms: number) => new Date(ms).toISOString()

describe('spreadShares', () => {
  it.each([
    [0, 0, []],
    [10, 1, [10]],
    [10, 3, [4, 3, 3]],
    [2, 3, [1, 1, 0]],
    [0, 3, [0, 0, 0]],
    [1_000_000, 7, [142858, 142857, 142857, 142857, 142857, 142857, 142857]],
  ])('%i micros over %i clicks → %j', (total, n, out) => {
    expect(spreadShares(total, n)).toEqual(out)
  })

  it('sums to the total exactly, shares differ by at most one micro, larger first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), fc.integer({ min: 1, max: 2000 }), (x, n) => {
        const s = spreadShares(x, n)
        expect(s).toHaveLength(n)
        expect(s.reduce((a, b) => a + b, 0)).toBe(x)
        expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1)
        for (let i = 1; i < n; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!)
      }),
    )
  })

  it('refuses a negative or fractional total', () => {
    expect(() => spreadShares(-1, 2)).toThrow(RangeError)
    expect(() => spreadShares(1.5, 2)).toThrow(RangeError)
  })
})

describe('resolveCostRange', () => {
  it.each([
    // Whole local days; `to` included.
    ['2024-06-01', '2024-06-01', 'UTC', '2024-06-01T00:00:00.000Z', '2024-06-02T00:00:00.000Z'],
    ['2024-06-01', '2024-06-01', 'Europe/Berlin', '2024-05-31T22:00:00.000Z', '2024-06-01T22:00:00.000Z'],
    // DST spring forward in Berlin: a 23-hour day.
    ['2024-03-31', '2024-03-31', 'Europe/Berlin', '2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z'],
    // DST fall back: a 25-hour day.
    ['2024-10-27', '2024-10-27', 'Europe/Berlin', '2024-10-26T22:00:00.000Z', '2024-10-27T23:00:00.000Z'],
    // +05:45 (Kathmandu): a local day starts at 18:15 UTC.
    ['2024-06-01', '2024-06-02', 'Asia/Kathmandu', '2024-05-31T18:15:00.000Z', '2024-06-02T18:15:00.000Z'],
    // Local wall times; `to` exclusive.
    [
      '2024-06-01T10:00',
      '2024-06-01T11:30',
      'Asia/Kathmandu',
      '2024-06-01T04:15:00.000Z',
      '2024-06-01T05:45:00.000Z',
    ],
    [
      '2024-10-27 00:00',
      '2024-10-27 04:00',
      'Europe/Berlin',
      '2024-10-26T22:00:00.000Z',
      '2024-10-27T03:00:00.000Z',
    ],
  ])('%s … %s in %s → [%s, %s)', (from, to, tz, a, b) => {
    const r = resolveCostRange(from, to, tz)
    expect(r.ok).toBe(true)
    if (r.ok) expect([iso(r.fromMs), iso(r.toMs)]).toEqual([a, b])
  })

  it('the days of a DST month in Berlin tile the month without gap or overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), (d) => {
        const day = `2024-03-${String(d).padStart(2, '0')}`
        const next = `2024-03-${String(d + 1).padStart(2, '0')}`
        const a = resolveCostRange(day, day, 'Europe/Berlin')
        const b = resolveCostRange(next, next, 'Europe/Berlin')
        expect(a.ok && b.ok && a.toMs === b.fromMs).toBe(true)
      }),
    )
  })

  it.each([
    ['2024-06-02', '2024-06-01', 'UTC', 'to'],
    ['2024-06-01T10:00', '2024-06-01T10:00', 'UTC', 'to'],
    ['yesterday', '2024-06-01', 'UTC', 'from'],
    ['2024-06-01', '2024-13-01', 'UTC', 'to'],
    ['2024-06-01', '2024-06-01', 'Mars/Olympus', 'timezone'],
    ['2023-01-01', '2024-06-01', 'UTC', 'to'],
  ])('%s … %s in %s is refused naming %s', (from, to, tz, path) => {
    const r = resolveCostRange(from, to, tz)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path)
  })
})

describe('costToMicros', () => {
  it.each([
    ['12.5', 12_500_000],
    [12.5, 12_500_000],
    ['0', 0],
    ['0.000001', 1],
    ['1,25', 1_250_000],
    [' 3 ', 3_000_000],
    ['1000000000', 1e15],
  ])('%j → %i micros', (v, micros) => {
    expect(costToMicros(v)).toEqual({ ok: true, micros })
  })
  it.each(['-1', '1.0000001', 'abc', '', '1e3', '1000000000.01'])('%j is refused', (v) => {
    expect(costToMicros(v).ok).toBe(false)
  })
  it('is exact for any amount with ≤ 6 decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), (m) => {
        const text = `${Math.floor(m / 1e6)}.${String(m % 1e6).padStart(6, '0')}`
        expect(costToMicros(text)).toEqual({ ok: true, micros: m })
      }),
    )
  })
})

describe('preview figures', () => {
  it('ROI before and after', () => {
    expect(roiPercent(30_000_000, 20_000_000)).toBe(50)
    expect(roiPercent(1, 0)).toBeNull()
    expect(
      previewFigures({
        clicks: 4,
        currentMicros: 20_000_000,
        revenueMicros: 30_000_000,
        newMicros: 40_000_000,
      }),
    ).toEqual({
      clicks: 4,
      current_cost: 20,
      new_cost: 40,
      delta: 20,
      revenue: 30,
      roi_before: 50,
      roi_after: -25,
    })
  })
})

describe('parseCostCsv', () => {
  it('reads rows in any column order with line numbers; reports bad lines', () => {
    const csv = [
      'Cost;Campaign;From;To;sub_key;sub_value;timezone',
      '12.50;summer;2024-06-01;2024-06-01;;;',
      '',
      '3;summer;2024-06-02;2024-06-02;sub1;zone-7;Europe/Berlin',
      '-4;summer;2024-06-03;2024-06-03;;;',
      '5;;2024-06-03;2024-06-03;sub11;x;Mars/Base',
      '"1,5";"sum;mer";2024-06-04;2024-06-04;;zone;',
    ].join('\n')
    const out = parseCostCsv(csv)
    expect(out.fatal).toBeUndefined()
    expect(out.rows).toEqual([
      {
        line: 2,
        campaign: 'summer',
        from: '2024-06-01',
        to: '2024-06-01',
        timezone: '',
        sub_key: null,
        sub_value: null,
        cost_micros: 12_500_000,
      },
      {
        line: 4,
        campaign: 'summer',
        from: '2024-06-02',
        to: '2024-06-02',
        timezone: 'Europe/Berlin',
        sub_key: 'sub1',
        sub_value: 'zone-7',
        cost_micros: 3_000_000,
      },
    ])
    expect(out.errors.map((e) => [e.line, e.issues.map((i) => i.path)])).toEqual([
      [5, ['cost']],
      [6, ['campaign', 'sub_key', 'timezone']],
      [7, ['sub_key']],
    ])
  })

  it.each([
    ['campaign,from,cost\nx,2024-06-01,1', 'missing: to'],
    ['campaign,from,to,cost\n', 'no data rows'],
    ['campaign,from,to,cost\n"x,2024', 'Quote'],
  ])('%j is fatal (%s)', (csv, message) => {
    const out = parseCostCsv(csv)
    expect(out.fatal?.message).toContain(message)
  })
})
