import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { manualClock } from '../../platform/clock.ts'
import type { LiveEvent } from './live.ts'
import type { LiveVisitRate } from './live.types.ts'
import { createVisitPulse, liveHitOf, percentile } from './live.visits.ts'
import { visitEventOf, type VisitRecord } from './visits.ts'

const t = new Date('2025-01-01T12:00:00Z')
const hit = (over: Partial<VisitRecord> = {}): VisitRecord => ({
  visitId: 'v1',
  workspaceId: 'ws',
  projectId: 'p',
  runId: 'r',
  url: 'https://a.example/',
  device: 'desktop',
  status: 200,
  error: null,
  latencyMs: 10,
  charged: true,
  bytes: 100,
  scheduledAt: t,
  startedAt: new Date(t.getTime() + 2),
  at: new Date(t.getTime() + 50),
  ...over,
})

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 95, null],
    [[5], 95, 5],
    [[1, 2, 3, 4], 50, 2],
    [[10, 50, 100, 200, 300, 400, 1000], 95, 1000],
    [[3, 1, 2], 0, 1],
  ])('%j p%d → %j', (values, p, want) => {
    expect(percentile([...values], p)).toBe(want)
  })
  it('is an element of the values, and monotone in p', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1 }), fc.nat(100), (v, p) => {
        const a = percentile([...v], p)!
        expect(v).toContain(a)
        expect(percentile([...v], Math.min(100, p + 1))!).toBeGreaterThanOrEqual(a)
      }),
    )
  })
})

describe('hit shapes', () => {
  it('defaults country to null / "" and mode to http', () => {
    expect(liveHitOf(hit())).toMatchObject({ country: null, mode: 'http', status: 200, latency_ms: 10 })
    expect(visitEventOf(hit({ status: null, latencyMs: null, error: 'dns', charged: false }))).toMatchObject({
      type: 'visit',
      ts: t.getTime(),
      started_at: t.getTime() + 2,
      settled_at: t.getTime() + 50,
      country: '',
      mode: 'http',
      answered: 0,
      status: 0,
      latency_ms: 0,
      error: 'dns',
      charged: 0,
    })
    expect(visitEventOf(hit({ country: 'DE', mode: 'browser' }))).toMatchObject({
      country: 'DE',
      mode: 'browser',
    })
  })
})

describe('visit pulse', () => {
  it('publishes hits at once and one visit_rate per running project per window', () => {
    const sent: [string, LiveEvent][] = []
    const running = [
      { workspaceId: 'ws', projectId: 'p', targetPerSecond: 5 },
      { workspaceId: 'ws2', projectId: 'idle', targetPerSecond: 1 },
    ]
    const pulse = createVisitPulse({
      hub: { publish: (ws, e) => sent.push([ws, e]) },
      clock: manualClock(t),
      running: () => running,
    })
    pulse.hit(hit({ latencyMs: 10 }))
    pulse.hit(hit({ latencyMs: 30 }))
    pulse.hit(hit({ status: null, latencyMs: null, error: 'timeout' }))
    pulse.hit(hit({ projectId: 'stopped', workspaceId: 'ws3' }))
    expect(sent.filter(([, e]) => e.type === 'hit')).toHaveLength(4)
    sent.length = 0
    pulse.tick()
    expect(sent).toEqual([
      [
        'ws',
        {
          type: 'visit_rate',
          ts: t.toISOString(),
          project_id: 'p',
          rate_per_s: 3,
          errors: 1,
          p95_ms: 30,
          target_per_s: 5,
        },
      ],
      [
        'ws2',
        {
          type: 'visit_rate',
          ts: t.toISOString(),
          project_id: 'idle',
          rate_per_s: 0,
          errors: 0,
          p95_ms: null,
          target_per_s: 1,
        },
      ],
      [
        'ws3',
        {
          type: 'visit_rate',
          ts: t.toISOString(),
          project_id: 'stopped',
          rate_per_s: 1,
          errors: 0,
          p95_ms: 10,
          target_per_s: 0,
        },
      ],
    ])
    // A new window: the stopped project is gone, the running ones report zeros.
    sent.length = 0
    pulse.tick()
    expect(sent.map(([, e]) => [(e as LiveVisitRate).project_id, (e as LiveVisitRate).rate_per_s])).toEqual([
      ['p', 0],
      ['idle', 0],
    ])
  })
})
