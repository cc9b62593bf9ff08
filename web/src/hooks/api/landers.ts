/**
 * Lander hooks (`/api/v1/landers`): list, detail, create, update, delete.
 * Bodies follow `landerInput` of src/modules/routing/routing.schema.ts (snake_case).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import { streamKeys } from './streams'

/** A lander as returned by the API (see src/modules/routing/API.md, "Landers"). */
export interface Lander {
  id: string
  name: string
  /** http(s) URL template with macros ({click_id}, {sub1} …). */
  url: string
  status: 'active' | 'paused' | 'archived'
  tags: string[]
  notes: string
  created_at: string
  updated_at: string
}

/** Writable fields of a lander (`POST` body; `PATCH` takes any subset). */
export type LanderBody = Omit<Lander, 'id' | 'created_at' | 'updated_at'>

export const landerKeys = queryKeys('landers')

/** List parameters of `GET /landers`: `status` one status or `all` (absent = every row not archived). */
export interface LanderListParams extends ListParams {
  status?: string
}

/** One page of landers (default 50; at most 500). */
export function useLanders(params: LanderListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: landerKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Lander>>('/landers', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One lander by id. */
export function useLander(id: string | undefined) {
  return useQuery({
    queryKey: landerKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Lander>(`/landers/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: !!id,
  })
}

export function useCreateLander() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: LanderBody) => api.post<Lander>('/landers', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: landerKeys.all }),
  })
}

/** Partial update of lander `id` (omit `id` to pass it per call, e.g. from a list row). */
export function useUpdateLander(id?: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id: rowId, ...body }: Partial<LanderBody> & { id?: string }) =>
      api.patch<Lander>(`/landers/${encodeURIComponent(rowId ?? id ?? '')}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: landerKeys.all }),
  })
}

/** Deleting a lander also removes it from stream lists, so streams are refreshed too. */
export function useDeleteLander() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/landers/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: landerKeys.all })
      void qc.invalidateQueries({ queryKey: streamKeys.all })
    },
  })
}
