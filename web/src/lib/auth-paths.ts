/**
 * Where auth failures send the user. Pure functions of the error kind and the current
 * location, so the rules are unit-tested (`auth-paths.test.ts`).
 */

/**
 * Pages reachable without a session (`/unsubscribe/:token` is for outreach email recipients,
 * who have no account).
 */
export const PUBLIC_PATHS = [
  '/login',
  '/signup',
  '/pending',
  '/forgot-password',
  '/reset-password',
  '/unsubscribe',
] as const

/** True for the sign-in, sign-up, approval-pending, password and unsubscribe pages. */
export function isPublicPath(pathname: string): boolean {
  return PUBLIC_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`))
}

/** The Security page (two-factor authentication), where a workspace requiring 2FA sends members without it. */
export const SECURITY_PATH = '/settings/security'

/**
 * A `next` parameter that is safe to navigate to after login: a local path (`/reports?x=1`),
 * never another origin (`//evil.example`, `https://…`, `/\evil`) and never a public page.
 * @returns the path, or `/` when `next` is missing or unsafe.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/'
  const pathname = next.split(/[?#]/, 1)[0] ?? '/'
  return isPublicPath(pathname) ? '/' : next
}

/**
 * The login page URL that brings the user back to `pathname + search` afterwards
 * (`/login` alone for the dashboard).
 */
export function loginPathFor(pathname: string, search = ''): string {
  if (isPublicPath(pathname)) return '/login'
  const next = `${pathname}${search}`
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`
}

/**
 * Where to go after an auth failure seen at `pathname`: the login page for `401`, the
 * approval-pending page for `pending`, or null to stay (already on a public page).
 */
export function redirectForAuthFailure(
  kind: 'unauthorized' | 'pending',
  pathname: string,
  search = '',
): string | null {
  if (kind === 'pending') return pathname === '/pending' ? null : '/pending'
  if (isPublicPath(pathname)) return null
  return loginPathFor(pathname, search)
}
