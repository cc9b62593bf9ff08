/**
 * pg-boss 12 on the application's own connection, on PGlite and PostgreSQL: the features
 * the jobs runtime relies on (schema creation, queues with policies, send with
 * deterministic IDs, fetch, complete/fail with retries and backoff, expiry through
 * maintenance, the dead letter queue, send inside a Drizzle transaction), then the runtime
 * itself (handlers, kick, retries, invalid payloads, schedule slots, stop).
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { executorOf } from '../src/platform/db/client.ts'
import {
  defineJob,
  JOB_CATALOG,
  type JobCatalog,
  scheduledPayload,
} from '../src/platform/jobs/jobs.catalog.ts'
import { createJobs, type Jobs, jobIdFor } from '../src/platform/jobs/jobs.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

const testCatalog = {
  'test-work': defineJob({
    description: 'test',
    payload: z.strictObject({ n: z.int() }),
    retry: { limit: 2, delaySeconds: 0, backoff: false },
    expireInSeconds: 5,
    deadLetter: 'test-dead',
    concurrency: 2,
  }),
  'test-dead': defineJob({
    description: 'test dead letters',
    payload: z.strictObject({ n: z.int() }),
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 5,
  }),
  'test-backoff': defineJob({
    description: 'backoff',
    payload: z.strictObject({ n: z.int() }),
    retry: { limit: 2, delaySeconds: 1, backoff: true },
    expireInSeconds: 1,
    deadLetter: 'test-dead',
  }),
  'test-tick': defineJob({
    description: 'schedule',
    payload: scheduledPayload,
    retry: { limit: 0, delaySeconds: 0, backoff: false },
    expireInSeconds: 5,
    schedule: { everyMs: 60_000 },
  }),
} satisfies JobCatalog

describe.each(['pglite', 'postgres'] as const)('pg-boss on %s', (kind) => {
  let h: Handle
  let jobs: Jobs<typeof testCatalog>

  beforeAll(async () => {
    h = await throwawayDb(kind)
    jobs = createJobs({ executor: h.raw, catalog: testCatalog, pollIntervalMs: 50 })
    await jobs.start({ workers: false })
  })
  afterAll(async () => {
    await jobs?.stop()
    await h?.drop()
  })

  const dbRows = async (q: string) => (await h.raw.executeSql(q)).rows
  const jobOf = async (queue: string, id: string) => (await jobs.boss.findJobs(queue, { id }))[0] ?? null

  it('creates its schema and the catalog queues with their policies', async () => {
    const [v] = await dbRows('SELECT version FROM pgboss.version')
    expect(Number(v!.version)).toBeGreaterThan(0)
    const q = await jobs.boss.getQueue('test-backoff')
    expect(q).toMatchObject({
      retryLimit: 2,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: 1,
      deadLetter: 'test-dead',
    })
    // A second runtime over the same database finds the schema in place.
    const again = createJobs({ executor: h.raw, catalog: JOB_CATALOG })
    await again.start({ workers: false })
    await again.stop()
    expect((await jobs.boss.getQueue('outbound-postback-deliver'))?.deadLetter).toBe('outbound-postback-dead')
  })

  it('a deterministic ID enqueues once; fetch hands a job to one caller', async () => {
    const a = await jobs.enqueue('test-dead', { n: 1 }, { key: 'k1' })
    const b = await jobs.enqueue('test-dead', { n: 1 }, { key: 'k1' })
    expect(a).toBe(jobIdFor('test-dead', 'k1'))
    expect(b).toBeNull()
    const [first, second] = await Promise.all([jobs.boss.fetch('test-dead'), jobs.boss.fetch('test-dead')])
    expect([...first, ...second].map((j) => j.id)).toEqual([a])
    await jobs.boss.complete('test-dead', a!)
    expect((await jobOf('test-dead', a!))?.state).toBe('completed')
  })

  it('a payload outside the catalog schema is refused at enqueue', async () => {
    await expect(jobs.enqueue('test-dead', { n: 'x' } as never)).rejects.toThrow()
  })

  it('fail → retry with exponential backoff (1–2 s, then 2–4 s) → failed → dead letter queue', async () => {
    const id = (await jobs.enqueue('test-backoff', { n: 7 }, { key: 'b1' }))!
    const delays: number[] = []
    for (let i = 0; i < 3; i++) {
      const [job] = await jobs.boss.fetch('test-backoff', { ignoreStartAfter: true })
      expect(job?.id).toBe(id)
      const t0 = Date.now()
      await jobs.boss.fail('test-backoff', id, { message: `boom ${i}` })
      const j = await jobOf('test-backoff', id)
      if (i < 2) {
        expect(j).toMatchObject({ state: 'retry', retryCount: i })
        delays.push((j!.startAfter as Date).getTime() - t0)
      } else {
        expect(j).toMatchObject({ state: 'failed', retryCount: 2, output: { message: 'boom 2' } })
      }
    }
    // retry_delay × 2^n × (1..2), n = 0, 1 (a little slack for the DB/JS clock read order)
    expect(delays[0]!).toBeGreaterThanOrEqual(900)
    expect(delays[0]!).toBeLessThanOrEqual(2100)
    expect(delays[1]!).toBeGreaterThanOrEqual(1900)
    expect(delays[1]!).toBeLessThanOrEqual(4100)
    const dead = await jobs.boss.fetch<{ n: number }>('test-dead')
    expect(dead.map((j: { data: unknown }) => j.data)).toEqual([{ n: 7 }])
    await jobs.boss.complete('test-dead', dead[0]!.id)
  })

  it('a job whose worker vanished expires (expireInSeconds) and is retried after maintenance', async () => {
    const id = (await jobs.enqueue('test-backoff', { n: 8 }, { key: 'e1' }))!
    // PGlite's clock has millisecond resolution: a fetch in the same millisecond as the insert
    // sees start_after = now() and pg-boss wants start_after < now(); the start time is not what this tests.
    const [job] = await jobs.boss.fetch('test-backoff', { ignoreStartAfter: true })
    expect(job?.id).toBe(id)
    await sleep(1300)
    await jobs.maintain()
    expect((await jobOf('test-backoff', id))?.state).toBe('retry')
    const [again] = await jobs.boss.fetch('test-backoff', { ignoreStartAfter: true, includeMetadata: true })
    expect(again).toMatchObject({ id, retryCount: 1 })
    await jobs.boss.complete('test-backoff', id)
  })

  it('send inside a Drizzle transaction commits and rolls back with it', async () => {
    await h.db.transaction(async (tx) => {
      await jobs.enqueue('test-dead', { n: 10 }, { key: 'tx-commit', tx })
    })
    expect(await jobOf('test-dead', jobIdFor('test-dead', 'tx-commit'))).toBeTruthy()
    await expect(
      h.db.transaction(async (tx) => {
        await jobs.enqueue('test-dead', { n: 11 }, { key: 'tx-rollback', tx })
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(await jobOf('test-dead', jobIdFor('test-dead', 'tx-rollback'))).toBeNull()
    // The executor really is the transaction's connection: it sees uncommitted rows.
    await h.db.transaction(async (tx) => {
      await tx.execute(sql`CREATE TEMP TABLE tx_probe (x int) ON COMMIT DROP`)
      await tx.execute(sql`INSERT INTO tx_probe VALUES (42)`)
      const r = await executorOf(tx).executeSql('SELECT x FROM tx_probe WHERE x = $1', [42])
      expect(r.rows).toEqual([{ x: 42 }])
    })
    const [j] = await jobs.boss.fetch('test-dead')
    await jobs.boss.complete('test-dead', j!.id)
  })

  it('a failed multi-statement text leaves the connection usable (rolled back)', async () => {
    await expect(
      h.raw.executeSql('BEGIN; CREATE TABLE half_done (x int); SELECT * FROM no_such_table; COMMIT;'),
    ).rejects.toThrow()
    await h.db.execute(sql`SELECT 1`)
    const r = await h.raw.executeSql("SELECT to_regclass('public.half_done') AS t")
    expect(r.rows[0]!.t).toBeNull()
  })
})

describe.each(['pglite', 'postgres'] as const)('jobs runtime on %s', (kind) => {
  let h: Handle
  beforeAll(async () => {
    h = await throwawayDb(kind)
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('runs handlers; kick wakes an idle worker; a throwing handler is retried; bad payloads are not', async () => {
    const jobs = createJobs({ executor: h.raw, catalog: testCatalog, pollIntervalMs: 5_000 })
    const seen: { n: number; retry: number }[] = []
    jobs.register('test-work', async (p, ctx) => {
      seen.push({ n: p.n, retry: ctx.retryCount })
      if (p.n === 2 && ctx.retryCount === 0) throw new Error('first time fails')
    })
    await jobs.start()
    await sleep(100) // the workers found the queue empty and sleep for 5 s
    const t0 = Date.now()
    await jobs.enqueue('test-work', { n: 1 })
    jobs.kick('test-work')
    await until('job 1', () => seen.some((s) => s.n === 1))
    expect(Date.now() - t0).toBeLessThan(2_000)

    await jobs.enqueue('test-work', { n: 2 })
    jobs.kick('test-work')
    await until('job 2 retried', () => seen.filter((s) => s.n === 2).length === 2)
    expect(seen.filter((s) => s.n === 2)).toEqual([
      { n: 2, retry: 0 },
      { n: 2, retry: 1 },
    ])

    // Written around the catalog check: such a job is completed, never retried.
    const bad = (await jobs.boss.send('test-work', { n: 'nope' }))!
    jobs.kick('test-work')
    await until(
      'bad payload completed',
      async () => (await jobs.boss.findJobs('test-work', { id: bad }))[0]?.state === 'completed',
    )
    await until('stats', () => (jobs.stats()['test-work']?.completed ?? 0) >= 2)
    expect(jobs.stats()['test-work']).toMatchObject({ completed: 2, failed: 1, active: 0 })
    await jobs.stop()
  })

  it('stop waits for a running handler; a new runtime picks up what is left', async () => {
    const jobs = createJobs({ executor: h.raw, catalog: testCatalog, pollIntervalMs: 50 })
    let finished = 0
    jobs.register('test-work', async () => {
      await sleep(300)
      finished++
    })
    await jobs.start()
    await jobs.enqueue('test-work', { n: 3 })
    jobs.kick('test-work')
    await until('started', () => (jobs.stats()['test-work']?.active ?? 0) === 1)
    await jobs.stop()
    expect(finished).toBe(1)
    // Enqueued while no worker runs; the next process handles it.
    await jobs.start({ workers: false })
    await jobs.enqueue('test-work', { n: 4 })
    await jobs.stop()
    const next = createJobs({ executor: h.raw, catalog: testCatalog, pollIntervalMs: 50 })
    const got: number[] = []
    next.register('test-work', async (p) => {
      got.push(p.n)
    })
    await next.start()
    await until('picked up', () => got.includes(4))
    await next.stop()
  })

  it('a schedule slot runs once even when several processes enqueue it', async () => {
    const runs: number[] = []
    const make = () => {
      const j = createJobs({
        executor: h.raw,
        catalog: testCatalog,
        pollIntervalMs: 50,
        scheduleOverrides: { 'test-tick': { everyMs: 400 } },
      })
      j.register('test-tick', async (p) => {
        runs.push(p.slot)
      })
      return j
    }
    const a = make()
    const b = make()
    await a.start()
    await b.start()
    // Both processes enqueue every slot; wait for a few slots to have run.
    await until('three slots ran', () => runs.length >= 3)
    await a.stop()
    await b.stop()
    expect(new Set(runs).size).toBe(runs.length)
  })
})

describe.each(['pglite', 'postgres'] as const)('upgrade from a pg-boss 10 schema on %s', (kind) => {
  let h: Handle
  beforeAll(async () => {
    h = await throwawayDb(kind)
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('moves the unfinished jobs of catalog queues into the new schema and drops the old one', async () => {
    // The columns of pg-boss 10's schema (version 24) that the handover reads.
    await h.raw.executeSql(`
      CREATE SCHEMA pgboss;
      CREATE TABLE pgboss.version (version int PRIMARY KEY);
      INSERT INTO pgboss.version VALUES (24);
      CREATE TABLE pgboss.job (
        id uuid NOT NULL, name text NOT NULL, data jsonb, state text NOT NULL,
        start_after timestamptz NOT NULL DEFAULT now(), singleton_key text,
        created_on timestamptz NOT NULL DEFAULT now());`)
    const later = new Date(Date.now() + 3_600_000)
    const keyed = jobIdFor('test-work', 'k')
    await h.raw.executeSql(
      `INSERT INTO pgboss.job (id, name, data, state, start_after, singleton_key) VALUES
        ($1, 'test-work', '{"n":1}', 'created', $2, 'k'),
        (gen_random_uuid(), 'test-work', '{"n":2}', 'retry', now(), NULL),
        (gen_random_uuid(), 'test-work', '{"n":3}', 'completed', now(), NULL),
        (gen_random_uuid(), 'gone-queue', '{"n":4}', 'created', now(), NULL)`,
      [keyed, later],
    )
    const jobs = createJobs({ executor: h.raw, catalog: testCatalog })
    await jobs.start({ workers: false })
    const moved = await jobs.boss.findJobs<{ n: number }>('test-work')
    expect(moved.map((j) => j.data.n).sort()).toEqual([1, 2])
    const first = moved.find((j) => j.id === keyed)!
    expect(first).toMatchObject({ state: 'created', singletonKey: 'k' })
    expect(Math.abs(new Date(first.startAfter).getTime() - later.getTime())).toBeLessThan(1_000)
    const schemas = await h.raw.executeSql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgboss%'")
    expect(schemas.rows.map((r) => r.nspname)).toEqual(['pgboss'])
    // The same key still deduplicates against the moved job.
    expect(await jobs.enqueue('test-work', { n: 9 }, { key: 'k' })).toBeNull()
    await jobs.stop()
    // Nothing left to hand over on the next start.
    const again = createJobs({ executor: h.raw, catalog: testCatalog })
    await again.start({ workers: false })
    expect(await again.boss.findJobs('test-work')).toHaveLength(2)
    await again.stop()
  })
})
