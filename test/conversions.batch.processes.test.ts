/**
 * Group commit across two OS processes on PostgreSQL (issue 19): random interleavings of
 * duplicate, out-of-order and concurrent postbacks, split between this process's service
 * (its committer, its pool) and a committer in a child process (conversions.committer.child.ts,
 * its own pool and event loop), store exactly the conversions, revenue and events of
 * applying them one by one (fast-check), and every event reaches ClickHouse once through
 * this process's outbox sync, which runs alongside the child's transactions.
 *
 * The scenario generator, the one-by-one reference and the serial-order check are shared
 * with the in-process test (conversions.batch.test.ts) in conversions.interleavings.ts.
 * No timing is asserted: each run only waits for both sides' answers.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import { createConversionsService } from '../src/modules/conversions/index.ts'
import type { PostbackOutcome } from '../src/modules/conversions/conversions.core.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { removeTempDirs, tempDir } from './analytics.helpers.ts'
import { type Fixture, fixture, type Json } from './conversions.helpers.ts'
import {
  clickInfoOf,
  expandSteps,
  expectedConversions,
  type FromChild,
  fromChild,
  interleavingScenario,
  postbackParams,
  readStored,
  serialOrderProblems,
  storedConversions,
  type ToChild,
} from './conversions.interleavings.ts'
import { ROOT } from './helpers/server.ts'

const CHILD = path.join(ROOT, 'test', 'conversions.committer.child.ts')
/** Not a timing assertion: how long a reply may take before the test fails with the child's stderr instead of hanging. */
const REPLY_GUARD_MS = 60_000
/** Spacing of a scenario's send waves, ms (shapes interleavings; see `Step.wave`). */
const WAVE_MS = 5

/** The child committer process and its request/reply channel. */
interface CommitterChild {
  proc: ChildProcess
  /** Sends `m` and resolves with the child's next message, which must be of type `want`. */
  request<T extends FromChild['type']>(m: ToChild, want: T): Promise<Extract<FromChild, { type: T }>>
  /** Asks the child to leave and resolves with its exit code. */
  exit(): Promise<number | null>
  /** SIGKILL if still running (afterAll after a failure). */
  kill(): Promise<void>
}

