/**
 * `GET /c/:alias` — the redirect hot path — and `GET /lp/:alias/click` — a lander's call to
 * action — as raw `node:http` handlers sharing one group commit.
 *
 * Rules: reads only the in-memory snapshot and state; never awaits the database or the
 * network. Group commit: the decisions of one event-loop turn are made synchronously, their
 * events written to the pipeline's on-disk spool with ONE synchronous append at the end of
 * the turn (setImmediate), and only then are their responses sent. So a redirected click
 * survives a crash of the process, at the cost of one write per turn instead of per click.
 */
import { randomFillSync } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClickEvent, LanderClickEvent, PipelineEvent, TrafficbackEvent } from '../../analytics/index.ts'
import type { Clock } from '../../../platform/clock.ts'
import { isHttpUrl } from '../../../platform/net/url.schema.ts'
import {
  type CompiledCampaign,
  findCampaign,
  HOP_PARAM,
  clickIdTime,
  isClickId,
  newClickId,
  parseHops,
  route,
  routeOffer,
  type Snapshot,
  trafficbackStep,
} from '../core/index.ts'
import type { Decision, RequestContext } from '../routing.types.ts'
import {
  createLanderSessions,
  LANDER_SESSION_MAX_AGE_MS,
  type LanderSessions,
  landerCookie,
  parseLanderCookie,
} from './lander-sessions.ts'
import type { ContextBuilder } from './request-context.ts'
import type { RuntimeState } from './router-state.ts'

const MAX_QUERY_PARAMS = 64
const MAX_PARAM_LENGTH = 1024

export interface RedirectDeps {
  snapshot: () => Snapshot
  state: RuntimeState
  context: ContextBuilder
  /** Spools events synchronously (one write for all) and queues them for ClickHouse. */
  pipeline: { pushMany(events: readonly PipelineEvent[]): boolean }
  /** Our public base URL: trafficback URLs under it get the hop counter. */
  publicUrl: string
  maxHops: number
  /** Read once per request: the click's time (its ID, event `ts`, schedules, caps). */
  clock: Clock
  onOutcome?: (outcome: 'redirect' | 'trafficback' | 'not_found' | 'error') => void
  /** Visits sent to a lander, for their CTA clicks (default: 100,000 kept, 24 h). */
  landerSessions?: LanderSessions
}

const NOT_FOUND_HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1></body></html>'

/** Pool of random bytes so a click ID costs no syscall of its own. */
function randomSource(): () => Uint8Array {
  const pool = Buffer.allocUnsafe(10 * 1024)
  let offset = pool.length
  return () => {
    if (offset + 10 > pool.length) {
      randomFillSync(pool)
      offset = 0
    }
    const out = pool.subarray(offset, offset + 10)
    offset += 10
    return out
  }
}

/** First value of each query parameter, bounded in count and length. */
export function parseQuery(search: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  if (!search) return out
  let n = 0
  for (const [k, v] of new URLSearchParams(search)) {
    if (n++ >= MAX_QUERY_PARAMS) break
    if (!(k in out)) out[k] = v.length > MAX_PARAM_LENGTH ? v.slice(0, MAX_PARAM_LENGTH) : v
  }
  return out
}

/** Cost of the click in micros: the `cost` parameter (currency units), else the campaign's, else the source's model. */
export function clickCostMicros(query: Record<string, string>, campaign: CompiledCampaign): number {
  const raw = query.cost
  if (raw !== undefined && raw !== '') {
    const v = Number(raw)
    if (Number.isFinite(v) && v >= 0 && v < 1e6) return Math.round(v * 1e6)
  }
  if (campaign.row.costMicros !== null && campaign.row.costMicros !== undefined)
    return campaign.row.costMicros
  const src = campaign.source
  if (!src) return 0
  if (src.costModel === 'cpc') return src.defaultCostMicros
  if (src.costModel === 'cpm') return Math.round(src.defaultCostMicros / 1000)
  return 0
}

