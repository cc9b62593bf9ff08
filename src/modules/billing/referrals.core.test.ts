import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CODE_LENGTH,
  CODE_PATTERN,
  canonicalEmail,
  codeFromBytes,
  csvField,
  decideReferral,
  decidePayout,
  decodeCursor,
  encodeCursor,
  firstTouch,
  formatRefCookie,
  maskEmail,
  minorToMajor,
  parseRefCookie,
  refCookieValid,
  toCsv,
} from './referrals.core.ts'

const NOW = new Date('2026-06-01T12:00:00Z')
const NOW_S = Math.floor(NOW.getTime() / 1000)
const DAY = 86_400

describe('canonicalEmail', () => {
  it.each([
    ['  Alice@Example.com ', 'alice@example.com'],
    ['alice+promo@example.com', 'alice@example.com'],
    ['a.l.i.c.e@example.com', 'a.l.i.c.e@example.com'],
    ['A.Lice+x+y@GMail.com', 'alice@gmail.com'],
    ['alice@googlemail.com', 'alice@gmail.com'],
    ['al.ice+tag@googlemail.com', 'alice@gmail.com'],
    ['+only@example.com', '+only@example.com'],
    ['no-at-sign', 'no-at-sign'],
  ])('%j → %j', (input, out) => {
    expect(canonicalEmail(input)).toBe(out)
  })

  it('is idempotent, and case, spacing and +tags never matter', () => {
    const local = fc.stringMatching(/^[a-z0-9.]{1,12}$/)
    const domain = fc.constantFrom('example.com', 'gmail.com', 'googlemail.com', 'mail.test')
    fc.assert(
      fc.property(local, domain, fc.stringMatching(/^[a-z0-9]{0,6}$/), (l, d, tag) => {
        const base = canonicalEmail(`${l}@${d}`)
        expect(canonicalEmail(base)).toBe(base)
        expect(canonicalEmail(`  ${l.toUpperCase()}+${tag}@${d.toUpperCase()} `)).toBe(base)
      }),
    )
  })

  it('Gmail dots never matter; elsewhere they do', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,10}$/), fc.nat(), (l, at) => {
        const i = 1 + (at % (l.length - 1))
        const dotted = `${l.slice(0, i)}.${l.slice(i)}`
        expect(canonicalEmail(`${dotted}@gmail.com`)).toBe(canonicalEmail(`${l}@googlemail.com`))
        expect(canonicalEmail(`${dotted}@example.com`)).not.toBe(canonicalEmail(`${l}@example.com`))
      }),
    )
  })
})

describe('decideReferral', () => {
  const referrer = { userId: 'r', email: 'Ref.Errer@gmail.com', signupIp: '203.0.113.7' }
  const user = (email: string, ip: string | null = '198.51.100.1', id = 'u') => ({ id, email, ip })

  it.each([
    ['no referrer', user('new@example.com'), undefined, { kind: 'none' }],
    ['same user', user('x@example.com', null, 'r'), referrer, { kind: 'refused', reason: 'self_referral' }],
    ['same email', user('referrer@gmail.com'), referrer, { kind: 'refused', reason: 'self_referral' }],
    [
      '+tag variant',
      user('REFERRER+2@googlemail.com'),
      referrer,
      { kind: 'refused', reason: 'self_referral' },
    ],
    ['dotted variant', user('r.e.f.errer@gmail.com'), referrer, { kind: 'refused', reason: 'self_referral' }],
    ['same IP', user('friend@example.com', '203.0.113.7'), referrer, { kind: 'accepted', flag: 'same_ip' }],
    ['other IP', user('friend@example.com'), referrer, { kind: 'accepted', flag: null }],
    ['unknown IP', user('friend@example.com', null), referrer, { kind: 'accepted', flag: null }],
    [
      "referrer's IP unknown",
      user('friend@example.com', '203.0.113.7'),
      { ...referrer, signupIp: null },
      { kind: 'accepted', flag: null },
    ],
  ] as const)('%s', (_, u, r, out) => {
    expect(decideReferral({ user: u, referrer: r })).toEqual(out)
  })

  it('a refusal is exactly "same user or same canonical email"; a flag exactly "same IP"', () => {
    const email = fc.tuple(fc.stringMatching(/^[a-z.+]{1,8}$/), fc.constantFrom('gmail.com', 'x.test'))
    const ip = fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2'), { nil: null })
    fc.assert(
      fc.property(email, email, ip, ip, fc.boolean(), ([l1, d1], [l2, d2], ip1, ip2, same) => {
        const u = { id: same ? 'r' : 'u', email: `${l1}@${d1}`, ip: ip1 }
        const r = { userId: 'r', email: `${l2}@${d2}`, signupIp: ip2 }
        const d = decideReferral({ user: u, referrer: r })
        const self = same || canonicalEmail(u.email) === canonicalEmail(r.email)
        expect(d.kind).toBe(self ? 'refused' : 'accepted')
        if (d.kind === 'accepted') expect(d.flag).toBe(ip1 !== null && ip1 === ip2 ? 'same_ip' : null)
      }),
    )
  })
})

