/**
 * Durable background jobs on pg-boss 10, in the application's own database: the PGlite
 * instance (embedded default) or the `pg.Pool` (PostgreSQL), passed to pg-boss as its `db`
 * adapter — no second connection, and on PGlite no second process.
 *
 * What pg-boss does here: its schema (`pgboss`, created and migrated at start), queues with
 * the catalog's retry/expiry/dead-letter policy, `send` (delayed start, deterministic job
 * IDs for deduplication, optionally inside the caller's transaction), `fetch` (`FOR UPDATE
 * SKIP LOCKED`, safe across processes), `complete`/`fail` (retries with backoff, dead letter
 * queue) and its maintenance (expiring jobs whose worker died, archiving).
 *
 * What it does not do here, and why:
 * - `work()`: pg-boss 10's worker loop calls `complete()`/`fail()` without awaiting them
 *   (manager.js `watch`), so a database error at that moment is an unhandled rejection,
 *   which ends a Node 20 process, and `stop()` can return while they are in flight. The
 *   loop below fetches, runs the handler and *awaits* `complete`/`fail`, and can be woken by
 *   an enqueue in this process (no LISTEN/NOTIFY — pg-boss 10 does not use it either).
 * - the cron timekeeper (`schedule()`): it runs through `work()` as well. Catalog schedules
 *   are interval slots enqueued with deterministic IDs, which gives the same one-run-per-
 *   slot result across processes.
 *
 * Deduplication: `enqueue(name, payload, { key })` derives the job ID from (name, key), and
 * pg-boss inserts with `ON CONFLICT DO NOTHING`, so the same key enqueues once while the job
 * row exists (pg-boss archives completed jobs after 12 h; handlers must still be idempotent).
 */
import { createHash } from 'node:crypto'
import PgBoss from 'pg-boss'
import type { z } from 'zod'
import { type Db, executorOf, type SqlExecutor } from '../db/client.ts'
import type { Logger } from '../logger.ts'
import type { JobCatalog } from './jobs.catalog.ts'

/** pg-boss's schema name. */
export const JOBS_SCHEMA = 'pgboss'

/** What a handler gets besides its payload. */
export interface JobContext {
  /** pg-boss job ID. */
  id: string
  name: string
  /** 0 on the first run; n on the n-th pg-boss retry (after a handler failure). */
  retryCount: number
  /** Aborted when the job's `expireInSeconds` elapsed (the job then counts as failed). */
  signal: AbortSignal
}

/** A job handler. Throwing (or outrunning `expireInSeconds`) fails the job: pg-boss retries it per the catalog. */
export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<void>

/** Options of {@link Jobs.enqueue}. */
export interface EnqueueOptions {
  /**
   * Idempotency key. The job ID is derived from (queue, key) ({@link jobIdFor}), so enqueueing
   * the same key again is a no-op while the first job's row exists.
   */
  key?: string
  /** Not before this time (compared with the database clock). Default: now. */
  startAfter?: Date
  /** Enqueue inside this open Drizzle transaction: the job exists only if it commits. */
  tx?: Db
}

/** Counters per queue. */
export interface QueueStats {
  completed: number
  failed: number
  active: number
}

/** The jobs runtime of one process. */
export interface Jobs<C extends JobCatalog> {
  readonly catalog: C
  /** The pg-boss instance (queue inspection in tests and tools). */
  readonly boss: PgBoss
  /** Registers the handler of a queue (before or after `start`). */
  register<N extends keyof C & string>(name: N, handler: JobHandler<z.output<C[N]['payload']>>): void
  /**
   * Creates/migrates the pg-boss schema and the catalog's queues; with `workers` (default
   * true) starts the registered handlers' fetch loops and the schedules.
   */
  start(opts?: { workers?: boolean }): Promise<void>
  /**
   * Stops fetching and schedules, waits up to `timeoutMs` (default 15,000) for running
   * handlers, then stops pg-boss (the connection stays open: it is the application's).
   * A handler still running after the timeout keeps its job active; pg-boss expires and
   * retries it later.
   */
  stop(opts?: { timeoutMs?: number }): Promise<void>
  /**
   * Validates `payload` against the catalog and sends the job.
   * @returns the job ID, or null when a job with the same key already exists.
   * @throws ZodError when the payload does not match the catalog (a programming error).
   */
  enqueue<N extends keyof C & string>(
    name: N,
    payload: z.input<C[N]['payload']>,
    opts?: EnqueueOptions,
  ): Promise<string | null>
  /** Wakes this process's idle workers of `name` (after committing a transaction that enqueued). */
  kick(name: keyof C & string): void
  /** Runs one scheduled slot of `name` now (tests; the schedule timer does this by itself). */
  runSchedule(name: keyof C & string): Promise<void>
  /** pg-boss maintenance now: expire timed-out active jobs (→ retry), archive, drop. */
  maintain(): Promise<void>
  stats(): Record<string, QueueStats>
}