/** Location header values must be visible ASCII; encode anything else a template carried literally. */
function safeLocation(url: string): string {
  return /^[\x21-\x7e]*$/.test(url) ? url : url.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))
}

function clickEvent(
  clickId: string,
  ts: number,
  ctx: RequestContext,
  campaign: CompiledCampaign,
  d: Extract<Decision, { kind: 'redirect' }>,
): ClickEvent {
  const q = ctx.query
  const externalParam = campaign.source?.externalIdParam ?? 'external_id'
  return {
    type: 'click',
    click_id: clickId,
    ts,
    workspace_id: campaign.workspaceId,
    campaign_id: campaign.id,
    stream_id: d.streamId,
    destination_id: d.destinationId,
    source_id: campaign.source?.id ?? '',
    is_unique: d.unique ? 1 : 0,
    is_bot: ctx.isBot ? 1 : 0,
    ip: ctx.ip,
    country: ctx.country,
    language: ctx.language,
    device: ctx.device,
    os: ctx.os,
    os_version: ctx.osVersion,
    browser: ctx.browser,
    user_agent: ctx.userAgent.slice(0, 512),
    referrer: ctx.referrer.slice(0, 1024),
    user_key: ctx.userKey,
    cost_micros: clickCostMicros(q, campaign),
    currency: /^[A-Z]{3}$/.test(q.currency ?? '') ? q.currency! : campaign.row.currency,
    external_id: q[externalParam] ?? q.external_id ?? '',
    sub1: q.sub1 ?? '',
    sub2: q.sub2 ?? '',
    sub3: q.sub3 ?? '',
    sub4: q.sub4 ?? '',
    sub5: q.sub5 ?? '',
    sub6: q.sub6 ?? '',
    sub7: q.sub7 ?? '',
    sub8: q.sub8 ?? '',
    sub9: q.sub9 ?? '',
    sub10: q.sub10 ?? '',
    utm_source: q.utm_source ?? '',
    utm_medium: q.utm_medium ?? '',
    utm_campaign: q.utm_campaign ?? '',
    utm_term: q.utm_term ?? '',
    utm_content: q.utm_content ?? '',
    source: q.source ?? '',
    destination_url: d.url,
    lander_id: d.landerId ?? '',
  }
}

const SUB_PARAMS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'sub6', 'sub7', 'sub8', 'sub9', 'sub10'] as const

/** The click's non-empty `external_id` and sub IDs, kept for the offer URL behind a lander. */
function sessionParams(q: Record<string, string>, campaign: CompiledCampaign): Record<string, string> | null {
  let out: Record<string, string> | null = null
  const externalId = q[campaign.source?.externalIdParam ?? 'external_id'] ?? q.external_id ?? ''
  if (externalId !== '') {
    out = Object.create(null) as Record<string, string>
    out.external_id = externalId
  }
  for (const k of SUB_PARAMS) {
    const v = q[k]
    if (v === undefined || v === '') continue
    out ??= Object.create(null) as Record<string, string>
    out[k] = v
  }
  return out
}

function landerClickEvent(
  clickId: string,
  ts: number,
  ctx: RequestContext,
  campaign: CompiledCampaign,
  landerId: string,
  streamId: string,
  destinationId: string,
  url: string,
  unique: boolean,
): LanderClickEvent {
  return {
    type: 'lander_click',
    click_id: clickId,
    ts,
    workspace_id: campaign.workspaceId,
    campaign_id: campaign.id,
    stream_id: streamId,
    lander_id: landerId,
    destination_id: destinationId,
    source_id: campaign.source?.id ?? '',
    is_unique: unique ? 1 : 0,
    country: ctx.country,
    device: ctx.device,
    destination_url: url,
  }
}

/** True when the request came over https (TLS socket, or a proxy's `X-Forwarded-Proto: https`). */
function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true
  const proto = req.headers['x-forwarded-proto']
  return typeof proto === 'string' && proto.split(',', 1)[0]!.trim().toLowerCase() === 'https'
}

