/**
 * Retention of the postback log (POSTBACK_LOG_RETENTION_DAYS): rows older than the period
 * go, in bounded batches, on PGlite and PostgreSQL; newer rows, rows of every workspace and
 * of none (unknown network), and the conversions they point at are otherwise untouched. The
 * scheduled job runs it through pg-boss like the server does.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { registerPostbackLogRetention } from '../src/modules/conversions/index.ts'
import { prunePostbackLog } from '../src/modules/conversions/postback-log.retention.ts'
import { manualClock } from '../src/platform/clock.ts'
import { JOB_CATALOG } from '../src/platform/jobs/jobs.catalog.ts'
import { createJobs } from '../src/platform/jobs/jobs.ts'
import { until } from './postbacks-out.helpers.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

const NOW = '2026-06-01T12:00:00.000Z'
const DAY = 86_400_000

type Handle = Awaited<ReturnType<typeof throwawayDb>>

/** Inserts `n` log rows of `workspaceId` (null = unknown network), the i-th received `ageDays(i)` days before NOW. */
async function logRows(h: Handle, workspaceId: string | null, n: number, ageDays: (i: number) => number) {
  const values = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.parse(NOW) - ageDays(i) * DAY).toISOString()
    return sql`(gen_random_uuid(), ${at}, ${workspaceId}, 'GET', 'unknown_network', 404)`
  })
  await h.db.execute(
    sql`INSERT INTO postback_log (id, received_at, workspace_id, method, outcome, http_status) VALUES ${sql.join(values, sql`, `)}`,
  )
}

async function ages(h: Handle): Promise<number[]> {
  const r = (await h.db.execute(
    sql`SELECT received_at FROM postback_log ORDER BY received_at DESC`,
  )) as unknown as { rows: { received_at: string | Date }[] }
  return r.rows.map((x) => Math.round((Date.parse(NOW) - new Date(x.received_at).getTime()) / DAY))
}

describe('POSTBACK_LOG_RETENTION_DAYS', () => {
  it('defaults to 90 and must be a positive integer', () => {
    expect(loadConfig({}).POSTBACK_LOG_RETENTION_DAYS).toBe(90)
    expect(loadConfig({ POSTBACK_LOG_RETENTION_DAYS: '7' }).POSTBACK_LOG_RETENTION_DAYS).toBe(7)
    expect(() => loadConfig({ POSTBACK_LOG_RETENTION_DAYS: '0' })).toThrow(/POSTBACK_LOG_RETENTION_DAYS/)
    expect(() => loadConfig({ POSTBACK_LOG_RETENTION_DAYS: 'x' })).toThrow(/POSTBACK_LOG_RETENTION_DAYS/)
  })
})

describe.each(['pglite', 'postgres'] as const)('postback log retention on %s', (kind) => {
  let h: Handle
  let workspaceId = ''

  beforeAll(async () => {
    h = await throwawayDb(kind)
    workspaceId = (await createWorkspaceWithKey(h.db)).workspaceId
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('deletes rows older than the period in bounded batches, oldest first', async () => {
    // 0 … 119 days old, half of them with no workspace (unknown network).
    await logRows(h, workspaceId, 60, (i) => i * 2)
    await logRows(h, null, 60, (i) => i * 2 + 1)
    const clock = manualClock(NOW)
    const opts = { db: h.db, retentionDays: 90, clock, batchSize: 7 }

    // Ages 91 … 119 are older than 90 days: 29 rows. Two batches of 7 per run at most.
    const first = await prunePostbackLog({ ...opts, maxBatches: 2 })
    expect(first).toMatchObject({ deleted: 14, batches: 2, done: false })
    expect(first.cutoff.toISOString()).toBe(new Date(Date.parse(NOW) - 90 * DAY).toISOString())
    // The oldest went first.
    expect(Math.max(...(await ages(h)))).toBe(119 - 14)

    const rest = await prunePostbackLog({ ...opts, maxBatches: 100 })
    expect(rest).toMatchObject({ deleted: 15, batches: 3, done: true })
    const left = await ages(h)
    expect(left).toHaveLength(120 - 29)
    // A row exactly 90 days old is kept (strictly older rows go).
    expect(Math.max(...left)).toBe(90)

    // Nothing left to do: one empty batch.
    expect(await prunePostbackLog({ ...opts })).toMatchObject({ deleted: 0, batches: 1, done: true })
  })

  it('stops between batches when the job is aborted', async () => {
    await logRows(h, null, 20, () => 200)
    const ac = new AbortController()
    ac.abort()
    const r = await prunePostbackLog({ db: h.db, retentionDays: 90, clock: manualClock(NOW) }, ac.signal)
    expect(r).toMatchObject({ deleted: 0, batches: 0, done: false })
    expect((await ages(h)).filter((a) => a === 200)).toHaveLength(20)
  })

  it('runs as the scheduled pg-boss job', async () => {
    const jobs = createJobs({ executor: h.raw, catalog: JOB_CATALOG, pollIntervalMs: 50 })
    registerPostbackLogRetention(jobs, { db: h.db, retentionDays: 90, clock: manualClock(NOW) })
    try {
      // start() enqueues the current hourly slot at once.
      await jobs.start()
      await until('the retention job deleted the old rows', async () => {
        const a = await ages(h)
        return a.length > 0 && a.every((x) => x <= 90)
      })
      expect(await ages(h)).toHaveLength(120 - 29)
    } finally {
      await jobs.stop()
    }
  })
})
