import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Trafficback } from '../routing.schema.ts'
import { HOP_PARAM, parseHops, type TrafficbackStep, trafficbackStep } from './trafficback.ts'

const PUBLIC = 'http://tracker.test'
const known = new Set(['c-known'])
const campaign = (id: string): Trafficback => ({ type: 'campaign', campaign_id: id })
const url = (u: string): Trafficback => ({ type: 'url', url: u })

describe('trafficbackStep', () => {
  const cases: [string, Trafficback, number, number, TrafficbackStep][] = [
    ['none is a plain 404', { type: 'none' }, 0, 3, { action: 'not_found', targetType: 'none', target: '' }],
    [
      'none stays none past the limit (not a loop)',
      { type: 'none' },
      9,
      3,
      { action: 'not_found', targetType: 'none', target: '' },
    ],
    [
      'a known campaign is followed, one hop more',
      campaign('c-known'),
      0,
      3,
      { action: 'follow', targetType: 'campaign', target: 'c-known', hops: 1 },
    ],
    [
      'the last hop allowed is followed',
      campaign('c-known'),
      2,
      3,
      { action: 'follow', targetType: 'campaign', target: 'c-known', hops: 3 },
    ],
    [
      'past the limit a campaign is a loop 404',
      campaign('c-known'),
      3,
      3,
      { action: 'not_found', targetType: 'loop', target: 'c-known' },
    ],
    [
      'an unknown campaign is a 404 of type campaign',
      campaign('c-gone'),
      0,
      3,
      { action: 'not_found', targetType: 'campaign', target: 'c-gone' },
    ],
    [
      'the limit is checked before the campaign lookup',
      campaign('c-gone'),
      3,
      3,
      { action: 'not_found', targetType: 'loop', target: 'c-gone' },
    ],
    [
      'a foreign URL is redirected to unchanged',
      url('https://elsewhere.example/x?a=1'),
      0,
      3,
      {
        action: 'redirect',
        targetType: 'url',
        target: 'https://elsewhere.example/x?a=1',
        url: 'https://elsewhere.example/x?a=1',
        hops: 1,
      },
    ],
    [
      'a URL into our own links carries the hop count',
      url(`${PUBLIC}/c/other?x=1`),
      1,
      3,
      {
        action: 'redirect',
        targetType: 'url',
        target: `${PUBLIC}/c/other?x=1`,
        url: `${PUBLIC}/c/other?x=1&${HOP_PARAM}=2`,
        hops: 2,
      },
    ],
    [
      'an existing hop count in our URL is replaced',
      url(`${PUBLIC}/c/other?${HOP_PARAM}=7`),
      0,
      3,
      {
        action: 'redirect',
        targetType: 'url',
        target: `${PUBLIC}/c/other?${HOP_PARAM}=7`,
        url: `${PUBLIC}/c/other?${HOP_PARAM}=1`,
        hops: 1,
      },
    ],
    [
      'past the limit a URL is a loop 404',
      url(`${PUBLIC}/c/other`),
      5,
      3,
      { action: 'not_found', targetType: 'loop', target: `${PUBLIC}/c/other` },
    ],
    [
      'a URL merely starting like ours but outside /c/ gets no counter',
      url(`${PUBLIC}/landing`),
      0,
      1,
      {
        action: 'redirect',
        targetType: 'url',
        target: `${PUBLIC}/landing`,
        url: `${PUBLIC}/landing`,
        hops: 1,
      },
    ],
    [
      'a javascript: URL (a row saved before the schema was strict) is a 404, never a Location',
      url('javascript:alert(document.domain)'),
      0,
      3,
      { action: 'not_found', targetType: 'url', target: 'javascript:alert(document.domain)' },
    ],
    [
      'so is a data: URL',
      url('data:text/html,<script>alert(1)</script>'),
      0,
      3,
      { action: 'not_found', targetType: 'url', target: 'data:text/html,<script>alert(1)</script>' },
    ],
    [
      'and a URL with a blank before the scheme',
      url(' https://elsewhere.example/'),
      0,
      3,
      { action: 'not_found', targetType: 'url', target: ' https://elsewhere.example/' },
    ],
  ]
  it.each(cases)('%s', (_name, target, hops, maxHops, expected) => {
    expect(trafficbackStep(target, hops, maxHops, known, PUBLIC)).toEqual(expected)
  })

  it('never lets a visitor take more than maxHops hops, whatever the chain', () => {
    const target = fc.oneof(
      fc.constant<Trafficback>({ type: 'none' }),
      fc.constantFrom('c-known', 'c-gone').map(campaign),
      fc.constantFrom(`${PUBLIC}/c/a`, 'https://elsewhere.example/').map(url),
    )
    fc.assert(
      fc.property(
        fc.array(target, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        (chain, maxHops) => {
          // Follow the chain the way the redirect does (a URL into our links comes back with its hop count).
          let hops = 0
          for (const tb of chain) {
            const step = trafficbackStep(tb, hops, maxHops, known, PUBLIC)
            if (step.action === 'not_found') return
            expect(step.hops).toBe(hops + 1)
            expect(step.hops).toBeLessThanOrEqual(maxHops)
            if (step.action === 'redirect') {
              if (!step.url.startsWith(`${PUBLIC}/c/`)) return
              hops = parseHops(new URL(step.url).searchParams.get(HOP_PARAM) ?? undefined)
            } else hops = step.hops
          }
        },
      ),
    )
  })
})

describe('trafficbackStep redirects only to http(s)', () => {
  it('every redirect it decides starts with http:// or https://, whatever the stored URL', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.webUrl(),
          fc.string(),
          fc.constantFrom('javascript:x', 'JAVASCRIPT:x', 'file:///etc/passwd'),
        ),
        fc.integer({ min: 0, max: 5 }),
        (u, hops) => {
          const step = trafficbackStep(url(u), hops, 5, known, PUBLIC)
          if (step.action === 'redirect') expect(step.url).toMatch(/^https?:\/\//i)
        },
      ),
    )
  })
})

describe('parseHops', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['2', 2],
    ['2abc', 2],
    ['-4', 0],
    ['nope', 0],
    ['999', 255],
  ])('%j → %d', (raw, hops) => {
    expect(parseHops(raw)).toBe(hops)
  })
})
