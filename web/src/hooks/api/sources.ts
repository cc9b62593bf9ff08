/**
 * Traffic source hooks (`/api/v1/sources`). Only the list is here so far; the traffic source pages add
 * their detail, create, update and delete hooks to this file (one file per resource).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** A traffic source as returned by the API (fields the UI reads so far; see src/modules/routing/API.md). */
export interface Source {
  id: string
  name: string
  created_at: string
  updated_at: string
}

export const sourceKeys = queryKeys('sources')

/** List parameters of `GET /sources`. */
export interface SourceListParams extends ListParams {}

/** One page of traffic sources (default 50; at most 500). */
export function useSources(params: SourceListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: sourceKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Source>>('/sources', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}
