/**
 * Shared counters across traffic nodes (routing README, "Shared counters"): cap budget
 * leased in blocks from Redis, and uniqueness / anti-repeat memories written to and warmed
 * from Redis — all beside the hot path, never in it. The redirect reads local numbers only;
 * every Redis call runs on timers and promises whose results land in local state.
 *
 * The decisions are in `cap-lease.core.ts` (pure); the Lua scripts and their model in
 * `cap-lease.script.ts`. This file is the shell: the Redis client, timers, the injected
 * Clock, and the {@link RuntimeState} wrapper the router reads.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Redis, type RedisOptions } from 'ioredis'
import { type Clock, nowMs, systemClock } from '../../../platform/clock.ts'
import type { Logger } from '../../../platform/logger.ts'
import type { Snapshot } from '../core/index.ts'
import { createDayKeyer, hashUserKey, type RuntimeState } from '../hotpath/router-state.ts'
import {
  applyAck,
  applyFailure,
  type CapKind,
  canSpend,
  defaultLeasePolicy,
  diffLeases,
  isExpiredLocally,
  isSettled,
  type LeasePolicy,
  type LeaseState,
  markSent,
  needsReport,
  newLease,
  planReport,
  planSync,
  retire,
  type SyncPlan,
  spend,
  type WantedCap,
} from './cap-lease.core.ts'
import { LEASE_RECONCILE_LUA, LEASE_SYNC_LUA, type SyncResult } from './cap-lease.script.ts'

/**
 * Authoritative clicks delivered per destination (the click store, e.g. ClickHouse): for
 * `dayKey` null all-time, else on the local day `dayKey` (YYYY-MM-DD) in `timezone` (the
 * destinations' cap timezone; one call per distinct timezone and day). Destinations without
 * clicks may be missing from the map (= 0). Counted like the caps count: clicks sent to the
 * offer (a click to a lander counts when its call to action reaches the offer).
 */
export type AuthoritativeCounts = (
  destinationIds: string[],
  dayKey: string | null,
  timezone: string,
) => Promise<Map<string, number>>

/** Options of {@link createSharedCounters}. Durations in ms. */
export interface SharedCountersOptions {
  /** `REDIS_URL` (redis:// or rediss://). */
  redisUrl: string
  /** `CAP_LEASE_BLOCK`: clicks asked for per refill. */
  block: number
  logger: Logger
  /** Default the system clock: day keys of daily caps and visitor memory times. */
  clock?: Clock
  /**
   * Monotonic milliseconds for the lease timers (heartbeat, retry, local expiry); default
   * `performance.now`. Not the Clock: Redis measures lease expiry in real time (its TIME),
   * so the node must too, whatever time a test or replay pretends it is.
   */
  monotonicMs?: () => number
  /** Reconciliation source; absent = no reconciliation (README: what that costs). */
  authoritativeCounts?: AuthoritativeCounts
  /** Key prefix (default `tfx:`); every key this module writes starts with it. */
  prefix?: string
  /** This node's name in the lease hashes (default `<hostname>:<pid>:<random>`; unique per process run). */
  nodeId?: string
  /** Lease tuning (`defaultLeasePolicy`). */
  policy?: Partial<LeasePolicy>
  /** How often leases are looked at (refill, heartbeat, day roll, retries); default 100. */
  tickMs?: number
  /** How often visitor memory writes and reads go to Redis in one pipeline; default 25. */
  visitorFlushMs?: number
  /** Periodic reconciliation (besides each reconnect); default 60,000; 0 = only on reconnect. */
  reconcileMs?: number
  /** Expiry of a daily lease key; default 2 days. */
  dailyKeyTtlMs?: number
  /** How long a reclaimed lease's fields stay as a tombstone (so its node, back, is counted exactly once); default 1 day. */
  tombstoneMs?: number
  /** Visitor writes and reads waiting for the next flush at most; past it new ones are dropped (counted). Default 100,000. */
  maxPendingVisitors?: number
  /** Extra ioredis options (tests: a fast `retryStrategy`). */
  redisOptions?: Partial<RedisOptions>
}

