/**
 * API-key scopes (issue 18), pure decisions. A key holds one or more of `read` < `write` <
 * `admin`; a higher scope includes the lower ones (a `write` key may call `read` routes, an
 * `admin` key everything). Every non-public `/api/v1` route declares the scope it needs
 * (`config.scope`, checked when the API app starts). Cookie sessions are not scoped: they keep
 * their role rules. The shell is `accounts.scopes.ts`.
 */

/** The scopes, lowest first. */
export const API_SCOPES = ['read', 'write', 'admin'] as const
/** One API-key scope. */
export type ApiScope = (typeof API_SCOPES)[number]

/** Scopes a key gets from `POST /api-keys` when none are asked for (least privilege). */
export const DEFAULT_KEY_SCOPES: readonly ApiScope[] = ['read']
/** The furthest `expires_at` a key may be given, from now: 366 days (a year, leap days included). */
export const MAX_KEY_LIFETIME_MS = 366 * 24 * 3_600_000

const RANK: Record<ApiScope, number> = { read: 0, write: 1, admin: 2 }

/** True when `s` names a scope. */
export function isApiScope(s: unknown): s is ApiScope {
  return typeof s === 'string' && Object.hasOwn(RANK, s)
}

/**
 * True when a key holding `held` may call a route needing `needed`: some held scope ranks at
 * least as high. Unknown strings in `held` grant nothing; an empty list grants nothing.
 */
export function scopesAllow(held: readonly string[], needed: ApiScope): boolean {
  return held.some((s) => isApiScope(s) && RANK[s] >= RANK[needed])
}

/** `held` without unknown or repeated scopes, lowest first (how keys are stored and shown). */
export function normaliseScopes(held: readonly string[]): ApiScope[] {
  return API_SCOPES.filter((s) => held.includes(s))
}

/** Outcome of {@link scopeDecision}. */
export type ScopeDecision =
  | { ok: true }
  | { ok: false; status: 403; code: 'insufficient_scope'; message: string; scope: ApiScope }
  | { ok: false; status: 500; code: 'scope_undeclared'; message: string }

/**
 * May this request go on, as far as scopes go?
 * Sessions always may (their role rules apply elsewhere). An API key may when its scopes
 * allow the route's `needed` scope. A route without a declared scope is refused to keys (the
 * API app refuses to start with one, so this is a second lock, never a normal answer).
 * @param req.route the route pattern (e.g. `/api/v1/networks/:id`), named in the message.
 */
export function scopeDecision(req: {
  via: 'session' | 'api_key'
  scopes: readonly string[] | undefined
  needed: ApiScope | undefined
  method: string
  route: string
}): ScopeDecision {
  if (req.via !== 'api_key') return { ok: true }
  if (req.needed === undefined)
    return {
      ok: false,
      status: 500,
      code: 'scope_undeclared',
      message: `route ${req.method} ${req.route} declares no scope`,
    }
  if (scopesAllow(req.scopes ?? [], req.needed)) return { ok: true }
  return {
    ok: false,
    status: 403,
    code: 'insufficient_scope',
    message: `this API key lacks the "${req.needed}" scope required by ${req.method} ${req.route}`,
    scope: req.needed,
  }
}

/** True when a key with this `expires_at` is expired at `now` (expired at the instant itself). */
export function keyExpired(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime()
}

/**
 * Why this `expires_at` cannot be given to a key at `now`, or null when it can: it must be in
 * the future and at most {@link MAX_KEY_LIFETIME_MS} away. Null (never expires) is fine.
 */
export function expiryProblem(expiresAt: Date | null, now: Date): string | null {
  if (expiresAt === null) return null
  const t = expiresAt.getTime()
  if (Number.isNaN(t)) return 'not a date'
  if (t <= now.getTime()) return 'must be in the future'
  if (t - now.getTime() > MAX_KEY_LIFETIME_MS) return 'must be at most one year from now'
  return null
}
