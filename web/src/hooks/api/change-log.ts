/**
 * The change log and security events (issue 18): `GET /api/v1/change-log` (who changed what,
 * newest first; filters object_type, object_id, actor, action, q, from, to), `GET
 * /change-log.csv` (the same filters as a download), `GET /security-events` and
 * `GET /security-events.csv` (owners and admins; 403 for members).
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api, apiUrl } from '@/lib/api'
import type { FieldChange } from '@/lib/change-log'

/** Who made a change: a signed-in user, an API key, or a job of the server. */
export interface ChangeActor {
  type: 'user' | 'api_key' | 'system'
  user_id: string | null
  api_key_id: string | null
  /** Readable after the user or key is gone: the email, `key <prefix> (email)`, the job's name. */
  label: string
}

export type ChangeAction = 'create' | 'update' | 'delete'

/** One create, update or delete of a configuration object. */
export interface ChangeLogEntry {
  id: string | number
  at: string
  actor: ChangeActor
  ip: string | null
  object_type: string
  object_id: string
  /** The name when the change was made (kept after a delete). */
  object_name: string | null
  action: ChangeAction
  /** Changed fields only (camelCase names of the stored row); secrets as "[redacted]". */
  changes: Record<string, FieldChange>
}

/** Filters of `GET /change-log` (and of its CSV). */
export interface ChangeLogFilter {
  object_type?: string
  object_id?: string
  /** Substring of the actor's label. */
  actor?: string
  action?: ChangeAction
  /** Substring of the object's name (or id). */
  q?: string
  /** ISO times; `to` exclusive. */
  from?: string
  to?: string
}

export interface ChangeLogPage {
  items: ChangeLogEntry[]
  total: number
}

/** A sign-in, 2FA change, key event … of the workspace's people. */
export interface SecurityEvent {
  id: string | number
  at: string
  kind: string
  user_id: string | null
  email: string | null
  ip: string | null
  user_agent: string | null
  detail: unknown
}

export interface SecurityEventFilter {
  kind?: string
  from?: string
  to?: string
}

export interface SecurityEventsPage {
  items: SecurityEvent[]
  total: number
}

const root = 'change-log' as const
export const changeLogKeys = {
  all: [root] as const,
  list: (filter: ChangeLogFilter & { limit: number; offset: number }) => [root, 'list', filter] as const,
  object: (type: string, id: string) => [root, 'object', type, id] as const,
  security: (filter: SecurityEventFilter & { limit: number; offset: number }) =>
    ['security-events', 'list', filter] as const,
}

/** Drops empty filter values so they neither reach the URL nor split the cache. */
function clean<T extends object>(filter: T): T {
  return Object.fromEntries(
    Object.entries(filter).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ) as T
}

/** One page of the workspace's change log (Logs → Changes). */
export function useChangeLog(filter: ChangeLogFilter, paging: { limit: number; offset: number }) {
  const params = { ...clean(filter), ...paging }
  return useQuery({
    queryKey: changeLogKeys.list(params),
    queryFn: ({ signal }) => api.get<ChangeLogPage>('/change-log', params, { signal }),
    placeholderData: keepPreviousData,
    staleTime: 0,
  })
}

/**
 * The history of one object, newest first, `pageSize` entries at a time ("Load more":
 * `fetchNextPage`). Always refetched when shown, so a save made a moment ago is there.
 */
export function useObjectHistory(objectType: string, objectId: string, pageSize = 20) {
  return useInfiniteQuery({
    queryKey: changeLogKeys.object(objectType, objectId),
    queryFn: ({ pageParam, signal }) =>
      api.get<ChangeLogPage>(
        '/change-log',
        { object_type: objectType, object_id: objectId, limit: pageSize, offset: pageParam },
        { signal },
      ),
    initialPageParam: 0,
    getNextPageParam: (last, pages) => {
      const loaded = pages.reduce((n, p) => n + p.items.length, 0)
      return last.items.length > 0 && loaded < last.total ? loaded : undefined
    },
    enabled: objectId !== '',
    staleTime: 0,
    refetchOnMount: 'always',
  })
}

/** Download link of the change log with `filter` (same origin, session cookie). */
export function changeLogCsvUrl(filter: ChangeLogFilter): string {
  return apiUrl('/change-log.csv', clean(filter) as Record<string, string>)
}

/** One page of the workspace's security events; 403 (`ApiError`) for members. */
export function useSecurityEvents(
  filter: SecurityEventFilter,
  paging: { limit: number; offset: number },
  opts: { enabled?: boolean } = {},
) {
  const params = { ...clean(filter), ...paging }
  return useQuery({
    queryKey: changeLogKeys.security(params),
    queryFn: ({ signal }) => api.get<SecurityEventsPage>('/security-events', params, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
    retry: false,
  })
}

/** Download link of the security events with `filter`. */
export function securityEventsCsvUrl(filter: SecurityEventFilter): string {
  return apiUrl('/security-events.csv', clean(filter) as Record<string, string>)
}
