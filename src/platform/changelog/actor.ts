/**
 * Who is making a change, for the change log: the request's credential (set by the API app
 * in a `preHandler` hook of every authenticated `/api/v1` route, src/platform/http/app.ts) or, outside a request, `system`
 * with the job's name. Carried by `AsyncLocalStorage`, so repositories record the actor
 * without every service threading it through its arguments.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** The author of a change as stored in `change_log` (`actor_*` columns). */
export interface ChangeActor {
  type: 'user' | 'api_key' | 'system'
  userId: string | null
  apiKeyId: string | null
  /** The email, `key <prefix> (<email>)`, or the job's name. */
  label: string
  ip: string | null
}

const storage = new AsyncLocalStorage<{ actor: ChangeActor }>()

/** Runs `fn` (and everything it awaits) as `actor`: the API app per request, jobs as `systemActor(name)`. */
export function withChangeActor<T>(actor: ChangeActor, fn: () => T): T {
  return storage.run({ actor }, fn)
}

/** A job or the platform itself. */
export function systemActor(name: string): ChangeActor {
  return { type: 'system', userId: null, apiKeyId: null, label: name, ip: null }
}

/** The current actor; `system` when no request or job set one. */
export function currentChangeActor(): ChangeActor {
  return storage.getStore()?.actor ?? systemActor('system')
}
