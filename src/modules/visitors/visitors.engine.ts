/**
 * The visitor engine (imperative shell): one scheduler for every active project. It reads
 * `visitor_projects` (status `active`) on an interval, and per project runs the arrival
 * schedule (`visitors.schedule.core.ts`), the metering decisions (`visitors.metering.core.ts`)
 * and the HTTP visits (`visitors.http.ts`), performing the metering actions on the ledger
 * (holds) and the counters (`visits_done`, `visitor_daily`, `visitor_runs`).
 *
 * Time comes from the injected `Clock`; timers are real (`tickMs`). Latency is measured from
 * each visit's scheduled start (no coordinated omission). README "Engine" documents the rules.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { and, eq, isNull, sql } from 'drizzle-orm'
import * as hdr from 'hdr-histogram-js'
import type { Clock, Random } from '../../platform/clock.ts'
import { systemRandom } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { AppError } from '../../platform/errors.ts'
import type { Logger } from '../../platform/logger.ts'
import { type LedgerRepository, ledgerAccounts } from '../billing/index.ts'
import type { Visitor, VisitorOutcome } from './visitors.browser.ts'
import { type GeoTarget, missingEgress, pickCountry } from './visitors.geo.core.ts'
import type { Device, VisitErrorKind, VisitHttp } from './visitors.http.ts'
import {
  dayIn,
  initMeter,
  type MeterAction,
  type MeterObservation,
  type MeterState,
  meter,
  type StopReason,
  statusAfter,
} from './visitors.metering.core.ts'
import {
  type ArrivalMode,
  initSchedule,
  retarget,
  nextWakeDelayMs,
  type ScheduleState,
  stepSchedule,
} from './visitors.schedule.core.ts'
import { DEFAULT_RUN_BOUNDS, keepRecentRuns, type RunListBounds } from './visitors.runs.core.ts'
import { visitorDaily, visitorProjects, visitorRuns } from './visitors.tables.ts'

/** What the engine needs of a project (built from its row and settings). */
export interface EngineProject {
  id: string
  workspaceId: string
  /** Absolute http(s) URLs with relative weights (> 0). */
  urls: { url: string; weight: number }[]
  /** Target arrival rate, visits per minute (> 0). */
  perMinute: number
  /** Share of desktop visits, 0..1 (the rest mobile). */
  desktopShare: number
  /** Nominal engaged time per visit, ms (reported; HTTP mode holds nothing open). */
  timeOnPageMs: number
  /** `Referer` of each page request: null = none, else one of `urls` (README "Projects"). */
  referrer?: string | null
  /** Visits in flight at most (from the traffic speed); default the engine's `concurrency`. */
  concurrency?: number
  /** `http` (default) or `browser` (Chromium, `deps.browser`). */
  mode?: 'http' | 'browser'
  /** Weighted countries (each visit leaves through its country's egress); empty/absent = direct. */
  geoTargets?: GeoTarget[]
  dailyLimit: number
  totalTarget: number
  expiresAt: Date | null
  timezone: string
  visitsDone: number
}

/** A row of `visitor_projects`. */
export type VisitorProjectRow = typeof visitorProjects.$inferSelect

/**
 * Re-checks that the project's hosts are still verified (before each run). Injected: the
 * projects part of the module implements it (`recheckHosts`).
 */
export type RecheckHosts = (project: EngineProject) => Promise<{ ok: true } | { ok: false; reason: string }>

/**
 * The engine's reading of a row when no settings parser is injected: `settings.urls`
 * (strings or `{url, weight}`), `settings.visits_per_minute`, `settings.desktop_share` (0..1),
 * `settings.time_on_page_ms`, `settings.concurrency`, `settings.geoTargets` (`[{cc, w}]`, bad
 * entries skipped). Returns null when no usable URL or rate is present.
 */
