/**
 * Traffic source templates through the admin API (PGlite and PostgreSQL): the catalogue and
 * saved templates, a source created from a template, save as template, strict validation
 * naming the fields, workspace isolation of every new endpoint, the campaign link — and
 * (PGlite + chDB) a redirect through a TrafficStars link with its tokens substituted lands
 * the source's click ID in the click's external_id and the ad spot (zone) in its sub.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPipeline, migrateClickHouse, type Pipeline } from '../src/modules/analytics/index.ts'
import { recentClicksOf } from '../src/modules/conversions/index.ts'
import { createRoutingRuntime, type RoutingRuntime, SOURCE_TEMPLATES } from '../src/modules/routing/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { createLogger } from '../src/platform/logger.ts'
import { removeTempDirs, silentLogger, tempDir } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

function client(app: () => FastifyInstance, key: string) {
  const call = async (method: Method, url: string, payload?: unknown) => {
    const res = await app().inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : undefined }
  }
  const ok = async (method: Method, url: string, payload?: unknown) => {
    const r = await call(method, url, payload)
    if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`)
    return r.body as Json
  }
  return { call, ok }
}
const paths = (body: Json | undefined): string[] =>
  ((body?.error?.details ?? []) as { path: string }[]).map((d) => d.path)

describe.each(['pglite', 'postgres'] as const)('source templates API on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let A: ReturnType<typeof client>
  let B: ReturnType<typeof client>

  beforeAll(async () => {
    h = await throwawayDb(kind)
    app = await testApiApp(h.db)
    A = client(() => app, (await createWorkspaceWithKey(h.db)).apiKey)
    B = client(() => app, (await createWorkspaceWithKey(h.db)).apiKey)
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('lists the catalogue: nine templates, custom last, the cost parameter named', async () => {
    const { items } = await A.ok('GET', '/source-templates')
    expect(items.map((t: Json) => t.key)).toEqual(SOURCE_TEMPLATES.map((t) => t.key))
    expect(items.every((t: Json) => t.kind === 'catalogue' && t.id === null)).toBe(true)
    const ts = items.find((t: Json) => t.key === 'trafficstars')
    expect(ts).toMatchObject({
      name: 'TrafficStars',
      cost_model: 'cpm',
      external_id_param: 'external_id',
      postback_url: 'https://tsyndicate.com/api/v1/cpa/action/{external_id}',
    })
    expect(ts.params).toContainEqual({
      name: 'click_id',
      token: '{click_id}',
      target: 'external_id',
      label: 'TrafficStars click ID',
    })
    expect(items.find((t: Json) => t.key === 'propellerads').cost_param).toBe('cost')
    expect(items.find((t: Json) => t.key === 'meta')).toMatchObject({
      external_id_param: 'fbclid',
      postback_url: null,
    })
  })

  it('creates a source from a template: what the body leaves out comes from it', async () => {
    const s = await A.ok('POST', '/sources', { name: 'TS main', template: 'trafficstars' })
    const t = SOURCE_TEMPLATES.find((x) => x.key === 'trafficstars')!
    expect(s).toMatchObject({
      template: 'trafficstars',
      cost_model: 'cpm',
      external_id_param: 'external_id',
      postback_url: t.postbackUrl,
      params: t.params,
    })
    // What the body states wins.
    const own = await A.ok('POST', '/sources', {
      name: 'TS own',
      template: 'trafficstars',
      cost_model: 'cpc',
      postback_url: null,
      params: [{ name: 'spot', token: '{adspot_id}', target: 'sub3' }],
    })
    expect(own).toMatchObject({
      cost_model: 'cpc',
      postback_url: null,
      params: [{ name: 'spot', token: '{adspot_id}', target: 'sub3' }],
    })
    // Google: the click ID is the gclid Google appends itself.
    const g = await A.ok('POST', '/sources', { name: 'Google', template: 'google_ads' })
    expect(g).toMatchObject({ external_id_param: 'gclid', cost_model: 'cpc', postback_url: null })
    // No template: custom, no parameters; PATCH sets them.
    const c = await A.ok('POST', '/sources', { name: 'Plain' })
    expect(c).toMatchObject({ template: 'custom', params: [] })
    const p = await A.ok('PATCH', `/sources/${c.id}`, {
      params: [{ name: 'clickid', token: '[CLICK]', target: 'external_id', label: 'Click' }],
    })
    expect(p.params).toEqual([{ name: 'clickid', token: '[CLICK]', target: 'external_id', label: 'Click' }])
    expect(p.template).toBe('custom')
  })

  it.each([
    ['an unknown template', { name: 'x', template: 'nope' }, 'template', 400],
    [
      'two params on one target',
      {
        name: 'x',
        params: [
          { name: 'a', token: '{a}', target: 'sub1' },
          { name: 'b', token: '{b}', target: 'sub1' },
        ],
      },
      'params.1.target',
      400,
    ],
    [
      'a target outside the list',
      { name: 'x', params: [{ name: 'a', token: '{a}', target: 'sub0' }] },
      'params.0.target',
      400,
    ],
    [
      'a token with &',
      { name: 'x', params: [{ name: 'a', token: '{a}&b', target: 'sub1' }] },
      'params.0.token',
      400,
    ],
    [
      'an empty token',
      { name: 'x', params: [{ name: 'a', token: '', target: 'sub1' }] },
      'params.0.token',
      400,
    ],
    [
      'an unknown param key',
      { name: 'x', params: [{ name: 'a', token: '{a}', target: 'sub1', x: 1 }] },
      'params.0',
      400,
    ],
  ])('refuses %s, naming the field', async (_n, body, field, status) => {
    const before = (await A.ok('GET', '/sources')).total
    const r = await A.call('POST', '/sources', body)
    expect(r.status, JSON.stringify(r.body)).toBe(status)
    expect(paths(r.body).join(' ')).toContain(field)
    expect((await A.ok('GET', '/sources')).total).toBe(before)
  })

  it('PATCH checks the template and the params too', async () => {
    const s = await A.ok('POST', '/sources', { name: 'Patchable', template: 'exoclick' })
    const r1 = await A.call('PATCH', `/sources/${s.id}`, { template: 'nope' })
    expect(r1.status).toBe(400)
    expect(paths(r1.body)).toContain('template')
    const r2 = await A.call('PATCH', `/sources/${s.id}`, {
      params: [
        { name: 'a', token: '{a}', target: 'cost' },
        { name: 'a', token: '{b}', target: 'sub1' },
      ],
    })
    expect(r2.status).toBe(400)
    expect(paths(r2.body).join(' ')).toContain('params.1.name')
    expect((await A.ok('GET', `/sources/${s.id}`)).params).toEqual(
      SOURCE_TEMPLATES.find((t) => t.key === 'exoclick')!.params,
    )
  })

  it('saves a source as a template, lists it, creates a source from it, deletes it', async () => {
    const src = await A.ok('POST', '/sources', {
      name: 'My push network',
      cost_model: 'cpc',
      external_id_param: 'external_id',
      postback_url: 'https://push.example/pb?cid={external_id}&sum={payout}',
      params: [
        { name: 'clickid', token: '[CLICKID]', target: 'external_id' },
        { name: 'feed', token: '[FEED]', target: 'sub2', label: 'Feed' },
      ],
    })
    const r = await A.call('POST', `/sources/${src.id}/save-as-template`, { name: ' Push preset ' })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const saved = r.body!
    expect(saved).toMatchObject({
      key: saved.id,
      kind: 'saved',
      name: 'Push preset',
      cost_model: 'cpc',
      postback_url: 'https://push.example/pb?cid={external_id}&sum={payout}',
      params: src.params,
    })
    expect(Date.parse(saved.created_at)).not.toBeNaN()
    const { items } = await A.ok('GET', '/source-templates')
    expect(items.at(-1)).toEqual(saved)
    // One name per workspace.
    const dup = await A.call('POST', `/sources/${src.id}/save-as-template`, { name: 'Push preset' })
    expect(dup.status).toBe(409)
    expect(paths(dup.body)).toEqual(['name'])
    // Strict body.
    const bad = await A.call('POST', `/sources/${src.id}/save-as-template`, { name: 'x', extra: 1 })
    expect(bad.status).toBe(400)
    const empty = await A.call('POST', `/sources/${src.id}/save-as-template`, { name: '  ' })
    expect(empty.status).toBe(400)
    expect(paths(empty.body)).toContain('name')

    const fromSaved = await A.ok('POST', '/sources', { name: 'Push 2', template: saved.id })
    expect(fromSaved).toMatchObject({
      template: saved.id,
      cost_model: 'cpc',
      postback_url: saved.postback_url,
      params: src.params,
    })

    // Catalogue entries are not deletable (not a saved id).
    expect((await A.call('DELETE', '/source-templates/trafficstars')).status).toBe(400)
    expect((await A.call('DELETE', `/source-templates/${saved.id}`)).status).toBe(204)
    expect((await A.call('DELETE', `/source-templates/${saved.id}`)).status).toBe(404)
    expect((await A.ok('GET', '/source-templates')).items.some((t: Json) => t.id === saved.id)).toBe(false)
    // The source made from it keeps its fields.
    expect((await A.ok('GET', `/sources/${fromSaved.id}`)).params).toEqual(src.params)
  })

  it('workspace isolation: another workspace cannot see, use, delete or save into A’s templates and links', async () => {
    const src = await A.ok('POST', '/sources', { name: 'A private', template: 'taboola' })
    const saved = await A.ok('POST', `/sources/${src.id}/save-as-template`, { name: 'A only' })
    const camp = await A.ok('POST', '/campaigns', {
      name: 'A camp',
      alias: `a-camp-${kind}`,
      source_id: src.id,
    })

    const listB = await B.ok('GET', '/source-templates')
    expect(listB.items.every((t: Json) => t.kind === 'catalogue')).toBe(true)
    expect((await B.call('DELETE', `/source-templates/${saved.id}`)).status).toBe(404)
    expect((await B.call('POST', `/sources/${src.id}/save-as-template`, { name: 'stolen' })).status).toBe(404)
    const use = await B.call('POST', '/sources', { name: 'B', template: saved.id })
    expect(use.status).toBe(400)
    expect(paths(use.body)).toContain('template')
    expect((await B.call('GET', `/campaigns/${camp.id}/link`)).status).toBe(404)
    // Still there for A; B may use the same name.
    expect((await A.ok('GET', '/source-templates')).items.some((t: Json) => t.id === saved.id)).toBe(true)
    const bSrc = await B.ok('POST', '/sources', { name: 'B src' })
    expect((await B.call('POST', `/sources/${bSrc.id}/save-as-template`, { name: 'A only' })).status).toBe(
      201,
    )
  })

  it('builds the campaign link with the source’s tokens on PUBLIC_URL', async () => {
    const src = await A.ok('POST', '/sources', { name: 'TS link', template: 'trafficstars' })
    const camp = await A.ok('POST', '/campaigns', {
      name: 'TS camp',
      alias: `ts-link-${kind}`,
      source_id: src.id,
    })
    const link = await A.ok('GET', `/campaigns/${camp.id}/link`)
    expect(link.base_url).toBe(`http://tf.test/c/ts-link-${kind}`)
    expect(link.url).toBe(
      `http://tf.test/c/ts-link-${kind}?external_id={click_id}&sub1={site_id}&sub2={adspot_id}&sub3={campaign_id}&sub4={creative_id}&sub5={format}&sub6={category}&sub7={price}`,
    )
    expect(link.params[0]).toEqual({
      name: 'click_id',
      token: '{click_id}',
      target: 'external_id',
      label: 'TrafficStars click ID',
      query_param: 'external_id',
    })
    expect(link.source).toEqual({
      id: src.id,
      name: 'TS link',
      template: 'trafficstars',
      external_id_param: 'external_id',
      postback_url: 'https://tsyndicate.com/api/v1/cpa/action/{external_id}',
    })
    // Meta: fbclid is appended by Meta, not on the link.
    const meta = await A.ok('POST', '/sources', { name: 'FB', template: 'meta' })
    await A.ok('PATCH', `/campaigns/${camp.id}`, { source_id: meta.id })
    const ml = await A.ok('GET', `/campaigns/${camp.id}/link`)
    expect(ml.url).not.toContain('fbclid')
    expect(ml.params.at(-1)).toMatchObject({ target: 'external_id', name: 'fbclid', query_param: null })
    // No source: the bare link.
    const bare = await A.ok('POST', '/campaigns', { name: 'bare', alias: `bare-${kind}` })
    expect(await A.ok('GET', `/campaigns/${bare.id}/link`)).toEqual({
      url: `http://tf.test/c/bare-${kind}`,
      base_url: `http://tf.test/c/bare-${kind}`,
      params: [],
      source: null,
    })
    expect((await A.call('GET', '/campaigns/00000000-0000-4000-8000-000000000000/link')).status).toBe(404)
  })
})

describe('a redirect through a TrafficStars link (PGlite + chDB, real runtime and pipeline)', () => {
  let h: Handle
  let app: FastifyInstance
  let ch: ClickHouseHandle
  let pipeline: Pipeline
  let runtime: RoutingRuntime
  let server: http.Server
  let base = ''

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    app = await testApiApp(h.db)
    ch = await openClickHouse({ chDir: path.join(tempDir('tpl-ch'), 'ch'), database: 'tf_tpl' })
    await migrateClickHouse(ch)
    pipeline = createPipeline({
      handle: ch,
      spoolDir: tempDir('tpl-spool'),
      queueMax: 1000,
      batchSize: 100,
      flushMs: 600_000,
      logger: silentLogger,
    })
  })
  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    await runtime?.stop()
    await pipeline?.close()
    await app?.close()
    await h?.drop()
    await ch?.close()
    removeTempDirs()
  })

  it('lands {click_id} in external_id and {adspot_id} in sub2', async () => {
    const A = client(() => app, (await createWorkspaceWithKey(h.db)).apiKey)
    const src = await A.ok('POST', '/sources', { name: 'TrafficStars', template: 'trafficstars' })
    const camp = await A.ok('POST', '/campaigns', { name: 'TS', alias: 'ts-redirect', source_id: src.id })
    const dest = await A.ok('POST', '/destinations', {
      name: 'Offer',
      url: 'https://offer.example/?cid={click_id}&z={sub2}',
    })
    await A.ok('POST', '/streams', {
      campaign_id: camp.id,
      name: 'all',
      kind: 'default',
      destinations: [{ destination_id: dest.id }],
    })
    const { url } = await A.ok('GET', `/campaigns/${camp.id}/link`)

    runtime = await createRoutingRuntime({
      db: h.db,
      config: testConfig(),
      logger: createLogger('silent'),
      pipeline,
    })
    server = http.createServer((req, res) => runtime.redirect(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    // What TrafficStars does on a click: substitute its tokens (values URL-encoded).
    const tsClick = 'c86b8a88b91228911e723b93c65a5900bb49bc99'
    const values: Record<string, string> = {
      '{click_id}': tsClick,
      '{site_id}': '4711',
      '{adspot_id}': 'spot 77/a',
      '{campaign_id}': '123456',
      '{creative_id}': '010120',
      '{format}': '300x250',
      '{category}': 'news',
      '{price}': '0.002',
    }
    let clicked = url.replace('http://tf.test', base)
    for (const [token, v] of Object.entries(values)) clicked = clicked.replace(token, encodeURIComponent(v))
    expect(clicked).not.toMatch(/[{}]/)

    const res = await fetch(clicked, {
      redirect: 'manual',
      headers: {
        'user-agent':
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
      },
    })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    expect(location.searchParams.get('z')).toBe('spot 77/a')
    const clickId = location.searchParams.get('cid')!
    const click = recentClicksOf(pipeline).find(clickId)
    expect(click).toMatchObject({
      campaign_id: camp.id,
      source_id: src.id,
      external_id: tsClick,
      sub1: '4711',
      sub2: 'spot 77/a',
      sub3: '123456',
      sub4: '010120',
      sub5: '300x250',
      sub6: 'news',
      sub7: '0.002',
    })
  })
})
