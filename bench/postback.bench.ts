/**
 * bench:postback — inbound postbacks at fixed rates and at peak, from an open-loop paced
 * client, with 10 % duplicates, a concurrent stream of redirects, and after every phase a
 * check that each transaction ID answered 2xx became exactly one stored conversion (0 lost,
 * 0 double) in PostgreSQL and ClickHouse.
 *
 * Method
 * 1. The real server (`startServerProcess`, the sample campaign seeded) on PGlite + chDB, or
 *    on PostgreSQL with BENCH_DATABASE_URL; BENCH_CLICKS real clicks through `/c/sample`
 *    (random client IPs via the trusted proxy header, browser user agents), their click IDs
 *    read from the Location headers.
 * 2. Client ceiling: the postback client (closed loop, PEAK_IN_FLIGHT requests in flight)
 *    against `/healthz` for a few seconds, and its own CPU per request: to show the client is
 *    not what limits the postback figures (each phase also reports the cores the bench
 *    process used).
 * 3. Redirect baseline: a paced stream of BENCH_REDIRECT_RATE clicks/s to `/c/sample` alone
 *    for BENCH_DURATION s: its p99 and the server CPU per redirect.
 * 4. One phase per entry of BENCH_RATES (default `1000,5000,10000,peak`), each with its own
 *    affiliate network (so its conversions are listed apart) and fresh transaction IDs:
 *    - Open loop: request i is due at start + i / rate and is sent then, whatever earlier
 *      answers did, on up to MAX_IN_FLIGHT keep-alive connections. Latency counts from the
 *      due time, so time spent queued in the client (when every connection is busy with a
 *      slow server) is not hidden. Requests still not sent when the phase's BENCH_DURATION s
 *      end are reported as `unsent` (the server could not keep up). `peak` is a closed loop:
 *      PEAK_IN_FLIGHT requests in flight, each replaced as soon as answered.
 *    - Each request is, with probability 10 %, an exact replay of a postback already sent
 *      in this phase (possibly still in flight), else a new transaction ID for the next
 *      click (clicks are reused round robin). Template `subid/tid/payout/status`, secret,
 *      payout, currency.
 *    - Like a network, the client retries a 503 (queue full) after its Retry-After (1 s when
 *      absent), and a timeout (TIMEOUT_MS) or connection error after 1 s, up to MAX_ATTEMPTS
 *      per request. Latency is per attempt, from its due time to its answer or failure (a
 *      timeout counts with its 10 s), plus `p99_to_2xx_ms`: from a request's first due
 *      time to its 2xx, retries included. `achieved_per_s`: 2xx answers that arrived within
 *      the BENCH_DURATION s, per second.
 *    - The redirect stream runs alongside; its p99 is compared with the baseline.
 *    - After BENCH_DURATION s no new requests start; retries and answers are awaited at most
 *      DRAIN_S s, then what is still in flight is aborted (`aborted`; transaction IDs never
 *      answered 2xx: `unresolved`).
 *    - Settle: until the stored count stops moving and ClickHouse has what PostgreSQL has.
 *      Server CPU (user + system, all threads, from /proc; and on PostgreSQL the CPU of the
 *      database's backends and background processes) from the phase start to here, minus
 *      the redirect stream's share at its baseline cost, divided by the postbacks answered.
 *    - Check: the transaction IDs of the phase network's conversions (`GET
 *      /api/v1/conversions`) against the IDs answered 2xx (lost: answered 2xx, not stored;
 *      double: stored twice, or never sent); ClickHouse's `conversions`/`revenue` (`GET
 *      /api/v1/reports/overview`, all phases so far) against PostgreSQL's conversions and
 *      the sum of their payouts. An ID that was sent but never answered 2xx may be stored
 *      once or not at all (`stored_unacked`).
 *
 * The clients run in this process (the server is a child process), target 127.0.0.1 and
 * speak HTTP/1.1 over raw keep-alive sockets ({@link HttpPool}: undici and node:http cost
 * 3–5× the client CPU per request at 1024 connections). The sample source has no outbound
 * postback URL, so this measures the inbound path.
 *
 * Prints a table, writes bench/results/postback.json (postback.postgres.json with
 * BENCH_DATABASE_URL). Exit code 1 when lost or double ≠ 0 in any phase.
 * Env: BENCH_RATES (postbacks/s or `peak`, comma-separated), BENCH_DURATION (s per phase,
 * default 10), BENCH_CLICKS (20 000), BENCH_REDIRECT_RATE (clicks/s, 500), BENCH_CPU_PROF (a
 * directory: V8 CPU profile of the server), BENCH_DATABASE_URL (an empty PostgreSQL database
 * instead of PGlite, e.g. `createdb -h 127.0.0.1 -U postgres bench_pb_$RANDOM`),
 * BENCH_MAX_IN_FLIGHT (1024), BENCH_PEAK_IN_FLIGHT (512). Both stores: run twice, e.g.
 *   flock /tmp/bench.lock npm run bench:postback
 *   db=bench_pb_$RANDOM; createdb -h 127.0.0.1 -U postgres $db
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db flock /tmp/bench.lock npm run bench:postback
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { isNodeThread } from '../src/platform/thread-priority.ts'
import { login, ROOT, startServerProcess, tempDataDir } from '../test/helpers/server.ts'

const RATES = (process.env.BENCH_RATES ?? '1000,5000,10000,peak').split(',').map((r) => r.trim())
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10)
const CLICKS = Number(process.env.BENCH_CLICKS ?? 20_000)
const REDIRECT_RATE = Number(process.env.BENCH_REDIRECT_RATE ?? 500)
const DATABASE_URL = process.env.BENCH_DATABASE_URL
/** Connections (= requests in flight at most) of the open-loop postback client. */
const MAX_IN_FLIGHT = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 1024)
/** Requests in flight in the closed-loop `peak` phase and the client ceiling. */
const PEAK_IN_FLIGHT = Number(process.env.BENCH_PEAK_IN_FLIGHT ?? 512)
/** Connections of the redirect stream: plenty for 500/s at a few ms each. */
const REDIRECT_IN_FLIGHT = 64
/** A request with no answer after this long is abandoned (and retried). */
const TIMEOUT_MS = 10_000
const MAX_ATTEMPTS = 5
/** After a phase: how long to wait for answers and retries before aborting. */
const DRAIN_S = 15
const CEILING_S = 3
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

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d

