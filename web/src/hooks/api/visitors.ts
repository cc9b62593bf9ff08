/**
 * Visitor projects hooks (`/api/v1/projects`, `/api/v1/visitors/egress`). Shapes:
 * `projectOut` / `verificationOut` of src/modules/visitors/visitors.projects.schema.ts (the
 * projects API), and `runStatsJson` of src/modules/visitors/visitors.run.routes.ts for
 * `GET /projects/:id/stats` (README "Results and live pulse"); a 404 from either resolves to
 * `null` and the pages show empty states. Times are ISO 8601 UTC; money in minor units.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import { billingKeys } from './billing'

export type ProjectStatus = 'active' | 'stopped' | 'completed' | 'paused'

/** `estimate` of a project (server's `estimateDaily` at its saved speed and daily limit). */
export interface ProjectEstimate {
  visits_per_minute: number
  visits_per_day: number
  credits_per_day: number
  /** CPM the credits are bought at, minor units per 1,000 visits. */
  rate_minor_per_1000: number
  cost_minor_per_day: number
}

/**
 * The engine fields of `settings` as the UI writes them (the server keeps the whole object
 * verbatim, unknown fields included). `urls[i]` is a string or `{url, weight}`.
 */
export interface ProjectSettings {
  urls: (string | { url: string; weight?: number })[]
  trafficSpeed?: number
  deviceSplit?: number
  geoTargets?: { cc: string; w: number }[]
  timeOnPage?: string
  referrer?: string
  mode?: 'http' | 'browser'
  [key: string]: unknown
}

export interface Project {
  id: string
  name: string
  status: ProjectStatus
  pause_reason: string | null
  plan_type: string
  daily_limit: number
  total_target: number
  expires_at: string | null
  timezone: string
  settings: ProjectSettings
  visits_done: number
  estimate: ProjectEstimate | null
  created_at: string
  updated_at: string
}

/** `POST /projects` body; `PATCH` takes any subset (settings replace the whole object). */
export interface ProjectBody {
  name: string
  plan_type?: string
  daily_limit?: number
  total_target?: number
  expires_at?: string | null
  timezone?: string
  settings: ProjectSettings
}

export type HostStatus = 'pending' | 'verified' | 'failed' | 'stale'

export interface HostVerification {
  host: string
  status: HostStatus
  method: 'http' | 'dns' | null
  token: string
  verified_at: string | null
  checked_at: string | null
  last_error: string | null
  instructions: {
    file: { url: string; content: string }
    dns: { name: string; type: 'TXT'; value: string } | null
  }
}

/** `GET /projects/:id/verification` */
export interface Verification {
  project_id: string
  verified: boolean
  stale_after_hours: number
  hosts: HostVerification[]
}

/** One run's figures (`engine.stats`), contract `RunStatsJson`. */
export interface RunStats {
  run_id: string
  started_at: string
  stopped_at: string | null
  stop_reason: string | null
  target_per_minute: number
  achieved_per_second: number
  started: number
  answered: number
  charged: number
  dropped: number
  errors: Record<string, number>
  statuses: Record<string, number>
  desktop: number
  mobile: number
  latency_ms: { p50: number; p95: number; p99: number; max: number }
}

/** `GET /projects/:id/stats` (contract); `credits` = the workspace's visit credits. */
export interface ProjectStats {
  running: boolean
  run: RunStats | null
  runs: RunStats[]
  credits?: { available: number; reserved: number }
}

export const projectKeys = queryKeys('visitor-projects')
const statsKey = (id: string) => ['visitor-projects', 'stats', id] as const
const verificationKey = (id: string) => ['visitor-projects', 'verification', id] as const
const egressKey = ['visitors', 'egress'] as const
const configKey = ['visitors', 'config'] as const

const enc = encodeURIComponent
const is404 = (e: unknown) => e instanceof ApiError && e.status === 404

/** `GET` that resolves to null on 404 (an endpoint not there yet). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p
  } catch (e) {
    if (is404(e)) return null
    throw e
  }
}

/** How often a running project's figures refresh, ms. */
export const LIVE_REFRESH_MS = 2_000

