/**
 * An unauthenticated postback flood must not slow the redirect path (issue 13, defect 2).
 *
 * On the real server process (PGlite + chDB, started like `npm start`), in one run:
 * 1. redirect latency of `/c/sample` over K sequential requests, no flood;
 * 2. the same K requests while several connections send postbacks with an unknown network
 *    or a known network and a wrong secret, paced (bounded: it stops when the redirects are
 *    done or after FLOOD_MAX requests);
 * in interleaved rounds, so that load from outside falls on both alike.
 * The p50 and p99 with the flood must stay within a small factor of those without it. The
 * figures are printed. No absolute speed is asserted (2 shared cores): only the ratio, with a margin.
 * The flood runs in a worker thread: on this process's event loop, handling its responses
 * would delay the measured redirects' own responses and count as server latency.
 */
import { rmSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'flood@traffoflex.test', password: 'correct horse battery staple' }
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
/** Redirects measured per phase (over all rounds). */
const K = 1000
/** Concurrent flood connections. */
const FLOOD_CONNECTIONS = 6
/**
 * Flood rate, requests/s over all connections: the rate the issue observed (~1,350/s). A
 * closed loop as fast as answers come would measure this box's CPU (2 shared cores), not the
 * cost of a refusal.
 */
const FLOOD_PER_SECOND = 1350
/** Rounds of (no flood, flood), interleaved. */
const ROUNDS = 4
/** The flooded phases last at least this long in all, ms. */
const FLOOD_MIN_MS = 3200
/** Upper bound of flood requests (keeps the test bounded if redirects crawl). */
const FLOOD_MAX = 20_000

let server: ServerProcess | undefined
const dataDir = tempDataDir('tf-flood-')
let networkId = ''

beforeAll(async () => {
  server = await startServerProcess({
    dataDir,
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  })
  const cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const net = await apiCall(server.url, cookie, 'POST', '/networks', {
    name: 'Flooded network',
    postback_secret: 'the-real-s3cret',
  })
  expect(net.status).toBe(201)
  networkId = net.body.id
}, 120_000)

afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Milliseconds of each of at least `n` sequential redirects, going on until `minMs` have passed. */
async function redirectLatencies(n: number, minMs = 0): Promise<number[]> {
  const out: number[] = []
  const until = performance.now() + minMs
  for (let i = 0; i < n || performance.now() < until; i++) {
    const t0 = performance.now()
    const res = await fetch(`${server!.url}/c/sample?sub1=flood-${i}`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME, 'accept-language': 'en-US' },
    })
    await res.arrayBuffer()
    out.push(performance.now() - t0)
    expect(res.status).toBe(302)
  }
  return out
}

/** The flood's client code (a worker thread; plain JavaScript). */
const FLOOD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { url, networkId, connections, max, perSecond } = workerData
const interval = (connections * 1000) / perSecond
const start = performance.now()
let stop = false
let sent = 0
const statuses = {}
parentPort.on('message', () => { stop = true })
const flooder = async (c) => {
  for (let i = 0; !stop && sent < max; i++) {
    // Paced: this connection's i-th request is due at start + i × interval (at once when late).
    const wait = start + c * (interval / connections) + i * interval - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    sent++
    if (sent === 1) parentPort.postMessage('started')
    // Half unknown networks (a fresh random ID each), half the real network with a wrong secret.
    const q = i % 2 === 0
      ? 'network=' + crypto.randomUUID() + '&secret=nope&subid=x' + c + '-' + i
      : 'network=' + networkId + '&secret=wrong-' + i + '&subid=x' + c + '-' + i
    try {
      const res = await fetch(url + '/postback?' + q)
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
    } catch {
      statuses.failed = (statuses.failed ?? 0) + 1
    }
  }
}
Promise.all(Array.from({ length: connections }, (_, c) => flooder(c))).then(() =>
  parentPort.postMessage({ sent, statuses }),
)
`

/** Starts the flood; `stop()` ends it and resolves with what was sent and the answers by HTTP status. */
function startFlood(networkId: string): {
  /** Resolves when the first flood request is sent. */
  running: Promise<void>
  stop(): Promise<{ sent: number; statuses: Record<string, number> }>
} {
  const w = new Worker(FLOOD_WORKER, {
    eval: true,
    workerData: {
      url: server!.url,
      networkId,
      connections: FLOOD_CONNECTIONS,
      max: FLOOD_MAX,
      perSecond: FLOOD_PER_SECOND,
    },
  })
  let started: () => void = () => {}
  const running = new Promise<void>((r) => {
    started = r
  })
  const done = new Promise<{ sent: number; statuses: Record<string, number> }>((resolve, reject) => {
    w.on('message', (m) => (m === 'started' ? started() : resolve(m)))
    w.once('error', reject)
  })
  return {
    running,
    async stop() {
      w.postMessage('stop')
      const r = await done
      await w.terminate()
      return r
    },
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

describe('postback flood vs redirect latency', () => {
  it('an unauthenticated postback flood keeps redirect p99 within a small factor', async () => {
    await redirectLatencies(100) // warm-up (JIT, caches)
    // Interleaved rounds, so that load from outside the test (other runs on the box) falls on
    // both phases alike.
    const base: number[] = []
    const flooded: number[] = []
    let sent = 0
    const statuses: Record<string, number> = {}
    for (let round = 0; round < ROUNDS; round++) {
      base.push(...(await redirectLatencies(K / ROUNDS)))
      const flood = startFlood(networkId)
      await flood.running // measured from the flood's first request: its start (lookups, log rows) counts too
      flooded.push(...(await redirectLatencies(K / ROUNDS, FLOOD_MIN_MS / ROUNDS)))
      const r = await flood.stop()
      sent += r.sent
      for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v
    }

    const fig = (xs: number[]) =>
      `p50 ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${pct(xs, 100).toFixed(1)} ms`
    console.log(
      `redirect /c/sample: without flood (${base.length}) ${fig(base)}; with flood (${flooded.length}) ${fig(flooded)} ` +
        `(${sent} postbacks from ${FLOOD_CONNECTIONS} connections, statuses ${JSON.stringify(statuses)})`,
    )
    expect(sent).toBeGreaterThan(2000)
    // A 2-core box shared with other test runs and with the flood client itself: the margins
    // are wide on purpose. Before the fix (one log row per refusal on the event loop) the
    // median rose ~20× and p99 ~6×; after it, the median stays put and the tail grows by
    // what the scheduler does to three busy threads on two cores.
    const [b50, f50, b99, f99] = [pct(base, 50), pct(flooded, 50), pct(base, 99), pct(flooded, 99)]
    expect(f50).toBeLessThanOrEqual(Math.max(3 * b50, b50 + 2))
    expect(f99).toBeLessThanOrEqual(Math.max(4 * b99, b99 + 20))
  }, 90_000)
})
