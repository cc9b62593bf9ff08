/**
 * Durable background jobs on pg-boss 12, in the application's own database: the PGlite
 * instance (embedded default) or the `pg.Pool` (PostgreSQL), passed to pg-boss as its `db`
 * adapter — no second connection, and on PGlite no second process.
 *
 * What pg-boss does here: its schema (`pgboss`, created and migrated at start), queues with
 * the catalog's retry/expiry/dead-letter policy, `send` (delayed start, deterministic job
 * IDs for deduplication, optionally inside the caller's transaction), `fetch` (`FOR UPDATE
 * SKIP LOCKED`, safe across processes), `complete`/`fail` (retries with backoff, dead letter
 * queue) and its supervision (expiring jobs whose worker died, deleting old jobs).
 *
 * What it does not do here, and why:
 * - `work()`: the loop below is this project's own so that it can be woken by an enqueue in
 *   this process at once (`kick`; pg-boss's polling floor is 500 ms and its LISTEN/NOTIFY
 *   needs a dedicated session the shared PGlite connection does not have), poll with jitter
 *   (queues started together would otherwise poll in the same instant, and on PGlite those
 *   queries block the redirect for their sum), abort a handler at `expireInSeconds`, and
 *   wait for running handlers on `stop()` with a bound.
 * - the cron timekeeper (`schedule()`): catalog schedules are interval slots enqueued with
 *   deterministic IDs, which gives one run per slot across processes without another timer.
 *
 * Deduplication: `enqueue(name, payload, { key })` derives the job ID from (name, key), and
 * pg-boss inserts with `ON CONFLICT DO NOTHING`, so the same key enqueues once while the job
 * row exists (pg-boss deletes finished jobs after the queue's `deleteAfterSeconds`, 7 days by
 * default; handlers must still be idempotent).
 *
 * Upgrade from pg-boss 10 (schema version 24): pg-boss 11+ has no migration from it. At
 * start the old schema is renamed to `pgboss_v10`, pg-boss installs a fresh `pgboss`, the old
 * schema's unfinished jobs of catalog queues are copied over (same IDs, payloads and start
 * times; retry counts restart at 0) and `pgboss_v10` is dropped. See {@link LEGACY_SCHEMA}.
 */
import { createHash } from 'node:crypto'
import { type Db as BossDb, type JobWithMetadata, PgBoss, type SendOptions } from 'pg-boss'
import type { z } from 'zod'
import { systemActor, withChangeActor } from '../changelog/index.ts'
import { type Db, executorOf, type SqlExecutor } from '../db/client.ts'
import type { Logger } from '../logger.ts'
import type { JOB_CATALOG, JobCatalog } from './jobs.catalog.ts'

/** pg-boss's schema name. */
export const JOBS_SCHEMA = 'pgboss'

/**
 * Where a pg-boss 10 schema found at start is moved while its unfinished jobs are copied into
 * the new `pgboss` schema; dropped once they are (a restart in between resumes the copy).
 */
export const LEGACY_SCHEMA = 'pgboss_v10'

/** Oldest pg-boss schema version pg-boss 12 migrates itself (11.0's); older ones are handed over. */
const OLDEST_MIGRATABLE_VERSION = 25

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

/**
 * One handler for every queue of catalog `C`, keyed by queue name. Registering through this
 * type ({@link Jobs.registerAll}) is what makes a new catalog entry fail to compile until
 * its handler exists.
 */
export type JobHandlers<C extends JobCatalog> = {
  [N in keyof C & string]: JobHandler<z.output<C[N]['payload']>>
}

