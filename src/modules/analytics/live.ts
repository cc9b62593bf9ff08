/**
 * Live feed: `GET /api/v1/live`, a Server-Sent Events stream of the caller's workspace's
 * routed clicks and trafficback requests as they happen (the dashboard's live click feed).
 * Other modules publish their own event types into the same hub with
 * {@link LiveHub.publish}: the conversions module sends `conversion` (a conversion created
 * or changed status, after its commit; shape `LiveConversion` in
 * src/modules/conversions/conversions.service.ts); the visitor pulse (`live.visits.ts`) sends
 * `hit` and `visit_rate`.
 *
 * Backfill: `GET /live/recent` (`live.recent.ts`) answers the last minutes of the same
 * events from ClickHouse, so a page that opens (or reloads) is not empty.
 *
 * Admins: `GET /admin/live-stream` carries the event types named in `allWorkspacesTypes`
 * (default `hit`, `visit_rate`) of every workspace, each with its `workspace_id`.
 *
 * Cost on the redirect path: the hub attaches a listener to the pipeline only while at
 * least one client is connected; the listener keeps references to the events of a group
 * commit and returns. Formatting and fan-out happen on a timer (`flushMs`), off the
 * request. Everything is bounded: the pending list (`maxPending` events), the clients
 * (`maxClients`), and each client's socket buffer (`maxClientBufferBytes`) — a slow client
 * misses events (it is told how many with a `dropped` event) instead of growing memory.
 *
 * Stream format (UTF-8, `text/event-stream`):
 * ```
 * retry: 3000
 * : connected
 *
 * event: click
 * data: {"type":"click","click_id":"…","ts":"2025-01-01T12:00:00.000Z","campaign_id":"…",…}
 *
 * event: conversion
 * data: {"type":"conversion","conversion_id":"…","click_id":"…","status":"sale","payout_micros":12500000,"currency":"USD",…}
 *
 * event: dropped
 * data: {"count":12}
 * ```
 * plus a `: ping` comment every `heartbeatMs` so proxies keep the connection open.
 *
 * Access: a stream lasts longer than the credential that opened it may. Every `recheckMs`
 * the hub asks each client's `stillAllowed` (for `GET /live`, the composition root's
 * re-authentication of the request's own API key or session against the database, so a
 * revocation made by any process counts); on `false` or an error the client is removed
 * (it gets nothing more) and its response ended. A browser's `EventSource` then reconnects
 * and gets the guard's 401/403.
 */
import type { ServerResponse } from 'node:http'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import { AppError, forbidden } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import '../../platform/http/types.ts'
import { recentLiveItems, recentOut, recentQuery } from './live.recent.ts'
import type { ClickEvent, PipelineEvent, TrafficbackEvent } from './events.ts'
import type { LiveClick, LiveHit, LiveTrafficback, LiveVisitRate } from './live.types.ts'
import type { PipelineListener } from './pipeline.types.ts'

export type { LiveClick, LiveHit, LiveTrafficback, LiveVisitRate } from './live.types.ts'

/**
 * Anything the live stream carries. Other modules may publish their own `type`s (e.g.
 * `conversion` from the conversions module); the `type` is the SSE event name.
 */
export type LiveEvent =
  | LiveClick
  | LiveTrafficback
  | LiveHit
  | LiveVisitRate
  | { type: string; [field: string]: unknown }

/** Where the hub gets pipeline events from (a {@link import('./pipeline.types.ts').Pipeline}). */
export interface LiveSource {
  setListener(listener: PipelineListener | null): void
}

/** Options of {@link createLiveHub}. */
export interface LiveHubOptions {
  /** The click pipeline; listened to only while a client is connected. */
  source?: LiveSource
  /** Fan-out period (ms); default 200. */
  flushMs?: number
  /** Events held between two fan-outs; beyond, events are dropped (and counted). Default 10 000. */
  maxPending?: number
  /** Concurrent streams over all workspaces; default 500. */
  maxClients?: number
  /** A client whose socket holds more unsent bytes than this misses events; default 256 KiB. */
  maxClientBufferBytes?: number
  /** Comment sent to every client this often (ms); default 15 000. */
  heartbeatMs?: number
  /** Each client's `stillAllowed` is asked this often (ms); default 3 000. */
  recheckMs?: number
  /**
   * Published event types also sent to all-workspaces clients ({@link LiveHub.subscribeAll},
   * the admin stream), with `workspace_id` added; default `['hit', 'visit_rate']`.
   */
  allWorkspacesTypes?: readonly string[]
}

