/**
 * Conversion traffic hooks: the inbound postback log (`GET /api/v1/postback-logs`),
 * conversions (`GET /api/v1/conversions`), and outbound postbacks to traffic sources
 * (`GET /api/v1/outbound-postbacks`, `POST …/:id/retry`). Money in micros of `currency`.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api'
import type { Paged } from '@/lib/api-types'
import { queryKeys } from '@/lib/query-keys'
import type { ConversionStatus } from './networks'

/** How the server answered a postback (src/modules/conversions/README.md "Outcomes"). */
export const POSTBACK_OUTCOMES = [
  'accepted',
  'duplicate',
  'unknown_click',
  'bad_secret',
  'ip_not_allowed',
  'unknown_network',
  'malformed',
  'bad_status',
  'error',
] as const
export type PostbackOutcome = (typeof POSTBACK_OUTCOMES)[number]

/** One inbound postback request as logged (secrets shown as `***`). */
export interface PostbackLog {
  id: string
  received_at: string
  network_id: string | null
  method: string
  query: string
  body: string
  ip: string
  outcome: PostbackOutcome
  http_status: number
  reason: string
  click_id: string
  transaction_id: string
  /** Mapped status, '' when not parsed. */
  status: string
  payout_micros: number | null
  conversion_id: string | null
}

/** A conversion (money in micros of `currency`). */
export interface Conversion {
  id: string
  network_id: string | null
  click_id: string
  transaction_id: string
  status: ConversionStatus
  seen_statuses: ConversionStatus[]
  payout_micros: number
  revenue_micros: number
  currency: string
  campaign_id: string
  destination_id: string
  source_id: string
  country: string
  device: string
  click_ts: string
  created_at: string
  updated_at: string
}

/** Outbound delivery states. */
export const OUTBOUND_STATES = ['pending', 'delivered', 'failed', 'dead'] as const
export type OutboundState = (typeof OUTBOUND_STATES)[number]

/** One outbound postback to a traffic source. */
export interface OutboundPostback {
  id: string
  conversion_id: string
  source_id: string | null
  /** Conversion status this postback reports. */
  status: string
  /** URL sent, secret-looking values shown as `***`. */
  url: string
  state: OutboundState
  /** Attempts in the current round. */
  attempts: number
  manual_retries: number
  next_attempt_at: string | null
  last_error: string
  last_status_code: number | null
  delivered_at: string | null
  created_at: string
  updated_at: string
}

interface Paging {
  limit?: number
  offset?: number
}
export interface PostbackLogParams extends Paging {
  outcome?: PostbackOutcome | undefined
  network_id?: string | undefined
  click_id?: string | undefined
}
export interface ConversionParams extends Paging {
  status?: ConversionStatus | undefined
  network_id?: string | undefined
  click_id?: string | undefined
}
export interface OutboundParams extends Paging {
  /** One state or a comma list (`failed,dead` = dead letters). */
  state?: string | undefined
  source_id?: string | undefined
}

export const postbackLogKeys = queryKeys('postback-logs')
export const conversionKeys = queryKeys('conversions')
export const outboundKeys = queryKeys('outbound-postbacks')

/** Inbound postback log, newest first. */
export function usePostbackLogs(params: PostbackLogParams, opts: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: postbackLogKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<PostbackLog>>('/postback-logs', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/** Conversions, newest first. */
export function useConversions(params: ConversionParams, opts: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: conversionKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Conversion>>('/conversions', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/** Outbound postbacks, newest first. */
export function useOutboundPostbacks(params: OutboundParams, opts: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: outboundKeys.list(params),
    queryFn: ({ signal }) =>
      api.get<Paged<OutboundPostback>>('/outbound-postbacks', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/** Starts a new delivery round of a failed/dead postback (202; 409 when delivered). */
export function useRetryOutbound() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) =>
      api.post<OutboundPostback>(`/outbound-postbacks/${encodeURIComponent(id)}/retry`),
    onSuccess: () => qc.invalidateQueries({ queryKey: outboundKeys.all }),
  })
}
