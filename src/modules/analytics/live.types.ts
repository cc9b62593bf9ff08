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
 * One settled visit of the visitor engine (`event: hit`), sent to the project's workspace
 * (and, with `workspace_id`, to admins' `GET /api/v1/admin/live-stream`).
 */
export interface LiveHit {
  type: 'hit'
  /** When the visit settled, ISO 8601 UTC. */
  ts: string
  project_id: string
  run_id: string
  url: string
  /** ISO 3166-1 alpha-2 of the egress; null when unknown (any country). */
  country: string | null
  /** 'desktop' | 'mobile' */
  device: string
  /** 'http' | 'browser' */
  mode: string
  /** Final HTTP status; null when the site never answered. */
  status: number | null
  /** ms from the scheduled start to the response headers; null when unanswered. */
  latency_ms: number | null
  /** Error kind (dns, connect, tls, timeout, reset, blocked, redirects, other); null when none. */
  error: string | null
  /** Present on the admin stream only. */
  workspace_id?: string
}

/**
 * Once per second per running project (`event: visit_rate`): the visits that settled in the
 * last second.
 */
export interface LiveVisitRate {
  type: 'visit_rate'
  /** End of the second, ISO 8601 UTC. */
  ts: string
  project_id: string
  /** Visits settled in the last second. */
  rate_per_s: number
  /** Of them, visits with an error (unanswered, or whose page failed later). */
  errors: number
  /** 95th percentile latency (ms, from the scheduled start) of the answered ones; null when none. */
  p95_ms: number | null
  /** The run's target arrival rate, visits per second. */
  target_per_s: number
  /** Present on the admin stream only. */
  workspace_id?: string
}
