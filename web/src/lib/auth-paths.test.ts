import { describe, expect, it } from 'vitest'
import { isPublicPath, loginPathFor, redirectForAuthFailure, safeNext } from './auth-paths'

describe('auth redirects', () => {
  it('knows the public pages', () => {
    expect(isPublicPath('/login')).toBe(true)
    expect(isPublicPath('/reset-password')).toBe(true)
    expect(isPublicPath('/loginx')).toBe(false)
    expect(isPublicPath('/')).toBe(false)
    expect(isPublicPath('/unsubscribe/abc.def')).toBe(true)
    expect(isPublicPath('/outreach')).toBe(false)
  })

  it('leaves an outreach recipient on the unsubscribe page', () => {
    expect(redirectForAuthFailure('unauthorized', '/unsubscribe/abc.def')).toBeNull()
  })

  it('sends a 401 to the login page with the way back', () => {
    expect(redirectForAuthFailure('unauthorized', '/reports', '?by=country')).toBe(
      '/login?next=%2Freports%3Fby%3Dcountry',
    )
    expect(redirectForAuthFailure('unauthorized', '/')).toBe('/login')
    expect(redirectForAuthFailure('unauthorized', '/login')).toBeNull()
    expect(redirectForAuthFailure('unauthorized', '/signup')).toBeNull()
    expect(loginPathFor('/pending')).toBe('/login')
  })

  it('sends a pending account to the approval page once', () => {
    expect(redirectForAuthFailure('pending', '/reports')).toBe('/pending')
    expect(redirectForAuthFailure('pending', '/login')).toBe('/pending')
    expect(redirectForAuthFailure('pending', '/pending')).toBeNull()
  })

  it('only follows local `next` paths', () => {
    expect(safeNext('/reports?x=1')).toBe('/reports?x=1')
    expect(safeNext(null)).toBe('/')
    expect(safeNext('')).toBe('/')
    expect(safeNext('//evil.example/')).toBe('/')
    expect(safeNext('/\\evil.example')).toBe('/')
    expect(safeNext('https://evil.example/')).toBe('/')
    expect(safeNext('javascript:alert(1)')).toBe('/')
    expect(safeNext('/login?next=/x')).toBe('/')
  })
})
