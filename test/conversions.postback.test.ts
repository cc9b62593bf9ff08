/**
 * Inbound postbacks end to end through Fastify inject, on PGlite and PostgreSQL, with
 * embedded ClickHouse (chDB, opened once for this file): outcomes and their log rows,
 * enrichment from the cache and from ClickHouse, concurrency, and exactly-once conversion
 * events in ClickHouse.
 */
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import { resetSync as resetConversionSync } from '../src/modules/conversions/conversions.repository.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { removeTempDirs, rows, tempDir } from './analytics.helpers.ts'
import { type Fixture, fixture, type Json } from './conversions.helpers.ts'

let ch: ClickHouseHandle
const M = 1_000_000

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('conv-ch'), 'ch'), database: 'tf_conv' })
  await migrateClickHouse(ch)
})
afterAll(async () => {
  await ch?.close()
  removeTempDirs()
})

/** Revenue and conversions of a workspace in ClickHouse, summed from the raw events. */
async function chTotals(ws: string) {
  const [r] = await rows<Json>(
    ch,
    `SELECT sum(conversions_delta) AS conversions, sum(revenue_delta_micros) AS revenue, count() AS events,
       sum((status = 'sale') - (previous_status = 'sale')) AS sales
     FROM tf_conv.conversions WHERE workspace_id = {ws:String}`,
    { ws },
  )
  return {
    conversions: Number(r?.conversions ?? 0),
    revenue: Number(r?.revenue ?? 0),
    events: Number(r?.events ?? 0),
    sales: Number(r?.sales ?? 0),
  }
}

