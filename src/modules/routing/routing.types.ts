/**
 * Types shared by the routing core (pure), the configuration store (rows in) and the
 * hot-path shell (context in, decision out).
 */
import type { Conditions, HealthCheck, Schedule, Strategy, Trafficback } from './routing.schema.ts'

/** Configuration rows as the store loads them for a snapshot (camelCase, JSON columns parsed). */
export interface ConfigRows {
  version: number
  campaigns: CampaignRow[]
  streams: StreamRow[]
  destinations: DestinationRow[]
  sources: SourceRow[]
  /** Landers (pre-landing pages); absent = none. */
  landers?: LanderRow[]
}

export interface SourceRow {
  id: string
  workspaceId: string
  name: string
  costModel: 'cpc' | 'cpm' | 'none'
  /** Cost per click (cpc) or per 1000 clicks (cpm) in micros. */
  defaultCostMicros: number
  currency: string
  externalIdParam: string
}

export interface CampaignRow {
  id: string
  workspaceId: string
  alias: string
  name: string
  sourceId: string | null
  status: 'active' | 'paused' | 'archived'
  timezone: string
  costMicros: number | null
  currency: string
  trafficback: Trafficback
  antiRepeat: { enabled: boolean; window_seconds: number }
}

export interface StreamRow {
  id: string
  workspaceId: string
  campaignId: string
  name: string
  kind: 'forced' | 'regular' | 'default'
  priority: number
  conditions: Conditions
  strategy: Strategy
  exploration: number
  active: boolean
  /** In configured order. */
  destinations: { destinationId: string; weight: number; active: boolean }[]
  /** The stream's lander list in configured order; absent or empty = visitors go straight to an offer. */
  landers?: { landerId: string; weight: number; active: boolean }[]
}

/** A lander: a pre-landing page the buyer hosts; its call to action links to `/lp/:alias/click`. */
export interface LanderRow {
  id: string
  workspaceId: string
  name: string
  /** http(s) URL template with the same safe macros as an offer's (`{click_id}`, `{sub1}`…). */
  url: string
  status: 'active' | 'paused' | 'archived'
}

export interface DestinationRow {
  id: string
  workspaceId: string
  name: string
  url: string
  networkId: string | null
  payoutCents: number
  currency: string
  status: 'active' | 'paused' | 'archived'
  schedule: Schedule | null
  dailyClickCap: number | null
  totalClickCap: number | null
  capTimezone: string
  healthCheck: HealthCheck | null
  /** Last known health state from the health checker. */
  health: 'unknown' | 'healthy' | 'unhealthy'
}

/** Everything the router knows about one incoming request (built by the shell). */
export interface RequestContext {
  /** Client IP after trusted-proxy resolution (IPv4 dotted or IPv6). */
  ip: string
  /** ISO 3166-1 alpha-2, upper case; "" when unknown. */
  country: string
  /** Primary language subtag from Accept-Language, lower case; "" when absent. */
  language: string
  device: 'desktop' | 'mobile' | 'tablet' | 'other'
  os: string
  /** OS version as ua-parser-js reports it ("17.0", "10"); "" when unknown. */
  osVersion: string
  browser: string
  userAgent: string
  referrer: string
  isBot: boolean
  /** Stable visitor key (user-agent hash + "." + IP) for uniqueness and anti-repeat. */
  userKey: string
  /** Raw query parameters (first value of each). */
  query: Record<string, string>
}

/** Mutable-by-shell state the router reads; the router itself never mutates it. */
export interface RouterState {
  /** Clicks delivered today (destination's cap timezone) per destination id. */
  dailyClicks(destinationId: string, now: Date): number
  /** Clicks delivered in total per destination id. */
  totalClicks(destinationId: string): number
  /** Epoch ms when this user key last got this destination (anti-repeat), or undefined. */
  lastSeenDestination(userKey: string, destinationId: string): number | undefined
  /** Epoch ms when this user key last clicked this campaign, or undefined (uniqueness). */
  lastSeenCampaign(userKey: string, campaignId: string): number | undefined
  /** Round-robin cursor per stream id. */
  roundRobinCursor(streamId: string): number
  /** Recent EPC per destination in micros per click, with the click count it is based on; undefined = no data. */
  epc(destinationId: string): { epcMicros: number; clicks: number } | undefined
  /** Uniform random in [0, 1); injected so strategies can be tested deterministically. */
  random(): number
}

/** Why a destination was dropped (trace). */
export type DropReason =
  | 'inactive_link'
  | 'status'
  | 'schedule'
  | 'daily_cap'
  | 'total_cap'
  | 'unhealthy'
  | 'anti_repeat'
  | 'missing'

export interface StreamTrace {
  streamId: string
  name: string
  kind: 'forced' | 'regular' | 'default'
  matched: boolean
  /** First failing condition, human readable (e.g. "country is [US] — got DE"). */
  failed?: string
  destinations?: { destinationId: string; name: string; kept: boolean; reason?: DropReason }[]
}

export interface RouteTrace {
  streams: StreamTrace[]
  /** The pick; `landerId` set (and `destinationId` "") when the visitor was sent to a lander first. */
  picked?: { streamId: string; destinationId: string; strategy: Strategy; url: string; landerId?: string }
  trafficback?: { reason: string; target: Trafficback }
}

/** Side effects the shell applies after a decision (the router stays pure). */
export interface RouteEffects {
  /** Count a click against this destination's caps. */
  countDestination?: string
  /** Remember user key → destination for anti-repeat. */
  rememberDestination?: { userKey: string; destinationId: string }
  /** Remember user key → campaign for uniqueness. */
  rememberCampaign: { userKey: string; campaignId: string }
  /** Advance this stream's round-robin cursor to this value. */
  roundRobin?: { streamId: string; cursor: number }
}

export type Decision =
  | {
      kind: 'redirect'
      campaignId: string
      streamId: string
      /** The offer; "" when the visitor goes to a lander first (`landerId`). */
      destinationId: string
      /**
       * Set when the stream has landers: the visitor goes to this lander (`url` is the lander's)
       * and the offer is chosen when the lander's call to action is clicked (`routeOffer`).
       */
      landerId?: string
      url: string
      /** Visitor not seen in this campaign within its anti-repeat/uniqueness window (default 24 h). */
      unique: boolean
      effects: RouteEffects
      trace: RouteTrace
    }
  | {
      /** No stream/destination available: follow the campaign's trafficback. */
      kind: 'trafficback'
      campaignId: string
      target: Trafficback
      reason: string
      unique: boolean
      effects: RouteEffects
      trace: RouteTrace
    }
