import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type AttemptVerdict,
  classifyFailure,
  classifyStatus,
  DEFAULT_RETRY_POLICY,
  delayAfterAttempt,
  type FailureKind,
  formatMicros,
  nextState,
  type OutboundChange,
  OUTBOUND_MACROS,
  outboundMacroValues,
  type RetryPolicy,
  redactUrl,
  renderOutboundUrl,
  retryOffsets,
} from './outbound.core.ts'

const MIN = 60_000

describe('retry schedule', () => {
  it('default: 12 attempts, doubling from 1 min, the last at 24 h', () => {
    expect(retryOffsets(DEFAULT_RETRY_POLICY).map((ms) => ms / MIN)).toEqual([
      0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 1440,
    ])
  })

  it.each([
    // attempt just failed → delay before the next (minutes); undefined = that was the last
    [1, 1],
    [2, 2],
    [3, 4],
    [4, 8],
    [9, 256],
    [10, 512],
    [11, 417], // shortened: the 12th attempt lands exactly 24 h after the first
    [12, undefined],
    [13, undefined],
    [0, undefined],
    [1.5, undefined],
  ])('default: after attempt %s wait %s min', (attempt, minutes) => {
    const d = delayAfterAttempt(DEFAULT_RETRY_POLICY, attempt)
    expect(d === undefined ? undefined : d / MIN).toBe(minutes)
  })

  it.each<[string, RetryPolicy, number[]]>([
    [
      'cap per delay',
      { maxAttempts: 5, baseDelayMs: 100, factor: 2, maxDelayMs: 300, windowMs: 1e9 },
      [0, 100, 300, 600, 900],
    ],
    [
      'window ends the round early',
      { maxAttempts: 10, baseDelayMs: 100, factor: 2, maxDelayMs: 1e9, windowMs: 350 },
      [0, 100, 300, 350],
    ],
    [
      'constant delays',
      { maxAttempts: 4, baseDelayMs: 50, factor: 1, maxDelayMs: 1e9, windowMs: 1e9 },
      [0, 50, 100, 150],
    ],
    ['one attempt only', { maxAttempts: 1, baseDelayMs: 50, factor: 2, maxDelayMs: 1e9, windowMs: 1e9 }, [0]],
    ['zero window', { maxAttempts: 5, baseDelayMs: 50, factor: 2, maxDelayMs: 1e9, windowMs: 0 }, [0]],
  ])('%s', (_name, policy, offsets) => {
    expect(retryOffsets(policy)).toEqual(offsets)
  })

  const policyArb = fc.record({
    maxAttempts: fc.integer({ min: 1, max: 30 }),
    baseDelayMs: fc.integer({ min: 1, max: 3_600_000 }),
    factor: fc.double({ min: 1, max: 4, noNaN: true }),
    maxDelayMs: fc.integer({ min: 1, max: 86_400_000 }),
    windowMs: fc.integer({ min: 0, max: 7 * 86_400_000 }),
  })

  it('property: at most maxAttempts, strictly increasing, within the window, no delay over the cap', () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        const o = retryOffsets(p)
        expect(o[0]).toBe(0)
        expect(o.length).toBeLessThanOrEqual(p.maxAttempts)
        for (let i = 1; i < o.length; i++) {
          const d = o[i]! - o[i - 1]!
          expect(d).toBeGreaterThan(0)
          expect(d).toBeLessThanOrEqual(p.maxDelayMs)
          expect(o[i]!).toBeLessThanOrEqual(p.windowMs)
          expect(delayAfterAttempt(p, i)).toBe(d)
        }
        expect(delayAfterAttempt(p, o.length)).toBeUndefined()
      }),
    )
  })

  it('property: delays never shrink except the last one (clamped to the window)', () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        const o = retryOffsets(p)
        const d = o.slice(1).map((x, i) => x - o[i]!)
        for (let i = 1; i < d.length - 1; i++) expect(d[i]!).toBeGreaterThanOrEqual(d[i - 1]!)
      }),
    )
  })
})

describe('classification', () => {
  it.each<[number, AttemptVerdict]>([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [301, 'failed'],
    [302, 'failed'],
    [400, 'failed'],
    [401, 'failed'],
    [403, 'failed'],
    [404, 'failed'],
    [410, 'failed'],
    [422, 'failed'],
    [408, 'retry'],
    [425, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
    [100, 'retry'],
    [0, 'retry'],
    [600, 'retry'],
  ])('HTTP %s → %s', (status, verdict) => {
    expect(classifyStatus(status)).toBe(verdict)
  })

  it.each<[FailureKind, AttemptVerdict]>([
    ['blocked', 'failed'],
    ['invalid_url', 'failed'],
    ['timeout', 'retry'],
    ['network', 'retry'],
  ])('%s → %s', (kind, verdict) => {
    expect(classifyFailure(kind)).toBe(verdict)
  })

  const p: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, factor: 2, maxDelayMs: 1e9, windowMs: 1e9 }
  it.each([
    [1, 'delivered', { state: 'delivered' }],
    [1, 'failed', { state: 'failed' }],
    [1, 'retry', { state: 'pending', delayMs: 100 }],
    [2, 'retry', { state: 'pending', delayMs: 200 }],
    [3, 'retry', { state: 'dead' }],
    [3, 'delivered', { state: 'delivered' }],
    [3, 'failed', { state: 'failed' }],
  ] as const)('attempt %s of 3, %s → %j', (attempt, verdict, expected) => {
    expect(nextState(p, attempt, verdict)).toEqual(expected)
  })
})

