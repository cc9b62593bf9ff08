/**
 * Bad input on every route: a wrong type, a missing field, an unknown enum value or an
 * unknown key answers 400 `validation_failed` with `details` naming the field, and nothing in
 * the configuration store changes (row counts and config version) — on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify'
import { count } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readConfigVersion } from '../src/modules/routing/routing.api.ts'
import { schema } from './helpers/schema.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Ids = { source: string; network: string; destination: string; campaign: string; stream: string }

interface Case {
  route: string
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  url: (ids: Ids) => string
  body?: (ids: Ids) => unknown
  /** A `details[].path` the answer must contain. */
  path: string
}

const U = '00000000-0000-4000-8000-000000000000'
const dest = { name: 'd', url: 'https://d.test/' }
const camp = { name: 'c', alias: 'valid-alias' }
const c = (
  route: string,
  method: Case['method'],
  url: Case['url'],
  body: Case['body'],
  path: string,
): Case => ({
  route,
  method,
  url,
  path,
  ...(body ? { body } : {}),
})

const cases: Case[] = [
  // sources
  c('GET /sources', 'GET', () => '/sources?limit=0', undefined, 'limit'),
  c('GET /sources', 'GET', () => '/sources?limit=abc', undefined, 'limit'),
  c('GET /sources', 'GET', () => '/sources?offset=-1', undefined, 'offset'),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({}),
    'name',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 5 }),
    'name',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: '   ' }),
    'name',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 's', cost_model: 'cpa' }),
    'cost_model',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 's', currency: 'usd' }),
    'currency',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 's', default_cost_micros: 1.5 }),
    'default_cost_micros',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 's', postback_url: 'not a url' }),
    'postback_url',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 's', costModel: 'cpc' }),
    'costModel',
  ),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => [{ name: 's' }],
    'body',
  ),
  c('GET /sources/:id', 'GET', () => '/sources/123', undefined, 'id'),
  c(
    'PATCH /sources/:id',
    'PATCH',
    (i) => `/sources/${i.source}`,
    () => ({ name: null }),
    'name',
  ),
  c(
    'PATCH /sources/:id',
    'PATCH',
    (i) => `/sources/${i.source}`,
    () => ({ default_cost_micros: -1 }),
    'default_cost_micros',
  ),
  c(
    'PATCH /sources/:id',
    'PATCH',
    () => '/sources/nope',
    () => ({ name: 'x' }),
    'id',
  ),
  c('DELETE /sources/:id', 'DELETE', () => '/sources/nope', undefined, 'id'),
  // networks
  c('GET /networks', 'GET', () => '/networks?limit=501', undefined, 'limit'),
  c(
    'POST /networks',
    'POST',
    () => '/networks',
    () => ({ postback_template: 'custom' }),
    'name',
  ),
  c(
    'POST /networks',
    'POST',
    () => '/networks',
    () => ({ name: 'n', postback_template: 'x' }),
    'postback_template',
  ),
  c(
    'POST /networks',
    'POST',
    () => '/networks',
    () => ({ name: 'n', ip_allowlist: '1.2.3.4' }),
    'ip_allowlist',
  ),
  c(
    'POST /networks',
    'POST',
    () => '/networks',
    () => ({ name: 'n', postback_secret: 42 }),
    'postback_secret',
  ),
  c('GET /networks/:id', 'GET', () => '/networks/x', undefined, 'id'),
  c(
    'PATCH /networks/:id',
    'PATCH',
    (i) => `/networks/${i.network}`,
    () => ({ ip_allowlist: [1] }),
    'ip_allowlist.0',
  ),
  c(
    'PATCH /networks/:id',
    'PATCH',
    (i) => `/networks/${i.network}`,
    () => ({ has_postback_secret: true }),
    'has_postback_secret',
  ),
  c('DELETE /networks/:id', 'DELETE', () => '/networks/x', undefined, 'id'),
  // destinations
  c('GET /destinations', 'GET', () => '/destinations?offset=x', undefined, 'offset'),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ name: 'd' }),
    'url',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, url: 'javascript:alert(1)' }),
    'url',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, url: 'https://{host}/x' }),
    'url',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, status: 'on' }),
    'status',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, cap_timezone: 'Mars/Olympus' }),
    'cap_timezone',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, schedule: { from: '25:00' } }),
    'schedule.from',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, schedule: { days: [0] } }),
    'schedule.days.0',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, network_id: 'net-1' }),
    'network_id',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, payout_cents: '100' }),
    'payout_cents',
  ),
  c(
    'POST /destinations',
    'POST',
    () => '/destinations',
    () => ({ ...dest, health_check: { method: 'POST' } }),
    'health_check.method',
  ),
  c('GET /destinations/:id', 'GET', () => '/destinations/1', undefined, 'id'),
  c(
    'PATCH /destinations/:id',
    'PATCH',
    (i) => `/destinations/${i.destination}`,
    () => ({ daily_click_cap: 0 }),
    'daily_click_cap',
  ),
  c(
    'PATCH /destinations/:id',
    'PATCH',
    (i) => `/destinations/${i.destination}`,
    () => ({ url: null }),
    'url',
  ),
  c('DELETE /destinations/:id', 'DELETE', () => '/destinations/1', undefined, 'id'),
  // campaigns
  c('GET /campaigns', 'GET', () => '/campaigns?limit=-5', undefined, 'limit'),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ name: 'c' }),
    'alias',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, alias: 'a b' }),
    'alias',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, status: 'deleted' }),
    'status',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, timezone: 'Nowhere/Land' }),
    'timezone',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, trafficback: { type: 'url', url: 'nope' } }),
    'trafficback.url',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, trafficback: { type: 'bogus' } }),
    'trafficback.type',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, trafficback: { type: 'campaign', campaign_id: 'x' } }),
    'trafficback.campaign_id',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, anti_repeat: { enabled: 'yes' } }),
    'anti_repeat.enabled',
  ),
  c(
    'POST /campaigns',
    'POST',
    () => '/campaigns',
    () => ({ ...camp, source_id: U }),
    'source_id',
  ),
  c('GET /campaigns/:id', 'GET', () => '/campaigns/abc', undefined, 'id'),
  c(
    'PATCH /campaigns/:id',
    'PATCH',
    (i) => `/campaigns/${i.campaign}`,
    () => ({ status: 'deleted' }),
    'status',
  ),
  c(
    'PATCH /campaigns/:id',
    'PATCH',
    (i) => `/campaigns/${i.campaign}`,
    () => ({ cost_micros: 'free' }),
    'cost_micros',
  ),
  c(
    'PATCH /campaigns/:id',
    'PATCH',
    (i) => `/campaigns/${i.campaign}`,
    () => ({ url: 'http://x' }),
    'url',
  ),
  c('DELETE /campaigns/:id', 'DELETE', () => '/campaigns/abc', undefined, 'id'),
  // streams
  c('GET /streams', 'GET', () => '/streams?campaign_id=nope', undefined, 'campaign_id'),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    () => ({ name: 's' }),
    'campaign_id',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign }),
    'name',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign, name: 's', kind: 'sometimes' }),
    'kind',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign, name: 's', strategy: 'random' }),
    'strategy',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign, name: 's', priority: 'high' }),
    'priority',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign, name: 's', destinations: [{ destination_id: 'x' }] }),
    'destinations.0.destination_id',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({
      campaign_id: i.campaign,
      name: 's',
      destinations: [{ destination_id: i.destination, weight: -1 }],
    }),
    'destinations.0.weight',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({ campaign_id: i.campaign, name: 's', destinations: [{ destination_id: U }] }),
    'destinations.0.destination_id',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({
      campaign_id: i.campaign,
      name: 's',
      conditions: { groups: [{ rules: [{ type: 'country', op: 'equals', values: ['US'] }] }] },
    }),
    'conditions.groups.0.rules.0.op',
  ),
  c(
    'POST /streams',
    'POST',
    () => '/streams',
    (i) => ({
      campaign_id: i.campaign,
      name: 's',
      conditions: { groups: [{ rules: [{ type: 'planet', values: ['x'] }] }] },
    }),
    'conditions.groups.0.rules.0.type',
  ),
  c('GET /streams/:id', 'GET', () => '/streams/zzz', undefined, 'id'),
  c(
    'PATCH /streams/:id',
    'PATCH',
    (i) => `/streams/${i.stream}`,
    () => ({ exploration: 2 }),
    'exploration',
  ),
  c(
    'PATCH /streams/:id',
    'PATCH',
    (i) => `/streams/${i.stream}`,
    () => ({ active: 'yes' }),
    'active',
  ),
  c(
    'PATCH /streams/:id',
    'PATCH',
    (i) => `/streams/${i.stream}`,
    () => ({ destinations: null }),
    'destinations',
  ),
  c('DELETE /streams/:id', 'DELETE', () => '/streams/zzz', undefined, 'id'),
  // Issue 13: storable text and numbers everywhere, unknown keys at every depth.
  c('GET /campaigns', 'GET', () => '/campaigns?q=%00', undefined, 'q'),
  c('GET /sources/:id', 'GET', () => '/sources/%00', undefined, 'id'),
  c(
    'POST /sources',
    'POST',
    () => '/sources',
    () => ({ name: 'lone \ud800 surrogate' }),
    'name',
  ),
  c(
    'PATCH /streams/:id',
    'PATCH',
    (i) => `/streams/${i.stream}`,
    () => ({ exploration: 1e-320 }),
    'exploration',
  ),
  c(
    'PATCH /destinations/:id',
    'PATCH',
    (i) => `/destinations/${i.destination}`,
    () => ({ health_check: { enabled: false, enabeld: true } }),
    'health_check.enabeld',
  ),
  c(
    'PATCH /streams/:id',
    'PATCH',
    (i) => `/streams/${i.stream}`,
    (i) => ({ destinations: [{ destination_id: i.destination, wieght: 5 }] }),
    'destinations.0.wieght',
  ),
  // accounts
  c(
    'POST /api-keys',
    'POST',
    () => '/api-keys',
    () => ({}),
    'name',
  ),
  c(
    'POST /api-keys',
    'POST',
    () => '/api-keys',
    () => ({ name: 'k', scopes: ['all'] }),
    'scopes.0',
  ),
  c(
    'POST /api-keys',
    'POST',
    () => '/api-keys',
    () => ({ name: '\u0000' }),
    'name',
  ),
  c('DELETE /api-keys/:id', 'DELETE', () => '/api-keys/nope', undefined, 'id'),
  c(
    'POST /auth/login',
    'POST',
    () => '/auth/login',
    () => ({ email: 'a@b.test' }),
    'password',
  ),
  c(
    'POST /auth/login',
    'POST',
    () => '/auth/login',
    () => ({ email: 5, password: 'x' }),
    'email',
  ),
  c(
    'POST /auth/login',
    'POST',
    () => '/auth/login',
    () => ({ email: 'a\u0000@b.test', password: 'x' }),
    'email',
  ),
]