/** Handlers of the application's catalog ({@link JOB_CATALOG}); modules build slices of it with `Pick`. */
export type AppJobHandlers = JobHandlers<typeof JOB_CATALOG>

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
  /**
   * Registers the handler of a queue (before or after `start`); a partial runtime (tests, a
   * module on its own). The application registers all at once with {@link registerAll}.
   * @throws Error for a name outside the catalog or a second handler of the same queue.
   */
  register<N extends keyof C & string>(name: N, handler: JobHandler<z.output<C[N]['payload']>>): void
  /**
   * Registers one handler per catalog queue; the type requires every queue, so a catalog
   * entry without a handler does not compile.
   * @throws Error when a queue already has a handler.
   */
  registerAll(handlers: JobHandlers<C>): void
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
  /**
   * pg-boss supervision of every catalog queue now (`boss.supervise()`): active jobs past
   * `expireInSeconds` fail (→ retry or dead letter), and old finished jobs are deleted. A queue
   * supervised less than pg-boss's monitor interval (60 s) ago, by any process, is skipped.
   */
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

/** Whether `schema` exists. */
async function schemaExists(executor: SqlExecutor, schema: string): Promise<boolean> {
  const r = await executor.executeSql('SELECT 1 AS x FROM pg_namespace WHERE nspname = $1', [schema])
  return r.rows.length > 0
}

/**
 * Moves a pg-boss 10 schema (version < 25, which pg-boss 12 cannot migrate) out of the way:
 * `pgboss` → {@link LEGACY_SCHEMA}, so that pg-boss installs a fresh `pgboss`. Its jobs are
 * copied by {@link importLegacyJobs} once the new queues exist. No-op on a new database or a
 * pg-boss 11+ schema.
 * @throws Error when both `pgboss` (old) and {@link LEGACY_SCHEMA} exist (a manual state to sort out).
 */
async function retireLegacySchema(
  executor: SqlExecutor,
  log: JobsOptions<JobCatalog>['logger'],
): Promise<void> {
  const found = await executor.executeSql(`SELECT to_regclass('${JOBS_SCHEMA}.version')::text AS t`, [])
  if (!found.rows[0]?.t) return
  const v = await executor.executeSql(`SELECT max(version)::int AS version FROM ${JOBS_SCHEMA}.version`, [])
  const version = Number(v.rows[0]?.version ?? 0)
  if (version >= OLDEST_MIGRATABLE_VERSION) return
  if (await schemaExists(executor, LEGACY_SCHEMA)) {
    throw new Error(
      `jobs: schema ${JOBS_SCHEMA} holds pg-boss schema version ${version} and ${LEGACY_SCHEMA} exists too; drop one of them`,
    )
  }
  log?.info(
    { version },
    `jobs: moving the pg-boss 10 schema to ${LEGACY_SCHEMA} (pg-boss 12 installs a new one)`,
  )
  await executor.executeSql(`ALTER SCHEMA ${JOBS_SCHEMA} RENAME TO ${LEGACY_SCHEMA}`, [])
}

/**
 * Copies the unfinished jobs (created, retry, active) of catalog queues from
 * {@link LEGACY_SCHEMA} into the new queues — same ID, payload, start time and singleton key;
 * the retry count restarts at 0 — then drops that schema. Idempotent (inserts skip existing
 * IDs), so a restart after a crash in between finishes the copy. Jobs of queues no longer in
 * the catalog are dropped with the schema.
 */
