/**
 * `GET /c/:alias` — the redirect hot path, as a raw `node:http` handler.
 *
 * Rules: reads only the in-memory snapshot and state; never awaits the database or the
 * network. Group commit: the decisions of one event-loop turn are made synchronously, their
 * events written to the pipeline's on-disk spool with ONE synchronous append at the end of
 * the turn (setImmediate), and only then are their responses sent. So a redirected click
 * survives a crash of the process, at the cost of one write per turn instead of per click.
 */
import { randomFillSync } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClickEvent, PipelineEvent, TrafficbackEvent } from '../../analytics/index.ts'
import type { Clock } from '../../../platform/clock.ts'
import { isHttpUrl } from '../../../platform/net/url.schema.ts'
import {
  type CompiledCampaign,
  findCampaign,
  HOP_PARAM,
  newClickId,
  parseHops,
  route,
  type Snapshot,
  trafficbackStep,
} from '../core/index.ts'
import type { Decision, RequestContext } from '../routing.types.ts'
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
  }
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

/**
 * Creates the `(req, res)` handler for `/c/:alias`. It never throws: an unexpected error
 * answers 500 and is counted.
 */
export function createRedirectHandler(
  deps: RedirectDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const random = randomSource()
  const count = deps.onOutcome ?? (() => {})

  // Work of the current event-loop turn, committed together by flush().
  let events: PipelineEvent[] = []
  let replies: { res: ServerResponse; location: string | null }[] = []
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
      } else {
        r.res.writeHead(302, { Location: r.location, 'Cache-Control': 'no-store', 'Content-Length': '0' })
        r.res.end()
      }
    }
  }
  const reply = (res: ServerResponse, event: PipelineEvent, location: string | null) => {
    events.push(event)
    // Last line: only an http(s) URL is ever a Location (the schemas refuse anything else
    // at save time; this covers rows saved before they did). Anything else is a 404.
    const safe = location !== null && isHttpUrl(location) ? safeLocation(location) : null
    replies.push({ res, location: safe })
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
    let hops = parseHops(query[HOP_PARAM])
    let campaign = findCampaign(snap, alias)
    if (!campaign) {
      count('not_found')
      return notFound(
        res,
        trafficbackEvent(clickId, ts, ctx, undefined, 'unknown campaign', 'none', alias, hops),
      )
    }
    for (;;) {
      const decision = route(snap, campaign, ctx, deps.state, at, clickId)
      deps.state.apply(decision.effects, ts)
      if (decision.kind === 'redirect') {
        count('redirect')
        return redirect(res, clickEvent(clickId, ts, ctx, campaign, decision), decision.url)
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
    }
  }

  return (req, res) => {
    try {
      handle(req, res)
    } catch {
      count('error')
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' })
        res.end('internal error')
      }
    }
  }
}