/** One lease as `status()` shows it. */
export interface LeaseStatus {
  destinationId: string
  kind: CapKind
  /** The daily cap's day key (YYYY-MM-DD in the cap timezone); null for the total cap. */
  day: string | null
  cap: number
  /** Budget held and spendable now (0 once the lease expired locally or was retired). */
  remaining: number
  /** Clicks spent and not yet acknowledged by Redis. */
  unreported: number
  spendable: boolean
  /** The last refill got less than asked: the cap is (nearly) used up across all nodes. */
  exhausted: boolean
  retired: boolean
  /** Milliseconds since the last acknowledged sync was sent; null = never acknowledged. */
  sinceSyncMs: number | null
  /** Redis `used` at the last sync (budget granted to all nodes, not given back). */
  used: number | null
}

/** What {@link SharedCounters.status} returns: for `/readyz` and Prometheus. */
export interface SharedCountersStatus {
  nodeId: string
  /** The Redis connection is up (ioredis `ready`). */
  connected: boolean
  lastError: string | null
  lastErrorAtMs: number | null
  leases: LeaseStatus[]
  /** Syncs that asked for budget and got an answer (granted or not), and the clicks granted. */
  refills: number
  grantedClicks: number
  /** Syncs that gave budget back, and the clicks given back. */
  returns: number
  returnedClicks: number
  /** Syncs (grants, reports, returns) that failed or whose reply was lost. */
  grantFailures: number
  /** Budget of expired leases of other nodes that this node's calls reclaimed. */
  reclaimedClicks: number
  /** Times Redis had forgotten one of this node's leases (expired while unreachable, or Redis lost data). */
  leasesLost: number
  /** Clicks counted against a cap with no spendable lease: must stay 0 (the router checks first). */
  overspent: number
  reconciles: number
  reconcileFailures: number
  lastReconcileAtMs: number | null
  lastReconcileError: string | null
  visitors: {
    /** Memory entries written to Redis, and those dropped (Redis down or queue full). */
    written: number
    writesDropped: number
    /** Visitors looked up in Redis, failed lookups (or skipped while down), and entries warmed into local memory. */
    reads: number
    readsFailed: number
    warmed: number
  }
}

/** The shared counters of one traffic process. */
export interface SharedCounters {
  /**
   * Wraps the process's router state (once): caps read from leases, effects spend leases and
   * queue visitor writes; everything else as `inner`. Call before the first click.
   * @throws Error when called twice.
   */
  attach(inner: RuntimeState): RuntimeState
  /** A new routing snapshot: opens leases for capped destinations, retires others. Synchronous (call from `onSwap`). */
  setSnapshot(snapshot: Snapshot): void
  /**
   * Starts the timers (idempotent) and waits until every wanted lease got its first answer,
   * or `timeoutMs` passed (then capped destinations without budget stay unavailable until
   * it arrives). Never throws.
   */
  ready(timeoutMs?: number): Promise<void>
  /** Starts the timers (idempotent). */
  start(): void
  /**
   * Stops the timers, flushes visitor writes, gives back every lease (waits up to
   * `timeoutMs`, default 2,000) and closes the Redis connection. Leases that could not be
   * given back are reclaimed by Redis after their expiry. Idempotent; no restart after it.
   */
  stop(timeoutMs?: number): Promise<void>
  status(): SharedCountersStatus
}

interface Entry {
  readonly key: string
  readonly destinationId: string
  readonly kind: CapKind
  readonly day: string | null
  state: LeaseState
  used: number | null
  outstanding: number | null
}

interface CapInfo {
  timezone: string
  dailyCap: number | null
  totalCap: number | null
  daily: Entry | undefined
  total: Entry | undefined
}

type LeaseCommands = {
  tfxLeaseSync(key: string, ...args: (string | number)[]): Promise<number[]>
  tfxLeaseReconcile(key: string, ...args: (string | number)[]): Promise<number[]>
}