describe('formatMicros', () => {
  it.each([
    [0, '0'],
    [1, '0.000001'],
    [10, '0.00001'],
    [500_000, '0.5'],
    [1_000_000, '1'],
    [12_500_000, '12.5'],
    [12_345_678, '12.345678'],
    [1_000_000_000_000, '1000000'],
    [-2_500_000, '-2.5'],
    [Number.NaN, '0'],
    [1.5, '0'],
  ])('%s micros → %s', (micros, s) => {
    expect(formatMicros(micros)).toBe(s)
  })

  it('property: exact decimal of the integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e15 }), (m) => {
        const s = formatMicros(m)
        expect(s).toMatch(/^\d+(\.\d{0,5}[1-9])?$/)
        const [u, f = ''] = s.split('.')
        expect(BigInt(u!) * 1_000_000n + BigInt(f.padEnd(6, '0'))).toBe(BigInt(m))
      }),
    )
  })
})

const change: OutboundChange = {
  conversionId: '5b0c6f52-3c2a-4c39-9f1a-6c1f1d2b9a01',
  clickId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  externalId: 'ext 1&x=2/é',
  transactionId: 'T#9',
  campaignId: 'c1',
  streamId: 's1',
  destinationId: 'd1',
  country: 'DE',
  device: 'mobile',
  status: 'sale',
  payoutMicros: 12_500_000,
  revenueMicros: 12_500_000,
  currency: 'EUR',
  subs: { sub1: 'kw 1', sub10: '?' },
}

describe('macros', () => {
  it('every macro has a value; payout and revenue in currency units', () => {
    const v = outboundMacroValues(change)
    expect(Object.keys(v).sort()).toEqual([...OUTBOUND_MACROS].sort())
    expect(v).toMatchObject({
      payout: '12.5',
      revenue: '12.5',
      status: 'sale',
      sub1: 'kw 1',
      sub2: '',
      sub10: '?',
    })
  })

  it('renders URL-encoded values after the literal host', () => {
    const url = renderOutboundUrl(
      'https://src.example/pb?cid={external_id}&p={payout}&s={status}&c={currency}&tid={transaction_id}&k={sub1}&z={sub10}&x={unknown}',
      outboundMacroValues(change),
    )
    expect(url).toBe(
      'https://src.example/pb?cid=ext%201%26x%3D2%2F%C3%A9&p=12.5&s=sale&c=EUR&tid=T%239&k=kw%201&z=%3F&x=',
    )
    const q = new URL(url).searchParams
    expect(q.get('cid')).toBe('ext 1&x=2/é')
    expect(q.get('tid')).toBe('T#9')
  })

  it.each([
    ['ftp://src.example/{payout}', ''],
    ['not a url', ''],
    ['https://{external_id}.example/pb', 'https://.example/pb'],
    ['https://src.example:8443/{status}', 'https://src.example:8443/sale'],
    ['HTTP://SRC.example/pb', 'http://SRC.example/pb'],
  ])('template %s → %s', (template, out) => {
    expect(renderOutboundUrl(template, outboundMacroValues(change))).toBe(out)
  })

  it('property: no value changes the scheme, host or port, and every value round-trips', () => {
    const wellFormed = (s: string) =>
      s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    const any = fc.string({ unit: 'binary' })
    fc.assert(
      fc.property(any, any, any, (a, b, c) => {
        const url = renderOutboundUrl(
          'https://src.example:8443/p/{external_id}?s={sub1}&t={transaction_id}',
          {
            external_id: a,
            sub1: b,
            transaction_id: c,
          },
        )
        const u = new URL(url)
        expect(u.protocol).toBe('https:')
        expect(u.host).toBe('src.example:8443')
        expect(decodeURIComponent(u.pathname.slice('/p/'.length))).toBe(wellFormed(a))
        expect(u.searchParams.get('s')).toBe(wellFormed(b))
        expect(u.searchParams.get('t')).toBe(wellFormed(c))
      }),
    )
  })
})

describe('redactUrl', () => {
  it.each([
    ['https://s.example/pb?cid=1&token=abc&p=2', 'https://s.example/pb?cid=1&token=***&p=2'],
    [
      'https://s.example/pb?api_key=k&Secret=s&sig=x&hash=h',
      'https://s.example/pb?api_key=***&Secret=***&sig=***&hash=***',
    ],
    ['https://user:pw@s.example/pb', 'https://user:***@s.example/pb'],
    ['https://user@s.example/pb', 'https://user@s.example/pb'],
    ['https://s.example/pb?a=%20b&flag', 'https://s.example/pb?a=%20b&flag'],
    ['https://s.example/pb?my%5Ftoken=1', 'https://s.example/pb?my%5Ftoken=***'],
    ['https://s.example/pb#frag', 'https://s.example/pb'],
    ['nope', '<invalid url>'],
  ])('%s → %s', (url, out) => {
    expect(redactUrl(url)).toBe(out)
  })
})
