import { describe, expect, it } from 'vitest'
import {
  buildReportSql,
  DIMENSION_COLUMNS,
  FILTER_PARAMS,
  REPORT_DIMENSIONS,
  type ReportSpec,
} from './report-sql.ts'

const day = {
  tz: 'UTC',
  fromMs: Date.parse('2024-01-01T00:00:00Z'),
  toMs: Date.parse('2024-01-02T00:00:00Z'),
}
const build = (over: Partial<ReportSpec>) => buildReportSql('db', { workspaceId: 'ws', range: day, ...over })

describe('buildReportSql', () => {
  it('reads clicks from the narrowest rollup that covers every dimension and filter', () => {
    expect(build({}).clickSource).toBe('clicks_route_15m')
    expect(build({ dims: ['campaign', 'destination'] }).clickSource).toBe('clicks_route_15m')
    expect(build({ dims: ['network'], networks: { destinationIds: [], networkIds: [] } }).clickSource).toBe(
      'clicks_route_15m',
    )
    expect(build({ dims: ['campaign', 'country'] }).clickSource).toBe('clicks_geo_15m')
    expect(build({ dims: ['device'], filters: { source: ['s'] } }).clickSource).toBe('clicks_geo_15m')
    expect(build({ dims: ['destination'], filters: { country: ['DE'] } }).clickSource).toBe('clicks')
    expect(build({ dims: ['sub1'] }).clickSource).toBe('clicks')
    expect(build({ filters: { utm_source: ['fb'] } }).clickSource).toBe('clicks')
    expect(build({ forceRaw: true }).clickSource).toBe('clicks')
    // No whole quarter-hour inside the range: raw only.
    const short = { ...day, fromMs: day.fromMs + 60_000, toMs: day.fromMs + 14 * 60_000 }
    expect(build({ range: short }).clickSource).toBe('clicks')
  })

  it('binds every value as a parameter, never as SQL text', () => {
    const evil = "x' OR 1=1 --"
    const sql = build({
      workspaceId: evil,
      dims: ['sub1'],
      filters: { sub1: [evil], country: [evil] },
      interval: 'hour',
    })
    expect(sql.query).not.toContain(evil)
    expect(sql.params).toMatchObject({ ws: evil, f_sub1: [evil], f_country: [evil], tz: 'UTC' })
  })

  it('adds trafficback only when the grouping and filters exist on trafficback', () => {
    expect(build({ trafficback: true }).trafficback).toBe(true)
    expect(build({ trafficback: true, dims: ['campaign'], filters: { country: ['DE'] } }).trafficback).toBe(
      true,
    )
    expect(build({ trafficback: true, filters: { sub1: ['a'] } }).trafficback).toBe(false)
    expect(build({ trafficback: true, dims: ['stream'] }).trafficback).toBe(false)
  })

  it('joins clicks for UTM values of conversions, and attributes by click time on request', () => {
    expect(build({ dims: ['utm_source'] }).query).toContain('LEFT ANY JOIN')
    expect(build({ dims: ['sub1'] }).query).not.toContain('JOIN')
    expect(build({ attribution: 'click' }).query).toContain('click_ts >= {from')
  })

  it('needs the network map for network reports', () => {
    expect(() => build({ dims: ['network'] })).toThrow(/network map/)
    expect(() => build({ filters: { network: ['n'] } })).toThrow(/network map/)
  })

  it.each(REPORT_DIMENSIONS)('groups and filters by %s with a column on every table it reads', (d) => {
    const networks = { destinationIds: [], networkIds: [] }
    const sql = build({ dims: [d], filters: { [d]: ['v'] }, trafficback: true, networks })
    expect(sql.query).not.toMatch(/\b(undefined|null)\b/)
    expect(sql.query).toContain(`IN {f_${d}:Array(String)}`)
    expect(sql.trafficback).toBe(DIMENSION_COLUMNS[d].trafficback !== null)
  })

  it('hour of day: from the rollups in the report zone; language and OS version from the converting click', () => {
    const byHour = build({
      dims: ['hour'],
      filters: { campaign: ['c'] },
      range: { ...day, tz: 'Asia/Kathmandu' },
    })
    expect(byHour.clickSource).toBe('clicks_route_15m')
    expect(byHour.params.tz).toBe('Asia/Kathmandu')
    expect(byHour.query).toContain("formatDateTime(bucket, '%H', {tz:String})")
    expect(build({ dims: ['hour'], attribution: 'click' }).query).toContain("formatDateTime(click_ts, '%H'")
    expect(build({ dims: ['hour'], trafficback: true }).trafficback).toBe(true)
    expect(build({ dims: ['language'] }).query).toContain('LEFT ANY JOIN')
    expect(build({ filters: { os_version: ['17.4'] } }).clickSource).toBe('clicks')
  })

  it('adds the cost-update deltas next to every raw clicks part', () => {
    const q = build({ dims: ['sub1'] }).query
    expect(q).toContain('FROM db.cost_adjustments')
    expect(q).toContain('sum(delta_micros)')
    // Rollup reports read them for the partial edges too (the views feed the rollups).
    expect(build({}).query).toContain('FROM db.cost_adjustments')
  })

  it('names every filter parameter once', () => {
    const names = REPORT_DIMENSIONS.map((d) => FILTER_PARAMS[d])
    expect(new Set(names).size).toBe(names.length)
  })
})