export function minimalEngineProject(row: VisitorProjectRow): EngineProject | null {
  const s = row.settings as Record<string, unknown>
  const raw = Array.isArray(s.urls) ? s.urls : []
  const urls = raw.flatMap((u) => {
    if (typeof u === 'string') return [{ url: u, weight: 1 }]
    if (u && typeof u === 'object' && typeof (u as { url?: unknown }).url === 'string') {
      const w = Number((u as { weight?: unknown }).weight ?? 1)
      return [{ url: (u as { url: string }).url, weight: Number.isFinite(w) && w > 0 ? w : 1 }]
    }
    return []
  })
  const perMinute = Number(s.visits_per_minute)
  if (urls.length === 0 || !Number.isFinite(perMinute) || perMinute <= 0) return null
  const share = Number(s.desktop_share ?? 0.5)
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    urls,
    perMinute,
    desktopShare: Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0.5,
    timeOnPageMs: Number(s.time_on_page_ms ?? 0) || 0,
    // Only one of the project's own URLs (a third-party referrer would be a lie).
    referrer: typeof s.referrer === 'string' && urls.some((u) => u.url === s.referrer) ? s.referrer : null,
    concurrency: Number(s.concurrency) > 0 ? Math.floor(Number(s.concurrency)) : undefined,
    mode: s.mode === 'browser' ? 'browser' : 'http',
    geoTargets: (Array.isArray(s.geoTargets) ? (s.geoTargets as unknown[]) : []).flatMap((g) => {
      const { cc, w } = (g ?? {}) as { cc?: unknown; w?: unknown }
      return typeof cc === 'string' && typeof w === 'number' && w > 0 ? [{ cc, w }] : []
    }),
    dailyLimit: row.dailyLimit,
    totalTarget: row.totalTarget,
    expiresAt: row.expiresAt,
    timezone: row.timezone,
    visitsDone: row.visitsDone,
  }
}

/** One settled visit: the live pulse and the `visits` rows (README "Results and live pulse"). */
export interface VisitHit {
  visitId: string
  workspaceId: string
  projectId: string
  runId: string
  url: string
  device: Device
  /** How the visit was made. */
  mode: 'http' | 'browser'
  /** The country the visit left from (its egress), ISO 3166-1 alpha-2; null = direct egress. */
  country: string | null
  status: number | null
  error: VisitErrorKind | null
  /** ms from the scheduled start to the response headers (null when unanswered). */
  latencyMs: number | null
  charged: boolean
  /** Body bytes read (page + subresources). */
  bytes: number
  /** The visit's scheduled start (open-model arrival time). */
  scheduledAt: Date
  /** When it was actually launched. */
  startedAt: Date
  /** When it settled. */
  at: Date
}

/** Counters and latency of one run (a later run panel reads these). */
export interface RunStats {
  workspaceId: string
  projectId: string
  runId: string
  startedAt: Date
  /** Present once the run finished. */
  stoppedAt: Date | null
  stopReason: StopReason | null
  perMinuteTarget: number
  /** Visits launched, and launched per second since the run's start. */
  started: number
  achievedPerSecond: number
  answered: number
  charged: number
  /** Charge transactions committed (group commits; `charged / chargeGroups` = mean group size). */
  chargeGroups: number
  /** Unanswered visits by kind (not charged), plus answered ones whose page failed later. */
  errors: Partial<Record<VisitErrorKind, number>>
  /** Status classes of answered visits: `2xx`, `3xx`, `4xx`, `5xx`. */
  statuses: Record<string, number>
  /** Scheduled starts that found no slot within `maxWaitMs` (concurrency cap). */
  dropped: number
  /** Scheduled starts refused for want of a reserved credit (counted as dropped too). */
  droppedNoCredit: number
  /** Scheduled starts not made because a limit was about to be reached. */
  limited: number
  desktop: number
  mobile: number
  /** ms from the scheduled start to the response headers. */
  latencyMs: { p50: number; p95: number; p99: number; max: number }
  /** ms from the scheduled start to the visit's launch (the scheduler's own lag). */
  scheduleLagMs: { p50: number; p95: number; p99: number; max: number }
}

/** Dependencies of {@link createVisitorEngine}. */
export interface VisitorEngineDeps {
  db: Db
  ledger: LedgerRepository
  clock: Clock
  http: VisitHttp
  /** Browser-mode visits (projects with `mode: 'browser'`); without it they fail as `other`, uncharged. */
  browser?: Visitor
  recheck: RecheckHosts
  /** The workspace's visit-signing key (HMAC-SHA256 of `X-Traffoflex-Visit`). */
  signingKey: (workspaceId: string) => Buffer | string
  /** Row → engine input (default {@link minimalEngineProject}; the settings schema at merge). */
  toEngineProject?: (row: VisitorProjectRow) => EngineProject | null
  logger?: Pick<Logger, 'warn' | 'info'>
  /** Random source for URL, device and UA picks (default system). */
  random?: Random
  /** Seed of the arrival schedules (default random). */
  seed?: number
  /** `poisson` (default) or `even` arrivals. */
  mode?: ArrivalMode
  /** How often active projects are read, ms (default 5000). */
  pollMs?: number
  /**
   * How often a running project's hosts are verified again, ms (default 1 hour): a failed
   * re-check stops the run and pauses the project with `verification_failed`.
   */
  recheckMs?: number
  /**
   * Longest pause of the scheduler, ms (default 5): besides waking when the next start is due
   * (1 ms timer granularity), it passes at least this often (slots freed for pending starts,
   * the metering's tick).
   */
  tickMs?: number
  /** Visits in flight per project at most (default 256). */
  concurrency?: number
  /** Longest a due start waits for a slot before it is dropped, ms (default 250). */
  maxWaitMs?: number
  /** Credits per hold (default: 10 s of the project's rate, at least 20). */
  blockSize?: (perMinute: number) => number
  /**
   * Least time between the starts of a run's charge groups under load, ms (default 25; 0 = a
   * group forms as soon as the previous one committed). At low load a group forms at once.
   */
  chargeGapMs?: number
  /** Longest `stop()` waits for runs to drain, ms (default 30000); the rest is abandoned. */
  stopTimeoutMs?: number
  /** Called for every settled visit (the live pulse). */
  onHit?: (hit: VisitHit) => void
  /**
   * Finished runs kept in memory for `stats()` (default the last 20 per project, 1,000 in all;
   * `keepRecentRuns`). Older runs live on in `visitor_runs` and the report.
   */
  finishedRuns?: RunListBounds
}

