import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../../platform/clock.ts'
import type { PipelineEvent } from '../../analytics/index.ts'
import { clickIdTime, compileSnapshot, HOP_PARAM, type Snapshot } from '../core/index.ts'
import { campaignRow, destinationRow, only, rows, sourceRow, streamRow, uid } from '../core/test-fixtures.ts'
import { createRedirectHandler } from './redirect.handler.ts'
import { createContextBuilder } from './request-context.ts'
import { createRuntimeState } from './router-state.ts'

const PUBLIC = 'http://tracker.test'
const NOW = Date.parse('2026-03-02T12:00:00Z')
const clock = manualClock(NOW)
const events: PipelineEvent[] = []
let snapshot: Snapshot
let server: http.Server
let base: string

function configure() {
  const A = uid(1)
  const B = uid(2)
  const C = uid(3)
  snapshot = compileSnapshot(
    rows({
      sources: [
        sourceRow({
          id: uid(50),
          costModel: 'cpm',
          defaultCostMicros: 2_000_000,
          externalIdParam: 'clickid',
        }),
      ],
      campaigns: [
        campaignRow({
          id: A,
          alias: 'main',
          sourceId: uid(50),
          trafficback: { type: 'campaign', campaign_id: B },
        }),
        campaignRow({ id: B, alias: 'backup', trafficback: { type: 'url', url: `${PUBLIC}/c/loop?x=1` } }),
        campaignRow({ id: C, alias: 'loop', trafficback: { type: 'campaign', campaign_id: uid(4) } }),
        campaignRow({ id: uid(4), alias: 'loop-back', trafficback: { type: 'campaign', campaign_id: C } }),
        // A row saved before the API refused non-http(s) URLs.
        campaignRow({
          id: uid(5),
          alias: 'old-js',
          trafficback: { type: 'url', url: 'javascript:alert(document.domain)' },
        }),
      ],
      streams: [
        streamRow(10, {
          campaignId: A,
          conditions: only({ type: 'country', op: 'is', values: ['US'] }),
          destinations: [1],
        }),
        streamRow(11, {
          campaignId: B,
          conditions: only({ type: 'country', op: 'is', values: ['DE'] }),
          destinations: [2],
        }),
      ],
      destinations: [
        destinationRow(1, { url: 'https://offer.example/a?c={click_id}&s={sub1}&e={external_id}' }),
        destinationRow(2, { url: 'https://offer.example/b?c={click_id}' }),
      ],
    }),
  )
}

beforeAll(async () => {
  configure()
  const geo = (ip: string) => ({ '8.8.8.8': 'US', '5.9.0.1': 'DE' })[ip] ?? 'FR'
  const handler = createRedirectHandler({
    snapshot: () => snapshot,
    state: createRuntimeState(),
    context: createContextBuilder({ trustedProxies: ['127.0.0.1/32'], geo }),
    pipeline: {
      pushMany: (e) => {
        events.push(...e)
        return true
      },
    },
    publicUrl: PUBLIC,
    maxHops: 3,
    clock,
  })
  server = http.createServer(handler)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  events.length = 0
})

const get = (path: string, ip: string) =>
  fetch(base + path, {
    redirect: 'manual',
    headers: { 'x-forwarded-for': ip, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0' },
  })

describe('redirect handler over real HTTP', () => {
  it('redirects a matching visitor with 302 and no-store, and records the click', async () => {
    const res = await get('/c/main?sub1=abc&clickid=SRC-1&cost=0.05', '8.8.8.8')
    expect(res.status).toBe(302)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const loc = new URL(res.headers.get('location')!)
    expect(loc.host).toBe('offer.example')
    expect(loc.searchParams.get('s')).toBe('abc')
    expect(loc.searchParams.get('e')).toBe('SRC-1')
    const click = events.find((e) => e.type === 'click')
    expect(click).toMatchObject({
      country: 'US',
      sub1: 'abc',
      external_id: 'SRC-1',
      cost_micros: 50_000,
      campaign_id: uid(1),
    })
    expect(loc.searchParams.get('c')).toBe(click!.click_id)
  })

  it('reads the time of a click from the injected clock', async () => {
    clock.set(NOW + 1234)
    await get('/c/main', '8.8.8.8')
    const click = events.find((e) => e.type === 'click')!
    expect(click.ts).toBe(NOW + 1234)
    expect(clickIdTime(click.click_id)).toBe(NOW + 1234)
  })

  it('uses the source cost model when the click has no cost parameter', async () => {
    await get('/c/main', '8.8.8.8')
    const click = events.find((e) => e.type === 'click')
    expect(click && 'cost_micros' in click ? click.cost_micros : -1).toBe(2000) // CPM $2 → $0.002 per click
  })

  it('never lets url or redirect_url override the destination', async () => {
    const res = await get('/c/main?url=https://evil.example/&redirect_url=https://evil.example/', '8.8.8.8')
    expect(new URL(res.headers.get('location')!).host).toBe('offer.example')
  })

  it('follows a campaign trafficback in process and records both the trafficback and the click', async () => {
    const res = await get('/c/main', '5.9.0.1')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toMatch(/^https:\/\/offer\.example\/b\?c=/)
    expect(events.map((e) => e.type)).toEqual(['trafficback', 'click'])
    expect(events[1]).toMatchObject({ campaign_id: uid(2), country: 'DE' })
  })

  it('adds the hop counter to a trafficback URL pointing into our own links', async () => {
    const res = await get('/c/main', '9.9.9.9')
    expect(res.status).toBe(302)
    const loc = new URL(res.headers.get('location')!)
    expect(loc.pathname).toBe('/c/loop')
    expect(loc.searchParams.get(HOP_PARAM)).toBe('2')
  })

  it('answers 404 past the hop limit (loop protection) and logs it', async () => {
    const res = await get('/c/loop', '9.9.9.9')
    expect(res.status).toBe(404)
    const last = events.at(-1)
    expect(last).toMatchObject({ type: 'trafficback', target_type: 'loop', hops: 3 })
    expect(events.filter((e) => e.type === 'trafficback')).toHaveLength(4)
    const hopped = await get(`/c/backup?${HOP_PARAM}=3`, '9.9.9.9')
    expect(hopped.status).toBe(404)
  })

  it('never answers a javascript: trafficback with a Location (404, logged)', async () => {
    const res = await get('/c/old-js', '9.9.9.9')
    expect(res.status).toBe(404)
    expect(res.headers.get('location')).toBeNull()
    expect(events).toEqual([
      expect.objectContaining({
        type: 'trafficback',
        target_type: 'url',
        target: 'javascript:alert(document.domain)',
      }),
    ])
  })

  it('answers 404 for an unknown alias and still logs it', async () => {
    const res = await get('/c/nope', '8.8.8.8')
    expect(res.status).toBe(404)
    expect(events).toEqual([
      expect.objectContaining({ type: 'trafficback', reason: 'unknown campaign', target: 'nope' }),
    ])
  })

  it('sees a new snapshot on the next request', async () => {
    const before = snapshot
    snapshot = compileSnapshot(rows({ campaigns: [] }))
    expect((await get('/c/main', '8.8.8.8')).status).toBe(404)
    snapshot = before
    expect((await get('/c/main', '8.8.8.8')).status).toBe(302)
  })
})
