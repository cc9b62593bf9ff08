/**
 * The click pipeline against embedded chDB: counts, retries, backpressure, segment
 * rotation, torn lines and the exactly-once commit protocol. (The kill -9 test with a
 * child process is in analytics.crash.test.ts: chDB binds one data dir per process.)
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPipeline, migrateClickHouse, type PipelineEvent } from '../src/modules/analytics/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { manualClock } from '../src/platform/clock.ts'
import {
  click,
  countIn,
  rows,
  removeTempDirs,
  silentLogger,
  tempDir,
  trafficback,
} from './analytics.helpers.ts'

let h: ClickHouseHandle

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('pipe-ch'), 'ch'), database: 'tf_pipe' })
  await migrateClickHouse(h)
})
afterAll(async () => {
  await h?.close()
  removeTempDirs()
})

const base = {
  queueMax: 100_000,
  batchSize: 500,
  flushMs: 20,
  logger: silentLogger,
  retryBaseMs: 10,
  retryMaxMs: 50,
}

function events(ws: string, n: number, every = 10): PipelineEvent[] {
  return Array.from({ length: n }, (_, i) =>
    i % every === every - 1
      ? trafficback({ click_id: `${ws}-${i}`, workspace_id: ws })
      : click({ click_id: `${ws}-${i}`, workspace_id: ws }),
  )
}

/** A handle whose inserts fail according to `plan` (before or after actually inserting). */
function flaky(plan: (table: string) => 'ok' | 'fail-before' | 'fail-after'): ClickHouseHandle {
  const real = h.client
  // Ingestion errors are written with `client.insert`.
  const client = new Proxy(real, {
    get(target, prop) {
      if (prop === 'insert') {
        return async (params: Parameters<typeof real.insert>[0]) => {
          const mode = plan(params.table)
          if (mode === 'fail-before') throw new Error('simulated outage')
          const res = await target.insert(params)
          if (mode === 'fail-after') throw new Error('simulated lost response')
          return res
        }
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
  // Event batches go through `insertJsonEachRow`.
  const insertJsonEachRow: ClickHouseHandle['insertJsonEachRow'] = async (table, rows, settings) => {
    const mode = plan(table)
    if (mode === 'fail-before') throw new Error('simulated outage')
    await h.insertJsonEachRow(table, rows, settings)
    if (mode === 'fail-after') throw new Error('simulated lost response')
  }
  return { ...h, client, insertJsonEachRow }
}

describe('click pipeline', () => {
  it('stores every pushed event once, clicks and trafficback in their tables', async () => {
    const spoolDir = tempDir('spool')
    const p = createPipeline({ ...base, handle: h, spoolDir })
    expect(await p.recover()).toBe(0)
    const evs = events('ws-count', 2000)
    for (const e of evs) expect(p.push(e)).toBe(true)
    await p.flush()
    expect(await countIn(h, 'clicks', 'ws-count')).toEqual({ n: 1800, u: 1800 })
    expect(await countIn(h, 'trafficback', 'ws-count')).toEqual({ n: 200, u: 200 })
    const s = p.stats()
    expect(s).toMatchObject({
      pushed: 2000,
      inserted: { clicks: 1800, trafficback: 200 },
      pending: 0,
      queued: 0,
    })
    expect(s.batches).toBeGreaterThanOrEqual(4)
    // Column values survive the round trip.
    const [row] = await rows<Record<string, unknown>>(
      h,
      `SELECT ts, ip, is_unique, cost_micros, country FROM tf_pipe.clicks WHERE click_id = 'ws-count-0'`,
    )
    expect({ ...row, cost_micros: Number(row?.cost_micros) }).toEqual({
      ts: '2024-06-01 12:00:00.000',
      ip: '203.0.113.7',
      is_unique: 1,
      cost_micros: 1500,
      country: 'DE',
    })
    await p.close()
    // Closing left no segment behind: everything was committed.
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl'))).toEqual([])
  })

  it('replays nothing twice: a second pipeline on the same spool recovers 0', async () => {
    const spoolDir = tempDir('spool')
    const p1 = createPipeline({ ...base, handle: h, spoolDir })
    for (const e of events('ws-twice', 300)) p1.push(e)
    await p1.flush()
    await p1.close()
    const p2 = createPipeline({ ...base, handle: h, spoolDir })
    expect(await p2.recover()).toBe(0)
    await p2.flush()
    await p2.close()
    expect(await countIn(h, 'clicks', 'ws-twice')).toEqual({ n: 270, u: 270 })
  })

  it('keeps events in the spool while ClickHouse fails and stores them once on the next start', async () => {
    const spoolDir = tempDir('spool')
    const down = createPipeline({
      ...base,
      handle: flaky(() => 'fail-before'),
      spoolDir,
      closeTimeoutMs: 200,
    })
    for (const e of events('ws-down', 400)) expect(down.push(e)).toBe(true)
    await expect(down.flush()).rejects.toThrow('simulated outage')
    const s = down.stats()
    expect(s.insertErrors).toBeGreaterThan(0)
    expect(s.lastError).toMatchObject({ stage: 'insert', message: 'simulated outage' })
    expect(s.pending).toBe(400)
    await down.close()
    expect(await countIn(h, 'clicks', 'ws-down')).toEqual({ n: 0, u: 0 })

    const up = createPipeline({ ...base, handle: h, spoolDir })
    expect(up.stats().recovering).toBe(true)
    expect(await up.recover()).toBe(400)
    await up.flush()
    expect(await countIn(h, 'clicks', 'ws-down')).toEqual({ n: 360, u: 360 })
    expect(await countIn(h, 'trafficback', 'ws-down')).toEqual({ n: 40, u: 40 })
    await up.close()
  })

  it('retries a batch whose insert landed but whose answer was lost without duplicating it', async () => {
    const spoolDir = tempDir('spool')
    let failures = 0
    const handle = flaky((table) => {
      if (table.includes('ingestion_errors')) return 'ok'
      return failures++ < 3 ? 'fail-after' : 'ok'
    })
    const p = createPipeline({ ...base, handle, spoolDir, batchSize: 100 })
    for (const e of events('ws-lost', 250)) p.push(e)
    await expect(p.flush()).rejects.toThrow('simulated lost response')
    // flush rejects on each failed attempt; the pipeline keeps retrying in the background.
    for (let i = 0; ; i++) {
      try {
        await p.flush()
        break
      } catch (err) {
        if (i > 10) throw err
      }
    }
    expect(await countIn(h, 'clicks', 'ws-lost')).toEqual({ n: 225, u: 225 })
    expect(await countIn(h, 'trafficback', 'ws-lost')).toEqual({ n: 25, u: 25 })
    expect(p.stats().insertErrors).toBe(3)
    await p.close()
    // The failures reached ingestion_errors, folded into one row per episode.
    const errs = await rows<{ stage: string; attempts: number; events: number }>(
      h,
      `SELECT stage, attempts, events FROM tf_pipe.ingestion_errors WHERE error = 'simulated lost response'`,
    )
    expect(errs.reduce((a, r) => a + Number(r.attempts), 0)).toBe(3)
    expect(errs[0]).toMatchObject({ stage: 'insert', events: 100 })
  })

  it('survives a crash between insert and commit: the intent is replayed with its token, not doubled', async () => {
    const spoolDir = tempDir('spool')
    let frozen = false
    // The first batch inserts, then the pipeline "dies" before recording the commit.
    const p1 = createPipeline({
      ...base,
      handle: h,
      spoolDir,
      batchSize: 120,
      testHooks: {
        afterInsert: () => {
          frozen = true
          return new Promise<void>(() => {})
        },
      },
    })
    for (const e of events('ws-intent', 300)) p1.push(e)
    await expect.poll(() => frozen).toBe(true)
    const cp = JSON.parse(readFileSync(path.join(spoolDir, 'checkpoint.json'), 'utf8'))
    expect(cp.intent).toMatchObject({ start: 0 })
    expect(cp.intent.end).toBeGreaterThan(0)
    // The batch is in ClickHouse although the checkpoint says it is only intended.
    expect((await countIn(h, 'clicks', 'ws-intent')).n).toBe(108)

    const p2 = createPipeline({ ...base, handle: h, spoolDir })
    expect(await p2.recover()).toBe(300)
    await p2.flush()
    expect(await countIn(h, 'clicks', 'ws-intent')).toEqual({ n: 270, u: 270 })
    expect(await countIn(h, 'trafficback', 'ws-intent')).toEqual({ n: 30, u: 30 })
    await p2.close()
  })

  it('a crash inside ClickHouse that left the intent token recorded without its rows loses nothing', async () => {
    const spoolDir = tempDir('spool')
    let frozen = false
    const p1 = createPipeline({
      ...base,
      handle: h,
      spoolDir,
      batchSize: 120,
      testHooks: {
        afterInsert: () => {
          frozen = true
          return new Promise<void>(() => {})
        },
      },
    })
    for (const e of events('ws-ghost', 300)) p1.push(e)
    await expect.poll(() => frozen).toBe(true)
    const cp = JSON.parse(readFileSync(path.join(spoolDir, 'checkpoint.json'), 'utf8'))
    const token = `${cp.spoolId}:${cp.intent.seg}:${cp.intent.start}-${cp.intent.end}`
    // The batch's clicks landed; its trafficback rows did not, yet the table's deduplication
    // log holds the token (as a kill between ClickHouse's log write and part commit leaves it).
    await h.client.command({
      query: `ALTER TABLE tf_pipe.trafficback DELETE WHERE workspace_id = 'ws-ghost' SETTINGS mutations_sync = 1`,
    })
    await h.insertJsonEachRow(
      'tf_pipe.trafficback',
      Buffer.from(
        `${JSON.stringify({ click_id: 'ghost', workspace_id: 'ws-ghost-other', ts: Date.now() })}\n`,
      ),
      { insert_deduplicate: 1, insert_deduplication_token: token, input_format_skip_unknown_fields: 1 },
    )
    expect((await countIn(h, 'trafficback', 'ws-ghost')).n).toBe(0)
    expect((await countIn(h, 'clicks', 'ws-ghost')).n).toBe(108)

    const p2 = createPipeline({ ...base, handle: h, spoolDir })
    expect(await p2.recover()).toBe(300)
    await p2.flush()
    expect(await countIn(h, 'clicks', 'ws-ghost')).toEqual({ n: 270, u: 270 })
    expect(await countIn(h, 'trafficback', 'ws-ghost')).toEqual({ n: 30, u: 30 })
    await p2.close()
  })

  it('spills to disk when the queue is full, rotates segments and deletes committed ones', async () => {
    const spoolDir = tempDir('spool')
    const clock = manualClock('2024-06-01T00:00:00Z')
    const p = createPipeline({
      ...base,
      handle: h,
      spoolDir,
      clock,
      queueMax: 50,
      batchSize: 200,
      segmentMaxBytes: 64 * 1024,
      segmentMaxAgeMs: 60_000,
    })
    for (const e of events('ws-spill', 1500)) expect(p.push(e)).toBe(true)
    const s1 = p.stats()
    expect(s1.queued).toBe(50)
    expect(s1.backpressure).toBe(1450)
    expect(s1.spilling).toBe(true)
    expect(s1.segments).toBeGreaterThan(5)
    await p.flush()
    expect(await countIn(h, 'clicks', 'ws-spill')).toEqual({ n: 1350, u: 1350 })
    expect(p.stats()).toMatchObject({ spilling: false, pending: 0, segments: 1 })
    // Back to memory mode after catching up.
    p.push(click({ click_id: 'ws-spill-late', workspace_id: 'ws-spill' }))
    expect(p.stats().queued).toBe(1)
    // Age-based rotation: an old non-empty segment is closed, then deleted once committed.
    clock.advance(61_000)
    await p.flush()
    await expect.poll(() => p.stats().segments).toBe(1)
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1)
    expect(await countIn(h, 'clicks', 'ws-spill')).toEqual({ n: 1351, u: 1351 })
    await p.close()
  })

  it('queues a group commit of mixed tables as runs, cut where the queue fills up', async () => {
    const spoolDir = tempDir('spool')
    const p = createPipeline({ ...base, handle: h, spoolDir, queueMax: 50, batchSize: 20 })
    const evs = events('ws-runs', 120) // clicks with every tenth a trafficback
    expect(p.pushMany(evs.slice(0, 45))).toBe(true)
    expect(p.stats()).toMatchObject({ queued: 45, spilling: false })
    expect(p.pushMany(evs.slice(45))).toBe(true)
    expect(p.stats()).toMatchObject({ queued: 50, backpressure: 70, spilling: true })
    await p.flush()
    const tb = evs.filter((e) => e.type === 'trafficback').length
    expect(await countIn(h, 'clicks', 'ws-runs')).toEqual({ n: 120 - tb, u: 120 - tb })
    expect(await countIn(h, 'trafficback', 'ws-runs')).toEqual({ n: tb, u: tb })
    expect(p.stats()).toMatchObject({
      pushed: 120,
      inserted: { clicks: 120 - tb, trafficback: tb },
      pending: 0,
    })
    await p.close()
  })

  it('finds a click by ID and time while queued, in flight and after its insert, and nothing else', async () => {
    const spoolDir = tempDir('spool')
    let release = () => {}
    let inFlight = false
    const p = createPipeline({
      ...base,
      handle: h,
      spoolDir,
      flushMs: 600_000,
      batchSize: 1000,
      testHooks: {
        // The batch is in ClickHouse's hands but not committed: still found, from the batch.
        afterInsert: () => {
          inFlight = true
          return new Promise<void>((r) => {
            release = r
          })
        },
      },
    })
    const t0 = Date.parse('2024-06-01T12:00:00Z')
    const target = click({ click_id: 'ws-find-7', workspace_id: 'ws-find', ts: t0 + 7, sub1: 'kw "7"\n' })
    // A value that spells the target's ID field must not be taken for it.
    const decoy = click({
      click_id: 'ws-find-d',
      workspace_id: 'ws-find',
      ts: t0 + 7,
      sub2: '"click_id":"ws-find-7",',
    })
    const tb = trafficback({ click_id: 'ws-find-7', workspace_id: 'ws-find', ts: t0 + 7 })
    p.pushMany([click({ click_id: 'ws-find-1', workspace_id: 'ws-find', ts: t0 + 1 }), decoy, tb])
    p.pushMany([target, click({ click_id: 'ws-find-9', workspace_id: 'ws-find', ts: t0 + 9 })])
    expect(p.findRecentClick('ws-find-7', t0 + 7)).toEqual(target)
    expect(p.findRecentClick('ws-find-1', t0 + 1)).toMatchObject({ click_id: 'ws-find-1', ts: t0 + 1 })
    // Outside the time of any queued run, or an ID that was never pushed.
    expect(p.findRecentClick('ws-find-7', t0 + 100)).toBeUndefined()
    expect(p.findRecentClick('ws-find-x', t0 + 7)).toBeUndefined()

    const flushed = p.flush()
    await expect.poll(() => inFlight).toBe(true)
    expect(p.stats().queued).toBe(0)
    expect(p.findRecentClick('ws-find-7', t0 + 7)).toEqual(target)
    release()
    await flushed
    // Inserted, and still held among the recent click runs.
    expect(p.findRecentClick('ws-find-7', t0 + 7)).toEqual(target)
    expect(p.findRecentClick('ws-find-7', t0 + 100)).toBeUndefined()
    expect(await countIn(h, 'clicks', 'ws-find')).toEqual({ n: 4, u: 4 })
    await p.close()
  })

  it('keeps inserted click runs up to recentClickBytes, dropping the oldest first', async () => {
    const t0 = Date.parse('2024-06-01T12:00:00Z')
    const at = (i: number) => click({ click_id: `ws-recent-${i}`, workspace_id: 'ws-recent', ts: t0 + i })
    const line = Buffer.byteLength(`${JSON.stringify(at(0))}\n`)
    // Room for about three one-click runs.
    const p = createPipeline({
      ...base,
      handle: h,
      spoolDir: tempDir('spool'),
      recentClickBytes: line * 3 + 10,
    })
    for (let i = 0; i < 6; i++) {
      p.pushMany([at(i)])
      await p.flush()
    }
    const held = [0, 1, 2, 3, 4, 5].filter((i) => p.findRecentClick(`ws-recent-${i}`, t0 + i))
    expect(held).toEqual([3, 4, 5])
    await p.close()

    const none = createPipeline({ ...base, handle: h, spoolDir: tempDir('spool'), recentClickBytes: 0 })
    none.pushMany([at(9)])
    expect(none.findRecentClick('ws-recent-9', t0 + 9)).toMatchObject({ click_id: 'ws-recent-9' })
    await none.flush()
    expect(none.findRecentClick('ws-recent-9', t0 + 9)).toBeUndefined()
    await none.close()
  })

  it('does not find clicks that live on disk only (backpressure)', async () => {
    const p = createPipeline({
      ...base,
      handle: h,
      spoolDir: tempDir('spool'),
      queueMax: 2,
      flushMs: 600_000,
    })
    const evs = [0, 1, 2].map((i) => click({ click_id: `ws-disk-${i}`, workspace_id: 'ws-disk' }))
    expect(p.pushMany(evs)).toBe(true)
    expect(p.stats()).toMatchObject({ queued: 2, spilling: true })
    expect(p.findRecentClick('ws-disk-1', evs[1]!.ts)).toMatchObject({ click_id: 'ws-disk-1' })
    expect(p.findRecentClick('ws-disk-2', evs[2]!.ts)).toBeUndefined()
    await p.flush()
    await p.close()
  })

  it('skips a torn last line and corrupt lines of a crashed run, counting them', async () => {
    const spoolDir = tempDir('spool')
    const down = createPipeline({
      ...base,
      handle: flaky(() => 'fail-before'),
      spoolDir,
      closeTimeoutMs: 100,
    })
    for (let i = 0; i < 3; i++) down.push(click({ click_id: `ws-torn-${i}`, workspace_id: 'ws-torn' }))
    await down.close()
    const seg = readdirSync(spoolDir).find((f) => f.endsWith('.jsonl'))!
    // A line that is not an event, one more good event, then half an event (a torn write).
    appendFileSync(path.join(spoolDir, seg), '{"not":"an event"}\n')
    appendFileSync(
      path.join(spoolDir, seg),
      `${JSON.stringify(click({ click_id: 'ws-torn-3', workspace_id: 'ws-torn' }))}\n`,
    )
    appendFileSync(
      path.join(spoolDir, seg),
      JSON.stringify(click({ click_id: 'ws-torn-4', workspace_id: 'ws-torn' })).slice(0, 40),
    )

    const p = createPipeline({ ...base, handle: h, spoolDir })
    expect(await p.recover()).toBe(4)
    expect(p.stats()).toMatchObject({ tornLines: 1, corruptLines: 1 })
    expect(await countIn(h, 'clicks', 'ws-torn')).toEqual({ n: 4, u: 4 })
    await p.close()
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl'))).toEqual([])
  })

  it('refuses a spool locked by another live process and a push after close', async () => {
    const spoolDir = tempDir('spool')
    writeFileSync(path.join(spoolDir, 'lock'), String(process.ppid))
    expect(() => createPipeline({ ...base, handle: h, spoolDir })).toThrow(/in use by process/)
    writeFileSync(path.join(spoolDir, 'lock'), '999999999')
    const p = createPipeline({ ...base, handle: h, spoolDir })
    await p.close()
    expect(p.push(click({ click_id: 'late' }))).toBe(false)
    expect(p.stats().spoolWriteErrors).toBe(1)
  })

  it('keeps push cheap', async () => {
    const p = createPipeline({ ...base, handle: h, spoolDir: tempDir('spool'), flushMs: 1000 })
    const evs = events('ws-speed', 5000)
    const t0 = performance.now()
    for (const e of evs) p.push(e)
    const perEventUs = ((performance.now() - t0) * 1000) / evs.length
    // Measured ~5-15 µs per event (JSON.stringify + one writeSync); the bound only catches
    // an accidental await or fsync on the hot path.
    expect(perEventUs).toBeLessThan(500)
    await p.flush()
    await p.close()
  })
})
