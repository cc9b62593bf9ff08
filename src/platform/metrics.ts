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
  /**
   * Where the event-log metrics come from (EVENT_LOG=nats|kafka: the publishing sink of this
   * process's pipeline, and the consumer of a worker holding ClickHouse). Until set, those
   * series read 0. Read at scrape time.
   */
  setEventLogSource(source: EventLogMetricsSource): void
}

/** Readings behind the event-log metrics (analytics' sink and consumer stats fit). */
export interface EventLogMetricsSource {
  /** The publisher and its pipeline: messages acknowledged by the log (monotonic), failed commits (monotonic), spool lines not yet acknowledged, ISO time of the last commit. */
  publisher?(): { published: number; errors: number; pending: number; lastCommitAt: string | null }
  /** The consumer: messages not yet delivered (null until known), delivered but unacknowledged, batches inserted (monotonic), failed attempts (monotonic). */
  consumer?(): { lag: number | null; ackPending: number | null; insertedBatches: number; errors: number }
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
  let eventLog: EventLogMetricsSource | undefined
  /** A series read from the event-log source at scrape time; 0 while the source has no value. */
  const eventLogSeries = (
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    read: (src: EventLogMetricsSource) => number | undefined,
  ) => {
    const collect = function (this: Gauge | Counter) {
      this.reset()
      const v = eventLog ? read(eventLog) : undefined
      if (v === undefined) return
      if (this instanceof Gauge) this.set(v)
      else this.inc(v)
    }
    if (kind === 'gauge') new Gauge({ name, help, registers: [registry], collect })
    else new Counter({ name, help, registers: [registry], collect })
  }
  eventLogSeries(
    'gauge',
    'traffoflex_event_log_publish_lag_seconds',
    'Seconds since the pipeline last committed to the event log while spooled events wait (0 when nothing waits)',
    (e) => {
      const p = e.publisher?.()
      if (!p) return undefined
      if (p.pending === 0 || p.lastCommitAt === null) return 0
      return Math.max(0, (Date.now() - Date.parse(p.lastCommitAt)) / 1000)
    },
  )
  eventLogSeries(
    'counter',
    'traffoflex_event_log_published_total',
    'Messages the event log acknowledged (duplicates included)',
    (e) => e.publisher?.().published,
  )
  eventLogSeries(
    'counter',
    'traffoflex_event_log_publish_errors_total',
    'Failed commits to the event log (each retried; events stay in the spool)',
    (e) => e.publisher?.().errors,
  )
  eventLogSeries(
    'gauge',
    'traffoflex_event_log_consumer_lag',
    'Messages in the event log not yet delivered to the ClickHouse consumer group',
    (e) => e.consumer?.().lag ?? undefined,
  )
  eventLogSeries(
    'gauge',
    'traffoflex_event_log_consumer_ack_pending',
    'Messages delivered to consumers and not yet acknowledged (inserting, or held by a dead worker until ack_wait)',
    (e) => e.consumer?.().ackPending ?? undefined,
  )
  eventLogSeries(
    'counter',
    'traffoflex_event_log_insert_batches_total',
    'Batches the consumer inserted into ClickHouse',
    (e) => e.consumer?.().insertedBatches,
  )
  eventLogSeries(
    'counter',
    'traffoflex_event_log_consumer_errors_total',
    'Failed consumer attempts (fetch, insert, ack; each retried)',
    (e) => e.consumer?.().errors,
  )
  return {
    registry,
    redirects,
    setConversionSource(s) {
      source = s
    },
    setEventLogSource(s) {
      eventLog = s
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
