/**
 * The router (steps 3–7 and the decision of step 9 in `routing/README.md`): a pure function from
 * (snapshot, campaign, request, state, time, click ID) to a redirect or trafficback
 * decision plus the effects the shell applies afterwards. It never throws.
 */
import type { Trafficback } from '../routing.schema.ts'
import type { Decision, RequestContext, RouteEffects, RouterState, StreamTrace } from '../routing.types.ts'
import { type AntiRepeat, dropReason } from './availability.ts'
import { explainMismatch, matchConditions } from './conditions.ts'
import { RequestEnv } from './env.ts'
import { type MacroName, renderCompiledUrl } from './macros.ts'
import type {
  CompiledCampaign,
  CompiledDestination,
  CompiledLander,
  CompiledLanderLink,
  CompiledLink,
  CompiledStream,
  Snapshot,
} from './snapshot.ts'
import { type Candidate, pickWeighted, selectDestination } from './strategies.ts'
import { str } from './text.ts'

/** Options of {@link route}. */
export interface RouteOptions {
  /**
   * Detailed trace (previews, debugging): adds the failing condition of every unmatched
   * stream and the per-destination verdicts of the winning stream. Off on the hot path;
   * matched-but-exhausted streams always list their destinations' drop reasons.
   */
  readonly trace?: boolean
  /**
   * The redirect's hot path: no trace at all — `decision.trace` is a shared empty trace and no
   * per-stream or per-destination verdict objects are built (with 12 streams of 3 offers that
   * is ~50 short-lived objects per click the redirect never reads). Ignored with `trace`.
   */
  readonly lean?: boolean
  /**
   * Route straight to an offer even where the winning stream has landers (a lander's call to
   * action that could not be tied to its stream, see {@link routeOffer}).
   */
  readonly skipLanders?: boolean
}

/** A link whose destination resolved (CompiledLink already has the Candidate fields). */
interface Link extends CompiledLink, Candidate {
  readonly destination: CompiledDestination
}

type Verdict = NonNullable<StreamTrace['destinations']>[number]

const NONE: Trafficback = { type: 'none' }

/**
 * How much of the trace a route call builds: none (hot path), the default (every stream
 * tried, destinations of exhausted streams) or detailed (failing conditions, every verdict).
 */
enum TraceLevel {
  None = 0,
  Default = 1,
  Detailed = 2,
}

/** The trace of a lean decision: shared, never written (frozen so a writer fails loudly). */
const NO_TRACE: Decision['trace'] = Object.freeze({ streams: Object.freeze([]) as unknown as StreamTrace[] })

function traceLevel(options: RouteOptions): TraceLevel {
  if (options.trace === true) return TraceLevel.Detailed
  return options.lean === true ? TraceLevel.None : TraceLevel.Default
}

/**
 * Routes one click of `campaign` (already resolved from `snapshot`, e.g. by findCampaign).
 *
 * - Paused campaign → trafficback "campaign paused".
 * - Streams are tried in snapshot order (forced, regular by priority, default). The first
 *   stream whose conditions match and that has at least one available destination wins;
 *   a matching stream with nothing available is recorded in the trace and skipped.
 * - A winning stream with available landers (link and lander active) sends the visitor to
 *   one of them, picked by weight (weighted random): the decision's `landerId` is set, its
 *   `destinationId` is "" and its `url` is the lander's, rendered with the same macros. No
 *   offer is counted then: {@link routeOffer} picks it when the lander's CTA is clicked. The
 *   stream must still have an available offer, or it counts as exhausted (a lander whose
 *   CTA leads nowhere is worse than the next stream). `options.skipLanders` ignores landers.
 * - The winning stream's strategy picks the destination; its URL template is rendered
 *   with `{click_id}` = `clickId` and values from the request (URL-encoded). Inbound
 *   `url` / `redirect_url` parameters are never read.
 * - Nothing available → trafficback with reason "no stream matched" or
 *   "no destination available in stream X" (streams listed by name). A trafficback to a
 *   campaign missing from the snapshot, or to the campaign itself, becomes `{type:'none'}`.
 * - `unique`: the visitor has no click in this campaign within the campaign's anti-repeat
 *   window (24 h by default), whether or not anti-repeat is enabled.
 *
 * Effects: `rememberCampaign` always; on redirect `countDestination`, `rememberDestination`
 * (anti-repeat enabled) and `roundRobin` (round-robin streams).
 *
 * Never throws: an unexpected exception (e.g. thrown by a state accessor) becomes a
 * trafficback decision whose reason starts with "routing error:".
 *
 * @param now request time (the instant schedules, caps and windows are evaluated at)
 * @param clickId the click's ID (see newClickId)
 */