describe('referral cookie and first touch', () => {
  it('round-trips and refuses anything malformed', () => {
    expect(parseRefCookie(formatRefCookie({ code: 'abcd2345', at: NOW_S }))).toEqual({
      code: 'abcd2345',
      at: NOW_S,
    })
    for (const bad of [
      undefined,
      '',
      'abcd2345',
      'abcd2345.',
      'ABCD2345.1',
      'abcd234l.1',
      'abc.1',
      'abcd2345.1.2',
    ])
      expect(parseRefCookie(bad)).toBeUndefined()
  })

  it('is valid inside its window only', () => {
    const c = (at: number) => ({ code: 'abcd2345', at })
    expect(refCookieValid(c(NOW_S), NOW, 30)).toBe(true)
    expect(refCookieValid(c(NOW_S - 30 * DAY), NOW, 30)).toBe(true)
    expect(refCookieValid(c(NOW_S - 30 * DAY - 1), NOW, 30)).toBe(false)
    expect(refCookieValid(c(NOW_S + 3600), NOW, 30)).toBe(false)
  })

  it.each([
    ['no cookie', undefined, true, 'set'],
    ['valid cookie of a known code', `zzzz2345.${NOW_S - DAY}`, true, 'keep'],
    ['cookie of an unknown code', `zzzz2345.${NOW_S - DAY}`, false, 'set'],
    ['expired cookie', `zzzz2345.${NOW_S - 31 * DAY}`, true, 'set'],
    ['malformed cookie', 'garbage', true, 'set'],
  ] as const)('%s → %s', (_, existing, known, out) => {
    const r = firstTouch({ existing, existingKnown: known, clicked: 'abcd2345', now: NOW, windowDays: 30 })
    expect(r === undefined ? 'keep' : 'set').toBe(out)
    if (r) expect(r).toEqual({ code: 'abcd2345', at: NOW_S })
  })

  it('first touch wins: after any sequence of clicks inside the window the first code stays', () => {
    const code = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 })
    fc.assert(
      fc.property(fc.array(code, { minLength: 1, maxLength: 8 }), fc.nat(29 * DAY), (clicks, spread) => {
        let cookie: string | undefined
        clicks.forEach((bytes, i) => {
          const now = new Date(NOW.getTime() + Math.floor((spread * i) / clicks.length) * 1000)
          const set = firstTouch({
            existing: cookie,
            existingKnown: true,
            clicked: codeFromBytes(Uint8Array.from(bytes)),
            now,
            windowDays: 30,
          })
          if (set) cookie = formatRefCookie(set)
        })
        expect(parseRefCookie(cookie)?.code).toBe(codeFromBytes(Uint8Array.from(clicks[0]!)))
      }),
    )
  })
})

