/**
 * Stream hooks (`/api/v1/streams`). Only the list is here so far; the stream pages add
 * their detail, create, update and delete hooks to this file (one file per resource).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** A stream as returned by the API (fields the UI reads so far; see src/modules/routing/API.md). */
export interface Stream {
  id: string
  name: string
  campaign_id: string
  created_at: string
  updated_at: string
}

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