async function importLegacyJobs(
  executor: SqlExecutor,
  boss: PgBoss,
  catalog: JobCatalog,
  log: JobsOptions<JobCatalog>['logger'],
): Promise<void> {
  if (!(await schemaExists(executor, LEGACY_SCHEMA))) return
  const r = await executor.executeSql(
    `SELECT id::text AS id, name, data, start_after AS "startAfter", singleton_key AS "singletonKey"
       FROM ${LEGACY_SCHEMA}.job
      WHERE state IN ('created', 'retry', 'active') AND name = ANY($1::text[])
      ORDER BY created_on`,
    [Object.keys(catalog)],
  )
  const byQueue = new Map<string, { id: string; data: object; startAfter: Date; singletonKey?: string }[]>()
  for (const row of r.rows) {
    const list = byQueue.get(String(row.name)) ?? []
    list.push({
      id: String(row.id),
      data: (row.data ?? {}) as object,
      startAfter: new Date(row.startAfter as string | Date),
      ...(row.singletonKey ? { singletonKey: String(row.singletonKey) } : {}),
    })
    byQueue.set(String(row.name), list)
  }
  for (const [name, list] of byQueue) await boss.insert(name, list)
  await executor.executeSql(`DROP SCHEMA IF EXISTS ${LEGACY_SCHEMA} CASCADE`, [])
  log?.info({ jobs: r.rows.length }, `jobs: copied unfinished pg-boss 10 jobs, dropped ${LEGACY_SCHEMA}`)
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
    db: executor as BossDb,
    schema: JOBS_SCHEMA,
    migrate: true,
    supervise: true,
    // Supervision (expiring jobs whose worker died) every 60 s: pg-boss's default interval.
    // Schedules are slots here (see file comment), not pg-boss's cron.
    schedule: false,
    // No job here depends on another (no `flow()`/`dependsOn`), so pg-boss's dependency
    // resolver has nothing to do; its default pass every 5 s would be two queries on the
    // redirect's thread (PGlite) for nothing.
    flowIntervalSeconds: 3600,
    // The instance registry (a heartbeat row per process every 30 s) feeds pg-boss's dashboard,
    // which is not used; on PGlite every such write runs on the redirect's thread.
    registerInstance: false,
    // No OpenTelemetry SDK is installed; skip even the no-op spans and trace context columns.
    openTelemetry: { enabled: false },
  })
  // An EventEmitter without an 'error' listener throws; pg-boss reports supervision errors here.
  boss.on('error', (err) => log?.warn({ err }, 'pg-boss error'))
  boss.on('warning', (w) => log?.warn({ data: w.data }, `pg-boss: ${w.message}`))

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

  async function runOne(name: string, job: JobWithMetadata<unknown>): Promise<void> {
    const def = catalog[name]!
    const handler = handlers.get(name)!
    const s = stat(name)
    const controller = new AbortController()
    // Settling by (id, retryCount) touches only this attempt: if supervision already expired it
    // and a retry is running elsewhere, this late result leaves that retry alone.
    const attempt = { id: job.id, retryCount: job.retryCount }
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
        await boss.complete(name, attempt, { error: 'invalid payload' })
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
          // Whatever configuration a job changes is logged as `system: <job name>`.
          withChangeActor(systemActor(name), () =>
            handler(parsed.data, { id: job.id, name, retryCount: job.retryCount, signal: controller.signal }),
          ),
          timeout,
        ])
      } catch (err) {
        s.failed++
        log?.warn({ err, queue: name, job: job.id, retryCount: job.retryCount }, 'job failed')
        await boss.fail(name, attempt, { message: err instanceof Error ? err.message : String(err) })
        return
      }
      await boss.complete(name, attempt)
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
        let jobs: JobWithMetadata<unknown>[] = []
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
    const options: SendOptions = {}
    if (o.key !== undefined) {
      options.id = jobIdFor(name, o.key)
      options.singletonKey = o.key
    }
    if (o.startAfter) options.startAfter = o.startAfter
    if (o.tx) options.db = executorOf(o.tx) as BossDb
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
    registerAll(all) {
      for (const name of Object.keys(catalog)) {
        const handler = all[name as keyof C & string]
        if (!handler) throw new Error(`job ${name} has no handler`)
        this.register(name as keyof C & string, handler)
      }
    },
    async start(o = {}) {
      if (!started) {
        await retireLegacySchema(executor, log)
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
        await importLegacyJobs(executor, boss, catalog, log)
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
        await boss.stop({ graceful: false, close: false })
        started = false
      }
    },
    enqueue: enqueue as Jobs<C>['enqueue'],
    kick,
    runSchedule,
    async maintain() {
      await boss.supervise()
    },
    stats: () => Object.fromEntries([...counters].map(([k, v]) => [k, { ...v }])),
  }
}
