import { describe, expect, it } from 'vitest'
import {
  ApiError,
  apiUrl,
  errorMessage,
  isPendingApproval,
  isUnauthorized,
  parseFieldErrors,
  toApiError,
} from './api'

describe('toApiError', () => {
  it('reads the API error body with field errors', () => {
    const e = toApiError(400, {
      error: {
        code: 'validation_failed',
        message: 'invalid body: name: too short',
        details: [
          { path: 'name', message: 'too short' },
          { path: 'destinations.0.weight', message: 'must be ≥ 0' },
        ],
      },
    })
    expect(e).toBeInstanceOf(ApiError)
    expect(e).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'invalid body: name: too short',
    })
    expect(e.fieldErrors).toEqual([
      { path: 'name', message: 'too short' },
      { path: 'destinations.0.weight', message: 'must be ≥ 0' },
    ])
    expect(e.fieldError('destinations.0.weight')).toBe('must be ≥ 0')
    expect(e.fieldError('nope')).toBeUndefined()
  })

  it('keeps non-list details but gives no field errors', () => {
    const e = toApiError(409, {
      error: { code: 'conflict', message: 'alias taken', details: { campaigns: ['a'] } },
    })
    expect(e.details).toEqual({ campaigns: ['a'] })
    expect(e.fieldErrors).toEqual([])
  })

  it('skips malformed detail entries', () => {
    expect(parseFieldErrors([{ path: 'a', message: 'x' }, { path: 1 }, 'text', null])).toEqual([
      { path: 'a', message: 'x' },
    ])
  })

  it('gives a readable error for bodies without the API shape', () => {
    expect(toApiError(502, '<html>Bad gateway</html>')).toMatchObject({ code: 'internal', status: 502 })
    expect(toApiError(401, null)).toMatchObject({ code: 'unauthorized', message: 'Please sign in.' })
    expect(toApiError(418, null, "I'm a teapot")).toMatchObject({ code: 'http_418', message: "I'm a teapot" })
    expect(toApiError(400, { error: { code: 'bad' } }).message).toBe('bad')
  })
})

describe('auth failures', () => {
  it('tells 401 and pending approval apart', () => {
    const pending = toApiError(403, {
      error: { code: 'pending_approval', message: 'account pending approval' },
    })
    const older = toApiError(403, { error: { code: 'forbidden', message: 'account pending approval' } })
    const csrf = toApiError(403, { error: { code: 'csrf_failed', message: 'needs header' } })
    expect(isPendingApproval(pending)).toBe(true)
    expect(isPendingApproval(older)).toBe(true)
    expect(isPendingApproval(csrf)).toBe(false)
    expect(isUnauthorized(toApiError(401, null))).toBe(true)
    expect(isUnauthorized(pending)).toBe(false)
    expect(isPendingApproval(new Error('pending approval'))).toBe(false)
  })
})

describe('apiUrl', () => {
  it('repeats array parameters, keeps empty strings, drops undefined and null', () => {
    expect(
      apiUrl('/reports/breakdown', {
        by: 'campaign,country',
        country: ['DE', 'AT'],
        sub1: '',
        x: undefined,
        y: null,
      }),
    ).toBe('/api/v1/reports/breakdown?by=campaign%2Ccountry&country=DE&country=AT&sub1=')
    expect(apiUrl('/auth/me')).toBe('/api/v1/auth/me')
  })
})

describe('errorMessage', () => {
  it('prefers the API message', () => {
    expect(
      errorMessage(toApiError(404, { error: { code: 'not_found', message: 'campaign not found' } })),
    ).toBe('campaign not found')
    expect(errorMessage('weird')).toBe('Something went wrong.')
  })
})
