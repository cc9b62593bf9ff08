/**
 * Landers and offers through the admin API: lander CRUD (tags, notes, status), `/offers` as
 * the alias of `/destinations` (an existing destination is an offer, unchanged), stream lander
 * lists and their reference rules, and workspace isolation of `/landers`.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileSnapshot } from '../src/modules/routing/core/index.ts'
import { loadConfigRows, readConfigVersion } from '../src/modules/routing/routing.api.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

describe('landers and offers API (PGlite)', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let A: string
  let B: string

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    A = (await createWorkspaceWithKey(h.db)).apiKey
    B = (await createWorkspaceWithKey(h.db)).apiKey
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
    key = A,
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : undefined }
  }
  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = A) => {
    const r = await call(method, url, payload, key)
    if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`)
    return r.body as Json
  }

  it('lander CRUD with tags, notes and status; each write bumps the config version', async () => {
    const v0 = await readConfigVersion(h.db)
    const l = await ok('POST', '/landers', {
      name: 'Quiz LP',
      url: 'https://lp.example/quiz?cid={click_id}',
      tags: ['quiz', 'quiz', 'de'],
      notes: 'v2',
    })
    expect(l).toMatchObject({ name: 'Quiz LP', status: 'active', tags: ['quiz', 'de'], notes: 'v2' })
    expect(await readConfigVersion(h.db)).toBe(v0 + 1)
    expect(await ok('GET', `/landers/${l.id}`)).toEqual(l)
    const p = await ok('PATCH', `/landers/${l.id}`, { status: 'paused' })
    expect(p).toMatchObject({ status: 'paused', tags: ['quiz', 'de'], notes: 'v2', url: l.url })
    const list = await ok('GET', '/landers?q=quiz')
    expect(list.total).toBe(1)
    expect((await call('DELETE', `/landers/${l.id}`)).status).toBe(204)
    expect((await call('GET', `/landers/${l.id}`)).status).toBe(404)
  })

  it('refuses bad lander bodies (400 naming the field)', async () => {
    const cases: [Json, string][] = [
      [{ name: 'x', url: 'javascript:alert(1)' }, 'url'],
      [{ name: 'x', url: 'https://{host}/' }, 'url'],
      [{ name: '', url: 'https://lp.example/' }, 'name'],
      [{ name: 'x', url: 'https://lp.example/', extra: 1 }, 'extra'],
      [{ name: 'x', url: 'https://lp.example/', status: 'gone' }, 'status'],
    ]
    for (const [body, path] of cases) {
      const r = await call('POST', '/landers', body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(JSON.stringify(r.body!.error.details)).toContain(path)
    }
  })

  it('a destination created through the old route is listed by /offers unchanged', async () => {
    const d = await ok('POST', '/destinations', {
      name: 'Old offer',
      url: 'https://offer.example/?c={click_id}',
      payout_cents: 250,
      daily_click_cap: 10,
    })
    const offers = await ok('GET', '/offers?limit=500')
    expect(offers.items.find((o: Json) => o.id === d.id)).toEqual(d)
    expect(await ok('GET', `/offers/${d.id}`)).toEqual(d)
    const o = await ok('POST', '/offers', { name: 'New offer', url: 'https://offer.example/2' })
    expect(await ok('GET', `/destinations/${o.id}`)).toEqual(o)
    expect((await ok('PATCH', `/offers/${o.id}`, { payout_cents: 99 })).payout_cents).toBe(99)
    expect((await call('DELETE', `/offers/${o.id}`)).status).toBe(204)
    expect((await call('GET', `/destinations/${o.id}`)).status).toBe(404)
  })

  it('streams carry a lander list, replaced by PATCH, and it reaches the snapshot', async () => {
    const offer = await ok('POST', '/offers', { name: 'O', url: 'https://o.example/?c={click_id}' })
    const l1 = await ok('POST', '/landers', { name: 'L1', url: 'https://l1.example/?cid={click_id}' })
    const l2 = await ok('POST', '/landers', { name: 'L2', url: 'https://l2.example/' })
    const c = await ok('POST', '/campaigns', { name: 'C', alias: 'lp-api' })
    const s = await ok('POST', '/streams', {
      campaign_id: c.id,
      name: 'S',
      destinations: [{ destination_id: offer.id }],
      landers: [
        { lander_id: l1.id, weight: 70 },
        { lander_id: l2.id, weight: 30, active: false },
      ],
    })
    expect(s.landers).toEqual([
      { lander_id: l1.id, weight: 70, active: true },
      { lander_id: l2.id, weight: 30, active: false },
    ])
    const snap = compileSnapshot(await loadConfigRows(h.db))
    const stream = snap.campaignsById.get(c.id)!.streams[0]!
    expect(stream.landers.map((l) => [l.landerId, l.weight, l.active, l.lander?.name])).toEqual([
      [l1.id, 70, true, 'L1'],
      [l2.id, 30, false, 'L2'],
    ])
    // PATCH without `landers` keeps them; with a list replaces them.
    expect((await ok('PATCH', `/streams/${s.id}`, { name: 'S2' })).landers).toHaveLength(2)
    expect((await ok('PATCH', `/streams/${s.id}`, { landers: [{ lander_id: l2.id }] })).landers).toEqual([
      { lander_id: l2.id, weight: 100, active: true },
    ])
    // Deleting a lander removes it from stream lists.
    await ok('DELETE', `/landers/${l2.id}`)
    expect((await ok('GET', `/streams/${s.id}`)).landers).toEqual([])
    // Twice, or unknown: 400 naming the entry; nothing written.
    const twice = await call('PATCH', `/streams/${s.id}`, {
      landers: [{ lander_id: l1.id }, { lander_id: l1.id }],
    })
    expect(twice.status).toBe(400)
    expect(twice.body!.error.details[0].path).toBe('landers.1.lander_id')
    const unknown = await call('PATCH', `/streams/${s.id}`, {
      landers: [{ lander_id: '00000000-0000-4000-8000-000000000001' }],
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body!.error.details[0].path).toBe('landers.0.lander_id')
  })

  it("workspace B can neither see, change, delete nor reference A's landers", async () => {
    const l = await ok('POST', '/landers', { name: 'A only', url: 'https://a.example/' })
    expect((await ok('GET', '/landers?limit=500', undefined, B)).items).toEqual([])
    expect((await call('GET', `/landers/${l.id}`, undefined, B)).status).toBe(404)
    expect((await call('PATCH', `/landers/${l.id}`, { name: 'pwned' }, B)).status).toBe(404)
    expect((await call('DELETE', `/landers/${l.id}`, undefined, B)).status).toBe(404)
    const bOffer = await ok('POST', '/offers', { name: 'B', url: 'https://b.example/' }, B)
    const bCamp = await ok('POST', '/campaigns', { name: 'B', alias: 'lp-iso-b' }, B)
    const r = await call(
      'POST',
      '/streams',
      {
        campaign_id: bCamp.id,
        name: 'S',
        destinations: [{ destination_id: bOffer.id }],
        landers: [{ lander_id: l.id }],
      },
      B,
    )
    expect(r.status).toBe(400)
    expect(r.body!.error.details[0].path).toBe('landers.0.lander_id')
    expect((await ok('GET', `/landers/${l.id}`)).name).toBe('A only')
    // B's offers list does not show A's destinations either.
    const aIds = new Set((await ok('GET', '/offers?limit=500')).items.map((o: Json) => o.id))
    for (const o of (await ok('GET', '/offers?limit=500', undefined, B)).items)
      expect(aIds.has(o.id)).toBe(false)
  })
})
