/**
 * Routing configuration API: CRUD round trips for every resource, pagination and search,
 * reference rules, alias conflicts and the config version — on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfigVersion } from '../src/modules/routing/routing.api.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

describe.each(['pglite', 'postgres'] as const)('routing API on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let key: string

  beforeAll(async () => {
    h = await throwawayDb(kind)
    key = (await createWorkspaceWithKey(h.db)).apiKey
    app = await testApiApp(h.db)
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    k = key,
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${k}` },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : undefined }
  }
  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const r = await call(method, url, payload)
    if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`)
    return r.body as Json
  }
  const version = () => readConfigVersion(h.db)

  /** create → get → list → patch → get → delete → 404, checking the version bumps on each write only. */
  async function roundTrip(
    path: string,
    create: Json,
    patch: Json,
    expectCreated: Json,
    expectPatched: Json,
  ) {
    const v0 = await version()
    const c = await call('POST', path, create)
    expect(c.status, JSON.stringify(c.body)).toBe(201)
    expect(c.body).toMatchObject(expectCreated)
    expect(c.body!.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(c.body!.created_at)).not.toBeNaN()
    expect(await version()).toBe(v0 + 1)
    const id = c.body!.id as string

    expect(await ok('GET', `${path}/${id}`)).toEqual(c.body)
    const list = await ok('GET', path)
    expect(list.items.map((x: Json) => x.id)).toContain(id)
    expect(await version()).toBe(v0 + 1)

    const p = await call('PATCH', `${path}/${id}`, patch)
    expect(p.status, JSON.stringify(p.body)).toBe(200)
    expect(p.body).toMatchObject({ ...expectPatched, id, created_at: c.body!.created_at })
    expect(await version()).toBe(v0 + 2)
    // Fields absent from the patch are unchanged (no defaults re-applied).
    for (const [k, v] of Object.entries(c.body!)) {
      if (!(k in patch) && !['updated_at', 'has_postback_secret', 'url'].includes(k))
        expect(p.body![k], k).toEqual(v)
    }
    expect(await ok('GET', `${path}/${id}`)).toEqual(p.body)

    const d = await call('DELETE', `${path}/${id}`)
    expect(d.status).toBe(204)
    expect(d.body).toBeUndefined()
    expect(await version()).toBe(v0 + 3)
    expect((await call('GET', `${path}/${id}`)).status).toBe(404)
    expect((await call('DELETE', `${path}/${id}`)).status).toBe(404)
    expect((await call('PATCH', `${path}/${id}`, patch)).status).toBe(404)
    expect(await version()).toBe(v0 + 3)
  }

  it('sources round trip', async () => {
    await roundTrip(
      '/sources',
      {
        name: 'TrafficStars',
        cost_model: 'cpc',
        default_cost_micros: 15000,
        currency: 'EUR',
        external_id_param: 'clickid',
      },
      { default_cost_micros: 20000, postback_url: 'https://ts.test/pb?c={external_id}' },
      {
        name: 'TrafficStars',
        cost_model: 'cpc',
        default_cost_micros: 15000,
        currency: 'EUR',
        external_id_param: 'clickid',
        postback_url: null,
      },
      {
        name: 'TrafficStars',
        default_cost_micros: 20000,
        currency: 'EUR',
        postback_url: 'https://ts.test/pb?c={external_id}',
      },
    )
  })

  it('networks round trip; postback_secret is write-only', async () => {
    const c = await ok('POST', '/networks', {
      name: 'Net',
      postback_secret: 's3cret',
      ip_allowlist: ['10.0.0.0/8'],
    })
    expect(c).toMatchObject({ name: 'Net', has_postback_secret: true, ip_allowlist: ['10.0.0.0/8'] })
    expect(c).not.toHaveProperty('postback_secret')
    expect(JSON.stringify(c)).not.toContain('s3cret')
    expect(JSON.stringify(await ok('GET', `/networks/${c.id}`))).not.toContain('s3cret')
    expect(JSON.stringify(await ok('GET', '/networks'))).not.toContain('s3cret')
    expect(await ok('PATCH', `/networks/${c.id}`, { name: 'Net 2' })).toMatchObject({
      has_postback_secret: true,
    })
    expect(await ok('PATCH', `/networks/${c.id}`, { postback_secret: null })).toMatchObject({
      has_postback_secret: false,
    })
    await ok('DELETE', `/networks/${c.id}`)

    await roundTrip(
      '/networks',
      { name: 'CAKE', postback_template: 'cid_txid_payout' },
      { ip_allowlist: ['1.2.3.4'] },
      { name: 'CAKE', postback_template: 'cid_txid_payout', has_postback_secret: false, ip_allowlist: [] },
      { ip_allowlist: ['1.2.3.4'] },
    )
  })

  it('destinations round trip', async () => {
    const net = await ok('POST', '/networks', { name: 'for dest' })
    await roundTrip(
      '/destinations',
      {
        name: 'Offer',
        url: 'https://offer.test/?s={click_id}',
        network_id: net.id,
        payout_cents: 250,
        daily_click_cap: 1000,
        schedule: { days: [1, 2], from: '08:00', to: '20:00' },
        health_check: { enabled: true },
      },
      { status: 'paused', daily_click_cap: null, schedule: null, cap_timezone: 'Europe/Berlin' },
      {
        name: 'Offer',
        network_id: net.id,
        payout_cents: 250,
        currency: 'USD',
        status: 'active',
        daily_click_cap: 1000,
        total_click_cap: null,
        cap_timezone: 'UTC',
        schedule: { days: [1, 2], from: '08:00', to: '20:00' },
        health_check: { enabled: true, method: 'GET', interval_seconds: 60 },
        health: 'unknown',
        health_checked_at: null,
      },
      {
        status: 'paused',
        daily_click_cap: null,
        schedule: null,
        cap_timezone: 'Europe/Berlin',
        payout_cents: 250,
      },
    )
  })

  it('deleting a network detaches its destinations', async () => {
    const net = await ok('POST', '/networks', { name: 'gone soon' })
    const d = await ok('POST', '/destinations', { name: 'd', url: 'https://x.test/', network_id: net.id })
    await ok('DELETE', `/networks/${net.id}`)
    expect((await ok('GET', `/destinations/${d.id}`)).network_id).toBeNull()
  })

  it('campaigns round trip with their url', async () => {
    const src = await ok('POST', '/sources', { name: 'src' })
    const tb = await ok('POST', '/campaigns', { name: 'fallback', alias: 'fallback-camp' })
    await roundTrip(
      '/campaigns',
      {
        name: 'Main',
        alias: 'main-camp',
        source_id: src.id,
        timezone: 'America/New_York',
        cost_micros: 5000,
        trafficback: { type: 'campaign', campaign_id: tb.id },
        anti_repeat: { enabled: true, window_seconds: 3600 },
      },
      { status: 'paused', trafficback: { type: 'url', url: 'https://tb.test/' }, source_id: null },
      {
        name: 'Main',
        alias: 'main-camp',
        url: 'http://tf.test/c/main-camp',
        source_id: src.id,
        status: 'active',
        timezone: 'America/New_York',
        cost_micros: 5000,
        currency: 'USD',
        trafficback: { type: 'campaign', campaign_id: tb.id },
        anti_repeat: { enabled: true, window_seconds: 3600 },
      },
      {
        status: 'paused',
        trafficback: { type: 'url', url: 'https://tb.test/' },
        source_id: null,
        alias: 'main-camp',
      },
    )
    const renamed = await ok('PATCH', `/campaigns/${tb.id}`, { alias: 'fallback-2' })
    expect(renamed.url).toBe('http://tf.test/c/fallback-2')
    // Re-saving its own alias is not a conflict.
    expect((await call('PATCH', `/campaigns/${tb.id}`, { alias: 'fallback-2' })).status).toBe(200)
  })

  it('alias conflicts are 409 naming alias, also across workspaces, and change nothing', async () => {
    const c1 = await ok('POST', '/campaigns', { name: 'one', alias: 'taken-alias' })
    const c2 = await ok('POST', '/campaigns', { name: 'two', alias: 'free-alias' })
    const v = await version()
    const dup = await call('POST', '/campaigns', { name: 'dup', alias: 'taken-alias' })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({
      error: {
        code: 'conflict',
        message: 'alias: already in use',
        details: [{ path: 'alias', message: 'already in use' }],
      },
    })
    const patchDup = await call('PATCH', `/campaigns/${c2.id}`, { alias: 'taken-alias', name: 'renamed' })
    expect(patchDup.status).toBe(409)
    expect((await ok('GET', `/campaigns/${c2.id}`)).name).toBe('two')
    const other = await createWorkspaceWithKey(h.db)
    const cross = await call('POST', '/campaigns', { name: 'x', alias: 'taken-alias' }, other.apiKey)
    expect(cross.status).toBe(409)
    expect(cross.body!.error.details[0].path).toBe('alias')
    expect(await version()).toBe(v)
    await ok('DELETE', `/campaigns/${c1.id}`)
    expect((await call('POST', '/campaigns', { name: 'x', alias: 'taken-alias' }, other.apiKey)).status).toBe(
      201,
    )
  })

  it('trafficback rules: no self reference; a campaign used as trafficback cannot be deleted', async () => {
    const a = await ok('POST', '/campaigns', { name: 'A', alias: 'tb-a' })
    const b = await ok('POST', '/campaigns', {
      name: 'B',
      alias: 'tb-b',
      trafficback: { type: 'campaign', campaign_id: a.id },
    })
    const self = await call('PATCH', `/campaigns/${a.id}`, {
      trafficback: { type: 'campaign', campaign_id: a.id },
    })
    expect(self.status).toBe(400)
    expect(self.body!.error.details[0].path).toBe('trafficback.campaign_id')
    const del = await call('DELETE', `/campaigns/${a.id}`)
    expect(del.status).toBe(409)
    expect(del.body!.error.details[0].message).toContain(b.id)
    await ok('PATCH', `/campaigns/${b.id}`, { trafficback: { type: 'none' } })
    expect((await call('DELETE', `/campaigns/${a.id}`)).status).toBe(204)
  })

  it('streams round trip with an ordered destination list replaced atomically', async () => {
    const camp = await ok('POST', '/campaigns', { name: 'S', alias: 'stream-camp' })
    const d1 = await ok('POST', '/destinations', { name: 'd1', url: 'https://d1.test/' })
    const d2 = await ok('POST', '/destinations', { name: 'd2', url: 'https://d2.test/' })
    const d3 = await ok('POST', '/destinations', { name: 'd3', url: 'https://d3.test/' })
    const conditions = {
      join: 'and',
      groups: [
        {
          join: 'or',
          rules: [
            { type: 'country', op: 'is', values: ['us', 'De'] },
            { type: 'bot', op: 'is_not' },
          ],
        },
      ],
    }
    await roundTrip(
      '/streams',
      {
        campaign_id: camp.id,
        name: 'US',
        kind: 'regular',
        priority: 5,
        conditions,
        strategy: 'waterfall',
        exploration: 0.1,
        destinations: [
          { destination_id: d2.id, weight: 10 },
          { destination_id: d1.id, weight: 90, active: false },
        ],
      },
      { destinations: [{ destination_id: d3.id }, { destination_id: d2.id, weight: 5 }], priority: 7 },
      {
        campaign_id: camp.id,
        name: 'US',
        kind: 'regular',
        priority: 5,
        strategy: 'waterfall',
        exploration: 0.1,
        active: true,
        conditions: {
          join: 'and',
          groups: [
            {
              join: 'or',
              rules: [
                { type: 'country', op: 'is', values: ['US', 'DE'] },
                { type: 'bot', op: 'is_not' },
              ],
            },
          ],
        },
        destinations: [
          { destination_id: d2.id, weight: 10, active: true },
          { destination_id: d1.id, weight: 90, active: false },
        ],
      },
      {
        priority: 7,
        destinations: [
          { destination_id: d3.id, weight: 100, active: true },
          { destination_id: d2.id, weight: 5, active: true },
        ],
      },
    )
  })

  it('streams: defaults, ?campaign_id filter, destination deletion and campaign cascade', async () => {
    const c1 = await ok('POST', '/campaigns', { name: 'c1', alias: 'filter-c1' })
    const c2 = await ok('POST', '/campaigns', { name: 'c2', alias: 'filter-c2' })
    const d = await ok('POST', '/destinations', { name: 'dx', url: 'https://dx.test/' })
    const s1 = await ok('POST', '/streams', {
      campaign_id: c1.id,
      name: 'default',
      kind: 'default',
      destinations: [{ destination_id: d.id }],
    })
    expect(s1).toMatchObject({
      strategy: 'weighted',
      priority: 100,
      active: true,
      conditions: { join: 'and', groups: [] },
    })
    const s2 = await ok('POST', '/streams', { campaign_id: c2.id, name: 'other' })
    const only1 = await ok('GET', `/streams?campaign_id=${c1.id}`)
    expect(only1.items.map((s: Json) => s.id)).toEqual([s1.id])
    expect(only1.total).toBe(1)
    // Moving a stream to another campaign of the workspace is allowed.
    expect((await ok('PATCH', `/streams/${s2.id}`, { campaign_id: c1.id })).campaign_id).toBe(c1.id)
    await ok('DELETE', `/destinations/${d.id}`)
    expect((await ok('GET', `/streams/${s1.id}`)).destinations).toEqual([])
    await ok('DELETE', `/campaigns/${c1.id}`)
    expect((await call('GET', `/streams/${s1.id}`)).status).toBe(404)
    expect((await call('GET', `/streams/${s2.id}`)).status).toBe(404)
    await ok('DELETE', `/campaigns/${c2.id}`)
  })

  it('a stream may not list a destination twice; a failed update keeps the old list', async () => {
    const c = await ok('POST', '/campaigns', { name: 'dup', alias: 'dup-dest' })
    const d = await ok('POST', '/destinations', { name: 'dd', url: 'https://dd.test/' })
    const s = await ok('POST', '/streams', {
      campaign_id: c.id,
      name: 's',
      destinations: [{ destination_id: d.id }],
    })
    const v = await version()
    const r = await call('PATCH', `/streams/${s.id}`, {
      name: 'changed',
      destinations: [{ destination_id: d.id }, { destination_id: d.id }],
    })
    expect(r.status).toBe(400)
    expect(r.body!.error.details).toEqual([
      { path: 'destinations.1.destination_id', message: 'listed twice' },
    ])
    expect(await ok('GET', `/streams/${s.id}`)).toEqual(s)
    expect(await version()).toBe(v)
  })

  it('lists paginate (limit/offset/total) and search by name (literal, case-insensitive)', async () => {
    const other = await createWorkspaceWithKey(h.db)
    const mk = (name: string) => call('POST', '/sources', { name }, other.apiKey)
    for (const n of ['Alpha', 'beta', 'Gamma', 'ALPHAbet', '100%_off', '100 off'])
      expect((await mk(n)).status).toBe(201)
    const list = async (qs: string) => (await call('GET', `/sources${qs}`, undefined, other.apiKey)).body!
    const all = await list('')
    expect(all).toMatchObject({ total: 6, limit: 50, offset: 0 })
    expect(all.items.map((x: Json) => x.name)).toEqual([
      'Alpha',
      'beta',
      'Gamma',
      'ALPHAbet',
      '100%_off',
      '100 off',
    ])
    const p2 = await list('?limit=2&offset=2')
    expect(p2).toMatchObject({ total: 6, limit: 2, offset: 2 })
    expect(p2.items.map((x: Json) => x.name)).toEqual(['Gamma', 'ALPHAbet'])
    expect((await list('?offset=10')).items).toEqual([])
    const alpha = await list('?q=alpha')
    expect(alpha.total).toBe(2)
    expect(alpha.items.map((x: Json) => x.name)).toEqual(['Alpha', 'ALPHAbet'])
    expect((await list(`?q=${encodeURIComponent('%_')}`)).items.map((x: Json) => x.name)).toEqual([
      '100%_off',
    ])
    expect((await list('?q=zzz')).total).toBe(0)
  })

  it('reads never bump the version; each write bumps it exactly once', async () => {
    const v0 = await version()
    await ok('GET', '/sources')
    await ok('GET', '/campaigns')
    expect(await version()).toBe(v0)
    const s = await ok('POST', '/sources', { name: 'v' })
    await ok('PATCH', `/sources/${s.id}`, {})
    await ok('DELETE', `/sources/${s.id}`)
    expect(await version()).toBe(v0 + 3)
  })
})
