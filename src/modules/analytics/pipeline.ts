/**
 * The click pipeline: redirect hot path → spool → ClickHouse, with nothing lost and
 * nothing stored twice.
 *
 * - `push` (synchronous) appends the event to the spool with `writeSync` and, while there
 *   is room, keeps it in a bounded in-memory queue. Once it returns, a `kill -9` cannot
 *   lose the event. When the queue is full the event lives on disk only ("spilling") and
 *   the flusher re-reads it from the spool later.
 * - One flusher loop takes contiguous byte ranges of one segment as batches, strictly in
 *   spool order, one batch in flight at a time, and commits each with this protocol:
 *     1. checkpoint ← intent (segment, start, end)            [tmp + fsync + rename]
 *     2. INSERT per table with insert_deduplication_token = "<spool>:<seg>:<start>-<end>"
 *     3. checkpoint ← committed watermark = (segment, end), intent cleared
 *   On restart the intent range is re-inserted first with the same token (ClickHouse
 *   drops it if step 2 had landed), then everything after it. Ranges after the intent
 *   were never inserted, so any batching of them is safe.
 * - Failed inserts are retried with exponential backoff; the events stay in the spool.
 *   Failures are counted in `stats()` and written to `<db>.ingestion_errors` when
 *   ClickHouse accepts them.
 * - Segments rotate by size and age and are deleted once wholly committed.
 */
import { hostname } from 'node:os'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Logger } from '../../platform/logger.ts'
import type { ClickEvent, PipelineEvent } from './events.ts'
import { assertIdentifier, chDateTime } from './migrate.ts'
import { isStorableEvent, serializeEvent } from './serialize.ts'
import { type Checkpoint, comparePos, type SegmentRange, Spool, type SpoolPos } from './spool.ts'

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

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  handle: ClickHouseHandle
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
  /** Source of timestamps (ingestion errors, segment age); default system clock. */
  clock?: Clock
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
  inserted: { clicks: number; trafficback: number }
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
}

/** See {@link Pipeline.setListener}. */
export type PipelineListener = (events: readonly PipelineEvent[]) => void

/**
 * Spooled events of one table as ClickHouse-ready JSON lines (see serialize.ts), kept in
 * memory until inserted. The hot path queues one per table run of a group commit, not one
 * per event: these live about a flush interval, long enough to be promoted to V8's old
 * generation, so per-event objects here turned into major-GC pauses on the redirect.
 */
interface Line {
  table: 'clicks' | 'trafficback'
  /** `rows` JSONEachRow rows, each with its trailing newline, as UTF-8 bytes (a view into the spooled buffer). */
  bytes: Buffer
  rows: number
  /** Smallest and largest event `ts` (epoch ms) among the rows: a click is looked for only where it can be. */
  minTs: number
  maxTs: number
}

interface Entry extends Line {
  seg: number
  start: number
  end: number
}

interface Batch extends SegmentRange {
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

interface ErrorRow {
  ts: string
  node: string
  stage: string
  error: string
  events: number
  attempts: number
  sample: string
}

class Stopped extends Error {}

/**
 * One buffer reused for every insert payload. A fresh `Buffer.concat` of a second's clicks
 * (~7 MB at 10,000 clicks/s) touched every page of a new allocation: ~4 ms of page faults
 * on the event loop once per flush, which showed in the redirect's p99. Safe because the
 * flusher has one insert in flight at a time and the engine is done with the bytes when
 * the insert resolves.
 */
function insertBuffer(): { fill(pieces: readonly Buffer[]): Buffer } {
  let buf = Buffer.allocUnsafeSlow(0)
  return {
    fill(pieces) {
      let size = 0
      for (const p of pieces) size += p.length
      if (size > buf.length) buf = Buffer.allocUnsafeSlow(Math.max(size, Math.ceil(buf.length * 1.5)))
      let at = 0
      for (const p of pieces) at += p.copy(buf, at)
      return buf.subarray(0, size)
    },
  }
}

const rowsOf = (lines: readonly Line[]): number => {
  let n = 0
  for (const l of lines) n += l.rows
  return n
}

const SAMPLE_MAX = 2000
const ERROR_ROWS_MAX = 100

/**
 * Creates the pipeline: opens (and locks) the spool, starts a new write segment and the
 * flusher, which first replays whatever a previous run left in the spool.
 * Call `migrateClickHouse` before, so the tables exist (inserts are retried until they do).
 * @throws Error when the spool directory cannot be opened or is locked by another process.
 */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const clock = opts.clock ?? systemClock
  const log = opts.logger
  const db = assertIdentifier(opts.handle.database)
  const client = opts.handle.client
  const batchSize = Math.max(1, opts.batchSize)
  const queueMax = Math.max(1, opts.queueMax)
  const segmentMaxBytes = opts.segmentMaxBytes ?? 64 * 1024 * 1024
  const segmentMaxAgeMs = opts.segmentMaxAgeMs ?? 60_000
  const retryBaseMs = opts.retryBaseMs ?? 200
  const retryMaxMs = opts.retryMaxMs ?? 30_000
  const fsync = opts.fsync ?? true
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000
  const node = opts.node ?? `${hostname()}:${process.pid}`
  const hooks = opts.testHooks ?? {}

