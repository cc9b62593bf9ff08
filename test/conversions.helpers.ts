/**
 * Fixtures for the conversions medium tests: a migrated throwaway database, the admin API
 * app with the conversions routes and the public `/postback` route, a workspace with an API
 * key, networks and destinations created through the real API, and clicks placed in the
 * recent-clicks cache or in ClickHouse.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ClickEvent } from '../src/modules/analytics/index.ts'
import {
  conversionsApiRoutes,
  createConversionsService,
  postbackRoutes,
} from '../src/modules/conversions/index.ts'
import type { ConversionsService, RefusalLimits } from '../src/modules/conversions/conversions.service.ts'
import { newClickId } from '../src/modules/routing/core/index.ts'
import type { ClickHouseHandle } from '../src/platform/clickhouse.ts'
import { createAdminApi } from '../src/api.ts'
import { createLogger } from '../src/platform/logger.ts'
import { click } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { type TestRecentClicks, testRecentClicks } from './helpers/recent-clicks.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
export type Json = Record<string, any>
export type Handle = Awaited<ReturnType<typeof throwawayDb>>
export type Account = Awaited<ReturnType<typeof createWorkspaceWithKey>>

/** A fresh click ID for `ms` (default now). */
export const clickId = (ms = Date.now()) => newClickId(ms, randomBytes(10))

/** Formats epoch ms for a ClickHouse DateTime64(3) column. */
export const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ')

export interface Fixture {
  h: Handle
  app: FastifyInstance
  service: ConversionsService
  recentClicks: TestRecentClicks
  ch: ClickHouseHandle
  A: Account
  /** Admin API call with `key` (Bearer). */
  api(key: string, method: string, url: string, payload?: Json): Promise<{ status: number; body: Json }>
  /** Creates a network (through the API) and optionally sets its postback settings. */
  network(key: string, body?: Json, settings?: Json): Promise<Json>
  /** Creates a destination (through the API). */
  destination(key: string, body?: Json): Promise<Json>
  /** A click of `workspaceId` (every field filled), remembered in the cache unless `cache: false`. */
  click(workspaceId: string, over?: Partial<ClickEvent>, opts?: { cache?: boolean }): ClickEvent
  /** Inserts clicks into ClickHouse's `clicks` table (as the pipeline would). */
  clicksToClickHouse(events: ClickEvent[]): Promise<void>
  /** GET /postback with a query string. */
  get(
    query: string,
    opts?: { headers?: Record<string, string>; remoteAddress?: string },
  ): Promise<PostbackReply>
  /** POST /postback with a body. */
  post(
    query: string,
    body: string,
    contentType: string | undefined,
    opts?: { headers?: Record<string, string> },
  ): Promise<PostbackReply>
  /** Rows of postback_log / conversions of a workspace (SQL, not the API). */
  logs(workspaceId: string | null): Promise<Json[]>
  conversions(workspaceId: string): Promise<Json[]>
  close(): Promise<void>
}

export interface PostbackReply {
  status: number
  body: Json
  headers: Record<string, unknown>
}

/**
 * Builds the fixture on a new database of `kind`, sharing the file's ClickHouse handle.
 * @param env extra configuration (e.g. TRUSTED_PROXIES).
 * @param refusals budgets and log sampling of unauthenticated refusals (the service's defaults otherwise).
 */
export async function fixture(
  kind: 'pglite' | 'postgres',
  ch: ClickHouseHandle,
  env: Record<string, string> = {},
  refusals?: Partial<RefusalLimits>,
): Promise<Fixture> {
  const h = await throwawayDb(kind)
  const recentClicks = testRecentClicks()
  // No network cache (settings change between requests) and no lease (tests re-sync at once).
  const service = createConversionsService({
    db: h.db,
    clickhouse: ch,
    recentClicks,
    networkCacheMs: 0,
    syncLeaseMs: 0,
    ...(refusals ? { refusals } : {}),
  })
  const config = testConfig(env)
  const app = await createAdminApi({
    db: h.db,
    config,
    logger: createLogger('silent'),
    plugins: [{ plugin: conversionsApiRoutes({ db: h.db, publicUrl: config.publicUrl }) }],
  })
  await app.register(postbackRoutes({ service }))
  await app.ready()
  const A = await createWorkspaceWithKey(h.db)

  const api: Fixture['api'] = async (key, method, url, payload) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : {} }
  }
  const reply = (res: { statusCode: number; body: string; headers: Record<string, unknown> }) => ({
    status: res.statusCode,
    body: res.body ? (JSON.parse(res.body) as Json) : {},
    headers: res.headers,
  })
  let n = 0
  return {
    h,
    app,
    service,
    recentClicks,
    ch,
    A,
    api,
    async network(key, body = {}, settings) {
      const r = await api(key, 'POST', '/networks', { name: `net ${++n}`, ...body })
      if (r.status !== 201) throw new Error(`network: ${r.status} ${JSON.stringify(r.body)}`)
      if (settings) {
        const s = await api(key, 'PUT', `/networks/${r.body.id}/postback-settings`, settings)
        if (s.status !== 200) throw new Error(`settings: ${s.status} ${JSON.stringify(s.body)}`)
      }
      return r.body
    },
    async destination(key, body = {}) {
      const r = await api(key, 'POST', '/destinations', {
        name: `dest ${++n}`,
        url: 'https://offer.test/',
        ...body,
      })
      if (r.status !== 201) throw new Error(`destination: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    },
    click(workspaceId, over = {}, opts = {}) {
      const ts = over.ts ?? Date.now()
      const e = click({ click_id: clickId(ts), ...over, ts, workspace_id: workspaceId })
      if (opts.cache !== false) recentClicks.remember(e)
      return e
    },
    async clicksToClickHouse(events) {
      await ch.client.insert({
        table: `${ch.database}.clicks`,
        values: events.map(({ type: _t, ...rest }) => ({ ...rest, ts: chTime(rest.ts) })),
        format: 'JSONEachRow',
      })
    },
    async get(query, opts = {}) {
      return reply(
        await app.inject({
          method: 'GET',
          url: `/postback?${query}`,
          ...(opts.headers ? { headers: opts.headers } : {}),
          ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
        }),
      )
    },
    async post(query, body, contentType, opts = {}) {
      return reply(
        await app.inject({
          method: 'POST',
          url: `/postback${query ? `?${query}` : ''}`,
          payload: body,
          headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(opts.headers ?? {}) },
        }),
      )
    },
    async logs(workspaceId) {
      const r = await h.db.execute(
        workspaceId === null
          ? `SELECT * FROM postback_log WHERE workspace_id IS NULL ORDER BY received_at, id`
          : `SELECT * FROM postback_log WHERE workspace_id = '${workspaceId}' ORDER BY received_at, id`,
      )
      return (r as unknown as { rows: Json[] }).rows
    },
    async conversions(workspaceId) {
      const r = await h.db.execute(
        `SELECT * FROM conversions WHERE workspace_id = '${workspaceId}' ORDER BY created_at`,
      )
      return (r as unknown as { rows: Json[] }).rows
    },
    async close() {
      await service.stop()
      await app.close()
      await h.drop()
    },
  }
}
