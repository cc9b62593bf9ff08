/**
 * The routing runtime of one traffic process: the snapshot manager, in-memory router state
 * with cap-counter persistence, the request-context builder and the redirect handler.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppConfig } from '../../../config.ts'
import type { PipelineEvent } from '../../analytics/index.ts'
import { type Clock, nowMs, systemClock } from '../../../platform/clock.ts'
import type { Db } from '../../../platform/db/client.ts'
import { listenConfigVersion, readConfigVersion } from '../../../platform/db/config-version.ts'
import type { Logger } from '../../../platform/logger.ts'
import type { Metrics } from '../../../platform/metrics.ts'
import { compileSnapshot, newClickId, route, type Snapshot } from '../core/index.ts'
import { loadConfigRows } from '../repository/config-rows.repository.ts'
import type { Decision, RequestContext } from '../routing.types.ts'
import { loadCapCounters, persistCapDeltas } from './cap.repository.ts'
import { createLanderSessions } from './lander-sessions.ts'
import { createHotPathHandlers } from './redirect.handler.ts'
import {
  createContextBuilder,
  type ContextBuilder,
  openGeo,
  parseTrustedProxies,
  type RequestFacts,
} from './request-context.ts'
import { createRuntimeState, type RuntimeState } from './router-state.ts'
import { createSnapshotManager, type SnapshotManager } from './snapshot-manager.ts'
import type { SharedCounters } from '../shared/shared-counters.ts'

/** One capped destination of a campaign and its clicks left. */
export interface RemainingClicks {
  destinationId: string
  name: string
  totalCap: number
  delivered: number
  /** max(0, totalCap − delivered) */
  remaining: number
}

export interface RoutingRuntime {
  /** The `/c/:alias` handler (synchronous). */
  redirect(req: IncomingMessage, res: ServerResponse): void
  /** The `/lp/:alias/click` handler, a lander's call to action (synchronous; README "Landers"). */
  landerClick(req: IncomingMessage, res: ServerResponse): void
  snapshots: SnapshotManager<Snapshot>
  state: RuntimeState
  context: ContextBuilder
  /** The runtime's one time source (clicks, cap days, snapshot timings, previews without a time). */
  clock: Clock
  /**
   * Routes a described request through campaign `campaignId` without recording anything:
   * no click event, no counter or memory changes. Undefined when the campaign is not in
   * the snapshot (unknown, another workspace's, or archived).
   */
  preview(
    workspaceId: string,
    campaignId: string,
    facts: RequestFacts,
    at: Date,
  ): { decision: Decision; clickId: string; context: RequestContext } | undefined
  /**
   * Remaining clicks (total click cap − clicks delivered) of the campaign's capped
   * destinations: those linked from its active streams by active links, with status
   * `active` and a total click cap. Read from memory; undefined for an unknown campaign or
   * another workspace's. Used by the autopilot (`autopilot/README.md`, "Remaining clicks").
   */
  remainingClicks(workspaceId: string, campaignId: string): RemainingClicks[] | undefined
  /** Starts snapshot polling and cap persistence. */
  start(): void
  /** Stops timers, persists the last cap deltas and stops the shared counters (leases given back). */
  stop(): Promise<void>
}

