import { describe, expect, it } from 'vitest'
import { AppError } from '../../../platform/errors.ts'
import { decodeCursor, encodeCursor, parseClickLogQuery } from './clicks.schema.ts'

const NOW = new Date('2025-03-05T12:00:00Z')
const ID = '01JNKQ4W000000000000000000' // a click ID of 2025-03-05
const H = 3_600_000

function issues(input: Record<string, unknown>, csv = false): string[] {
  try {
    parseClickLogQuery(input, NOW, { csv })
  } catch (e) {
    if (e instanceof AppError) return (e.details as { path: string }[]).map((d) => d.path)
    throw e
  }
  return []
}

describe('parseClickLogQuery ranges', () => {
  it.each([
    ['nothing: the last 24 h', {}, NOW.getTime() - 24 * H, NOW.getTime() + 1],
    [
      'dates in a zone',
      { from: '2025-03-01', to: '2025-03-02', tz: 'Europe/Berlin' },
      Date.parse('2025-02-28T23:00:00Z'),
      Date.parse('2025-03-02T23:00:00Z'),
    ],
    [
      'an instant range',
      { from: '2025-03-01T10:00:00Z', to: '2025-03-01T11:00:00Z' },
      Date.parse('2025-03-01T10:00:00Z'),
      Date.parse('2025-03-01T11:00:00.001Z'),
    ],
  ])('%s', (_n, input, from, to) => {
    const q = parseClickLogQuery(input, NOW)
    expect([q.range.fromMs, q.range.toMs]).toEqual([from, to])
  })

  it('derives the range from a click ID', () => {
    const q = parseClickLogQuery({ click_id: ID }, NOW)
    const t = Date.parse('2025-03-05T00:00:00Z')
    expect(q.range.fromMs).toBeLessThan(q.range.toMs)
    expect(q.range.toMs - q.range.fromMs).toBe(2 * H)
    expect(Math.abs(q.range.fromMs + H - t)).toBeLessThan(86_400_000)
    // A text that is not a click ID falls back to the last 24 h.
    expect(parseClickLogQuery({ click_id: 'abc' }, NOW).range.toMs).toBe(NOW.getTime() + 1)
  })
})

describe('parseClickLogQuery filters and errors', () => {
  it('normalises filters', () => {
    const q = parseClickLogQuery(
      { ip: '10.0.*', country: ['de', 'DE', 'at'], sub4: 'x', external_id: 'e' },
      NOW,
    )
    expect(q.filters).toEqual({
      ip: '10.0.',
      ipPrefix: true,
      countries: ['DE', 'AT'],
      values: { sub4: 'x', external_id: 'e' },
    })
    expect(q.limit).toBe(50)
  })

  it.each([
    [{ from: '2024-01-01', to: '2024-06-01' }, 'to'],
    [{ from: '2024-06-02', to: '2024-06-01' }, 'from'],
    [{ tz: 'Mars/Base' }, 'tz'],
    [{ ip: '1.2.3.4; drop' }, 'ip'],
    [{ limit: '201' }, 'limit'],
    [{ cursor: 'bm9wZQ' }, 'cursor'],
    [{ sub11: 'x' }, 'sub11'],
    [{ campaign_id: 'nope' }, 'campaign_id'],
  ])('refuses %j at %s', (input, path) => {
    expect(issues(input).some((p) => p === path || p.startsWith(`${path}.`))).toBe(true)
  })

  it('refuses paging parameters on the CSV route', () => {
    expect(issues({ limit: '5' }, true)).toEqual(['limit'])
    expect(issues({ cursor: 'x' }, true)).toEqual(['cursor'])
  })
})

describe('cursor', () => {
  it('round-trips and refuses foreign text', () => {
    const c = { tsMs: 1_717_243_200_123, clickId: ID }
    expect(decodeCursor(encodeCursor(c))).toEqual(c)
    expect(decodeCursor('')).toBeUndefined()
    expect(decodeCursor('***')).toBeUndefined()
  })
})
