/**
 * The event log on NATS JetStream, end to end with the real server (127.0.0.1:4222, or a
 * private nats-server where the test takes the server away) and embedded chDB: a traffic
 * pipeline publishes, consumers insert, and every event is stored exactly once through
 * outages, a consumer killed between insert and ack, concurrent consumers and republishes.
 */
import type { ChildProcess } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createNatsEventConsumer,
  createNatsEventSink,
  createPipeline,
  type EventLogConsumer,
  type EventLogSink,
  migrateClickHouse,
  type NatsEventConsumerOptions,
  type Pipeline,
} from '../src/modules/analytics/index.ts'
import { serializeEvent } from '../src/modules/analytics/serialize.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { countIn, removeTempDirs, silentLogger, tempDir } from './analytics.helpers.ts'
import {
  deleteStreams,
  events,
  freePort,
  NATS_URL,
  natsDir,
  startNatsServer,
  stopProcess,
  streamMessages,
  uniqueStream,
} from './eventlog.helpers.ts'

let h: ClickHouseHandle
const streams: string[] = []
const closers: (() => Promise<unknown>)[] = []
const servers: ChildProcess[] = []

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('evlog-ch'), 'ch'), database: 'tf_evlog' })
  await migrateClickHouse(h)
})
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {})
  for (const s of servers.splice(0)) await stopProcess(s)
  await deleteStreams(streams.splice(0))
})
afterAll(async () => {
  await h?.close()
  removeTempDirs()
})

const pipeBase = {
  queueMax: 100_000,
  batchSize: 400,
  flushMs: 20,
  logger: silentLogger,
  retryBaseMs: 20,
  retryMaxMs: 200,
}

function stream(): string {
  const s = uniqueStream()
  streams.push(s)
  return s
}

function sink(name: string, over: Partial<Parameters<typeof createNatsEventSink>[0]> = {}): EventLogSink {
  const s = createNatsEventSink({
    servers: NATS_URL,
    stream: name,
    dedupeWindowS: 600,
    logger: silentLogger,
    ...over,
  })
  closers.push(() => s.close())
  return s
}

function trafficPipeline(s: EventLogSink, spoolDir = tempDir('spool')): Pipeline {
  // A traffic node: no ClickHouse handle at all.
  const p = createPipeline({ ...pipeBase, sink: s, spoolDir })
  closers.push(() => p.close())
  return p
}

function consumer(name: string, over: Partial<NatsEventConsumerOptions> = {}): EventLogConsumer {
  const c = createNatsEventConsumer({
    servers: NATS_URL,
    stream: name,
    dedupeWindowS: 600,
    handle: h,
    batchSize: 500,
    flushMs: 1000,
    ackWaitMs: 3000,
    retryBaseMs: 20,
    retryMaxMs: 200,
    logger: silentLogger,
    ...over,
  })
  closers.push(() => c.stop())
  return c
}

/** Waits until `table` holds `n` rows of `ws`, then checks that every row is distinct. */
async function expectExactly(ws: string, clicks: number, tb: number): Promise<void> {
  await expect.poll(() => countIn(h, 'clicks', ws), { timeout: 20_000 }).toEqual({ n: clicks, u: clicks })
  await expect.poll(() => countIn(h, 'trafficback', ws), { timeout: 20_000 }).toEqual({ n: tb, u: tb })
}

