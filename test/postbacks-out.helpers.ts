/**
 * Fixtures for the outbound postback tests: a loopback HTTP receiver that counts what it
 * got, and a stack on a throwaway database — conversions service (postbacks in) with the
 * outbound outbox, jobs runtime (pg-boss), admin API with both modules' routes — with a
 * workspace, an affiliate network and helpers to make clicks, sources and postbacks.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ClickEvent } from '../src/modules/analytics/index.ts'
import {
  conversionsApiRoutes,
  createConversionsService,
  postbackRoutes,
} from '../src/modules/conversions/index.ts'
import type { ConversionsService } from '../src/modules/conversions/conversions.service.ts'
import { createOutboundPostbacks, outboundPostbackRoutes } from '../src/modules/postbacks-out/index.ts'
import type { RetryPolicy } from '../src/modules/postbacks-out/outbound.core.ts'
import type {
  OutboundPostbacks,
  OutboundPostbacksDeps,
} from '../src/modules/postbacks-out/outbound.service.ts'
import { newClickId } from '../src/modules/routing/core/index.ts'
import type { ClickHouseHandle } from '../src/platform/clickhouse.ts'
import { createAdminApi } from '../src/api.ts'
import { JOB_CATALOG } from '../src/platform/jobs/jobs.catalog.ts'
import { createJobs, type Jobs } from '../src/platform/jobs/jobs.ts'
import { createLogger } from '../src/platform/logger.ts'
import { click } from './analytics.helpers.ts'
import { createWorkspaceWithKey, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { type TestRecentClicks, testRecentClicks } from './helpers/recent-clicks.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
export type Json = Record<string, any>

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` every 20 ms until it holds. @throws after `timeoutMs`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** One request the receiver got. */
export interface Hit {
  /** Path and query as sent (raw, still percent-encoded). */
  url: string
  /** Arrival, epoch ms. */
  at: number
  /** What the receiver answered. */
  status: number
  userAgent: string
}

/** A loopback HTTP receiver whose answers a test decides. */
export interface Receiver {
  /** `http://127.0.0.1:<port>`. */
  base: string
  hits: Hit[]
  /** Status to answer for the n-th request (0-based) to `path`; default 200. */
  respond: (n: number, path: string) => number
  /** Requests answered 2xx. */
  delivered(): number
  close(): Promise<void>
}

/** Starts a receiver on 127.0.0.1 (random port). */
export async function startReceiver(respond: Receiver['respond'] = () => 200): Promise<Receiver> {
  const hits: Hit[] = []
  const r: Receiver = {
    base: '',
    hits,
    respond,
    delivered: () => hits.filter((h) => h.status >= 200 && h.status < 300).length,
    close: () => new Promise<void>((res) => server.close(() => res())),
  }
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    const status = r.respond(hits.length, path)
    hits.push({
      url: req.url ?? '',
      at: Date.now(),
      status,
      userAgent: String(req.headers['user-agent'] ?? ''),
    })
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' })
    res.end(status < 300 ? 'OK' : `nope ${status}`)
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
  r.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return r
}

/** A fast schedule for tests: 4 attempts, 150 → 300 → 600 ms. */
export const FAST_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 150,
  factor: 2,
  maxDelayMs: 10_000,
  windowMs: 60_000,
}

export type Handle = Awaited<ReturnType<typeof throwawayDb>>

/** The stack of one test database. */
export interface Stack {
  h: Handle
  app: FastifyInstance
  jobs: Jobs<typeof JOB_CATALOG>
  outbound: OutboundPostbacks
  service: ConversionsService
  recentClicks: TestRecentClicks
  A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  /** Network of workspace A (no secret). */
  networkId: string
  /** Admin API call with `key` (Bearer). */
  api(key: string, method: string, url: string, payload?: Json): Promise<{ status: number; body: Json }>
  /** Creates a traffic source of workspace A with `postback_url`. */
  source(postbackUrl: string | null): Promise<string>
  /** A click of workspace A from `sourceId`, remembered in the recent-clicks cache. */
  click(sourceId: string, over?: Partial<ClickEvent>): ClickEvent
  /** GET /postback for the network with these parameters. */
  postback(params: Record<string, string>): Promise<{ status: number; body: Json }>
  /** Outbound rows of a conversion through the API (oldest first). */
  outboundOf(conversionId: string): Promise<Json[]>
  /** One outbound row with its attempt log (API). */
  detail(id: string): Promise<Json>
  /** Stops the jobs runtime and starts a new one (a new process) over the same database. */
  restart(opts?: { workers?: boolean }): Promise<void>
  close(): Promise<void>
}

