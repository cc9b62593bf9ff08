/**
 * Event shapes that flow from the redirect hot path through the click pipeline into
 * ClickHouse. Field names are the ClickHouse column names.
 */

/** The click's sub ID columns and the source's click ID: the values a buyer narrows clicks by. */
export const CLICK_SUB_KEYS = [
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'external_id',
] as const

/** A routed click (302 to a destination). `ts` is epoch milliseconds, UTC. */
export interface ClickEvent {
  type: 'click'
  click_id: string
  ts: number
  workspace_id: string
  campaign_id: string
  stream_id: string
  destination_id: string
  source_id: string
  /** 1 when the visitor's user key was not seen in this campaign within the window. */
  is_unique: 0 | 1
  is_bot: 0 | 1
  ip: string
  country: string
  language: string
  device: string
  os: string
  /** OS version from the user agent ("17.0"); "" when unknown. */
  os_version: string
  browser: string
  user_agent: string
  referrer: string
  user_key: string
  /** Cost of this click in micros of `currency` (from the `cost` parameter or the source/campaign model). */
  cost_micros: number
  currency: string
  external_id: string
  sub1: string
  sub2: string
  sub3: string
  sub4: string
  sub5: string
  sub6: string
  sub7: string
  sub8: string
  sub9: string
  sub10: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  utm_term: string
  utm_content: string
  /** The `source` query parameter. */
  source: string
  destination_url: string
  /**
   * The lander the visitor was sent to first ("" = straight to the offer). Then
   * `destination_id` is "" and `destination_url` the lander's URL: the offer is recorded by
   * the {@link LanderClickEvent} of the lander's call to action.
   */
  lander_id: string
}

/**
 * A click on a lander's call to action (`GET /lp/:alias/click`), sent on to an offer. One row
 * per CTA click; `is_unique` = 1 on the first CTA click of that visit (click ID), so a
 * visitor clicking twice counts once. `click_id` is the original click's (the visit to the
 * lander). Table `lander_clicks` (migration 007).
 */
export interface LanderClickEvent {
  type: 'lander_click'
  click_id: string
  ts: number
  workspace_id: string
  campaign_id: string
  stream_id: string
  /** "" when the lander is unknown (a CTA whose visit this process no longer knows, without cookie). */
  lander_id: string
  /** The offer the visitor was sent to. */
  destination_id: string
  source_id: string
  is_unique: 0 | 1
  country: string
  device: string
  destination_url: string
}

/** A request that fell through to trafficback (or 404 past the hop limit). */
export interface TrafficbackEvent {
  type: 'trafficback'
  click_id: string
  ts: number
  workspace_id: string
  campaign_id: string
  /** Why nothing was available, e.g. "no stream matched". */
  reason: string
  /** 'url' | 'campaign' | 'none' (404) | 'loop' (hop limit reached → 404) */
  target_type: string
  target: string
  hops: number
  is_bot: 0 | 1
  ip: string
  country: string
  device: string
  user_agent: string
  referrer: string
  source: string
}

/**
 * One settled visit of the visitor engine (table `visits`, migration 006). Times are epoch
 * ms, UTC; `ts` is the visit's scheduled start. Built from the engine's hit by
 * `visitEventOf` (visits.ts).
 */
export interface VisitEvent {
  type: 'visit'
  visit_id: string
  /** Scheduled start (the arrival time of the open model). */
  ts: number
  /** Actual launch. */
  started_at: number
  /** When the visit settled (answered and done, or failed). */
  settled_at: number
  workspace_id: string
  project_id: string
  run_id: string
  url: string
  /** ISO 3166-1 alpha-2 of the egress, '' when unknown / any. */
  country: string
  /** 'desktop' | 'mobile' */
  device: string
  /** 'http' | 'browser' */
  mode: string
  /** 1 when a status line arrived (the visit is charged). */
  answered: 0 | 1
  /** Final HTTP status; 0 when unanswered. */
  status: number
  /** ms from the scheduled start to the response headers; 0 when unanswered. */
  latency_ms: number
  /** Body bytes read (page + subresources). */
  bytes: number
  /** Error kind, '' when none. */
  error: string
  charged: 0 | 1
}

export type PipelineEvent = ClickEvent | TrafficbackEvent | VisitEvent | LanderClickEvent