/** Options of {@link LiveHub.subscribe}. */
export interface LiveSubscribeOptions {
  /**
   * Whether the client may still receive its workspace's events; asked every `recheckMs`
   * (never twice at once). `false`, or a rejection, removes the client and ends its response.
   */
  stillAllowed?: () => Promise<boolean>
}

/** Counters of {@link LiveHub.stats}. */
export interface LiveHubStats {
  clients: number
  /** Events sent to at least one client since start. */
  published: number
  /** Events dropped because the pending list was full. */
  droppedPending: number
  /** Per-client drops (slow clients), summed. */
  droppedSlow: number
}

/** The fan-out hub behind `GET /live`. */
export interface LiveHub {
  /**
   * Queues one event for the clients of `workspaceId` (for modules that are not the click
   * pipeline). Cheap; sent at the next fan-out.
   */
  publish(workspaceId: string, event: LiveEvent): void
  /**
   * Adds a client stream (already answered with SSE headers). The returned function removes
   * it; it is also removed when the socket closes or a write fails, and removed and ended
   * when `opts.stillAllowed` says no.
   */
  subscribe(workspaceId: string, res: ServerResponse, opts?: LiveSubscribeOptions): () => void
  /**
   * Adds an all-workspaces client (the admin stream): it gets every published event whose type
   * is in `allWorkspacesTypes`, with `workspace_id` added. Removal as {@link subscribe}.
   */
  subscribeAll(res: ServerResponse, opts?: LiveSubscribeOptions): () => void
  /** True while another client can connect. */
  hasRoom(): boolean
  stats(): LiveHubStats
  /** Ends every stream and detaches from the pipeline. */
  close(): void
}

interface Client {
  /** Null for an all-workspaces client. */
  workspaceId: string | null
  res: ServerResponse
  /** Events this client missed since its last successful write. */
  dropped: number
  /** The access re-check's timer (none without `stillAllowed`). */
  recheck: NodeJS.Timeout | null
}

interface Pending {
  workspaceId: string
  event: PipelineEvent | LiveEvent
  /** From the pipeline (needs {@link toLive}) or already a live event. */
  raw: boolean
  /** Also for the all-workspaces clients. */
  toAll: boolean
}

/** The public shape of a pipeline event (drops IP, user agent, referrer, user key). */
export function toLive(e: ClickEvent | TrafficbackEvent): LiveClick | LiveTrafficback {
  if (e.type === 'click') return liveClick(e)
  return liveTrafficback(e)
}

function liveClick(e: ClickEvent): LiveClick {
  return {
    type: 'click',
    click_id: e.click_id,
    ts: new Date(e.ts).toISOString(),
    campaign_id: e.campaign_id,
    stream_id: e.stream_id,
    destination_id: e.destination_id,
    source_id: e.source_id,
    country: e.country,
    device: e.device,
    os: e.os,
    browser: e.browser,
    is_bot: e.is_bot === 1,
    is_unique: e.is_unique === 1,
    cost: e.cost_micros / 1_000_000,
    currency: e.currency,
    sub1: e.sub1,
  }
}

function liveTrafficback(e: TrafficbackEvent): LiveTrafficback {
  return {
    type: 'trafficback',
    click_id: e.click_id,
    ts: new Date(e.ts).toISOString(),
    campaign_id: e.campaign_id,
    reason: e.reason,
    target_type: e.target_type,
    country: e.country,
    device: e.device,
    is_bot: e.is_bot === 1,
  }
}

/** One SSE message; `type` names the event (`click`, `trafficback`, …). */
export function sseMessage(type: string, data: unknown): string {
  // JSON never contains a raw newline, so one `data:` line is always enough.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
}

