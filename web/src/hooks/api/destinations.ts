/**
 * Destination hooks (`/api/v1/destinations`): list, detail, create, update, delete.
 * Bodies follow `destinationInput` of src/modules/routing/routing.schema.ts (snake_case).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import { streamKeys } from './streams'

/** Weekly window: ISO weekdays (1 = Monday) between `from` and `to` ("HH:MM"). */
export interface Schedule {
  days: number[]
  from: string
  to: string
}

/** Health-check settings of a destination (durations in seconds / milliseconds as named). */
export interface HealthCheck {
  enabled: boolean
  url?: string
  method: 'GET' | 'HEAD'
  expected_statuses: number[]
  interval_seconds: number
  timeout_ms: number
  failure_threshold: number
}

/** A destination as returned by the API (see src/modules/routing/API.md). */
export interface Destination {
  id: string
  name: string
  /** http(s) URL template with macros ({click_id}, {sub1}, {country} …). */
  url: string
  network_id?: string | null
  /** Default payout in cents of `currency`. */
  payout_cents?: number
  currency?: string
  status?: 'active' | 'paused' | 'archived'
  schedule?: Schedule | null
  daily_click_cap?: number | null
  total_click_cap?: number | null
  cap_timezone?: string
  health_check?: HealthCheck | null
  health?: 'unknown' | 'healthy' | 'unhealthy'
  health_checked_at?: string | null
  /** Free labels for filtering the list. */
  tags?: string[]
  notes?: string
  created_at: string
  updated_at: string
}

/** Writable fields of a destination (`POST` body; `PATCH` takes any subset). */
export type DestinationBody = Omit<
  Destination,
  'id' | 'created_at' | 'updated_at' | 'health' | 'health_checked_at'
>

export const destinationKeys = queryKeys('destinations')

/** List parameters of `GET /destinations`. */
export interface DestinationListParams extends ListParams {
  /** One status or `all`; absent = every row that is not archived. */
  status?: string
}

/** One page of destinations (default 50; at most 500). */
export function useDestinations(params: DestinationListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: destinationKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Destination>>('/destinations', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One destination by id. */
export function useDestination(id: string | undefined) {
  return useQuery({
    queryKey: destinationKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Destination>(`/destinations/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
  })
}

export function useCreateDestination() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: DestinationBody) => api.post<Destination>('/destinations', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: destinationKeys.all }),
  })
}

export function useUpdateDestination(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Partial<DestinationBody>) =>
      api.patch<Destination>(`/destinations/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: destinationKeys.all }),
  })
}

/** Deleting a destination also removes it from stream lists, so streams are refreshed too. */
export function useDeleteDestination() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/destinations/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: destinationKeys.all })
      void qc.invalidateQueries({ queryKey: streamKeys.all })
    },
  })
}
