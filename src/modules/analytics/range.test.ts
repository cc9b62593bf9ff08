import { describe, expect, it } from 'vitest'
import { AppError } from '../../platform/errors.ts'
import { parseBreakdownQuery, parseOverviewQuery } from './analytics.schema.ts'
import {
  canonicalTimeZone,
  localDate,
  parseBound,
  resolveRange,
  seriesBuckets,
  zonedWallToUtc,
} from './range.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const now = new Date('2024-03-15T12:00:00Z')

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).status).toBe(400)
    return (err as AppError).details as { path: string; message: string }[]
  }
  throw new Error('expected an AppError')
}

describe('time zones', () => {
  it('canonicalises known zones and rejects others', () => {
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin')
    expect(canonicalTimeZone('utc')).toBe('UTC')
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull()
    expect(canonicalTimeZone("UTC'; DROP")).toBeNull()
  })

  it('maps wall-clock times to UTC across DST', () => {
    const wall = (s: string) => Date.parse(`${s}Z`)
    expect(iso(zonedWallToUtc(wall('2024-01-02T00:00:00'), 'Europe/Berlin'))).toBe('2024-01-01T23:00:00.000Z')
    expect(iso(zonedWallToUtc(wall('2024-07-02T00:00:00'), 'Europe/Berlin'))).toBe('2024-07-01T22:00:00.000Z')
    // 02:30 does not exist on 2024-03-31 in Berlin (02:00 → 03:00): the instant after the jump.
    expect(iso(zonedWallToUtc(wall('2024-03-31T02:30:00'), 'Europe/Berlin'))).toBe('2024-03-31T01:30:00.000Z')
    // 02:30 happens twice on 2024-10-27: the earlier one.
    expect(iso(zonedWallToUtc(wall('2024-10-27T02:30:00'), 'Europe/Berlin'))).toBe('2024-10-27T00:30:00.000Z')
    expect(iso(zonedWallToUtc(wall('2024-01-01T00:00:00'), 'Asia/Kolkata'))).toBe('2023-12-31T18:30:00.000Z')
    expect(localDate(Date.parse('2024-01-01T23:30:00Z'), 'Europe/Berlin')).toBe('2024-01-02')
  })
})

describe('parseBound', () => {
  it('accepts dates and ISO date-times, rejects impossible ones', () => {
    expect(parseBound('2024-02-29')).toEqual({ kind: 'date', wallMs: Date.parse('2024-02-29T00:00:00Z') })
    expect(parseBound('2023-02-29')).toBeNull()
    expect(parseBound('2024-13-01')).toBeNull()
    expect(parseBound('2024-05-01T13:00:00Z')).toEqual({
      kind: 'datetime',
      ms: Date.parse('2024-05-01T13:00:00Z'),
    })
    expect(parseBound('2024-05-01T13:00:00+02:00')).toEqual({
      kind: 'datetime',
      ms: Date.parse('2024-05-01T11:00:00Z'),
    })
    expect(parseBound('2024-05-01T13:00')).toEqual({
      kind: 'local',
      wallMs: Date.parse('2024-05-01T13:00:00Z'),
    })
    expect(parseBound('2024-05-01T25:00')).toBeNull()
    expect(parseBound('yesterday')).toBeNull()
  })
})

describe('resolveRange', () => {
  it('defaults to today in the zone', () => {
    const r = resolveRange({ tz: 'Asia/Tokyo' }, new Date('2024-03-15T20:00:00Z'))
    expect(r.ok && [iso(r.range.fromMs), iso(r.range.toMs)]).toEqual([
      '2024-03-15T15:00:00.000Z',
      '2024-03-16T15:00:00.000Z',
    ])
  })

  it('makes dates inclusive local days', () => {
    const { range } = parseOverviewQuery({ from: '2024-01-01', to: '2024-01-02', tz: 'Europe/Berlin' }, now)
    expect([iso(range.fromMs), iso(range.toMs)]).toEqual([
      '2023-12-31T23:00:00.000Z',
      '2024-01-02T23:00:00.000Z',
    ])
  })

  it('reads offset-less date-times in the zone and makes a date-time `to` inclusive', () => {
    const { range } = parseOverviewQuery(
      { from: '2024-01-01T10:00', to: '2024-01-01T12:00:00Z', tz: 'Europe/Berlin' },
      now,
    )
    expect([iso(range.fromMs), iso(range.toMs)]).toEqual([
      '2024-01-01T09:00:00.000Z',
      '2024-01-01T12:00:00.001Z',
    ])
  })

  it('fills a missing bound with the other one’s day', () => {
    const { range } = parseOverviewQuery({ from: '2024-03-10' }, now)
    expect([iso(range.fromMs), iso(range.toMs)]).toEqual([
      '2024-03-10T00:00:00.000Z',
      '2024-03-16T00:00:00.000Z',
    ])
    const r2 = parseOverviewQuery({ to: '2024-03-01' }, now).range
    expect([iso(r2.fromMs), iso(r2.toMs)]).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z'])
  })
})