describe.each(['pglite', 'postgres'] as const)('bad input on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let key: string
  let ids: Ids

  const state = async () => {
    const n = async (t: PgTable) => Number((await h.db.select({ n: count() }).from(t))[0]?.n ?? 0)
    return {
      version: await readConfigVersion(h.db),
      sources: await n(schema.trafficSources),
      networks: await n(schema.affiliateNetworks),
      destinations: await n(schema.destinations),
      campaigns: await n(schema.campaigns),
      streams: await n(schema.streams),
      links: await n(schema.streamDestinations),
      keys: await n(schema.apiKeys),
      sessions: await n(schema.sessions),
    }
  }

  beforeAll(async () => {
    h = await throwawayDb(kind)
    key = (await createWorkspaceWithKey(h.db)).apiKey
    app = await testApiApp(h.db)
    const post = async (url: string, payload: Json) => {
      const r = await app.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${key}` },
        payload,
      })
      if (r.statusCode !== 201) throw new Error(r.body)
      return r.json().id as string
    }
    const source = await post('/sources', { name: 's' })
    const network = await post('/networks', { name: 'n' })
    const destination = await post('/destinations', dest)
    const campaign = await post('/campaigns', { name: 'c', alias: 'the-campaign' })
    const stream = await post('/streams', {
      campaign_id: campaign,
      name: 's',
      destinations: [{ destination_id: destination }],
    })
    ids = { source, network, destination, campaign, stream }
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('covers every route', () => {
    const routes = new Set(cases.map((x) => x.route))
    for (const r of ['sources', 'networks', 'destinations', 'campaigns', 'streams']) {
      for (const verb of ['GET /', 'POST /', 'GET /:id', 'PATCH /:id', 'DELETE /:id']) {
        const [m, suffix] = verb.split(' ')
        expect(routes, `${m} /${r}${suffix!.slice(1) ? `/${suffix!.slice(2)}` : ''}`).toContain(
          `${m} /${r}${suffix === '/' ? '' : `/${suffix!.slice(1)}`}`,
        )
      }
    }
  })

  it.each(cases)('$route → 400 naming $path', async (tc) => {
    const before = await state()
    const payload = tc.body?.(ids)
    const res = await app.inject({
      method: tc.method,
      url: `/api/v1${tc.url(ids)}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    })
    expect(res.statusCode, res.body).toBe(400)
    const body = res.json()
    expect(body.error.code).toBe('validation_failed')
    expect(typeof body.error.message).toBe('string')
    const paths = (body.error.details as { path: string; message: string }[]).map((d) => d.path)
    expect(paths, res.body).toContain(tc.path)
    expect(body.error.message).toContain(tc.path)
    expect(await state()).toEqual(before)
  })
})
