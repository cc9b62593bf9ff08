/**
 * Workspace isolation: workspace B can neither see, change, delete nor reference any of
 * workspace A's rows, through any verb of any resource — on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfigVersion } from '../src/modules/routing/routing.api.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Resource = 'sources' | 'networks' | 'destinations' | 'campaigns' | 'streams'

describe.each(['pglite', 'postgres'] as const)('workspace isolation on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  const a: Partial<Record<Resource, Json>> = {}
  const b: Partial<Record<Resource, Json>> = {}

  const call = async (
    key: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Json,
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : undefined }
  }
  const create = async (key: string, path: Resource, body: Json) => {
    const r = await call(key, 'POST', `/${path}`, body)
    if (r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body!
  }

  async function seed(key: string, into: Partial<Record<Resource, Json>>, tag: string) {
    into.sources = await create(key, 'sources', { name: `${tag} source` })
    into.networks = await create(key, 'networks', { name: `${tag} network`, postback_secret: 'x' })
    into.destinations = await create(key, 'destinations', {
      name: `${tag} dest`,
      url: 'https://d.test/',
      network_id: into.networks.id,
    })
    into.campaigns = await create(key, 'campaigns', {
      name: `${tag} campaign`,
      alias: `iso-${tag}`,
      source_id: into.sources.id,
    })
    into.streams = await create(key, 'streams', {
      campaign_id: into.campaigns.id,
      name: `${tag} stream`,
      destinations: [{ destination_id: into.destinations.id }],
    })
  }

  beforeAll(async () => {
    h = await throwawayDb(kind)
    A = await createWorkspaceWithKey(h.db, { workspaceName: 'A' })
    B = await createWorkspaceWithKey(h.db, { workspaceName: 'B' })
    app = await testApiApp(h.db)
    await seed(A.apiKey, a, 'aaa')
    await seed(B.apiKey, b, 'bbb')
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  const resources: Resource[] = ['sources', 'networks', 'destinations', 'campaigns', 'streams']
  const harmlessPatch: Record<Resource, Json> = {
    sources: { name: 'pwned' },
    networks: { name: 'pwned' },
    destinations: { name: 'pwned' },
    campaigns: { name: 'pwned' },
    streams: { name: 'pwned' },
  }

  it.each(resources)("B cannot list, get, patch or delete A's %s", async (res) => {
    const mine = a[res]!
    const v = await readConfigVersion(h.db)

    const list = await call(B.apiKey, 'GET', `/${res}?limit=500`)
    expect(list.status).toBe(200)
    expect(list.body!.items.map((x: Json) => x.id)).not.toContain(mine.id)
    expect(list.body!.items.map((x: Json) => x.id)).toContain(b[res]!.id)
    expect(list.body!.total).toBe(1)
    const search = await call(B.apiKey, 'GET', `/${res}?q=aaa`)
    expect(search.body!.items).toEqual([])

    for (const [method, payload] of [
      ['GET', undefined],
      ['PATCH', harmlessPatch[res]],
      ['DELETE', undefined],
    ] as const) {
      const r = await call(B.apiKey, method, `/${res}/${mine.id}`, payload)
      expect(r.status, `${method} ${res}`).toBe(404)
      expect(r.body!.error.code).toBe('not_found')
    }
    // Same answer as for an id that exists nowhere: nothing to probe.
    expect((await call(B.apiKey, 'GET', `/${res}/00000000-0000-4000-8000-000000000000`)).body).toEqual(
      (await call(B.apiKey, 'GET', `/${res}/${mine.id}`)).body,
    )

    expect(await readConfigVersion(h.db)).toBe(v)
    expect((await call(A.apiKey, 'GET', `/${res}/${mine.id}`)).body).toEqual(mine)
  })

  it("B cannot see A's streams through ?campaign_id", async () => {
    const r = await call(B.apiKey, 'GET', `/streams?campaign_id=${a.campaigns!.id}`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ items: [], total: 0 })
  })

  const refCases: {
    name: string
    method: 'POST' | 'PATCH'
    url: () => string
    body: () => Json
    path: string
    res: Resource
  }[] = [
    {
      name: 'campaign.source_id (create)',
      method: 'POST',
      url: () => '/campaigns',
      body: () => ({ name: 'x', alias: 'iso-x1', source_id: a.sources!.id }),
      path: 'source_id',
      res: 'campaigns',
    },
    {
      name: 'campaign.source_id (patch)',
      method: 'PATCH',
      url: () => `/campaigns/${b.campaigns!.id}`,
      body: () => ({ source_id: a.sources!.id }),
      path: 'source_id',
      res: 'campaigns',
    },
    {
      name: 'campaign.trafficback.campaign_id (create)',
      method: 'POST',
      url: () => '/campaigns',
      body: () => ({
        name: 'x',
        alias: 'iso-x2',
        trafficback: { type: 'campaign', campaign_id: a.campaigns!.id },
      }),
      path: 'trafficback.campaign_id',
      res: 'campaigns',
    },
    {
      name: 'campaign.trafficback.campaign_id (patch)',
      method: 'PATCH',
      url: () => `/campaigns/${b.campaigns!.id}`,
      body: () => ({ trafficback: { type: 'campaign', campaign_id: a.campaigns!.id } }),
      path: 'trafficback.campaign_id',
      res: 'campaigns',
    },
    {
      name: 'destination.network_id (create)',
      method: 'POST',
      url: () => '/destinations',
      body: () => ({ name: 'x', url: 'https://x.test/', network_id: a.networks!.id }),
      path: 'network_id',
      res: 'destinations',
    },
    {
      name: 'destination.network_id (patch)',
      method: 'PATCH',
      url: () => `/destinations/${b.destinations!.id}`,
      body: () => ({ network_id: a.networks!.id }),
      path: 'network_id',
      res: 'destinations',
    },
    {
      name: 'stream.campaign_id (create)',
      method: 'POST',
      url: () => '/streams',
      body: () => ({ name: 'x', campaign_id: a.campaigns!.id }),
      path: 'campaign_id',
      res: 'streams',
    },
    {
      name: 'stream.campaign_id (patch)',
      method: 'PATCH',
      url: () => `/streams/${b.streams!.id}`,
      body: () => ({ campaign_id: a.campaigns!.id }),
      path: 'campaign_id',
      res: 'streams',
    },
    {
      name: 'stream destination (create)',
      method: 'POST',
      url: () => '/streams',
      body: () => ({
        name: 'x',
        campaign_id: b.campaigns!.id,
        destinations: [{ destination_id: b.destinations!.id }, { destination_id: a.destinations!.id }],
      }),
      path: 'destinations.1.destination_id',
      res: 'streams',
    },
    {
      name: 'stream destination (patch)',
      method: 'PATCH',
      url: () => `/streams/${b.streams!.id}`,
      body: () => ({ destinations: [{ destination_id: a.destinations!.id }] }),
      path: 'destinations.0.destination_id',
      res: 'streams',
    },
  ]

  it.each(refCases)("B cannot reference A's ids: $name → 400 naming $path, nothing written", async (c) => {
    const v = await readConfigVersion(h.db)
    const before = await call(B.apiKey, 'GET', `/${c.res}`)
    const r = await call(B.apiKey, c.method, c.url(), c.body())
    expect(r.status).toBe(400)
    expect(r.body!.error.code).toBe('validation_failed')
    expect(r.body!.error.details).toEqual([
      { path: c.path, message: expect.stringContaining('in this workspace') },
    ])
    expect(await readConfigVersion(h.db)).toBe(v)
    expect((await call(B.apiKey, 'GET', `/${c.res}`)).body).toEqual(before.body)
  })

  it("A's rows are untouched after all of B's attempts", async () => {
    for (const res of resources) {
      expect((await call(A.apiKey, 'GET', `/${res}/${a[res]!.id}`)).body).toEqual(a[res])
    }
  })

  it("B cannot revoke A's API keys", async () => {
    const k = (await call(A.apiKey, 'POST', '/api-keys', { name: 'a-key' })).body!
    expect((await call(B.apiKey, 'DELETE', `/api-keys/${k.id}`)).status).toBe(404)
    const bList = (await call(B.apiKey, 'GET', '/api-keys')).body!
    expect(bList.items.map((x: Json) => x.id)).not.toContain(k.id)
    expect((await call(k.key, 'GET', '/sources')).status).toBe(200)
  })
})
