/**
 * bench:postback — sustained inbound postbacks on the embedded default (PGlite + chDB), with
 * 10 % duplicates, and a check that every unique transaction ID became exactly one stored
 * conversion (0 lost, 0 double) in PostgreSQL and in ClickHouse.
 *
 * 1. The real server (`startServerProcess`, the sample campaign seeded); an affiliate network
 *    with a secret created through the admin API.
 * 2. BENCH_CLICKS real clicks through `/c/sample` (random client IPs via the trusted proxy
 *    header, browser user agents); their click IDs are read from the Location headers.
 * 3. Client ceiling: the same client against `/healthz` (no database) for a few seconds, to
 *    show the load tool is not what limits the postback figure.
 * 4. Postbacks from a fixed number of keep-alive connections, each sending the next request
 *    as soon as the previous answer arrived: a warm-up, then BENCH_DURATION seconds
 *    measured. Each request is, with probability 10 %, an exact replay of a postback already
 *    sent (same transaction ID; possibly still in flight, so concurrent duplicates happen
 *    too), else a new transaction ID for the next click (clicks are reused round robin; a
 *    click may have several conversions with different transaction IDs). Template
 *    `subid/tid/payout/status`, secret, payout, currency. Then a few seconds on one
 *    connection: the latency of a postback without queueing behind others.
 * 5. Settle (the outbox sync to ClickHouse), then compare: every transaction ID of the
 *    conversions listed by `GET /api/v1/conversions` (PostgreSQL) against the set sent, and
 *    `conversions`/`revenue` of `GET /api/v1/reports/overview` (ClickHouse) against the
 *    unique count and the sum of their payouts.
 *
 * The load client is node:http in this process (the server is a child process); it targets
 * 127.0.0.1 only. The sample source has no outbound postback URL, so this measures the
 * inbound path (an outbound postback adds one row and one pg-boss job per conversion).
 *
 * Prints a table, writes bench/results/postback.json. Exit code 1 when lost or double ≠ 0 or
 * a request failed.
 * Env: BENCH_DURATION (s, default 20), BENCH_CLICKS (20 000), BENCH_CONCURRENCY (32),
 * BENCH_CPU_PROF (a directory: V8 CPU profile of the server), BENCH_DATABASE_URL (an empty
 * PostgreSQL database to use instead of PGlite, for comparison; results then go to
 * bench/results/postback.postgres.json).
 */
import http from 'node:http'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { login, ROOT, startServerProcess, tempDataDir } from '../test/helpers/server.ts'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 20)
const WARMUP_S = 3
const CEILING_S = 3
const SINGLE_S = 5
const CLICKS = Number(process.env.BENCH_CLICKS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const DUP_SHARE = 0.1
const SECRET = 'bench-secret-7'
const PASSWORD = 'bench-password-123'
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
]

// biome-ignore lint/suspicious/noExplicitAny: loose JSON answers
type Json = Record<string, any>

/** Deterministic PRNG (mulberry32) so runs send the same mix. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

/** One GET to 127.0.0.1; resolves with status, a header and the body. */
function get(
  port: number,
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: 'GET', agent, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          body,
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Runs `worker` on `concurrency` parallel loops until `until` (epoch ms) or until it returns false. */
async function pool(until: number, worker: () => Promise<boolean>, concurrency = CONCURRENCY): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) if (!(await worker())) return
    }),
  )
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024)
}