/** Creates the hub; it attaches to `opts.source` when the first client subscribes. */
export function createLiveHub(opts: LiveHubOptions = {}): LiveHub {
  const flushMs = opts.flushMs ?? 200
  const maxPending = opts.maxPending ?? 10_000
  const maxClients = opts.maxClients ?? 500
  const maxBuffer = opts.maxClientBufferBytes ?? 256 * 1024
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const recheckMs = opts.recheckMs ?? 3_000
  const allTypes = new Set(opts.allWorkspacesTypes ?? ['hit', 'visit_rate'])

  const byWorkspace = new Map<string, Set<Client>>()
  const allClients = new Set<Client>()
  let clientCount = 0
  let pending: Pending[] = []
  let flushTimer: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let closed = false
  const s = { published: 0, droppedPending: 0, droppedSlow: 0 }

  const schedule = () => {
    if (flushTimer === null && !closed) {
      flushTimer = setTimeout(flush, flushMs)
      flushTimer.unref()
    }
  }

  /** The pipeline listener: references only, on the redirect path. */
  const onPipeline: PipelineListener = (events) => {
    for (const e of events) {
      // Visits reach the live feed through the visitor pulse (`hit`), not as rows.
      if (e.type === 'visit' || e.type === 'lander_click' || !byWorkspace.has(e.workspace_id)) continue
      if (pending.length >= maxPending) {
        s.droppedPending++
        continue
      }
      pending.push({ workspaceId: e.workspace_id, event: e, raw: true, toAll: false })
    }
    schedule()
  }

  function write(c: Client, chunk: string): void {
    if (c.res.writableLength > maxBuffer) {
      c.dropped++
      s.droppedSlow++
      return
    }
    if (c.dropped > 0) {
      chunk = sseMessage('dropped', { count: c.dropped }) + chunk
      c.dropped = 0
    }
    try {
      c.res.write(chunk)
    } catch {
      remove(c)
    }
  }

  function flush(): void {
    flushTimer = null
    const batch = pending
    pending = []
    // One chunk per workspace per fan-out: fewer syscalls than a write per event.
    const chunks = new Map<string, string>()
    let allChunk = ''
    for (const p of batch) {
      const mine = byWorkspace.has(p.workspaceId)
      const toAll = p.toAll && allClients.size > 0
      if (!mine && !toAll) continue
      const event = p.raw ? toLive(p.event as ClickEvent | TrafficbackEvent) : (p.event as LiveEvent)
      if (mine) chunks.set(p.workspaceId, (chunks.get(p.workspaceId) ?? '') + sseMessage(event.type, event))
      if (toAll) allChunk += sseMessage(event.type, { ...event, workspace_id: p.workspaceId })
      s.published++
    }
    for (const [ws, chunk] of chunks) {
      for (const c of byWorkspace.get(ws) ?? []) write(c, chunk)
    }
    if (allChunk) for (const c of allClients) write(c, allChunk)
  }

  function remove(c: Client): void {
    if (c.workspaceId === null) {
      if (!allClients.delete(c)) return
    } else {
      const set = byWorkspace.get(c.workspaceId)
      if (!set?.delete(c)) return
      if (set.size === 0) byWorkspace.delete(c.workspaceId)
    }
    if (c.recheck) clearInterval(c.recheck)
    c.recheck = null
    clientCount--
    if (clientCount === 0) {
      opts.source?.setListener(null)
      if (heartbeat) clearInterval(heartbeat)
      heartbeat = null
    }
  }

  return {
    publish(workspaceId, event) {
      const toAll = allClients.size > 0 && allTypes.has(event.type)
      if (!toAll && !byWorkspace.has(workspaceId)) return
      if (pending.length >= maxPending) {
        s.droppedPending++
        return
      }
      pending.push({ workspaceId, event, raw: false, toAll })
      schedule()
    },
    subscribe: (workspaceId, res, sub = {}) => add({ workspaceId, res, dropped: 0, recheck: null }, sub),
    subscribeAll: (res, sub = {}) => add({ workspaceId: null, res, dropped: 0, recheck: null }, sub),
    hasRoom: () => !closed && clientCount < maxClients,
    stats: () => ({ clients: clientCount, ...s }),
    close() {
      closed = true
      if (flushTimer) clearTimeout(flushTimer)
      flushTimer = null
      pending = []
      for (const c of [...allClients, ...[...byWorkspace.values()].flatMap((set) => [...set])]) {
        remove(c)
        c.res.end()
      }
      opts.source?.setListener(null)
    },
  }

  function add(c: Client, sub: LiveSubscribeOptions): () => void {
    const res = c.res
    if (c.workspaceId === null) allClients.add(c)
    else {
      let set = byWorkspace.get(c.workspaceId)
      if (!set) {
        set = new Set()
        byWorkspace.set(c.workspaceId, set)
      }
      set.add(c)
    }
    {
      clientCount++
      if (clientCount === 1) {
        opts.source?.setListener(onPipeline)
        heartbeat = setInterval(() => {
          for (const clients of byWorkspace.values()) for (const cl of clients) write(cl, ': ping\n\n')
          for (const cl of allClients) write(cl, ': ping\n\n')
        }, heartbeatMs)
        heartbeat.unref()
      }
      const off = () => remove(c)
      res.once('close', off)
      res.once('error', off)
      const stillAllowed = sub.stillAllowed
      if (stillAllowed) {
        let checking = false
        // Per client, so the checks of many streams spread over the interval.
        c.recheck = setInterval(() => {
          if (checking) return
          checking = true
          const revoke = () => {
            if (c.recheck === null) return // already removed
            remove(c)
            res.end()
          }
          stillAllowed().then(
            (ok) => {
              checking = false
              if (!ok) revoke()
            },
            () => {
              checking = false
              revoke()
            },
          )
        }, recheckMs)
        c.recheck.unref()
      }
      return off
    }
  }
}