const benchStart = performance.now()
/** A progress line, prefixed with the seconds since the bench started. */
const log = (msg: string) => console.log(`[${round((performance.now() - benchStart) / 1000, 1)} s] ${msg}`)

/** p-th percentile (0–100) of latencies in ms; NaN when empty. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** p50/p99/max of latencies, ms rounded to 0.01. */
function latencySummary(values: number[]): { p50_ms: number; p99_ms: number; max_ms: number } {
  return {
    p50_ms: round(percentile(values, 50)),
    p99_ms: round(percentile(values, 99)),
    max_ms: round(percentile(values, 100)),
  }
}

const randomIp = (random: () => number) =>
  `${1 + Math.floor(random() * 223)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`

// ---------------------------------------------------------------------------------------
// Load generation

/**
 * One attempt of a request. `dueMs` (performance.now() time base) is when it should have
 * gone out; resolves with a delay in ms to retry after, or undefined when done. Must not
 * reject.
 */
type Attempt = (signal: AbortSignal, dueMs: number) => Promise<number | undefined>

/** What {@link runLoad} did, counts of requests (not answers: the attempt records those). */
interface LoadRun {
  /** New requests started (retries not counted). */
  started: number
  /** New requests due in the window that never got a free connection (open loop only). */
  unsent: number
  /** Retries started. */
  retries: number
  /** Retries still waiting when the drain bound was reached. */
  retriesDropped: number
  /** Requests in flight aborted at the drain bound. */
  aborted: number
  /** Window length, s (the requested duration). */
  windowS: number
  /** Window + drain, s. */
  totalS: number
}

/**
 * Drives `next()` requests for `durationS` seconds. Open loop at `rate` requests/s: request
 * i is due at start + i / rate and starts as soon as it is due and fewer than `maxInFlight`
 * are in flight (else it waits in the client, its latency still counted from its due time).
 * `rate = Infinity` is a closed loop: `maxInFlight` in flight at all times. Retries (an
 * attempt resolving with a delay) go ahead of new requests. After the window no new request
 * starts; answers and due retries are awaited until `drainS` more seconds, then the rest is
 * aborted through the signal.
 */
async function runLoad(opts: {
  rate: number
  maxInFlight: number
  durationS: number
  drainS: number
  next: () => Attempt
}): Promise<LoadRun> {
  const { rate, maxInFlight } = opts
  const closed = rate === Number.POSITIVE_INFINITY
  const ac = new AbortController()
  const t0 = performance.now()
  const end = t0 + opts.durationS * 1000
  const deadline = end + opts.drainS * 1000
  const retryQueue: { due: number; attempt: Attempt }[] = []
  let inFlight = 0
  let started = 0
  let retries = 0
  let aborted = 0
  let finish = () => {}
  const finished = new Promise<void>((r) => {
    finish = r
  })
  const start = (attempt: Attempt, due: number) => {
    inFlight++
    void attempt(ac.signal, due).then((retryAfterMs) => {
      inFlight--
      if (ac.signal.aborted) aborted++
      else if (retryAfterMs !== undefined) retryQueue.push({ due: performance.now() + retryAfterMs, attempt })
      // A closed loop refills at once; an open loop waits for its tick.
      if (closed || inFlight === 0) dispatch()
    })
  }
  // Starts what is due, as connections allow; ends the run when nothing is left to wait for.
  const dispatch = () => {
    const now = performance.now()
    if (retryQueue.length > 0 && inFlight < maxInFlight) {
      retryQueue.sort((a, b) => a.due - b.due)
      while (retryQueue.length > 0 && retryQueue[0]!.due <= now && inFlight < maxInFlight) {
        const r = retryQueue.shift()!
        retries++
        start(r.attempt, r.due)
      }
    }
    if (now < end) {
      const dueCount = closed ? Number.POSITIVE_INFINITY : ((now - t0) * rate) / 1000
      while (started < dueCount && inFlight < maxInFlight) {
        start(opts.next(), closed ? now : t0 + (started * 1000) / rate)
        started++
      }
    } else if (now >= deadline) {
      if (!ac.signal.aborted) ac.abort() // the aborted attempts resolve and call back here
      if (inFlight === 0) finish()
    } else if (inFlight === 0 && retryQueue.every((r) => r.due > deadline)) finish()
  }
  const tick = setInterval(dispatch, 1)
  dispatch()
  await finished
  clearInterval(tick)
  return {
    started,
    unsent: closed ? 0 : Math.max(0, Math.floor(opts.durationS * rate) - started),
    retries,
    retriesDropped: retryQueue.length,
    aborted,
    windowS: opts.durationS,
    totalS: (performance.now() - t0) / 1000,
  }
}

