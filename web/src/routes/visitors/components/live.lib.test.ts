import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LiveHit, LiveVisitRate } from '@/hooks/api/live'
import { countryBars, foldCountries, foldRate, hasSamples, shortUrl } from './live.lib'
import { errorRows, rateText, runFigures } from './run-panel.lib'

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()
const hit = (s: number, project = 'p1', country: string | null = 'DE'): LiveHit => ({
  type: 'hit',
  ts: at(s),
  project_id: project,
  run_id: 'r',
  url: 'https://x.example/a?b=1',
  country,
  device: 'desktop',
  mode: 'http',
  status: 200,
  latency_ms: 12,
  error: null,
})
const rate = (s: number, r: number, target: number, project = 'p1'): LiveVisitRate => ({
  type: 'visit_rate',
  ts: at(s),
  project_id: project,
  rate_per_s: r,
  errors: 0,
  p95_ms: 10,
  target_per_s: target,
})

describe('foldRate', () => {
  it('sums samples per second over projects and counts hits', () => {
    const s = foldRate([], [rate(1, 2, 3), rate(1, 1, 1, 'p2'), hit(1), hit(1), hit(2)], undefined)
    expect(s).toEqual([
      { t: s[0]!.t, rate: 3, target: 4, errors: 0, hits: 2 },
      { t: s[0]!.t + 1, rate: null, target: null, errors: 0, hits: 1 },
    ])
    expect(hasSamples(s)).toBe(true)
  })
  it('keeps one project only when asked', () => {
    const s = foldRate([], [rate(1, 2, 3), rate(1, 5, 5, 'p2')], 'p2')
    expect(s.map((p) => p.rate)).toEqual([5])
  })
  it('keeps a moving window, sorted (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (secs) => {
        let s = foldRate([], [], undefined, 60)
        for (const x of secs) s = foldRate(s, [hit(x)], undefined, 60)
        if (secs.length === 0) {
          expect(s).toEqual([])
          return
        }
        const newest = s.at(-1)!.t
        for (let i = 1; i < s.length; i++) expect(s[i]!.t).toBeGreaterThan(s[i - 1]!.t)
        expect(s.every((p) => p.t > newest - 60)).toBe(true)
        expect(s.length).toBeLessThanOrEqual(60)
      }),
    )
  })
})

describe('countries', () => {
  it('counts hits per country, most first, with shares', () => {
    const c = foldCountries(
      {},
      [hit(1, 'p1', 'DE'), hit(1, 'p1', 'DE'), hit(2, 'p1', null), rate(1, 1, 1)],
      undefined,
    )
    expect(c).toEqual({ DE: 2, '': 1 })
    expect(countryBars(c)).toEqual([
      { country: 'DE', visits: 2, share: 2 / 3 },
      { country: '', visits: 1, share: 1 / 3 },
    ])
    expect(foldCountries({}, [hit(1, 'p2')], 'p1')).toEqual({})
  })
})

describe('run panel figures', () => {
  it('rates per minute, errors in all, share answered', () => {
    const f = runFigures({
      run_id: 'r',
      started_at: at(0),
      stopped_at: null,
      stop_reason: null,
      target_per_minute: 120,
      achieved_per_second: 1.5,
      started: 10,
      answered: 8,
      charged: 8,
      dropped: 0,
      errors: { timeout: 1, reset: 1 },
      statuses: { '2xx': 8 },
      desktop: 5,
      mobile: 5,
      latency_ms: { p50: 1, p95: 2, p99: 3, max: 4 },
    })
    expect(f).toEqual({
      targetPerMinute: 120,
      achievedPerMinute: 90,
      ratio: 0.75,
      errors: 2,
      answeredShare: 0.8,
    })
    expect(rateText(90)).toBe('90/min')
    expect(rateText(300.5)).toBe('301/min')
    expect(rateText(1.25)).toBe('1.3/min')
    expect(errorRows({ a: 1, b: 3, c: 0 })).toEqual([
      ['b', 3],
      ['a', 1],
    ])
    expect(shortUrl('https://x.example/a?b=1')).toBe('x.example/a?b=1')
  })
})
