/**
 * Types of the click pipeline (`pipeline.ts`): its public surface (options, stats, the
 * `Pipeline` interface) and the internal shapes its parts share (queued runs, batches,
 * ingestion error rows).
 */
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import type { Clock, Random } from '../../platform/clock.ts'
import type { Logger } from '../../platform/logger.ts'
import type { ClickEvent, LanderClickEvent, PipelineEvent } from './events.ts'
import type { IngestionErrorRow } from './queries/ingestion-errors.ts'
import type { SegmentRange } from './spool.ts'

/** Log methods the pipeline uses (a pino logger fits). */
export type PipelineLogger = Pick<Logger, 'info' | 'warn' | 'error'>

/** Test-only seams into the commit protocol. */
export interface PipelineTestHooks {
  /**
   * Runs after a batch's inserts succeeded and before its commit is recorded. A promise
   * that never settles freezes the pipeline at exactly that instant, like a crash.
   */
  afterInsert?(range: SegmentRange): void | Promise<void>
}

/**
 * Options of {@link createPipeline}. At least one of `handle` and `sink` is required: without
 * a `sink` the pipeline commits into ClickHouse through `handle` (the default); with a sink
 * that is not ClickHouse (a traffic node publishing to the event log) `handle` may be left
 * out, and then ingestion errors are only counted and logged, not written to
 * `<db>.ingestion_errors` (the pipeline needs ClickHouse for nothing else).
 */
export type PipelineOptions = PipelineBaseOptions &
  ({ handle: ClickHouseHandle; sink?: EventSink } | { handle?: ClickHouseHandle; sink: EventSink })

/** The options of {@link PipelineOptions} besides `handle` and `sink`. */
export interface PipelineBaseOptions {
  /** Spool directory, owned by this process (locked). */
  spoolDir: string
  /** Events held in memory before spilling to disk-only mode (backpressure). */
  queueMax: number
  /** Max events per insert. */
  batchSize: number
  /** Max time (ms) an event waits in memory before its batch is inserted. */
  flushMs: number
  /**
   * Bytes of inserted click lines kept in memory for {@link Pipeline.findRecentClick}
   * (oldest dropped first); default 64 MiB (~90,000 clicks); 0 keeps none.
   */
  recentClickBytes?: number
  logger: PipelineLogger
  /**
   * Source of every time the pipeline reads (flush interval, segment age, error timestamps,
   * log rate limit); default system clock. Timers still wait in real time: a clock that
   * stands still only delays time-driven flushes, `flush()` always takes a batch.
   */
  clock?: Clock
  /** Source of the insert retry jitter; default `Math.random`. */
  random?: Random
  /** Rotate the write segment past this many bytes; default 64 MiB. */
  segmentMaxBytes?: number
  /** Rotate a non-empty write segment older than this (ms); default 60 s. */
  segmentMaxAgeMs?: number
  /** Insert retry backoff: first delay and cap (ms); default 200 and 30 000. */
  retryBaseMs?: number
  retryMaxMs?: number
  /** fsync the checkpoint on every write (power-loss safety); default true. */
  fsync?: boolean
  /** Upper bound (ms) for the final flush in `close()`; default 10 000. */
  closeTimeoutMs?: number
  /** Node label written to ingestion errors; default `<hostname>:<pid>`. */
  node?: string
  testHooks?: PipelineTestHooks
}

/** A failure as reported by `stats().lastError`. */
export interface PipelineError {
  /** ISO time of the failure. */
  at: string
  /** `insert` | `spool_write` | `spool_read` | `serialize` */
  stage: string
  message: string
}

/** Counters of {@link Pipeline.stats}; counts are events unless named otherwise. */
export interface PipelineStats {
  /** Random id of the spool (prefix of every deduplication token). */
  spoolId: string
  /** Events held in memory. */
  queued: number
  queueMax: number
  /** True while new events go to disk only (queue was full, or a backlog is replayed). */
  spilling: boolean
  /** True until the backlog found at start-up is committed. */
  recovering: boolean
  /** Spool lines not yet committed to ClickHouse (includes the replay backlog). */
  pending: number
  /** Spool bytes not yet committed. */
  pendingBytes: number
  /** Segment files on disk. */
  segments: number
  /** Events accepted by `push` since start. */
  pushed: number
  /** Rows inserted since start, per table (replays that ClickHouse deduplicated included). */
  inserted: { clicks: number; trafficback: number; visits: number; lander_clicks: number }
  /** Batches committed since start. */
  batches: number
  /** Events re-inserted from the backlog found at start-up. */
  recovered: number
  /** Events not kept in memory because the queue was full (read back from the spool later). */
  backpressure: number
  /** Incomplete last lines skipped in segments of a crashed run. */
  tornLines: number
  /** Spool lines that were not a storable event (skipped, logged). */
  corruptLines: number
  /** `push` calls that returned false (spool write or serialization failed: event lost). */
  spoolWriteErrors: number
  /** Failed insert attempts (each retried). */
  insertErrors: number
  /** All failures of any stage. */
  errors: number
  lastError: PipelineError | null
  /** ISO time of the last committed batch. */
  lastCommitAt: string | null
}