/** An HTTP answer as the bench needs it. */
interface Answer {
  status: number
  /** Retry-After in ms, when sent as seconds. */
  retryAfterMs?: number
  location?: string
  body: string
}

/** A request waiting for its answer on a {@link Conn}. */
interface Waiting {
  resolve(a: Answer): void
  reject(e: Error): void
  sentAt: number
  signal: AbortSignal | undefined
}

/** One keep-alive connection of a {@link HttpPool}: at most one request at a time. */
interface Conn {
  socket: net.Socket
  buf: Buffer
  waiting?: Waiting
  dead: boolean
}

/**
 * A minimal HTTP/1.1 GET client on raw keep-alive sockets to 127.0.0.1: one request per
 * connection at a time (no pipelining), `maxConnections` at most, answers with a
 * Content-Length or chunked. Why not undici or node:http: at 1024
 * connections they cost 100–150 µs of client CPU per request on this machine, a core at
 * 10,000 requests/s, taken from the server being measured; this costs a fraction of that.
 * Requests beyond `maxConnections` wait in a FIFO. A request with no answer after
 * TIMEOUT_MS rejects (`ETIMEDOUT`) and its connection is closed; so does a request whose
 * signal aborts.
 */
class HttpPool {
  private readonly idle: Conn[] = []
  private readonly busy = new Set<Conn>()
  private readonly queue: { path: string; headers: string; w: Waiting }[] = []
  /** Signals listened to: one listener per signal, not per request (adding one is O(listeners)). */
  private readonly watched = new WeakSet<AbortSignal>()
  private open = 0
  private readonly sweep: NodeJS.Timeout

  constructor(
    private readonly port: number,
    private readonly maxConnections: number,
  ) {
    this.sweep = setInterval(() => {
      const now = performance.now()
      for (const c of this.busy)
        if (c.waiting && now - c.waiting.sentAt > TIMEOUT_MS) this.fail(c, 'ETIMEDOUT')
    }, 250)
  }

  /** GETs `path` with extra `headers`; resolves with the answer, rejects on error/timeout/abort. */
  get(path: string, signal?: AbortSignal, headers: Record<string, string> = {}): Promise<Answer> {
    if (signal?.aborted) return Promise.reject(codeError('ABORTED'))
    let h = ''
    for (const k in headers) h += `${k}: ${headers[k]}\r\n`
    return new Promise<Answer>((resolve, reject) => {
      const w: Waiting = { resolve, reject, sentAt: 0, signal }
      if (signal && !this.watched.has(signal)) {
        this.watched.add(signal)
        signal.addEventListener('abort', () => this.abort(signal), { once: true })
      }
      const conn = this.idle.pop() ?? (this.open < this.maxConnections ? this.connect() : undefined)
      if (conn) this.send(conn, path, h, w)
      else this.queue.push({ path, headers: h, w })
    })
  }

  /** Closes every connection; requests in flight or queued reject. */
  close(): void {
    clearInterval(this.sweep)
    for (const q of this.queue.splice(0)) q.w.reject(codeError('ABORTED'))
    for (const c of [...this.busy, ...this.idle]) this.fail(c, 'ABORTED')
  }

