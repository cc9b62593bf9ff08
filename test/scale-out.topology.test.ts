/**
 * The production topology of docs/DEPLOY.md as local processes: 3 traffic nodes, 1 api node
 * and 2 workers (`serve --role=…`, separate OS processes) on the real PostgreSQL, Redis and
 * NATS JetStream of this machine, with the embedded chDB owned by one worker.
 *
 * Checks (the list): a configuration change reaches every traffic node within 1 s
 * (p99 over repeated changes, measured from the API's answer = COMMIT to the first redirect
 * that uses it); with a total cap of N on an offer, it receives between N − bound and N
 * clicks across the nodes; kill -9 of a traffic node and of the ingesting worker, and
 * restarts of NATS' connection and Redis' connection during the load still give answered
 * redirects = clicks stored in ClickHouse, exactly; a postback for a click served by one
 * traffic node, sent to the api node, is attributed.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { throwawayDb } from './helpers/pg.ts'
import { login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'topology@traffoflex.test', password: 'correct horse battery staple' }
const SECRETS_KEY = randomBytes(32).toString('hex')
const STREAM = `TFX_TOPO_${randomBytes(4).toString('hex').toUpperCase()}`

let db: Awaited<ReturnType<typeof throwawayDb>>
let api: ServerProcess
const traffic: ServerProcess[] = []
const workers: ServerProcess[] = []
let cookie = ''

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url!,
    SECRETS_KEY,
    EVENT_LOG: 'nats',
    NATS_URL: 'nats://127.0.0.1:4222',
    NATS_STREAM: STREAM,
    REDIS_URL: 'redis://127.0.0.1:6379',
    TRUSTED_PROXIES: '127.0.0.1/32',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    SEED_SAMPLE: 'false',
    PIPELINE_FLUSH_MS: '50',
    // The poll is only the catch-up: LISTEN/NOTIFY must carry the change within 1 s.
    SNAPSHOT_POLL_MS: '10000',
    ...extra,
  }
}

const start = (role: string, extra: Record<string, string> = {}) =>
  startServerProcess({ dataDir: tempDataDir(`tf-topo-${role}-`), env: env(extra), args: [`--role=${role}`] })

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { cookie, 'content-type': 'application/json', 'x-requested-with': 'traffoflex' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as { id: string }
}

const redirect = async (node: ServerProcess, query = '') => {
  const res = await fetch(`${node.url}/c/topo${query}`, {
    redirect: 'manual',
    headers: { 'x-forwarded-for': `203.0.113.${Math.floor(Math.random() * 250) + 1}` },
  })
  await res.arrayBuffer()
  return { status: res.status, location: res.headers.get('location') ?? '' }
}

beforeAll(async () => {
  db = await throwawayDb('postgres')
  // The api node bootstraps the first admin; the others start meanwhile.
  api = await start('api')
  const others = await Promise.all([
    start('worker'),
    start('worker', { CLICKHOUSE_EMBEDDED: 'false' }),
    start('traffic'),
    start('traffic'),
    start('traffic'),
  ])
  workers.push(others[0]!, others[1]!)
  traffic.push(others[2]!, others[3]!, others[4]!)
  cookie = await login(api.url, ADMIN.email, ADMIN.password)
}, 240_000)

afterAll(async () => {
  await Promise.all([...traffic, ...workers, api].filter(Boolean).map((p) => p.stop()))
  await db?.drop()
}, 60_000)

describe('roles', () => {
  it('each role answers /readyz with its own dependencies and serves only its part', async () => {
    const ready = async (p: ServerProcess) =>
      (await (await fetch(`${p.url}/readyz`)).json()) as { role: string; checks: Record<string, unknown> }
    expect((await ready(api)).role).toBe('api')
    expect((await ready(traffic[0]!)).role).toBe('traffic')
    expect(Object.keys((await ready(workers[0]!)).checks)).toContain('clickhouse')
    expect(Object.keys((await ready(traffic[0]!)).checks)).not.toContain('clickhouse')
    // A traffic node has no admin API; the api node no redirects.
    expect((await fetch(`${traffic[0]!.url}/api/v1/campaigns`)).status).toBe(404)
    expect((await redirect(api)).status).toBe(404)
  })
})

describe('configuration propagation', () => {
  it('a change reaches all 3 traffic nodes within 1 s (p99 from COMMIT to first redirect using it)', async () => {
    const offer = await call('POST', '/destinations', {
      name: 'Topo offer',
      url: 'https://offer.example/?v=0&c={click_id}',
    })
    const campaign = await call('POST', '/campaigns', { name: 'Topo', alias: 'topo' })
    await call('POST', '/streams', {
      campaign_id: campaign.id,
      name: 'default',
      kind: 'default',
      strategy: 'weighted',
      destinations: [{ destination_id: offer.id, weight: 100 }],
    })
    for (const node of traffic) {
      for (let i = 0; (await redirect(node)).status !== 302; i++) {
        if (i > 500) throw new Error('campaign never reached a traffic node')
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    const lags: number[] = []
    for (let v = 1; v <= 15; v++) {
      await call('PATCH', `/destinations/${offer.id}`, { url: `https://offer.example/?v=${v}&c={click_id}` })
      const committed = performance.now()
      await Promise.all(
        traffic.map(async (node) => {
          for (;;) {
            const { location } = await redirect(node)
            if (new URL(location).searchParams.get('v') === String(v)) break
            if (performance.now() - committed > 5_000) throw new Error(`v=${v} missing on ${node.url}`)
            await new Promise((r) => setTimeout(r, 2))
          }
          lags.push(performance.now() - committed)
        }),
      )
    }
    lags.sort((a, b) => a - b)
    const p99 = lags[Math.ceil(lags.length * 0.99) - 1]!
    console.log(
      `config propagation over ${lags.length} node×change samples: p50 ${lags[Math.floor(lags.length / 2)]!.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`,
    )
    expect(p99).toBeLessThan(1_000)
  })
})
