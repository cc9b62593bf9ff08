/**
 * The click log: `GET /api/v1/clicks` (search, keyset pages), `GET /api/v1/clicks.csv`
 * (the same search as a CSV download link) and `GET /api/v1/clicks/:clickId` (one click,
 * its lander clicks and the route decision replayed). Money in micros of `currency`.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api, apiUrl, type QueryParams } from '@/lib/api'

/** One click of the log (ids with their names; a name is null when the object is gone). */
export interface ClickItem {
  click_id: string
  ts: string
  campaign_id: string
  campaign_name: string | null
  stream_id: string
  stream_name: string | null
  /** The offer; '' when the click went to a lander. */
  destination_id: string
  destination_name: string | null
  lander_id: string
  lander_name: string | null
  source_id: string
  source_name: string | null
  ip: string
  country: string
  language: string
  device: string
  os: string
  browser: string
  is_unique: boolean
  is_bot: boolean
  cost_micros: number
  currency: string
  external_id: string
  subs: Record<string, string>
  utm: Record<string, string>
  source: string
}

/** A page of the search. */
export interface ClickPage {
  range: { from: string; to: string; tz: string }
  items: ClickItem[]
  next_cursor: string | null
}

/** One stream of the route trace (as route preview shows it). */
export interface TraceStream {
  stream_id: string
  name: string
  kind: 'forced' | 'regular' | 'default'
  matched: boolean
  failed?: string
  destinations?: { destination_id: string; name: string; kept: boolean; reason?: string }[]
}

/** `GET /clicks/:clickId`. */
export interface ClickDetail {
  click: ClickItem & {
    user_agent: string
    referrer: string
    destination_url: string
    user_key: string
    columns: Record<string, string | number>
  }
  /** null: this version records no lander clicks. */
  lander_clicks:
    | {
        ts: string
        lander_id: string
        lander_name: string | null
        destination_id: string
        destination_name: string | null
        is_unique: boolean
        destination_url: string
      }[]
    | null
  route: {
    recorded: {
      stream_id: string
      stream_name: string | null
      destination_id: string
      destination_name: string | null
      lander_id: string
      lander_name: string | null
      url: string
    }
    replay: {
      time: string
      outcome: 'redirect' | 'trafficback'
      stream_id: string | null
      destination_id: string | null
      /** The lander the replay picks (streams with landers). */
      lander_id: string | null
      url: string | null
      trafficback: { reason: string; target: unknown } | null
      trace: { streams: TraceStream[] }
    } | null
    same: boolean | null
    differs: string | null
    notes: string[]
  }
}

/** The search's parameters (the API's names; absent = not filtered). */
export type ClickSearchParams = QueryParams

/** The search, one page after the other ("Load more"), 50 rows a page. */
export function useClickSearch(params: ClickSearchParams) {
  return useInfiniteQuery({
    queryKey: ['clicks', 'search', params],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api.get<ClickPage>('/clicks', { ...params, limit: 50, cursor: pageParam }, { signal }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })
}

/** Download link of the same search as CSV. */
export function clicksCsvUrl(params: ClickSearchParams): string {
  return apiUrl('/clicks.csv', params)
}

/** One click (404 for an unknown click or another workspace's). */
export function useClick(clickId: string | undefined) {
  return useQuery({
    queryKey: ['clicks', 'detail', clickId],
    queryFn: ({ signal }) =>
      api.get<ClickDetail>(`/clicks/${encodeURIComponent(clickId ?? '')}`, {}, { signal }),
    enabled: Boolean(clickId),
  })
}
