import { describe, expect, it } from 'vitest'
import { chartRows, DEFAULT_CURRENCY, dashboardCurrency } from './dashboard.lib'

describe('dashboard currency', () => {
  const cpc = (currency: string) => ({ cost_model: 'cpc', currency })
  it.each([
    // [range conversions, comparison conversions, sources, expected]
    [['EUR'], [], [cpc('USD')], 'EUR'],
    [[], ['GBP'], [cpc('USD')], 'GBP'],
    [[], [], [cpc('EUR'), cpc('EUR')], 'EUR'], // before the first conversion: the costs' currency
    [[], [], [cpc('EUR'), { cost_model: 'none', currency: 'JPY' }], 'EUR'],
    [[], [], [], DEFAULT_CURRENCY], // nothing says: USD
    [[], [], [{ cost_model: 'none', currency: 'EUR' }], DEFAULT_CURRENCY],
    [['EUR', 'USD'], [], [cpc('EUR')], undefined], // mixed conversions: plain numbers
    [[], [], [cpc('EUR'), cpc('USD')], undefined], // mixed costs: plain numbers
  ] as const)('%j / %j / %j → %s', (range, compare, sources, expected) => {
    expect(dashboardCurrency([range, compare], sources)).toBe(expected)
  })

  it('waits for nothing: loading answers count as none', () => {
    expect(dashboardCurrency([undefined, undefined], undefined)).toBe('USD')
    expect(dashboardCurrency([undefined, undefined], [cpc('EUR')])).toBe('EUR')
  })
})

describe('chart rows stop at now', () => {
  const bucket = (hour: number, clicks: number) => ({
    start: `2026-06-15T${String(hour).padStart(2, '0')}:00:00.000Z`,
    local: `2026-06-15T${String(hour).padStart(2, '0')}:00+00:00`,
    clicks,
    conversions: 0,
    revenue: 0,
    cost: clicks * 0.05,
    profit: -clicks * 0.05,
  })
  const day = Array.from({ length: 24 }, (_, h) => bucket(h, h >= 9 && h <= 14 ? 10 : 0))
  const now = Date.parse('2026-06-15T14:25:00Z')

  it('keeps every bucket on the axis, with no figures after the current hour', () => {
    const rows = chartRows(day, now)
    expect(rows).toHaveLength(24)
    expect(rows.filter((r) => !r.future).map((r) => r.local.slice(11, 13))).toEqual(
      Array.from({ length: 15 }, (_, h) => String(h).padStart(2, '0')),
    )
    expect(rows[14]).toMatchObject({ clicks: 10, future: false }) // the current hour is drawn
    expect(rows[15]).toMatchObject({
      clicks: null,
      conversions: null,
      revenue: null,
      cost: null,
      profit: null,
    })
    expect(rows.slice(15).every((r) => r.future && r.clicks === null)).toBe(true)
  })

  it('draws the zeros of hours already past (no traffic before the first click is real zero)', () => {
    const rows = chartRows(day, now)
    expect(rows.slice(0, 9).map((r) => r.clicks)).toEqual(Array(9).fill(0))
  })

  it('a bucket starting exactly now is drawn; a past range is drawn whole', () => {
    expect(chartRows([bucket(14, 3)], Date.parse('2026-06-15T14:00:00Z'))[0]?.future).toBe(false)
    expect(chartRows(day, Date.parse('2026-06-16T08:00:00Z')).every((r) => !r.future)).toBe(true)
  })
})