/** Answers an SSE request: status line and headers, then the opening comment. */
function openStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // nginx: do not buffer the stream.
    'x-accel-buffering': 'no',
  })
  res.write('retry: 3000\n: connected\n\n')
}

/**
 * `GET /live` (mounted under `/api/v1`, behind the auth hook): the SSE stream of the
 * caller's workspace; and `GET /admin/live-stream`: the visitor events (`hit`, `visit_rate`)
 * of every workspace, each with `workspace_id`, for platform admins (403 `forbidden`
 * otherwise). 429 `too_many_streams` when the hub is full. The hub is closed (every stream
 * ended) before the server stops accepting, so shutdown never waits on a stream.
 * @param deps.stillAllowed re-authenticates a request that passed the auth hook (its own
 *   credential, now): true while it still acts as the same user, with the same role, in the
 *   same workspace. Asked every `recheckMs` of the hub for both streams; the stream ends when
 *   it answers false or throws (so an admin demoted meanwhile loses the admin stream). The
 *   composition root passes the accounts module's `credentialStillValid`.
 * @param deps.recent when given, also `GET /live/recent` (the feed's backfill after a
 *   reload, `live.recent.ts`) read from this ClickHouse, "now" from `clock`.
 */
export function liveRoutes(
  hub: LiveHub,
  deps: {
    stillAllowed: (req: FastifyRequest) => Promise<boolean>
    recent?: { handle: ClickHouseHandle; clock?: Clock }
  },
): FastifyPluginAsync {
  return async (app) => {
    app.addHook('preClose', async () => hub.close())
    const recent = deps.recent
    if (recent) {
      const clock = recent.clock ?? systemClock
      app.get(
        '/live/recent',
        {
          config: { scope: 'read' },
          schema: {
            tags: ['reports'],
            summary:
              "The workspace's latest clicks, trafficback requests and conversion changes of the last `minutes` (1–60, default 10), newest first, at most `limit` (1–200, default 50), in the live stream's shapes: the live feed's backfill",
            querystring: recentQuery,
            response: { 200: recentOut, 400: errorBody, 401: errorBody, 403: errorBody },
          },
        },
        async (req) => {
          const q = req.query as { minutes: number; limit: number }
          const items = await recentLiveItems(recent.handle, req.auth.workspaceId, {
            nowMs: clock.now().getTime(),
            minutes: q.minutes,
            limit: q.limit,
          })
          return { items }
        },
      )
    }
    app.get(
      '/live',
      {
        config: { scope: 'read' },
        // A stream has no HEAD form: Fastify's automatic HEAD route would hijack and never answer.
        exposeHeadRoute: false,
        schema: {
          tags: ['reports'],
          summary:
            "Server-Sent Events: the workspace's clicks (`event: click`), trafficback requests (`event: trafficback`), conversion changes (`event: conversion`), visitor hits (`event: hit`) and per-project visit rates once a second (`event: visit_rate`) as they happen",
          produces: ['text/event-stream'],
        },
      },
      async (req, reply) => {
        if (!hub.hasRoom()) throw new AppError(429, 'too_many_streams', 'too many live streams open')
        reply.hijack()
        // Subscribed before the headers leave, so a client that sees the response is already
        // receiving events.
        hub.subscribe(req.auth.workspaceId, reply.raw, { stillAllowed: () => deps.stillAllowed(req) })
        openStream(reply.raw)
      },
    )
    app.get(
      '/admin/live-stream',
      {
        config: { scope: 'admin' },
        exposeHeadRoute: false,
        schema: {
          tags: ['reports'],
          summary:
            'Server-Sent Events for platform admins: visitor hits (`event: hit`) and visit rates (`event: visit_rate`) of every workspace, each with `workspace_id`; 403 for other users',
          produces: ['text/event-stream'],
        },
      },
      async (req, reply) => {
        if (req.auth.role !== 'admin') throw forbidden('the all-workspaces live stream is for admins only')
        if (!hub.hasRoom()) throw new AppError(429, 'too_many_streams', 'too many live streams open')
        reply.hijack()
        hub.subscribeAll(reply.raw, { stillAllowed: () => deps.stillAllowed(req) })
        openStream(reply.raw)
      },
    )
  }
}