async function main() {
  const dataDir = tempDataDir('tf-bench-postback-')
  const server = await startServerProcess({
    dataDir,
    env: {
      ADMIN_PASSWORD: PASSWORD,
      TRUSTED_PROXIES: '127.0.0.1/32',
      LOG_LEVEL: 'error',
      // BENCH_DATABASE_URL=<empty PostgreSQL database>: PostgreSQL instead of PGlite (comparison).
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
    },
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server for the whole run.
    nodeArgs: process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [],
  })
  try {
    const port = server.port
    const cookie = await login(server.url, 'admin@traffoflex.local', PASSWORD)
    const api = async (method: string, p: string, body?: Json): Promise<Json> => {
      const res = await fetch(`${server.url}/api/v1${p}`, {
        method,
        headers: {
          cookie,
          'x-requested-with': 'traffoflex',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`)
      return (await res.json()) as Json
    }
    const network = await api('POST', '/networks', { name: 'Bench network', postback_secret: SECRET })

    // 1. Clicks.
    const random = rng(42)
    const clickIds: string[] = []
    const clicksStarted = performance.now()
    let clickErrors = 0
    await pool(Number.POSITIVE_INFINITY, async () => {
      if (clickIds.length + clickErrors >= CLICKS) return false
      const ip = `${1 + Math.floor(random() * 223)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`
      const r = await get(port, `/c/sample?sub1=bench&external_id=E${clickIds.length}`, {
        'x-forwarded-for': ip,
        'user-agent': UAS[Math.floor(random() * UAS.length)]!,
      })
      const id = r.location ? new URL(r.location).searchParams.get('click_id') : null
      if (r.status === 302 && id) clickIds.push(id)
      else clickErrors++
      return true
    })
    const clicksRps = clickIds.length / ((performance.now() - clicksStarted) / 1000)
    if (clickIds.length < CLICKS) throw new Error(`only ${clickIds.length} of ${CLICKS} clicks succeeded`)

    // 2. Client ceiling.
    let ceilingRequests = 0
    const ceilingStart = performance.now()
    await pool(Date.now() + CEILING_S * 1000, async () => {
      await get(port, '/healthz')
      ceilingRequests++
      return true
    })
    const ceilingRps = ceilingRequests / ((performance.now() - ceilingStart) / 1000)

    // 3. Postbacks.
    interface Sent {
      path: string
      payoutMicros: number
      acked: boolean
    }
    const sent = new Map<string, Sent>()
    const sentTids: string[] = []
    const statuses = new Map<number, number>()
    const outcomes = new Map<string, number>()
    let next = 0
    let duplicatesSent = 0
    const phase = async (seconds: number, concurrency = CONCURRENCY) => {
      const latencies: number[] = []
      let requests = 0
      const started = performance.now()
      await pool(
        Date.now() + seconds * 1000,
        async () => {
          let tid: string
          if (sentTids.length > 0 && random() < DUP_SHARE) {
            tid = sentTids[Math.floor(random() * sentTids.length)]!
            duplicatesSent++
          } else {
            tid = `T${next}`
            const payoutMicros = 1_000_000 + Math.floor(random() * 49_000) * 1_000 // 1.000 … 49.999
            const clickId = clickIds[next % clickIds.length]!
            next++
            const payout = (payoutMicros / 1e6).toFixed(3)
            sent.set(tid, {
              path: `/postback?network=${network.id}&secret=${SECRET}&subid=${clickId}&tid=${tid}&payout=${payout}&status=sale&currency=USD`,
              payoutMicros,
              acked: false,
            })
            sentTids.push(tid)
          }
          const s = sent.get(tid)!
          const t0 = performance.now()
          const r = await get(port, s.path)
          latencies.push(performance.now() - t0)
          requests++
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          let outcome = 'unparsed'
          try {
            const b = JSON.parse(r.body) as Json
            outcome = String(b.outcome ?? b.error?.code)
          } catch {}
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
          if (r.status >= 200 && r.status < 300) s.acked = true
          return true
        },
        concurrency,
      )
      const elapsed = (performance.now() - started) / 1000
      const sorted = Float64Array.from(latencies).sort()
      return {
        requests,
        rps: requests / elapsed,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
      }
    }
    await phase(WARMUP_S)
    const run = await phase(DURATION_S)
    // Latency without queueing: one connection, one postback at a time.
    const single = await phase(SINGLE_S, 1)

    // 4. Settle and verify.
    const unique = sent.size
    const acked = [...sent.entries()].filter(([, s]) => s.acked)
    const expectedRevenueMicros = acked.reduce((a, [, s]) => a + s.payoutMicros, 0)
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
    const range = `from=${day(-1)}&to=${day(1)}&tz=UTC`
    const settleStart = performance.now()
    let pgTotal = -1
    let ch: Json = {}
    for (let i = 0; i < 120; i++) {
      pgTotal = Number((await api('GET', `/conversions?network_id=${network.id}&limit=1`)).total)
      ch = await api('GET', `/reports/overview?${range}`)
      if (Number(ch.conversions) === pgTotal && pgTotal >= acked.length) break
      await new Promise((r) => setTimeout(r, 500))
    }
    const settleS = (performance.now() - settleStart) / 1000
    const storedTids: string[] = []
    for (let offset = 0; offset < pgTotal; offset += 500) {
      const page = await api('GET', `/conversions?network_id=${network.id}&limit=500&offset=${offset}`)
      for (const c of page.items as Json[]) storedTids.push(String(c.transaction_id))
    }
    const storedSet = new Set(storedTids)
    const lostPg = acked.filter(([tid]) => !storedSet.has(tid)).length
    const doublePg = storedTids.length - storedSet.size + [...storedSet].filter((t) => !sent.has(t)).length
    const chConversions = Number(ch.conversions)
    const chRevenueMicros = Math.round(Number(ch.revenue) * 1e6)
    const lostCh = Math.max(0, acked.length - chConversions)
    const doubleCh = Math.max(0, chConversions - acked.length)
    const failed = [...statuses].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0)

    const result = {
      name: 'postback',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
      settings: {
        store: process.env.BENCH_DATABASE_URL ? 'PostgreSQL + chDB' : 'embedded (PGlite + chDB)',
        tool: 'node:http keep-alive client in the bench process (server in a child process)',
        target: '127.0.0.1',
        concurrency: CONCURRENCY,
        duration_s: DURATION_S,
        warmup_s: WARMUP_S,
        single_connection_s: SINGLE_S,
        clicks: CLICKS,
        duplicate_share: DUP_SHARE,
        template: 'subid_tid_payout_status, secret, payout, status=sale, currency',
        outbound_postbacks: false,
      },
      postbacks_per_s: round(run.rps, 0),
      p50_ms: round(run.p50),
      p99_ms: round(run.p99),
      max_ms: round(run.max),
      measured_requests: run.requests,
      single_connection_per_s: round(single.rps, 0),
      single_connection_p50_ms: round(single.p50),
      single_connection_p99_ms: round(single.p99),
      client_ceiling_rps: round(ceilingRps, 0),
      clicks_per_s_while_generating: round(clicksRps, 0),
      requests_total: [...statuses.values()].reduce((a, b) => a + b, 0),
      unique_transaction_ids: unique,
      duplicates_sent: duplicatesSent,
      http_statuses: Object.fromEntries(statuses),
      outcomes: Object.fromEntries(outcomes),
      failed_requests: failed,
      stored_pg: storedTids.length,
      stored_clickhouse: chConversions,
      revenue_expected: round(expectedRevenueMicros / 1e6, 6),
      revenue_clickhouse: round(chRevenueMicros / 1e6, 6),
      revenue_ok: chRevenueMicros === expectedRevenueMicros,
      settle_s: round(settleS, 1),
      lost: lostPg + lostCh,
      double: doublePg + doubleCh,
      peak_rss_mb: peakRssMb(server.proc.pid!),
    }
    console.table({
      'client ceiling (/healthz)': { 'req/s': result.client_ceiling_rps, 'p50 ms': '', 'p99 ms': '' },
      [`postbacks, ${CONCURRENCY} connections`]: {
        'req/s': result.postbacks_per_s,
        'p50 ms': result.p50_ms,
        'p99 ms': result.p99_ms,
      },
      'postbacks, 1 connection': {
        'req/s': result.single_connection_per_s,
        'p50 ms': result.single_connection_p50_ms,
        'p99 ms': result.single_connection_p99_ms,
      },
    })
    console.log(
      `${result.requests_total} postbacks (${unique} unique transaction IDs, ${duplicatesSent} duplicates) · ` +
        `stored: PostgreSQL ${result.stored_pg}, ClickHouse ${chConversions} (settled in ${result.settle_s} s) · ` +
        `revenue ${result.revenue_clickhouse} of ${result.revenue_expected} · lost ${result.lost}, double ${result.double}, ` +
        `failed requests ${failed} · outcomes ${JSON.stringify(result.outcomes)}`,
    )
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    const file = process.env.BENCH_DATABASE_URL ? 'postback.postgres.json' : 'postback.json'
    writeFileSync(path.join(ROOT, 'bench/results', file), `${JSON.stringify(result, null, 2)}\n`)
    if (result.lost !== 0 || result.double !== 0 || failed !== 0 || !result.revenue_ok) process.exitCode = 1
  } finally {
    agent.destroy()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
