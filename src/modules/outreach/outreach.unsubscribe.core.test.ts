import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  deriveUnsubscribeKey,
  maskEmail,
  readUnsubscribeToken,
  unsubscribeToken,
} from './outreach.unsubscribe.core.ts'

const KEY = deriveUnsubscribeKey(Buffer.alloc(32, 7))
const OTHER_KEY = deriveUnsubscribeKey(Buffer.alloc(32, 8))
const CLAIMS = {
  workspaceId: '00000000-0000-4000-8000-000000000001',
  emailId: '0190f1c2-7a3b-7c4d-8e5f-a1b2c3d4e5f6',
  email: 'alice@example.com',
}

const claimsArb = fc.record({
  workspaceId: fc.uuid(),
  emailId: fc.uuid(),
  email: fc.emailAddress().map((e) => e.toLowerCase()),
})

describe('unsubscribeToken / readUnsubscribeToken', () => {
  it('round-trips and is compact, URL-safe and deterministic', () => {
    const t = unsubscribeToken(KEY, CLAIMS)
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)
    expect(t.length).toBeLessThan(100)
    expect(unsubscribeToken(KEY, CLAIMS)).toBe(t)
    expect(readUnsubscribeToken(KEY, t)).toEqual(CLAIMS)
  })

  it('round-trips any claims (property)', () => {
    fc.assert(
      fc.property(claimsArb, (c) => {
        expect(readUnsubscribeToken(KEY, unsubscribeToken(KEY, c))).toEqual(c)
      }),
    )
  })

  it('refuses a token under another key', () => {
    expect(readUnsubscribeToken(OTHER_KEY, unsubscribeToken(KEY, CLAIMS))).toBeNull()
  })

  it('refuses any one-character change, truncation or extension (property)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '
    fc.assert(
      fc.property(claimsArb, fc.nat(), fc.constantFrom(...alphabet), (c, pos, ch) => {
        const t = unsubscribeToken(KEY, c)
        const i = pos % t.length
        fc.pre(t[i] !== ch)
        const changed = t.slice(0, i) + ch + t.slice(i + 1)
        expect(readUnsubscribeToken(KEY, changed)).toBeNull()
        expect(readUnsubscribeToken(KEY, t.slice(0, i))).toBeNull()
        expect(readUnsubscribeToken(KEY, t + ch)).toBeNull()
      }),
    )
  })

  it('refuses a payload swapped between two valid tokens', () => {
    const a = unsubscribeToken(KEY, CLAIMS).split('.')
    const b = unsubscribeToken(KEY, { ...CLAIMS, email: 'bob@example.com' }).split('.')
    expect(readUnsubscribeToken(KEY, `${b[0]}.${a[1]}`)).toBeNull()
  })

  it.each(['', '.', 'abc', 'a.b.c', `${'A'.repeat(2000)}.${'A'.repeat(22)}`])('refuses malformed %j', (t) => {
    expect(readUnsubscribeToken(KEY, t)).toBeNull()
  })

  it.each([
    [{ ...CLAIMS, workspaceId: 'ws-1' }],
    [{ ...CLAIMS, emailId: '' }],
    [{ ...CLAIMS, email: 'no-at-sign' }],
    [{ ...CLAIMS, email: 'a b@example.com' }],
    [{ ...CLAIMS, email: 'a@b\r\nBcc: x@y' }],
  ])('throws on bad claims %j', (c) => {
    expect(() => unsubscribeToken(KEY, c)).toThrow(TypeError)
  })
})

describe('maskEmail', () => {
  it.each([
    ['alice@example.com', 'a***e@e***.com'],
    ['al@example.co.uk', 'a*@e***.uk'],
    ['a@x.io', 'a*@x***.io'],
    ['bob@localhost', 'b***b@l***'],
    ['jürgen@müller.de', 'j***n@m***.de'],
    ['nobody', 'n***y'],
  ])('%s → %s', (email, want) => {
    expect(maskEmail(email)).toBe(want)
  })
})