/** The click pipeline. See the module doc for the protocol. */
export interface Pipeline {
  /**
   * Spools `event` synchronously and queues it for insertion. Never awaits, never throws.
   * Takes ownership of `event` (do not mutate it afterwards).
   * @returns false only when the event could not be written to the spool (disk full,
   *   closed pipeline, unserialisable event): that event is lost and counted.
   */
  push(event: PipelineEvent): boolean
  /**
   * Like `push` for several events with a single spool write (group commit); all or none
   * are accepted. Synchronous.
   */
  pushMany(events: readonly PipelineEvent[]): boolean
  /**
   * Resolves once every event pushed before the call is committed to ClickHouse.
   * @throws (rejects with) the insert error if an attempt fails meanwhile; the pipeline
   *   keeps retrying in the background.
   */
  flush(): Promise<void>
  /**
   * Stops the flusher after a final flush bounded by `closeTimeoutMs`, closes the spool
   * and releases its lock. Anything not committed stays in the spool for the next start.
   * Does not close the ClickHouse handle.
   */
  close(): Promise<void>
  /** Snapshot of the counters. */
  stats(): PipelineStats
  /**
   * Resolves with the number of events replayed from the spool left by a previous run
   * (the in-flight intent range first, with its original token), once that backlog is
   * committed. The replay starts by itself when the pipeline is created; this only waits.
   * Resolves early (with the count so far) if the pipeline is closed first.
   */
  recover(): Promise<number>
  /**
   * Sets (or clears, with null) the one listener told of every event `push`/`pushMany`
   * accepted: called synchronously once per group commit with that call's events (the same
   * objects — read them, never mutate them). It runs on the redirect path, so it must be
   * cheap (keep references, do the work later); it is only set while someone listens (the
   * live feed, `live.ts`). A throwing listener is ignored.
   */
  setListener(listener: PipelineListener | null): void
  /**
   * The click `clickId` (whose ID embeds `clickMs`, epoch ms) if this process served it
   * lately: read back from the spooled bytes the pipeline holds anyway (queued, in the batch
   * being inserted) and from the last `recentClickBytes` of inserted click lines. No
   * per-click object is kept for this: the bytes are the group commits' own buffers, one
   * entry per run. Only runs whose events' `ts` range covers `clickMs` are searched (one
   * `indexOf` each), so an older click costs a loop over the entries and nothing more.
   * Clicks that lived on disk only (backpressure, a replayed backlog) are not found; a
   * caller then asks ClickHouse.
   */
  findRecentClick(clickId: string, clickMs: number): ClickEvent | undefined
  /**
   * The first lander CTA click (`lander_click`) of click `clickId` (served at `clickMs`) this
   * process holds, the same way as {@link findRecentClick}: a conversion credits the offer the
   * lander sent the visitor to. Undefined when not held (then ask ClickHouse).
   */
  findRecentLanderClick(clickId: string, clickMs: number): LanderClickEvent | undefined
}

/** See {@link Pipeline.setListener}. */
export type PipelineListener = (events: readonly PipelineEvent[]) => void

/** The ClickHouse table a spooled event goes to. */
export type EventTable = 'clicks' | 'trafficback' | 'visits' | 'lander_clicks'

/** Every {@link EventTable}, in the order a commit writes them. */
export const EVENT_TABLES: readonly EventTable[] = ['clicks', 'trafficback', 'visits', 'lander_clicks']

/**
 * Per table, newline-terminated JSONEachRow rows (the spool's own bytes). A buffer may hold
 * several rows (a group commit's run), except in a replay, where each holds exactly one.
 */
export type TableLines = Partial<Record<EventTable, readonly Buffer[]>>

/**
 * Where the pipeline commits a spool range: ClickHouse (`createClickHouseSink`, the default)
 * or an event log (`createNatsEventSink`, `createKafkaEventSink`) that workers insert from.
 * The pipeline advances its watermark, releasing the range from the spool, only once
 * `commit` resolved; a rejection is retried with backoff, with the same token and lines.
 */
export interface EventSink {
  /** `clickhouse` | `nats` | `kafka` (for logs and stats). */
  readonly kind: string
  /**
   * Stores `tables` durably and idempotently: committing the same token and lines again
   * (a retry, a replay) must not store them twice.
   * @param token the range's deduplication token `<spoolId>:<seg>:<start>-<end>`
   * @param replay the range may be partly stored already (a crash between the insert and
   *   the watermark): lines are one row each and only the missing ones should be stored
   * @throws (rejects with) anything: the pipeline retries the range later
   */
  commit(token: string, tables: TableLines, replay: boolean): Promise<void>
  /** Releases the sink's own connections (not a handle it was given). */
  close(): Promise<void>
}

/**
 * Spooled events of one table as ClickHouse-ready JSON lines (see serialize.ts), kept in
 * memory until inserted. The hot path queues one per table run of a group commit, not one
 * per event: these live about a flush interval, long enough to be promoted to V8's old
 * generation, so per-event objects here turned into major-GC pauses on the redirect.
 */
export interface Line {
  table: EventTable
  /** `rows` JSONEachRow rows, each with its trailing newline, as UTF-8 bytes (a view into the spooled buffer). */
  bytes: Buffer
  rows: number
  /** Smallest and largest event `ts` (epoch ms) among the rows: a click is looked for only where it can be. */
  minTs: number
  maxTs: number
}

export interface Entry extends Line {
  seg: number
  start: number
  end: number
}

export interface Batch extends SegmentRange {
  events: Line[]
  /** Spool lines covered (corrupt ones included). */
  lines: number
  /** Inserted with the token of a range found in the checkpoint's intent. */
  replay: boolean
  /** From a previous run's segments. */
  backlog: boolean
  /** First line of the range, for error samples. */
  sample: string
  /** Taken from the in-memory queue (its runs are kept for findRecentClick once inserted). */
  fromQueue: boolean
}

/** A row of `<db>.ingestion_errors` (the shape the report query reads back). */
export type ErrorRow = IngestionErrorRow
