/**
 * The imperative shell of inbound postbacks: gathers the admission facts (network, IP
 * allowlist, secret, parse; the order and the refusals are `admitPostback` in
 * conversions.core.ts) → click lookup → one PostgreSQL transaction (conversion + event +
 * log) → ClickHouse outbox.
 *
 * Every request ends in exactly one `postback_log` row, written in the same transaction as
 * the conversion change when there is one (so an accepted conversion always has its log) —
 * except unauthenticated refusals past their sample (`sampleRefusalLog`), which are only
 * counted: they use the per-IP and per-network refusal budgets (429 past them) and touch no
 * database beyond the cached network lookup (README "Refused postbacks").
 * Concurrency: the conversion of a key is row-locked (`SELECT … FOR UPDATE`); a new one is
 * inserted with `ON CONFLICT DO NOTHING` on the partial unique indexes, and the loser of an
 * insert race re-reads the winner's committed row and decides again (→ duplicate). So N
 * identical postbacks arriving together count once, on PostgreSQL and on PGlite.
 */
import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, nowMs, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import type { Logger } from '../../platform/logger.ts'
import { clickIdTime, isClickId } from '../routing/index.ts'
import {
  type ClickInfo,
  findClickInClickHouse,
  NO_RECENT_CLICKS,
  type RecentClicks,
  withLanderOffer,
} from './click.lookup.ts'
import {
  admitPostback,
  clickRefusal,
  destinationDefaults,
  isFutureClickTime,
  isNetworkRef,
  isUnauthenticatedOutcome,
  type LiveConversion,
  NETWORK_PARAM,
  needsDestinationDefaults,
  OUTCOME_HTTP_STATUS,
  type PostbackOutcome,
  type RefusalLogWindow,
  refusalLogKey,
  sampleRefusalLog,
} from './conversions.core.ts'
import {
  loadDestinationPayout,
  loadNetwork,
  loadNetworkIds,
  type NetworkForPostback,
  type PostbackLogInsert,
} from './conversions.repository.ts'
import { createConversionSync, type SyncResult, type SyncStats } from './conversions.sync.ts'
import {
  compileAllowlist,
  LOG_BODY_MAX,
  LOG_QUERY_MAX,
  presentedSecret,
  redactSecrets,
  secretMatches,
} from './network.auth.ts'
import { parsePostback, postbackFields } from './postback.parse.ts'
import {
  type AcceptedConversionChange,
  type CommitterStats,
  type ConversionOutbox,
  createPostbackCommitter,
} from './postback.committer.ts'

export type { AcceptedConversionChange, ConversionOutbox } from './postback.committer.ts'

/** One inbound HTTP request at `/postback`, as the route hands it over. */
export interface InboundPostback {
  /** 'GET' or 'POST'. */
  method: string
  /** Query string without the `?` ('' for none). */
  rawQuery: string
  /** Raw body text (POST); undefined or '' for none. */
  body?: string | undefined
  contentType?: string | undefined
  /** Request headers (lower-case names). */
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** Client IP (X-Forwarded-For honoured only from TRUSTED_PROXIES). */
  ip: string
}

/** What the route answers. */
export interface PostbackResult {
  outcome: PostbackOutcome
  /** HTTP status ({@link OUTCOME_HTTP_STATUS}). */
  httpStatus: number
  reason: string
  /** The conversion created, changed or duplicated (accepted / duplicate). */
  conversionId?: string
  /** The `postback_log` row ID ('' when the log write failed or the refusal was not sampled into the log). */
  logId: string
  /** For `rate_limited`: whole seconds until the spent budget refills (the `Retry-After` header). */
  retryAfterSeconds?: number
}

/** Where accepted changes are announced after their commit: the live hub's `publish`. */
export interface ConversionLivePublisher {
  publish(workspaceId: string, event: LiveConversion): void
}

/** The live-feed shape of an accepted change. */
export function liveConversion(change: AcceptedConversionChange): LiveConversion {
  const { conversion: c, event: e } = change
  return {
    type: 'conversion',
    conversion_id: change.conversionId,
    click_id: c.clickId,
    campaign_id: c.campaignId,
    network_id: c.networkId ?? '',
    status: e.status,
    previous_status: e.previousStatus,
    payout_micros: e.payoutMicros,
    revenue_delta_micros: e.revenueDeltaMicros,
    currency: e.currency,
    ts: new Date(e.ts).toISOString(),
  }
}