/** Loads the first snapshot and cap counters; nothing runs until `start()`. */
export async function createRoutingRuntime(deps: {
  db: Db
  config: AppConfig
  logger: Logger
  pipeline: { pushMany(events: readonly PipelineEvent[]): boolean }
  metrics?: Metrics
  geoPath?: string
  /**
   * Recent EPC per destination (micros per click, with the clicks it rests on) for the
   * best-ROI strategy, refreshed every `epcRefreshMs` off the hot path. Absent: best ROI
   * falls back to weighted until conversions exist.
   */
  epc?: () => Promise<Map<string, { epcMicros: number; clicks: number }>>
  /** Default 60 s. */
  epcRefreshMs?: number
  /** Default the system clock. */
  clock?: Clock
  /**
   * Counters shared with other traffic nodes through Redis (`createSharedCounters`; README,
   * "Shared counters"): caps are spent from leased budget, visitor memories are shared.
   * Absent (no REDIS_URL): caps and memories are this process's own, as before. The runtime
   * attaches it to its state, feeds it every snapshot, waits (≤ 2 s) for the first leases
   * before returning, starts it in `start()` and stops it in `stop()`.
   */
  shared?: SharedCounters
  /**
   * `own` (default): this process serves clicks, counts them and persists its deltas to
   * `cap_counters` every CAP_PERSIST_MS. `follow`: it serves none (`--role=api|worker`) and
   * reloads `cap_counters` — the sum the traffic nodes persist — every CAP_PERSIST_MS instead,
   * so remaining clicks (autopilot) and previews see the other nodes' clicks.
   */
  capCounters?: 'own' | 'follow'
}): Promise<RoutingRuntime> {
  const { db, config, logger } = deps
  const clock = deps.clock ?? systemClock
  const local = createRuntimeState()
  const state = deps.shared ? deps.shared.attach(local) : local
  const snapshots = await createSnapshotManager({
    readVersion: () => readConfigVersion(db),
    loadRows: () => loadConfigRows(db),
    compile: compileSnapshot,
    pollMs: config.SNAPSHOT_POLL_MS,
    logger,
    clock,
    // On PostgreSQL another process may change the configuration: its NOTIFY triggers the
    // rebuild at once (the poll stays as a catch-up). PGlite is this process's own.
    ...(config.DATABASE_URL
      ? {
          subscribe: (onChange: () => void) => {
            const listener = listenConfigVersion({
              databaseUrl: config.DATABASE_URL!,
              onChange,
              onError: (err) =>
                logger.warn({ err }, 'configuration LISTEN connection failed; polling meanwhile'),
            })
            return () => void listener.close()
          },
        }
      : {}),
    onSwap: (snap, rows) => {
      state.setCapTimezones(new Map(rows.destinations.map((d) => [d.id, d.capTimezone])))
      deps.shared?.setSnapshot(snap)
      if (snap.warnings.length > 0)
        logger.warn({ warnings: snap.warnings.slice(0, 20) }, 'routing snapshot warnings')
    },
  })
  state.load(await loadCapCounters(db), nowMs(clock))
  /** `follow` mode: the counters as the traffic nodes last persisted them. */
  const reloadCounters = async () => {
    try {
      state.load(await loadCapCounters(db), nowMs(clock))
    } catch (err) {
      logger.warn({ err }, 'cap counters reload failed; the next tick retries')
    }
  }
  // Leases are asked for as soon as the snapshot is known, so a capped destination is
  // unavailable only until its first grant arrives (README, "Shared counters").
  await deps.shared?.ready()

  const context = createContextBuilder({
    trustedProxies: parseTrustedProxies(config.TRUSTED_PROXIES),
    geo: openGeo(deps.geoPath),
  })
  const handlers = createHotPathHandlers({
    snapshot: snapshots.current,
    state,
    context,
    pipeline: deps.pipeline,
    publicUrl: config.publicUrl,
    maxHops: config.TRAFFICBACK_MAX_HOPS,
    clock,
    landerSessions: createLanderSessions(config.LANDER_SESSIONS_MAX),
    onOutcome: deps.metrics
      ? (o) => {
          deps.metrics!.redirects[o]++
        }
      : undefined,
  })

  const persist = async () => {
    const deltas = state.drainDeltas()
    if (deltas.length === 0) return
    try {
      await persistCapDeltas(db, deltas)
    } catch (err) {
      // Keep the counts for the next attempt: a cap must not forget clicks.
      state.restoreDeltas(deltas)
      logger.error({ err }, 'persisting cap counters failed')
    }
  }
  let capTimer: NodeJS.Timeout | undefined
  let epcTimer: NodeJS.Timeout | undefined
  const refreshEpc = async () => {
    if (!deps.epc) return
    try {
      state.setEpc(await deps.epc())
    } catch (err) {
      // Keep the previous table: best ROI works on slightly older EPC meanwhile.
      logger.warn({ err }, 'refreshing EPC for best ROI failed')
    }
  }

  return {
    redirect: handlers.redirect,
    landerClick: handlers.landerClick,
    snapshots,
    state,
    context,
    clock,
    preview(workspaceId, campaignId, facts, at) {
      const snap = snapshots.current()
      const campaign = snap.campaignsById.get(campaignId)
      if (!campaign || campaign.workspaceId !== workspaceId) return undefined
      const clickId = newClickId(at.getTime(), randomBytes(10))
      const ctx = context.fromFacts(facts)
      const decision = route(snap, campaign, ctx, state, at, clickId, { trace: true })
      return { decision, clickId, context: ctx }
    },
    remainingClicks(workspaceId, campaignId) {
      const campaign = snapshots.current().campaignsById.get(campaignId)
      if (!campaign || campaign.workspaceId !== workspaceId) return undefined
      const out = new Map<string, RemainingClicks>()
      for (const stream of campaign.streams) {
        for (const link of stream.links) {
          const d = link.destination
          if (!link.active || !d || out.has(d.id) || d.row.status !== 'active') continue
          const cap = d.row.totalClickCap
          if (cap === null || cap === undefined) continue
          const delivered = state.delivered(d.id)
          out.set(d.id, {
            destinationId: d.id,
            name: d.name,
            totalCap: cap,
            delivered,
            remaining: Math.max(0, cap - delivered),
          })
        }
      }
      return [...out.values()]
    },
    start() {
      snapshots.start()
      deps.shared?.start()
      capTimer ??= setInterval(
        () => void (deps.capCounters === 'follow' ? reloadCounters() : persist()),
        config.CAP_PERSIST_MS,
      )
      capTimer.unref()
      if (deps.epc && !epcTimer) {
        void refreshEpc()
        epcTimer = setInterval(() => void refreshEpc(), deps.epcRefreshMs ?? 60_000)
        epcTimer.unref()
      }
    },
    async stop() {
      snapshots.stop()
      if (capTimer) clearInterval(capTimer)
      if (epcTimer) clearInterval(epcTimer)
      capTimer = undefined
      epcTimer = undefined
      await persist()
      await deps.shared?.stop()
    },
  }
}
