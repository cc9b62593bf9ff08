/**
 * Destination hooks (`/api/v1/destinations`). Only the list is here so far; the destination pages add
 * their detail, create, update and delete hooks to this file (one file per resource).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** A destination as returned by the API (fields the UI reads so far; see src/modules/routing/API.md). */
export interface Destination {
  id: string
  name: string
  url?: string
  status?: string
  health?: 'unknown' | 'healthy' | 'unhealthy'
  created_at: string
  updated_at: string
}

export const destinationKeys = queryKeys('destinations')

/** List parameters of `GET /destinations`. */
export interface DestinationListParams extends ListParams {}

/** One page of destinations (default 50; at most 500). */
export function useDestinations(params: DestinationListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: destinationKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Destination>>('/destinations', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}
