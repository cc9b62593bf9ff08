/**
 * bench:visitors — the visitor engine's HTTP mode at BENCH_RATES visits/s against a bare local
 * target, and autocannon (`overallRate`) at the same rates against the same target in the same
 * run; the metering commit's ceiling (per-visit transaction vs batched); browser mode when the
 * module has it.
 *
 * 1. The target: `bench/visitors.target.mjs`, a minimal node:http server in a child process
 *    answering a tiny HTML page with no subresources, so the engine is measured, not the site.
 * 2. Per rate, each phase in a fresh child process (`bench/visitors.run.ts`: own heap, own
 *    PGlite, own peak RSS): the real `createVisitorEngine` on PGlite in a directory on disk (as
 *    the server runs it), credits from a deposit posting, one project row inserted directly,
 *    VISITORS_ALLOW_PRIVATE, `mode: 'even'`, 2,048 slots; a 2 s warm-up, then BENCH_DURATION
 *    seconds measured: achieved vs asked start rate, dropped starts, charged (committed) visits
 *    per second, schedule lag p99 and latency p99 from the scheduled start (engine stats, whole
 *    run), CPU per visit (the engine process; the target and the whole machine beside it),
 *    event-loop utilisation, peak RSS (VmHWM), and how long `stop()` took to drain. Then
 *    autocannon with `overallRate` = the rate over 64 connections (the engine's pool per
 *    origin): achieved rate and its own latency p99 (from each request's send: autocannon is a
 *    closed loop that sends each second's quota at the start of the second).
 * 3. The metering commit alone on the same kind of PGlite (what bounds the charged rate): a
 *    transaction per visit (the engine before group commit) vs one per 100 visits; and the HTTP visits
 *    alone (no database) at the top rate: what is left once metering is cheap — twice, launched
 *    as the engine does (at each start's due time) and by the former fixed 5 ms tick (A/B).
 *    Each window also records the event loop's delay, GC pauses and the main thread's wait for
 *    a CPU (/proc/thread-self/schedstat): what holds launches back on a shared box.
 * 4. Browser mode at 4 and 16 pages: visits per minute and peak RSS, when `createVisitBrowser`
 *    is exported by the module; otherwise recorded as not measured.
 *
 * The machines are shared 2-core boxes (other work may run beside the bench: the load average
 * is recorded); compare within one run. Prints a table, writes bench/results/visitors.json.
 * Env: BENCH_DURATION (s measured per phase, default 10), BENCH_RATES (default 100,1000,5000),
 * BENCH_BROWSER=0 (skip browser mode),
 * BENCH_CPU_PROF (a directory: V8 CPU profile of each engine phase's measured window).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT } from '../test/helpers/server.ts'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 10)
const RATES = (process.env.BENCH_RATES ?? '100,1000,5000').split(',').map(Number)
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ?? ''

// biome-ignore lint/suspicious/noExplicitAny: loose JSON from the phase processes
type Json = Record<string, any>

/** Starts the bare target; resolves with its URL once it listens. */
function startTarget(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bench/visitors.target.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /PORT (\d+)/.exec(out)
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, proc })
    })
    proc.on('exit', (code) => reject(new Error(`target exited with ${code}`)))
  })
}

/** Runs one phase in a child process; resolves with the JSON of its last stdout line. */
function phase(env: Record<string, string>): Promise<Json> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/visitors.run.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
  })
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`phase ${JSON.stringify(env)} exited with ${code}: ${last}`))
      resolve(JSON.parse(last) as Json)
    })
  })
}