  private connect(): Conn {
    this.open++
    const socket = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true })
    const c: Conn = { socket, buf: Buffer.alloc(0), dead: false }
    socket.on('data', (d) => this.onData(c, d))
    socket.on('error', (e) => this.fail(c, (e as NodeJS.ErrnoException).code ?? 'ECONNRESET'))
    socket.on('close', () => this.fail(c, 'ECONNRESET'))
    return c
  }

  /** Fails the requests of `signal`, sent or queued. */
  private abort(signal: AbortSignal): void {
    for (const c of [...this.busy]) if (c.waiting?.signal === signal) this.fail(c, 'ABORTED')
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.w.signal === signal) this.queue.splice(i, 1)[0]!.w.reject(codeError('ABORTED'))
    }
  }

  private send(c: Conn, path: string, headers: string, w: Waiting): void {
    w.sentAt = performance.now()
    c.waiting = w
    this.busy.add(c)
    c.socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n${headers}\r\n`)
  }

  private onData(c: Conn, d: Buffer): void {
    c.buf = c.buf.length === 0 ? d : Buffer.concat([c.buf, d])
    const headEnd = c.buf.indexOf('\r\n\r\n')
    if (headEnd === -1) return
    const head = c.buf.toString('latin1', 0, headEnd)
    const header = (name: string) => head.match(new RegExp(`\r\n${name}:[ \t]*([^\r]*)`, 'i'))?.[1]
    const parsed = /chunked/i.test(header('transfer-encoding') ?? '')
      ? dechunk(c.buf, headEnd + 4)
      : fixedBody(c.buf, headEnd + 4, Number(header('content-length') ?? Number.NaN))
    if (parsed === 'invalid') {
      this.fail(c, 'EBADRESPONSE')
      return
    }
    if (parsed === 'incomplete') return
    const body = parsed.body
    c.buf = c.buf.subarray(parsed.end)
    const w = c.waiting
    c.waiting = undefined
    this.busy.delete(c)
    const ra = header('retry-after')
    const location = header('location')
    w?.resolve({
      status: Number(head.slice(9, 12)),
      ...(ra !== undefined && Number.isFinite(Number(ra)) ? { retryAfterMs: Number(ra) * 1000 } : {}),
      ...(location !== undefined ? { location } : {}),
      body,
    })
    if (/\r\nconnection:[ \t]*close/i.test(head)) this.fail(c, 'ECONNRESET')
    else this.release(c)
  }

  /** Hands a free connection to the next queued request, else parks it. */
  private release(c: Conn): void {
    const q = this.queue.shift()
    if (q) this.send(c, q.path, q.headers, q.w)
    else this.idle.push(c)
  }

  /** Drops a connection; its request (if any) rejects with `code`; a queued request gets a new one. */
  private fail(c: Conn, code: string): void {
    if (c.dead) return
    c.dead = true
    const w = c.waiting
    c.waiting = undefined
    this.busy.delete(c)
    const i = this.idle.indexOf(c)
    if (i !== -1) this.idle.splice(i, 1)
    c.socket.destroy()
    this.open--
    w?.reject(codeError(code))
    if (this.queue.length > 0 && this.open < this.maxConnections) this.release(this.connect())
  }
}

/** A body of `length` bytes at `start`: the text and where the next response starts. */
function fixedBody(
  buf: Buffer,
  start: number,
  length: number,
): { body: string; end: number } | 'incomplete' | 'invalid' {
  if (!Number.isFinite(length)) return 'invalid' // neither Content-Length nor chunked: not what a server here sends
  if (buf.length < start + length) return 'incomplete'
  return { body: buf.toString('utf8', start, start + length), end: start + length }
}

/** A chunked body at `start` (no trailers): the text and where the next response starts. */
function dechunk(buf: Buffer, start: number): { body: string; end: number } | 'incomplete' | 'invalid' {
  const parts: Buffer[] = []
  let at = start
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at)
    if (lineEnd === -1) return 'incomplete'
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16)
    if (!Number.isFinite(size)) return 'invalid'
    if (buf.length < lineEnd + 2 + size + 2) return 'incomplete'
    if (size === 0) return { body: Buffer.concat(parts).toString('utf8'), end: lineEnd + 4 }
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

function codeError(code: string): Error {
  return Object.assign(new Error(code), { code })
}

/** Latencies and status counts of one paced redirect stream. */
interface RedirectStats {
  /** Per request, ms from its due time to its answer or failure. */
  latencies: number[]
  answered: number
  statuses: Map<string, number>
}

/** A paced stream of clicks to `/c/sample` (random IPs and user agents), recorded into `stats`. */
function redirectStream(pool: HttpPool, random: () => number, stats: RedirectStats): () => Attempt {
  return () => async (signal, due) => {
    let key: string
    try {
      const r = await pool.get('/c/sample?sub1=bench-stream', signal, {
        'x-forwarded-for': randomIp(random),
        'user-agent': UAS[Math.floor(random() * UAS.length)]!,
      })
      key = String(r.status)
      stats.answered++
    } catch (err) {
      key = signal.aborted ? 'aborted' : ((err as { code?: string }).code ?? 'error')
    }
    // Failures too (their time so far): a redirect that never came is not a fast one.
    stats.latencies.push(performance.now() - due)
    stats.statuses.set(key, (stats.statuses.get(key) ?? 0) + 1)
    return undefined
  }
}

// ---------------------------------------------------------------------------------------
// CPU sampling

/** CPU seconds of the server process by thread group (see bench/redirect.bench.ts). */
interface CpuSeconds {
  total: number
  /** The event loop thread (PGlite runs here too). */
  main: number
  /** chDB's threads. */
  clickhouse: number
  /** V8 GC helpers, libuv workers. */
  other: number
}

/** CPU seconds (user + system) of `pid` by thread group, from /proc (ticks of 10 ms). */
function serverCpu(pid: number): CpuSeconds {
  const out = { total: 0, main: 0, clickhouse: 0, other: 0 }
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const sec = procCpu(stat)
    out.total += sec
    if (Number(tid) === pid) out.main += sec
    else if (isNodeThread(name)) out.other += sec
    else out.clickhouse += sec
  }
  return out
}

/** utime + stime of a /proc stat line, seconds. */
function procCpu(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/**
 * CPU seconds of PostgreSQL processes working for the bench database: its backends and the
 * background processes (WAL writer, checkpointer…, shared with anything else on this
 * server, idle otherwise). Keyed by pid, so a reading taken later can tell new backends.
 */
async function dbCpu(client: pg.Client | undefined): Promise<Map<number, number>> {
  const out = new Map<number, number>()
  if (!client) return out
  const { rows } = await client.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where pid <> pg_backend_pid() and (datname = current_database() or backend_type <> 'client backend')`,
  )
  for (const { pid } of rows) {
    try {
      out.set(pid, procCpu(readFileSync(`/proc/${pid}/stat`, 'utf8')))
    } catch {
      // gone, or not on this machine
    }
  }
  return out
}

