/**
 * The event log on NATS JetStream (README "Event log"): the publishing sink a traffic node's
 * pipeline commits into, and the durable pull consumer a worker inserts into ClickHouse from.
 *
 * Stream `<stream>`: subjects `<stream>.<table>` (e.g. `TFX_EVENTS.clicks`), file storage,
 * work-queue retention (a message is removed once the consumer acknowledged it: the log is
 * a buffer, not an archive), `duplicate_window` = the dedupe window. One message per event,
 * `Nats-Msg-Id` = `<table>:<key>` (click ID, visit ID, `click_id|ts` for lander clicks).
 */
import {
  AckPolicy,
  type ConsumerMessages,
  type Consumer as JsConsumer,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type PubAck,
  RetentionPolicy,
  type StreamInfo,
  StorageType,
} from '@nats-io/jetstream'
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node'
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { type Clock, type Random, systemClock, systemRandom } from '../../../platform/clock.ts'
import { retryDelayMs } from '../pipeline.policy.ts'
import type { TableLines } from '../pipeline.types.ts'
import { createClickHouseSink } from '../sink.clickhouse.ts'
import { emptyConsumerStats, insertBatch, wakeableSleep, zeroRows } from './eventlog.consume.ts'
import {
  type InRecord,
  messageId,
  outMessages,
  prepareBatch,
  REPLAY_HEADER,
  subjectOf,
} from './eventlog.lines.ts'
import type {
  EventLogConsumer,
  EventLogConsumerStats,
  EventLogConsumerTestHooks,
  EventLogError,
  EventLogLogger,
  EventLogSink,
  EventLogSinkStats,
} from './eventlog.types.ts'

const STREAM_NAME = /^[A-Za-z0-9_-]+$/

/** What a stream needs to be for the event log. */
export interface NatsStreamOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222` (config NATS_URL). */
  servers: string | string[]
  /** Stream name (config NATS_STREAM), `[A-Za-z0-9_-]+`. */
  stream: string
  /** Dedupe window in SECONDS (config NATS_DEDUPE_WINDOW_S). */
  dedupeWindowS: number
}

/**
 * Creates the stream if missing (subjects `<stream>.>`, file storage, work-queue retention,
 * `duplicate_window` = `dedupeWindowS`), or updates an existing one's duplicate window.
 * Safe to call from every node at once (an identical `add` is idempotent).
 * @returns the stream's info (its `created` time names this incarnation of the stream)
 * @throws JetStreamApiError when JetStream refuses (e.g. the name is taken by a stream with
 *   other subjects or another retention).
 */
export async function ensureNatsStream(
  jsm: JetStreamManager,
  stream: string,
  dedupeWindowS: number,
): Promise<StreamInfo> {
  const window = nanos(dedupeWindowS * 1000)
  try {
    const si = await jsm.streams.info(stream)
    if (si.config.duplicate_window !== window)
      return await jsm.streams.update(stream, { duplicate_window: window })
    return si
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err
  }
  return jsm.streams.add({
    name: stream,
    subjects: [`${stream}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    duplicate_window: window,
  })
}

const errorOf = (clock: Clock, err: unknown): EventLogError => ({
  at: clock.now().toISOString(),
  message: err instanceof Error ? err.message : String(err),
})

function checkStream(o: NatsStreamOptions): void {
  if (!STREAM_NAME.test(o.stream)) throw new Error(`invalid NATS stream name ${o.stream}`)
  if (!(o.dedupeWindowS >= 1)) throw new Error('dedupeWindowS must be at least 1 s')
}

// ------------------------------------------------------------------ publisher --------

/** Options of {@link createNatsEventSink}. */
export interface NatsEventSinkOptions extends NatsStreamOptions {
  /** Publishes awaiting their ack at once; default 1024. */
  maxInFlight?: number
  /** Per-publish ack timeout and connect timeout (ms); default 5000. */
  timeoutMs?: number
  /** Connection name shown by the server; default `traffoflex-traffic`. */
  name?: string
  logger: EventLogLogger
  clock?: Clock
}

