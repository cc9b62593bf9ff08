import { describe, expect, it } from 'vitest'
import { addDays, isYmd, localDateIn, rangeLabel, resolveRange, seriesInterval, spanDays } from './date-range'

// 2025-03-01 00:30 UTC: still February 28 in New York, already March 1 in Berlin.
const NOW = new Date('2025-03-01T00:30:00Z')

describe('date ranges', () => {
  it('reads today in the zone', () => {
    expect(localDateIn(NOW, 'UTC')).toBe('2025-03-01')
    expect(localDateIn(NOW, 'America/New_York')).toBe('2025-02-28')
    expect(localDateIn(NOW, 'Europe/Berlin')).toBe('2025-03-01')
  })

  it('resolves the presets', () => {
    expect(resolveRange('today', NOW, 'America/New_York')).toEqual({ from: '2025-02-28', to: '2025-02-28' })
    expect(resolveRange('yesterday', NOW, 'UTC')).toEqual({ from: '2025-02-28', to: '2025-02-28' })
    expect(resolveRange('7d', NOW, 'UTC')).toEqual({ from: '2025-02-23', to: '2025-03-01' })
    expect(resolveRange('30d', NOW, 'UTC')).toEqual({ from: '2025-01-31', to: '2025-03-01' })
    expect(resolveRange('this_month', NOW, 'America/New_York')).toEqual({
      from: '2025-02-01',
      to: '2025-02-28',
    })
    expect(resolveRange('last_month', NOW, 'UTC')).toEqual({ from: '2025-02-01', to: '2025-02-28' })
    expect(resolveRange('last_month', new Date('2025-01-15T12:00:00Z'), 'UTC')).toEqual({
      from: '2024-12-01',
      to: '2024-12-31',
    })
  })

  it('takes valid custom dates, swapped when reversed, else today', () => {
    expect(resolveRange('custom', NOW, 'UTC', { from: '2025-01-10', to: '2025-01-12' })).toEqual({
      from: '2025-01-10',
      to: '2025-01-12',
    })
    expect(resolveRange('custom', NOW, 'UTC', { from: '2025-01-12', to: '2025-01-10' })).toEqual({
      from: '2025-01-10',
      to: '2025-01-12',
    })
    expect(resolveRange('custom', NOW, 'UTC', { from: '2025-02-30', to: '2025-03-01' })).toEqual({
      from: '2025-03-01',
      to: '2025-03-01',
    })
  })

  it('does calendar arithmetic across months and leap days', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01')
    expect(spanDays({ from: '2024-02-28', to: '2024-03-01' })).toBe(3)
    expect(isYmd('2024-02-29')).toBe(true)
    expect(isYmd('2023-02-29')).toBe(false)
    expect(isYmd('2024-2-9')).toBe(false)
  })

  it('picks hours for short ranges and days for long ones', () => {
    expect(seriesInterval({ from: '2025-03-01', to: '2025-03-01' })).toBe('hour')
    expect(seriesInterval({ from: '2025-02-28', to: '2025-03-01' })).toBe('hour')
    expect(seriesInterval({ from: '2025-02-27', to: '2025-03-01' })).toBe('day')
  })

  it('labels ranges', () => {
    expect(rangeLabel('7d', { from: '2025-02-23', to: '2025-03-01' })).toBe('Last 7 days')
    expect(rangeLabel('custom', { from: '2025-03-01', to: '2025-03-01' }, 'en-GB')).toBe('1 Mar 2025')
    expect(rangeLabel('custom', { from: '2025-03-01', to: '2025-03-05' }, 'en-GB')).toMatch(
      /^1\D+5 Mar 2025$/,
    )
  })
})
