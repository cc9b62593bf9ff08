/**
 * The shapes of the live feed's events (`GET /api/v1/live`), without imports so the admin
 * UI (`web/src/hooks/api/live.ts`) reads the same types the server sends.
 */

/** A routed click as sent to live clients (no IP, user agent or user key). */
export interface LiveClick {
  type: 'click'
  click_id: string
  /** ISO 8601, UTC. */
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
  /** Cost of the click in currency units. */
  cost: number
  currency: string
  sub1: string
}

/** A request that fell through to trafficback (or a 404), as sent to live clients. */
export interface LiveTrafficback {
  type: 'trafficback'
  click_id: string
  ts: string
  campaign_id: string
  reason: string
  /** 'url' | 'campaign' | 'none' | 'loop' */
  target_type: string
  country: string
  device: string
  is_bot: boolean
}