/**
 * A pipeline sink publishing every event of a committed spool range to JetStream, one
 * message per event on `<stream>.<table>` with `Nats-Msg-Id = <table>:<key>`, at most
 * `maxInFlight` unacknowledged at a time; `commit` resolves once EVERY message was
 * acknowledged (so the pipeline releases the spool range only then) and rejects on the
 * first failure after the others settled (the pipeline retries the whole range; messages
 * already stored are dropped by the stream's dedupe window).
 *
 * Connects lazily on the first commit (a failed connect rejects that commit; the next one
 * tries again) and ensures the stream. Messages of a replay or of a retried range carry the
 * `Tfx-Replay` header: a copy published later than the dedupe window after the first is
 * stored twice in the stream, and the header tells the consumer to insert only rows
 * ClickHouse does not hold yet.
 * @throws Error (synchronously) on an invalid stream name or window.
 */
export function createNatsEventSink(opts: NatsEventSinkOptions): EventLogSink {
  checkStream(opts)
  const clock = opts.clock ?? systemClock
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1024)
  const timeoutMs = opts.timeoutMs ?? 5000
  const s: EventLogSinkStats = {
    kind: 'nats',
    commits: 0,
    published: 0,
    duplicates: 0,
    errors: 0,
    lastError: null,
  }
  let conn: Promise<{ nc: NatsConnection; js: JetStreamClient }> | null = null
  let ensured = false
  let lastFailedToken: string | null = null
  let closed = false

  async function connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (!conn) {
      conn = (async () => {
        const nc = await connect({
          servers: opts.servers,
          name: opts.name ?? 'traffoflex-traffic',
          timeout: timeoutMs,
          // Once connected, the client reconnects by itself forever; publishes meanwhile
          // time out and the pipeline retries the range.
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
        })
        return { nc, js: jetstream(nc, { timeout: timeoutMs }) }
      })()
      conn.catch(() => {
        conn = null
      })
    }
    const c = await conn
    if (!ensured) {
      await ensureNatsStream(
        await jetstreamManager(c.nc, { timeout: timeoutMs }),
        opts.stream,
        opts.dedupeWindowS,
      )
      ensured = true
    }
    return c
  }

  return {
    kind: 'nats',
    async commit(token: string, tables: TableLines, replay: boolean): Promise<void> {
      if (closed) throw new Error('NATS event sink is closed')
      const messages = outMessages(tables)
      const flagged = replay || token === lastFailedToken
      try {
        const { js } = await connection()
        let failure: unknown = null
        const inflight = new Set<Promise<void>>()
        for (const m of messages) {
          if (failure !== null) break
          // A fresh header set per message: publish adds Nats-Msg-Id to it.
          const hdrs = flagged ? headers() : undefined
          hdrs?.set(REPLAY_HEADER, '1')
          const p: Promise<void> = js
            .publish(subjectOf(opts.stream, m.table), m.row, {
              msgID: messageId(m),
              timeout: timeoutMs,
              ...(hdrs ? { headers: hdrs } : {}),
            })
            .then(
              (ack: PubAck) => {
                s.published++
                if (ack.duplicate) s.duplicates++
              },
              (err: unknown) => {
                failure ??= err
              },
            )
            .finally(() => inflight.delete(p))
          inflight.add(p)
          if (inflight.size >= maxInFlight) await Promise.race(inflight)
        }
        await Promise.all(inflight)
        if (failure !== null) throw failure
        lastFailedToken = null
        s.commits++
      } catch (err) {
        lastFailedToken = token
        // The stream may have been deleted (or the server replaced): check it again next time.
        ensured = false
        s.errors++
        s.lastError = errorOf(clock, err)
        throw err
      }
    },
    async close() {
      closed = true
      const c = conn
      conn = null
      if (!c) return
      try {
        await (await c).nc.drain()
      } catch {
        // Never connected, or already closed.
      }
    },
    stats: () => ({ ...s }),
  }
}

// ------------------------------------------------------------------ consumer ---------

