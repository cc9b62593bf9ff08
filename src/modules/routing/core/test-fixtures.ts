/**
 * Builders for routing-core tests: config rows with sensible defaults, request contexts,
 * an in-memory RouterState and a seeded PRNG. Test-only (imported by *.test.ts files).
 */
import type { Condition, Conditions } from '../routing.schema.ts'
import type {
  CampaignRow,
  ConfigRows,
  DestinationRow,
  LanderRow,
  RequestContext,
  RouterState,
  SourceRow,
  StreamRow,
} from '../routing.types.ts'
import { RequestEnv } from './env.ts'

/** Workspace of every fixture row. */
export const WS = '00000000-0000-4000-8000-00000000aaaa'

/** Deterministic UUID from a number. */
export function uid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
}

/** mulberry32: tiny seeded PRNG returning uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Campaign row `camp` (id uid(1)), active, UTC, URL trafficback; override any field. */
export function campaignRow(over: Partial<CampaignRow> = {}): CampaignRow {
  return {
    id: uid(1),
    workspaceId: WS,
    alias: 'camp',
    name: 'Campaign',
    sourceId: null,
    status: 'active',
    timezone: 'UTC',
    costMicros: null,
    currency: 'USD',
    trafficback: { type: 'url', url: 'https://tb.example/' },
    antiRepeat: { enabled: false, window_seconds: 86400 },
    ...over,
  }
}

/** Destination row n (id uid(1000 + n), name Dn, https://dn.example URL); override any field. */
export function destinationRow(n: number, over: Partial<DestinationRow> = {}): DestinationRow {
  return {
    id: uid(1000 + n),
    workspaceId: WS,
    name: `D${n}`,
    url: `https://d${n}.example/offer?c={click_id}&s1={sub1}`,
    networkId: null,
    payoutCents: 0,
    currency: 'USD',
    status: 'active',
    schedule: null,
    dailyClickCap: null,
    totalClickCap: null,
    capTimezone: 'UTC',
    healthCheck: null,
    health: 'unknown',
    ...over,
  }
}

/** Stream row n (id uid(100 + n), name Sn) of campaign uid(1); `destinations` as fixture numbers or links. */
export function streamRow(
  n: number,
  over: Partial<Omit<StreamRow, 'destinations'>> & {
    destinations?: number[] | StreamRow['destinations']
  } = {},
): StreamRow {
  const { destinations, ...rest } = over
  const links = (destinations ?? [1]).map((d) =>
    typeof d === 'number' ? { destinationId: uid(1000 + d), weight: 100, active: true } : d,
  )
  return {
    id: uid(100 + n),
    workspaceId: WS,
    campaignId: uid(1),
    name: `S${n}`,
    kind: 'regular',
    priority: 100,
    conditions: { join: 'and', groups: [] },
    strategy: 'waterfall',
    exploration: 0.1,
    active: true,
    ...rest,
    destinations: links,
  }
}

/** Lander n (id uid(2000 + n), name Ln, https://ln.example URL with {click_id}); override any field. */
export function landerRow(n: number, over: Partial<LanderRow> = {}): LanderRow {
  return {
    id: uid(2000 + n),
    workspaceId: WS,
    name: `L${n}`,
    url: `https://l${n}.example/lp?cid={click_id}&s1={sub1}`,
    status: 'active',
    ...over,
  }
}

/** Traffic source uid(9) whose click-ID parameter is `clickid`. */
export function sourceRow(over: Partial<SourceRow> = {}): SourceRow {
  return {
    id: uid(9),
    workspaceId: WS,
    name: 'Source',
    costModel: 'cpc',
    defaultCostMicros: 0,
    currency: 'USD',
    externalIdParam: 'clickid',
    ...over,
  }
}

/** Config rows: campaign `camp`, stream S1 → D1, destinations D1–D3. */
export function rows(over: Partial<ConfigRows> = {}): ConfigRows {
  return {
    version: 1,
    campaigns: [campaignRow()],
    streams: [streamRow(1)],
    destinations: [destinationRow(1), destinationRow(2), destinationRow(3)],
    sources: [],
    ...over,
  }
}

/** A single-rule condition tree. */
export function only(rule: Condition): Conditions {
  return { join: 'and', groups: [{ join: 'and', rules: [rule] }] }
}

/** A US iPhone visitor (userKey "visitor-1"); override any field. */
export function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return {
    ip: '203.0.113.7',
    country: 'US',
    language: 'en',
    device: 'mobile',
    os: 'iOS',
    osVersion: '17.0',
    browser: 'Mobile Safari',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15',
    referrer: 'https://news.example/article',
    isBot: false,
    userKey: 'visitor-1',
    query: {},
    ...over,
  }
}

/** In-memory RouterState for tests; every map is keyed as the accessor's arguments joined by "|". */
export interface FakeState extends RouterState {
  daily: Map<string, number>
  total: Map<string, number>
  seenDestination: Map<string, number>
  seenCampaign: Map<string, number>
  cursors: Map<string, number>
  epcs: Map<string, { epcMicros: number; clicks: number }>
}

export function fakeState(random: () => number = mulberry32(1)): FakeState {
  const s = {
    daily: new Map<string, number>(),
    total: new Map<string, number>(),
    seenDestination: new Map<string, number>(),
    seenCampaign: new Map<string, number>(),
    cursors: new Map<string, number>(),
    epcs: new Map<string, { epcMicros: number; clicks: number }>(),
    dailyClicks: (id: string) => s.daily.get(id) ?? 0,
    totalClicks: (id: string) => s.total.get(id) ?? 0,
    lastSeenDestination: (k: string, id: string) => s.seenDestination.get(`${k}|${id}`),
    lastSeenCampaign: (k: string, id: string) => s.seenCampaign.get(`${k}|${id}`),
    roundRobinCursor: (id: string) => s.cursors.get(id) ?? 0,
    epc: (id: string) => s.epcs.get(id),
    random,
  }
  return s
}

/** Fixed request time for tests. */
export const NOW = new Date('2025-03-05T12:00:00Z') // a Wednesday

/** A RequestEnv over ctx(c) at NOW in UTC for campaign uid(1) unless overridden. */
export function env(
  c: Partial<RequestContext> = {},
  opts: { state?: RouterState; now?: Date; tz?: string; campaignId?: string } = {},
): RequestEnv {
  return new RequestEnv(
    ctx(c),
    opts.state ?? fakeState(),
    opts.now ?? NOW,
    opts.campaignId ?? uid(1),
    opts.tz ?? 'UTC',
  )
}