describe('codeFromBytes', () => {
  it('always gives a well-formed code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: CODE_LENGTH, maxLength: 16 }), (b) => {
        expect(codeFromBytes(b)).toMatch(CODE_PATTERN)
      }),
    )
    expect(() => codeFromBytes(new Uint8Array(3))).toThrow()
  })
})

describe('decidePayout', () => {
  it.each([
    [
      { availableMinor: 6000, minMinor: 5000 },
      { ok: true, amountMinor: 6000 },
    ],
    [
      { availableMinor: 5000, minMinor: 5000 },
      { ok: true, amountMinor: 5000 },
    ],
    [
      { availableMinor: 4999, minMinor: 5000 },
      { ok: false, code: 'below_minimum' },
    ],
    [
      { availableMinor: -300, minMinor: 5000 },
      { ok: false, code: 'below_minimum' },
    ],
    [
      { requestedMinor: 5500, availableMinor: 9000, minMinor: 5000 },
      { ok: true, amountMinor: 5500 },
    ],
    [
      { requestedMinor: 4000, availableMinor: 9000, minMinor: 5000 },
      { ok: false, code: 'below_minimum' },
    ],
    [
      { requestedMinor: 9001, availableMinor: 9000, minMinor: 5000 },
      { ok: false, code: 'insufficient_funds' },
    ],
  ])('%j', (input, out) => {
    expect(decidePayout(input)).toMatchObject(out)
  })

  it('an accepted payout is within [min, available] and never overdraws', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
        fc.integer({ min: -1e6, max: 1e9 }),
        fc.integer({ min: 0, max: 1e6 }),
        (requestedMinor, availableMinor, minMinor) => {
          const d = decidePayout({ requestedMinor, availableMinor, minMinor })
          if (d.ok) {
            expect(d.amountMinor).toBeGreaterThanOrEqual(minMinor)
            expect(d.amountMinor).toBeLessThanOrEqual(availableMinor)
            expect(availableMinor - d.amountMinor).toBeGreaterThanOrEqual(0)
          } else {
            const amount = requestedMinor ?? availableMinor
            expect(amount < minMinor || amount > availableMinor).toBe(true)
          }
        },
      ),
    )
  })
})

describe('formatting', () => {
  it('masks emails', () => {
    expect(maskEmail('john.doe@example.com')).toBe('j***@example.com')
    expect(maskEmail('x@y.z')).toBe('x***@y.z')
    expect(maskEmail('nonsense')).toBe('***')
  })

  it('writes minor units as exact major units', () => {
    expect(minorToMajor(0)).toBe('0.00')
    expect(minorToMajor(5)).toBe('0.05')
    expect(minorToMajor(123456)).toBe('1234.56')
    expect(minorToMajor(-5)).toBe('-0.05')
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (n) => {
        const s = minorToMajor(n)
        expect(s).toMatch(/^-?\d+\.\d\d$/)
        expect(BigInt(s.replace('.', ''))).toBe(BigInt(n))
      }),
    )
  })

  it('quotes CSV fields and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvField(-12)).toBe('-12')
    expect(csvField(null)).toBe('')
    expect(toCsv(['a', 'b'], [[1, 'x\ny']])).toBe('a,b\r\n1,"x\ny"\r\n')
  })

  it('CSV fields never break the row: no bare comma, quote or line break outside quotes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const f = csvField(s)
        if (f.startsWith('"')) expect(f.slice(1, -1).replace(/""/g, '')).not.toContain('"')
        else expect(f).not.toMatch(/[",\r\n]/)
      }),
    )
  })

  it('round-trips cursors and refuses foreign ones', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
        fc.uuid(),
        (at, id) => {
          expect(decodeCursor(encodeCursor({ at, id }))).toEqual({ at, id })
        },
      ),
    )
    for (const bad of ['', 'x', '!!!', Buffer.from('12|nope').toString('base64url'), 'a'.repeat(300)])
      expect(decodeCursor(bad)).toBeUndefined()
  })
})