function trafficbackEvent(
  clickId: string,
  ts: number,
  ctx: RequestContext,
  campaign: CompiledCampaign | undefined,
  reason: string,
  targetType: string,
  target: string,
  hops: number,
): TrafficbackEvent {
  return {
    type: 'trafficback',
    click_id: clickId,
    ts,
    workspace_id: campaign?.workspaceId ?? '',
    campaign_id: campaign?.id ?? '',
    reason,
    target_type: targetType,
    target,
    hops,
    is_bot: ctx.isBot ? 1 : 0,
    ip: ctx.ip,
    country: ctx.country,
    device: ctx.device,
    user_agent: ctx.userAgent.slice(0, 512),
    referrer: ctx.referrer.slice(0, 1024),
    source: ctx.query.source ?? '',
  }
}

/** A raw request handler of the hot path. */
export type HotPathHandler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Creates the `(req, res)` handler for `/c/:alias`. It never throws: an unexpected error
 * answers 500 and is counted. (The handler of {@link createHotPathHandlers}.)
 */
export function createRedirectHandler(deps: RedirectDeps): HotPathHandler {
  return createHotPathHandlers(deps).redirect
}

/**
 * Creates the hot path's handlers, sharing one group commit: `redirect` for `/c/:alias` and
 * `landerClick` for `/lp/:alias/click` (routing README, "Landers"). Neither ever throws: an
 * unexpected error answers 500 and is counted.
 */
