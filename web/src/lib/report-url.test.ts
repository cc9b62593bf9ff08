import { describe, expect, it } from 'vitest'
import { parseReportSearch, writeReportSearch } from './report-url'

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
})
