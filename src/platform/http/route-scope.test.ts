import { describe, expect, it } from 'vitest'
import { routeScopeProblem } from './route-scope.ts'

describe('routeScopeProblem', () => {
  it.each([
    // method, url, scope, public, problem (substring) or null
    ['GET', '/api/v1/sources', 'read', false, null],
    ['HEAD', '/api/v1/sources', 'read', false, null],
    ['POST', '/api/v1/sources', 'write', false, null],
    ['GET', '/api/v1/api-keys', 'admin', false, null],
    ['DELETE', '/api/v1/api-keys/:id', 'admin', false, null],
    ['GET', '/api/v1/sources', undefined, false, 'declares no scope'],
    ['POST', '/api/v1/sources', 'read', false, 'not GET/HEAD'],
    ['PATCH', '/api/v1/sources/:id', 'read', false, 'not GET/HEAD'],
    ['GET', '/api/v1/sources', 'owner', false, 'unknown scope'],
    ['POST', '/api/v1/auth/login', undefined, true, null],
    ['GET', '/api/docs/json', undefined, false, null],
    ['GET', '/api/v1x', undefined, false, null],
    ['GET', '/api/v1', undefined, false, 'declares no scope'],
  ] as const)('%s %s scope=%s public=%s → %s', (method, url, scope, pub, problem) => {
    const got = routeScopeProblem({ method, url, scope, public: pub })
    if (problem === null) expect(got).toBeNull()
    else expect(got).toContain(problem)
  })
})
