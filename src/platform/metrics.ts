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
  return {
    registry,
    redirects,
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