/** The engine. */
export interface VisitorEngine {
  /** Reads the projects now and starts timers. */
  start(): Promise<void>
  /** Reads the projects once (also called by the timer): starts, retargets and stops runs. */
  poll(): Promise<void>
  /** Graceful stop: no new visits, in-flight ones settle, holds released, runs closed (projects stay active). */
  stop(): Promise<void>
  /** Crash stand-in for tests: timers stop and visits are abandoned; nothing is released or closed. */
  kill(): void
  /**
   * Stats of running runs and of the finished runs kept in memory (`finishedRuns` bounds),
   * oldest first, optionally of one project.
   */
  stats(projectId?: string): RunStats[]
}

/**
 * The ledger key of a charge group: the run and the group's sequence number in it, fixed when
 * the group forms (a retried transaction reuses it, so the group is charged once). Run IDs are
 * fresh per run, so a restarted engine never reuses a key.
 */
export const groupCommitKey = (runId: string, seq: number): string => `visits:${runId}:${seq}`

/** The hold reference of a project's holds (how a restart finds them). */
export const holdReference = (projectId: string): string => `visitors:project:${projectId}`

const pct = (h: hdr.Histogram) => ({
  p50: h.getValueAtPercentile(50) / 1000,
  p95: h.getValueAtPercentile(95) / 1000,
  p99: h.getValueAtPercentile(99) / 1000,
  max: h.maxValue / 1000,
})

/**
 * Creates the engine. Nothing runs until `start()`.
 * @throws nothing at creation; run-time failures are logged and retried on the next poll.
 */