describe.each(['pglite', 'postgres'] as const)('postbacks on %s', (kind) => {
  let f: Fixture
  let net: Json
  let dest: Json
  const secret = 'n3twork-s3cret'
  const q = (params: Record<string, string>) =>
    new URLSearchParams({ network: net.id, secret, ...params }).toString()

  beforeAll(async () => {
    f = await fixture(kind, ch, { TRUSTED_PROXIES: '127.0.0.1' })
    net = await f.network(f.A.apiKey, { postback_secret: secret })
    dest = await f.destination(f.A.apiKey, { network_id: net.id, payout_cents: 1250, currency: 'EUR' })
  })
  afterAll(async () => {
    await f?.close()
  })

  it('accepts a postback seconds after the click (cache) and copies the click', async () => {
    const c = f.click(f.A.workspaceId, {
      campaign_id: 'camp-x',
      stream_id: 'stream-x',
      destination_id: dest.id,
      source_id: 'src-x',
      country: 'BR',
      device: 'mobile',
      os: 'Android',
      browser: 'Chrome',
      cost_micros: 30_000,
      external_id: 'ext-1',
      sub1: 'kw',
      sub2: '',
    })
    const r = await f.get(q({ subid: c.click_id, tid: 'T-cache', payout: '10.50', status: 'approved' }))
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ outcome: 'accepted', conversion_id: expect.any(String) })
    const [conv] = (await f.conversions(f.A.workspaceId)).filter((x) => x.transaction_id === 'T-cache')
    expect(conv).toMatchObject({
      id: r.body.conversion_id,
      network_id: net.id,
      click_id: c.click_id,
      status: 'sale',
      currency: 'EUR', // from the destination: the postback sent none
      campaign_id: 'camp-x',
      stream_id: 'stream-x',
      destination_id: dest.id,
      source_id: 'src-x',
      country: 'BR',
      device: 'mobile',
      os: 'Android',
      browser: 'Chrome',
      external_id: 'ext-1',
      sub1: 'kw',
      version: 1,
    })
    expect(Number(conv!.payout_micros)).toBe(10_500_000)
    expect(Number(conv!.revenue_micros)).toBe(10_500_000)
    expect(Number(conv!.cost_micros)).toBe(30_000)
    expect(new Date(conv!.click_ts).getTime()).toBe(c.ts)
    const log = (await f.logs(f.A.workspaceId)).find((l) => l.conversion_id === conv!.id)
    expect(log).toMatchObject({
      outcome: 'accepted',
      http_status: 200,
      method: 'GET',
      network_id: net.id,
      click_id: c.click_id,
      transaction_id: 'T-cache',
      status: 'sale',
    })
    // The secret never reaches the log.
    expect(log!.query).toContain('secret=***')
    expect(log!.query).not.toContain(secret)
  })

  it('accepts JSON and form POST bodies, and the secret in a header', async () => {
    const c1 = f.click(f.A.workspaceId)
    const c2 = f.click(f.A.workspaceId)
    const json = await f.post(
      `network=${net.id}`,
      JSON.stringify({ subid: c1.click_id, tid: 'T-json', payout: 3, status: 'sale', secret }),
      'application/json',
    )
    expect(json).toMatchObject({ status: 200, body: { outcome: 'accepted' } })
    const form = await f.post(
      '',
      new URLSearchParams({ network: net.id, subid: c2.click_id, tid: 'T-form', payout: '4' }).toString(),
      'application/x-www-form-urlencoded',
      { headers: { 'x-postback-secret': secret } },
    )
    expect(form).toMatchObject({ status: 200, body: { outcome: 'accepted' } })
    const convs = await f.conversions(f.A.workspaceId)
    expect(Number(convs.find((x) => x.transaction_id === 'T-json')!.payout_micros)).toBe(3 * M)
    expect(Number(convs.find((x) => x.transaction_id === 'T-form')!.payout_micros)).toBe(4 * M)
    const logs = await f.logs(f.A.workspaceId)
    const jsonLog = logs.find((l) => l.transaction_id === 'T-json')!
    expect(jsonLog.method).toBe('POST')
    expect(jsonLog.body).toContain('"secret":"***"')
    expect(jsonLog.body).not.toContain(secret)
  })

  it('replays count once: same postback again is a 200 duplicate', async () => {
    const c = f.click(f.A.workspaceId)
    const query = q({ subid: c.click_id, tid: 'T-dup', payout: '5', status: 'sale' })
    const first = await f.get(query)
    const second = await f.get(query)
    expect(first.body.outcome).toBe('accepted')
    expect(second).toMatchObject({
      status: 200,
      body: { outcome: 'duplicate', conversion_id: first.body.conversion_id },
    })
    expect((await f.conversions(f.A.workspaceId)).filter((x) => x.transaction_id === 'T-dup')).toHaveLength(1)
  })

  it('lead → sale → rejected moves revenue by deltas; a stale lead is a duplicate', async () => {
    const c = f.click(f.A.workspaceId)
    const send = (status: string, payout?: string) =>
      f.get(q({ subid: c.click_id, tid: 'T-life', status, ...(payout ? { payout } : {}) }))
    expect((await send('pending', '2')).body.outcome).toBe('accepted')
    expect((await send('approved', '10')).body.outcome).toBe('accepted')
    expect((await send('lead', '2')).body.outcome).toBe('duplicate')
    expect((await send('declined')).body.outcome).toBe('accepted')
    const late = await send('sale', '10')
    expect(late.body.outcome).toBe('duplicate')
    const conv = (await f.conversions(f.A.workspaceId)).find((x) => x.transaction_id === 'T-life')!
    expect(conv.status).toBe('rejected')
    expect(conv.seen_statuses).toEqual(['lead', 'sale', 'rejected'])
    expect(Number(conv.revenue_micros)).toBe(0)
    const detail = await f.api(f.A.apiKey, 'GET', `/conversions/${conv.id}`)
    expect(
      detail.body.events.map((e: Json) => [e.status, e.previous_status, e.revenue_delta_micros]),
    ).toEqual([
      ['lead', '', 2 * M],
      ['sale', 'lead', 8 * M],
      ['rejected', 'sale', -10 * M],
    ])
  })

  it('without a transaction ID the click is the key: lead then sale is one conversion', async () => {
    const c = f.click(f.A.workspaceId)
    expect((await f.get(q({ subid: c.click_id, status: 'lead', payout: '1' }))).body.outcome).toBe('accepted')
    expect((await f.get(q({ subid: c.click_id, status: 'lead', payout: '1' }))).body.outcome).toBe(
      'duplicate',
    )
    expect((await f.get(q({ subid: c.click_id, status: 'sale', payout: '6' }))).body.outcome).toBe('accepted')
    const mine = (await f.conversions(f.A.workspaceId)).filter((x) => x.click_id === c.click_id)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ status: 'sale', transaction_id: '' })
    expect(Number(mine[0]!.revenue_micros)).toBe(6 * M)
  })

  it("rebills need their own transaction ID; no payout → the destination's default", async () => {
    const c = f.click(f.A.workspaceId, { destination_id: dest.id })
    expect((await f.get(q({ subid: c.click_id, tid: 'T-r0', status: 'sale' }))).body.outcome).toBe('accepted')
    const noTid = await f.get(q({ subid: c.click_id, status: 'rebill', payout: '3' }))
    expect(noTid).toMatchObject({ status: 400, body: { error: { code: 'bad_status' } } })
    const sameTid = await f.get(q({ subid: c.click_id, tid: 'T-r0', status: 'rebill', payout: '3' }))
    expect(sameTid.status).toBe(400)
    const own = await f.get(q({ subid: c.click_id, tid: 'T-r1', status: 'rebill', payout: '3' }))
    expect(own.body.outcome).toBe('accepted')
    const mine = (await f.conversions(f.A.workspaceId)).filter((x) => x.click_id === c.click_id)
    expect(mine.map((x) => [x.transaction_id, x.status, Number(x.revenue_micros)])).toEqual([
      ['T-r0', 'sale', 12_500_000], // destination payout_cents 1250 → 12.5 units
      ['T-r1', 'rebill', 3 * M],
    ])
  })

  describe('refusals are logged with their outcome and create nothing', () => {
    const cases: {
      name: string
      outcome: string
      status: number
      send: (f: Fixture, clickId: string) => Promise<{ status: number; body: Json }>
      attributed?: boolean
    }[] = [
      {
        name: 'wrong secret',
        outcome: 'bad_secret',
        status: 403,
        send: (f, id) => f.get(`network=${net.id}&secret=nope&subid=${id}&tid=R1`),
      },
      {
        name: 'missing secret',
        outcome: 'bad_secret',
        status: 403,
        send: (f, id) => f.get(`network=${net.id}&subid=${id}&tid=R2`),
      },
      {
        name: 'unknown click',
        outcome: 'unknown_click',
        status: 404,
        send: (f) => f.get(q({ subid: '01J00000000000000000000000', tid: 'R3' })),
      },
      {
        name: 'click ID that is not ours (unsubstituted macro)',
        outcome: 'malformed',
        status: 400,
        send: (f) => f.get(q({ subid: '{subid}', tid: 'R4' })),
      },
      {
        name: 'negative payout',
        outcome: 'malformed',
        status: 400,
        send: (f, id) => f.get(q({ subid: id, tid: 'R5', payout: '-3' })),
      },
      {
        name: 'absurd payout',
        outcome: 'malformed',
        status: 400,
        send: (f, id) => f.get(q({ subid: id, tid: 'R6', payout: '5000000' })),
      },
      {
        name: 'broken JSON body',
        outcome: 'malformed',
        status: 400,
        send: (f) => f.post(`network=${net.id}&secret=${secret}`, '{"subid":', 'application/json'),
      },
      // Issue 13: a NUL (or an unpaired surrogate) is a logged refusal, never an unlogged 503.
      {
        name: 'NUL in the click ID',
        outcome: 'malformed',
        status: 400,
        send: (f, id) => f.get(`network=${net.id}&secret=${secret}&subid=${id}%00&tid=N1`),
      },
      {
        name: 'NUL in the transaction ID',
        outcome: 'malformed',
        status: 400,
        send: (f, id) => f.get(`network=${net.id}&secret=${secret}&subid=${id}&tid=N2%00`),
      },
      {
        name: 'NUL bytes in a form body',
        outcome: 'malformed',
        status: 400,
        send: (f, id) =>
          f.post(
            `network=${net.id}&secret=${secret}`,
            `subid=${id}&tid=N3\0\0`,
            'application/x-www-form-urlencoded',
          ),
      },
      {
        name: 'unpaired surrogate in a JSON body',
        outcome: 'malformed',
        status: 400,
        send: (f, id) =>
          f.post(
            `network=${net.id}&secret=${secret}`,
            `{"subid":"${id}","tid":"\\ud800"}`,
            'application/json',
          ),
      },
      {
        name: 'NUL in the click ID with a wrong secret (still a logged 400)',
        outcome: 'malformed',
        status: 400,
        send: (f, id) => f.get(`network=${net.id}&secret=wrong&subid=${id}%00&tid=N4`),
      },
      {
        name: 'unknown status',
        outcome: 'bad_status',
        status: 400,
        send: (f, id) => f.get(q({ subid: id, tid: 'R7', status: 'maybe' })),
      },
      {
        name: 'unknown network',
        outcome: 'unknown_network',
        status: 404,
        attributed: false,
        send: (f, id) => f.get(`network=7b0a1a5e-0000-4000-8000-000000000000&subid=${id}`),
      },
      {
        name: 'no network parameter',
        outcome: 'unknown_network',
        status: 404,
        attributed: false,
        send: (f, id) => f.get(`subid=${id}&secret=${secret}`),
      },
    ]
    for (const c of cases) {
      it(c.name, async () => {
        const click = f.click(f.A.workspaceId)
        const before = (await f.conversions(f.A.workspaceId)).length
        const beforeLogs = (await f.logs(c.attributed === false ? null : f.A.workspaceId)).length
        const r = await c.send(f, click.click_id)
        expect(r.status).toBe(c.status)
        expect(r.body.error.code).toBe(c.outcome)
        expect(r.body.error.message).not.toBe('')
        expect((await f.conversions(f.A.workspaceId)).length).toBe(before)
        const logs = await f.logs(c.attributed === false ? null : f.A.workspaceId)
        expect(logs.length).toBe(beforeLogs + 1)
        const last = logs[logs.length - 1]!
        expect(last).toMatchObject({ outcome: c.outcome, http_status: c.status, conversion_id: null })
        expect(last.reason).not.toBe('')
        expect(last.query + last.body).not.toContain(secret)
      })
    }

    it('IP allowlist: outside → ip_not_allowed; X-Forwarded-For honoured from a trusted proxy', async () => {
      const guarded = await f.network(f.A.apiKey, { ip_allowlist: ['198.51.100.0/24'] })
      const c = f.click(f.A.workspaceId)
      const base = `network=${guarded.id}&subid=${c.click_id}&tid=IP1`
      const direct = await f.get(base)
      expect(direct).toMatchObject({ status: 403, body: { error: { code: 'ip_not_allowed' } } })
      // 127.0.0.1 (inject's peer) is a trusted proxy in this fixture.
      const proxied = await f.get(base, { headers: { 'x-forwarded-for': '198.51.100.20' } })
      expect(proxied.body.outcome).toBe('accepted')
      // An untrusted peer's X-Forwarded-For is ignored.
      const spoofed = await f.get(`network=${guarded.id}&subid=${c.click_id}&tid=IP2`, {
        headers: { 'x-forwarded-for': '198.51.100.20' },
        remoteAddress: '203.0.113.9',
      })
      expect(spoofed.status).toBe(403)
      const logs = (await f.logs(f.A.workspaceId)).filter((l) => l.network_id === guarded.id)
      expect(logs.map((l) => [l.outcome, l.ip])).toEqual([
        ['ip_not_allowed', '127.0.0.1'],
        ['accepted', '198.51.100.20'],
        ['ip_not_allowed', '203.0.113.9'],
      ])
    })
  })

  it('custom template with a status map; fixing the map makes the retry succeed', async () => {
    const custom = await f.network(
      f.A.apiKey,
      {},
      {
        template: 'custom',
        params: {
          click_id: 'clk',
          transaction_id: 'oid',
          payout: 'sum',
          status: 'st',
          subs: { sub5: 'zone' },
        },
      },
    )
    const c = f.click(f.A.workspaceId, { sub5: '' })
    const query = `network=${custom.id}&clk=${c.click_id}&oid=O1&sum=7.25&st=2&zone=z-9`
    expect(await f.get(query)).toMatchObject({ status: 400, body: { error: { code: 'bad_status' } } })
    await f.api(f.A.apiKey, 'PUT', `/networks/${custom.id}/postback-settings`, {
      status_map: { '2': 'sale' },
    })
    const retry = await f.get(query)
    expect(retry.body.outcome).toBe('accepted')
    const conv = (await f.conversions(f.A.workspaceId)).find((x) => x.id === retry.body.conversion_id)!
    expect(conv).toMatchObject({ status: 'sale', transaction_id: 'O1', sub5: 'z-9' })
    expect(Number(conv.payout_micros)).toBe(7_250_000)
  })

  it('a click of another workspace is unknown here', async () => {
    const other = f.click('00000000-0000-4000-8000-000000000000')
    const r = await f.get(q({ subid: other.click_id, tid: 'X-ws' }))
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'unknown_click' } } })
  })

  it('20 identical postbacks at once count once', async () => {
    const c = f.click(f.A.workspaceId)
    const query = q({ subid: c.click_id, tid: 'T-burst', payout: '9', status: 'sale' })
    const replies = await Promise.all(Array.from({ length: 20 }, () => f.get(query)))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    const outcomes = replies.map((r) => r.body.outcome).sort()
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19)
    expect(new Set(replies.map((r) => r.body.conversion_id)).size).toBe(1)
    const mine = (await f.conversions(f.A.workspaceId)).filter((x) => x.transaction_id === 'T-burst')
    expect(mine).toHaveLength(1)
    const events = await f.h.db.execute(
      sql`SELECT count(*)::int AS n FROM conversion_events WHERE conversion_id = ${mine[0]!.id}`,
    )
    expect((events as unknown as { rows: Json[] }).rows[0]!.n).toBe(1)
  })

  it('20 concurrent postbacks without transaction ID, mixed lead and sale, make one conversion', async () => {
    const c = f.click(f.A.workspaceId)
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        f.get(q({ subid: c.click_id, status: i % 2 ? 'sale' : 'lead', payout: i % 2 ? '10' : '2' })),
      ),
    )
    expect(replies.every((r) => r.status === 200 || r.status === 400)).toBe(true)
    const mine = (await f.conversions(f.A.workspaceId)).filter((x) => x.click_id === c.click_id)
    expect(mine).toHaveLength(1)
    const accepted = replies.filter((r) => r.body.outcome === 'accepted').length
    // lead then sale (2), or sale first and every later lead refused (1).
    expect(accepted).toBe(mine[0]!.seen_statuses.length)
    expect(Number(mine[0]!.revenue_micros)).toBe(10 * M)
  })

  it('a click found only in ClickHouse is enriched from there', async () => {
    const c = f.click(
      f.A.workspaceId,
      { campaign_id: 'camp-ch', country: 'JP', device: 'tablet', sub3: 'from-ch', cost_micros: 77 },
      { cache: false },
    )
    await f.clicksToClickHouse([c])
    expect(f.recentClicks.find(c.click_id)).toBeUndefined()
    const r = await f.get(q({ subid: c.click_id, tid: 'T-ch', payout: '1' }))
    expect(r.body.outcome).toBe('accepted')
    const conv = (await f.conversions(f.A.workspaceId)).find((x) => x.transaction_id === 'T-ch')!
    expect(conv).toMatchObject({ campaign_id: 'camp-ch', country: 'JP', device: 'tablet', sub3: 'from-ch' })
    expect(Number(conv.cost_micros)).toBe(77)
    expect(new Date(conv.click_ts).getTime()).toBe(c.ts)
  })

  it('conversion events reach ClickHouse exactly once and sum to the revenue', async () => {
    // A fresh workspace so the sums are this test's only.
    const { createWorkspaceWithKey } = await import('./helpers/auth.ts')
    const B = await createWorkspaceWithKey(f.h.db)
    const bNet = await f.network(B.apiKey)
    const send = (id: string, tid: string, status: string, payout?: string) =>
      f.get(
        new URLSearchParams({
          network: bNet.id,
          subid: id,
          tid,
          status,
          ...(payout ? { payout } : {}),
        }).toString(),
      )
    const c1 = f.click(B.workspaceId)
    const c2 = f.click(B.workspaceId)
    const c3 = f.click(B.workspaceId)
    await send(c1.click_id, 'A', 'lead', '2')
    await send(c1.click_id, 'A', 'sale', '10')
    await send(c1.click_id, 'A', 'rejected')
    await send(c2.click_id, 'B', 'lead', '2')
    await send(c2.click_id, 'B', 'sale', '10')
    await send(c2.click_id, 'B', 'sale', '10') // duplicate
    await send(c3.click_id, 'C', 'rejected', '4') // first postback rejected: 0 revenue

    const s1 = await f.service.syncPendingConversionEvents()
    expect(s1.failed).toBe(0)
    const expected = { conversions: 3, revenue: 10 * M, events: 6, sales: 1 }
    expect(await chTotals(B.workspaceId)).toEqual(expected)

    // Forced re-sync: every batch re-sent with its original token → ClickHouse drops them.
    const marked = await resetConversionSync(f.h.db)
    expect(marked).toBeGreaterThanOrEqual(6)
    const s2 = await f.service.syncPendingConversionEvents()
    expect(s2).toMatchObject({ events: marked, failed: 0 })
    expect(await chTotals(B.workspaceId)).toEqual(expected)
    // And nothing is pending afterwards.
    expect((await f.service.syncPendingConversionEvents()).events).toBe(0)

    const [row] = await rows<Json>(
      ch,
      `SELECT campaign_id, click_id, network_id, transaction_id, toUnixTimestamp64Milli(click_ts) AS click_ts
       FROM tf_conv.conversions WHERE workspace_id = {ws:String} AND transaction_id = 'C'`,
      { ws: B.workspaceId },
    )
    expect(row).toMatchObject({ campaign_id: c3.campaign_id, click_id: c3.click_id, network_id: bNet.id })
    expect(Number(row!.click_ts)).toBe(c3.ts)
  })

  it("caches a network's settings for networkCacheMs on the injected clock", async () => {
    const { createConversionsService } = await import('../src/modules/conversions/index.ts')
    const { manualClock } = await import('../src/platform/clock.ts')
    const clock = manualClock('2026-05-01T00:00:00Z')
    const cached = createConversionsService({
      db: f.h.db,
      clickhouse: ch,
      recentClicks: f.recentClicks,
      networkCacheMs: 1000,
      clock,
    })
    const n = await f.network(f.A.apiKey, { postback_secret: 'old-secret' })
    // A click of the manual clock's time: one from the future would be refused as malformed.
    const c = f.click(f.A.workspaceId, { ts: clock.now().getTime() })
    const post = (secret: string) =>
      cached.handlePostback({
        method: 'GET',
        rawQuery: new URLSearchParams({ network: n.id, secret, subid: c.click_id, tid: 'T-ttl' }).toString(),
        headers: {},
        ip: '127.0.0.1',
      })
    expect((await post('new-secret')).outcome).toBe('bad_secret') // loads and caches 'old-secret'
    await f.h.db.execute(sql`UPDATE affiliate_networks SET postback_secret = 'new-secret' WHERE id = ${n.id}`)
    clock.advance(1000)
    expect((await post('new-secret')).outcome).toBe('bad_secret') // still the cached settings
    clock.advance(1)
    expect((await post('new-secret')).outcome).toBe('accepted') // older than 1,000 ms: reloaded
  })

  it('a failed ClickHouse insert is retried later with the same token (no loss, no double)', async () => {
    const { createWorkspaceWithKey } = await import('./helpers/auth.ts')
    const { createConversionsService } = await import('../src/modules/conversions/index.ts')
    const C = await createWorkspaceWithKey(f.h.db)
    const cNet = await f.network(C.apiKey)
    const c = f.click(C.workspaceId)
    await f.get(`network=${cNet.id}&subid=${c.click_id}&tid=F1&payout=5`)
    // A second service whose ClickHouse database does not exist: the insert fails.
    const broken = createConversionsService({
      db: f.h.db,
      clickhouse: { ...ch, database: 'tf_conv_missing' },
      syncLeaseMs: 0,
    })
    const failed = await broken.syncPendingConversionEvents()
    expect(failed.failed).toBeGreaterThan(0)
    expect(broken.stats().sync.lastError?.message).toBeTruthy()
    expect((await chTotals(C.workspaceId)).events).toBe(0)
    // The working service re-sends the claimed batch (same token), once.
    await f.service.syncPendingConversionEvents()
    await f.service.syncPendingConversionEvents()
    expect(await chTotals(C.workspaceId)).toMatchObject({ conversions: 1, revenue: 5 * M, events: 1 })
  })
})
