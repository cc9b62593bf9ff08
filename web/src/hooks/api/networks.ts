/**
 * Affiliate network hooks (`/api/v1/networks`). Only the list is here so far; the affiliate network pages add
 * their detail, create, update and delete hooks to this file (one file per resource).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** An affiliate network as returned by the API (fields the UI reads so far; see src/modules/routing/API.md). */
export interface Network {
  id: string
  name: string
  created_at: string
  updated_at: string
}

export const networkKeys = queryKeys('networks')

/** List parameters of `GET /networks`. */
export interface NetworkListParams extends ListParams {}

/** One page of affiliate networks (default 50; at most 500). */
export function useNetworks(params: NetworkListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: networkKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Network>>('/networks', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}
