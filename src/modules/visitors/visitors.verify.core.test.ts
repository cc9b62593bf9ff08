import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  deriveVerifyKey,
  fileProves,
  hostName,
  hostTargets,
  instructions,
  isIpLiteral,
  isStale,
  txtProves,
  txtRecordName,
  verdict,
  verificationToken,
} from './visitors.verify.core.ts'

const KEY = deriveVerifyKey(Buffer.alloc(32, 7))
const WS = '00000000-0000-4000-8000-000000000001'

describe('verificationToken', () => {
  it('is stable, base64url, and differs by workspace, host and key', () => {
    const t = verificationToken(KEY, WS, 'a.example')
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(verificationToken(KEY, WS, 'a.example')).toBe(t)
    expect(verificationToken(KEY, '00000000-0000-4000-8000-000000000002', 'a.example')).not.toBe(t)
    expect(verificationToken(KEY, WS, 'b.example')).not.toBe(t)
    expect(verificationToken(deriveVerifyKey(Buffer.alloc(32, 8)), WS, 'a.example')).not.toBe(t)
  })

  it('uses a key derived from, not equal to, the secret key', () => {
    const secret = Buffer.alloc(32, 7)
    expect(KEY.length).toBe(32)
    expect(KEY.equals(secret)).toBe(false)
  })
})

describe('hostTargets', () => {
  it.each([
    [['https://A.example/x', 'https://a.example/y'], [{ host: 'a.example', schemes: ['https'] }]],
    [['http://a.example/', 'https://a.example/'], [{ host: 'a.example', schemes: ['https', 'http'] }]],
    [['http://a.example:8080/'], [{ host: 'a.example:8080', schemes: ['http'] }]],
    [['https://a.example:443/'], [{ host: 'a.example', schemes: ['https'] }]],
    [
      ['https://a.example/', 'http://127.0.0.1:3000/p'],
      [
        { host: 'a.example', schemes: ['https'] },
        { host: '127.0.0.1:3000', schemes: ['http'] },
      ],
    ],
    [['not a url', 'ftp://x.example/'], []],
  ])('%j → %j', (urls, want) => {
    expect(hostTargets(urls)).toEqual(want)
  })
})

describe('host names', () => {
  it.each([
    ['a.example', 'a.example', false, '_traffoflex.a.example'],
    ['a.example:8080', 'a.example', false, '_traffoflex.a.example'],
    ['127.0.0.1:3000', '127.0.0.1', true, '_traffoflex.127.0.0.1'],
    ['[::1]:3000', '::1', true, '_traffoflex.::1'],
  ])('%s → name %s, IP literal %s', (host, name, ip, txt) => {
    expect(hostName(host)).toBe(name)
    expect(isIpLiteral(host)).toBe(ip)
    expect(txtRecordName(host)).toBe(txt)
  })

  it('gives no DNS instructions for an IP literal', () => {
    expect(instructions({ host: '127.0.0.1:3000', schemes: ['http'] }, 'tok')).toEqual({
      file: {
        url: 'http://127.0.0.1:3000/.well-known/traffoflex-verify.txt',
        content: 'traffoflex-verify=tok',
      },
      dns: null,
    })
    expect(instructions({ host: 'a.example', schemes: ['https'] }, 'tok').dns).toEqual({
      name: '_traffoflex.a.example',
      type: 'TXT',
      value: 'traffoflex-verify=tok',
    })
  })
})

describe('proofs', () => {
  const tok = 'abc_DEF-123'
  it.each([
    [tok, true],
    [`${tok}\n`, true],
    [`  traffoflex-verify=${tok}  \r\n`, true],
    [`other\n${tok}\n`, true],
    [`${tok}x`, false],
    [`xx${tok}`, false],
    ['', false],
    ['traffoflex-verify=', false],
  ])('file %j proves: %s', (body, ok) => {
    expect(fileProves(body, tok)).toBe(ok)
  })

  it.each([
    [[[`traffoflex-verify=${tok}`]], true],
    [[['traffoflex-verify=', tok]], true], // long records come in chunks
    [[['v=spf1 -all'], [`traffoflex-verify=${tok}`]], true],
    [[[tok]], false], // the TXT value needs the prefix
    [[[`traffoflex-verify=${tok}extra`]], false],
    [[], false],
  ])('TXT %j proves: %s', (records, ok) => {
    expect(txtProves(records, tok)).toBe(ok)
  })

  it('a token never proves another token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a.trim() !== b.trim() && a.trim() !== '' && !a.includes('\n'))
        expect(fileProves(a, b)).toBe(a.trim() === b || a.trim() === `traffoflex-verify=${b}`)
      }),
    )
  })
})

describe('isStale and verdict', () => {
  const now = new Date('2026-01-02T00:00:00Z')
  it.each([
    [null, 24, true],
    [new Date('2026-01-01T00:00:00Z'), 24, false],
    [new Date('2025-12-31T23:59:59Z'), 24, true],
    [new Date('2026-01-01T23:00:00Z'), 1, false],
    [new Date('2026-01-01T22:59:59Z'), 1, true],
  ])('verified at %s, stale after %s h → %s', (at, h, stale) => {
    expect(isStale(at, now, h)).toBe(stale)
  })

  it('takes the first success, else joins the errors', () => {
    expect(
      verdict([
        { method: 'http', ok: false, error: '404' },
        { method: 'dns', ok: true },
      ]),
    ).toEqual({ ok: true, method: 'dns' })
    expect(
      verdict([
        { method: 'http', ok: false, error: 'answered 404' },
        { method: 'dns', ok: false, error: 'ENODATA' },
      ]),
    ).toEqual({ ok: false, error: 'http: answered 404; dns: ENODATA' })
  })
})
