/**
 * The live feed's backfill, `GET /api/v1/live/recent`, on the real server (`startServer`,
 * PGlite + chDB): the workspace's latest clicks, trafficback requests and conversion changes
 * of the last minutes, newest first, in the stream's own shapes — so a reloaded dashboard
 * shows what just happened. Workspace-scoped, bounded, strict query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import type { ClickEvent, TrafficbackEvent } from '../src/modules/analytics/index.ts'
import { toLive } from '../src/modules/analytics/live.ts'
import { chDateTime } from '../src/modules/analytics/migrate.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { click, trafficback } from './analytics.helpers.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { openSse } from './helpers/sse.ts'
import { login, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'recent@traffoflex.test', password: 'recent-admin-password' }
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read loosely in tests
type Json = Record<string, any>

let server: RunningServer
let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
const MIN = 60_000
let now: number

const recent = async (headers: Record<string, string>, query = '') => {
  const res = await fetch(`${server.url}/api/v1/live/recent${query}`, { headers })
  return { status: res.status, body: (await res.json()) as Json }
}
const bearer = (k: { apiKey: string }) => ({ authorization: `Bearer ${k.apiKey}` })
const ids = (items: Json[]) => items.map((i) => (i.type === 'conversion' ? `conv:${i.status}` : i.click_id))

async function insertClicks(events: (ClickEvent | TrafficbackEvent)[]) {
  const ch = server.clickhouse
  for (const table of ['clicks', 'trafficback'] as const) {
    const values = events
      .filter((e) => (table === 'clicks' ? e.type === 'click' : e.type === 'trafficback'))
      .map(({ type: _t, ...rest }) => ({ ...rest, ts: chDateTime(rest.ts) }))
    if (values.length > 0)
      await ch.client.insert({ table: `${ch.database}.${table}`, values, format: 'JSONEachRow' })
  }
}

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: tempDataDir('tf-live-recent-'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PIPELINE_FLUSH_MS: '50',
    }),
  )
  A = await createWorkspaceWithKey(server.db.db)
  B = await createWorkspaceWithKey(server.db.db)
  now = Date.now()
}, 120_000)

afterAll(async () => {
  await server?.close()
})

describe('GET /api/v1/live/recent', () => {
  it('needs credentials', async () => {
    const res = await fetch(`${server.url}/api/v1/live/recent`)
    expect(res.status).toBe(401)
  })

  it('lists the last minutes newest first, in the stream’s shapes, only the workspace’s', async () => {
    const ws = A.workspaceId
    const c1 = click({ click_id: 'A-1', workspace_id: ws, ts: now - 5 * MIN, sub1: 'five' })
    const c2 = click({
      click_id: 'A-2',
      workspace_id: ws,
      ts: now - 1 * MIN,
      is_bot: 1,
      cost_micros: 2_500_000,
    })
    const old = click({ click_id: 'A-OLD', workspace_id: ws, ts: now - 20 * MIN })
    const tb = trafficback({ click_id: 'A-TB', workspace_id: ws, ts: now - 2 * MIN })
    const theirs = click({ click_id: 'B-1', workspace_id: B.workspaceId, ts: now - 1 * MIN })
    await insertClicks([c1, c2, old, tb, theirs])
    const ch = server.clickhouse
    await ch.client.insert({
      table: `${ch.database}.conversions`,
      format: 'JSONEachRow',
      values: [
        {
          ts: chDateTime(now - 30_000),
          conversion_id: 'conv-1',
          seq: 1,
          click_id: 'A-1',
          workspace_id: ws,
          network_id: 'net-1',
          campaign_id: 'camp-1',
          status: 'sale',
          previous_status: '',
          conversions_delta: 1,
          revenue_delta_micros: 12_500_000,
          payout_micros: 12_500_000,
          currency: 'EUR',
          click_ts: chDateTime(now - 5 * MIN),
        },
      ],
    })

    const r = await recent(bearer(A))
    expect(r.status).toBe(200)
    // Newest first; the 20-minute-old click is outside the default 10 minutes; B's is not here.
    expect(ids(r.body.items)).toEqual(['conv:sale', 'A-2', 'A-TB', 'A-1'])
    // The same objects the stream sends (toLive is the stream's own mapping).
    expect(r.body.items[1]).toEqual(toLive(c2))
    expect(r.body.items[1]).toMatchObject({ is_bot: true, cost: 2.5 })
    expect(r.body.items[2]).toEqual(toLive(tb))
    expect(r.body.items[3]).toEqual(toLive(c1))
    expect(r.body.items[0]).toEqual({
      type: 'conversion',
      conversion_id: 'conv-1',
      click_id: 'A-1',
      campaign_id: 'camp-1',
      network_id: 'net-1',
      status: 'sale',
      previous_status: '',
      payout_micros: 12_500_000,
      revenue_delta_micros: 12_500_000,
      currency: 'EUR',
      ts: new Date(now - 30_000).toISOString(),
    })
    expect(JSON.stringify(r.body)).not.toContain('203.0.113') // no IPs

    // A longer window reaches the old click; limit keeps the newest.
    expect(ids((await recent(bearer(A), '?minutes=30')).body.items)).toContain('A-OLD')
    expect(ids((await recent(bearer(A), '?limit=2')).body.items)).toEqual(['conv:sale', 'A-2'])
    // Workspace B sees only its own.
    expect(ids((await recent(bearer(B))).body.items)).toEqual(['B-1'])
  })

  it('refuses bad parameters with 400 naming them', async () => {
    for (const [q, field] of [
      ['?minutes=0', 'minutes'],
      ['?minutes=61', 'minutes'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?since=5', 'since'],
    ] as const) {
      const r = await recent(bearer(A), q)
      expect(r.status, q).toBe(400)
      expect(JSON.stringify(r.body.error.details ?? r.body.error.message)).toContain(field)
    }
  })

  it('backfills a real click after it was streamed: the feed after a reload', async () => {
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const stream = await openSse(`${server.url}/api/v1/live`, { cookie })
    let streamed: Json
    try {
      const res = await fetch(`${server.url}/c/sample?sub1=reload-me`, {
        redirect: 'manual',
        headers: { 'user-agent': UA },
      })
      expect(res.status).toBe(302)
      streamed = await stream.next((e) => e.event === 'click' && e.data.sub1 === 'reload-me')
    } finally {
      stream.close()
    }
    // "Reload": the stream is gone; the backfill has the click once ClickHouse has it.
    await expect
      .poll(async () => (await recent({ cookie })).body.items.find((i: Json) => i.sub1 === 'reload-me'), {
        timeout: 10_000,
      })
      .toEqual(streamed)
  })
})
