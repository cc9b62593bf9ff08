// Open-loop load client for bench:redirect (plain JS, its own process, no tsx).
//
//   node bench/open-loop.mjs <url> <rate/s> <seconds> [connections]
//
// Request i is due at t0 + i / rate whatever happened to the requests before it (the open
// model: arrivals do not wait for answers). It goes out on an idle keep-alive connection; when
// none is idle it waits in a FIFO for one. Its latency is measured from the time it was DUE,
// not from when it was written, so a stalled server is charged for every request that piled
// up behind the stall (no coordinated omission, unlike wrk with a paced Lua script, where a
// slow answer also delays the next request of that connection). The client's own timer
// lateness counts as latency too: the bare server measured the same way is the floor.
//
// Requests are those of bench/redirect.lua: random client IP (X-Forwarded-For), one of six
// browser user agents, sub1 from 50 values. Raw sockets with prebuilt request bytes keep the
// client's CPU per request small (it shares the machine with the server).
//
// Prints one JSON line: {sent, answered, answered_with_warmup, errors, late, rate, p50_ms, p90_ms, p99_ms, p999_ms, max_ms}.
// `late`: requests still unanswered 2 s after the run (counted at 2 s+ in the percentiles).
// The first second of requests warms up (JIT, connections) and is left out of every figure.
import net from 'node:net'
import { performance } from 'node:perf_hooks'

const [urlArg, rateArg, secondsArg, connArg] = process.argv.slice(2)
const url = new URL(urlArg)
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const connections = Number(connArg ?? 64)
/** Requests of the first second (JIT warm-up, connection set-up) are sent but not counted. */
const WARMUP_S = 1

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
]
// A seeded generator (xorshift32), so every run sends the same requests.
let seed = 42
const rnd = (lo, hi) => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return lo + ((seed >>> 0) % (hi - lo + 1))
}
const REQUESTS = Array.from({ length: 8192 }, () => {
  const ip = `${rnd(1, 223)}.${rnd(0, 255)}.${rnd(0, 255)}.${rnd(1, 254)}`
  return Buffer.from(
    `GET ${url.pathname}?sub1=s${rnd(1, 50)}&utm_source=wrk&cost=0.01 HTTP/1.1\r\n` +
      `Host: ${url.host}\r\nX-Forwarded-For: ${ip}\r\nUser-Agent: ${UAS[rnd(0, UAS.length - 1)]}\r\n` +
      'Accept-Language: en-US,en;q=0.9\r\n\r\n',
  )
})

const total = Math.round(rate * (seconds + WARMUP_S))
const skip = Math.round(rate * WARMUP_S)
/** Latency (ms) of request i, NaN until answered. */
const latency = new Float64Array(total).fill(Number.NaN)
const intervalMs = 1000 / rate
let next = 0
let answered = 0
let errors = 0
/** Requests due but not yet written (no idle connection), oldest first. */
const waiting = []
let waitHead = 0
const idle = []
let t0 = 0
let lastAnswerAt = 0

function connect() {
  const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true })
  const conn = { socket, current: -1, buf: Buffer.alloc(0) }
  socket.on('connect', () => release(conn))
  socket.on('data', (chunk) => {
    conn.buf = conn.buf.length === 0 ? chunk : Buffer.concat([conn.buf, chunk])
    // One response per request on the connection (no pipelining): headers, then
    // Content-Length bytes of body.
    for (;;) {
      const end = conn.buf.indexOf('\r\n\r\n')
      if (end === -1) break
      const head = conn.buf.toString('latin1', 0, end)
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      const size = end + 4 + (m ? Number(m[1]) : 0)
      if (conn.buf.length < size) break
      conn.buf = conn.buf.subarray(size)
      if (conn.current >= 0) {
        lastAnswerAt = performance.now()
        latency[conn.current] = lastAnswerAt - (t0 + conn.current * intervalMs)
        if (!head.startsWith('HTTP/1.1 302')) errors++
        answered++
        conn.current = -1
      }
      release(conn)
    }
    // Answers arrive far more often than the 1 ms timer fires: sending what fell due here
    // keeps the client's own lateness well below a millisecond.
    if (next < total) sendDue()
  })
  socket.on('error', () => {
    errors++
  })
  socket.on('close', () => {
    if (conn.current >= 0) errors++
    const at = idle.indexOf(conn)
    if (at >= 0) idle.splice(at, 1)
    if (performance.now() < t0 + (seconds + WARMUP_S) * 1000) connect()
  })
}

function release(conn) {
  if (waitHead < waiting.length) send(conn, waiting[waitHead++])
  else idle.push(conn)
}

function send(conn, i) {
  conn.current = i
  conn.socket.write(REQUESTS[i % REQUESTS.length])
}

function sendDue() {
  const now = performance.now()
  const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1)
  while (next < due) {
    const i = next++
    const conn = idle.pop()
    if (conn) send(conn, i)
    else waiting.push(i)
  }
  if (waitHead > 4096 && waitHead * 2 > waiting.length) {
    waiting.splice(0, waitHead)
    waitHead = 0
  }
}

function tick() {
  sendDue()
  if (next < total) setTimeout(tick, 1)
}

for (let c = 0; c < connections; c++) connect()
// Let the connections open before the clock starts.
setTimeout(() => {
  t0 = performance.now()
  tick()
  const deadline = t0 + (seconds + WARMUP_S) * 1000 + 2000
  const done = setInterval(() => {
    if (answered + errors < total && performance.now() < deadline) return
    clearInterval(done)
    let late = 0
    for (let i = 0; i < total; i++) {
      if (Number.isNaN(latency[i])) {
        latency[i] = performance.now() - (t0 + i * intervalMs)
        late++
      }
    }
    const counted = latency.subarray(skip).sort()
    const q = (p) =>
      Math.round(counted[Math.min(counted.length - 1, Math.floor(p * counted.length))] * 100) / 100
    const elapsed = Math.max(seconds + WARMUP_S, (lastAnswerAt - t0) / 1000)
    process.stdout.write(
      `${JSON.stringify({
        sent: next - skip,
        answered: answered - skip,
        answered_with_warmup: answered,
        errors,
        late,
        rate: Math.round(answered / elapsed),
        p50_ms: q(0.5),
        p90_ms: q(0.9),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        max_ms: q(1 - 1e-9),
      })}\n`,
    )
    process.exit(0)
  }, 50)
}, 300)
