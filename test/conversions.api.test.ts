/**
 * Admin routes of the conversions module on PGlite and PostgreSQL: postback logs,
 * conversions, network postback settings — filters, pagination, workspace isolation and a
 * 400 naming the field for bad input on every route.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { removeTempDirs, tempDir } from './analytics.helpers.ts'
import { type Account, type Fixture, fixture, type Json } from './conversions.helpers.ts'
import { createAccount, createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { postbackUrlWithSecret } from '../src/modules/conversions/postback.parse.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'

let ch: ClickHouseHandle

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('conv-api-ch'), 'ch'), database: 'tf_conv_api' })
  await migrateClickHouse(ch)
})
afterAll(async () => {
  await ch?.close()
  removeTempDirs()
})

describe.each(['pglite', 'postgres'] as const)('conversions admin API on %s', (kind) => {
  let f: Fixture
  let B: Account
  let admin: Account
  let netA: Json
  let netA2: Json
  let netB: Json
  let destA: Json
  const campaignA = randomUUID()
  const convA: Json[] = []
  let t0: number

  beforeAll(async () => {
    f = await fixture(kind, ch)
    B = await createWorkspaceWithKey(f.h.db)
    admin = await createWorkspaceWithKey(f.h.db, { role: 'admin' })
    netA = await f.network(f.A.apiKey)
    netA2 = await f.network(f.A.apiKey, { postback_secret: 'sekret' })
    netB = await f.network(B.apiKey)
    destA = await f.destination(f.A.apiKey, { network_id: netA.id })
    t0 = Date.now()
    // Workspace A: 3 conversions (2 on netA, 1 on netA2), plus refusals.
    for (const [net, tid, status] of [
      [netA, 'A1', 'sale'],
      [netA, 'A2', 'lead'],
      [netA2, 'A3', 'sale'],
    ] as const) {
      const c = f.click(f.A.workspaceId, { campaign_id: campaignA, destination_id: destA.id })
      const extra = net === netA2 ? '&secret=sekret' : ''
      const r = await f.get(
        `network=${net.id}&subid=${c.click_id}&tid=${tid}&status=${status}&payout=2${extra}`,
      )
      expect(r.body.outcome).toBe('accepted')
      convA.push({ id: r.body.conversion_id, click_id: c.click_id, tid })
    }
    await f.get(`network=${netA2.id}&subid=${convA[2]!.click_id}&tid=A3&secret=wrong`) // bad_secret
    await f.get(`network=${netA.id}&subid=${convA[0]!.click_id}&tid=A1&status=sale&payout=2`) // duplicate
    await f.get(`network=${randomUUID()}&subid=x`) // unknown network (no workspace)
    // Workspace B: one conversion.
    const cb = f.click(B.workspaceId)
    expect((await f.get(`network=${netB.id}&subid=${cb.click_id}&tid=B1`)).body.outcome).toBe('accepted')
  })
  afterAll(async () => {
    await f?.close()
  })

  it('GET /postback-logs: newest first, only the workspace, with filters and pagination', async () => {
    const all = await f.api(f.A.apiKey, 'GET', '/postback-logs')
    expect(all.status).toBe(200)
    expect(all.body.total).toBe(5)
    expect(all.body.items.map((i: Json) => i.outcome)).toEqual([
      'duplicate',
      'bad_secret',
      'accepted',
      'accepted',
      'accepted',
    ])
    expect(all.body.items[1]).toMatchObject({
      network_id: netA2.id,
      http_status: 403,
      click_id: convA[2]!.click_id,
      conversion_id: null,
      method: 'GET',
      ip: '127.0.0.1',
    })
    expect(all.body.items[1].query).not.toContain('wrong')

    const byOutcome = await f.api(f.A.apiKey, 'GET', '/postback-logs?outcome=accepted')
    expect(byOutcome.body.total).toBe(3)
    const byNet = await f.api(f.A.apiKey, 'GET', `/postback-logs?network_id=${netA2.id}`)
    expect(byNet.body.items.map((i: Json) => i.outcome)).toEqual(['bad_secret', 'accepted'])
    const byClick = await f.api(f.A.apiKey, 'GET', `/postback-logs?click_id=${convA[0]!.click_id}`)
    expect(byClick.body.items.map((i: Json) => i.outcome)).toEqual(['duplicate', 'accepted'])
    const byTid = await f.api(f.A.apiKey, 'GET', '/postback-logs?transaction_id=A2')
    expect(byTid.body.total).toBe(1)
    const future = new Date(Date.now() + 3600_000).toISOString()
    expect((await f.api(f.A.apiKey, 'GET', `/postback-logs?from=${future}`)).body.total).toBe(0)
    const past = new Date(t0 - 1000).toISOString()
    expect((await f.api(f.A.apiKey, 'GET', `/postback-logs?from=${past}&to=${future}`)).body.total).toBe(5)
    const page = await f.api(f.A.apiKey, 'GET', '/postback-logs?limit=2&offset=2')
    expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 2 })
    expect(page.body.items.map((i: Json) => i.id)).toEqual(all.body.items.slice(2, 4).map((i: Json) => i.id))
  })

  it('workspace isolation: B sees only its own log; admins also see unattributed requests', async () => {
    const b = await f.api(B.apiKey, 'GET', '/postback-logs')
    expect(b.body.total).toBe(1)
    expect(b.body.items[0].network_id).toBe(netB.id)
    expect((await f.api(B.apiKey, 'GET', `/postback-logs?network_id=${netA.id}`)).body.total).toBe(0)
    const a = await f.api(admin.apiKey, 'GET', '/postback-logs')
    expect(a.body.items.map((i: Json) => i.outcome)).toEqual(['unknown_network'])
    expect(a.body.items[0].network_id).toBeNull()
  })

  it('GET /conversions: filters, pagination, isolation', async () => {
    const all = await f.api(f.A.apiKey, 'GET', '/conversions')
    expect(all.status).toBe(200)
    expect(all.body.total).toBe(3)
    expect(all.body.items.map((i: Json) => i.transaction_id)).toEqual(['A3', 'A2', 'A1'])
    expect(all.body.items[2]).toMatchObject({
      id: convA[0]!.id,
      network_id: netA.id,
      status: 'sale',
      payout_micros: 2_000_000,
      revenue_micros: 2_000_000,
      currency: 'USD',
      campaign_id: campaignA,
      destination_id: destA.id,
      version: 1,
      seen_statuses: ['sale'],
      subs: expect.objectContaining({ sub1: 'a', sub10: '' }),
    })
    const q = async (s: string) => (await f.api(f.A.apiKey, 'GET', `/conversions?${s}`)).body
    expect((await q('status=lead')).items.map((i: Json) => i.transaction_id)).toEqual(['A2'])
    expect((await q(`network_id=${netA2.id}`)).total).toBe(1)
    expect((await q(`campaign_id=${campaignA}`)).total).toBe(3)
    expect((await q(`destination_id=${destA.id}`)).total).toBe(3)
    expect((await q(`click_id=${convA[1]!.click_id}`)).items[0].id).toBe(convA[1]!.id)
    expect((await q('transaction_id=A3')).total).toBe(1)
    expect((await q(`from=${new Date(Date.now() + 60_000).toISOString()}`)).total).toBe(0)
    const page = await q('limit=1&offset=1')
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 })
    expect(page.items[0].transaction_id).toBe('A2')
    const b = await f.api(B.apiKey, 'GET', '/conversions')
    expect(b.body.items.map((i: Json) => i.transaction_id)).toEqual(['B1'])
  })

  it('GET /conversions/:id: with events; 404 from another workspace', async () => {
    const one = await f.api(f.A.apiKey, 'GET', `/conversions/${convA[0]!.id}`)
    expect(one.status).toBe(200)
    expect(one.body.events).toEqual([
      expect.objectContaining({
        seq: 1,
        status: 'sale',
        previous_status: '',
        conversions_delta: 1,
        revenue_delta_micros: 2_000_000,
      }),
    ])
    const other = await f.api(B.apiKey, 'GET', `/conversions/${convA[0]!.id}`)
    expect(other.status).toBe(404)
    expect(other.body.error.code).toBe('not_found')
    expect((await f.api(f.A.apiKey, 'GET', `/conversions/${randomUUID()}`)).status).toBe(404)
  })

  it('GET/PUT /networks/:id/postback-settings', async () => {
    const get = await f.api(f.A.apiKey, 'GET', `/networks/${netA2.id}/postback-settings`)
    expect(get.status).toBe(200)
    expect(get.body).toMatchObject({
      network_id: netA2.id,
      template: 'subid_tid_payout_status',
      params: {},
      status_map: {},
      default_status: 'sale',
      has_postback_secret: true,
      effective_params: { click_id: 'subid', transaction_id: 'tid', payout: 'payout', status: 'status' },
    })
    expect(get.body.postback_url).toBe(
      `http://tf.test/postback?network=${netA2.id}&secret={secret}&subid={click_id}&tid={transaction_id}&payout={payout}&status={status}`,
    )
    const put = await f.api(f.A.apiKey, 'PUT', `/networks/${netA2.id}/postback-settings`, {
      template: 'cid_txid_payout',
      params: { payout: 'sum', subs: { sub2: 'aff_sub2' } },
      status_map: { '1': 'sale', ok: 'lead' },
      default_status: 'lead',
    })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({
      template: 'cid_txid_payout',
      default_status: 'lead',
      status_map: { '1': 'sale', ok: 'lead' },
      effective_params: { click_id: 'cid', transaction_id: 'txid', payout: 'sum', sub2: 'aff_sub2' },
    })
    expect(put.body.postback_url).toContain(
      'cid={click_id}&txid={transaction_id}&sum={payout}&aff_sub2={sub2}',
    )
    // Absent fields stay; the network CRUD still reports the template.
    const partial = await f.api(f.A.apiKey, 'PUT', `/networks/${netA2.id}/postback-settings`, {
      default_status: 'sale',
    })
    expect(partial.body).toMatchObject({ template: 'cid_txid_payout', default_status: 'sale' })
    expect((await f.api(f.A.apiKey, 'GET', `/networks/${netA2.id}`)).body.postback_template).toBe(
      'cid_txid_payout',
    )
    // Another workspace's network is not found.
    expect((await f.api(B.apiKey, 'GET', `/networks/${netA2.id}/postback-settings`)).status).toBe(404)
    expect(
      (await f.api(B.apiKey, 'PUT', `/networks/${netA2.id}/postback-settings`, { default_status: 'lead' }))
        .status,
    ).toBe(404)
  })

  describe('bad input → 400 naming the field', () => {
    const cases: [string, string, string, Json | undefined, string][] = [
      ['logs: unknown outcome', 'GET', '/postback-logs?outcome=nope', undefined, 'outcome'],
      ['logs: limit 0', 'GET', '/postback-logs?limit=0', undefined, 'limit'],
      ['logs: limit 501', 'GET', '/postback-logs?limit=501', undefined, 'limit'],
      ['logs: negative offset', 'GET', '/postback-logs?offset=-1', undefined, 'offset'],
      ['logs: bad network_id', 'GET', '/postback-logs?network_id=abc', undefined, 'network_id'],
      ['logs: bad from', 'GET', '/postback-logs?from=yesterday', undefined, 'from'],
      [
        'logs: to before from',
        'GET',
        '/postback-logs?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z',
        undefined,
        'to',
      ],
      ['conversions: bad status', 'GET', '/conversions?status=won', undefined, 'status'],
      ['conversions: bad campaign_id', 'GET', '/conversions?campaign_id=1', undefined, 'campaign_id'],
      ['conversions: bad to', 'GET', '/conversions?to=2024-13-01', undefined, 'to'],
      ['conversions: limit text', 'GET', '/conversions?limit=ten', undefined, 'limit'],
      ['conversion: bad id', 'GET', '/conversions/not-a-uuid', undefined, 'id'],
      ['settings: bad id', 'GET', '/networks/123/postback-settings', undefined, 'id'],
      ['settings: bad template', 'PUT', '/networks/{net}/postback-settings', { template: 'x' }, 'template'],
      ['settings: unknown field', 'PUT', '/networks/{net}/postback-settings', { secret: 'x' }, 'secret'],
      [
        'settings: bad param name',
        'PUT',
        '/networks/{net}/postback-settings',
        { params: { click_id: 'a b' } },
        'params.click_id',
      ],
      [
        'settings: unknown param key',
        'PUT',
        '/networks/{net}/postback-settings',
        { params: { clickid: 'x' } },
        'params.clickid',
      ],
      [
        'settings: bad sub key',
        'PUT',
        '/networks/{net}/postback-settings',
        { params: { subs: { sub11: 'x' } } },
        'params.subs.sub11',
      ],
      [
        'settings: bad status in map',
        'PUT',
        '/networks/{net}/postback-settings',
        { status_map: { ok: 'approved' } },
        'status_map.ok',
      ],
      [
        'settings: bad default status',
        'PUT',
        '/networks/{net}/postback-settings',
        { default_status: 'won' },
        'default_status',
      ],
      [
        'settings: custom without click_id',
        'PUT',
        '/networks/{net}/postback-settings',
        { template: 'custom' },
        'params.click_id',
      ],
    ]
    for (const [name, method, url, body, field] of cases) {
      it(name, async () => {
        const r = await f.api(f.A.apiKey, method, url.replace('{net}', netA.id), body)
        expect(r.status, JSON.stringify(r.body)).toBe(400)
        expect(r.body.error.code).toBe('validation_failed')
        expect(r.body.error.details.map((d: Json) => d.path)).toContain(field)
      })
    }
    it('nothing changed after the refused writes', async () => {
      const s = await f.api(f.A.apiKey, 'GET', `/networks/${netA.id}/postback-settings`)
      expect(s.body).toMatchObject({ template: 'subid_tid_payout_status', params: {}, status_map: {} })
    })
  })

  it('GET /networks/:id/postback-secret: the copied URL, macros filled in, is accepted (not 403)', async () => {
    const r = await f.api(f.A.apiKey, 'GET', `/networks/${netA2.id}/postback-secret`)
    expect(r.status).toBe(200)
    expect(r.body.secret).toBe('sekret')
    const settings = await f.api(f.A.apiKey, 'GET', `/networks/${netA2.id}/postback-settings`)
    // The URL the UI copies: the settings' URL with the real secret (postbackUrlWithSecret).
    const copied = postbackUrlWithSecret(settings.body.postback_url, r.body.secret)
    expect(copied).toBe(r.body.postback_url)
    expect(copied).not.toContain('{secret}')
    expect(copied).toContain('&secret=sekret&')
    // Only the network's macros are left; the network fills them in.
    const c = f.click(f.A.workspaceId, { campaign_id: campaignA, destination_id: destA.id })
    const filled = copied
      .replace('{click_id}', c.click_id)
      .replace('{transaction_id}', 'COPY-1')
      .replace('{payout}', '3.5')
      .replace('{sub2}', 'zone-7')
    expect(filled).not.toMatch(/[{}]/)
    const u = new URL(filled)
    expect(`${u.origin}${u.pathname}`).toBe('http://tf.test/postback')
    const pb = await f.get(u.search.slice(1))
    expect(pb.status, JSON.stringify(pb.body)).toBe(200)
    expect(pb.body.outcome).toBe('accepted')
    // The settings' own URL, pasted as is, was the reported defect: 403 bad secret.
    const raw = new URL(settings.body.postback_url.replace('{click_id}', c.click_id))
    expect((await f.get(raw.search.slice(1))).status).toBe(403)

    // A network without a secret: null, and the URL is the settings' URL.
    const none = await f.api(f.A.apiKey, 'GET', `/networks/${netA.id}/postback-secret`)
    expect(none.body).toMatchObject({ network_id: netA.id, secret: null })
    expect(none.body.postback_url).not.toContain('secret=')
  })

  it('GET /networks/:id/postback-secret: owners and admins only; other workspaces 404', async () => {
    const member = async (memberRole: 'admin' | 'member') => {
      const { userId } = await createAccount(f.h.db, {
        email: `${memberRole}-${randomUUID()}@test.local`,
        password: 'password-123456',
        workspaceId: f.A.workspaceId,
        memberRole,
      })
      return (
        await createApiKey(f.h.db, { workspaceId: f.A.workspaceId, userId, name: 't', scopes: ['admin'] })
      ).key
    }
    const asAdmin = await f.api(await member('admin'), 'GET', `/networks/${netA2.id}/postback-secret`)
    expect(asAdmin.status).toBe(200)
    expect(asAdmin.body.secret).toBe('sekret')
    const asMember = await f.api(await member('member'), 'GET', `/networks/${netA2.id}/postback-secret`)
    expect(asMember.status).toBe(403)
    expect(asMember.body.error.code).toBe('forbidden')
    expect(JSON.stringify(asMember.body)).not.toContain('sekret')
    // Another workspace's network is not found, for its owner too.
    expect((await f.api(B.apiKey, 'GET', `/networks/${netA2.id}/postback-secret`)).status).toBe(404)
    expect(
      (await f.app.inject({ method: 'GET', url: `/api/v1/networks/${netA2.id}/postback-secret` })).statusCode,
    ).toBe(401)
  })

  it('every admin route needs auth', async () => {
    for (const url of ['/postback-logs', '/conversions', `/conversions/${convA[0]!.id}`]) {
      const r = await f.app.inject({ method: 'GET', url: `/api/v1${url}` })
      expect(r.statusCode).toBe(401)
    }
  })
})

describe('OpenAPI', () => {
  it('documents the conversions routes and the public postback route', async () => {
    const f = await fixture('pglite', ch)
    try {
      const r = await f.app.inject({ method: 'GET', url: '/api/docs/json' })
      expect(r.statusCode).toBe(200)
      const paths = Object.keys((r.json() as Json).paths)
      for (const p of [
        '/api/v1/postback-logs',
        '/api/v1/conversions',
        '/api/v1/conversions/{id}',
        '/api/v1/networks/{id}/postback-settings',
        '/api/v1/networks/{id}/postback-secret',
        '/postback',
      ]) {
        expect(paths).toContain(p)
      }
    } finally {
      await f.close()
    }
  })
})
