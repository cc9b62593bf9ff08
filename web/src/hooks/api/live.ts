/**
 * The live feed: `GET /api/v1/live` (Server-Sent Events) of the workspace's clicks,
 * trafficback requests and conversion changes (`useLiveFeed`, the dashboard), and the
 * visitor engine's `hit` and `visit_rate` events (`useVisitorLiveFeed`, the Visitors live
 * page; shapes: `LiveHit` / `LiveVisitRate` in src/modules/analytics/live.types.ts). Events are buffered and applied once per
 * animation frame, so a burst of clicks re-renders once.
 */
import { useQuery } from '@tanstack/react-query'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { LiveConversion } from '../../../../src/modules/conversions/conversions.core.ts'
import type {
  LiveClick,
  LiveHit,
  LiveTrafficback,
  LiveVisitRate,
} from '../../../../src/modules/analytics/live.types.ts'
import { api, apiUrl } from '@/lib/api'
import { mergeLiveItems } from '@/lib/live-merge'

// The event shapes are the server's own (import-free files the UI can read).
export type { LiveClick, LiveConversion, LiveHit, LiveTrafficback, LiveVisitRate }

export type LiveItem = LiveClick | LiveTrafficback | LiveConversion

/** SSE event names the feed listens to (each item's `type`). */
const ITEM_EVENTS = ['click', 'trafficback', 'conversion'] as const

/** A key unique per item in the feed (a conversion appears once per status it takes). */
export function liveKey(e: LiveItem): string {
  return e.type === 'conversion' ? `conversion:${e.conversion_id}:${e.status}` : `${e.type}:${e.click_id}`
}

/** `connecting` first; `live` while open; `reconnecting` after a drop (the browser retries); `closed` when refused (signed out). */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface LiveFeedOptions {
  /** Events kept, newest first; default 50. */
  max?: number
  enabled?: boolean
  /**
   * Minutes of recent events read from `GET /live/recent` when the feed opens, so a reload
   * does not empty it (shown below the stream's events, never passed to `onEvents`); 0 =
   * none. Default 10.
   */
  backfillMinutes?: number
  /** Called with each applied batch (oldest first). */
  onEvents?: (events: LiveItem[]) => void
}

/** What {@link useSseFeed} is told: which events, how many kept, and a batch callback. */
interface SseFeedOptions<T> {
  /** SSE event names whose JSON data become items. */
  names: readonly string[]
  max: number
  enabled: boolean
  /** Keeps an item in the list (all events still reach `onEvents`). */
  keep?: ((e: T) => boolean) | undefined
  onEvents?: ((events: T[]) => void) | undefined
}

/**
 * One EventSource on `/api/v1/live` listening to `names`: items newest first (at most
 * `max`), the connection status, the count of events the server dropped for this client.
 */
function useSseFeed<T>(opts: SseFeedOptions<T>) {
  const { max, enabled } = opts
  const namesKey = opts.names.join(',')
  const [events, setEvents] = useState<T[]>([])
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const [generation, setGeneration] = useState(0)
  const [missed, setMissed] = useState(0)
  const onEvents = useRef(opts.onEvents)
  onEvents.current = opts.onEvents
  const keep = useRef(opts.keep)
  keep.current = opts.keep

  useEffect(() => {
    if (!enabled || generation < 0) return
    setStatus('connecting')
    const es = new EventSource(apiUrl('/live'))
    let buffer: T[] = []
    let frame = 0
    const apply = () => {
      frame = 0
      const batch = buffer
      buffer = []
      const kept = keep.current ? batch.filter(keep.current) : batch
      if (kept.length > 0) setEvents((prev) => [...kept.slice().reverse(), ...prev].slice(0, max))
      onEvents.current?.(batch)
    }
    const onMessage = (e: MessageEvent<string>) => {
      try {
        buffer.push(JSON.parse(e.data) as T)
      } catch {
        return
      }
      if (frame === 0) frame = requestAnimationFrame(apply)
    }
    const onDropped = (e: MessageEvent<string>) => {
      try {
        const { count } = JSON.parse(e.data) as { count: number }
        setMissed((m) => m + count)
      } catch {
        // ignore a malformed notice
      }
    }
    for (const name of namesKey.split(',')) es.addEventListener(name, onMessage)
    es.addEventListener('dropped', onDropped)
    es.onopen = () => setStatus('live')
    es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting')
    return () => {
      if (frame !== 0) cancelAnimationFrame(frame)
      es.close()
    }
  }, [enabled, generation, max, namesKey])

  /** Opens a new connection (after `closed`). */
  const reconnect = useCallback(() => setGeneration((g) => g + 1), [])
  /** Empties the kept list (e.g. when the filter changes). */
  const clear = useCallback(() => setEvents([]), [])
  return { events, status, missed, reconnect, clear }
}

/**
 * Subscribes to the live feed while mounted, with the last `backfillMinutes` read once from
 * `GET /live/recent` when it opens (`backfilling` until that answer is in).
 */
export function useLiveFeed(opts: LiveFeedOptions = {}) {
  const max = opts.max ?? 50
  const enabled = opts.enabled ?? true
  const minutes = opts.backfillMinutes ?? 10
  const { events, status, missed, reconnect } = useSseFeed<LiveItem>({
    names: ITEM_EVENTS,
    max,
    enabled,
    onEvents: opts.onEvents,
  })
  const recent = useQuery({
    queryKey: ['live', 'recent', { minutes, limit: max }],
    queryFn: ({ signal }) =>
      api.get<{ items: LiveItem[] }>('/live/recent', { minutes, limit: max }, { signal }),
    enabled: enabled && minutes > 0,
    // Read once per page visit: the stream brings everything after it.
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
    refetchOnWindowFocus: false,
  })
  const backfill = recent.data?.items
  const merged = useMemo(() => mergeLiveItems(events, backfill ?? [], liveKey, max), [events, backfill, max])
  return {
    events: merged,
    status,
    missed,
    reconnect,
    backfilling: recent.isPending && minutes > 0 && enabled,
  }
}

/** A visitor-engine event of the live feed. */
export type VisitorLiveEvent = LiveHit | LiveVisitRate

/** SSE event names of the visitor engine. */
const VISITOR_EVENTS = ['hit', 'visit_rate'] as const

export interface VisitorLiveOptions {
  /** Hits kept, newest first; default 100. */
  max?: number
  enabled?: boolean
  /** Only this project's hits are kept (every event still reaches `onEvents`). */
  projectId?: string | undefined
  /** Called with each applied batch (oldest first): hits and rate samples. */
  onEvents?: (events: VisitorLiveEvent[]) => void
}

/**
 * Subscribes to the visitor engine's live events while mounted: `hits` (newest first, of
 * `projectId` when given) and every event through `onEvents` (the rate chart reads the
 * `visit_rate` samples there). Before the server sends these events the feed just stays empty.
 */
export function useVisitorLiveFeed(opts: VisitorLiveOptions = {}) {
  const projectId = opts.projectId
  const feed = useSseFeed<VisitorLiveEvent>({
    names: VISITOR_EVENTS,
    max: opts.max ?? 100,
    enabled: opts.enabled ?? true,
    keep: (e) => e.type === 'hit' && (!projectId || e.project_id === projectId),
    onEvents: opts.onEvents,
  })
  return { ...feed, hits: feed.events as LiveHit[] }
}