/** Options of {@link createNatsEventConsumer}. */
export interface NatsEventConsumerOptions extends NatsStreamOptions {
  /** Where the events go (its `database` holds the event tables; migrated beforehand). */
  handle: ClickHouseHandle
  /** Durable consumer name shared by every worker; default `clickhouse`. */
  durable?: string
  /** Max messages per fetch = per insert; default 5000. */
  batchSize?: number
  /** Max wait (ms) for a batch to fill; at least 1000 (JetStream's minimum expiry); default 1000. */
  flushMs?: number
  /**
   * Redelivery delay (ms) of an unacknowledged message; default 120 000. A batch is
   * inserted and acknowledged well within it (insert retries extend it with `working()`).
   */
  ackWaitMs?: number
  /** Unacknowledged messages across all workers; default 4 × batchSize. */
  maxAckPending?: number
  /** Insert retry backoff: first delay and cap (ms); default 200 and 30 000. */
  retryBaseMs?: number
  retryMaxMs?: number
  name?: string
  logger: EventLogLogger
  clock?: Clock
  random?: Random
  testHooks?: EventLogConsumerTestHooks
}

class Killed extends Error {}

/**
 * A worker's loop from the stream into ClickHouse: a durable pull consumer (explicit ack,
 * `ackWaitMs`, `maxAckPending`; every worker uses the same durable and JetStream shares the
 * messages among them). Each round fetches up to `batchSize` messages (waiting up to
 * `flushMs`), validates and groups them by table, inserts each table with
 * `insert_deduplication_token = nats:<stream>:<created>:<firstSeq>-<lastSeq>:<table>` (the
 * stream's creation time in base 36, so a re-created stream, whose sequences restart at 1,
 * never matches an old token), and acknowledges every message only after the inserts
 * succeeded. A table with any redelivered message (or one published by a retry/replay)
 * inserts only the rows ClickHouse does not hold yet (looked up by key). Failed inserts are
 * retried with backoff, the same batch and token, keeping the messages (`working()`).
 */
