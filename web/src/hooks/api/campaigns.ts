/**
 * Campaign hooks (`/api/v1/campaigns`). Only the list is here so far; the campaign pages add
 * their detail, create, update and delete hooks to this file (one file per resource).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** A campaign as returned by the API (fields the UI reads so far; see src/modules/routing/API.md). */
export interface Campaign {
  id: string
  name: string
  alias: string
  /** `${PUBLIC_URL}/c/${alias}`. */
  url?: string
  status?: string
  created_at: string
  updated_at: string
}

export const campaignKeys = queryKeys('campaigns')

/** List parameters of `GET /campaigns`. */
export interface CampaignListParams extends ListParams {}

/** One page of campaigns (default 50; at most 500). */
export function useCampaigns(params: CampaignListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: campaignKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Campaign>>('/campaigns', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}