describe('report query validation', () => {
  it('names each bad field', () => {
    const issues = issuesOf(() =>
      parseBreakdownQuery({ by: 'planet', from: 'nope', tz: 'Mars/Olympus' }, now),
    )
    expect(issues.map((i) => i.path).sort()).toEqual(['by', 'from', 'tz'])
  })

  it('refuses from after to and ranges over 400 days', () => {
    expect(issuesOf(() => parseOverviewQuery({ from: '2024-02-01', to: '2024-01-01' }, now))).toEqual([
      { path: 'from', message: 'must not be after to' },
    ])
    expect(issuesOf(() => parseOverviewQuery({ from: '2023-01-01', to: '2024-02-05' }, now))[0]?.path).toBe(
      'to',
    )
    // Exactly 400 local days across DST changes is fine.
    expect(() =>
      parseOverviewQuery({ from: '2023-01-01', to: '2024-02-04', tz: 'Europe/Berlin' }, now),
    ).not.toThrow()
  })
})

describe('seriesBuckets', () => {
  const r = (from: string, to: string, tz: string) => {
    const res = resolveRange({ from: parseBound(from)!, to: parseBound(to)!, tz }, now)
    if (!res.ok) throw new Error('bad range')
    return res.range
  }

  it('lists local days, 23 and 25 hours long across DST', () => {
    const days = seriesBuckets(r('2024-03-30', '2024-04-01', 'Europe/Berlin'), 'day')
    expect(days.map((d) => [iso(d.startMs), d.local])).toEqual([
      ['2024-03-29T23:00:00.000Z', '2024-03-30'],
      ['2024-03-30T23:00:00.000Z', '2024-03-31'],
      ['2024-03-31T22:00:00.000Z', '2024-04-01'],
    ])
  })

  it('lists local hours of half- and quarter-hour zones', () => {
    const kolkata = seriesBuckets(r('2024-01-01', '2024-01-01', 'Asia/Kolkata'), 'hour')
    expect(kolkata).toHaveLength(24)
    expect([iso(kolkata[0]!.startMs), kolkata[0]!.local]).toEqual([
      '2023-12-31T18:30:00.000Z',
      '2024-01-01T00:00+05:30',
    ])
    const kathmandu = seriesBuckets(r('2024-01-01', '2024-01-01', 'Asia/Kathmandu'), 'hour')
    expect(iso(kathmandu[1]!.startMs)).toBe('2023-12-31T19:15:00.000Z')
    // Spring forward: 23 hours, 02:00 missing.
    const spring = seriesBuckets(r('2024-03-31', '2024-03-31', 'Europe/Berlin'), 'hour')
    expect(spring.map((b) => b.local.slice(11))).toEqual([
      '00:00+01:00',
      '01:00+01:00',
      ...Array.from({ length: 21 }, (_, i) => `${String(i + 3).padStart(2, '0')}:00+02:00`),
    ])
  })

  it('starts with the bucket holding a date-time `from`', () => {
    const b = seriesBuckets(r('2024-01-01T10:20:00Z', '2024-01-01T12:05:00Z', 'UTC'), 'hour')
    expect(b.map((x) => x.local)).toEqual([
      '2024-01-01T10:00+00:00',
      '2024-01-01T11:00+00:00',
      '2024-01-01T12:00+00:00',
    ])
  })
})