async function main() {
  const target = await startTarget()
  const base = { TARGET_URL: target.url, TARGET_PID: String(target.proc.pid), DURATION: String(DURATION_S) }
  const load0 = os.loadavg()[0]!
  const http: Json[] = []
  try {
    for (const rate of RATES) {
      const engine = await phase({
        ...base,
        KIND: 'engine',
        RATE: String(rate),
        ...(CPU_PROF_DIR ? { CPU_PROF: path.join(CPU_PROF_DIR, `engine-${rate}.cpuprofile`) } : {}),
      })
      const autocannon = await phase({ ...base, KIND: 'autocannon', RATE: String(rate), CONNECTIONS: '64' })
      http.push({ rate, engine, autocannon })
      console.log(`${rate}/s: engine ${engine.achieved_per_s}/s, autocannon ${autocannon.achieved_per_s}/s`)
    }
    const top = Math.max(...RATES)
    const visitOnly = await phase({ ...base, KIND: 'visit-only', RATE: String(top) })
    // The same without the database, launched by the former fixed 5 ms tick: the scheduler's A/B.
    const visitOnlyFixed = await phase({
      ...base,
      KIND: 'visit-only',
      RATE: String(top),
      SCHEDULER: 'interval',
    })
    const commits = await phase({ ...base, KIND: 'commits', RATE: '1' })
    const browser: Json = {}
    // BENCH_BROWSER=0 skips browser mode (quick A/B runs of the HTTP path).
    for (const pages of process.env.BENCH_BROWSER === '0' ? [] : [4, 16]) {
      const b = await phase({ ...base, KIND: 'browser', RATE: '600', CONCURRENCY: String(pages) })
      if (b.skipped) {
        browser.result = b.skipped
        break
      }
      browser[`pages_${pages}`] = b
    }
    const targetRate = http.find((x) => x.rate === 5000)?.engine
    const result = {
      bench: 'visitors',
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? '',
        node: process.version,
        load_average_at_start: Math.round(load0 * 100) / 100,
        load_average_at_end: Math.round(os.loadavg()[0]! * 100) / 100,
      },
      settings: {
        duration_s: DURATION_S,
        warmup_s: 2,
        rates: RATES,
        target: 'node:http child process, tiny HTML page without subresources, 127.0.0.1',
        engine: {
          database: 'PGlite in a directory on disk, migrated',
          mode: 'even',
          tick_ms: Number(process.env.ENGINE_TICK_MS ?? 5),
          scheduler:
            'a pass at the next due start (nextWakeDelayMs: 1 ms timer granularity), at most tick_ms apart',
          concurrency: 2048,
          max_wait_ms: 250,
          connections_per_origin: 64,
          stop_timeout_ms: 20_000,
          charging:
            'group commit: one transaction per (run, hold) group gathered while the previous one commits',
        },
        autocannon: { version: '9.0.0', connections: 64, option: 'overallRate' },
      },
      http,
      commit_ceiling: commits,
      http_visits_without_metering: visitOnly,
      http_visits_without_metering_fixed_tick: visitOnlyFixed,
      browser: browser.result ?? browser,
      targets: {
        rate_5000_per_s: targetRate
          ? {
              rate_error_pct: targetRate.rate_error_pct,
              rate_error_ok: Math.abs(targetRate.rate_error_pct) <= 1,
              schedule_lag_p99_ms: targetRate.schedule_lag_ms.p99,
              schedule_lag_ok: targetRate.schedule_lag_ms.p99 <= 5,
            }
          : 'not run',
      },
    }
    const row = (tool: string, x: Json) => ({
      'asked/s': x.asked_per_s,
      'achieved/s': x.achieved_per_s,
      'error %': x.rate_error_pct,
      'charged/s': x.charged_per_s ?? '',
      'visits/group': x.visits_per_charge_group ?? '',
      dropped: x.dropped_in_window ?? '',
      'lag p99 ms': x.schedule_lag_ms?.p99 ?? '',
      'latency p99 ms': x.latency_ms.p99,
      'CPU ms/visit': x.cpu_ms_per_op,
      ELU: x.event_loop_utilization,
      'loop delay p99 ms': x.event_loop_delay_ms?.p99 ?? '',
      'GC %': x.gc?.share_pct ?? '',
      'CPU wait ms/s': x.cpu_wait_ms_per_s ?? '',
      'peak RSS MB': x.peak_rss_mb,
      tool,
    })
    console.table(http.flatMap((x) => [row('engine', x.engine), row('autocannon', x.autocannon)]))
    console.log('metering commit ceiling:', JSON.stringify(commits))
    console.log(`HTTP visits alone at ${top}/s:`, JSON.stringify(visitOnly))
    console.log(`… launched by a fixed 5 ms tick:`, JSON.stringify(visitOnlyFixed))
    console.log('browser:', JSON.stringify(result.browser))
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
    writeFileSync(path.join(ROOT, 'bench/results/visitors.json'), `${JSON.stringify(result, null, 2)}\n`)
  } finally {
    target.proc.kill('SIGTERM')
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
