/**
 * Prometheus metrics (prom-client) for `/metrics`. Hot-path counters are plain
 * increments; nothing here awaits.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  registry: Registry
  /**
   * Requests to /c/:alias by outcome. Plain numbers bumped on the hot path (a labelled
   * prom-client `inc` hashes its labels on every call); exported at scrape time.
   */
  redirects: Record<RedirectOutcome, number>
  /** Routing snapshot version in force. */
  snapshotVersion: Gauge
  /** Click pipeline gauges, refreshed at scrape time. */
  pipelineQueue: Gauge
  pipelinePending: Gauge
  pipelineBackpressure: Gauge
  pipelineErrors: Gauge
  /**
   * Where the conversion and outbound postback metrics come from (set once by the server's
   * wiring; until then the counters have no series and the pending gauge is NaN). Read at
   * scrape time.
   */
  setConversionSource(source: ConversionMetricsSource): void
  /**
   * Where the shared-counter metrics come from (a traffic process with REDIS_URL: the
   * routing module's `SharedCounters`, whose `status()` fits). Until set, those series are
   * absent and `traffoflex_redis_connected` is NaN. Read at scrape time.
   */
  setSharedCountersSource(source: SharedCountersMetricsSource): void
}

/** Readings behind the shared-counter metrics: a subset of routing's `SharedCountersStatus` (all counts monotonic but `remaining`). */
export interface SharedCountersMetricsSource {
  status(): {
    connected: boolean
    leases: readonly { destinationId: string; kind: string; remaining: number }[]
    refills: number
    grantedClicks: number
    returns: number
    returnedClicks: number
    grantFailures: number
    leasesLost: number
    overspent: number
    reconcileFailures: number
    visitors: { writesDropped: number; readsFailed: number }
  }
}

/** Readings behind the conversion and outbound postback metrics. */
export interface ConversionMetricsSource {
  /** Inbound postbacks answered by this process, by outcome (monotonic). */
  postbackOutcomes(): Record<string, number>
  /** Conversion events not yet in ClickHouse, all processes (a database count). */
  pendingConversionEvents(): Promise<number>
  /** Failed outbox → ClickHouse sync runs of this process (monotonic). */
  conversionSyncFailures(): number
  /** Outbound postback attempts of this process by result: delivered, retry, failed, dead (monotonic). */
  outboundResults(): Record<string, number>
  /** Outbound postbacks not delivered (yet), by state: pending, failed, dead (a database count). */
  outboundBacklog(): Promise<Record<string, number>>
}

export type RedirectOutcome = 'redirect' | 'trafficback' | 'not_found' | 'error'

