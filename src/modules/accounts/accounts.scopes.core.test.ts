import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  API_SCOPES,
  type ApiScope,
  expiryProblem,
  keyExpired,
  MAX_KEY_LIFETIME_MS,
  normaliseScopes,
  scopeDecision,
  scopesAllow,
} from './accounts.scopes.core.ts'

describe('scopesAllow: read < write < admin', () => {
  it.each([
    // held, needed, allowed
    [['read'], 'read', true],
    [['read'], 'write', false],
    [['read'], 'admin', false],
    [['write'], 'read', true],
    [['write'], 'write', true],
    [['write'], 'admin', false],
    [['admin'], 'read', true],
    [['admin'], 'write', true],
    [['admin'], 'admin', true],
    [['read', 'write'], 'write', true],
    [['read', 'admin'], 'write', true],
    [[], 'read', false],
    [['owner'], 'read', false],
    [['READ'], 'read', false],
    [['__proto__'], 'read', false],
  ] as const)('%j needs %s → %s', (held, needed, allowed) => {
    expect(scopesAllow(held, needed)).toBe(allowed)
  })

  it('a key allows a route exactly when its highest scope ranks at least as high', () => {
    fc.assert(
      fc.property(fc.subarray([...API_SCOPES]), fc.constantFrom(...API_SCOPES), (held, needed) => {
        const rank = (s: ApiScope) => API_SCOPES.indexOf(s)
        const top = Math.max(-1, ...held.map(rank))
        expect(scopesAllow(held, needed)).toBe(top >= rank(needed))
      }),
    )
  })
})

describe('normaliseScopes', () => {
  it.each([
    [
      ['admin', 'read'],
      ['read', 'admin'],
    ],
    [['write', 'write'], ['write']],
    [['x', 'read'], ['read']],
    [[], []],
  ] as const)('%j → %j', (input, out) => {
    expect(normaliseScopes(input)).toEqual(out)
  })
})

describe('scopeDecision', () => {
  const base = { method: 'POST', route: '/api/v1/sources' }
  it.each([
    // via, scopes, needed, outcome
    ['session', undefined, 'admin', 'ok'],
    ['session', undefined, undefined, 'ok'],
    ['api_key', ['read'], 'read', 'ok'],
    ['api_key', ['read'], 'write', 'insufficient_scope'],
    ['api_key', ['write'], 'admin', 'insufficient_scope'],
    ['api_key', ['admin'], 'admin', 'ok'],
    ['api_key', undefined, 'read', 'insufficient_scope'],
    ['api_key', ['admin'], undefined, 'scope_undeclared'],
  ] as const)('%s %j on a %s route → %s', (via, scopes, needed, outcome) => {
    const d = scopeDecision({ ...base, via, scopes, needed })
    expect(d.ok ? 'ok' : d.code).toBe(outcome)
  })

  it('names the missing scope, the method and the route', () => {
    const d = scopeDecision({ ...base, via: 'api_key', scopes: ['read'], needed: 'write' })
    expect(d).toEqual({
      ok: false,
      status: 403,
      code: 'insufficient_scope',
      message: 'this API key lacks the "write" scope required by POST /api/v1/sources',
      scope: 'write',
    })
  })
})

describe('expiry', () => {
  const now = new Date('2026-03-01T12:00:00Z')
  const at = (ms: number) => new Date(now.getTime() + ms)
  it.each([
    [null, false],
    [at(1), false],
    [at(0), true],
    [at(-1), true],
  ] as const)('keyExpired(%s) → %s', (expiresAt, expired) => {
    expect(keyExpired(expiresAt, now)).toBe(expired)
  })
  it.each([
    [null, null],
    [at(60_000), null],
    [at(MAX_KEY_LIFETIME_MS), null],
    [at(MAX_KEY_LIFETIME_MS + 1), 'must be at most one year from now'],
    [at(0), 'must be in the future'],
    [at(-86_400_000), 'must be in the future'],
    [new Date(Number.NaN), 'not a date'],
  ] as const)('expiryProblem(%s) → %s', (expiresAt, problem) => {
    expect(expiryProblem(expiresAt, now)).toBe(problem)
  })
})