/** Database CPU seconds between two {@link dbCpu} readings (backends that ended meanwhile are missed). */
function dbCpuDelta(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0
  for (const [pid, sec] of b) s += sec - (a.get(pid) ?? 0)
  return s
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024)
}

// ---------------------------------------------------------------------------------------
// Postback phases

/** One transaction ID of a phase: its request path, payout and whether any answer was 2xx. */
interface Sent {
  path: string
  payoutMicros: number
  acked: boolean
}

/** Everything recorded while a phase ran. */
interface PhaseRecord {
  sent: Map<string, Sent>
  /** Per attempt, ms from its due time to its answer or failure. */
  latencies: number[]
  /** Per 2xx, ms from the request's first due time (retries included). */
  toAck: number[]
  statuses: Map<string, number>
  outcomes: Map<string, number>
  answered: number
  /** 2xx answers received before the window's end. */
  ackedInWindow: number
  duplicatesSent: number
  retryAfter503: number
}

/**
 * The request generator of a phase: 10 % replays of an earlier transaction ID, else a new one
 * for the next click; each request an {@link Attempt} that records into `rec` and asks for a
 * retry on 503, timeouts and connection errors.
 */
function postbackRequests(opts: {
  pool: HttpPool
  rec: PhaseRecord
  prefix: string
  networkId: string
  clickIds: string[]
  random: () => number
  windowEnd: () => number
}): () => Attempt {
  const { rec, random } = opts
  const tids: string[] = []
  let next = 0
  return () => {
    let tid: string
    if (tids.length > 0 && random() < DUP_SHARE) {
      tid = tids[Math.floor(random() * tids.length)]!
      rec.duplicatesSent++
    } else {
      tid = `${opts.prefix}-${next}`
      const payoutMicros = 1_000_000 + Math.floor(random() * 49_000) * 1_000 // 1.000 … 49.999
      const clickId = opts.clickIds[next % opts.clickIds.length]!
      next++
      rec.sent.set(tid, {
        path: `/postback?network=${opts.networkId}&secret=${SECRET}&subid=${clickId}&tid=${tid}&payout=${(payoutMicros / 1e6).toFixed(3)}&status=sale&currency=USD`,
        payoutMicros,
        acked: false,
      })
      tids.push(tid)
    }
    const s = rec.sent.get(tid)!
    let attempts = 0
    let firstDue = Number.NaN
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
    return async (signal, due) => {
      attempts++
      if (attempts === 1) firstDue = due
      let key: string
      let retryMs: number | undefined
      try {
        const r = await opts.pool.get(s.path, signal)
        const now = performance.now()
        rec.answered++
        key = String(r.status)
        count(rec.outcomes, r.body.match(/"(?:outcome|code)":"([a-z_]+)"/)?.[1] ?? 'unparsed')
        if (r.status >= 200 && r.status < 300) {
          s.acked = true
          rec.toAck.push(now - firstDue)
          if (now <= opts.windowEnd()) rec.ackedInWindow++
        } else if (r.status === 503) {
          if (r.retryAfterMs !== undefined) rec.retryAfter503++
          retryMs = r.retryAfterMs ?? 1000
        }
      } catch (err) {
        key = signal.aborted ? 'aborted' : ((err as { code?: string }).code ?? 'error')
        if (!signal.aborted) retryMs = 1000
      }
      // Failures too (their time so far): a timeout is not a fast answer.
      rec.latencies.push(performance.now() - due)
      count(rec.statuses, key)
      return attempts < MAX_ATTEMPTS ? retryMs : undefined
    }
  }
}