export function createNatsEventConsumer(opts: NatsEventConsumerOptions): EventLogConsumer {
  checkStream(opts)
  const clock = opts.clock ?? systemClock
  const random = opts.random ?? systemRandom
  const log = opts.logger
  const durable = opts.durable ?? 'clickhouse'
  const batchSize = Math.max(1, opts.batchSize ?? 5000)
  const flushMs = Math.max(1000, opts.flushMs ?? 1000)
  const ackWaitMs = opts.ackWaitMs ?? 120_000
  const maxAckPending = opts.maxAckPending ?? 4 * batchSize
  const retryBaseMs = opts.retryBaseMs ?? 200
  const retryMaxMs = opts.retryMaxMs ?? 30_000
  const hooks = opts.testHooks ?? {}
  const clickhouse = createClickHouseSink(opts.handle)

  const s: EventLogConsumerStats = emptyConsumerStats('nats')
  let nc: NatsConnection | null = null
  let stopping = false
  let loop: Promise<void> | null = null
  let fetching: ConsumerMessages | null = null
  let infoAt = 0

  const fail = (err: unknown) => {
    s.errors++
    s.lastError = errorOf(clock, err)
    log.warn({ err: s.lastError.message, stream: opts.stream }, 'event log consumer error')
  }
  const { sleep, wake: wakeUp } = wakeableSleep()

  /** The stream (its incarnation tag) and our durable consumer, created if missing. */
  async function setup(c: NatsConnection): Promise<{ consumer: JsConsumer; tag: string }> {
    const jsm = await jetstreamManager(c)
    const si = await ensureNatsStream(jsm, opts.stream, opts.dedupeWindowS)
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: maxAckPending,
      filter_subject: `${opts.stream}.>`,
    }
    try {
      await jsm.consumers.info(opts.stream, durable)
      await jsm.consumers.update(opts.stream, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      })
    } catch {
      await jsm.consumers.add(opts.stream, config)
    }
    const consumer = await jetstream(c).consumers.get(opts.stream, durable)
    return { consumer, tag: Date.parse(si.created).toString(36) }
  }

  async function refreshInfo(consumer: JsConsumer): Promise<void> {
    const now = clock.now().getTime()
    if (now - infoAt < 1000) return
    infoAt = now
    try {
      const ci = await consumer.info(false)
      s.lag = ci.num_pending
      s.ackPending = ci.num_ack_pending
    } catch {
      // Stats only.
    }
  }

  /** Inserts one fetched batch (retrying) and acknowledges it; false when stopped before. */
  async function handle(msgs: JsMsg[], tag: string, c: NatsConnection): Promise<boolean> {
    const records: InRecord[] = msgs.map((m) => ({
      data: m.data,
      mayBeStored: m.info.deliveryCount > 1 || (m.headers?.has(REPLAY_HEADER) ?? false),
    }))
    const batch = prepareBatch(records)
    let first = msgs[0]!.seq
    let last = first
    for (const m of msgs) {
      if (m.seq < first) first = m.seq
      if (m.seq > last) last = m.seq
    }
    const tokenBase = `nats:${opts.stream}:${tag}:${first}-${last}`
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = zeroRows()
        const replayed = await insertBatch(clickhouse, tokenBase, batch, rows)
        try {
          await hooks.afterInsert?.({ first: String(first), last: String(last), messages: msgs.length })
        } catch (err) {
          throw new Killed(`killed by test hook: ${err instanceof Error ? err.message : String(err)}`)
        }
        for (const m of msgs) m.ack()
        // The acks are plain publishes: push them out before counting the batch as done.
        await c.flush()
        for (const t of batch.tables) s.rows[t.table] += rows[t.table]
        s.insertedBatches++
        if (replayed) s.replayedBatches++
        s.corrupt += batch.corrupt.length
        s.duplicates += batch.duplicates.length
        s.lastBatchAt = clock.now().toISOString()
        return true
      } catch (err) {
        if (err instanceof Killed) throw err
        fail(err)
        if (stopping) return false
        // Keep the messages ours while ClickHouse is retried: a redelivery elsewhere meanwhile
        // would race this insert.
        for (const m of msgs) m.working()
        await sleep(retryDelayMs(attempt, retryBaseMs, retryMaxMs, random.next()))
        if (stopping) return false
      }
    }
  }

  async function run(c: NatsConnection): Promise<void> {
    let consumer: JsConsumer | null = null
    let tag = ''
    for (let attempt = 1; !stopping; ) {
      try {
        if (!consumer) ({ consumer, tag } = await setup(c))
        const iter = await consumer.fetch({ max_messages: batchSize, expires: flushMs })
        fetching = iter
        const msgs: JsMsg[] = []
        try {
          for await (const m of iter) msgs.push(m)
        } finally {
          fetching = null
        }
        attempt = 1
        if (msgs.length > 0) {
          s.consumed += msgs.length
          if (!(await handle(msgs, tag, c))) return
        }
        await refreshInfo(consumer)
      } catch (err) {
        if (err instanceof Killed) throw err
        if (stopping) return
        fail(err)
        // The stream or the durable may be gone: set them up again.
        consumer = null
        await sleep(retryDelayMs(attempt++, retryBaseMs, retryMaxMs, random.next()))
      }
    }
  }

  return {
    kind: 'nats',
    async start() {
      if (loop) return
      stopping = false
      const c = await connect({
        servers: opts.servers,
        name: opts.name ?? 'traffoflex-worker',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      })
      try {
        const { consumer } = await setup(c)
        await refreshInfo(consumer)
      } catch (err) {
        await c.close()
        throw err
      }
      nc = c
      s.running = true
      loop = run(c)
        .catch(async (err) => {
          // Killed by the test hook: like a process death, nothing more is acknowledged.
          fail(err)
          await c.close().catch(() => {})
        })
        .finally(() => {
          s.running = false
        })
    },
    async stop() {
      stopping = true
      fetching?.stop()
      wakeUp()
      await loop
      loop = null
      const c = nc
      nc = null
      if (c && !c.isClosed()) await c.drain().catch(() => {})
    },
    stats: () => ({ ...s, rows: { ...s.rows } }),
  }
}