describe('event log on NATS JetStream', () => {
  it('a traffic pipeline without ClickHouse publishes; a worker stores every event exactly once', async () => {
    const name = stream()
    const s = sink(name)
    const p = trafficPipeline(s)
    const ws = `ws-nats-${name}`
    const evs = events(ws, 2000)
    for (let i = 0; i < evs.length; i += 50) expect(p.pushMany(evs.slice(i, i + 50))).toBe(true)
    await p.flush()
    // Released from the spool only now that every message is acknowledged by the stream.
    expect(p.stats()).toMatchObject({
      pending: 0,
      pushed: 2000,
      inserted: { clicks: 1800, trafficback: 200 },
    })
    expect(s.stats()).toMatchObject({ published: 2000, duplicates: 0, errors: 0 })
    expect(await streamMessages(name)).toBe(2000)

    const c = consumer(name)
    await c.start()
    await expectExactly(ws, 1800, 200)
    await expect.poll(() => c.stats().lag).toBe(0)
    await c.stop()
    expect(c.stats()).toMatchObject({ consumed: 2000, rows: { clicks: 1800, trafficback: 200 }, corrupt: 0 })
    // Work-queue retention: acknowledged messages leave the stream.
    expect(await streamMessages(name)).toBe(0)
  })

  it('NATS down: nothing leaves the spool; once it is up, the backlog (and a kill -9 of the server mid-publish) arrives exactly once', async () => {
    const port = await freePort()
    const dir = natsDir()
    const url = `nats://127.0.0.1:${port}`
    const name = uniqueStream()
    const s = sink(name, { servers: url, timeoutMs: 1000 })
    const spoolDir = tempDir('spool')
    const p = trafficPipeline(s, spoolDir)
    const ws = `ws-down-${name}`
    for (const e of events(ws, 500)) p.push(e)
    await expect(p.flush()).rejects.toThrow()
    await new Promise((r) => setTimeout(r, 300))
    expect(p.stats()).toMatchObject({ pending: 500 })
    expect(p.stats().insertErrors).toBeGreaterThan(0)
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.jsonl')).length).toBeGreaterThan(0)

    // The server comes up: the pipeline's retries publish the backlog.
    let server = await startNatsServer(port, dir)
    servers.push(server)
    await expect.poll(() => p.stats().pending, { timeout: 15_000 }).toBe(0)

    // More events, and the server is killed while they are being published, then restarted.
    for (const e of events(ws, 1500, 500)) p.push(e)
    await new Promise((r) => setTimeout(r, 15))
    expect(p.stats().pending).toBeGreaterThan(0)
    await stopProcess(server, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 300))
    server = await startNatsServer(port, dir)
    servers.push(server)
    await expect.poll(() => p.stats().pending, { timeout: 20_000 }).toBe(0)

    const c = consumer(name, { servers: url })
    await c.start()
    await expectExactly(ws, 1800, 200)
    await c.stop()
  })

  it('a consumer killed between insert and ack: the batch is redelivered and still stored once', async () => {
    const name = stream()
    const p = trafficPipeline(sink(name))
    const ws = `ws-kill-${name}`
    for (const e of events(ws, 1000)) p.push(e)
    await p.flush()

    const dying = consumer(name, {
      batchSize: 300,
      testHooks: {
        afterInsert() {
          throw new Error('kill')
        },
      },
    })
    await dying.start()
    await expect.poll(() => dying.stats().running).toBe(false)
    expect(dying.stats().lastError?.message).toMatch(/killed by test hook/)
    // The killed batch is in ClickHouse without its acks.
    const inserted = (await countIn(h, 'clicks', ws)).n + (await countIn(h, 'trafficback', ws)).n
    expect(inserted).toBe(300)

    // Another worker with other batch boundaries takes over; the 300 come back after ack_wait.
    const next = consumer(name, { batchSize: 170 })
    await next.start()
    await expectExactly(ws, 900, 100)
    await expect.poll(() => next.stats().replayedBatches, { timeout: 15_000 }).toBeGreaterThan(0)
    await expect.poll(() => next.stats().ackPending, { timeout: 15_000 }).toBe(0)
    await next.stop()
    expect(next.stats().consumed).toBeGreaterThanOrEqual(1000)
    await expectExactly(ws, 900, 100)
  })

  it('two workers on the same durable share the stream and store every event once', async () => {
    const name = stream()
    const p = trafficPipeline(sink(name))
    const ws = `ws-two-${name}`
    for (const e of events(ws, 3000)) p.push(e)
    await p.flush()
    const a = consumer(name, { batchSize: 100 })
    const b = consumer(name, { batchSize: 130 })
    await Promise.all([a.start(), b.start()])
    await expectExactly(ws, 2700, 300)
    await Promise.all([a.stop(), b.stop()])
    expect(a.stats().consumed + b.stats().consumed).toBe(3000)
    expect(a.stats().consumed).toBeGreaterThan(0)
    expect(b.stats().consumed).toBeGreaterThan(0)
  })

  it('republishing within the dedupe window stores nothing twice in the stream; after it, the consumer keeps ClickHouse exact', async () => {
    const name = stream()
    const s = sink(name, { dedupeWindowS: 1 })
    const ws = `ws-repub-${name}`
    const rows = events(ws, 200, 0, 1_000_000).map((e) => Buffer.from(`${serializeEvent(e)}\n`))
    const tables = { clicks: [Buffer.concat(rows)] }
    await s.commit('spool:1:0-100', tables, false)
    await s.commit('spool:1:0-100', tables, true)
    expect(s.stats()).toMatchObject({ published: 400, duplicates: 200 })
    expect(await streamMessages(name)).toBe(200)
    // Later than the window: the stream takes every event a second time (flagged as a replay).
    await new Promise((r) => setTimeout(r, 1300))
    await s.commit('spool:1:0-100', tables, true)
    expect(await streamMessages(name)).toBe(400)

    const c = consumer(name, { batchSize: 60 })
    await c.start()
    await expect.poll(() => c.stats().consumed, { timeout: 20_000 }).toBe(400)
    await expect.poll(() => c.stats().ackPending).toBe(0)
    await c.stop()
    expect(await countIn(h, 'clicks', ws)).toEqual({ n: 200, u: 200 })
    expect(c.stats().replayedBatches).toBeGreaterThan(0)
  })
})
