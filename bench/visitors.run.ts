/**
 * One measured phase of bench:visitors, in its own process (fresh heap, fresh PGlite, its own
 * peak RSS and CPU profile); `bench/visitors.bench.ts` starts it and reads the JSON it prints
 * as its last stdout line.
 *
 * Env: KIND (`engine` | `autocannon` | `browser`), RATE (visits or requests per second),
 * TARGET_URL and TARGET_PID (the bare target, `bench/visitors.target.mjs`), DURATION (s
 * measured), WARMUP (s before the window), CONCURRENCY (engine slots / browser pages),
 * CONNECTIONS (autocannon connections), STOP_TIMEOUT (ms the engine's stop may take),
 * CHARGE_GAP_MS (the engine's `chargeGapMs`; default the engine's).
 *
 * - engine: the real `createVisitorEngine` on an in-memory PGlite (migrated), a workspace with
 *   credits from a deposit posting, one project row inserted directly (`visits_per_minute` =
 *   RATE × 60, read by `minimalEngineProject`), HTTP mode with VISITORS_ALLOW_PRIVATE,
 *   `mode: 'even'`. Counters are sampled at the window's start and end, so the rate is the
 *   steady one; lag and latency percentiles are of the visits scheduled inside the window (from
 *   their hits; the engine's whole-run histograms are kept as `*_whole_run`).
 * - autocannon: `overallRate` = RATE over CONNECTIONS connections against the same target.
 * - browser: the engine with `createVisitBrowser` (when the module has it), CONCURRENCY pages.
 *
 * CPU: this process's user+system time (`process.cpuUsage`), the target's (from
 * /proc/<pid>/stat) and the whole machine's busy time (/proc/stat), each over the window.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks'
import { ledgerAccounts, createLedgerRepository } from '../src/modules/billing/index.ts'
import { workspaces } from '../src/modules/accounts/index.ts'
import * as visitors from '../src/modules/visitors/index.ts'
import { createVisitHttp, createVisitorEngine, visitorProjects } from '../src/modules/visitors/index.ts'
import { nextWakeDelayMs } from '../src/modules/visitors/visitors.schedule.core.ts'
import type { VisitHttp } from '../src/modules/visitors/index.ts'
import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { visitorDaily, visitorRuns } from '../src/modules/visitors/visitors.tables.ts'
import { systemClock } from '../src/platform/clock.ts'
import { type Db, openDb } from '../src/platform/db/client.ts'

const KIND = process.env.KIND ?? 'engine'
const RATE = Number(process.env.RATE ?? 100)
const TARGET_URL = process.env.TARGET_URL ?? ''
const TARGET_PID = Number(process.env.TARGET_PID ?? 0)
const DURATION_S = Number(process.env.DURATION ?? 10)
const WARMUP_S = Number(process.env.WARMUP ?? 2)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 2048)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64)
const STOP_TIMEOUT_MS = Number(process.env.STOP_TIMEOUT ?? 20_000)
const TICK_MS = 10 // USER_HZ = 100 on Linux
/** The engine's `tickMs` (its longest scheduler pause; default 5, the engine's). */
const ENGINE_TICK_MS = Number(process.env.ENGINE_TICK_MS ?? 5)
/** The engine's `chargeGapMs` (default: the engine's). */
const CHARGE_GAP_MS = process.env.CHARGE_GAP_MS ? Number(process.env.CHARGE_GAP_MS) : undefined
/** A file: V8 CPU profile of the measured window only (setup and migrations left out). */
const CPU_PROF = process.env.CPU_PROF ?? ''

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const r2 = (x: number) => Math.round(x * 100) / 100

/** p50/p95/p99/max of a sample, ms (nearest rank; zeros when empty). */
function pcts(a: number[]) {
  const s = [...a].sort((x, y) => x - y)
  const q = (p: number) => r2(s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0)
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: r2(s.at(-1) ?? 0), n: s.length }
}

/** Busy jiffies of the whole machine. */
function machineBusy(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  return v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0)
}
/**
 * The main thread's time waiting for a CPU while runnable, ms (`run_delay` of
 * /proc/thread-self/schedstat, ns): how much the machine's other work held this event loop back.
 */
function runDelayMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6
  } catch {
    return 0
  }
}
/** utime + stime of a process in jiffies (0 when unknown). */
function procTicks(pid: number): number {
  if (!pid) return 0
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}
const peakRssMb = () =>
  Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024)

/** CPU and event-loop use over a window (and its CPU profile when CPU_PROF is set). */
async function window() {
  const session = CPU_PROF ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const cpu = process.cpuUsage()
  const busy = machineBusy()
  const target = procTicks(TARGET_PID)
  const elu = performance.eventLoopUtilization()
  const waited = runDelayMs()
  // What can hold a launch back: the event loop's own delay (a 1 ms timer's lateness) and GC pauses.
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const gc = { count: 0, totalMs: 0, maxMs: 0, over5: 0 }
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++
      gc.totalMs += e.duration
      gc.maxMs = Math.max(gc.maxMs, e.duration)
      if (e.duration > 5) gc.over5++
    }
  })
  gcObs.observe({ entryTypes: ['gc'] })
  const t = performance.now()
  return {
    async end(ops: number) {
      const c = process.cpuUsage(cpu)
      const seconds = (performance.now() - t) / 1000
      const n = Math.max(1, ops)
      const u = {
        seconds,
        cpu_ms_per_op: r2((c.user + c.system) / 1000 / n),
        process_cpu_share: r2((c.user + c.system) / 1e6 / seconds),
        target_cpu_ms_per_op: r2(((procTicks(TARGET_PID) - target) * TICK_MS) / n),
        machine_cpu_ms_per_op: r2(((machineBusy() - busy) * TICK_MS) / n),
        event_loop_utilization: r2(performance.eventLoopUtilization(elu).utilization),
        event_loop_delay_ms: {
          p50: r2(delay.percentile(50) / 1e6),
          p99: r2(delay.percentile(99) / 1e6),
          max: r2(delay.max / 1e6),
        },
        /** ms per second of wall time the main thread was runnable but not running (CPU contention). */
        cpu_wait_ms_per_s: r2((runDelayMs() - waited) / seconds),
        gc: {
          pauses: gc.count,
          share_pct: r2((100 * gc.totalMs) / 1000 / seconds),
          max_ms: r2(gc.maxMs),
          over_5ms: gc.over5,
        },
      }
      delay.disable()
      gcObs.disconnect()
      if (session) {
        const { profile } = await session.post('Profiler.stop')
        writeFileSync(CPU_PROF, JSON.stringify(profile))
        session.disconnect()
      }
      return u
    },
  }
}

/** A migrated PGlite in a directory on disk (as the server runs it: DATA_DIR/pg), a workspace with credits, one project. */
async function setup(concurrency: number) {
  process.env.VISITORS_ALLOW_PRIVATE = 'true'
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-visitors-'))
  const h = await openDb({ pgDir })
  await h.migrate()
  const db = h.db
  const ledger = createLedgerRepository(db)
  const [w] = await db.insert(workspaces).values({ name: 'bench' }).returning({ id: workspaces.id })
  const ws = w!.id
  await ledger.post(
    {
      idempotencyKey: `deposit:${ws}`,
      type: 'deposit',
      workspaceId: ws,
      transfers: [
        {
          debit: ledgerAccounts.visitsIssued(),
          credit: ledgerAccounts.visitsAvailable(ws),
          amount: 10n ** 10n,
        },
      ],
    },
    new Date(),
  )
  const [p] = await db
    .insert(visitorProjects)
    .values({
      workspaceId: ws,
      name: 'bench',
      status: 'active',
      settings: { urls: [`${TARGET_URL}/`], visits_per_minute: RATE * 60, concurrency },
    })
    .returning({ id: visitorProjects.id })
  const close = async () => {
    await h.close()
    rmSync(pgDir, { recursive: true, force: true })
  }
  return { db, ledger, ws, projectId: p!.id, close }
}