/** Dependencies and options of {@link createConversionsService}. */
export interface ConversionsServiceDeps {
  db: Db
  clickhouse: ClickHouseHandle
  /** Called in the transaction of every accepted change (see {@link ConversionOutbox}). */
  outbox?: ConversionOutbox
  /** Told of every accepted change after its commit (the live feed); never on a rollback. */
  live?: ConversionLivePublisher
  /**
   * Clicks this process served that ClickHouse may not hold yet: `recentClicksOf(pipeline)`
   * in a process that routes traffic (see README "Wiring"); none by default.
   */
  recentClicks?: RecentClicks
  clock?: Clock
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Background outbox sync period, ms (default 5,000). */
  syncIntervalMs?: number
  /** Delay between an accepted postback and the sync it triggers, ms (default 100; batches bursts). */
  syncDelayMs?: number
  /**
   * How long a network's settings (or its absence) are cached, ms on `clock` (default 1,000;
   * 0 = no cache). At most 10,000 networks are cached, least recently used evicted first.
   */
  networkCacheMs?: number
  /** Max events per ClickHouse insert (default 5,000). */
  syncBatchSize?: number
  /** Lease before another process re-sends an unsynced batch, ms (default 30,000). */
  syncLeaseMs?: number
  /** Budgets and log sampling of unauthenticated refusals (README "Refused postbacks"). */
  refusals?: Partial<RefusalLimits>
  /** Group commit (README "Group commit"): max postbacks per transaction (default 500). */
  batchMax?: number
  /** Max postbacks waiting for a transaction; past it 503 with Retry-After (default 10,000). */
  queueMax?: number
  /** Batches in flight at once (default 1; 2–4 on PostgreSQL keeps its connections busy). */
  batchConcurrency?: number
  /** How long a batch that is not full waits for more postbacks, ms (default 0; the server's is POSTBACK_BATCH_LINGER_MS). */
  batchLingerMs?: number
}

/**
 * How much unauthenticated refusals (`UNAUTHENTICATED_OUTCOMES`) may cost. Defaults in
 * {@link DEFAULT_REFUSAL_LIMITS}; the server takes them from `POSTBACK_REFUSED_*` (src/config.ts).
 */
export interface RefusalLimits {
  /** Refusals per client IP per minute; past it the IP is answered 429 before any lookup (0 = no limit). */
  perIpPerMinute: number
  /** Refusals per network per minute; past it that network's refusals are answered 429 (0 = no limit). */
  perNetworkPerMinute: number
  /** Postback log rows per (outcome, network) per minute for these refusals; the rest are only counted. */
  logPerMinute: number
}

/** Defaults of {@link RefusalLimits}. */
export const DEFAULT_REFUSAL_LIMITS: Readonly<RefusalLimits> = {
  perIpPerMinute: 60,
  perNetworkPerMinute: 600,
  logPerMinute: 10,
}

/** Counters of the service. */
export interface ConversionsStats {
  outcomes: Record<PostbackOutcome, number>
  sync: SyncStats
  /** Group commit: batches, their sizes, retries, fallbacks, refusals for a full queue. */
  batches: CommitterStats
}

/** The conversions service. */
export interface ConversionsService {
  /** Handles one inbound postback end to end (never throws; infrastructure errors → outcome `error`). */
  handlePostback(req: InboundPostback): Promise<PostbackResult>
  /**
   * The click of `workspaceId` named `clickId`: this process's recent clicks, then ClickHouse.
   * @throws the ClickHouse error when the store is unreachable.
   */
  findClick(workspaceId: string, clickId: string): Promise<ClickInfo | undefined>
  /** Sends pending conversion events to ClickHouse now (exactly once; see conversions.sync.ts). */
  syncPendingConversionEvents(): Promise<SyncResult>
  /** Starts the periodic outbox sync. */
  start(): void
  /** Stops the timers and runs a last sync (bounded by ClickHouse's own timeouts). */
  stop(): Promise<void>
  stats(): ConversionsStats
}

/**
 * Creates the conversions service. Nothing runs in the background until `start()`.
 */
