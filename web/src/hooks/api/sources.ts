/**
 * Traffic source hooks (`/api/v1/sources`): list (search, paging), detail, create, update,
 * delete. Shapes follow `trafficSourceInput` in src/modules/routing/routing.schema.ts.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import type { SourceParam } from './source-templates'

/** How a source charges: per click, per 1000 clicks, or not tracked. */
export type CostModel = 'cpc' | 'cpm' | 'none'

/** A traffic source as returned by the API (see src/modules/routing/API.md). */
export interface Source {
  id: string
  name: string
  cost_model?: CostModel
  /** Cost per click (cpc) or per 1000 clicks (cpm), in micros (millionths) of `currency`. */
  default_cost_micros?: number
  /** ISO 4217 code. */
  currency?: string
  /** The source's click-ID parameter copied to `{external_id}`. */
  external_id_param?: string
  /** Outbound postback URL template (`{external_id}`, `{payout}`, `{status}` …); null = none. */
  postback_url?: string | null
  /** The template it was made from: a catalogue key, a saved template's id, or 'custom'. */
  template?: string
  /** Tokens the source substitutes on the campaign link, each mapped to a sub ID, external_id or cost. */
  params?: SourceParam[]
  status?: 'active' | 'archived'
  /** Free labels for filtering the list. */
  tags?: string[]
  notes?: string
  created_at: string
  updated_at: string
}

/** Body of `POST /sources` (and, any subset, `PATCH /sources/:id`). */
export interface SourceInput {
  name: string
  cost_model: CostModel
  default_cost_micros: number
  currency: string
  external_id_param: string
  postback_url: string | null
  template?: string
  params?: SourceParam[]
  tags?: string[]
  notes?: string
}

export const sourceKeys = queryKeys('sources')

/** List parameters of `GET /sources`. */
export interface SourceListParams extends ListParams {
  /** One status or `all`; absent = every row that is not archived. */
  status?: string
}

/** One page of traffic sources (default 50; at most 500). */
export function useSources(params: SourceListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: sourceKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Source>>('/sources', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One traffic source. */
export function useSource(id: string | undefined) {
  return useQuery({
    queryKey: sourceKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Source>(`/sources/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: Boolean(id),
  })
}

/** Creates a source; the answer is the stored row. */
export function useCreateSource() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: SourceInput) => api.post<Source>('/sources', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: sourceKeys.all }),
  })
}

/** Updates a source (absent fields unchanged, `postback_url: null` clears it). */
export function useUpdateSource() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: Partial<SourceInput> & { id: string }) =>
      api.patch<Source>(`/sources/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: sourceKeys.all }),
  })
}

/** Deletes a source; campaigns that used it are detached (their `source_id` becomes null). */
export function useDeleteSource() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/sources/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: sourceKeys.all })
      void qc.invalidateQueries({ queryKey: ['campaigns'] })
    },
  })
}