/** Engine run (HTTP or browser visits). */
async function engineRun(http: VisitHttp, concurrency: number) {
  const { db, ledger, ws, projectId, close } = await setup(concurrency)
  // Lag and latency of the visits scheduled inside the measured window only (the engine's own
  // histograms cover the whole run, warm-up and drain included): from each settled visit's hit.
  const win = { fromMs: Number.POSITIVE_INFINITY, toMs: Number.POSITIVE_INFINITY }
  const lagW: number[] = []
  const latW: number[] = []
  const engine = createVisitorEngine({
    onHit: (h) => {
      const at = h.scheduledAt.getTime()
      if (at < win.fromMs || at >= win.toMs) return
      lagW.push(h.startedAt.getTime() - at)
      if (h.latencyMs !== null) latW.push(h.latencyMs)
    },
    db,
    ledger,
    clock: systemClock,
    http,
    recheck: async () => ({ ok: true }),
    signingKey: () => 'bench-visit-key',
    mode: 'even',
    seed: 1,
    pollMs: 60_000,
    tickMs: ENGINE_TICK_MS,
    concurrency,
    maxWaitMs: 250,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    ...(CHARGE_GAP_MS !== undefined ? { chargeGapMs: CHARGE_GAP_MS } : {}),
  })
  const stats = () => engine.stats(projectId)[0]!
  await engine.start()
  await sleep(WARMUP_S * 1000)
  const s0 = stats()
  const measured = await window()
  win.fromMs = Date.now()
  await sleep(DURATION_S * 1000)
  win.toMs = Date.now()
  const s1 = stats()
  const started = s1.started - s0.started
  const usage = await measured.end(started)
  const stopAt = performance.now()
  await engine.stop()
  const drainS = (performance.now() - stopAt) / 1000
  const s2 = stats()
  const spent = Number(await ledger.balance(ledgerAccounts.visitsSpent()))
  const reserved = Number(await ledger.balance(ledgerAccounts.visitsReserved(ws)))
  await http.close()
  await close()
  return {
    asked_per_s: RATE,
    achieved_per_s: r2(started / usage.seconds),
    rate_error_pct: r2((100 * (started / usage.seconds - RATE)) / RATE),
    started_in_window: started,
    dropped_in_window: s1.dropped - s0.dropped,
    charged_per_s: r2((s1.charged - s0.charged) / usage.seconds),
    commit_backlog_at_window_end: s1.answered - s1.charged,
    charge_groups_per_s: r2((s1.chargeGroups - s0.chargeGroups) / usage.seconds),
    visits_per_charge_group: r2((s1.charged - s0.charged) / Math.max(1, s1.chargeGroups - s0.chargeGroups)),
    /** Visits scheduled in the window (lag at 1 ms resolution: the hits' Date stamps). */
    schedule_lag_ms: pcts(lagW),
    latency_ms: pcts(latW),
    /** The engine's own histograms: the whole run, warm-up and drain included. */
    schedule_lag_ms_whole_run: s2.scheduleLagMs,
    latency_ms_whole_run: s2.latencyMs,
    ...usage,
    peak_rss_mb: peakRssMb(),
    stop_drain_s: r2(drainS),
    run: {
      started: s2.started,
      answered: s2.answered,
      charged: s2.charged,
      dropped: s2.dropped,
      dropped_no_credit: s2.droppedNoCredit,
      errors: s2.errors,
      statuses: s2.statuses,
      stop_reason: s2.stopReason,
      credits_spent: spent,
      credits_still_reserved: reserved,
    },
  }
}