export function route(
  snapshot: Snapshot,
  campaign: CompiledCampaign,
  ctx: RequestContext,
  state: RouterState,
  now: Date,
  clickId: string,
  options: RouteOptions = {},
): Decision {
  try {
    return routeUnsafe(
      snapshot,
      campaign,
      ctx,
      state,
      now,
      clickId,
      traceLevel(options),
      options.skipLanders === true,
    )
  } catch (err) {
    return routingError(campaign, ctx, err)
  }
}

function routeUnsafe(
  snapshot: Snapshot,
  campaign: CompiledCampaign,
  ctx: RequestContext,
  state: RouterState,
  now: Date,
  clickId: string,
  level: TraceLevel,
  skipLanders: boolean,
): Decision {
  const env = new RequestEnv(ctx, state, now, campaign.id, campaign.timezone)
  const unique = env.isUniqueWithin(campaign.uniqueWindowMs)
  const rememberCampaign = { userKey: env.userKey, campaignId: campaign.id }
  const lean = level === TraceLevel.None
  const detailed = level === TraceLevel.Detailed
  const streams: StreamTrace[] = lean ? NO_TRACE.streams : []

  if (campaign.status !== 'active') {
    const reason = campaign.status === 'paused' ? 'campaign paused' : `campaign ${campaign.status}`
    return trafficback(snapshot, campaign, reason, unique, rememberCampaign, lean ? undefined : streams)
  }

  const exhausted: string[] = []
  for (const stream of campaign.streams) {
    if (!matchConditions(stream.conditions, env)) {
      if (!lean) {
        const entry: StreamTrace = {
          streamId: stream.id,
          name: stream.name,
          kind: stream.kind,
          matched: false,
        }
        if (detailed) entry.failed = explainMismatch(stream.conditions, env) ?? 'conditions did not match'
        streams.push(entry)
      }
      continue
    }
    const verdicts: Verdict[] | undefined = lean ? undefined : []
    const candidates = availableLinks(stream, env, campaign.antiRepeat, verdicts)
    if (!lean) {
      const entry: StreamTrace = { streamId: stream.id, name: stream.name, kind: stream.kind, matched: true }
      if (candidates.length === 0 || detailed) entry.destinations = verdicts
      streams.push(entry)
    }
    if (candidates.length === 0) {
      exhausted.push(stream.name)
      continue
    }
    if (!skipLanders && stream.landers.length > 0) {
      const lander = pickLander(stream, state)
      if (lander) {
        const url = renderCompiledUrl(lander.template, macroValue, {
          env,
          campaign,
          stream,
          destination: undefined,
          clickId,
        })
        return {
          kind: 'redirect',
          campaignId: campaign.id,
          streamId: stream.id,
          destinationId: '',
          landerId: lander.id,
          url,
          unique,
          // The offer is counted (caps, anti-repeat, round robin) when the lander's CTA is clicked.
          effects: { rememberCampaign },
          trace: lean
            ? NO_TRACE
            : {
                streams,
                picked: {
                  streamId: stream.id,
                  destinationId: '',
                  strategy: stream.strategy,
                  url,
                  landerId: lander.id,
                },
              },
        }
      }
    }
    return offerDecision(
      campaign,
      stream,
      candidates,
      env,
      state,
      clickId,
      unique,
      rememberCampaign,
      streams,
      lean,
    )
  }
  const reason =
    exhausted.length === 0
      ? 'no stream matched'
      : `no destination available in stream${exhausted.length > 1 ? 's' : ''} ${exhausted.join(', ')}`
  return trafficback(snapshot, campaign, reason, unique, rememberCampaign, lean ? undefined : streams)
}

/**
 * The stream's pick among `candidates` (non-empty) by its strategy, rendered with `clickId`,
 * and the effects of delivering it (cap count, anti-repeat memory, round-robin cursor).
 */
