/**
 * The contract every event-log implementation meets, through the two interfaces only
 * (`EventLogSink` for a traffic pipeline, `EventLogConsumer` for a worker): run for real
 * against NATS JetStream (127.0.0.1:4222), and against Kafka only where a broker is named
 * in KAFKA_BROKERS — there is none on the development machine, so the Kafka suite is
 * skipped here and the Kafka implementation is untested against a broker.
 */
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createKafkaEventConsumer,
  createKafkaEventSink,
  createNatsEventConsumer,
  createNatsEventSink,
  createPipeline,
  type EventLogConsumer,
  type EventLogSink,
  kafkaBrokers,
  migrateClickHouse,
} from '../src/modules/analytics/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { countIn, removeTempDirs, silentLogger, tempDir } from './analytics.helpers.ts'
import { deleteStreams, events, NATS_URL, uniqueStream } from './eventlog.helpers.ts'

let h: ClickHouseHandle
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  h = await openClickHouse({ chDir: path.join(tempDir('evlog-contract-ch'), 'ch'), database: 'tf_evlog_c' })
  await migrateClickHouse(h)
})
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {})
})
afterAll(async () => {
  await h?.close()
  removeTempDirs()
})

/** One log (a fresh stream/topic) as seen through the interfaces. */
interface LogUnderTest {
  sink(): EventLogSink
  consumer(batchSize: number): EventLogConsumer
  /** Removes the stream/topic. */
  dispose(): Promise<void>
}

function contract(
  name: string,
  skipReason: string | null,
  open: (h: ClickHouseHandle) => LogUnderTest,
): void {
  describe.skipIf(skipReason !== null)(
    `event log contract: ${name}${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    () => {
      it('a pipeline committing into the sink, a consumer inserting: every event once; a replayed range adds nothing', async () => {
        const log = open(h)
        closers.push(() => log.dispose())
        const sink = log.sink()
        closers.push(() => sink.close())
        const p = createPipeline({
          queueMax: 10_000,
          batchSize: 300,
          flushMs: 20,
          logger: silentLogger,
          sink,
          spoolDir: tempDir('spool'),
        })
        closers.push(() => p.close())
        const ws = `ws-contract-${name}-${uniqueStream('x')}`
        for (const e of events(ws, 1000)) p.push(e)
        await p.flush()
        expect(p.stats().pending).toBe(0)
        expect(sink.stats()).toMatchObject({ kind: sink.kind, published: 1000, errors: 0 })
        const c = log.consumer(250)
        closers.push(() => c.stop())
        await c.start()
        await expect.poll(() => countIn(h, 'clicks', ws), { timeout: 20_000 }).toEqual({ n: 900, u: 900 })
        await expect
          .poll(() => countIn(h, 'trafficback', ws), { timeout: 20_000 })
          .toEqual({ n: 100, u: 100 })
        // A crash replay of a range already published: committed again with replay = true.
        const again = events(ws, 10).map((e) => Buffer.from(`${JSON.stringify(e)}\n`))
        await sink.commit('contract:1:0-10', { clicks: again.slice(0, 9), trafficback: again.slice(9) }, true)
        await expect.poll(() => c.stats().consumed, { timeout: 20_000 }).toBeGreaterThanOrEqual(1000)
        await new Promise((r) => setTimeout(r, 1500))
        await c.stop()
        expect(await countIn(h, 'clicks', ws)).toEqual({ n: 900, u: 900 })
        expect(await countIn(h, 'trafficback', ws)).toEqual({ n: 100, u: 100 })
        expect(c.stats()).toMatchObject({ kind: sink.kind, running: false, corrupt: 0 })
      })
    },
  )
}

contract('nats', null, (handle) => {
  const stream = uniqueStream()
  const common = { servers: NATS_URL, stream, dedupeWindowS: 600, logger: silentLogger }
  return {
    sink: () => createNatsEventSink(common),
    consumer: (batchSize) =>
      createNatsEventConsumer({ ...common, handle, batchSize, flushMs: 1000, ackWaitMs: 5000 }),
    dispose: () => deleteStreams([stream]),
  }
})

const brokers = process.env.KAFKA_BROKERS ?? ''
contract(
  'kafka',
  brokers === '' ? 'no Kafka broker on this machine; set KAFKA_BROKERS=host:port to run it' : null,
  (handle) => {
    const topic = `tfx-contract-${uniqueStream('t').toLowerCase()}`
    const common = { brokers: brokers === '' ? [] : kafkaBrokers(brokers), topic, logger: silentLogger }
    return {
      sink: () => createKafkaEventSink(common),
      consumer: (batchSize) =>
        createKafkaEventConsumer({ ...common, handle, batchSize, flushMs: 500, groupId: `g-${topic}` }),
      // Topics are left to the broker's retention (the test broker is disposable).
      dispose: async () => {},
    }
  },
)
