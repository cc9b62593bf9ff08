/**
 * Stream hooks (`/api/v1/streams`): list (by campaign), detail, create, update, delete.
 * Bodies follow `streamInput` of src/modules/routing/routing.schema.ts (snake_case).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** One rule of a condition group (`conditionSchema`); extra fields depend on `type`. */
export interface ConditionRule {
  type: string
  op: 'is' | 'is_not'
  values?: string[]
  /** `param` rules: the query parameter name (sub1, utm_source …). */
  name?: string
  schedule?: { days: number[]; from: string; to: string }
  window_seconds?: number
}

/** Groups of rules: rules joined by `group.join`, groups by `join`; no groups = match all. */
export interface Conditions {
  join: 'and' | 'or'
  groups: { join: 'and' | 'or'; rules: ConditionRule[] }[]
}

/** One destination of a stream, in configured order (weight 0–10000). */
export interface StreamDestination {
  destination_id: string
  weight: number
  active: boolean
}

/** One lander of a stream (weighted random among the active ones, weight 0–10000). */
export interface StreamLander {
  lander_id: string
  weight: number
  active: boolean
}

/** A stream as returned by the API (see src/modules/routing/API.md). */
export interface Stream {
  id: string
  name: string
  campaign_id: string
  kind: 'forced' | 'regular' | 'default'
  /** Lower runs first among regular streams. */
  priority: number
  conditions: Conditions
  strategy: 'waterfall' | 'round_robin' | 'weighted' | 'best_roi'
  /** Share of best-ROI picks spent exploring, 0–1. */
  exploration: number
  active: boolean
  destinations: StreamDestination[]
  /** Landers shown before the offer; empty = straight to an offer. */
  landers: StreamLander[]
  created_at: string
  updated_at: string
}

/** Writable fields of a stream. */
export type StreamBody = Omit<Stream, 'id' | 'created_at' | 'updated_at'>

export const streamKeys = queryKeys('streams')

/** List parameters of `GET /streams`. */
export interface StreamListParams extends ListParams {
  /** Streams of one campaign only. */
  campaign_id?: string
}

/** One page of streams (default 50; at most 500). */
export function useStreams(params: StreamListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: streamKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Stream>>('/streams', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One stream by id. */
export function useStream(id: string | undefined) {
  return useQuery({
    queryKey: streamKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Stream>(`/streams/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
  })
}

export function useCreateStream() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: StreamBody) => api.post<Stream>('/streams', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: streamKeys.all }),
  })
}

export function useUpdateStream(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Partial<StreamBody>) => api.patch<Stream>(`/streams/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: streamKeys.all }),
  })
}

export function useDeleteStream() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/streams/${encodeURIComponent(id)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: streamKeys.all }),
  })
}
