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

/**
 * One settled visit of the visitor engine as sent to live clients (SSE event `hit`). Shape:
 * `/work/notes/visitors-api.md` ("Results/live helper").
 */
export interface LiveHit {
  type: 'hit'
  /** ISO 8601, UTC. */
  ts: string
  project_id: string
  run_id: string
  url: string
  /** ISO 3166-1 alpha-2 of the egress the visit left from; null when not geo-targeted. */
  country: string | null
  /** 'desktop' | 'mobile' */
  device: string
  mode: 'http' | 'browser'
  /** HTTP status of the page; null when the visit failed before any response. */
  status: number | null
  /** From the scheduled start to the response headers, ms; null without a response. */
  latency_ms: number | null
  /** Error kind (timeout, dns, reset, …) or null. */
  error: string | null
}

/** Once per second per running project (SSE event `visit_rate`). */
export interface LiveVisitRate {
  type: 'visit_rate'
  /** ISO 8601, UTC. */
  ts: string
  project_id: string
  /** Visits settled in the last second. */
  rate_per_s: number
  /** Failed visits in the last second. */
  errors: number
  /** p95 latency of the last second's visits, ms (null when none). */
  p95_ms: number | null
  /** The project's target arrival rate, visits per second. */
  target_per_s: number
}