/** Larger than any cap: what `dailyClicks`/`totalClicks` report for a capped destination without spendable budget. */
const BLOCKED = Number.MAX_SAFE_INTEGER

/**
 * Creates the shared counters (nothing is sent until `ready()`/`start()`; the Redis client
 * connects at once and reconnects by itself).
 * @throws RangeError when `block` is not an integer ≥ 1.
 */
export function createSharedCounters(opts: SharedCountersOptions): SharedCounters {
  const clock = opts.clock ?? systemClock
  const mono = opts.monotonicMs ?? (() => performance.now())
  const log = opts.logger
  const policy = defaultLeasePolicy(opts.block, opts.policy)
  const prefix = opts.prefix ?? 'tfx:'
  const nodeId = opts.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const tickMs = opts.tickMs ?? 100
  const visitorFlushMs = opts.visitorFlushMs ?? 25
  const reconcileMs = opts.reconcileMs ?? 60_000
  const dailyKeyTtlMs = opts.dailyKeyTtlMs ?? 2 * 86_400_000
  const tombstoneMs = opts.tombstoneMs ?? 86_400_000
  const maxPending = opts.maxPendingVisitors ?? 100_000
  const dayKey = createDayKeyer()

  const redis = new Redis(opts.redisUrl, {
    // Fail at once while disconnected instead of queueing: the shell retries on its own
    // schedule, and a queued grant would arrive late and stale.
    enableOfflineQueue: false,
    // A command whose reply was lost is not resent blindly: the lease script recognises the
    // retry by its sequence numbers instead (cap-lease.script.ts).
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    ...opts.redisOptions,
  })
  redis.defineCommand('tfxLeaseSync', { numberOfKeys: 1, lua: LEASE_SYNC_LUA })
  redis.defineCommand('tfxLeaseReconcile', { numberOfKeys: 1, lua: LEASE_RECONCILE_LUA })
  const cmd = redis as unknown as LeaseCommands

  const st = {
    lastError: null as string | null,
    lastErrorAtMs: null as number | null,
    refills: 0,
    grantedClicks: 0,
    returns: 0,
    returnedClicks: 0,
    grantFailures: 0,
    reclaimedClicks: 0,
    leasesLost: 0,
    overspent: 0,
    reconciles: 0,
    reconcileFailures: 0,
    lastReconcileAtMs: null as number | null,
    lastReconcileError: null as string | null,
    written: 0,
    writesDropped: 0,
    reads: 0,
    readsFailed: 0,
    warmed: 0,
  }
  const noteError = (err: unknown) => {
    st.lastError = err instanceof Error ? err.message : String(err)
    st.lastErrorAtMs = nowMs(clock)
  }

  // Reconcile before the first grants and after every reconnect (Redis may have lost data).
  let reconcileDue = opts.authoritativeCounts !== undefined
  let reconciling = false
  let wasDisconnected = false
  redis.on('error', (err) => noteError(err))
  redis.on('close', () => {
    wasDisconnected = true
  })
  redis.on('ready', () => {
    if (wasDisconnected) {
      log.info({ nodeId }, 'shared counters: Redis connection restored')
      if (opts.authoritativeCounts) reconcileDue = true
    }
    wasDisconnected = false
    kick()
  })

  /** Every lease, live and retired-not-settled, by key. */
  const leases = new Map<string, Entry>()
  /** Every capped destination of the snapshot; the hot path's look-up. */
  let caps = new Map<string, CapInfo>()
  let wanted: WantedCap[] = []
  let maxWindowMs = 86_400_000

  const live = (e: Entry | undefined): e is Entry => e !== undefined && !e.state.retired

  /** Aligns leases with `wanted` at wall time `now` (day keys): retire what is not wanted or expired, open what is missing. */
  const reconcileLeases = (now: number) => {
    const m = mono()
    // A lease this node can no longer spend safely (Redis unreachable for almost its expiry):
    // retire it; the next sync tells whether Redis reclaimed it meanwhile.
    for (const e of leases.values()) {
      if (isExpiredLocally(e.state, policy, m)) e.state = retire(e.state)
    }
    const held = new Map<string, number>()
    const settling = new Set<string>()
    for (const e of leases.values()) {
      if (e.state.retired) settling.add(e.key)
      else held.set(e.key, e.state.cap)
    }
    const diff = diffLeases(prefix, held, settling, wanted, now, dayKey)
    for (const key of diff.retire) {
      const e = leases.get(key)!
      e.state = retire(e.state)
    }
    for (const o of diff.open) {
      leases.set(o.key, {
        key: o.key,
        destinationId: o.destinationId,
        kind: o.kind,
        day: o.day,
        state: newLease(o.cap),
        used: null,
        outstanding: null,
      })
    }
    // The hot path's pointers: the live lease of each capped destination, if any.
    for (const info of caps.values()) {
      info.daily = undefined
      info.total = undefined
    }
    for (const e of leases.values()) {
      if (e.state.retired) continue
      const info = caps.get(e.destinationId)
      if (!info) continue
      if (e.kind === 'daily') info.daily = e
      else info.total = e
    }
  }

  const send = (e: Entry, plan: SyncPlan, now: number) => {
    e.state = markSent(e.state, plan, now)
    const keyTtl = e.kind === 'daily' ? dailyKeyTtlMs : 0
    cmd
      .tfxLeaseSync(
        e.key,
        nodeId,
        plan.seq,
        plan.ackSeq,
        plan.spent,
        plan.give,
        plan.want,
        e.state.cap,
        policy.leaseTtlMs,
        keyTtl,
        plan.final ? '1' : '0',
        tombstoneMs,
      )
      .then(
        (raw) => {
          const r: SyncResult = {
            granted: Number(raw[0]),
            lost: Number(raw[1]),
            reclaimedSelf: Number(raw[2]) === 1,
            used: Number(raw[3]),
            reclaimed: Number(raw[4]),
            outstanding: Number(raw[5]),
          }
          e.state = applyAck(e.state, plan, r, now)
          e.used = r.used
          e.outstanding = r.outstanding
          if (plan.want > 0) {
            st.refills++
            st.grantedClicks += r.granted
          }
          if (plan.give > 0) {
            st.returns++
            st.returnedClicks += plan.give
          }
          st.reclaimedClicks += r.reclaimed
          if (r.reclaimedSelf) {
            st.leasesLost++
            log.warn(
              { key: e.key, nodeId },
              'shared counters: Redis had forgotten this lease; its budget is dropped',
            )
          }
          if (isSettled(e.state) && leases.get(e.key) === e) leases.delete(e.key)
          kick()
        },
        (err) => {
          e.state = applyFailure(e.state, mono())
          st.grantFailures++
          noteError(err)
        },
      )
  }

  let lastReconcileTry = Number.NEGATIVE_INFINITY
  /** One reconciliation of every live lease; failures are counted, never thrown. */
  const runReconcile = async () => {
    const counts = opts.authoritativeCounts
    if (!counts || reconciling) return
    reconciling = true
    const wasDue = reconcileDue
    lastReconcileTry = mono()
    try {
      // One call per (day, timezone) group of live leases (day null = the total caps).
      const groups = new Map<string, { day: string | null; tz: string; entries: Entry[] }>()
      for (const e of leases.values()) {
        if (e.state.retired) continue
        const tz = caps.get(e.destinationId)?.timezone ?? 'UTC'
        const g = `${e.day ?? ''}|${tz}`
        let group = groups.get(g)
        if (!group) {
          group = { day: e.day, tz, entries: [] }
          groups.set(g, group)
        }
        group.entries.push(e)
      }
      for (const g of groups.values()) {
        const ids = [...new Set(g.entries.map((e) => e.destinationId))]
        const got = await counts(ids, g.day, g.tz)
        for (const e of g.entries) {
          const n = got.get(e.destinationId) ?? 0
          const keyTtl = e.kind === 'daily' ? dailyKeyTtlMs : 0
          const [, after] = await cmd.tfxLeaseReconcile(e.key, n, keyTtl, tombstoneMs)
          e.used = Number(after)
        }
      }
      st.reconciles++
      st.lastReconcileAtMs = nowMs(clock)
      st.lastReconcileError = null
    } catch (err) {
      st.reconcileFailures++
      st.lastReconcileError = err instanceof Error ? err.message : String(err)
      log.warn({ err }, 'shared counters: reconciliation failed; grants go on, retried at the next period')
    } finally {
      reconciling = false
      // A failed attempt does not hold grants back (the Redis numbers are usually intact).
      if (wasDue) reconcileDue = false
    }
  }

  const tick = () => {
    reconcileLeases(nowMs(clock))
    const now = mono()
    const up = redis.status === 'ready'
    if (opts.authoritativeCounts) {
      if (reconcileDue) {
        // Before the first grants and after a reconnect, grants wait for the attempt; this
        // node's spends are reported first so the count does not include them twice.
        if (!up || reconciling) return
        let reporting = false
        for (const e of leases.values()) {
          if (!needsReport(e.state)) continue
          reporting = true
          const plan = planReport(e.state, policy, now)
          if (plan) send(e, plan, now)
        }
        if (!reporting) void runReconcile().then(kick)
        return
      }
      if (up && reconcileMs > 0 && !reconciling && now - lastReconcileTry >= reconcileMs) void runReconcile()
    }
    for (const e of leases.values()) {
      const plan = planSync(e.state, policy, now)
      if (!plan) {
        if (isSettled(e.state)) leases.delete(e.key)
      } else if (up) send(e, plan, now)
      else if (plan.want > 0) {
        // Redis is down: a refill that cannot be asked for is a failed grant (counted once
        // per retryMs, like a failed call).
        e.state = applyFailure(e.state, now)
        st.grantFailures++
      }
    }
  }

  let kicked = false
  /** Runs a tick soon (the hot path saw a lease run low, or a day roll): no I/O here. */
  const kick = () => {
    if (kicked || !timer) return
    kicked = true
    setImmediate(() => {
      kicked = false
      tick()
    })
  }

  // ---- visitor memory across nodes ----
  const fp = new Uint32Array(2)
  const visitorKey = (userKey: string) => {
    hashUserKey(userKey, fp)
    return `${prefix}v:${fp[0]!.toString(16)}${fp[1]!.toString(16).padStart(8, '0')}`
  }
  let pendingWrites = new Map<string, Map<string, number>>()
  let pendingReads = new Map<string, string>() // redis key → user key
  let inner: RuntimeState | undefined
  let visitorTimer: NodeJS.Timeout | undefined

  const queueWrite = (key: string, field: string, ms: number) => {
    let fields = pendingWrites.get(key)
    if (!fields) {
      if (pendingWrites.size >= maxPending) {
        st.writesDropped++
        return
      }
      fields = new Map()
      pendingWrites.set(key, fields)
    }
    fields.set(field, ms)
    scheduleVisitorFlush()
  }
  const queueRead = (key: string, userKey: string) => {
    if (pendingReads.size >= maxPending) {
      st.readsFailed++
      return
    }
    pendingReads.set(key, userKey)
    scheduleVisitorFlush()
  }
  const scheduleVisitorFlush = () => {
    if (visitorTimer || !timer) return
    visitorTimer = setTimeout(() => void flushVisitors(), visitorFlushMs)
    visitorTimer.unref()
  }
  const flushVisitors = async () => {
    visitorTimer = undefined
    const writes = pendingWrites
    const reads = pendingReads
    pendingWrites = new Map()
    pendingReads = new Map()
    if (writes.size === 0 && reads.size === 0) return
    let nWrites = 0
    for (const f of writes.values()) nWrites += f.size
    if (redis.status !== 'ready') {
      // Local memory still has all of it; other nodes just do not learn it.
      st.writesDropped += nWrites
      st.readsFailed += reads.size
      return
    }
    const pipe = redis.pipeline()
    for (const [key, fields] of writes) {
      const args: (string | number)[] = []
      for (const [f, ms] of fields) args.push(f, ms)
      pipe.hset(key, ...args)
      pipe.pexpire(key, maxWindowMs)
    }
    const readKeys = [...reads.keys()]
    for (const key of readKeys) pipe.hgetall(key)
    let results: [Error | null, unknown][] | null
    try {
      results = await pipe.exec()
    } catch (err) {
      st.writesDropped += nWrites
      st.readsFailed += reads.size
      noteError(err)
      return
    }
    if (!results) return
    let i = 0
    for (const fields of writes.values()) {
      const failed = results[i]?.[0] ?? results[i + 1]?.[0]
      if (failed) st.writesDropped += fields.size
      else st.written += fields.size
      i += 2
    }
    const now = nowMs(clock)
    for (const key of readKeys) {
      const [err, value] = results[i++] ?? [null, null]
      const userKey = reads.get(key)!
      if (err || !value) {
        st.readsFailed++
        continue
      }
      st.reads++
      for (const [field, raw] of Object.entries(value as Record<string, string>)) {
        const ms = Number(raw)
        if (!Number.isFinite(ms) || now - ms >= maxWindowMs) continue
        const kind = field.startsWith('c:') ? 'campaign' : field.startsWith('d:') ? 'destination' : undefined
        if (!kind || !inner) continue
        inner.warm(userKey, kind, field.slice(2), ms)
        st.warmed++
      }
    }
  }

  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const start = () => {
    if (timer || stopped) return
    timer = setInterval(tick, tickMs)
    timer.unref()
    kick()
  }

  const spendEntry = (e: Entry | undefined) => {
    const next = e === undefined ? undefined : spend(e.state)
    if (!next) {
      st.overspent++
      return
    }
    e!.state = next
    if (next.remaining < policy.lowWater) kick()
  }

  return {
    attach(state) {
      if (inner) throw new Error('shared counters: attach() called twice')
      inner = state
      const base = state
      return {
        ...base,
        dailyClicks(id, now) {
          const info = caps.get(id)
          if (!info || info.dailyCap === null) return base.dailyClicks(id, now)
          const e = info.daily
          const ms = now.getTime()
          if (!live(e)) return BLOCKED
          if (e.day !== dayKey(info.timezone, ms)) {
            // The day rolled: today's lease opens at the next tick.
            kick()
            return BLOCKED
          }
          return canSpend(e.state) ? 0 : BLOCKED
        },
        totalClicks(id) {
          const info = caps.get(id)
          if (!info || info.totalCap === null) return base.totalClicks(id)
          const e = info.total
          return e !== undefined && canSpend(e.state) ? 0 : BLOCKED
        },
        delivered(id) {
          const e = caps.get(id)?.total
          if (!e || e.used === null || e.outstanding === null) return base.delivered(id)
          // Reported spends of all nodes at the last sync, plus this node's since.
          return Math.max(0, e.used - e.outstanding) + e.state.unreported
        },
        apply(effects, ms) {
          const { userKey, campaignId } = effects.rememberCampaign
          const knownHere = base.lastSeenCampaign(userKey, campaignId) !== undefined
          base.apply(effects, ms)
          const id = effects.countDestination
          if (id !== undefined) {
            const info = caps.get(id)
            if (info) {
              if (info.dailyCap !== null) spendEntry(info.daily)
              if (info.totalCap !== null) spendEntry(info.total)
            }
          }
          const key = visitorKey(userKey)
          if (!knownHere) queueRead(key, userKey)
          queueWrite(key, `c:${campaignId}`, ms)
          const dest = effects.rememberDestination
          if (dest)
            queueWrite(
              dest.userKey === userKey ? key : visitorKey(dest.userKey),
              `d:${dest.destinationId}`,
              ms,
            )
        },
      }
    },

    setSnapshot(snap) {
      const next = new Map<string, CapInfo>()
      const want: WantedCap[] = []
      let maxWin = 0
      for (const d of snap.destinationsById.values()) {
        const dailyCap = d.row.dailyClickCap ?? null
        const totalCap = d.row.totalClickCap ?? null
        if (dailyCap === null && totalCap === null) continue
        next.set(d.id, {
          timezone: d.row.capTimezone || 'UTC',
          dailyCap,
          totalCap,
          daily: undefined,
          total: undefined,
        })
      }
      // Lease only what can be routed: active destinations linked actively from active
      // campaigns' streams. Every other capped destination stays unavailable (no lease).
      const routable = new Set<string>()
      for (const c of snap.campaignsById.values()) {
        maxWin = Math.max(maxWin, c.uniqueWindowMs, c.antiRepeat.windowMs)
        if (c.status !== 'active') continue
        for (const s of c.streams)
          for (const l of s.links)
            if (l.active && l.destination && l.destination.row.status === 'active')
              routable.add(l.destinationId)
      }
      for (const [id, info] of next)
        if (routable.has(id))
          want.push({
            destinationId: id,
            timezone: info.timezone,
            dailyCap: info.dailyCap,
            totalCap: info.totalCap,
          })
      caps = next
      wanted = want
      if (maxWin > 0) maxWindowMs = maxWin
      reconcileLeases(nowMs(clock))
      kick()
    },

    async ready(timeoutMs = 2_000) {
      start()
      const until = nowMs(systemClock) + timeoutMs
      while (nowMs(systemClock) < until) {
        let waiting = false
        for (const e of leases.values())
          if (!e.state.retired && e.state.ackSeq === 0) {
            waiting = true
            break
          }
        if (!waiting && !reconcileDue && !reconciling) return
        await new Promise((r) => setTimeout(r, 5))
      }
    },

    start,

    async stop(timeoutMs = 2_000) {
      if (stopped) return
      stopped = true
      if (timer) clearInterval(timer)
      timer = undefined
      if (visitorTimer) clearTimeout(visitorTimer)
      visitorTimer = undefined
      await flushVisitors().catch(() => {})
      wanted = []
      const until = nowMs(systemClock) + timeoutMs
      for (const e of leases.values()) e.state = retire(e.state)
      while (leases.size > 0 && nowMs(systemClock) < until && redis.status === 'ready') {
        const now = mono()
        for (const e of leases.values()) {
          const plan = planSync(e.state, policy, now)
          if (plan) send(e, plan, now)
          else if (isSettled(e.state)) leases.delete(e.key)
        }
        await new Promise((r) => setTimeout(r, 5))
      }
      if (leases.size > 0)
        log.warn(
          { leases: leases.size },
          'shared counters: leases not given back; Redis reclaims them after expiry',
        )
      try {
        await redis.quit()
      } catch {
        redis.disconnect()
      }
    },

    status() {
      const now = mono()
      return {
        nodeId,
        connected: redis.status === 'ready',
        lastError: st.lastError,
        lastErrorAtMs: st.lastErrorAtMs,
        leases: [...leases.values()].map((e) => ({
          destinationId: e.destinationId,
          kind: e.kind,
          day: e.day,
          cap: e.state.cap,
          remaining: e.state.remaining,
          unreported: e.state.unreported,
          spendable: canSpend(e.state) && !isExpiredLocally(e.state, policy, now),
          exhausted: e.state.exhausted,
          retired: e.state.retired,
          sinceSyncMs: Number.isFinite(e.state.lastSentAckedMs)
            ? Math.round(now - e.state.lastSentAckedMs)
            : null,
          used: e.used,
        })),
        refills: st.refills,
        grantedClicks: st.grantedClicks,
        returns: st.returns,
        returnedClicks: st.returnedClicks,
        grantFailures: st.grantFailures,
        reclaimedClicks: st.reclaimedClicks,
        leasesLost: st.leasesLost,
        overspent: st.overspent,
        reconciles: st.reconciles,
        reconcileFailures: st.reconcileFailures,
        lastReconcileAtMs: st.lastReconcileAtMs,
        lastReconcileError: st.lastReconcileError,
        visitors: {
          written: st.written,
          writesDropped: st.writesDropped,
          reads: st.reads,
          readsFailed: st.readsFailed,
          warmed: st.warmed,
        },
      }
    },
  }
}
