import { describe, expect, it } from 'vitest'
import { formatRelative } from './format'

const NOW = Date.parse('2026-06-15T12:00:00Z')
const S = 1000
const MIN = 60 * S
const H = 60 * MIN
const D = 24 * H
/** The ISO time `ms` before NOW (negative: after). */
const ago = (ms: number) => new Date(NOW - ms).toISOString()

describe('formatRelative', () => {
  it.each([
    [0, 'just now'],
    [4 * S, 'just now'],
    [4999, 'just now'],
    [5 * S, '5 seconds ago'],
    [59 * S, '59 seconds ago'],
    [59_999, '59 seconds ago'],
    [60 * S, '1 minute ago'],
    [3 * MIN + 20 * S, '3 minutes ago'],
    [11 * MIN, '11 minutes ago'],
    [59 * MIN + 59 * S, '59 minutes ago'],
    [60 * MIN, '1 hour ago'],
    [23 * H + 59 * MIN, '23 hours ago'],
    [24 * H, '1 day ago'],
    [29 * D + 23 * H, '29 days ago'],
    [30 * D, '1 month ago'],
    [364 * D, '11 months ago'],
    [365 * D, '1 year ago'],
    [3 * 365 * D + 5 * D, '3 years ago'],
  ])('%d ms ago → %s', (ms, text) => {
    expect(formatRelative(ago(ms), NOW, 'en')).toBe(text)
  })

  it.each([
    [4 * S, 'just now'],
    [5 * S, 'in 5 seconds'],
    [59 * S, 'in 59 seconds'],
    [60 * S, 'in 1 minute'],
    [59 * MIN, 'in 59 minutes'],
    [60 * MIN, 'in 1 hour'],
    [24 * H, 'in 1 day'],
    [30 * D, 'in 1 month'],
    [365 * D, 'in 1 year'],
  ])('%d ms ahead → %s', (ms, text) => {
    expect(formatRelative(ago(-ms), NOW, 'en')).toBe(text)
  })

  it('the reported defects: minutes are minutes', () => {
    // A row 3 minutes old said "3 seconds ago"; an admin created 11 minutes earlier
    // "Signed up 11 seconds ago".
    expect(formatRelative(ago(3 * MIN), NOW, 'en')).toBe('3 minutes ago')
    expect(formatRelative(ago(11 * MIN + 2 * S), NOW, 'en')).toBe('11 minutes ago')
  })

  it('follows the locale', () => {
    expect(formatRelative(ago(2 * H), NOW, 'de')).toBe('vor 2 Stunden')
  })

  it('prints a dash for a missing or unreadable time', () => {
    expect(formatRelative(null, NOW)).toBe('—')
    expect(formatRelative(undefined, NOW)).toBe('—')
    expect(formatRelative('not a date', NOW)).toBe('—')
  })

  it('defaults to the current time', () => {
    expect(formatRelative(new Date(Date.now() - 2 * H - MIN).toISOString(), undefined, 'en')).toBe(
      '2 hours ago',
    )
  })
})
