import { describe, expect, it } from 'vitest'
import { nextDrillDimension, parseReportSearch, writeReportSearch } from './report-url'

const NOW = new Date('2025-03-01T12:00:00Z')
const parse = (qs: string) =>
  parseReportSearch(new URLSearchParams(qs), NOW, 'Europe/Berlin', { preset: '7d' })

describe('report URL state', () => {
  it('has defaults', () => {
    expect(parse('')).toEqual({
      preset: '7d',
      range: { from: '2025-02-23', to: '2025-03-01' },
      tz: 'Europe/Berlin',
      attribution: 'conversion',
      filters: {},
      by: ['campaign'],
      drill: [],
    })
  })

  it('reads range, zone, attribution, filters and dimensions', () => {
    const s = parse(
      'range=custom&from=2025-01-01&to=2025-01-31&tz=UTC&attribution=click&country=DE&country=AT&sub1=&campaign_id=c1&by=country,sub1&foo=bar',
    )
    expect(s.range).toEqual({ from: '2025-01-01', to: '2025-01-31' })
    expect(s.tz).toBe('UTC')
    expect(s.attribution).toBe('click')
    expect(s.filters).toEqual({ campaign_id: ['c1'], country: ['DE', 'AT'], sub1: [''] })
    expect(s.by).toEqual(['country', 'sub1'])
  })

  it('ignores unknown dimensions and keeps at most two', () => {
    expect(parse('by=nope,country,country,device,os').by).toEqual(['country', 'device'])
    expect(parse('by=nope').by).toEqual(['campaign'])
    expect(parse('range=bogus').preset).toBe('7d')
  })

  it('writes changes back, keeping other parameters', () => {
    const sp = new URLSearchParams('view=series&range=custom&from=2025-01-01&to=2025-01-02&country=DE')
    const a = writeReportSearch(sp, { preset: 'today' })
    expect(a.get('range')).toBe('today')
    expect(a.has('from')).toBe(false)
    expect(a.get('view')).toBe('series')
    const b = writeReportSearch(sp, { filters: { device: ['mobile', 'tablet'] }, by: ['campaign', 'device'] })
    expect(b.getAll('device')).toEqual(['mobile', 'tablet'])
    expect(b.has('country')).toBe(false)
    expect(b.get('by')).toBe('campaign,device')
    const c = writeReportSearch(sp, { range: { from: '2025-02-01', to: '2025-02-10' }, attribution: 'click' })
    expect(c.toString()).toContain('from=2025-02-01&to=2025-02-10')
    expect(c.get('attribution')).toBe('click')
    expect(writeReportSearch(c, { attribution: 'conversion' }).has('attribution')).toBe(false)
    // Round trip.
    expect(parseReportSearch(b, NOW, 'UTC').filters).toEqual({ device: ['mobile', 'tablet'] })
  })

  it('keeps a drill path of any depth while its filters are there', () => {
    const qs =
      'campaign_id=c1&stream_id=s1&destination_id=d1&country=DE&sub1=z&drill=campaign,stream,destination,country,sub1'
    expect(parse(qs).drill).toEqual(['campaign', 'stream', 'destination', 'country', 'sub1'])
    // The stream chip was removed: the path ends before it.
    expect(parse('campaign_id=c1&country=DE&drill=campaign,stream,country').drill).toEqual(['campaign'])
    expect(parse('drill=nope').drill).toEqual([])
    const w = writeReportSearch(new URLSearchParams('drill=campaign'), { drill: [] })
    expect(w.has('drill')).toBe(false)
  })

  it('suggests the next dimension to drill into, skipping those already used', () => {
    expect(nextDrillDimension('campaign', {}, [])).toBe('stream')
    expect(nextDrillDimension('stream', { campaign_id: ['c'] }, ['campaign'])).toBe('destination')
    expect(
      nextDrillDimension('country', { destination_id: ['d'], device: ['mobile'] }, ['destination']),
    ).toBe('os')
    expect(nextDrillDimension('sub1', {}, [])).toBe('sub2')
    expect(nextDrillDimension('hour', {}, [])).toBe('campaign')
  })
})