function offerDecision(
  campaign: CompiledCampaign,
  stream: CompiledStream,
  candidates: Link[],
  env: RequestEnv,
  state: RouterState,
  clickId: string,
  unique: boolean,
  rememberCampaign: RouteEffects['rememberCampaign'],
  streams: StreamTrace[],
  lean = false,
): Decision {
  const selection = selectDestination(stream.strategy, candidates, {
    state,
    cursor: stream.strategy === 'round_robin' ? state.roundRobinCursor(stream.id) : 0,
    listLength: stream.links.length,
    exploration: stream.exploration,
  })
  const picked = candidates[selection.index] ?? candidates[0]!
  const destination = picked.destination
  const url = renderCompiledUrl(destination.template, macroValue, {
    env,
    campaign,
    stream,
    destination,
    clickId,
  })
  const effects: RouteEffects = { countDestination: destination.id, rememberCampaign }
  if (campaign.antiRepeat.enabled) {
    effects.rememberDestination = { userKey: env.userKey, destinationId: destination.id }
  }
  if (selection.nextCursor !== undefined) {
    effects.roundRobin = { streamId: stream.id, cursor: selection.nextCursor }
  }
  return {
    kind: 'redirect',
    campaignId: campaign.id,
    streamId: stream.id,
    destinationId: destination.id,
    url,
    unique,
    effects,
    trace: lean
      ? NO_TRACE
      : {
          streams,
          picked: { streamId: stream.id, destinationId: destination.id, strategy: stream.strategy, url },
        },
  }
}

/**
 * The stream's lander for this visit: weighted random (one `state.random()` draw) among its
 * available landers (link active, lander active with a usable URL); undefined when none is.
 */
function pickLander(stream: CompiledStream, state: RouterState): CompiledLander | undefined {
  const available: CompiledLanderLink[] = []
  for (const l of stream.landers) {
    if (l.active && l.lander !== undefined && l.lander.row.status === 'active') available.push(l)
  }
  if (available.length === 0) return undefined
  return (available[pickWeighted(available, state)] ?? available[0]!).lander
}

/**
 * Routes the call to action of a lander (`GET /lp/:alias/click`): the offer is chosen among
 * the offers of stream `streamId` — the stream that sent the visitor to the lander — by the
 * stream's strategy, with availability (status, schedule, caps, health, anti-repeat) as in
 * {@link route}; the stream's conditions are not evaluated again. `clickId` and the request's
 * query (the shell puts the original click's sub IDs and `external_id` there) render the
 * offer URL. When the campaign is no longer active, the stream is gone from it or none of its
 * offers is available, the campaign is routed afresh without landers (`route` with
 * `skipLanders`), which may end in trafficback. The decision is never a lander. Never throws.
 */
export function routeOffer(
  snapshot: Snapshot,
  campaign: CompiledCampaign,
  streamId: string,
  ctx: RequestContext,
  state: RouterState,
  now: Date,
  clickId: string,
  options: RouteOptions = {},
): Decision {
  try {
    const level = traceLevel(options)
    const stream = campaign.status === 'active' ? campaign.streams.find((s) => s.id === streamId) : undefined
    if (stream) {
      const env = new RequestEnv(ctx, state, now, campaign.id, campaign.timezone)
      const lean = level === TraceLevel.None
      const verdicts: Verdict[] | undefined = lean ? undefined : []
      const candidates = availableLinks(stream, env, campaign.antiRepeat, verdicts)
      if (candidates.length > 0) {
        const streams: StreamTrace[] = []
        if (!lean) {
          const entry: StreamTrace = {
            streamId: stream.id,
            name: stream.name,
            kind: stream.kind,
            matched: true,
          }
          if (level === TraceLevel.Detailed) entry.destinations = verdicts
          streams.push(entry)
        }
        const unique = env.isUniqueWithin(campaign.uniqueWindowMs)
        const rememberCampaign = { userKey: env.userKey, campaignId: campaign.id }
        return offerDecision(
          campaign,
          stream,
          candidates,
          env,
          state,
          clickId,
          unique,
          rememberCampaign,
          streams,
          lean,
        )
      }
    }
    return routeUnsafe(snapshot, campaign, ctx, state, now, clickId, level, true)
  } catch (err) {
    return routingError(campaign, ctx, err)
  }
}

