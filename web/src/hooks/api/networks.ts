/**
 * Affiliate network hooks: `/api/v1/networks` (list, detail, create, update, delete) and the
 * network's postback settings sub-resource `/api/v1/networks/:id/postback-settings`
 * (template, parameter names, status map, default status, ready-to-paste postback URL).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, apiFetch } from '@/lib/api'
import type { ListParams, Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'

/** Postback template presets (src/modules/conversions/README.md). */
export const POSTBACK_TEMPLATES = [
  'subid_tid_payout_status',
  'cid_txid_payout',
  'cnv_id_payout_cnv_status',
  'custom',
] as const
export type PostbackTemplate = (typeof POSTBACK_TEMPLATES)[number]

/** Conversion statuses. */
export const CONVERSION_STATUSES = ['lead', 'sale', 'rejected', 'rebill'] as const
export type ConversionStatus = (typeof CONVERSION_STATUSES)[number]

/** An affiliate network as returned by the API (`postback_secret` is write-only). */
export interface Network {
  id: string
  name: string
  postback_template?: PostbackTemplate
  has_postback_secret?: boolean
  /** IPs and CIDRs allowed to send postbacks; empty = anyone. */
  ip_allowlist?: string[]
  status?: 'active' | 'archived'
  /** Free labels for filtering the list. */
  tags?: string[]
  notes?: string
  created_at: string
  updated_at: string
}

/** Body of `POST /networks` (any subset for `PATCH`; `postback_secret: null` removes it). */
export interface NetworkInput {
  name: string
  postback_template?: PostbackTemplate
  postback_secret?: string | null
  ip_allowlist?: string[]
  tags?: string[]
  notes?: string
}

/** Parameter names of a network's postback (each overrides the preset's). */
export interface PostbackParams {
  click_id?: string
  transaction_id?: string
  payout?: string
  status?: string
  currency?: string
  subs?: Partial<Record<string, string>>
}

/** `GET|PUT /networks/:id/postback-settings`. */
export interface PostbackSettings {
  network_id: string
  template: PostbackTemplate
  params: PostbackParams
  /** Network status value → ours (keys case-insensitive). */
  status_map: Record<string, ConversionStatus>
  default_status: ConversionStatus
  has_postback_secret: boolean
  ip_allowlist: string[]
  /** Parameter names in effect (preset + overrides). */
  effective_params: Record<string, string>
  /** Ready-to-paste postback URL with `{…}` placeholders for the network's macros. */
  postback_url: string
}

/** Body of `PUT /networks/:id/postback-settings` (absent = unchanged; params/status_map replace). */
export interface PostbackSettingsInput {
  template?: PostbackTemplate
  params?: PostbackParams
  status_map?: Record<string, ConversionStatus>
  default_status?: ConversionStatus
}

export const networkKeys = queryKeys('networks')

/** List parameters of `GET /networks`. */
export interface NetworkListParams extends ListParams {
  /** One status or `all`; absent = every row that is not archived. */
  status?: string
}

/** One page of affiliate networks (default 50; at most 500). */
export function useNetworks(params: NetworkListParams = {}, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: networkKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Network>>('/networks', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  })
}

/** One network. */
export function useNetwork(id: string | undefined) {
  return useQuery({
    queryKey: networkKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<Network>(`/networks/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: Boolean(id),
  })
}

export function useCreateNetwork() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: NetworkInput) => api.post<Network>('/networks', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: networkKeys.all }),
  })
}

export function useUpdateNetwork() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, ...body }: Partial<NetworkInput> & { id: string }) =>
      api.patch<Network>(`/networks/${encodeURIComponent(id)}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: networkKeys.all }),
  })
}

/** Deletes a network; destinations that used it are detached. */
export function useDeleteNetwork() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/networks/${encodeURIComponent(id)}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: networkKeys.all })
      void qc.invalidateQueries({ queryKey: ['destinations'] })
    },
  })
}

/** The network's postback settings and postback URL (kept under the network's detail key). */
export function usePostbackSettings(id: string | undefined) {
  return useQuery({
    queryKey: [...networkKeys.detail(id ?? ''), 'postback-settings'],
    queryFn: ({ signal }) =>
      api.get<PostbackSettings>(`/networks/${encodeURIComponent(id ?? '')}/postback-settings`, undefined, {
        signal,
      }),
    enabled: Boolean(id),
  })
}

/** Answer of `GET /networks/:id/postback-secret` (workspace owners and admins; 403 for members). */
export interface PostbackSecret {
  network_id: string
  /** The network's postback secret; null when it has none. */
  secret: string | null
  /** The saved postback URL with the real secret in place of `{secret}`. */
  postback_url: string
}

/**
 * The network's postback secret, for the copy button of the postback URL. Only asked when
 * the network has a secret (`enabled`); a member's 403 is the query's error.
 */
export function usePostbackSecret(id: string | undefined, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: [...networkKeys.detail(id ?? ''), 'postback-secret'],
    queryFn: ({ signal }) =>
      api.get<PostbackSecret>(`/networks/${encodeURIComponent(id ?? '')}/postback-secret`, undefined, {
        signal,
      }),
    enabled: Boolean(id) && (opts.enabled ?? true),
    staleTime: 0,
  })
}

export function useUpdatePostbackSettings(id: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: PostbackSettingsInput) =>
      apiFetch<PostbackSettings>(`/networks/${encodeURIComponent(id)}/postback-settings`, {
        method: 'PUT',
        body,
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: networkKeys.all }),
  })
}
