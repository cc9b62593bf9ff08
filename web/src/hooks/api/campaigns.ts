/**
 * Campaign hooks (`/api/v1/campaigns`): list, detail, create, update, delete, and the route
 * preview (`POST /campaigns/:id/preview`). Bodies follow `campaignInput` of
 * src/modules/routing/routing.schema.ts (snake_case).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import { streamKeys } from './streams'

/** Where unrouted traffic goes. */
export type Trafficback =
  | { type: 'none' }
  | { type: 'url'; url: string }
  | { type: 'campaign'; campaign_id: string }

/** A campaign as returned by the API (see src/modules/routing/API.md). */
export interface Campaign {
  id: string
  name: string
  alias: string
  /** `${PUBLIC_URL}/c/${alias}`. */
  url?: string
  source_id?: string | null
  status?: 'active' | 'paused' | 'archived'
  /** IANA timezone of schedules. */
  timezone?: string
  /** Cost per click in micros of `currency`. */
  cost_micros?: number | null
  currency?: string
  trafficback?: Trafficback
  anti_repeat?: { enabled: boolean; window_seconds: number }
  /** Free labels (≤ 20, 1–40 chars each). */
  tags?: string[]
  /** The group (folder) it is listed under; null = ungrouped. */
  group_name?: string | null
  notes?: string
  created_at: string
  updated_at: string
}

/** Writable fields of a campaign. */
export type CampaignBody = Omit<Campaign, 'id' | 'url' | 'created_at' | 'updated_at'>

export const campaignKeys = queryKeys('campaigns')

/** List parameters of `GET /campaigns`. */
export interface CampaignListParams extends ListParams {
  /** One status or `all`; absent = every row that is not archived. */
  status?: string
}

/** One page of campaigns (default 50; at most 500). */
export function useCampaigns(params: CampaignListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: campaignKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Campaign>>('/campaigns', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One campaign by id. */
export function useCampaign(id: string | undefined) {
  return useQuery({
    queryKey: campaignKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Campaign>(`/campaigns/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
  })
}

export function useCreateCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: CampaignBody) => api.post<Campaign>('/campaigns', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: campaignKeys.all }),
  })
}

export function useUpdateCampaign(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: Partial<CampaignBody>) =>
      api.patch<Campaign>(`/campaigns/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: campaignKeys.all }),
  })
}

/** Deleting a campaign deletes its streams too. */
export function useDeleteCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/campaigns/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: campaignKeys.all })
      void qc.invalidateQueries({ queryKey: streamKeys.all })
    },
  })
}

/** `POST /campaigns/:id/preview` body: the described request. */
export interface PreviewBody {
  ip: string
  user_agent?: string
  /** Query parameters of the simulated campaign link. */
  query?: Record<string, string>
  referrer?: string
  accept_language?: string
  /** ISO 8601 instant; default now. */
  time?: string
}

/** The decision trace of a preview (nothing is recorded). */
export interface PreviewResult {
  campaign_id: string
  time: string
  context: {
    ip: string
    country: string | null
    language: string | null
    device: string | null
    os: string | null
    browser: string | null
    is_bot: boolean
  }
  outcome: string
  url: string | null
  stream_id: string | null
  destination_id: string | null
  trafficback: { reason: string; target: unknown } | null
  trace: {
    streams: {
      stream_id: string
      name: string
      kind: string
      matched: boolean
      failed?: string
      destinations?: { destination_id: string; name: string; kept: boolean; reason?: string }[]
    }[]
    picked: { stream_id: string; destination_id: string; strategy: string; url: string } | null
    trafficback: { reason: string; target: unknown } | null
  }
}

/** Runs the router for a described request (a mutation: it is a POST, on demand). */
export function usePreviewRoute(campaignId: string) {
  return useMutation({
    mutationFn: (body: PreviewBody) =>
      api.post<PreviewResult>(`/campaigns/${encodeURIComponent(campaignId)}/preview`, body),
  })
}