/** The subset of autocannon's programmatic API used here (https://github.com/mcollina/autocannon#api). */
interface AutocannonResult {
  requests: { total: number }
  latency: { p50: number; p97_5: number; p99: number; max: number }
  duration: number
  errors: number
  timeouts: number
  non2xx: number
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>

async function autocannonRun() {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  const opts = { url: `${TARGET_URL}/`, connections: CONNECTIONS, overallRate: RATE }
  await autocannon({ ...opts, duration: WARMUP_S })
  const win = await window()
  const res = await autocannon({ ...opts, duration: DURATION_S })
  const usage = await win.end(res.requests.total)
  return {
    asked_per_s: RATE,
    achieved_per_s: r2(res.requests.total / usage.seconds),
    rate_error_pct: r2((100 * (res.requests.total / usage.seconds - RATE)) / RATE),
    requests: res.requests.total,
    connections: CONNECTIONS,
    latency_ms: {
      p50: res.latency.p50,
      p97_5: res.latency.p97_5,
      p99: res.latency.p99,
      max: res.latency.max,
    },
    errors: res.errors + res.timeouts,
    non2xx: res.non2xx,
    ...usage,
    peak_rss_mb: peakRssMb(),
  }
}

/**
 * Browser mode: the engine with the module's `createVisitBrowser` as its visitor, its page cap
 * (`maxPages`) and the engine's slots both CONCURRENCY; the engine runs a high rate, so the
 * visits per minute are what that many pages sustain. (Runs before this fix passed `pages`,
 * an option the browser does not have: both phases then ran at the default 4 pages.)
 */
async function browserRun() {
  const pages = CONCURRENCY
  const browser = visitors.createVisitBrowser({
    allowPrivate: true,
    publicUrl: 'http://bench.local',
    nowMs: () => Date.now(),
    maxPages: pages,
  })
  const r = await engineRun(browser, pages)
  return { pages, visits_per_minute: Math.round(r.achieved_per_s * 60), ...r }
}

/**
 * The metering commit alone, on the same PGlite: (a) one transaction per answered visit (what
 * the engine did before group commit: a ledger hold commit of 1 with the key `visit:<id>` +
 * `visits_done`, `visitor_daily` and `visitor_runs` counters), one after the other (PGlite
 * runs one query at a time anyway), for DURATION/2 s; (b) the group-commit form
 * (`chargeGroup` in visitors.engine.ts) at a fixed group of BATCH visits: one hold commit of
 * BATCH + the counters + BATCH. Visits per second and CPU per visit of each: the ceiling of
 * the engine's charged rate (the engine's own groups are whatever gathered meanwhile).
 */
async function commitsRun() {
  const { db, ledger, ws, projectId, close } = await setup(1)
  const [run] = await db
    .insert(visitorRuns)
    .values({ workspaceId: ws, projectId, startedAt: new Date() })
    .returning({ id: visitorRuns.id })
  const { hold } = await ledger.reserve(
    { workspaceId: ws, amount: 10n ** 9n, idempotencyKey: 'bench-hold' },
    new Date(),
  )
  const BATCH = Number(process.env.BATCH ?? 100)
  const commitTx = (n: number, key: string) =>
    db.transaction(async (t) => {
      const tx = t as unknown as Db
      const at = new Date()
      await ledger.commit({ holdId: hold.id, amount: BigInt(n), idempotencyKey: key }, at, tx)
      await tx
        .update(visitorProjects)
        .set({ visitsDone: sql`${visitorProjects.visitsDone} + ${n}` })
        .where(eq(visitorProjects.id, projectId))
      await tx
        .insert(visitorDaily)
        .values({ projectId, day: at.toISOString().slice(0, 10), visits: n })
        .onConflictDoUpdate({
          target: [visitorDaily.projectId, visitorDaily.day],
          set: { visits: sql`${visitorDaily.visits} + ${n}` },
        })
      await tx
        .update(visitorRuns)
        .set({ visits: sql`${visitorRuns.visits} + ${n}` })
        .where(eq(visitorRuns.id, run!.id))
    })
  const loop = async (n: number) => {
    const win = await window()
    const until = performance.now() + (DURATION_S / 2) * 1000
    let visits = 0
    while (performance.now() < until) {
      await commitTx(n, n === 1 ? `visit:${randomUUID()}` : `visits:${randomUUID()}:${n}`)
      visits += n
    }
    const u = await win.end(visits)
    return {
      visits_per_s: Math.round(visits / u.seconds),
      transactions_per_s: Math.round(visits / n / u.seconds),
      cpu_ms_per_visit: u.cpu_ms_per_op,
    }
  }
  const perVisit = await loop(1)
  const batched = await loop(BATCH)
  await close()
  return { per_visit_tx: perVisit, [`batched_${BATCH}_per_tx`]: batched, batch: BATCH }
}

/**
 * The HTTP visits alone (no database, no metering): `createVisitHttp().visit()` launched on an
 * even schedule at RATE, woken as the engine is (`nextWakeDelayMs`: at the next due start, 1 ms
 * granularity, at most ENGINE_TICK_MS apart), latency from each scheduled start to the response
 * headers. What the engine could reach if metering cost nothing: the second limit.
 */
async function visitOnlyRun() {
  const http = createVisitHttp({
    allowPrivate: true,
    publicUrl: 'http://bench.local',
    nowMs: () => Date.now(),
  })
  const url = `${TARGET_URL}/`
  const allowedHosts = new Set([new URL(url).host])
  const gap = 1000 / RATE
  const lat: number[] = []
  const lag: number[] = []
  let started = 0
  let errors = 0
  let measuring = false
  const origin = performance.now()
  let seq = 0
  let timer: NodeJS.Timeout | undefined
  let running = true
  // SCHEDULER=interval: the engine's former loop (a fixed ENGINE_TICK_MS interval, every due
  // start launched at the tick), for an A/B against the due-time wake-up in the same run.
  const fixed = process.env.SCHEDULER === 'interval'
  const pass = () => {
    if (!running) return
    launchDue()
    if (fixed) return
    const nextAt = origin + seq * gap
    timer = setTimeout(
      pass,
      nextWakeDelayMs([{ next: { seq, atMs: nextAt } }], performance.now(), ENGINE_TICK_MS),
    )
  }
  const launchDue = () => {
    const now = performance.now()
    for (; origin + seq * gap <= now; seq++) {
      const at = origin + seq * gap
      if (measuring) {
        started++
        // At this launch, as the engine records it (later launches of a pass wait for earlier ones).
        lag.push(performance.now() - at)
      }
      const m = measuring
      void http
        .visit({ url, device: 'desktop', uaIndex: seq, runId: 'bench', signingKey: 'k', allowedHosts })
        .then((o) => {
          if (!m) return
          if (!o.answered) errors++
          else lat.push(performance.now() - at)
        })
    }
  }
  if (fixed) timer = setInterval(pass, ENGINE_TICK_MS)
  else pass()
  await sleep(WARMUP_S * 1000)
  measuring = true
  const win = await window()
  await sleep(DURATION_S * 1000)
  measuring = false
  const usage = await win.end(started)
  running = false
  clearTimeout(timer)
  clearInterval(timer)
  await sleep(500)
  await http.close()
  const q = (a: number[], p: number) => {
    a.sort((x, y) => x - y)
    return r2(a[Math.min(a.length - 1, Math.floor(a.length * p))] ?? 0)
  }
  return {
    scheduler: fixed ? `fixed ${ENGINE_TICK_MS} ms interval (the former loop)` : 'wake at the next due start',
    asked_per_s: RATE,
    achieved_per_s: r2(started / usage.seconds),
    rate_error_pct: r2((100 * (started / usage.seconds - RATE)) / RATE),
    schedule_lag_ms: { p50: q(lag, 0.5), p95: q(lag, 0.95), p99: q(lag, 0.99) },
    latency_ms: { p50: q(lat, 0.5), p99: q(lat, 0.99) },
    errors,
    ...usage,
    peak_rss_mb: peakRssMb(),
  }
}

async function main() {
  const out =
    KIND === 'autocannon'
      ? await autocannonRun()
      : KIND === 'commits'
        ? await commitsRun()
        : KIND === 'visit-only'
          ? await visitOnlyRun()
          : KIND === 'browser'
            ? await browserRun()
            : await engineRun(
                createVisitHttp({
                  allowPrivate: true,
                  publicUrl: 'http://bench.local',
                  nowMs: () => Date.now(),
                }),
                CONCURRENCY,
              )
  process.stdout.write(`\n${JSON.stringify(out)}\n`)
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
