import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'

describe('conversion and outbound metrics', () => {
  it('are empty until a source is set, then read at scrape time', async () => {
    const m = createMetrics()
    const before = await m.registry.metrics()
    expect(before).not.toMatch(/traffoflex_postbacks_total\{/)
    expect(before).toMatch(/^traffoflex_conversion_events_pending nan$/im)

    const outcomes = { accepted: 3, duplicate: 1 }
    let pending = 5
    m.setConversionSource({
      postbackOutcomes: () => outcomes,
      pendingConversionEvents: async () => pending,
      conversionSyncFailures: () => 2,
      outboundResults: () => ({ delivered: 4, retry: 1, failed: 0, dead: 0 }),
      outboundBacklog: async () => ({ pending: 1, failed: 0, dead: 2 }),
    })
    const text = await m.registry.metrics()
    expect(text).toContain('traffoflex_postbacks_total{outcome="accepted"} 3')
    expect(text).toContain('traffoflex_postbacks_total{outcome="duplicate"} 1')
    expect(text).toContain('traffoflex_conversion_events_pending 5')
    expect(text).toContain('traffoflex_conversion_sync_failures_total 2')
    expect(text).toContain('traffoflex_outbound_deliveries_total{result="delivered"} 4')
    expect(text).toContain('traffoflex_outbound_deliveries_total{result="retry"} 1')
    expect(text).toContain('traffoflex_outbound_postbacks{state="dead"} 2')

    outcomes.accepted = 10
    pending = 0
    const later = await m.registry.metrics()
    expect(later).toContain('traffoflex_postbacks_total{outcome="accepted"} 10')
    expect(later).toContain('traffoflex_conversion_events_pending 0')
  })

  it('leave out a database reading that fails instead of failing the scrape', async () => {
    const m = createMetrics()
    m.setConversionSource({
      postbackOutcomes: () => ({ accepted: 1 }),
      pendingConversionEvents: async () => {
        throw new Error('database unreachable')
      },
      conversionSyncFailures: () => 0,
      outboundResults: () => ({}),
      outboundBacklog: async () => {
        throw new Error('database unreachable')
      },
    })
    const text = await m.registry.metrics()
    expect(text).toContain('traffoflex_postbacks_total{outcome="accepted"} 1')
    expect(text).toMatch(/^traffoflex_conversion_events_pending nan$/im)
    expect(text).not.toMatch(/^traffoflex_outbound_postbacks\{/m)
  })
})

describe('shared counter metrics', () => {
  it('are absent (connected NaN) until a source is set, then read at scrape time', async () => {
    const m = createMetrics()
    const before = await m.registry.metrics()
    expect(before).toMatch(/^traffoflex_redis_connected nan$/im)
    expect(before).not.toMatch(/traffoflex_cap_lease_remaining\{/)
    const status = {
      connected: false,
      leases: [{ destinationId: 'd1', kind: 'total', remaining: 7 }],
      refills: 4,
      grantedClicks: 80,
      returns: 1,
      returnedClicks: 3,
      grantFailures: 2,
      leasesLost: 0,
      overspent: 0,
      reconcileFailures: 1,
      visitors: { writesDropped: 5, readsFailed: 6 },
    }
    m.setSharedCountersSource({ status: () => status })
    const text = await m.registry.metrics()
    expect(text).toContain('traffoflex_redis_connected 0')
    expect(text).toContain('traffoflex_cap_lease_remaining{destination_id="d1",kind="total"} 7')
    expect(text).toContain('traffoflex_cap_lease_events_total{event="grant_failure"} 2')
    expect(text).toContain('traffoflex_cap_lease_clicks_total{direction="granted"} 80')
    expect(text).toContain('traffoflex_shared_visitor_drops_total{op="read"} 6')
    status.connected = true
    expect(await m.registry.metrics()).toContain('traffoflex_redis_connected 1')
  })
})

describe('event log metrics', () => {
  it('are 0 until a source is set, then read at scrape time (lag only while events wait)', async () => {
    const m = createMetrics()
    expect(await m.registry.metrics()).toMatch(/^traffoflex_event_log_published_total 0$/m)
    let pending = 5
    m.setEventLogSource({
      publisher: () => ({
        published: 42,
        errors: 1,
        pending,
        lastCommitAt: new Date(Date.now() - 3_000).toISOString(),
      }),
      consumer: () => ({ lag: 7, ackPending: 2, insertedBatches: 9, errors: 0 }),
    })
    const text = await m.registry.metrics()
    expect(text).toMatch(/^traffoflex_event_log_published_total 42$/m)
    expect(text).toMatch(/^traffoflex_event_log_publish_errors_total 1$/m)
    expect(text).toMatch(/^traffoflex_event_log_consumer_lag 7$/m)
    expect(text).toMatch(/^traffoflex_event_log_consumer_ack_pending 2$/m)
    expect(text).toMatch(/^traffoflex_event_log_insert_batches_total 9$/m)
    const lag = Number(/^traffoflex_event_log_publish_lag_seconds (\S+)$/m.exec(text)?.[1])
    expect(lag).toBeGreaterThanOrEqual(3)
    expect(lag).toBeLessThan(60)
    pending = 0
    expect(await m.registry.metrics()).toMatch(/^traffoflex_event_log_publish_lag_seconds 0$/m)
  })
})