/**
 * Available links of a stream in configured order; appends every link's verdict to
 * `verdicts` unless it is undefined (lean routing).
 */
function availableLinks(
  stream: CompiledStream,
  env: RequestEnv,
  antiRepeat: AntiRepeat,
  verdicts: Verdict[] | undefined,
): Link[] {
  const candidates: Link[] = []
  for (const link of stream.links) {
    const reason = dropReason(link, env, antiRepeat)
    const kept = reason === undefined && isUsable(link)
    if (kept) candidates.push(link)
    if (verdicts === undefined) continue
    const name = link.destination?.name ?? ''
    if (kept) verdicts.push({ destinationId: link.destinationId, name, kept: true })
    else verdicts.push({ destinationId: link.destinationId, name, kept: false, reason: reason ?? 'missing' })
  }
  return candidates
}

function isUsable(link: CompiledLink): link is Link {
  return link.destination !== undefined
}

/** What a click's macros are rendered from. */
interface MacroSource {
  readonly env: RequestEnv
  readonly campaign: CompiledCampaign
  readonly stream: CompiledStream
  /** undefined when rendering a lander URL (`{destination_id}` is then ""). */
  readonly destination: CompiledDestination | undefined
  readonly clickId: string
}

/** Raw value of one macro; query-backed macros read only their own parameter. */
function macroValue(name: MacroName, m: MacroSource): string {
  switch (name) {
    case 'click_id':
      return str(m.clickId)
    case 'campaign_id':
      return m.campaign.id
    case 'stream_id':
      return m.stream.id
    case 'destination_id':
      return m.destination?.id ?? ''
    case 'country':
      return m.env.country
    case 'device':
      return m.env.device
    case 'os':
      return m.env.os
    case 'browser':
      return m.env.browser
    case 'language':
      return m.env.language
    case 'external_id':
      return m.env.query(m.campaign.source?.externalIdParam || 'external_id') || m.env.query('external_id')
    default:
      // sub1..sub10, utm_*, cost, source: the query parameter of the same name.
      return m.env.query(name)
  }
}

/** The campaign's trafficback, unless it points nowhere usable (missing campaign, itself). */
function trafficbackTarget(
  snapshot: Snapshot,
  campaign: CompiledCampaign,
): { target: Trafficback; note?: string } {
  const tb = campaign.trafficback
  if (tb?.type === 'url' && typeof tb.url === 'string') return { target: tb }
  if (tb?.type === 'campaign') {
    if (tb.campaign_id === campaign.id)
      return { target: NONE, note: 'trafficback points to the same campaign' }
    if (!snapshot.campaignsById.has(tb.campaign_id))
      return { target: NONE, note: 'trafficback campaign not found' }
    return { target: tb }
  }
  return { target: NONE }
}

function trafficback(
  snapshot: Snapshot,
  campaign: CompiledCampaign,
  why: string,
  unique: boolean,
  rememberCampaign: RouteEffects['rememberCampaign'],
  streams: StreamTrace[] | undefined,
): Decision {
  const { target, note } = trafficbackTarget(snapshot, campaign)
  const reason = note ? `${why}; ${note}` : why
  return {
    kind: 'trafficback',
    campaignId: campaign.id,
    target,
    reason,
    unique,
    effects: { rememberCampaign },
    trace: streams === undefined ? NO_TRACE : { streams, trafficback: { reason, target } },
  }
}

/** Fail-safe decision: the campaign's trafficback URL if it has one, else none (404). */
function routingError(campaign: CompiledCampaign, ctx: RequestContext, err: unknown): Decision {
  let message = 'unknown error'
  try {
    message = err instanceof Error ? err.message : String(err)
  } catch {
    // A hostile toString must not escape either.
  }
  const reason = `routing error: ${message}`
  const campaignId = str(campaign?.id)
  let target: Trafficback = NONE
  try {
    if (campaign.trafficback.type === 'url') target = campaign.trafficback
  } catch {
    // No usable campaign: a plain 404.
  }
  return {
    kind: 'trafficback',
    campaignId,
    target,
    reason,
    unique: false,
    effects: { rememberCampaign: { userKey: str(ctx?.userKey), campaignId } },
    trace: { streams: [], trafficback: { reason, target } },
  }
}
