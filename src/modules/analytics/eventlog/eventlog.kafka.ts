/**
 * The event log on Kafka (`@platformatic/kafka`), behind the same two interfaces as NATS
 * (`eventlog.types.ts`). UNTESTED AGAINST A BROKER: there is none on the development machine;
 * it type-checks against the client and the shared contract test runs it only when
 * KAFKA_BROKERS is set in the test environment (README "Event log").
 *
 * Topic `<topic>` (config KAFKA_TOPIC), one record per event, key `<table>:<key>` (so one
 * event always lands in one partition), value the JSONEachRow row, header `Tfx-Replay` on
 * records of a retried or replayed range. Kafka has no message-ID dedupe window: the
 * idempotent producer only drops its own retries within a session, so every republished
 * range is in the topic twice and the consumer's lookup of stored keys keeps ClickHouse exact.
 */
import {
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { type Clock, type Random, systemClock, systemRandom } from '../../../platform/clock.ts'
import { retryDelayMs } from '../pipeline.policy.ts'
import type { TableLines } from '../pipeline.types.ts'
import { createClickHouseSink } from '../sink.clickhouse.ts'
import { emptyConsumerStats, insertBatch, wakeableSleep, zeroRows } from './eventlog.consume.ts'
import { type InRecord, messageId, outMessages, prepareBatch, REPLAY_HEADER } from './eventlog.lines.ts'
import type {
  EventLogConsumer,
  EventLogConsumerStats,
  EventLogConsumerTestHooks,
  EventLogError,
  EventLogLogger,
  EventLogSink,
  EventLogSinkStats,
} from './eventlog.types.ts'

const TOPIC = /^[A-Za-z0-9._-]+$/

/**
 * Brokers of config KAFKA_BROKERS (`host:port,host:port`) as a list.
 * @throws Error when the list is empty.
 */
export function kafkaBrokers(csv: string): string[] {
  const list = csv
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '')
  if (list.length === 0) throw new Error('KAFKA_BROKERS is empty')
  return list
}

const errorOf = (clock: Clock, err: unknown): EventLogError => ({
  at: clock.now().toISOString(),
  message: err instanceof Error ? err.message : String(err),
})

function checkTopic(topic: string): void {
  if (!TOPIC.test(topic)) throw new Error(`invalid Kafka topic ${topic}`)
}

/** Options of {@link createKafkaEventSink}. */
export interface KafkaEventSinkOptions {
  brokers: string[]
  topic: string
  /** Records per produce request (one request in flight); default 1000. */
  maxInFlight?: number
  /** Request timeout (ms); default 5000. */
  timeoutMs?: number
  clientId?: string
  logger: EventLogLogger
  clock?: Clock
}

/**
 * A pipeline sink producing every event of a committed range to `topic` with an idempotent
 * producer and `acks = all`; `commit` resolves once every record was acknowledged and
 * rejects on the first failure (the pipeline retries the range). Untested against a broker.
 * @throws Error (synchronously) on an invalid topic name.
 */
export function createKafkaEventSink(opts: KafkaEventSinkOptions): EventLogSink {
  checkTopic(opts.topic)
  const clock = opts.clock ?? systemClock
  const chunk = Math.max(1, opts.maxInFlight ?? 1000)
  const s: EventLogSinkStats = {
    kind: 'kafka',
    commits: 0,
    published: 0,
    duplicates: 0,
    errors: 0,
    lastError: null,
  }
  let producer: Producer | null = null
  let lastFailedToken: string | null = null
  let closed = false

  return {
    kind: 'kafka',
    async commit(token: string, tables: TableLines, replay: boolean): Promise<void> {
      if (closed) throw new Error('Kafka event sink is closed')
      const messages = outMessages(tables)
      const flagged = replay || token === lastFailedToken
      try {
        producer ??= new Producer({
          clientId: opts.clientId ?? 'traffoflex-traffic',
          bootstrapBrokers: opts.brokers,
          idempotent: true,
          acks: ProduceAcks.ALL,
          timeout: opts.timeoutMs ?? 5000,
          autocreateTopics: true,
        })
        for (let i = 0; i < messages.length; i += chunk) {
          const part = messages.slice(i, i + chunk)
          await producer.send({
            messages: part.map((m) => ({
              topic: opts.topic,
              key: Buffer.from(messageId(m)),
              value: m.row,
              ...(flagged ? { headers: new Map([[Buffer.from(REPLAY_HEADER), Buffer.from('1')]]) } : {}),
            })),
          })
          s.published += part.length
        }
        lastFailedToken = null
        s.commits++
      } catch (err) {
        lastFailedToken = token
        s.errors++
        s.lastError = errorOf(clock, err)
        throw err
      }
    },
    async close() {
      closed = true
      await producer?.close()
      producer = null
    },
    stats: () => ({ ...s }),
  }
}

/** Options of {@link createKafkaEventConsumer}. */
export interface KafkaEventConsumerOptions {
  brokers: string[]
  topic: string
  handle: ClickHouseHandle
  /** Consumer group shared by every worker; default `clickhouse`. */
  groupId?: string
  /** Max records per insert; default 5000. */
  batchSize?: number
  /** Max wait (ms) for a batch to fill; default 1000. */
  flushMs?: number
  retryBaseMs?: number
  retryMaxMs?: number
  clientId?: string
  logger: EventLogLogger
  clock?: Clock
  random?: Random
  testHooks?: EventLogConsumerTestHooks
}

