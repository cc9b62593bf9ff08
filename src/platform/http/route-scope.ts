/**
 * The start-up check that every non-public `/api/v1` route declares the API-key scope it
 * needs (issue 18): the API app's `onRoute` hook throws on the first route that does not, so
 * a new route cannot forget it. Enforcement per request is the accounts guard's.
 */

/** Methods a `read` route may have: a read-only key must never change anything. */
const READ_METHODS = new Set(['GET', 'HEAD'])
const SCOPES = new Set(['read', 'write', 'admin'])

/**
 * The problem with a route's declared scope, or null when it is fine (or the route is
 * public or outside `/api/v1`).
 * @param route.url the full path pattern, e.g. `/api/v1/networks/:id`.
 */
export function routeScopeProblem(route: {
  method: string
  url: string
  scope: unknown
  public: boolean
}): string | null {
  if (route.public || !(route.url === '/api/v1' || route.url.startsWith('/api/v1/'))) return null
  if (route.scope === undefined) return 'declares no scope (config: { scope: "read" | "write" | "admin" })'
  if (typeof route.scope !== 'string' || !SCOPES.has(route.scope))
    return `declares an unknown scope ${JSON.stringify(route.scope)}`
  if (route.scope === 'read' && !READ_METHODS.has(route.method))
    return 'declares scope "read" but is not GET/HEAD (use "write" or "admin")'
  return null
}
