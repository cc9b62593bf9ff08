/** Destination health history (`GET /api/v1/health-events`) and manual checks. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import { queryKeys } from '@/lib/query-keys'

export type HealthState = 'unknown' | 'healthy' | 'unhealthy'

/** A change of a destination's health. */
export interface HealthEvent {
  id: string
  destination_id: string
  from_state: HealthState
  to_state: HealthState
  http_status: number | null
  error: string | null
  /** Probe latency, milliseconds. */
  latency_ms: number | null
  created_at: string
}

export interface HealthEventParams {
  destination_id?: string | undefined
  to_state?: 'healthy' | 'unhealthy' | undefined
  /** ISO instant: events at or after. */
  since?: string | undefined
  limit?: number
  /** Cursor: events older than this (the previous page's `next_before`). */
  before?: string | undefined
}

export const healthKeys = queryKeys('health-events')

/** Health events of the workspace, newest first (cursor paging through `next_before`). */
export function useHealthEvents(params: HealthEventParams) {
  return useQuery({
    queryKey: healthKeys.list(params),
    queryFn: ({ signal }) =>
      api.get<{ items: HealthEvent[]; next_before: string | null }>(
        '/health-events',
        { ...params },
        { signal },
      ),
    placeholderData: keepPreviousData,
  })
}

/** Probes a destination now and applies the outcome. */
export function useCheckDestination() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) =>
      api.post<{ ok: boolean; health: HealthState; http_status: number | null; error: string | null }>(
        `/destinations/${encodeURIComponent(id)}/health-check`,
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: healthKeys.all })
      void qc.invalidateQueries({ queryKey: ['destinations'] })
    },
  })
}