async function main() {
  const dataDir = tempDataDir('tf-bench-postback-')
  const server = await startServerProcess({
    dataDir,
    env: {
      ADMIN_PASSWORD: PASSWORD,
      TRUSTED_PROXIES: '127.0.0.1/32',
      LOG_LEVEL: 'error',
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
    },
    nodeArgs: process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [],
  })
  const db = DATABASE_URL ? new pg.Client({ connectionString: DATABASE_URL }) : undefined
  await db?.connect()
  const serverPid = server.proc.pid!
  log('server ready')
  // Others' work on this machine (tests are not under the bench lock) moves every figure.
  const loadStart = os.loadavg()
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  loopDelay.enable()
  try {
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
    const random = rng(42)
    // One network per phase, created now: the server reads new network IDs at most once a
    // second, and a postback for a network it does not know yet would be refused (404, and
    // the refusal budget answers 429 after that).
    const networks: Json[] = []
    for (const [i, rateName] of RATES.entries()) {
      networks.push(
        await api('POST', '/networks', { name: `Bench network ${i} (${rateName})`, postback_secret: SECRET }),
      )
    }

    // 1. Clicks.
    const clickIds: string[] = []
    {
      const pool = new HttpPool(server.port, 32)
      const started = performance.now()
      let errors = 0
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (clickIds.length + errors < CLICKS) {
            try {
              const r = await pool.get(`/c/sample?sub1=bench&external_id=E${clickIds.length}`, undefined, {
                'x-forwarded-for': randomIp(random),
                'user-agent': UAS[Math.floor(random() * UAS.length)]!,
              })
              const id = r.location ? new URL(r.location).searchParams.get('click_id') : null
              if (r.status === 302 && id) clickIds.push(id)
              else errors++
            } catch {
              errors++
            }
          }
        }),
      )
      pool.close()
      if (clickIds.length < CLICKS) throw new Error(`only ${clickIds.length} of ${CLICKS} clicks succeeded`)
      log(`${CLICKS} clicks in ${round((performance.now() - started) / 1000, 1)} s`)
    }

    // 2. Client ceiling.
    let ceilingRps: number
    let ceilingClientUs: number
    {
      const pool = new HttpPool(server.port, PEAK_IN_FLIGHT)
      let n = 0
      const c0 = process.cpuUsage()
      const run = await runLoad({
        rate: Number.POSITIVE_INFINITY,
        maxInFlight: PEAK_IN_FLIGHT,
        durationS: CEILING_S,
        drainS: 5,
        next: () => async (signal) => {
          try {
            await pool.get('/healthz', signal)
            n++
          } catch {}
          return undefined
        },
      })
      const c = process.cpuUsage(c0)
      pool.close()
      ceilingRps = n / run.totalS
      ceilingClientUs = (c.user + c.system) / Math.max(1, n)
    }

    // 3. Redirect baseline: the stream alone.
    const baseline = { latencies: [], answered: 0, statuses: new Map() } as RedirectStats
    let redirectCpuUs: number
    {
      const pool = new HttpPool(server.port, REDIRECT_IN_FLIGHT)
      const cpu0 = serverCpu(serverPid)
      await runLoad({
        rate: REDIRECT_RATE,
        maxInFlight: REDIRECT_IN_FLIGHT,
        durationS: DURATION_S,
        drainS: 2,
        next: redirectStream(pool, random, baseline),
      })
      await sleep(1000) // the clicks' inserts into ClickHouse
      redirectCpuUs = ((serverCpu(serverPid).total - cpu0.total) / Math.max(1, baseline.answered)) * 1e6
      pool.close()
    }
    const baselineP99 = percentile(baseline.latencies, 99)

    // 4. Postback phases.
    log(`redirect baseline p99 ${round(percentile(baseline.latencies, 99))} ms`)
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
    const range = `from=${day(-1)}&to=${day(1)}&tz=UTC`
    const storedAll = new Map<string, number>() // transaction ID → payout micros, all phases
    const phases: Json[] = []
    for (const [i, rateName] of RATES.entries()) {
      const rate = rateName === 'peak' ? Number.POSITIVE_INFINITY : Number(rateName)
      const inFlight = rate === Number.POSITIVE_INFINITY ? PEAK_IN_FLIGHT : MAX_IN_FLIGHT
      const network = networks[i]!
      const rec: PhaseRecord = {
        sent: new Map(),
        latencies: [],
        toAck: [],
        statuses: new Map(),
        outcomes: new Map(),
        answered: 0,
        ackedInWindow: 0,
        duplicatesSent: 0,
        retryAfter503: 0,
      }
      const redirects = { latencies: [], answered: 0, statuses: new Map() } as RedirectStats
      const pool = new HttpPool(server.port, inFlight)
      const redirectPool = new HttpPool(server.port, REDIRECT_IN_FLIGHT)
      const cpu0 = serverCpu(serverPid)
      const db0 = await dbCpu(db)
      const client0 = process.cpuUsage()
      loopDelay.reset()
      const windowEnd = performance.now() + DURATION_S * 1000
      const [run] = await Promise.all([
        runLoad({
          rate,
          maxInFlight: inFlight,
          durationS: DURATION_S,
          drainS: DRAIN_S,
          next: postbackRequests({
            pool,
            rec,
            prefix: `P${i}`,
            networkId: network.id,
            clickIds,
            random,
            windowEnd: () => windowEnd,
          }),
        }),
        runLoad({
          rate: REDIRECT_RATE,
          maxInFlight: REDIRECT_IN_FLIGHT,
          durationS: DURATION_S,
          drainS: DRAIN_S,
          next: redirectStream(redirectPool, random, redirects),
        }),
      ])
      const clientCpu = process.cpuUsage(client0)
      const clientLoopP99 = loopDelay.percentile(99) / 1e6
      pool.close()
      redirectPool.close()

      // Settle: the stored count stops moving (aborted requests may still be committing)
      // and ClickHouse has caught up with PostgreSQL.
      const settleStart = performance.now()
      let pgTotal = -1
      let ch: Json = {}
      for (let k = 0; k < 240; k++) {
        const now = Number((await api('GET', '/conversions?limit=1')).total)
        ch = await api('GET', `/reports/overview?${range}`)
        if (now === pgTotal && Number(ch.conversions) === now) break
        pgTotal = now
        await sleep(500)
      }
      const settleS = (performance.now() - settleStart) / 1000
      const cpu = serverCpu(serverPid)
      const dbSec = dbCpuDelta(db0, await dbCpu(db))

      log(`phase ${rateName}: load done, settled`)
      // Check.
      const storedTids: string[] = []
      const phaseTotal = Number((await api('GET', `/conversions?network_id=${network.id}&limit=1`)).total)
      for (let offset = 0; offset < phaseTotal; offset += 500) {
        const page = await api('GET', `/conversions?network_id=${network.id}&limit=500&offset=${offset}`)
        for (const c of page.items as Json[]) storedTids.push(String(c.transaction_id))
      }
      const storedSet = new Set(storedTids)
      const acked = [...rec.sent].filter(([, s]) => s.acked)
      const lostPg = acked.filter(([tid]) => !storedSet.has(tid)).length
      const doublePg =
        storedTids.length - storedSet.size + [...storedSet].filter((t) => !rec.sent.has(t)).length
      for (const t of storedSet) storedAll.set(t, rec.sent.get(t)?.payoutMicros ?? 0)
      const chConversions = Number(ch.conversions)
      const chRevenueMicros = Math.round(Number(ch.revenue) * 1e6)
      const pgRevenueMicros = [...storedAll.values()].reduce((a, b) => a + b, 0)
      const lostCh = Math.max(0, storedAll.size - chConversions)
      const doubleCh = Math.max(0, chConversions - storedAll.size)

      const redirectP99 = percentile(redirects.latencies, 99)
      const serverSec = cpu.total - cpu0.total
      const us = (sec: number) => round((sec / Math.max(1, rec.answered)) * 1e6, 0)
      const redirectShareSec = (redirects.answered * redirectCpuUs) / 1e6
      const phase = {
        rate: rateName,
        asked_per_s: rate === Number.POSITIVE_INFINITY ? null : rate,
        in_flight_max: inFlight,
        // 2xx answers that arrived within the window, per second of the window.
        achieved_per_s: round(rec.ackedInWindow / DURATION_S, 0),
        sent_per_s: round(run.started / DURATION_S, 0),
        ...latencySummary(rec.latencies),
        p99_to_2xx_ms: round(percentile(rec.toAck, 99)),
        requests_sent: run.started,
        duplicates_sent: rec.duplicatesSent,
        unsent: run.unsent,
        answered: rec.answered,
        http_statuses: Object.fromEntries(rec.statuses),
        outcomes: Object.fromEntries(rec.outcomes),
        status_503: rec.statuses.get('503') ?? 0,
        status_503_with_retry_after: rec.retryAfter503,
        retries: run.retries,
        retries_dropped: run.retriesDropped,
        aborted: run.aborted,
        run_s: round(run.totalS, 1),
        settle_s: round(settleS, 1),
        // Server process CPU from the phase start until settled, minus the redirect stream at
        // its baseline cost, per postback answered; by thread group without that correction.
        server_cpu_us_per_postback: us(serverSec - redirectShareSec),
        server_cpu_us_per_postback_by_thread: {
          main: us(cpu.main - cpu0.main),
          clickhouse: us(cpu.clickhouse - cpu0.clickhouse),
          other: us(cpu.other - cpu0.other),
        },
        db_cpu_us_per_postback: db ? us(dbSec) : null,
        // Cores the bench process used meanwhile (both clients): what the server did not get.
        client_cpu_cores: round((clientCpu.user + clientCpu.system) / 1e6 / run.totalS),
        client_loop_delay_p99_ms: round(clientLoopP99),
        redirects_answered: redirects.answered,
        redirect_statuses: Object.fromEntries(redirects.statuses),
        redirect_p99_ms: round(redirectP99),
        redirect_p99_baseline_ms: round(baselineP99),
        redirect_p99_ratio: round(redirectP99 / baselineP99),
        unique_transaction_ids: rec.sent.size,
        acked_unique: acked.length,
        unresolved: rec.sent.size - acked.length,
        stored_pg: storedTids.length,
        stored_unacked: [...storedSet].filter((t) => rec.sent.get(t)?.acked === false).length,
        stored_clickhouse_cumulative: chConversions,
        stored_pg_cumulative: storedAll.size,
        revenue_ok: chRevenueMicros === pgRevenueMicros,
        lost: lostPg + lostCh,
        double: doublePg + doubleCh,
      }
      phases.push(phase)
      log(
        `phase ${rateName}: ${phase.achieved_per_s}/s 2xx, p50 ${phase.p50_ms} p99 ${phase.p99_ms} ms, ` +
          `503 ${phase.status_503}, unsent ${phase.unsent}, aborted ${phase.aborted}, ` +
          `CPU ${phase.server_cpu_us_per_postback} µs/postback, redirect p99 ${phase.redirect_p99_ms} ms, ` +
          `lost ${phase.lost}, double ${phase.double}`,
      )
    }

    const fixed = phases.filter((p) => p.asked_per_s !== null)
    const at5k = fixed.find((p) => p.asked_per_s === 5000)
    const peak = phases.find((p) => p.rate === 'peak')
    const targetRate = DATABASE_URL ? 10_000 : 5_000
    const lost = phases.reduce((a, p) => a + p.lost, 0)
    const double = phases.reduce((a, p) => a + p.double, 0)
    const bestRate = Math.max(0, ...phases.map((p) => p.achieved_per_s as number))
    const result = {
      name: 'postback',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? '',
        node: process.version,
        loadavg_1_5_15_start: loadStart.map((l) => round(l)),
        loadavg_1_5_15_end: os.loadavg().map((l) => round(l)),
      },
      settings: {
        store: DATABASE_URL ? 'PostgreSQL + chDB' : 'embedded (PGlite + chDB)',
        tool: 'raw keep-alive HTTP/1.1 client in the bench process, open loop paced (peak: closed loop); server in a child process',
        target: '127.0.0.1',
        rates: RATES,
        duration_s: DURATION_S,
        max_in_flight: MAX_IN_FLIGHT,
        peak_in_flight: PEAK_IN_FLIGHT,
        timeout_ms: TIMEOUT_MS,
        max_attempts: MAX_ATTEMPTS,
        drain_s: DRAIN_S,
        clicks: CLICKS,
        duplicate_share: DUP_SHARE,
        redirect_stream_per_s: REDIRECT_RATE,
        template: 'subid_tid_payout_status, secret, payout, status=sale, currency',
        outbound_postbacks: false,
      },
      client_ceiling_rps: round(ceilingRps, 0),
      client_ceiling_cpu_us_per_request: round(ceilingClientUs, 1),
      redirect_baseline: {
        ...latencySummary(baseline.latencies),
        answered: baseline.answered,
        statuses: Object.fromEntries(baseline.statuses),
        server_cpu_us_per_redirect: round(redirectCpuUs, 0),
      },
      phases,
      best_achieved_per_s: bestRate,
      targets: {
        rate_per_s: targetRate,
        rate_met: bestRate >= targetRate,
        p99_at_5000_ms: at5k?.p99_ms ?? null,
        p99_at_5000_met: at5k ? at5k.p99_ms <= 100 && at5k.achieved_per_s >= 0.95 * 5000 : null,
        redirect_p99_ratio_max: round(Math.max(...phases.map((p) => p.redirect_p99_ratio as number))),
        redirect_p99_ratio_met: phases.every((p) => p.redirect_p99_ratio <= 2),
        peak_per_s: peak?.achieved_per_s ?? null,
      },
      lost,
      double,
      peak_rss_mb: peakRssMb(serverPid),
    }
    console.table(
      Object.fromEntries(
        phases.map((p) => [
          p.rate,
          {
            'asked/s': p.asked_per_s ?? 'peak',
            '2xx/s': p.achieved_per_s,
            'p50 ms': p.p50_ms,
            'p99 ms': p.p99_ms,
            'max ms': p.max_ms,
            '503': p.status_503,
            retries: p.retries,
            unsent: p.unsent,
            aborted: p.aborted,
            'CPU µs/pb': p.server_cpu_us_per_postback,
            ...(db ? { 'DB µs/pb': p.db_cpu_us_per_postback } : {}),
            'redir p99': p.redirect_p99_ms,
            'redir ×': p.redirect_p99_ratio,
            lost: p.lost,
            double: p.double,
          },
        ]),
      ),
    )
    console.log(
      `${result.settings.store} · client ceiling ${result.client_ceiling_rps} req/s (/healthz) · redirect baseline ` +
        `p99 ${result.redirect_baseline.p99_ms} ms at ${REDIRECT_RATE}/s · lost ${lost}, double ${double} · ` +
        `peak RSS ${result.peak_rss_mb} MB`,
    )
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    const file = DATABASE_URL ? 'postback.postgres.json' : 'postback.json'
    writeFileSync(path.join(ROOT, 'bench/results', file), `${JSON.stringify(result, null, 2)}\n`)
    if (lost !== 0 || double !== 0) process.exitCode = 1
  } finally {
    loopDelay.disable()
    await db?.end()
    await server.stop()
    log('server stopped')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