/** Creates a registry with default process metrics and the traffoflex metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const m = (name: string, help: string) => new Gauge({ name, help, registers: [registry] })
  const redirects: Record<RedirectOutcome, number> = { redirect: 0, trafficback: 0, not_found: 0, error: 0 }
  new Counter({
    name: 'traffoflex_redirects_total',
    help: 'Campaign link requests by outcome',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [outcome, n] of Object.entries(redirects)) this.inc({ outcome }, n)
    },
  })
  let source: ConversionMetricsSource | undefined
  /** A database reading that fails leaves the series out of this scrape (NaN) instead of failing it. */
  const quietly = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read()
    } catch {
      return undefined
    }
  }
  new Counter({
    name: 'traffoflex_postbacks_total',
    help: 'Inbound postbacks (/postback) answered by this process, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset()
      if (!source) return
      for (const [outcome, n] of Object.entries(source.postbackOutcomes())) this.inc({ outcome }, n)
    },
  })
  new Gauge({
    name: 'traffoflex_conversion_events_pending',
    help: 'Conversion events written to the PostgreSQL outbox but not yet in ClickHouse (all processes)',
    registers: [registry],
    async collect() {
      // NaN when it could not be read (a label-less gauge cannot be left out).
      const n = source && (await quietly(source.pendingConversionEvents))
      this.set(n ?? Number.NaN)
    },
  })
  new Counter({
    name: 'traffoflex_conversion_sync_failures_total',
    help: 'Failed conversion outbox → ClickHouse sync runs of this process (retried by the next run)',
    registers: [registry],
    collect() {
      this.reset()
      if (source) this.inc(source.conversionSyncFailures())
    },
  })
  new Counter({
    name: 'traffoflex_outbound_deliveries_total',
    help: 'Outbound postback attempts of this process by result (delivered, retry, failed, dead)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset()
      if (!source) return
      for (const [result, n] of Object.entries(source.outboundResults())) this.inc({ result }, n)
    },
  })
  new Gauge({
    name: 'traffoflex_outbound_postbacks',
    help: 'Outbound postbacks not delivered, by state: pending (due or in flight), failed and dead (the dead-letter list)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset()
      const byState = source && (await quietly(source.outboundBacklog))
      if (byState) for (const [state, n] of Object.entries(byState)) this.set({ state }, n)
    },
  })
  let shared: SharedCountersMetricsSource | undefined
  new Gauge({
    name: 'traffoflex_redis_connected',
    help: 'Shared counters: 1 while the Redis connection is up, 0 while down (NaN without REDIS_URL)',
    registers: [registry],
    collect() {
      this.set(shared ? (shared.status().connected ? 1 : 0) : Number.NaN)
    },
  })
  new Gauge({
    name: 'traffoflex_cap_lease_remaining',
    help: 'Cap budget this traffic node holds and may still spend, by destination and cap kind (daily, total)',
    labelNames: ['destination_id', 'kind'],
    registers: [registry],
    collect() {
      this.reset()
      if (!shared) return
      for (const l of shared.status().leases)
        this.inc({ destination_id: l.destinationId, kind: l.kind }, l.remaining)
    },
  })
  new Counter({
    name: 'traffoflex_cap_lease_events_total',
    help: 'Cap lease syncs of this node: refills answered, returns, failed syncs (grant failures), leases Redis had forgotten, clicks counted without budget (must stay 0), failed reconciliations',
    labelNames: ['event'],
    registers: [registry],
    collect() {
      this.reset()
      if (!shared) return
      const s = shared.status()
      this.inc({ event: 'refill' }, s.refills)
      this.inc({ event: 'return' }, s.returns)
      this.inc({ event: 'grant_failure' }, s.grantFailures)
      this.inc({ event: 'lease_lost' }, s.leasesLost)
      this.inc({ event: 'overspent' }, s.overspent)
      this.inc({ event: 'reconcile_failure' }, s.reconcileFailures)
    },
  })
  new Counter({
    name: 'traffoflex_cap_lease_clicks_total',
    help: 'Cap budget (clicks) granted to and given back by this node',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset()
      if (!shared) return
      const s = shared.status()
      this.inc({ direction: 'granted' }, s.grantedClicks)
      this.inc({ direction: 'returned' }, s.returnedClicks)
    },
  })
  new Counter({
    name: 'traffoflex_shared_visitor_drops_total',
    help: 'Visitor memory writes to Redis dropped and lookups failed (Redis down or queue full); local memory is unaffected',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      this.reset()
      if (!shared) return
      const v = shared.status().visitors
      this.inc({ op: 'write' }, v.writesDropped)
      this.inc({ op: 'read' }, v.readsFailed)
    },
  })
  return {
    registry,
    redirects,
    setConversionSource(s) {
      source = s
    },
    setSharedCountersSource(s) {
      shared = s
    },
    snapshotVersion: m(
      'traffoflex_snapshot_version',
      'Configuration version of the routing snapshot in force',
    ),
    pipelineQueue: m('traffoflex_pipeline_queue', 'Events held in memory waiting for insert'),
    pipelinePending: m('traffoflex_pipeline_pending', 'Events spooled but not yet committed to ClickHouse'),
    pipelineBackpressure: m(
      'traffoflex_pipeline_backpressure_total',
      'Events that overflowed the in-memory queue (kept in the spool)',
    ),
    pipelineErrors: m('traffoflex_pipeline_errors_total', 'Failed ClickHouse insert attempts'),
  }
}
