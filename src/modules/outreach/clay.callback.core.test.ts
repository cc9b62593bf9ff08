import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ClayCallbackError,
  callbackToken,
  callbackUrl,
  parseClayCallback,
  verifyCallbackToken,
} from './clay.callback.core.ts'

const KEY = Buffer.alloc(32, 7)
const OTHER = Buffer.alloc(32, 8)
const ID = '0b7e6f0e-3c2a-4e61-9a57-2f1d3c4b5a69'
const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,100}$/)
const keyArb = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((a) => Buffer.from(a))

describe('callback token', () => {
  it('is 43 base64url characters and deterministic', () => {
    const t = callbackToken(KEY, ID)
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(callbackToken(KEY, ID)).toBe(t)
  })

  it('refuses short keys and bad correlation IDs', () => {
    expect(() => callbackToken(Buffer.alloc(8), ID)).toThrow(RangeError)
    expect(() => callbackToken(KEY, 'a/b')).toThrow(RangeError)
    expect(() => callbackToken(KEY, '')).toThrow(RangeError)
  })

  const refused: [string, unknown, string][] = [
    ['another ID', callbackToken(KEY, 'other-id'), ID],
    ['another key', callbackToken(OTHER, ID), ID],
    ['not a string', 42, ID],
    ['empty', '', ID],
    ['too long', `${callbackToken(KEY, ID)}A`, ID],
    ['bad correlation ID', callbackToken(KEY, ID), '../x'],
  ]
  for (const [name, token, id] of refused) {
    it(`verify refuses ${name}`, () => expect(verifyCallbackToken(KEY, id, token)).toBe(false))
  }

  it('round trip: verify accepts what it issued', () => {
    fc.assert(fc.property(keyArb, idArb, (k, id) => verifyCallbackToken(k, id, callbackToken(k, id))))
  })

  it('tamper: any changed character is refused', () => {
    fc.assert(
      fc.property(keyArb, idArb, fc.nat(42), fc.constantFrom(...'AQgw_-9z'), (k, id, pos, ch) => {
        const t = callbackToken(k, id)
        const tampered = t.slice(0, pos) + ch + t.slice(pos + 1)
        fc.pre(tampered !== t)
        // Different base64url text can decode to the same bytes only in the last
        // character's unused low bits; those tokens name the same MAC and are equivalent.
        const same = Buffer.from(tampered, 'base64url').equals(Buffer.from(t, 'base64url'))
        expect(verifyCallbackToken(k, id, tampered)).toBe(same)
      }),
    )
  })

  it('another correlation ID never verifies', () => {
    fc.assert(
      fc.property(keyArb, idArb, idArb, (k, a, b) => {
        fc.pre(a !== b)
        expect(verifyCallbackToken(k, b, callbackToken(k, a))).toBe(false)
      }),
    )
  })
})

describe('callbackUrl', () => {
  it('puts the correlation ID in the path and the token in the query', () => {
    const u = new URL(callbackUrl('https://tf.example.com/', ID, KEY))
    expect(u.origin).toBe('https://tf.example.com')
    expect(u.pathname).toBe(`/api/v1/outreach/clay/callback/${ID}`)
    expect(verifyCallbackToken(KEY, ID, u.searchParams.get('token'))).toBe(true)
  })
  it('refuses non-http URLs', () => {
    expect(() => callbackUrl('ftp://x', ID, KEY)).toThrow(RangeError)
    expect(() => callbackUrl('nonsense', ID, KEY)).toThrow()
  })
})

describe('parseClayCallback', () => {
  const ok: [string, unknown, string | null][] = [
    [
      'found, lower-cased and trimmed',
      { correlation_id: ID, email: ' Jane@Example.COM ', email_status: 'found' },
      'jane@example.com',
    ],
    ['null email', { correlation_id: ID, email: null }, null],
    [
      'empty string (an empty Clay column)',
      { correlation_id: ID, email: '', email_status: 'not_found' },
      null,
    ],
  ]
  for (const [name, body, email] of ok) {
    it(`accepts ${name}`, () => expect(parseClayCallback(body, ID)).toEqual({ correlationId: ID, email }))
  }
  const bad: [string, unknown, string][] = [
    ['unknown key', { correlation_id: ID, email: null, phone: '1' }, ''],
    ['missing email key', { correlation_id: ID }, 'email'],
    ['malformed email', { correlation_id: ID, email: 'nope' }, 'email'],
    ['found without email', { correlation_id: ID, email: '', email_status: 'found' }, 'email'],
    [
      'not_found with email',
      { correlation_id: ID, email: 'a@b.co', email_status: 'not_found' },
      'email_status',
    ],
    ['bad status', { correlation_id: ID, email: null, email_status: 'maybe' }, 'email_status'],
    ['not an object', 'x', ''],
  ]
  for (const [name, body, path] of bad) {
    it(`refuses ${name}`, () => {
      try {
        parseClayCallback(body)
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(ClayCallbackError)
        expect((e as ClayCallbackError).issues.map((i) => i.path)).toContain(path)
      }
    })
  }
  it('refuses a correlation ID other than the URL one', () => {
    expect(() => parseClayCallback({ correlation_id: 'abc', email: null }, ID)).toThrow(ClayCallbackError)
  })
  it('property: any plain email comes back lower-cased', () => {
    // Plain addresses (z.email() is a practical subset of RFC 5322, so fc.emailAddress() is too wide).
    const plain = fc.stringMatching(/^[a-z0-9]{1,10}([._+-][a-z0-9]{1,8})?@[a-z0-9]{1,10}\.[a-z]{2,6}$/)
    fc.assert(
      fc.property(plain, (e) => {
        const r = parseClayCallback({ correlation_id: ID, email: e.toUpperCase() })
        expect(r.email).toBe(e.toUpperCase().toLowerCase())
      }),
      { numRuns: 200 },
    )
  })
})
