/**
 * The live feed: `GET /api/v1/live` (Server-Sent Events) of the workspace's clicks,
 * trafficback requests and conversion changes. Events are buffered and applied once per
 * animation frame, so a burst of clicks re-renders once.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { apiUrl } from '@/lib/api'

/** A routed click (`event: click`). */
export interface LiveClick {
  type: 'click'
  click_id: string
  /** ISO UTC. */
  ts: string
  campaign_id: string
  stream_id: string
  destination_id: string
  source_id: string
  country: string
  device: string
  os: string
  browser: string
  is_bot: boolean
  is_unique: boolean
  /** Currency units. */
  cost: number
  currency: string
  sub1: string
}

/** A request that fell through to trafficback (`event: trafficback`). */
export interface LiveTrafficback {
  type: 'trafficback'
  click_id: string
  ts: string
  campaign_id: string
  reason: string
  target_type: string
  country: string
  device: string
  is_bot: boolean
}

/**
 * A conversion created or changed status (`event: conversion`, published by the conversions
 * module after the postback's commit). Money in micros of `currency`.
 */
export interface LiveConversion {
  type: 'conversion'
  conversion_id: string
  click_id: string
  campaign_id: string
  network_id: string
  status: 'lead' | 'sale' | 'rejected' | 'rebill'
  /** '' when the change created the conversion. */
  previous_status: string
  /** Payout on record after the change. */
  payout_micros: number
  /** Revenue the change added (negative for a rejection). */
  revenue_delta_micros: number
  currency: string
  ts: string
}

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
