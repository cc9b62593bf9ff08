import fc from 'fast-check'
import { Secret, TOTP } from 'otpauth'
import { describe, expect, it } from 'vitest'
import {
  checkTotpCode,
  ENROLMENT_ALLOWED_ROUTES,
  formatRecoveryCode,
  mustEnrolFirst,
  normaliseRecoveryCode,
  RECOVERY_ALPHABET,
  timeStep,
  trustedDeviceExpiry,
  trustedDeviceValid,
} from './accounts.totp.core.ts'

/** A fake HMAC: the code of step s is s mod 10^6, zero-padded (easy to reason about). */
const fakeCodeAt = (s: number) => String(((s % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0')
const T0 = 1_900_000_000_000 // ms; step 63_333_333
const S0 = timeStep(T0)

describe('checkTotpCode', () => {
  const cases: [string, { code: string; nowMs: number; lastStep: number | null }, unknown][] = [
    ['current step', { code: fakeCodeAt(S0), nowMs: T0, lastStep: null }, { ok: true, step: S0 }],
    [
      'previous step (drift)',
      { code: fakeCodeAt(S0 - 1), nowMs: T0, lastStep: null },
      { ok: true, step: S0 - 1 },
    ],
    [
      'next step (drift)',
      { code: fakeCodeAt(S0 + 1), nowMs: T0, lastStep: null },
      { ok: true, step: S0 + 1 },
    ],
    [
      'two steps old',
      { code: fakeCodeAt(S0 - 2), nowMs: T0, lastStep: null },
      { ok: false, reason: 'no_match' },
    ],
    [
      'two steps ahead',
      { code: fakeCodeAt(S0 + 2), nowMs: T0, lastStep: null },
      { ok: false, reason: 'no_match' },
    ],
    [
      'spaces ignored',
      { code: ` ${fakeCodeAt(S0).slice(0, 3)} ${fakeCodeAt(S0).slice(3)}`, nowMs: T0, lastStep: null },
      { ok: true, step: S0 },
    ],
    ['letters', { code: '12a456', nowMs: T0, lastStep: null }, { ok: false, reason: 'malformed' }],
    ['5 digits', { code: '12345', nowMs: T0, lastStep: null }, { ok: false, reason: 'malformed' }],
    ['7 digits', { code: '1234567', nowMs: T0, lastStep: null }, { ok: false, reason: 'malformed' }],
    ['same step used', { code: fakeCodeAt(S0), nowMs: T0, lastStep: S0 }, { ok: false, reason: 'replayed' }],
    [
      'older than last used',
      { code: fakeCodeAt(S0 - 1), nowMs: T0, lastStep: S0 },
      { ok: false, reason: 'replayed' },
    ],
    [
      'newer than last used',
      { code: fakeCodeAt(S0 + 1), nowMs: T0, lastStep: S0 },
      { ok: true, step: S0 + 1 },
    ],
  ]
  it.each(cases)('%s', (_name, input, expected) => {
    expect(checkTotpCode({ ...input, codeAt: fakeCodeAt })).toEqual(expected)
  })

  it('takes the latest step when a code matches two steps of the window', () => {
    const codeAt = (s: number) => (s === S0 - 1 || s === S0 + 1 ? '424242' : fakeCodeAt(s))
    expect(checkTotpCode({ code: '424242', nowMs: T0, lastStep: null, codeAt })).toEqual({
      ok: true,
      step: S0 + 1,
    })
  })

  it('agrees with otpauth (RFC 6238 SHA-1, 30 s, 6 digits)', () => {
    const secret = new Secret({ size: 20 })
    const totp = new TOTP({ secret })
    const codeAt = (s: number) => totp.generate({ timestamp: s * 30_000 })
    const code = totp.generate({ timestamp: T0 })
    expect(checkTotpCode({ code, nowMs: T0 + 25_000, lastStep: null, codeAt })).toEqual({
      ok: true,
      step: S0,
    })
  })

  it('property: no code is ever accepted twice, whatever the times of the attempts', () => {
    // A tiny code space forces collisions between steps; attempts come at any time order.
    const codeAt = (s: number) => String(((s % 7) + 7) % 7).padStart(6, '0')
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ dt: fc.integer({ min: -120_000, max: 600_000 }), c: fc.integer({ min: 0, max: 6 }) }),
          {
            maxLength: 60,
          },
        ),
        (attempts) => {
          let last: number | null = null
          let now = T0
          const accepted: number[] = []
          for (const a of attempts) {
            now += a.dt
            const r = checkTotpCode({
              code: String(a.c).padStart(6, '0'),
              nowMs: now,
              lastStep: last,
              codeAt,
            })
            if (r.ok) {
              // The step (the issued code) was never accepted before, and only moves forward.
              expect(accepted).not.toContain(r.step)
              if (last !== null) expect(r.step).toBeGreaterThan(last)
              accepted.push(r.step)
              last = r.step
            }
          }
        },
      ),
    )
  })
})