  const spool = Spool.open(opts.spoolDir, clock.now().getTime())
  const cp0 = spool.initialCheckpoint

  // ---- state (single-threaded: push and the flusher never interleave within a tick) ----
  let q: Entry[] = []
  let qHead = 0
  /** Events (rows) in q[qHead…]. */
  let queuedRows = 0
  /** When true, events newer than the queue's tail are on disk only. */
  let spilled = false
  /** Whether the current spill started because the queue was full (vs. a backlog replay). */
  let spilledByPressure = false
  /** Next spool byte not yet taken into a batch. */
  let readPos: SpoolPos = { seg: cp0.seg, offset: cp0.offset }
  /** Everything before this is stored in ClickHouse. */
  let committed: SpoolPos = { seg: cp0.seg, offset: cp0.offset }
  let intent: SegmentRange | null = cp0.intent
  let recovering = true
  let closing = false
  let stopped = false
  let lastBatchAt = Date.now()
  let wakeUp: (() => void) | null = null
  const waiters: { target: SpoolPos; resolve: () => void; reject: (e: unknown) => void }[] = []
  let pendingErrors: ErrorRow[] = []
  let droppedErrorRows = 0
  let lastLogged = ''
  /** Set when the flusher loop itself failed (a bug or an fs error): nothing more is inserted. */
  let loopError: unknown = null
  let lastLoggedAt = 0
  /** The batch being inserted: out of the queue, not yet in ClickHouse (findRecentClick looks here too). */
  let inflight: Batch | null = null
  /** Inserted click runs kept for findRecentClick, oldest first from `recentHead`. */
  let recent: Line[] = []
  let recentHead = 0
  let recentBytes = 0
  const recentMax = Math.max(0, opts.recentClickBytes ?? 64 * 1024 * 1024)
  const keepRecent = (b: Batch) => {
    if (recentMax === 0 || !b.fromQueue) return
    for (const l of b.events) {
      if (l.table !== 'clicks') continue
      recent.push(l)
      recentBytes += l.bytes.length
    }
    while (recentBytes > recentMax && recentHead < recent.length) {
      recentBytes -= recent[recentHead]!.bytes.length
      recent[recentHead++] = undefined as never
    }
    if (recentHead > 1024 && recentHead * 2 > recent.length) {
      recent = recent.slice(recentHead)
      recentHead = 0
    }
  }
  /** The live feed's listener; null (one comparison per group commit) while nobody watches. */
  let listener: PipelineListener | null = null

  const s = {
    pushed: 0,
    clicks: 0,
    trafficback: 0,
    batches: 0,
    recovered: 0,
    backpressure: 0,
    tornLines: 0,
    corruptLines: 0,
    spoolWriteErrors: 0,
    insertErrors: 0,
    errors: 0,
    lastError: null as PipelineError | null,
    lastCommitAt: null as string | null,
  }
  let pendingLines = spool.countLines(committed)
  const hasBacklog = intent !== null || spool.segmentCount() > 1
  // Replaying a backlog reads the spool in order, so new events must not jump the queue.
  if (hasBacklog) spilled = true
  else recovering = false
  if (hasBacklog)
    log.info({ spoolDir: opts.spoolDir, pendingLines, intent }, 'click spool: replaying backlog')

