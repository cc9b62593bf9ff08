/**
 * Route decision replay for the click page (pure): a stored click's context run through
 * the current configuration with the router's detailed trace, and a comparison of the
 * replay's pick with the recorded one in words. Tested by `replay.test.ts`.
 *
 * What the replay cannot know: query parameters other than the stored ones (sub1..sub10,
 * utm_*, source, the external ID) — a `param` condition on another one sees an empty
 * value ({@link unstoredParams} lists them) —, the user agent and referrer beyond their
 * stored length (512 / 1 024 characters), and the visitor's earlier clicks: uniqueness and
 * anti-repeat memories from the click's time on are hidden ({@link replayState}), earlier
 * ones are used when the process still has them. Caps are read as they stand now (a daily
 * cap counts today's clicks only for a click of today); health is the current one.
 */
import type { ClickLogRow } from '../../analytics/index.ts'
import { route } from '../core/router.ts'
import type { CompiledCampaign, Snapshot } from '../core/snapshot.ts'
import type { Decision, RequestContext, RouterState } from '../routing.types.ts'

const DEVICES = new Set(['desktop', 'mobile', 'tablet', 'other'])
/** Query parameters a click stores (besides the external ID). */
const STORED_PARAMS = [
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
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'source',
] as const

/**
 * The router context of a stored click: its IP, country, language, device, OS, browser,
 * user agent, referrer, bot flag and user key, and a query rebuilt from the stored
 * parameters (the external ID under `external_id` and under `externalIdParam`, the name
 * the campaign's source passes it as).
 */
export function clickContext(row: ClickLogRow, externalIdParam?: string): RequestContext {
  const query: Record<string, string> = {}
  for (const k of STORED_PARAMS) {
    const v = String(row[k] ?? '')
    if (v !== '') query[k] = v
  }
  const ext = String(row.external_id ?? '')
  if (ext !== '') {
    query.external_id = ext
    if (externalIdParam) query[externalIdParam] = ext
  }
  const device = String(row.device ?? '')
  // Not returned as a literal: fields a newer RequestContext has (osVersion) are filled too.
  const context = {
    ip: String(row.ip ?? ''),
    country: String(row.country ?? ''),
    language: String(row.language ?? ''),
    device: (DEVICES.has(device) ? device : 'other') as RequestContext['device'],
    os: String(row.os ?? ''),
    browser: String(row.browser ?? ''),
    userAgent: String(row.user_agent ?? ''),
    referrer: String(row.referrer ?? ''),
    isBot: Number(row.is_bot) === 1,
    userKey: String(row.user_key ?? ''),
    query,
    osVersion: String(row.os_version ?? ''),
  }
  return context
}

/**
 * `state` for a replay at `clickMs`: the same caps, cursors, EPC and random source, but
 * visitor memories (last click in the campaign, last offer given) from `clickMs` on are
 * hidden — the click itself must not make its own replay "not unique" or "anti-repeat".
 */
export function replayState(state: RouterState, clickMs: number): RouterState {
  const before = (v: number | undefined) => (v !== undefined && v < clickMs ? v : undefined)
  return {
    dailyClicks: (id, now) => state.dailyClicks(id, now),
    totalClicks: (id) => state.totalClicks(id),
    lastSeenDestination: (k, id) => before(state.lastSeenDestination(k, id)),
    lastSeenCampaign: (k, id) => before(state.lastSeenCampaign(k, id)),
    roundRobinCursor: (id) => state.roundRobinCursor(id),
    epc: (id) => state.epc(id),
    random: () => state.random(),
  }
}

/**
 * Names of `param` conditions in `streams` (stored rows: `conditions` as saved) whose
 * parameter a click does not store, sorted.
 */
export function unstoredParams(
  streams: readonly { conditions: unknown }[],
  externalIdParam?: string,
): string[] {
  const stored = new Set<string>([...STORED_PARAMS, 'external_id'])
  if (externalIdParam) stored.add(externalIdParam)
  const out = new Set<string>()
  for (const stream of streams) {
    const groups = (stream.conditions as { groups?: unknown } | null)?.groups
    for (const g of Array.isArray(groups) ? groups : []) {
      const rules = (g as { rules?: unknown } | null)?.rules
      for (const rule of Array.isArray(rules) ? rules : []) {
        const r = rule as { type?: unknown; name?: unknown } | null
        if (r?.type === 'param' && typeof r.name === 'string' && !stored.has(r.name)) out.add(r.name)
      }
    }
  }
  return [...out].sort()
}