/**
 * Builds the stack on a new database of `kind`. Jobs poll every 25 ms; the sweep runs every
 * 200 ms with a 500 ms grace period.
 */
export async function stack(
  kind: 'pglite' | 'postgres',
  ch: ClickHouseHandle,
  opts: {
    allowPrivate?: boolean
    policy?: RetryPolicy
    workers?: boolean
  } & Partial<OutboundPostbacksDeps> = {},
): Promise<Stack> {
  const h = await throwawayDb(kind)
  const recentClicks = testRecentClicks()
  const makeRuntime = () => {
    const jobs = createJobs({
      executor: h.raw,
      catalog: JOB_CATALOG,
      pollIntervalMs: 25,
      scheduleOverrides: { 'outbound-postback-sweep': { everyMs: 200 } },
    })
    const outbound = createOutboundPostbacks({
      db: h.db,
      jobs,
      timeoutMs: 2_000,
      leaseMs: 3_000,
      sweepGraceMs: 500,
      ...opts,
      allowPrivate: opts.allowPrivate ?? true,
      policy: opts.policy ?? FAST_POLICY,
    })
    outbound.registerJobs()
    return { jobs, outbound }
  }
  let rt = makeRuntime()
  await rt.jobs.start({ workers: opts.workers ?? true })
  // The outbox goes through whichever runtime is current (a restart swaps it).
  const service = createConversionsService({
    db: h.db,
    clickhouse: ch,
    recentClicks,
    networkCacheMs: 0,
    outbox: {
      write: (tx, changes) => rt.outbound.outbox.write(tx, changes),
      committed: () => rt.outbound.outbox.committed?.(),
    },
  })
  // The API saves private postback URLs (loopback receivers) whatever `allowPrivate` says:
  // the delivery's own fetch-time guard is what `allowPrivate: false` tests (a URL whose DNS
  // changed after it was saved). The save-time check has its own test (api.urls.test.ts).
  const config = testConfig({ OUTBOUND_ALLOW_PRIVATE: 'true' })
  const app = await createAdminApi({
    db: h.db,
    config,
    logger: createLogger('silent'),
    plugins: [
      { plugin: conversionsApiRoutes({ db: h.db, publicUrl: config.publicUrl }) },
      {
        plugin: outboundPostbackRoutes({
          db: h.db,
          service: { retry: (ws, id) => rt.outbound.retry(ws, id) },
        }),
      },
    ],
  })
  await app.register(postbackRoutes({ service }))
  await app.ready()
  const A = await createWorkspaceWithKey(h.db)

  const api: Stack['api'] = async (key, method, url, payload) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : {} }
  }
  const net = await api(A.apiKey, 'POST', '/networks', { name: 'net' })
  if (net.status !== 201) throw new Error(`network: ${net.status} ${JSON.stringify(net.body)}`)
  let n = 0

  const s: Stack = {
    h,
    app,
    get jobs() {
      return rt.jobs
    },
    get outbound() {
      return rt.outbound
    },
    service,
    recentClicks,
    A,
    networkId: net.body.id,
    api,
    async source(postbackUrl) {
      const r = await api(A.apiKey, 'POST', '/sources', { name: `source ${++n}`, postback_url: postbackUrl })
      if (r.status !== 201) throw new Error(`source: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.id
    },
    click(sourceId, over = {}) {
      const ts = Date.now()
      const e = click({
        click_id: newClickId(ts, randomBytes(10)),
        ts,
        workspace_id: A.workspaceId,
        campaign_id: '7d3c2a9e-1111-4a4a-8b8b-000000000001',
        source_id: sourceId,
        ...over,
      })
      recentClicks.remember(e)
      return e
    },
    async postback(params) {
      const q = new URLSearchParams({ network: net.body.id, ...params }).toString()
      const res = await app.inject({ method: 'GET', url: `/postback?${q}` })
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {} }
    },
    async outboundOf(conversionId) {
      const r = await api(A.apiKey, 'GET', `/outbound-postbacks?conversion_id=${conversionId}&limit=500`)
      if (r.status !== 200) throw new Error(`list: ${r.status} ${JSON.stringify(r.body)}`)
      return (r.body.items as Json[]).slice().reverse()
    },
    async detail(id) {
      const r = await api(A.apiKey, 'GET', `/outbound-postbacks/${id}`)
      if (r.status !== 200) throw new Error(`detail: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body
    },
    async restart(o = {}) {
      await rt.jobs.stop()
      rt = makeRuntime()
      await rt.jobs.start({ workers: o.workers ?? true })
    },
    async close() {
      await rt.jobs.stop()
      await service.stop()
      await app.close()
      await h.drop()
    },
  }
  return s
}