  let recoverResolve: (n: number) => void = () => {}
  const recoverPromise = new Promise<number>((r) => {
    recoverResolve = r
  })
  if (!recovering) recoverResolve(0)
  const finishRecovery = () => {
    if (!recovering) return
    recovering = false
    log.info({ recovered: s.recovered }, 'click spool: backlog committed')
    recoverResolve(s.recovered)
  }

  const wake = () => {
    const w = wakeUp
    wakeUp = null
    w?.()
  }

  // ---------------------------------------------------------------- hot path ----------
  const tableOf = (e: PipelineEvent): Line['table'] => (e.type === 'click' ? 'clicks' : 'trafficback')

  function push(event: PipelineEvent): boolean {
    return pushMany([event])
  }

  /**
   * Spools `events` with ONE write (group commit) and queues them. The redirect handler
   * calls it once per event-loop turn for all clicks of that turn, then sends their 302s.
   */
  function pushMany(events: readonly PipelineEvent[]): boolean {
    if (closing || stopped) {
      s.spoolWriteErrors += events.length
      return false
    }
    if (events.length === 0) return true
    const lines: string[] = new Array(events.length)
    try {
      for (let i = 0; i < events.length; i++) lines[i] = `${serializeEvent(events[i]!)}\n`
    } catch (err) {
      s.spoolWriteErrors += events.length
      recordError('serialize', err, events.length, '')
      return false
    }
    // Encoded once: the same bytes go to the spool and, as views, to ClickHouse later.
    const bytes = Buffer.from(lines.length === 1 ? lines[0]! : lines.join(''), 'utf8')
    let range: SegmentRange
    try {
      range = spool.append(bytes)
    } catch (err) {
      s.spoolWriteErrors += events.length
      recordError('spool_write', err, events.length, lines[0] ?? '')
      return false
    }
    s.pushed += events.length
    pendingLines += events.length
    if (listener !== null) {
      try {
        listener(events)
      } catch {
        // The live feed is best effort; the click is already spooled.
      }
    }
    // Line boundaries from the bytes themselves (JSON escapes newlines inside values). Runs
    // of one table become one queue entry; the run is cut where the queue fills up.
    let from = 0
    let runFrom = 0
    let runRows = 0
    let runTable: Line['table'] = 'clicks'
    let runMinTs = 0
    let runMaxTs = 0
    const endRun = () => {
      if (runRows === 0) return
      q.push({
        seg: range.seg,
        start: range.start + runFrom,
        end: range.start + from,
        table: runTable,
        bytes: bytes.subarray(runFrom, from),
        rows: runRows,
        minTs: runMinTs,
        maxTs: runMaxTs,
      })
      const before = queuedRows
      queuedRows += runRows
      runRows = 0
      if (before < batchSize && queuedRows >= batchSize) wake()
    }
    for (let i = 0; i < events.length; i++) {
      const to = bytes.indexOf(10, from) + 1
      const event = events[i]!
      const table = tableOf(event)
      if (!spilled && runRows > 0 && table !== runTable) endRun()
      if (spilled || queuedRows + runRows >= queueMax) {
        endRun()
        // Keep the event on disk only; the flusher reads it back in order once the queue
        // drains. (While a start-up backlog is replayed this is ordering, not backpressure.)
        if (!spilled) spilledByPressure = true
        spilled = true
        if (spilledByPressure) s.backpressure++
      } else {
        if (runRows === 0) {
          runFrom = from
          runTable = table
          runMinTs = event.ts
          runMaxTs = event.ts
        } else if (event.ts < runMinTs) runMinTs = event.ts
        else if (event.ts > runMaxTs) runMaxTs = event.ts
        runRows++
      }
      from = to
    }
    endRun()
    if (range.end >= segmentMaxBytes) {
      try {
        spool.rotate(clock.now().getTime())
      } catch (err) {
        // Keep appending to the current segment; rotation is retried on the next push.
        recordError('spool_write', err, 0, '')
      }
    }
    return true
  }