export function createHotPathHandlers(deps: RedirectDeps): {
  redirect: HotPathHandler
  landerClick: HotPathHandler
} {
  const random = randomSource()
  const count = deps.onOutcome ?? (() => {})
  const sessions = deps.landerSessions ?? createLanderSessions(100_000)

  // Work of the current event-loop turn, committed together by flush().
  let events: PipelineEvent[] = []
  let replies: { res: ServerResponse; location: string | null; cookie: string | null }[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    const turnEvents = events
    const turnReplies = replies
    events = []
    replies = []
    // A failed spool write (disk full) is counted by the pipeline; visitors still get
    // their redirect: losing analytics beats losing the traffic.
    deps.pipeline.pushMany(turnEvents)
    for (const r of turnReplies) {
      if (r.location === null) {
        r.res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        r.res.end(NOT_FOUND_HTML)
      } else if (r.cookie === null) {
        r.res.writeHead(302, { Location: r.location, 'Cache-Control': 'no-store', 'Content-Length': '0' })
        r.res.end()
      } else {
        r.res.writeHead(302, {
          Location: r.location,
          'Cache-Control': 'no-store',
          'Content-Length': '0',
          'Set-Cookie': r.cookie,
        })
        r.res.end()
      }
    }
  }
  const reply = (
    res: ServerResponse,
    event: PipelineEvent,
    location: string | null,
    cookie: string | null = null,
  ) => {
    events.push(event)
    // Last line: only an http(s) URL is ever a Location (the schemas refuse anything else
    // at save time; this covers rows saved before they did). Anything else is a 404.
    const safe = location !== null && isHttpUrl(location) ? safeLocation(location) : null
    replies.push({ res, location: safe, cookie: safe === null ? null : cookie })
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  const notFound = (res: ServerResponse, event: PipelineEvent) => reply(res, event, null)
  const redirect = (res: ServerResponse, event: PipelineEvent, location: string) =>
    reply(res, event, location)

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const path = qi === -1 ? url : url.slice(0, qi)
    let alias: string
    try {
      alias = decodeURIComponent(path.slice(3)).replace(/\/$/, '')
    } catch {
      alias = ''
    }
    const query = parseQuery(qi === -1 ? '' : url.slice(qi + 1))
    const at = deps.clock.now()
    const ts = at.getTime()
    const snap = deps.snapshot()
    const ctx = deps.context.fromFacts({
      ip: deps.context.clientIp(req),
      userAgent: String(req.headers['user-agent'] ?? ''),
      acceptLanguage: req.headers['accept-language'],
      referrer: req.headers.referer,
      query,
    })
    const clickId = newClickId(ts, random())
    const hops = parseHops(query[HOP_PARAM])
    const campaign = findCampaign(snap, alias)
    if (!campaign) {
      count('not_found')
      return notFound(
        res,
        trafficbackEvent(clickId, ts, ctx, undefined, 'unknown campaign', 'none', alias, hops),
      )
    }
    const decision = route(snap, campaign, ctx, deps.state, at, clickId, { lean: true })
    return follow(req, res, snap, ctx, at, clickId, campaign, decision, hops)
  }

  /**
   * Answers a routing decision: the redirect (to a lander: with a new lander session and its
   * cookie), or the campaign's trafficback, followed in process through campaigns up to the
   * hop limit (each further campaign routed with `route`).
   */
  const follow = (
    req: IncomingMessage,
    res: ServerResponse,
    snap: Snapshot,
    ctx: RequestContext,
    at: Date,
    clickId: string,
    first: CompiledCampaign,
    firstDecision: Decision,
    hops0: number,
  ) => {
    const ts = at.getTime()
    let campaign = first
    let decision = firstDecision
    let hops = hops0
    for (;;) {
      deps.state.apply(decision.effects, ts)
      if (decision.kind === 'redirect') {
        count('redirect')
        if (decision.landerId === undefined)
          return redirect(res, clickEvent(clickId, ts, ctx, campaign, decision), decision.url)
        sessions.set(clickId, {
          campaignId: campaign.id,
          streamId: decision.streamId,
          landerId: decision.landerId,
          clickTs: ts,
          params: sessionParams(ctx.query, campaign),
          destinationId: '',
          url: '',
        })
        const cookie = landerCookie(
          campaign.alias,
          { clickId, streamId: decision.streamId, landerId: decision.landerId },
          isHttps(req),
        )
        return reply(res, clickEvent(clickId, ts, ctx, campaign, decision), decision.url, cookie)
      }
      const step = trafficbackStep(decision.target, hops, deps.maxHops, snap.campaignsById, deps.publicUrl)
      const event = trafficbackEvent(
        clickId,
        ts,
        ctx,
        campaign,
        decision.reason,
        step.targetType,
        step.target,
        hops,
      )
      count('trafficback')
      if (step.action === 'not_found') return notFound(res, event)
      if (step.action === 'redirect') return redirect(res, event, step.url)
      // A campaign trafficback is followed in process: record this hop, route the next campaign.
      events.push(event)
      hops = step.hops
      campaign = snap.campaignsById.get(step.target)!
      decision = route(snap, campaign, ctx, deps.state, at, clickId, { lean: true })
    }
  }

  /**
   * `GET /lp/:alias/click`: the click ID from `?cid=`, else the `tfx_lp` cookie; its lander
   * session (else the cookie's stream, else none) gives the stream whose offers are chosen
   * from (`routeOffer`); a repeat CTA click of the same visit goes to the same offer, counted
   * once. Without any click ID the campaign is routed afresh without landers as a new click.
   */
  const handleLanderClick = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const qi = url.indexOf('?')
    const path = qi === -1 ? url : url.slice(0, qi)
    let alias = ''
    if (path.endsWith('/click') || path.endsWith('/click/')) {
      try {
        alias = decodeURIComponent(path.slice(4, path.lastIndexOf('/click')))
      } catch {
        alias = ''
      }
    }
    const query = parseQuery(qi === -1 ? '' : url.slice(qi + 1))
    const at = deps.clock.now()
    const ts = at.getTime()
    const snap = deps.snapshot()
    const facts = {
      ip: deps.context.clientIp(req),
      userAgent: String(req.headers['user-agent'] ?? ''),
      acceptLanguage: req.headers['accept-language'],
      referrer: req.headers.referer,
      query,
    }
    const campaign = alias === '' ? undefined : findCampaign(snap, alias)
    const cookie = parseLanderCookie(req.headers.cookie)
    const cid = isClickId(query.cid ?? '')
      ? query.cid!
      : cookie && isClickId(cookie.clickId)
        ? cookie.clickId
        : ''
    if (!campaign) {
      count('not_found')
      const ctx = deps.context.fromFacts(facts)
      return notFound(
        res,
        trafficbackEvent(
          cid || newClickId(ts, random()),
          ts,
          ctx,
          undefined,
          'unknown campaign',
          'none',
          alias,
          0,
        ),
      )
    }
    if (cid === '') {
      // The lander opened directly (not through /c/): a new click, routed without landers.
      const ctx = deps.context.fromFacts(facts)
      const clickId = newClickId(ts, random())
      const decision = route(snap, campaign, ctx, deps.state, at, clickId, { skipLanders: true, lean: true })
      return follow(req, res, snap, ctx, at, clickId, campaign, decision, 0)
    }
    let session = sessions.get(cid, ts)
    if (session !== undefined && session.campaignId !== campaign.id) session = undefined
    if (session !== undefined && session.destinationId !== '') {
      // The same visitor clicking the CTA again: the same offer, not counted again.
      const ctx = deps.context.fromFacts(facts)
      count('redirect')
      return redirect(
        res,
        landerClickEvent(
          cid,
          ts,
          ctx,
          campaign,
          session.landerId,
          session.streamId,
          session.destinationId,
          session.url,
          false,
        ),
        session.url,
      )
    }
    if (session === undefined) {
      // Not a visit this process sent to a lander (another process, a restart): the cookie's
      // stream when it is this campaign's, else the campaign's streams afresh (no lander).
      const clickTs = clickIdTime(cid) ?? ts
      const fromCookie =
        cookie !== undefined &&
        cookie.clickId === cid &&
        campaign.streams.some((st) => st.id === cookie.streamId)
          ? cookie
          : undefined
      if (ts - clickTs > LANDER_SESSION_MAX_AGE_MS && fromCookie === undefined) {
        const ctx = deps.context.fromFacts(facts)
        const clickId = newClickId(ts, random())
        const decision = route(snap, campaign, ctx, deps.state, at, clickId, {
          skipLanders: true,
          lean: true,
        })
        return follow(req, res, snap, ctx, at, clickId, campaign, decision, 0)
      }
      session = {
        campaignId: campaign.id,
        streamId: fromCookie?.streamId ?? '',
        landerId: fromCookie?.landerId ?? '',
        clickTs,
        params: sessionParams(query, campaign),
        destinationId: '',
        url: '',
      }
    }
    // The offer URL carries the original click's sub IDs and external ID.
    const params = session.params
    const ctx = deps.context.fromFacts(
      params === null ? facts : { ...facts, query: Object.assign(Object.create(null), query, params) },
    )
    const decision = routeOffer(snap, campaign, session.streamId, ctx, deps.state, at, cid, { lean: true })
    if (decision.kind !== 'redirect') return follow(req, res, snap, ctx, at, cid, campaign, decision, 0)
    deps.state.apply(decision.effects, ts)
    session.destinationId = decision.destinationId
    session.url = decision.url
    if (session.streamId === '') session.streamId = decision.streamId
    sessions.set(cid, session)
    count('redirect')
    return redirect(
      res,
      landerClickEvent(
        cid,
        ts,
        ctx,
        campaign,
        session.landerId,
        decision.streamId,
        decision.destinationId,
        decision.url,
        true,
      ),
      decision.url,
    )
  }

  const guard =
    (h: HotPathHandler): HotPathHandler =>
    (req, res) => {
      try {
        h(req, res)
      } catch {
        count('error')
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' })
          res.end('internal error')
        }
      }
    }
  return { redirect: guard(handle), landerClick: guard(handleLanderClick) }
}
