/**
 * The live feed: `GET /api/v1/live` (Server-Sent Events) of the workspace's clicks,
 * trafficback requests and conversion changes. Events are buffered and applied once per
 * animation frame, so a burst of clicks re-renders once.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { LiveConversion } from '../../../../src/modules/conversions/conversions.core.ts'
import type { LiveClick, LiveTrafficback } from '../../../../src/modules/analytics/live.types.ts'
import { apiUrl } from '@/lib/api'

// The event shapes are the server's own (import-free files the UI can read).
export type { LiveClick, LiveConversion, LiveTrafficback }

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
  /** Called with each applied batch (oldest first). */
  onEvents?: (events: LiveItem[]) => void
}

/** Subscribes to the live feed while mounted. */
export function useLiveFeed(opts: LiveFeedOptions = {}) {
  const max = opts.max ?? 50
  const enabled = opts.enabled ?? true
  const [events, setEvents] = useState<LiveItem[]>([])
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const [generation, setGeneration] = useState(0)
  const [missed, setMissed] = useState(0)
  const onEvents = useRef(opts.onEvents)
  onEvents.current = opts.onEvents

  useEffect(() => {
    if (!enabled || generation < 0) return
    setStatus('connecting')
    const es = new EventSource(apiUrl('/live'))
    let buffer: LiveItem[] = []
    let frame = 0
    const apply = () => {
      frame = 0
      const batch = buffer
      buffer = []
      setEvents((prev) => [...batch.slice().reverse(), ...prev].slice(0, max))
      onEvents.current?.(batch)
    }
    const onMessage = (e: MessageEvent<string>) => {
      try {
        buffer.push(JSON.parse(e.data) as LiveItem)
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
    for (const name of ITEM_EVENTS) es.addEventListener(name, onMessage)
    es.addEventListener('dropped', onDropped)
    es.onopen = () => setStatus('live')
    es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting')
    return () => {
      if (frame !== 0) cancelAnimationFrame(frame)
      es.close()
    }
  }, [enabled, generation, max])

  /** Opens a new connection (after `closed`). */
  const reconnect = useCallback(() => setGeneration((g) => g + 1), [])
  return { events, status, missed, reconnect }
}