/** Options of {@link createJobs}. */
export interface JobsOptions<C extends JobCatalog> {
  /** The application's connection ({@link DbHandle.raw}). */
  executor: SqlExecutor
  catalog: C
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Idle poll interval of each worker, ms (default 1,000; pg-boss's own minimum does not apply). */
  pollIntervalMs?: number
  /** pg-boss maintenance interval, seconds (default 120). */
  maintenanceIntervalSeconds?: number
  /** Per-queue overrides of the catalog's schedules (tests run a 60 s sweep every 200 ms). */
  scheduleOverrides?: Partial<Record<keyof C & string, { everyMs: number }>>
}

/**
 * A UUID derived from (queue, key): SHA-256, first 16 bytes, version 8 / RFC 9562 variant
 * bits set. The same pair always gives the same ID, different pairs different IDs.
 */
export function jobIdFor(name: string, key: string): string {
  const h = createHash('sha256').update(name).update('\u0000').update(key).digest()
  h[6] = (h[6]! & 0x0f) | 0x80
  h[8] = (h[8]! & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

/** Sleep that `wake()` ends early; a wake while awake makes the next sleep return at once. */
function waiter() {
  let wakeUp: (() => void) | undefined
  let pending = false
  return {
    sleep(ms: number): Promise<void> {
      if (pending) {
        pending = false
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, ms)
        function done() {
          clearTimeout(t)
          wakeUp = undefined
          resolve()
        }
        wakeUp = done
      })
    },
    wake() {
      if (wakeUp) wakeUp()
      else pending = true
    },
  }
}

class JobTimeoutError extends Error {
  constructor(seconds: number) {
    super(`handler exceeded expireInSeconds (${seconds} s)`)
    this.name = 'JobTimeoutError'
  }
}

/**
 * Creates the jobs runtime over the application's connection. Nothing touches the database
 * until `start()`.
 */
export function createJobs<C extends JobCatalog>(opts: JobsOptions<C>): Jobs<C> {
  const { catalog, executor } = opts
  const log = opts.logger
  const pollMs = opts.pollIntervalMs ?? 1000
  const boss = new PgBoss({
    db: executor as PgBoss.Db,
    schema: JOBS_SCHEMA,
    migrate: true,
    supervise: true,
    // pg-boss's cron runs through work(); schedules are slots here (see file comment).
    schedule: false,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 120,
  })
  // An EventEmitter without an 'error' listener throws; pg-boss reports maintenance errors here.
  boss.on('error', (err) => log?.warn({ err }, 'pg-boss error'))

  const handlers = new Map<string, JobHandler<unknown>>()
  const wakers = new Map<string, Set<() => void>>()
  const counters = new Map<string, QueueStats>()
  const loops: Promise<void>[] = []
  const timers: NodeJS.Timeout[] = []
  const lastSlot = new Map<string, number>()
  let started = false
  let running = false

  const stat = (name: string) => {
    const s = counters.get(name) ?? { completed: 0, failed: 0, active: 0 }
    counters.set(name, s)
    return s
  }

  async function runOne(name: string, job: PgBoss.JobWithMetadata<unknown>): Promise<void> {
    const def = catalog[name]!
    const handler = handlers.get(name)!
    const s = stat(name)
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    s.active++
    try {
      const parsed = def.payload.safeParse(job.data)
      if (!parsed.success) {
        // It will never become valid: complete it (not retried) and say so.
        log?.error(
          { queue: name, job: job.id, issues: parsed.error.issues },
          'job payload does not match the catalog',
        )
        await boss.complete(name, job.id, { error: 'invalid payload' })
        return
      }
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new JobTimeoutError(def.expireInSeconds)
          controller.abort(e)
          reject(e)
        }, def.expireInSeconds * 1000)
      })
      try {
        await Promise.race([
          handler(parsed.data, { id: job.id, name, retryCount: job.retryCount, signal: controller.signal }),
          timeout,
        ])
      } catch (err) {
        s.failed++
        log?.warn({ err, queue: name, job: job.id, retryCount: job.retryCount }, 'job failed')
        await boss.fail(name, job.id, { message: err instanceof Error ? err.message : String(err) })
        return
      }
      await boss.complete(name, job.id)
      s.completed++
    } catch (err) {
      // complete/fail did not reach the database: the job stays active until it expires,
      // then pg-boss retries it (handlers are idempotent).
      log?.warn({ err, queue: name, job: job.id }, 'could not record job result')
    } finally {
      if (timer) clearTimeout(timer)
      s.active--
    }
  }

  /**
   * One fetch loop per queue: fetches up to the free handler slots (`concurrency`), runs
   * them concurrently, fetches again as soon as a slot frees up, and sleeps `pollMs` (or
   * until kicked) when the queue is empty — one idle query per queue per poll.
   */
  async function loop(name: string): Promise<void> {
    const concurrency = catalog[name]!.concurrency ?? 1
    const w = waiter()
    const set = wakers.get(name) ?? new Set<() => void>()
    wakers.set(name, set)
    set.add(w.wake)
    const inflight = new Set<Promise<void>>()
    try {
      while (running) {
        const free = concurrency - inflight.size
        if (free <= 0) {
          await Promise.race(inflight)
          continue
        }
        let jobs: PgBoss.JobWithMetadata<unknown>[] = []
        try {
          jobs = await boss.fetch(name, { batchSize: free, includeMetadata: true })
        } catch (err) {
          log?.warn({ err, queue: name }, 'job fetch failed')
        }
        for (const job of jobs) {
          const p: Promise<void> = runOne(name, job).finally(() => {
            inflight.delete(p)
            w.wake()
          })
          inflight.add(p)
        }
        // A full batch may mean more are waiting: go again at once. Otherwise sleep until
        // the poll interval, a kick, or a finished handler frees a slot.
        // ±20 % jitter: queues started together would otherwise poll in the same instant,
        // and on PGlite those queries block the redirect for their sum.
        if (jobs.length < free && running) await w.sleep(pollMs * (0.8 + 0.4 * Math.random()))
      }
      await Promise.all(inflight)
    } finally {
      set.delete(w.wake)
    }
  }

  async function runSchedule(name: string): Promise<void> {
    const def = catalog[name]
    const every = (opts.scheduleOverrides?.[name as keyof C & string] ?? def?.schedule)?.everyMs
    if (!def || !every) throw new Error(`job ${name} has no schedule`)
    const slot = Math.floor(Date.now() / every)
    if (lastSlot.get(name) === slot) return
    await enqueue(name, { slot } as never, { key: `slot:${every}:${slot}` })
    lastSlot.set(name, slot)
    kick(name)
  }

  async function enqueue(name: string, payload: unknown, o: EnqueueOptions = {}): Promise<string | null> {
    const def = catalog[name]
    if (!def) throw new Error(`unknown job ${name}`)
    const data = def.payload.parse(payload)
    const options: PgBoss.SendOptions & { db?: PgBoss.Db } = {}
    if (o.key !== undefined) {
      options.id = jobIdFor(name, o.key)
      options.singletonKey = o.key
    }
    if (o.startAfter) options.startAfter = o.startAfter
    if (o.tx) options.db = executorOf(o.tx) as PgBoss.Db
    return boss.send(name, data as object, options)
  }

  function kick(name: string): void {
    for (const wake of wakers.get(name) ?? []) wake()
  }

  return {
    catalog,
    boss,
    register(name, handler) {
      if (!catalog[name]) throw new Error(`unknown job ${name}`)
      if (handlers.has(name)) throw new Error(`job ${name} already has a handler`)
      handlers.set(name, handler as JobHandler<unknown>)
      if (running) loops.push(loop(name))
    },
    async start(o = {}) {
      if (!started) {
        await boss.start()
        // Dead letter queues first: a queue's dead_letter column references an existing queue.
        const names = Object.keys(catalog).sort(
          (a, b) => Number(Boolean(catalog[a]!.deadLetter)) - Number(Boolean(catalog[b]!.deadLetter)),
        )
        for (const name of names) {
          const d = catalog[name]!
          const queue = {
            name,
            retryLimit: d.retry.limit,
            retryDelay: d.retry.delaySeconds,
            retryBackoff: d.retry.backoff,
            expireInSeconds: d.expireInSeconds,
            ...(d.deadLetter ? { deadLetter: d.deadLetter } : {}),
          }
          await boss.createQueue(name, queue)
          // createQueue keeps an existing queue's policy; apply catalog changes.
          await boss.updateQueue(name, queue)
        }
        started = true
      }
      if (o.workers === false || running) return
      running = true
      for (const name of handlers.keys()) loops.push(loop(name))
      for (const name of Object.keys(catalog)) {
        const every = (opts.scheduleOverrides?.[name as keyof C & string] ?? catalog[name]!.schedule)?.everyMs
        if (!every || !handlers.has(name)) continue
        const tick = () =>
          void runSchedule(name).catch((err) => log?.warn({ err, queue: name }, 'schedule enqueue failed'))
        tick()
        const t = setInterval(tick, Math.max(50, Math.min(every / 4, 10_000)))
        t.unref?.()
        timers.push(t)
      }
    },
    async stop(o = {}) {
      running = false
      for (const t of timers.splice(0)) clearInterval(t)
      for (const set of wakers.values()) for (const wake of set) wake()
      const all = Promise.all(loops.splice(0))
      let timer: NodeJS.Timeout | undefined
      const waited = await Promise.race([
        all.then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), o.timeoutMs ?? 15_000)
        }),
      ])
      if (timer) clearTimeout(timer)
      if (!waited) log?.warn({}, 'jobs still running at stop; pg-boss will expire and retry them')
      if (started) {
        await boss.stop({ graceful: false, close: false, wait: true })
        started = false
      }
    },
    enqueue: enqueue as Jobs<C>['enqueue'],
    kick,
    runSchedule,
    async maintain() {
      await (boss as unknown as { maintain(): Promise<void> }).maintain()
    },
    stats: () => Object.fromEntries([...counters].map(([k, v]) => [k, { ...v }])),
  }
}