export function createVisitorEngine(deps: VisitorEngineDeps): VisitorEngine {
  const { db, ledger, clock } = deps
  const random = deps.random ?? systemRandom
  const toProject = deps.toEngineProject ?? minimalEngineProject
  const tickMs = deps.tickMs ?? 5
  const pollMs = deps.pollMs ?? 5000
  const recheckMs = deps.recheckMs ?? 3_600_000
  const concurrency = deps.concurrency ?? 256
  const maxWaitMs = deps.maxWaitMs ?? 250
  const chargeGapMs = Math.max(0, deps.chargeGapMs ?? 25)
  const blockSize = deps.blockSize ?? ((pm: number) => Math.max(20, Math.ceil(pm / 6)))
  const mode = deps.mode ?? 'poisson'
  const runners = new Map<string, Runner>()
  let finished: RunStats[] = []
  const runBounds = deps.finishedRuns ?? DEFAULT_RUN_BOUNDS
  const abort = new AbortController()
  let tickTimer: NodeJS.Timeout | undefined
  let ticking = false
  let pollTimer: NodeJS.Timeout | undefined
  let dead = false
  let polling: Promise<void> | undefined

  interface Runner {
    project: EngineProject
    runId: string
    sched: ScheduleState
    meter: MeterState
    stats: RunStats
    latency: hdr.Histogram
    lag: hdr.Histogram
    startedMs: number
    visits: Map<string, { holdId: string }>
    /** Answered visits waiting for their charge group, in order. */
    charges: { visitId: string; holdId: string }[]
    /** A charge transaction is in flight (the next group gathers meanwhile). */
    charging: boolean
    /** Charge groups formed so far (the next group key's suffix). */
    groupSeq: number
    /** When the last charge group formed, epoch ms (spacing under load). */
    lastGroupAtMs: number
    pending: Set<Promise<unknown>>
    done: Promise<void>
    resolveDone: () => void
    /** When the hosts were last verified for this run (at its start, then every `recheckMs`), epoch ms. */
    checkedAtMs: number
    /** A re-check is in flight. */
    checking: boolean
    /** Per-run constants of every visit, computed once (not per launch: 5,000 launches a second). */
    allowedHosts: ReadonlySet<string>
    signingKey: Buffer | string
  }

  const now = () => clock.now().getTime()

  function track(r: Runner, p: Promise<unknown>) {
    r.pending.add(p)
    p.finally(() => r.pending.delete(p)).catch(() => {})
  }

  /** Feeds an observation to the runner's meter and performs the actions. */
  function observe(r: Runner, obs: MeterObservation) {
    if (dead) return
    const out = meter(r.meter, obs, now())
    r.meter = out.state
    perform(r, out.actions)
  }

  function perform(r: Runner, actions: MeterAction[]) {
    const releases: Promise<unknown>[] = []
    for (const a of actions) {
      switch (a.type) {
        case 'reserve':
          track(r, doReserve(r, a.amount, a.idempotencyKey))
          break
        case 'start':
          r.visits.set(a.visitId, { holdId: a.holdId })
          break
        case 'refuse':
          if (a.reason === 'no_credit') {
            r.stats.droppedNoCredit++
            r.stats.dropped++
          } else r.stats.limited++
          break
        case 'commit':
          // The core's per-visit key (`visit:<id>`) is not used: charges are group-committed.
          queueCharge(r, a.visitId, a.holdId)
          break
        case 'release': {
          const p = ledger
            .release({ holdId: a.holdId, idempotencyKey: `visitors:release:${a.holdId}` }, clock.now())
            .catch((err) => deps.logger?.warn({ err, holdId: a.holdId }, 'visitors: hold release failed'))
          releases.push(p)
          track(r, p)
          break
        }
        case 'finish':
          track(
            r,
            Promise.all(releases).then(() => finish(r, a.reason)),
          )
          break
      }
    }
  }

  async function doReserve(r: Runner, amount: number, key: string) {
    const { workspaceId, id } = r.project
    try {
      const { hold } = await ledger.reserve(
        { workspaceId, amount: BigInt(amount), idempotencyKey: key, reference: holdReference(id) },
        clock.now(),
      )
      await db.update(visitorProjects).set({ holdId: hold.id }).where(eq(visitorProjects.id, id))
      observe(r, {
        type: 'reserved',
        holdId: hold.id,
        amount: Number(hold.amount - hold.committed - hold.released),
      })
    } catch (err) {
      let available = 0
      if (err instanceof AppError && err.code === 'insufficient_funds') {
        available = Number((err.details as { balance?: string } | undefined)?.balance ?? 0)
      } else {
        deps.logger?.warn({ err, projectId: id }, 'visitors: reserve failed')
        available = Number(await ledger.balance(ledgerAccounts.visitsAvailable(workspaceId)).catch(() => 0n))
      }
      observe(r, { type: 'reserve_failed', available })
    }
  }

  /**
   * Queues an answered visit's charge. While a charge transaction is in flight the next group
   * gathers; with none in flight the visit's group forms and commits at once (no timer: at low
   * load a group is one visit and nothing waits). README "Engine", group commit of charges.
   */
  function queueCharge(r: Runner, visitId: string, holdId: string) {
    r.charges.push({ visitId, holdId })
    if (!r.charging) track(r, chargeLoop(r))
  }

  /** Commits the queued charges group by group until the queue is empty. */
  async function chargeLoop(r: Runner) {
    r.charging = true
    try {
      while (r.charges.length > 0 && !dead) {
        // Let the I/O callbacks of this event-loop turn queue their charges first: PGlite runs
        // a transaction as one chain of promise continuations, during which no socket callback
        // runs, so a group formed synchronously would always be the one visit that started it.
        // `setImmediate` is no timer: it runs right after this turn's I/O (the check phase).
        // Under load the groups are also spaced at least `chargeGapMs` apart (from one group's
        // start to the next): on PGlite a charge transaction costs ~4.5 ms of this thread's CPU
        // whatever its size, so back-to-back groups would take the CPU the visits need. At low
        // load (the last group started longer ago) a group still forms at once.
        const wait = Math.min(chargeGapMs, Math.max(0, r.lastGroupAtMs + chargeGapMs - now()))
        if (wait > 0) await new Promise<void>((res) => setTimeout(res, wait))
        else await new Promise<void>((res) => setImmediate(res))
        if (dead) break
        r.lastGroupAtMs = now()
        // Everything queued forms the groups now, one per hold; their keys are fixed here, so
        // a retry of a group's transaction reuses its key and charges once.
        const byHold = new Map<string, string[]>()
        for (const c of r.charges.splice(0)) {
          const ids = byHold.get(c.holdId)
          if (ids) ids.push(c.visitId)
          else byHold.set(c.holdId, [c.visitId])
        }
        for (const [holdId, visitIds] of byHold) {
          const key = groupCommitKey(r.runId, r.groupSeq++)
          await chargeGroup(r, holdId, visitIds, key)
        }
      }
    } finally {
      r.charging = false
    }
  }

  /**
   * One group's transaction: a hold commit of `visitIds.length` visits with `key` and the
   * counters (`visits_done`, `visitor_daily`, `visitor_runs.visits`) `+ n`, retried with the
   * same key; then each visit is reported `committed` (or `commit_lost` when it failed for good:
   * those visits stay uncharged and their credits stay reserved until the hold's release).
   */
  async function chargeGroup(r: Runner, holdId: string, visitIds: string[], key: string) {
    const n = visitIds.length
    for (let attempt = 0; attempt < 5 && !dead; attempt++) {
      try {
        const at = clock.now()
        const day = dayIn(r.project.timezone, at.getTime())
        await db.transaction(async (t) => {
          const tx = t as unknown as Db
          const c = await ledger.commit({ holdId, amount: BigInt(n), idempotencyKey: key }, at, tx)
          if (!c.created) return // charged before: the counters were written with it
          await tx
            .update(visitorProjects)
            .set({ visitsDone: sql`${visitorProjects.visitsDone} + ${n}` })
            .where(eq(visitorProjects.id, r.project.id))
          await tx
            .insert(visitorDaily)
            .values({ projectId: r.project.id, day, visits: n })
            .onConflictDoUpdate({
              target: [visitorDaily.projectId, visitorDaily.day],
              set: { visits: sql`${visitorDaily.visits} + ${n}` },
            })
          await tx
            .update(visitorRuns)
            .set({ visits: sql`${visitorRuns.visits} + ${n}` })
            .where(eq(visitorRuns.id, r.runId))
        })
        if (dead) return
        r.stats.charged += n
        r.stats.chargeGroups++
        for (const visitId of visitIds) observe(r, { type: 'committed', visitId, holdId })
        return
      } catch (err) {
        deps.logger?.warn({ err, key, visits: n }, 'visitors: charge failed, retrying with the same key')
        await new Promise((res) => setTimeout(res, 50 * 2 ** attempt))
      }
    }
    if (!dead)
      deps.logger?.warn(
        { key, holdId, visits: n },
        'visitors: charge group failed for good; its visits stay uncharged, credits released at stop',
      )
    for (const visitId of visitIds) observe(r, { type: 'commit_lost', visitId, holdId })
  }

  function pickUrl(p: EngineProject): string {
    const total = p.urls.reduce((n, u) => n + u.weight, 0)
    let x = random.next() * total
    for (const u of p.urls) {
      x -= u.weight
      if (x < 0) return u.url
    }
    return p.urls[p.urls.length - 1]!.url
  }

  function launch(r: Runner, visitId: string, scheduledMs: number) {
    const entry = r.visits.get(visitId)
    if (!entry) return
    const launchedMs = now()
    r.lag.recordValue(Math.max(0, Math.round((launchedMs - scheduledMs) * 1000)))
    r.stats.started++
    const device: Device = random.next() < r.project.desktopShare ? 'desktop' : 'mobile'
    r.stats[device]++
    const url = pickUrl(r.project)
    // Drawn only for geo-targeted projects, so other projects' random sequences are unchanged.
    const geo = r.project.geoTargets ?? []
    const country = geo.length > 0 ? pickCountry(geo, random.next()) : null
    const mode = r.project.mode ?? 'http'
    const visitor: Visitor | undefined = mode === 'browser' ? deps.browser : deps.http
    const req = {
      url,
      device,
      uaIndex: Math.floor(random.next() * 1000),
      runId: r.runId,
      signingKey: r.signingKey,
      allowedHosts: r.allowedHosts,
      signal: abort.signal,
      timeOnPageMs: r.project.timeOnPageMs,
      referrer: r.project.referrer ?? null,
      country,
    }
    const visit: Promise<VisitorOutcome> = visitor
      ? visitor.visit(req)
      : Promise.resolve({
          answered: false,
          error: 'other',
          doneAtMs: now(),
          redirects: 0,
          subresources: 0,
          subresourceErrors: 0,
          bytes: 0,
          finalUrl: url,
        })
    const p = visit.then((o) =>
      settle(r, visitId, entry.holdId, url, device, mode, country, scheduledMs, o, launchedMs),
    )
    track(r, p)
  }

  function settle(
    r: Runner,
    visitId: string,
    holdId: string,
    url: string,
    device: Device,
    mode: 'http' | 'browser',
    country: string | null,
    scheduledMs: number,
    o: VisitorOutcome,
    launchedMs: number,
  ) {
    if (dead) return
    r.visits.delete(visitId)
    if (o.dropped) {
      // No page slot (browser mode's cap): not launched after all — counted as dropped, not charged.
      r.stats.started--
      r.stats[device]--
      r.stats.dropped++
      observe(r, { type: 'visit_settled', visitId, holdId, charged: false })
      return
    }
    if (o.error) r.stats.errors[o.error] = (r.stats.errors[o.error] ?? 0) + 1
    let latencyMs: number | null = null
    if (o.answered) {
      r.stats.answered++
      const cls = `${Math.floor((o.status ?? 0) / 100)}xx`
      r.stats.statuses[cls] = (r.stats.statuses[cls] ?? 0) + 1
      latencyMs = Math.max(0, (o.headersAtMs ?? o.doneAtMs) - scheduledMs)
      r.latency.recordValue(Math.round(latencyMs * 1000))
    }
    deps.onHit?.({
      visitId,
      workspaceId: r.project.workspaceId,
      projectId: r.project.id,
      runId: r.runId,
      url,
      device,
      mode,
      country,
      status: o.status ?? null,
      error: o.error ?? null,
      latencyMs,
      charged: o.answered,
      bytes: o.bytes,
      scheduledAt: new Date(scheduledMs),
      startedAt: new Date(launchedMs),
      at: clock.now(),
    })
    observe(r, { type: 'visit_settled', visitId, holdId, charged: o.answered })
  }

  function tick(r: Runner) {
    const t = now()
    observe(r, { type: 'tick' })
    if (r.meter.phase !== 'running') return
    if (r.stats.started === 0 && r.meter.holds.length === 0 && r.meter.reserving) {
      // Not paid for yet: the schedule starts when the first credits are reserved, instead of
      // counting the starts due meanwhile as dropped for want of a credit.
      r.sched = initSchedule({ mode, perMinute: r.project.perMinute, originMs: t, seed: r.sched.rng })
      return
    }
    const step = stepSchedule(r.sched, {
      nowMs: t,
      freeSlots: (r.project.concurrency ?? concurrency) - r.meter.inFlight,
      maxWaitMs,
    })
    r.sched = step.state
    r.stats.dropped += step.drop.length
    for (const s of step.start) {
      const visitId = randomUUID()
      observe(r, { type: 'start_requested', visitId })
      launch(r, visitId, s.atMs)
    }
  }

  function snapshot(r: Runner): RunStats {
    const elapsed = Math.max(1, (r.stats.stoppedAt?.getTime() ?? now()) - r.startedMs) / 1000
    return {
      ...r.stats,
      errors: { ...r.stats.errors },
      statuses: { ...r.stats.statuses },
      achievedPerSecond: r.stats.started / elapsed,
      latencyMs: pct(r.latency),
      scheduleLagMs: pct(r.lag),
    }
  }

  async function finish(r: Runner, reason: StopReason) {
    try {
      await finishRun(r, reason)
    } catch (err) {
      deps.logger?.warn({ err, projectId: r.project.id }, 'visitors: closing the run failed')
    } finally {
      runners.delete(r.project.id)
      r.resolveDone()
    }
  }

  async function finishRun(r: Runner, reason: StopReason) {
    if (dead) return
    const at = clock.now()
    r.stats.stoppedAt = at
    r.stats.stopReason = reason
    const failed = Object.values(r.stats.errors).reduce((n, v) => n + (v ?? 0), 0)
    await db
      .update(visitorRuns)
      .set({ stoppedAt: at, stopReason: reason, failed, dropped: r.stats.dropped })
      .where(eq(visitorRuns.id, r.runId))
    const status = statusAfter(reason)
    await db
      .update(visitorProjects)
      .set({
        holdId: null,
        updatedAt: at,
        ...(status ? { status, pauseReason: status === 'paused' ? reason : null } : {}),
      })
      .where(eq(visitorProjects.id, r.project.id))
    finished.push(snapshot(r))
    finished = keepRecentRuns(finished, runBounds)
  }

  /** Releases holds and closes runs a crashed engine left behind. */
  async function cleanUp(projectId: string, at: Date) {
    for (const h of await ledger.openHolds(holdReference(projectId)))
      await ledger.release({ holdId: h.id, idempotencyKey: `visitors:release:${h.id}` }, at)
    await db
      .update(visitorRuns)
      .set({ stoppedAt: at, stopReason: 'interrupted' })
      .where(and(eq(visitorRuns.projectId, projectId), isNull(visitorRuns.stoppedAt)))
  }

  async function startRun(row: VisitorProjectRow) {
    const project = toProject(row)
    const at = clock.now()
    await cleanUp(row.id, at)
    if (!project) {
      await db
        .update(visitorProjects)
        .set({ status: 'paused', pauseReason: 'invalid_settings', holdId: null, updatedAt: at })
        .where(eq(visitorProjects.id, row.id))
      return
    }
    // Geo is never faked: a country without egress (e.g. removed from VISITORS_EGRESS after the
    // project was saved) pauses the project instead of sending its visits out direct.
    const visitor: Visitor | undefined = project.mode === 'browser' ? deps.browser : deps.http
    const noEgress = missingEgress(project.geoTargets ?? [], visitor?.egressCountries ?? [])
    if (noEgress.length > 0) {
      deps.logger?.info({ projectId: row.id, missing: noEgress }, 'visitors: no egress for a target country')
      await db
        .update(visitorProjects)
        .set({ status: 'paused', pauseReason: 'no_egress', holdId: null, updatedAt: at })
        .where(eq(visitorProjects.id, row.id))
      return
    }
    const check = await deps.recheck(project)
    if (!check.ok) {
      deps.logger?.info({ projectId: row.id, reason: check.reason }, 'visitors: verification failed')
      await db
        .update(visitorProjects)
        .set({ status: 'paused', pauseReason: 'verification_failed', holdId: null, updatedAt: at })
        .where(eq(visitorProjects.id, row.id))
      return
    }
    const [run] = await db
      .insert(visitorRuns)
      .values({ workspaceId: project.workspaceId, projectId: project.id, startedAt: at })
      .returning({ id: visitorRuns.id })
    const nowMs = at.getTime()
    const day = dayIn(project.timezone, nowMs)
    const [d] = await db
      .select({ visits: visitorDaily.visits })
      .from(visitorDaily)
      .where(and(eq(visitorDaily.projectId, project.id), eq(visitorDaily.day, day)))
    let resolveDone = () => {}
    const done = new Promise<void>((res) => {
      resolveDone = res
    })
    const r: Runner = {
      project,
      runId: run!.id,
      sched: initSchedule({
        mode,
        perMinute: project.perMinute,
        originMs: nowMs,
        seed: deps.seed ?? randomBytes(4).readUInt32LE(0),
      }),
      meter: initMeter({
        runId: run!.id,
        limits: {
          dailyLimit: project.dailyLimit,
          totalTarget: project.totalTarget,
          expiresAtMs: project.expiresAt?.getTime() ?? null,
          timezone: project.timezone,
        },
        blockSize: blockSize(project.perMinute),
        visitsDone: project.visitsDone,
        dayVisits: d?.visits ?? 0,
        nowMs,
      }),
      stats: {
        workspaceId: project.workspaceId,
        projectId: project.id,
        runId: run!.id,
        startedAt: at,
        stoppedAt: null,
        stopReason: null,
        perMinuteTarget: project.perMinute,
        started: 0,
        achievedPerSecond: 0,
        answered: 0,
        charged: 0,
        chargeGroups: 0,
        errors: {},
        statuses: {},
        dropped: 0,
        droppedNoCredit: 0,
        limited: 0,
        desktop: 0,
        mobile: 0,
        latencyMs: { p50: 0, p95: 0, p99: 0, max: 0 },
        scheduleLagMs: { p50: 0, p95: 0, p99: 0, max: 0 },
      },
      latency: hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000_000,
        numberOfSignificantValueDigits: 3,
      }),
      lag: hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000_000,
        numberOfSignificantValueDigits: 3,
      }),
      startedMs: nowMs,
      visits: new Map(),
      charges: [],
      charging: false,
      groupSeq: 0,
      lastGroupAtMs: 0,
      pending: new Set(),
      done,
      resolveDone,
      checkedAtMs: nowMs,
      checking: false,
      allowedHosts: new Set(project.urls.map((u) => new URL(u.url).host.toLowerCase())),
      signingKey: deps.signingKey(project.workspaceId),
    }
    runners.set(project.id, r)
    tick(r)
  }

  function recheckRunning(r: Runner) {
    r.checking = true
    const check = deps.recheck(r.project).then(
      (c) => {
        r.checking = false
        r.checkedAtMs = now()
        if (c.ok || dead) return
        deps.logger?.info({ projectId: r.project.id, reason: c.reason }, 'visitors: re-check failed')
        observe(r, { type: 'stop_requested', reason: 'verification_failed' })
      },
      (err: unknown) => {
        // The check itself broke (not the owner's answer): try again at the next interval.
        r.checking = false
        r.checkedAtMs = now()
        deps.logger?.warn({ err, projectId: r.project.id }, 'visitors: re-check errored')
      },
    )
    track(r, check)
  }

  async function pollOnce() {
    if (dead) return
    const at = clock.now()
    // Projects paused by their daily limit resume when the limit's day has turned over.
    const limited = await db
      .select()
      .from(visitorProjects)
      .where(and(eq(visitorProjects.status, 'paused'), eq(visitorProjects.pauseReason, 'daily_limit')))
    for (const row of limited) {
      const day = dayIn(row.timezone, at.getTime())
      const [d] = await db
        .select({ visits: visitorDaily.visits })
        .from(visitorDaily)
        .where(and(eq(visitorDaily.projectId, row.id), eq(visitorDaily.day, day)))
      if ((d?.visits ?? 0) < row.dailyLimit)
        await db
          .update(visitorProjects)
          .set({ status: 'active', pauseReason: null, updatedAt: at })
          .where(and(eq(visitorProjects.id, row.id), eq(visitorProjects.status, 'paused')))
    }
    const rows = await db.select().from(visitorProjects).where(eq(visitorProjects.status, 'active'))
    const active = new Map(rows.map((r) => [r.id, r]))
    for (const [id, r] of runners) {
      const row = active.get(id)
      if (!row) observe(r, { type: 'stop_requested', reason: 'stopped' })
      else {
        const p = toProject(row)
        if (p && p.perMinute !== r.project.perMinute) {
          r.sched = retarget(r.sched, p.perMinute, at.getTime())
          r.project = { ...r.project, perMinute: p.perMinute }
          r.stats.perMinuteTarget = p.perMinute
        }
        // New country weights apply from the next visit (countries without egress: kept out by
        // the API at save time; should one slip through, its visits fail as `egress`, uncharged).
        if (p && JSON.stringify(p.geoTargets ?? []) !== JSON.stringify(r.project.geoTargets ?? []))
          r.project = { ...r.project, geoTargets: p.geoTargets ?? [] }
        // Ownership is verified again while the run lasts (in the background: the poll does
        // not wait on the owner's server); a failure drains the run and pauses the project.
        if (!r.checking && at.getTime() - r.checkedAtMs >= recheckMs) recheckRunning(r)
        // Counters of failures and drops reach the run row on every poll.
        const failed = Object.values(r.stats.errors).reduce((n, v) => n + (v ?? 0), 0)
        await db
          .update(visitorRuns)
          .set({ failed, dropped: r.stats.dropped })
          .where(eq(visitorRuns.id, r.runId))
      }
    }
    for (const row of rows) {
      if (runners.has(row.id) || dead) continue
      try {
        await startRun(row)
      } catch (err) {
        deps.logger?.warn({ err, projectId: row.id }, 'visitors: run start failed')
      }
    }
  }

  /**
   * One scheduler pass over every run, then the next pass is timed to the earliest start not
   * yet due (`nextWakeDelayMs`: 1..tickMs ms): a start is launched within about a
   * millisecond of its time instead of waiting for a fixed tick (README "Engine", schedule lag).
   */
  function pass() {
    tickTimer = undefined
    if (!ticking) return
    const scheds: ScheduleState[] = []
    for (const r of runners.values()) {
      tick(r)
      if (r.meter.phase === 'running') scheds.push(r.sched)
    }
    tickTimer = setTimeout(pass, nextWakeDelayMs(scheds, now(), tickMs))
  }
  function stopTicking() {
    ticking = false
    clearTimeout(tickTimer)
    tickTimer = undefined
  }

  const poll = () => {
    polling ??= pollOnce().finally(() => {
      polling = undefined
    })
    return polling
  }

  return {
    async start() {
      await poll()
      ticking = true
      pass()
      pollTimer = setInterval(() => {
        poll().catch((err) => deps.logger?.warn({ err }, 'visitors: poll failed'))
      }, pollMs)
    },
    poll,
    async stop() {
      clearInterval(pollTimer)
      await polling
      const all = [...runners.values()]
      for (const r of all) observe(r, { type: 'stop_requested', reason: 'shutdown' })
      // Visits in flight settle (bounded by the HTTP timeout); keep ticking so nothing stalls.
      // Past `stopTimeoutMs` the rest is abandoned as in a crash (the next start cleans up).
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((res) => {
        timer = setTimeout(() => res('late'), deps.stopTimeoutMs ?? 30_000)
      })
      const outcome = await Promise.race([Promise.all(all.map((r) => r.done)), late])
      clearTimeout(timer)
      stopTicking()
      if (outcome === 'late') {
        deps.logger?.warn({ runs: runners.size }, 'visitors: runs did not drain in time; abandoned')
        dead = true
        abort.abort(new Error('engine stopped'))
      }
    },
    kill() {
      dead = true
      stopTicking()
      clearInterval(pollTimer)
      abort.abort(new Error('engine killed'))
      runners.clear()
    },
    stats(projectId) {
      const list = [...finished, ...[...runners.values()].map(snapshot)]
      return projectId ? list.filter((s) => s.projectId === projectId) : list
    },
  }
}
