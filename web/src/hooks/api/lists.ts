/**
 * Hooks of the list pages (campaigns, offers, landers, sources, networks) over the routing API's list
 * endpoints (see src/modules/routing/API.md, "List pages"): filtered lists, per-row stats in
 * a date range, bulk actions and the campaign clone. Keys live under each resource's own
 * query keys, so a write that invalidates `campaignKeys.all` also refreshes its stats.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { type Campaign, campaignKeys } from './campaigns'
import { destinationKeys } from './destinations'
import { landerKeys } from './landers'
import { networkKeys } from './networks'
import { sourceKeys } from './sources'
import { streamKeys } from './streams'

/** The list pages (offers = the `/destinations` resource). */
export type ListKind = 'campaigns' | 'offers' | 'landers' | 'sources' | 'networks'

/** Fields every list row carries. */
export interface ListFields {
  id: string
  name: string
  status?: string
  tags?: string[]
  notes?: string
}

const PATH: Record<ListKind, string> = {
  campaigns: '/campaigns',
  offers: '/destinations',
  landers: '/landers',
  sources: '/sources',
  networks: '/networks',
}
const KEYS = {
  campaigns: campaignKeys,
  offers: destinationKeys,
  landers: landerKeys,
  sources: sourceKeys,
  networks: networkKeys,
}

/** Filters of a list: `status` one status or `all` (absent = everything not archived), `tag`, campaigns' `source_id` and `group` (`''` = ungrouped). */
export interface ListFilterParams extends ListParams {
  status?: string
  tag?: string
  source_id?: string
  group?: string
}

/** One page of a list with its filters. */
export function useEntityList<T extends ListFields>(kind: ListKind, params: ListFilterParams) {
  return useQuery({
    queryKey: KEYS[kind].list(params),
    queryFn: ({ signal }) => api.get<Paged<T>>(PATH[kind], { ...params }, { signal }),
    placeholderData: keepPreviousData,
  })
}

/** One row of `GET /{list}/stats`: money in currency units, `roi` / `cr` in percent. */
export interface RowStats {
  id: string
  clicks: number
  unique_clicks: number
  conversions: number
  revenue: number
  cost: number
  profit: number
  roi: number | null
  cr: number | null
  epc: number | null
  currency: string | null
  /** Landers only: clicks sent to the lander (= `clicks`). */
  lander_visits?: number
  /** Landers only: unique clicks on the lander's call to action. */
  lp_clicks?: number
  /** Landers only: lp_clicks / lander_visits × 100, percent; null without visits. */
  lp_ctr?: number | null
}

/** The figures of every row of a list in `from`–`to` (local dates, inclusive) in `tz`. */
export function useListStats(kind: ListKind, range: { from: string; to: string; tz: string }) {
  return useQuery({
    queryKey: [...KEYS[kind].all, 'stats', range] as const,
    queryFn: ({ signal }) => api.get<{ items: RowStats[] }>(`${PATH[kind]}/stats`, { ...range }, { signal }),
    placeholderData: keepPreviousData,
    select: (d) => new Map(d.items.map((r) => [r.id, r])),
  })
}

/** A bulk action's body (see API.md: which list takes which action and field). */
export interface BulkBody {
  ids: string[]
  action:
    | 'pause'
    | 'resume'
    | 'archive'
    | 'unarchive'
    | 'move_to_group'
    | 'set_source'
    | 'add_tags'
    | 'remove_tags'
  group_name?: string | null
  source_id?: string | null
  tags?: string[]
}

/** One action over many rows (all-or-nothing) → `{updated}`. */
export function useBulkAction(kind: ListKind) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: BulkBody) => api.post<{ updated: number }>(`${PATH[kind]}/bulk`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEYS[kind].all }),
  })
}

/** Clones a campaign with its streams (paused; "<name> (copy)" and a free alias unless given). */
export function useCloneCampaign() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; name?: string; alias?: string }) =>
      api.post<Campaign>(`/campaigns/${encodeURIComponent(id)}/clone`, body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: campaignKeys.all })
      void qc.invalidateQueries({ queryKey: streamKeys.all })
    },
  })
}