/**
 * A worker's loop from `topic` into ClickHouse in consumer group `groupId`: batches of up to
 * `batchSize` records (or what came within `flushMs`), inserted with
 * `insert_deduplication_token = kafka:<topic>:<p>.<first>-<last>[:…]:<table>` from each
 * partition's offset range, offsets committed only after the inserts succeeded. The first
 * batch of every partition after a (re)assignment, and records with `Tfx-Replay`, insert
 * only the rows ClickHouse does not hold (a previous owner may have inserted them without
 * committing). Untested against a broker.
 */
export function createKafkaEventConsumer(opts: KafkaEventConsumerOptions): EventLogConsumer {
  checkTopic(opts.topic)
  const clock = opts.clock ?? systemClock
  const random = opts.random ?? systemRandom
  const log = opts.logger
  const batchSize = Math.max(1, opts.batchSize ?? 5000)
  const flushMs = Math.max(10, opts.flushMs ?? 1000)
  const retryBaseMs = opts.retryBaseMs ?? 200
  const retryMaxMs = opts.retryMaxMs ?? 30_000
  const hooks = opts.testHooks ?? {}
  const clickhouse = createClickHouseSink(opts.handle)
  const s: EventLogConsumerStats = emptyConsumerStats('kafka')
  let consumer: Consumer | null = null
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null
  let loop: Promise<void> | null = null
  let stopping = false
  let buffered: Message[] = []
  /** Partitions whose first batch since the last (re)assignment was inserted. */
  const settled = new Set<number>()
  let lagAt = 0

  const fail = (err: unknown) => {
    s.errors++
    s.lastError = errorOf(clock, err)
    log.warn({ err: s.lastError.message, topic: opts.topic }, 'event log consumer error')
  }
  const { sleep, wake: wakeUp } = wakeableSleep()

  async function insertAndCommit(msgs: Message[]): Promise<boolean> {
    const ranges = new Map<number, { first: bigint; last: Message }>()
    for (const m of msgs) {
      const r = ranges.get(m.partition)
      if (!r) ranges.set(m.partition, { first: m.offset, last: m })
      else if (m.offset > r.last.offset) r.last = m
    }
    const records: InRecord[] = msgs.map((m) => ({
      data: m.value,
      mayBeStored: !settled.has(m.partition),
    }))
    // Header keys are Buffers: Map.has compares them by identity, so compare contents.
    for (let i = 0; i < msgs.length; i++) {
      for (const k of msgs[i]!.headers.keys())
        if (k.toString() === REPLAY_HEADER) records[i]!.mayBeStored = true
    }
    const batch = prepareBatch(records)
    const parts = [...ranges.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([p, r]) => `${p}.${r.first}-${r.last.offset}`)
    const tokenBase = `kafka:${opts.topic}:${parts.join(':')}`
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = zeroRows()
        const replayed = await insertBatch(clickhouse, tokenBase, batch, rows)
        await hooks.afterInsert?.({
          first: parts[0] ?? '',
          last: parts[parts.length - 1] ?? '',
          messages: msgs.length,
        })
        for (const r of ranges.values()) await r.last.commit()
        for (const p of ranges.keys()) settled.add(p)
        for (const t of batch.tables) s.rows[t.table] += rows[t.table]
        s.insertedBatches++
        if (replayed) s.replayedBatches++
        s.corrupt += batch.corrupt.length
        s.duplicates += batch.duplicates.length
        s.lastBatchAt = clock.now().toISOString()
        return true
      } catch (err) {
        fail(err)
        if (stopping) return false
        await sleep(retryDelayMs(attempt, retryBaseMs, retryMaxMs, random.next()))
        if (stopping) return false
      }
    }
  }

  async function refreshLag(c: Consumer): Promise<void> {
    const now = clock.now().getTime()
    if (now - lagAt < 1000) return
    lagAt = now
    try {
      const lag = await c.getLag({ topics: [opts.topic] })
      let total = 0n
      for (const parts of lag.values()) for (const l of parts) if (l > 0n) total += l
      s.lag = Number(total)
    } catch {
      // Stats only.
    }
  }

  async function run(c: Consumer, st: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    while (!stopping) {
      if (buffered.length < batchSize) await sleep(flushMs)
      if (buffered.length === 0) {
        await refreshLag(c)
        continue
      }
      const msgs = buffered.splice(0, batchSize)
      if (buffered.length < batchSize && st.isPaused()) st.resume()
      s.consumed += msgs.length
      if (!(await insertAndCommit(msgs))) return
      await refreshLag(c)
    }
  }

  return {
    kind: 'kafka',
    async start() {
      if (loop) return
      stopping = false
      const c = new Consumer({
        clientId: opts.clientId ?? 'traffoflex-worker',
        groupId: opts.groupId ?? 'clickhouse',
        bootstrapBrokers: opts.brokers,
      })
      // A rebalance may hand us partitions another worker inserted without committing.
      c.on('consumer:group:join', () => settled.clear())
      c.on('consumer:group:rebalance', () => settled.clear())
      const st = await c.consume({
        topics: [opts.topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
        maxWaitTime: flushMs,
      })
      st.on('data', (m: Message) => {
        buffered.push(m)
        if (buffered.length >= batchSize) {
          st.pause()
          wakeUp()
        }
      })
      st.on('error', (err: unknown) => fail(err))
      consumer = c
      stream = st
      s.running = true
      loop = run(c, st).finally(() => {
        s.running = false
      })
    },
    async stop() {
      stopping = true
      wakeUp()
      await loop
      loop = null
      await stream?.close().catch(() => {})
      await consumer?.close().catch(() => {})
      stream = null
      consumer = null
      // Uncommitted records are read again by the next owner of their partitions.
      buffered = []
    },
    stats: () => ({ ...s, rows: { ...s.rows } }),
  }
}