  // ---------------------------------------------------------------- batching ----------
  /** Deletes segments the read position has moved past (their batches are committed). */
  function advancePastFinishedSegments(): void {
    while (readPos.seg < spool.writeSeg) {
      const end = spool.segmentEnd(readPos.seg)
      if (end !== undefined && readPos.offset < end) return
      spool.deleteSegment(readPos.seg)
      readPos = { seg: spool.nextSegment(readPos.seg), offset: 0 }
      if (intent === null && readPos.seg >= spool.firstOwnSeg) finishRecovery()
    }
  }

  /** Validates spool lines read back from disk and normalises them through the serializer. */
  function parseLines(seg: number, lines: { text: string; start: number; end: number }[]): Line[] {
    const events: Line[] = []
    for (const l of lines) {
      let v: unknown
      try {
        v = JSON.parse(l.text)
      } catch {
        v = undefined
      }
      let line: Line | undefined
      try {
        if (isStorableEvent(v))
          line = {
            table: tableOf(v),
            bytes: Buffer.from(`${serializeEvent(v)}\n`, 'utf8'),
            rows: 1,
            minTs: v.ts,
            maxTs: v.ts,
          }
      } catch {
        line = undefined
      }
      if (line) events.push(line)
      else {
        s.corruptLines++
        recordError(
          'spool_read',
          new Error(`corrupt spool line at segment ${seg} offset ${l.start}`),
          1,
          l.text,
        )
      }
    }
    return events
  }

  /** The next batch in spool order, or null when everything pushed has been taken. */
  function takeBatch(): Batch | null {
    // State (intent, readPos) changes only after the reads succeeded: a read error leaves
    // everything as it was for the loop to retry, never re-batches the intent differently.
    if (intent) {
      const r = intent
      // Bytes between the committed watermark and the intent hold no events (only skipped
      // torn tails or empty segments), since batches are taken strictly in order.
      while (readPos.seg < r.seg) {
        spool.deleteSegment(readPos.seg)
        readPos = { seg: spool.nextSegment(readPos.seg), offset: 0 }
      }
      const end = spool.segmentEnd(r.seg)
      if (end === undefined || end < r.end) {
        intent = null
        readPos = { seg: r.seg, offset: r.end }
        recordError('spool_read', new Error(`intent segment ${r.seg} missing or short; range skipped`), 0, '')
        return takeBatch()
      }
      const { lines } = spool.read(r.seg, r.start, r.end, Number.POSITIVE_INFINITY)
      intent = null
      readPos = { seg: r.seg, offset: r.end }
      const events = parseLines(r.seg, lines)
      return {
        ...r,
        events,
        lines: lines.length,
        replay: true,
        backlog: r.seg < spool.firstOwnSeg,
        sample: lines[0]?.text ?? '',
        fromQueue: false,
      }
    }
    advancePastFinishedSegments()
    if (queuedRows > 0) {
      const first = q[qHead]!
      const events: Line[] = []
      let rows = 0
      let last = first
      // Whole entries up to about batchSize rows (an entry is one group commit's run).
      for (let i = qHead; i < q.length && (rows === 0 || rows + q[i]!.rows <= batchSize); i++) {
        const e = q[i]!
        if (e.seg !== first.seg) break
        events.push(e)
        rows += e.rows
        last = e
      }
      qHead += events.length
      queuedRows -= rows
      if (qHead === q.length) {
        q = []
        qHead = 0
      } else if (qHead > 4096 && qHead * 2 > q.length) {
        q = q.slice(qHead)
        qHead = 0
      }
      readPos = { seg: first.seg, offset: last.end }
      const sample = first.bytes.subarray(0, first.bytes.indexOf(10) + 1).toString('utf8')
      return {
        seg: first.seg,
        start: first.start,
        end: last.end,
        events,
        lines: rows,
        replay: false,
        backlog: false,
        sample,
        fromQueue: true,
      }
    }
    if (!spilled) return null
    for (;;) {
      const seg = readPos.seg
      const end = spool.segmentEnd(seg) ?? 0
      if (readPos.offset < end) {
        const r = spool.read(seg, readPos.offset, end, batchSize)
        if (r.tornBytes > 0) {
          s.tornLines++
          recordError(
            'spool_read',
            new Error(`torn last line (${r.tornBytes} bytes) skipped in segment ${seg}`),
            1,
            '',
          )
        }
        const start = readPos.offset
        readPos = { seg, offset: r.next }
        const lastLine = r.lines[r.lines.length - 1]
        if (lastLine) {
          const events = parseLines(seg, r.lines)
          return {
            seg,
            start,
            end: lastLine.end,
            events,
            lines: r.lines.length,
            replay: false,
            backlog: seg < spool.firstOwnSeg,
            sample: r.lines[0]?.text ?? '',
            fromQueue: false,
          }
        }
      }
      if (seg === spool.writeSeg) {
        // Caught up with the write head: from now on push may queue in memory again.
        spilled = false
        spilledByPressure = false
        finishRecovery()
        return null
      }
      advancePastFinishedSegments()
    }
  }

