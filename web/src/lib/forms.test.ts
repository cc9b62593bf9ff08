import { describe, expect, it } from 'vitest'
import { toApiError } from './api'
import { splitApiErrors } from './forms'

describe('splitApiErrors', () => {
  it('puts field errors under the form fields and the rest at the root', () => {
    const e = toApiError(400, {
      error: {
        code: 'validation_failed',
        message: 'invalid body',
        details: [
          { path: 'password', message: 'must be at least 10 characters' },
          { path: 'password', message: 'second message' },
          { path: 'country', message: 'must be an ISO code' },
          { path: 'extra', message: 'unknown field' },
        ],
      },
    })
    expect(splitApiErrors(e, ['email', 'password', 'country'])).toEqual({
      fields: { password: 'Must be at least 10 characters', country: 'Must be an ISO code' },
      root: 'extra: unknown field',
    })
  })

  it('uses the message when there are no field errors', () => {
    const e = toApiError(409, { error: { code: 'conflict', message: 'email already registered' } })
    expect(splitApiErrors(e, ['email'])).toEqual({ fields: {}, root: 'email already registered' })
    expect(splitApiErrors(new Error('offline'), ['email']).root).toBe('offline')
  })
})