export function useProjects(params: ListParams = {}) {
  return useQuery({
    queryKey: projectKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Project>>('/projects', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    // The engine changes statuses and visits_done: refresh while something runs.
    refetchInterval: (q) => (q.state.data?.items.some((p) => p.status === 'active') ? 5_000 : false),
  })
}

/** One project; refreshed every {@link LIVE_REFRESH_MS} while it is active. */
export function useProject(id: string | undefined) {
  return useQuery({
    queryKey: projectKeys.detail(id ?? ''),
    queryFn: ({ signal }) => api.get<Project>(`/projects/${enc(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data?.status === 'active' ? LIVE_REFRESH_MS : false),
  })
}

function useInvalidateProjects() {
  const qc = useQueryClient()
  return () => qc.invalidateQueries({ queryKey: projectKeys.all })
}

export function useCreateProject() {
  const done = useInvalidateProjects()
  return useMutation({
    mutationFn: (body: ProjectBody) => api.post<Project>('/projects', body),
    onSuccess: done,
  })
}

export function useUpdateProject(id: string) {
  const done = useInvalidateProjects()
  return useMutation({
    mutationFn: (body: Partial<ProjectBody>) => api.patch<Project>(`/projects/${enc(id)}`, body),
    onSuccess: done,
  })
}

export function useDeleteProject() {
  const done = useInvalidateProjects()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/projects/${enc(id)}`),
    onSuccess: done,
  })
}

/** `POST /projects/:id/start|stop` → the project (409 `host_not_verified` on start). */
export function useRunAction(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (action: 'start' | 'stop') => api.post<Project>(`/projects/${enc(id)}/${action}`),
    onSuccess: (p) => {
      qc.setQueryData(projectKeys.detail(id), p)
      void qc.invalidateQueries({ queryKey: projectKeys.all })
      void qc.invalidateQueries({ queryKey: billingKeys.balance })
    },
  })
}

export function useVerification(id: string) {
  return useQuery({
    queryKey: verificationKey(id),
    queryFn: ({ signal }) =>
      api.get<Verification>(`/projects/${enc(id)}/verification`, undefined, { signal }),
  })
}

/** "Check now": `POST /projects/:id/verification/check` → the same view. */
export function useCheckVerification(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: () => api.post<Verification>(`/projects/${enc(id)}/verification/check`),
    onSuccess: (v) => qc.setQueryData(verificationKey(id), v),
  })
}

/**
 * `GET /projects/:id/stats`; `null` while the endpoint answers 404 (not merged yet).
 * Refreshed every {@link LIVE_REFRESH_MS} while `running`.
 */
export function useProjectStats(id: string, running: boolean) {
  return useQuery({
    queryKey: statsKey(id),
    queryFn: ({ signal }) =>
      orNull(api.get<ProjectStats>(`/projects/${enc(id)}/stats`, undefined, { signal })),
    refetchInterval: (q) => (running || q.state.data?.running ? LIVE_REFRESH_MS : false),
    retry: (n, e) => !is404(e) && n < 2,
  })
}

/**
 * Countries with egress (`GET /visitors/egress` → `{countries}`); `null` while the endpoint
 * answers 404 — the country picker then offers every ISO code and the server decides.
 */
export function useEgress() {
  return useQuery({
    queryKey: egressKey,
    queryFn: ({ signal }) =>
      orNull(api.get<{ countries: string[] }>('/visitors/egress', undefined, { signal })).then(
        (r) => r?.countries ?? null,
      ),
    staleTime: 5 * 60_000,
    retry: false,
  })
}

/** `GET /visitors/config`: the server's speed range (visits per minute at speed 0 and 100) and egress countries. */
export interface VisitorConfig {
  speed: { min_per_minute: number; max_per_minute: number }
  countries: string[]
}

/**
 * The server's visitor settings (`GET /visitors/config`), so the form's estimate uses the
 * configured speed range; `null` while the endpoint answers 404 (an older server: the form
 * then assumes the default range and the saved project shows the server's figure).
 */
export function useVisitorConfig() {
  return useQuery({
    queryKey: configKey,
    queryFn: ({ signal }) => orNull(api.get<VisitorConfig>('/visitors/config', undefined, { signal })),
    staleTime: 5 * 60_000,
    retry: false,
  })
}