describe('recovery codes', () => {
  it('formats 10 symbols of the alphabet as xxxxx-xxxxx', () => {
    expect(formatRecoveryCode(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe('abcde-fghij')
    expect(formatRecoveryCode(new Uint8Array(10).fill(255))).toBe('99999-99999')
    expect(() => formatRecoveryCode(new Uint8Array(9))).toThrow(RangeError)
    expect(new Set(RECOVERY_ALPHABET).size).toBe(32)
    expect(RECOVERY_ALPHABET).not.toMatch(/[01lo]/)
  })

  it.each([
    ['abcde-fghij', 'abcdefghij'],
    ['ABCDE-FGHIJ', 'abcdefghij'],
    [' abcde fghij ', 'abcdefghij'],
    ['abcdefghij', 'abcdefghij'],
    ['ab-cd-ef-gh-ij', 'abcdefghij'],
    ['abcde-fghi', null],
    ['abcde-fghijk', null],
    ['abcde-fgh0j', null],
    ['abcde-fghlj', null],
    ['', null],
  ])('normalises %j → %j', (input, expected) => {
    expect(normaliseRecoveryCode(input)).toBe(expected)
  })

  it('property: every formatted code normalises to itself without the dash, in any case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.boolean(), (bytes, upper) => {
        const c = formatRecoveryCode(bytes)
        expect(normaliseRecoveryCode(upper ? c.toUpperCase() : c)).toBe(c.replace('-', ''))
      }),
    )
  })
})

describe('remembered devices', () => {
  const now = new Date('2031-01-01T00:00:00Z')
  it.each([
    [30, '2031-01-31T00:00:00.000Z'],
    [1, '2031-01-02T00:00:00.000Z'],
    [0, '2031-01-02T00:00:00.000Z'],
    [90, '2031-04-01T00:00:00.000Z'],
    [365, '2031-04-01T00:00:00.000Z'],
  ])('%d days → %s', (days, expected) => {
    expect(trustedDeviceExpiry(now, days).toISOString()).toBe(expected)
  })
  it('is valid strictly before its expiry', () => {
    const exp = trustedDeviceExpiry(now, 30)
    expect(trustedDeviceValid(exp, new Date(exp.getTime() - 1))).toBe(true)
    expect(trustedDeviceValid(exp, exp)).toBe(false)
  })
})

describe('mustEnrolFirst', () => {
  const base = {
    via: 'session' as const,
    workspaceRequires2fa: true,
    userHas2fa: false,
    method: 'GET',
    routeUrl: '/api/v1/campaigns',
  }
  it.each([
    ['blocked: required, no 2FA, ordinary route', base, true],
    ['not required', { ...base, workspaceRequires2fa: false }, false],
    ['user has 2FA', { ...base, userHas2fa: true }, false],
    ['API key', { ...base, via: 'api_key' as const }, false],
    ['status', { ...base, routeUrl: '/api/v1/auth/2fa' }, false],
    ['setup', { ...base, method: 'POST', routeUrl: '/api/v1/auth/2fa/setup' }, false],
    ['enable', { ...base, method: 'post', routeUrl: '/api/v1/auth/2fa/enable' }, false],
    ['me', { ...base, routeUrl: '/api/v1/auth/me' }, false],
    ['profile change is not enrolment', { ...base, method: 'PATCH', routeUrl: '/api/v1/auth/me' }, true],
    ['logout', { ...base, method: 'POST', routeUrl: '/api/v1/auth/logout' }, false],
    ['switch workspace', { ...base, method: 'POST', routeUrl: '/api/v1/auth/workspace' }, false],
    ['disable is not enrolment', { ...base, method: 'POST', routeUrl: '/api/v1/auth/2fa/disable' }, true],
  ])('%s', (_n, input, expected) => {
    expect(mustEnrolFirst(input)).toBe(expected)
  })
  it('allows exactly the enrolment routes', () => {
    expect([...ENROLMENT_ALLOWED_ROUTES].sort()).toMatchInlineSnapshot(`
      [
        "GET /api/v1/auth/2fa",
        "GET /api/v1/auth/me",
        "GET /api/v1/auth/workspaces",
        "POST /api/v1/auth/2fa/enable",
        "POST /api/v1/auth/2fa/setup",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/workspace",
      ]
    `)
  })
})
