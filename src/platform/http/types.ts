/** Request-scoped auth context set by the API's auth hook on every `/api/v1/*` route but login. */
export interface AuthContext {
  userId: string
  /** Every query a route makes is scoped to this workspace. */
  workspaceId: string
  role: 'user' | 'admin'
  via: 'session' | 'api_key'
  /** The user's email (the change log's actor label). */
  email: string
  /** The API key's id and prefix when `via` is `api_key`. */
  apiKeyId?: string
  apiKeyPrefix?: string
  /**
   * The API key's scopes (`read` < `write` < `admin`, lowest first) when `via` is `api_key`;
   * absent for sessions, which are not scoped (their role rules apply).
   */
  scopes?: ('read' | 'write' | 'admin')[]
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext
  }
}