/** Forks the child (`node --import tsx`) and waits for its `ready`. */
async function startChild(databaseUrl: string, networkId: string): Promise<CommitterChild> {
  const proc = fork(CHILD, [databaseUrl, networkId], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  proc.stderr!.on('data', (d) => {
    stderr += d
  })
  proc.stdout!.resume()
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  let waiter: { resolve(m: FromChild): void; reject(e: Error): void } | undefined
  const failWaiter = (why: string) => {
    const w = waiter
    waiter = undefined
    w?.reject(new Error(`${why}; child stderr:\n${stderr.slice(-4000)}`))
  }
  // e.g. a send after the channel closed: the reply's waiter fails, not the test worker.
  proc.on('error', (err) => failWaiter(`child process error: ${err.message}`))
  proc.on('message', (raw) => {
    const w = waiter
    waiter = undefined
    if (!w) return failWaiter(`unexpected message ${JSON.stringify(raw)}`)
    const parsed = fromChild.safeParse(raw)
    if (parsed.success) w.resolve(parsed.data)
    else w.reject(new Error(`bad message ${JSON.stringify(raw)}: ${parsed.error.message}`))
  })
  void exited.then((code) => failWaiter(`child exited (code ${code})`))
  const next = <T extends FromChild['type']>(want: T) =>
    new Promise<Extract<FromChild, { type: T }>>((resolve, reject) => {
      const guard = setTimeout(() => failWaiter(`no ${want} within ${REPLY_GUARD_MS} ms`), REPLY_GUARD_MS)
      waiter = {
        resolve: (m) => {
          clearTimeout(guard)
          if (m.type === want) resolve(m as Extract<FromChild, { type: T }>)
          else reject(new Error(`expected ${want}, got ${JSON.stringify(m)}`))
        },
        reject: (e) => {
          clearTimeout(guard)
          reject(e)
        },
      }
    })
  await next('ready')
  return {
    proc,
    request(m, want) {
      if (!proc.connected) return Promise.reject(new Error(`child gone; stderr:\n${stderr.slice(-4000)}`))
      const reply = next(want)
      proc.send(m)
      return reply
    },
    async exit() {
      if (proc.connected) proc.send({ type: 'exit' } satisfies ToChild)
      return exited
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
    },
  }
}

const committerOptions = fc.record({
  maxBatch: fc.constantFrom(1, 3, 8),
  concurrency: fc.constantFrom(1, 2),
  lingerMs: fc.constantFrom(0, 2),
})

describe('group commit across two processes on PostgreSQL', () => {
  let ch: ClickHouseHandle
  let f: Fixture
  let net: Json
  let child: CommitterChild | undefined
  const secret = 'pr0cess-s3cret'

  beforeAll(async () => {
    ch = await openClickHouse({ chDir: path.join(tempDir('conv-procs-ch'), 'ch'), database: 'tf_procs' })
    await migrateClickHouse(ch)
    f = await fixture('postgres', ch)
    net = await f.network(f.A.apiKey, { postback_secret: secret })
    child = await startChild(f.h.url!, net.id)
  })
  afterAll(async () => {
    // Before the database is dropped: the child's connections would hold it.
    await child?.kill()
    await f?.close()
    await ch?.close()
    removeTempDirs()
  })

  it('random interleavings split between this process and a child process store the one-by-one conversions, revenue and events (property)', async () => {
    const allClicks: string[] = []
    let run = 0
    let retries = 0
    let fallbacks = 0
    let postbacks = 0
    await fc.assert(
      fc.asyncProperty(
        interleavingScenario(30),
        committerOptions,
        committerOptions,
        async (steps, mine, theirs) => {
          run++
          const clicks = [0, 1, 2].map(() => f.click(f.A.workspaceId))
          const clickIds = clicks.map((c) => c.click_id)
          allClicks.push(...clickIds)
          const sends = expandSteps(steps, clickIds, net.id, `P${run}${randomBytes(3).toString('hex')}`)
          postbacks += sends.length
          const indexed = sends.map((s, i) => ({ s, i }))
          const ours = indexed.filter((x) => x.s.first)
          const theirsItems = indexed.filter((x) => !x.s.first)

          const service = createConversionsService({
            db: f.h.db,
            clickhouse: ch,
            recentClicks: f.recentClicks,
            networkCacheMs: 60_000,
            batchMax: mine.maxBatch,
            batchConcurrency: mine.concurrency,
            batchLingerMs: mine.lingerMs,
          })
          const send = (params: Record<string, string>) =>
            service.handlePostback({
              method: 'GET',
              rawQuery: new URLSearchParams({ network: net.id, secret, ...params }).toString(),
              headers: {},
              ip: '10.0.0.1',
            })
          try {
            // Warm the network cache, so our postbacks reach the queue in one turn.
            expect((await send({ subid: 'warm-up' })).outcome).toBe('malformed')
            await child!.request(
              {
                type: 'arm',
                run,
                options: theirs,
                clicks: clicks.map(clickInfoOf),
                items: theirsItems.map(({ s, i }) => ({
                  i,
                  params: postbackParams(s),
                  delayMs: s.wave * WAVE_MS,
                })),
              },
              'armed',
            )
            const outcomes: (PostbackOutcome | 'no answer')[] = sends.map(() => 'no answer')
            const errors: string[] = []
            // Go: both sides' first waves start together, later waves meet rows the other
            // side is changing; the outbox sync claims alongside.
            const theirsDone = child!.request({ type: 'go', run }, 'done')
            const syncing = service.syncPendingConversionEvents()
            const [done] = await Promise.all([
              theirsDone,
              ...ours.map(async ({ s, i }) => {
                if (s.wave > 0) await sleep(s.wave * WAVE_MS)
                const r = await send(postbackParams(s))
                outcomes[i] = r.outcome
                if (r.httpStatus >= 500) errors.push(`ours #${i}: ${r.reason}`)
              }),
            ])
            await syncing
            for (const a of done.answers) {
              outcomes[a.i] = a.outcome
              if (a.error !== undefined) errors.push(`theirs #${a.i}: ${a.error}`)
            }
            expect(errors).toEqual([])
            // The child's first wave was queued in one turn, so its first batch is as large as
            // allowed (later waves can only add to it): the child really batched.
            const firstWave = theirsItems.filter((x) => x.s.wave === 0).length
            expect(done.stats.maxBatch).toBeGreaterThanOrEqual(Math.min(theirs.maxBatch, firstWave))
            retries += done.stats.retries + service.stats().batches.retries
            fallbacks += done.stats.fallbacks + service.stats().batches.fallbacks

            const stored = await readStored(f.h.raw, clickIds)
            // The conversions (status, payout, revenue per click / transaction ID) of one-by-one application…
            const expected = expectedConversions(sends)
            expect(storedConversions(stored)).toEqual(expected)
            expect(stored.conversions.reduce((n, c) => n + c.revenueMicros, 0)).toBe(
              expected.reduce((n, c) => n + c.revenueMicros, 0),
            )
            // …their events and every answer those of one serial order…
            expect(serialOrderProblems(sends, outcomes, stored)).toEqual([])
            // …and every request its log row.
            expect(stored.logRows).toBe(sends.length)
          } finally {
            await service.stop()
          }
        },
      ),
      { numRuns: 12 },
    )
    expect(await child!.exit()).toBe(0)
    child = undefined

    // Every event, the child's included, reached ClickHouse exactly once.
    const sync = createConversionsService({ db: f.h.db, clickhouse: ch, syncLeaseMs: 0 })
    await sync.syncPendingConversionEvents()
    await sync.stop()
    const [pg] = (
      await f.h.raw.executeSql(
        `SELECT count(*) AS n FROM conversion_events e JOIN conversions c ON c.id = e.conversion_id
          WHERE c.click_id = ANY($1)`,
        [allClicks],
      )
    ).rows
    const rs = await ch.client.query({
      query: `SELECT count() AS n, uniqExact(conversion_id, seq) AS u FROM tf_procs.conversions WHERE has({ids:Array(String)}, click_id)`,
      query_params: { ids: allClicks },
      format: 'JSONEachRow',
    })
    const [inCh] = await rs.json<Json>()
    expect(Number(pg!.n)).toBeGreaterThan(0)
    expect([Number(inCh!.n), Number(inCh!.u)]).toEqual([Number(pg!.n), Number(pg!.n)])
    console.log(
      `two processes: ${run} runs, ${postbacks} postbacks, ${retries} batch retries (deadlocks), ${fallbacks} row-by-row fallbacks`,
    )
  }, 180_000)
})