/** What the click got when it was routed. */
export interface RecordedRoute {
  streamId: string
  /** '' when the click went to a lander (the offer is chosen at the lander click). */
  destinationId: string
}

/** The replay compared with the recorded route. */
export interface ReplayVerdict {
  /** True when the replay picked the recorded stream (and offer, when one was recorded). */
  same: boolean
  /** Why they differ, in words; null when the same. */
  differs: string | null
}

const STRATEGY_WHY: Record<string, string> = {
  weighted:
    'the stream picks an offer at random by weight, so a replay can pick another offer than the click got even when nothing changed',
  round_robin: 'the stream rotates its offers in turn, and the rotation has moved on since the click',
  best_roi:
    'the stream picks by recent EPC (with some random exploration), and the figures have moved since the click',
  waterfall:
    'the stream takes the first available offer, so the offers, their order or their availability (status, caps, schedule, health) changed since the click',
}

/**
 * Compares a replay `decision` with the `recorded` route of the click, in `campaign` as
 * configured now. The stream is compared always, the offer only when one was recorded.
 */
export function compareReplay(
  recorded: RecordedRoute,
  decision: Decision,
  campaign: CompiledCampaign,
): ReplayVerdict {
  const name = (id: string) => campaign.streams.find((s) => s.id === id)?.name
  const recordedName = name(recorded.streamId)
  if (decision.kind === 'trafficback') {
    const gone = recordedName === undefined ? ' (the stream that served it is no longer active here)' : ''
    return {
      same: false,
      differs: `Routed now, this click would go to trafficback (${decision.reason})${gone}: the streams, their conditions or their offers' availability changed since the click.`,
    }
  }
  if (decision.streamId !== recorded.streamId) {
    const now = name(decision.streamId) ?? decision.streamId
    return {
      same: false,
      differs:
        recordedName === undefined
          ? `The stream that served this click is no longer active in this campaign; routed now, it goes to stream ${now}.`
          : `Routed now, this click goes to stream ${now} instead of ${recordedName}: the streams, their order or their conditions changed since the click, or an earlier stream had no offer available then.`,
    }
  }
  if (recorded.destinationId === '' || decision.destinationId === recorded.destinationId)
    return { same: true, differs: null }
  const strategy = campaign.streams.find((s) => s.id === decision.streamId)?.strategy ?? 'waterfall'
  const offer =
    decision.trace.streams
      .find((s) => s.streamId === decision.streamId)
      ?.destinations?.find((d) => d.destinationId === decision.destinationId)?.name ?? decision.destinationId
  return {
    same: false,
    differs: `Same stream, another offer (${offer}): ${STRATEGY_WHY[strategy] ?? STRATEGY_WHY.waterfall}.`,
  }
}

/** The outcome of {@link replayClick}. */
export type ReplayOutcome =
  | { kind: 'replayed'; decision: Decision; context: RequestContext; verdict: ReplayVerdict; notes: string[] }
  | { kind: 'unavailable'; reason: string }

/**
 * Replays click `row` of `workspaceId` through `snapshot` at the click's own time (so
 * schedules are read as then), with the detailed trace. Records nothing (the router is
 * pure and its effects are dropped). `streamRows`: the campaign's stored streams, for the
 * notes on conditions the replay cannot see (see {@link unstoredParams}).
 */
export function replayClick(
  snapshot: Snapshot,
  workspaceId: string,
  row: ClickLogRow,
  state: RouterState,
  streamRows: readonly { conditions: unknown }[] = [],
): ReplayOutcome {
  const campaign = snapshot.campaignsById.get(String(row.campaign_id))
  if (!campaign || campaign.workspaceId !== workspaceId)
    return {
      kind: 'unavailable',
      reason: 'The campaign is no longer configured (deleted or archived), so the click cannot be replayed.',
    }
  const context = clickContext(row, campaign.source?.externalIdParam)
  const decision = route(
    snapshot,
    campaign,
    context,
    replayState(state, row.tsMs),
    new Date(row.tsMs),
    row.click_id,
    {
      trace: true,
    },
  )
  const verdict = compareReplay(
    { streamId: String(row.stream_id), destinationId: String(row.destination_id) },
    decision,
    campaign,
  )
  const notes: string[] = []
  const missing = unstoredParams(streamRows, campaign.source?.externalIdParam)
  if (missing.length > 0)
    notes.push(
      `Conditions on ${missing.join(', ')} see an empty value: clicks do not store ${missing.length > 1 ? 'these parameters' : 'this parameter'}.`,
    )
  return { kind: 'replayed', decision, context, verdict, notes }
}
