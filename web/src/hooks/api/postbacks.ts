/**
 * Conversion traffic hooks: the inbound postback log (`GET /api/v1/postback-logs`),
 * conversions (`GET /api/v1/conversions`, `GET …/:id` with its events), and outbound
 * postbacks to traffic sources (`GET /api/v1/outbound-postbacks`, `GET …/:id` with its
 * attempt log, `POST …/:id/retry`). Money in micros of `currency`.
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
  'rate_limited',
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
  /** Bumped by every accepted change (1 = created). */
  version: number
  campaign_id: string
  stream_id: string
  destination_id: string
  source_id: string
  country: string
  device: string
  os: string
  browser: string
  /** The traffic source's click ID captured at the click. */
  external_id: string
  /** The click's cost, micros. */
  cost_micros: number
  /** sub1..sub10: the click's values, else the postback's mapped ones ('' when none). */
  subs: Record<string, string>
  click_ts: string
  created_at: string
  updated_at: string
}

/** One accepted change of a conversion (creation or status change), oldest first. */
export interface ConversionEvent {
  /** The conversion's version after the change (1 = creation). */
  seq: number
  ts: string
  status: ConversionStatus
  /** '' for the creation. */
  previous_status: ConversionStatus | ''
  /** 1 for the creation, 0 for a status change. */
  conversions_delta: number
  /** Revenue added by the change (negative for a rejection), micros. */
  revenue_delta_micros: number
  /** Payout on record after the change, micros. */
  payout_micros: number
  currency: string
  /** When the change reached ClickHouse (the reports); null while it waits. */
  synced_at: string | null
}

/** `GET /conversions/:id`: the conversion and its history. */
export interface ConversionDetail extends Conversion {
  events: ConversionEvent[]
}

/** One delivery attempt of an outbound postback. */
export interface OutboundAttempt {
  /** 0 for the automatic round, n for the n-th manual retry. */
  round: number
  /** 1-based within its round. */
  attempt: number
  /** URL requested (last redirect hop), secret-looking values shown as `***`. */
  url: string
  status_code: number | null
  outcome: 'delivered' | 'retry' | 'failed' | 'dead'
  error: string
  latency_ms: number
  created_at: string
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

/** `GET /outbound-postbacks/:id`: the delivery and its attempts, oldest first. */
export interface OutboundDetail extends OutboundPostback {
  attempt_log: OutboundAttempt[]
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
  conversion_id?: string | undefined
}

/** Options of the list hooks. */
export interface ListOptions {
  /** Poll every N ms. */
  refetchInterval?: number
  /** Wait (e.g. for the parameters to be known); default true. */
  enabled?: boolean
}

export const postbackLogKeys = queryKeys('postback-logs')
export const conversionKeys = queryKeys('conversions')
export const outboundKeys = queryKeys('outbound-postbacks')

/** Inbound postback log, newest first. */
export function usePostbackLogs(params: PostbackLogParams, opts: ListOptions = {}) {
  return useQuery({
    queryKey: postbackLogKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<PostbackLog>>('/postback-logs', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/** Conversions, newest first. */
export function useConversions(params: ConversionParams, opts: ListOptions = {}) {
  return useQuery({
    queryKey: conversionKeys.list(params),
    queryFn: ({ signal }) => api.get<Paged<Conversion>>('/conversions', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/** One conversion with its events (404 for another workspace's). */
export function useConversion(id: string | undefined, opts: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: conversionKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<ConversionDetail>(`/conversions/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: Boolean(id),
    ...opts,
  })
}

/** Outbound postbacks, newest first. */
export function useOutboundPostbacks(params: OutboundParams, opts: ListOptions = {}) {
  return useQuery({
    queryKey: outboundKeys.list(params),
    queryFn: ({ signal }) =>
      api.get<Paged<OutboundPostback>>('/outbound-postbacks', { ...params }, { signal }),
    placeholderData: keepPreviousData,
    ...opts,
  })
}

/**
 * One outbound postback with its attempt log. Polls every 3 s while a delivery is pending
 * (an attempt may land any moment), otherwise not at all.
 */
export function useOutboundPostback(id: string | undefined) {
  return useQuery({
    queryKey: outboundKeys.detail(id ?? ''),
    queryFn: ({ signal }) =>
      api.get<OutboundDetail>(`/outbound-postbacks/${encodeURIComponent(id ?? '')}`, undefined, { signal }),
    enabled: Boolean(id),
    refetchInterval: (q) => (q.state.data?.state === 'pending' ? 3_000 : false),
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