  // ---------------------------------------------------------------- commit ------------
  const checkpoint = (next: SpoolPos, pendingIntent: SegmentRange | null): Checkpoint => ({
    v: 1,
    spoolId: spool.spoolId,
    seg: next.seg,
    offset: next.offset,
    intent: pendingIntent,
  })

  const payload = insertBuffer()

  async function insertLines(table: 'clicks' | 'trafficback', lines: Buffer[], token: string): Promise<void> {
    // The spool lines are already JSONEachRow rows (the event's `type` is skipped as an
    // unknown field), so they are sent as they are, as bytes: no second serialization and
    // no SQL text to build. The token is a per-statement setting, never a session one (the
    // chDB connection would turn `clickhouse_settings` into a session-wide SET and silently
    // deduplicate every later insert of the process).
    await opts.handle.insertJsonEachRow(`${db}.${table}`, payload.fill(lines), {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      input_format_skip_unknown_fields: 1,
    })
  }

  async function commit(b: Batch): Promise<void> {
    const range: SegmentRange = { seg: b.seg, start: b.start, end: b.end }
    const rows = rowsOf(b.events)
    if (b.events.length > 0) {
      if (!b.replay) await spool.saveCheckpoint(checkpoint(committed, range), fsync)
      if (stopped) throw new Stopped()
      const token = `${spool.spoolId}:${b.seg}:${b.start}-${b.end}`
      const clicks: Buffer[] = []
      const tbs: Buffer[] = []
      let clickRows = 0
      for (const e of b.events) {
        if (e.table === 'clicks') {
          clicks.push(e.bytes)
          clickRows += e.rows
        } else tbs.push(e.bytes)
      }
      if (clicks.length > 0) await insertLines('clicks', clicks, token)
      if (tbs.length > 0) await insertLines('trafficback', tbs, token)
      await hooks.afterInsert?.(range)
      if (stopped) throw new Stopped()
      s.clicks += clickRows
      s.trafficback += rows - clickRows
    }
    // Stored: from here on a postback finds the click among the recent runs or in ClickHouse.
    inflight = null
    keepRecent(b)
    committed = { seg: b.seg, offset: b.end }
    await spool.saveCheckpoint(checkpoint(committed, null), fsync)
    s.batches++
    if (b.backlog) s.recovered += rows
    pendingLines = Math.max(0, pendingLines - b.lines)
    s.lastCommitAt = clock.now().toISOString()
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!
      if (comparePos(committed, w.target) >= 0) {
        waiters.splice(i, 1)
        w.resolve()
      }
    }
  }

  // ---------------------------------------------------------------- errors ------------
  function recordError(stage: string, err: unknown, events: number, sample: string): void {
    const message = err instanceof Error ? err.message : String(err)
    s.errors++
    s.lastError = { at: clock.now().toISOString(), stage, message }
    // Rate-limited: a full disk fails every push, and logging each would make it worse.
    const t = Date.now()
    if (message !== lastLogged || t - lastLoggedAt >= 1000) {
      lastLogged = message
      lastLoggedAt = t
      log.warn({ stage, err: message, events }, 'click pipeline error')
    }
    const last = pendingErrors[pendingErrors.length - 1]
    if (last && last.stage === stage && last.error === message) {
      last.attempts++
      last.events = Math.max(last.events, events)
      return
    }
    if (pendingErrors.length >= ERROR_ROWS_MAX) {
      pendingErrors.shift()
      droppedErrorRows++
    }
    pendingErrors.push({
      ts: chDateTime(clock.now().getTime()),
      node,
      stage,
      error: message.slice(0, 4000),
      events,
      attempts: 1,
      sample: sample.slice(0, SAMPLE_MAX),
    })
  }

  /** Best effort: ingestion errors go to ClickHouse when it takes them, else wait. */
  async function flushErrorRows(): Promise<void> {
    if (pendingErrors.length === 0) return
    const rows = pendingErrors
    pendingErrors = []
    if (droppedErrorRows > 0) {
      rows.push({
        ts: chDateTime(clock.now().getTime()),
        node,
        stage: 'pipeline',
        error: `${droppedErrorRows} error rows dropped while ClickHouse was unreachable`,
        events: 0,
        attempts: droppedErrorRows,
        sample: '',
      })
      droppedErrorRows = 0
    }
    try {
      await client.insert({ table: `${db}.ingestion_errors`, values: rows, format: 'JSONEachRow' })
    } catch {
      pendingErrors = [...rows, ...pendingErrors].slice(-ERROR_ROWS_MAX)
    }
  }

  // ---------------------------------------------------------------- loop --------------
  /** Waits `ms` or until `wake()` (push reaching a batch, flush, close). */
  const sleep = (ms: number, unref: boolean) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t)
        if (wakeUp === done) wakeUp = null
        resolve()
      }
      const t = setTimeout(done, ms)
      // An idle wait must not keep a process alive on its own; a retry backoff may.
      if (unref) t.unref()
      wakeUp = done
    })

  const resolveIdleWaiters = () => {
    for (const w of waiters.splice(0)) w.resolve()
  }

  async function commitWithRetry(b: Batch): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await commit(b)
        return true
      } catch (err) {
        if (err instanceof Stopped || stopped) return false
        s.insertErrors++
        recordError('insert', err, rowsOf(b.events), b.sample)
        for (const w of waiters.splice(0)) w.reject(err)
        await flushErrorRows()
        if (closing) return false
        const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1))
        await sleep(delay * (0.5 + Math.random() * 0.5), false)
        if (stopped || closing) return false
      }
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      const now = clock.now().getTime()
      if (spool.writeOffset > 0 && now - spool.writeOpenedAt >= segmentMaxAgeMs) {
        try {
          spool.rotate(now)
        } catch (err) {
          recordError('spool_write', err, 0, '')
        }
      }
      const due = Date.now() - lastBatchAt >= opts.flushMs
      const ready =
        intent !== null ||
        spilled ||
        closing ||
        waiters.length > 0 ||
        queuedRows >= batchSize ||
        (due && queuedRows > 0)
      if (!ready) {
        await sleep(
          queuedRows > 0 ? Math.max(1, opts.flushMs - (Date.now() - lastBatchAt)) : opts.flushMs,
          true,
        )
        continue
      }
      let batch: Batch | null
      try {
        batch = takeBatch()
      } catch (err) {
        // Reading the spool failed (EIO, EMFILE, …): the bytes are still there; retry later.
        recordError('spool_read', err, 0, '')
        if (closing) return
        await sleep(retryMaxMs, false)
        continue
      }
      if (!batch) {
        resolveIdleWaiters()
        if (pendingErrors.length > 0) await flushErrorRows()
        if (closing) return
        lastBatchAt = Date.now()
        await sleep(opts.flushMs, true)
        continue
      }
      lastBatchAt = Date.now()
      inflight = batch
      const ok = await commitWithRetry(batch).finally(() => {
        inflight = null
      })
      if (!ok) {
        // Closing or stopped with this batch uncommitted: it stays in the spool (and in
        // the checkpoint's intent) for the next start. Rewind so no cleanup passes it.
        readPos = { seg: batch.seg, offset: batch.start }
        return
      }
      // A batch that ended a closed segment frees it now, not when the next batch comes.
      advancePastFinishedSegments()
      if (pendingErrors.length > 0) await flushErrorRows()
    }
  }

  const loop = run().catch((err) => {
    // A bug or an fs failure in the loop itself: keep the process up, the spool keeps
    // every event, the next start replays it.
    loopError = err
    log.error({ err }, 'click pipeline flusher stopped')
    s.errors++
    s.lastError = { at: clock.now().toISOString(), stage: 'pipeline', message: String(err) }
    for (const w of waiters.splice(0)) w.reject(err)
  })

  // ---------------------------------------------------------------- API ---------------
  return {
    push,
    pushMany,
    flush() {
      if (stopped) return Promise.reject(new Error('pipeline is closed'))
      if (loopError !== null) return Promise.reject(loopError)
      const target = { seg: spool.writeSeg, offset: spool.writeOffset }
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject })
        wake()
      })
    },
    async close() {
      if (stopped) return
      closing = true
      wake()
      let timer: NodeJS.Timeout | undefined
      let loopEnded = false
      await Promise.race([
        loop.then(() => {
          loopEnded = true
        }),
        new Promise<void>((r) => (timer = setTimeout(r, closeTimeoutMs))),
      ])
      clearTimeout(timer)
      stopped = true
      wake()
      for (const w of waiters.splice(0)) w.reject(new Error('pipeline closed before the flush completed'))
      recoverResolve(s.recovered)
      // With a batch still in flight (timed out) the read position is ahead of what is
      // stored, so only a finished loop may free segments.
      if (loopEnded) advancePastFinishedSegments()
      spool.close(committed)
    },
    stats() {
      return {
        spoolId: spool.spoolId,
        queued: queuedRows,
        queueMax,
        spilling: spilled,
        recovering,
        pending: pendingLines,
        pendingBytes: stopped ? 0 : spool.bytesAfter(committed),
        segments: stopped ? 0 : spool.segmentCount(),
        pushed: s.pushed,
        inserted: { clicks: s.clicks, trafficback: s.trafficback },
        batches: s.batches,
        recovered: s.recovered,
        backpressure: s.backpressure,
        tornLines: s.tornLines,
        corruptLines: s.corruptLines,
        spoolWriteErrors: s.spoolWriteErrors,
        insertErrors: s.insertErrors,
        errors: s.errors,
        lastError: s.lastError,
        lastCommitAt: s.lastCommitAt,
      }
    },
    recover: () => recoverPromise,
    setListener(next) {
      listener = next
    },
    findRecentClick(clickId, clickMs) {
      // The needle cannot occur inside a JSON string value: its quotes would be escaped.
      const needle = `"click_id":${JSON.stringify(clickId)},`
      const search = (l: Line): ClickEvent | undefined =>
        l.table === 'clicks' && clickMs >= l.minTs && clickMs <= l.maxTs
          ? findLine(l.bytes, needle, clickId)
          : undefined
      for (let i = q.length - 1; i >= qHead; i--) {
        const hit = search(q[i]!)
        if (hit) return hit
      }
      for (const l of inflight?.events ?? []) {
        const hit = search(l)
        if (hit) return hit
      }
      for (let i = recent.length - 1; i >= recentHead; i--) {
        const hit = search(recent[i]!)
        if (hit) return hit
      }
      return undefined
    },
  }
}

/** The click event on the JSON line of `bytes` that contains `needle`, if it is `clickId`'s. */
function findLine(bytes: Buffer, needle: string, clickId: string): ClickEvent | undefined {
  const at = bytes.indexOf(needle)
  if (at === -1) return undefined
  const start = bytes.lastIndexOf(10, at) + 1
  const nl = bytes.indexOf(10, at)
  try {
    const v = JSON.parse(bytes.toString('utf8', start, nl === -1 ? bytes.length : nl)) as ClickEvent
    return v.type === 'click' && v.click_id === clickId ? v : undefined
  } catch {
    return undefined
  }
}