export function createConversionsService(deps: ConversionsServiceDeps): ConversionsService {
  const { db, clickhouse } = deps
  const clock = deps.clock ?? systemClock
  const recentClicks = deps.recentClicks ?? NO_RECENT_CLICKS
  const networkCacheMs = deps.networkCacheMs ?? 1000
  const sync = createConversionSync({
    db,
    clickhouse,
    clock,
    ...(deps.syncBatchSize !== undefined ? { batchSize: deps.syncBatchSize } : {}),
    ...(deps.syncLeaseMs !== undefined ? { leaseMs: deps.syncLeaseMs } : {}),
  })
  const committer = createPostbackCommitter({
    db,
    outbox: deps.outbox,
    logger: deps.logger,
    ...(deps.batchMax !== undefined ? { maxBatch: deps.batchMax } : {}),
    ...(deps.queueMax !== undefined ? { maxQueue: deps.queueMax } : {}),
    ...(deps.batchConcurrency !== undefined ? { concurrency: deps.batchConcurrency } : {}),
    ...(deps.batchLingerMs !== undefined ? { lingerMs: deps.batchLingerMs } : {}),
  })
  const outcomes = Object.fromEntries(
    Object.keys(OUTCOME_HTTP_STATUS).map((k) => [k, 0]),
  ) as ConversionsStats['outcomes']

  // Bounded: random unknown IDs from the internet must not grow it without limit. Entries
  // are boxed because an unknown network (undefined) is cached too. Expiry reads `clock`
  // on every check (ttlResolution 0), so a manual clock in tests moves it.
  const networkCache =
    networkCacheMs > 0
      ? new LRUCache<string, { value: NetworkForPostback | undefined }>({
          max: 10_000,
          ttl: networkCacheMs,
          ttlResolution: 0,
          perf: { now: () => nowMs(clock) },
        })
      : undefined
  // The IDs of all networks, read at most once per networkCacheMs and only when an ID misses
  // the settings cache: a flood of random network IDs costs one small query per period
  // instead of one per request (on PGlite every query runs on the event loop the redirects
  // share). An ID created since the last read is unknown for up to networkCacheMs, as a
  // cached unknown network already was.
  let directory: { ids: Set<string>; readAt: number } | undefined
  let directoryRead: Promise<unknown> | undefined
  async function networkMayExist(id: string): Promise<boolean> {
    const now = nowMs(clock)
    if (!directory || now < directory.readAt || now - directory.readAt >= networkCacheMs) {
      directoryRead ??= loadNetworkIds(db)
        .then((ids) => {
          directory = { ids, readAt: nowMs(clock) }
        })
        .finally(() => {
          directoryRead = undefined
        })
      await directoryRead
    }
    return directory?.ids.has(id) ?? true
  }
  async function network(id: string): Promise<NetworkForPostback | undefined> {
    const hit = networkCache?.get(id)
    if (hit) return hit.value
    if (networkCache && !(await networkMayExist(id))) {
      networkCache.set(id, { value: undefined })
      return undefined
    }
    const value = await loadNetwork(db, id)
    networkCache?.set(id, { value })
    return value
  }

  const limits: RefusalLimits = { ...DEFAULT_REFUSAL_LIMITS, ...deps.refusals }
  // rate-limiter-flexible reads the system time itself (it takes no clock): the budgets are
  // per wall-clock minute. In memory, per process: a flood spread over N processes gets N
  // budgets, which still bounds it; the point is that no refusal waits on the database.
  const limiter = (points: number) =>
    points > 0 ? new RateLimiterMemory({ points, duration: 60, keyPrefix: '' }) : undefined
  const ipLimiter = limiter(limits.perIpPerMinute)
  const networkLimiter = limiter(limits.perNetworkPerMinute)
  /** Uses one point of `key`: undefined while within budget, else ms until it refills. */
  async function overBudget(rl: RateLimiterMemory | undefined, key: string): Promise<number | undefined> {
    if (!rl) return undefined
    try {
      await rl.consume(key)
      return undefined
    } catch (err) {
      if (err instanceof RateLimiterRes) return err.msBeforeNext
      throw err
    }
  }
  /** When `ip` has already spent its refusal budget (uses nothing): ms until it refills. */
  async function ipBlocked(ip: string): Promise<number | undefined> {
    if (!ipLimiter) return undefined
    const r = await ipLimiter.get(ip)
    return r !== null && r.consumedPoints > limits.perIpPerMinute ? r.msBeforeNext : undefined
  }
  // Keys are (outcome, known network): bounded by the networks; the cap is a safety net.
  const refusalLogWindows = new LRUCache<string, RefusalLogWindow>({ max: 10_000 })

  async function findClick(workspaceId: string, clickId: string): Promise<ClickInfo | undefined> {
    const cached = recentClicks.find(clickId) ?? (await recentClicks.lookup?.(clickId))
    const click = cached
      ? cached.workspace_id === workspaceId
        ? cached
        : undefined
      : await findClickInClickHouse(clickhouse, workspaceId, clickId)
    // A click that went through a lander: credit the offer its call to action led to.
    return click ? withLanderOffer(click, recentClicks, clickhouse) : undefined
  }

  let syncTimer: NodeJS.Timeout | undefined
  let kickTimer: NodeJS.Timeout | undefined
  let running = false
  const kick = () => {
    if (!running || kickTimer) return
    kickTimer = setTimeout(() => {
      kickTimer = undefined
      void sync.syncPending()
    }, deps.syncDelayMs ?? 100)
    kickTimer.unref?.()
  }

  async function handlePostback(req: InboundPostback): Promise<PostbackResult> {
    const receivedAt = clock.now()
    const ip = req.ip.slice(0, 64)
    const log: PostbackLogInsert = {
      id: randomUUID(),
      receivedAt,
      workspaceId: null,
      networkId: null,
      method: req.method.toUpperCase().slice(0, 10),
      // Redacted once the network (and so its secret) is known, or in `finish` without it.
      query: '',
      body: '',
      ip,
      outcome: 'error',
      httpStatus: 500,
      reason: '',
    }
    /**
     * Answers and logs a refusal. `unauthenticated` marks one whose outcome is not in
     * UNAUTHENTICATED_OUTCOMES but whose caller did not show the secret (an unreadable body
     * behind a wrong secret): it uses the refusal budgets and the sampled log all the same.
     */
    /** Set when a refusal budget is spent: ms until it refills. */
    let retryAfterMs: number | undefined
    const retry = () =>
      retryAfterMs === undefined ? {} : { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) }
    /** Whether `log.query`/`log.body` hold the redacted request yet (with the network's secret once known). */
    let redacted = false
    const finish = async (
      refused: PostbackOutcome,
      why: string,
      unauthenticated = isUnauthenticatedOutcome(refused),
    ): Promise<PostbackResult> => {
      let outcome = refused
      let reason = why
      if (unauthenticated && outcome !== 'rate_limited') {
        // Both budgets are used (no short-circuit) so that either limit sees every refusal.
        const ipWait = await overBudget(ipLimiter, ip)
        const netWait = log.networkId ? await overBudget(networkLimiter, log.networkId) : undefined
        if (ipWait !== undefined || netWait !== undefined) {
          outcome = 'rate_limited'
          retryAfterMs = Math.max(ipWait ?? 0, netWait ?? 0)
          reason =
            ipWait !== undefined
              ? 'too many refused postbacks from this IP; retry later'
              : 'too many refused postbacks for this network; retry later'
        }
      }
      log.outcome = outcome
      log.httpStatus = OUTCOME_HTTP_STATUS[outcome]
      log.reason = reason.slice(0, 500)
      // A refusal changed nothing (a failed batch may have named a conversion it rolled back).
      log.conversionId = null
      outcomes[outcome]++
      if (unauthenticated || isUnauthenticatedOutcome(outcome)) {
        // Anyone can send these at any rate: only a sample reaches the database.
        const key = refusalLogKey(outcome, log.networkId ?? null)
        const d = sampleRefusalLog(refusalLogWindows.get(key), receivedAt.getTime(), {
          windowMs: 60_000,
          perWindow: limits.logPerMinute,
        })
        refusalLogWindows.set(key, d.next)
        if (!d.log) return { outcome, httpStatus: log.httpStatus, reason: log.reason, logId: '', ...retry() }
        if (d.suppressedBefore > 0)
          log.reason = `${reason} (${d.suppressedBefore} more like it not logged since the last)`.slice(
            0,
            500,
          )
      }
      if (!redacted) {
        log.query = redactSecrets(req.rawQuery, LOG_QUERY_MAX)
        log.body = redactSecrets(req.body ?? '', LOG_BODY_MAX)
      }
      try {
        const written = committer.log(log)
        // Queue full: the refusal is answered and counted, its log row is not written.
        if (!written)
          return { outcome, httpStatus: log.httpStatus, reason: log.reason, logId: '', ...retry() }
        await written
      } catch (err) {
        deps.logger?.error({ err, outcome }, 'postback log write failed')
        return {
          outcome: 'error',
          httpStatus: OUTCOME_HTTP_STATUS.error,
          reason: 'log unavailable',
          logId: '',
        }
      }
      return { outcome, httpStatus: log.httpStatus, reason: reason.slice(0, 500), logId: log.id, ...retry() }
    }

    try {
      // An IP that spent its refusal budget is answered before any parsing or lookup.
      const blockedMs = await ipBlocked(ip)
      if (blockedMs !== undefined) {
        retryAfterMs = blockedMs
        return finish('rate_limited', 'too many refused postbacks from this IP; retry later')
      }
      const parsedFields = postbackFields(req.rawQuery, req.body, req.contentType)
      // When the body is unreadable, the query alone may still name the network (for the log).
      const fields = parsedFields.fields
      const ref = (fields[NETWORK_PARAM] ?? '').trim()
      const net = isNetworkRef(ref) ? await network(ref.toLowerCase()) : undefined
      if (!net) {
        const refusal = admitPostback({ network: ref === '' ? 'missing' : 'unknown' })
        return finish(refusal.outcome, refusal.reason)
      }
      log.workspaceId = net.workspaceId
      log.networkId = net.id
      // Now that the secret is known, also redact its literal occurrences.
      log.query = redactSecrets(req.rawQuery, LOG_QUERY_MAX, net.secret)
      log.body = redactSecrets(req.body ?? '', LOG_BODY_MAX, net.secret)
      redacted = true

      // Parsed before the checks only so that refusals are logged with the click and
      // transaction IDs they claim (operators search the log by click ID).
      const parsed = parsePostback(fields, net.settings)
      log.clickId = parsed.ok ? parsed.postback.clickId.slice(0, 200) : parsed.clickId
      log.transactionId = parsed.ok ? parsed.postback.transactionId : parsed.transactionId
      const refusal = admitPostback({
        network: 'known',
        ip: req.ip,
        ipAllowed: compileAllowlist(net.ipAllowlist).allows(req.ip),
        secret: !net.secret
          ? 'none'
          : secretMatches(net.secret, presentedSecret(req.headers, fields))
            ? 'match'
            : 'mismatch',
        body: parsedFields.ok ? { ok: true } : parsedFields,
        parsed: parsed.ok
          ? {
              ok: true,
              clickId: parsed.postback.clickId,
              clickIdValid: isClickId(parsed.postback.clickId),
              clickIdFuture: isFutureClickTime(clickIdTime(parsed.postback.clickId), receivedAt.getTime()),
            }
          : parsed,
      })
      // The claimed status and payout are logged once the fields parsed from a caller that
      // passed the credential checks.
      if (parsed.ok && (!refusal || refusal.check === 'click_id')) {
        log.status = parsed.postback.status
        log.payoutMicros = parsed.postback.payoutMicros ?? null
      }
      if (refusal) return finish(refusal.outcome, refusal.reason, refusal.unauthenticated)
      if (!parsed.ok) return finish('error', '')
      const pb = parsed.postback

      let click: ClickInfo | undefined
      let lookupFailed = false
      try {
        click = await findClick(net.workspaceId, pb.clickId)
      } catch (err) {
        deps.logger?.warn({ err }, 'click lookup in ClickHouse failed')
        lookupFailed = true
      }
      const missing = clickRefusal(lookupFailed ? 'failed' : click ? 'found' : 'absent')
      if (missing || !click) return finish(missing?.outcome ?? 'error', missing?.reason ?? '')

      const defaults = destinationDefaults(
        needsDestinationDefaults(pb)
          ? await loadDestinationPayout(db, net.workspaceId, click.destination_id)
          : undefined,
      )

      const queued = committer.apply({ net, postback: pb, click, defaults, now: receivedAt.getTime(), log })
      if (!queued) {
        // Overloaded: refused before any write, not logged (logging it is the write there is
        // no room for); the network retries after Retry-After.
        outcomes.error++
        return {
          outcome: 'error',
          httpStatus: OUTCOME_HTTP_STATUS.error,
          reason: 'too many postbacks queued; retry later',
          logId: '',
          retryAfterSeconds: 1,
        }
      }
      const applied = await queued
      outcomes[applied.outcome]++
      if (applied.outcome === 'accepted') {
        kick()
        if (applied.change) deps.live?.publish(applied.change.workspaceId, liveConversion(applied.change))
      }
      return {
        outcome: applied.outcome,
        httpStatus: OUTCOME_HTTP_STATUS[applied.outcome],
        reason: applied.reason,
        ...(applied.conversionId ? { conversionId: applied.conversionId } : {}),
        logId: log.id,
      }
    } catch (err) {
      deps.logger?.error({ err }, 'postback failed')
      return finish('error', 'internal error; retry later')
    }
  }

  return {
    handlePostback,
    findClick,
    syncPendingConversionEvents: () => sync.syncPending(),
    start() {
      if (running) return
      running = true
      syncTimer = setInterval(() => void sync.syncPending(), deps.syncIntervalMs ?? 5000)
      syncTimer.unref?.()
      void sync.syncPending()
    },
    async stop() {
      running = false
      if (syncTimer) clearInterval(syncTimer)
      if (kickTimer) clearTimeout(kickTimer)
      syncTimer = undefined
      kickTimer = undefined
      // Postbacks already queued are committed and answered before the last sync.
      await committer.drain()
      await sync.syncPending()
    },
    stats: () => ({ outcomes: { ...outcomes }, sync: sync.stats(), batches: committer.stats() }),
  }
}
