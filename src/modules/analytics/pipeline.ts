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
 *        (through the `EventSink`: `sink.clickhouse.ts` by default; an event-log sink
 *        publishes the range to NATS/Kafka instead, see eventlog/ and README "Event log")
 *     3. checkpoint ← committed watermark = (segment, end), intent cleared
 *   On restart the intent range is re-inserted first: per table, only the rows ClickHouse
 *   does not hold yet (looked up by key), under a fresh token — a kill inside ClickHouse's
 *   own insert can leave the range's token recorded without its rows. Then everything
 *   after it. Ranges after the intent were never inserted, so any batching of them is safe.
 * - Failed inserts are retried with exponential backoff; the events stay in the spool.
 *   Failures are counted in `stats()` and written to `<db>.ingestion_errors` when
 *   ClickHouse accepts them.
 * - Segments rotate by size and age and are deleted once wholly committed.
 *
 * This file is the shell (spool and ClickHouse I/O, the flusher loop, timers). Its parts:
 * `pipeline.types.ts` (public and shared types), `pipeline.queue.ts` (in-memory queue and
 * backpressure), `pipeline.policy.ts` (pure timing decisions: flush, retry backoff, segment
 * age, log rate), `pipeline.replay.ts` (spool lines read back), `pipeline.recent.ts` (the
 * recent-clicks ring), `pipeline.errors.ts` (ingestion error rows).
 */
import { hostname } from 'node:os'
import { nowMs, systemClock, systemRandom } from '../../platform/clock.ts'
import type { PipelineEvent } from './events.ts'
import { assertIdentifier, chDateTime } from './migrate.ts'
import { ErrorRows } from './pipeline.errors.ts'
import { flushDecision, retryDelayMs, segmentExpired, shouldLogError } from './pipeline.policy.ts'
import { PipelineQueue } from './pipeline.queue.ts'
import { createClickHouseSink } from './sink.clickhouse.ts'
import { clickSearch, landerClickSearch, RecentClicks } from './pipeline.recent.ts'
import { parseSpoolLines } from './pipeline.replay.ts'
import type {
  Batch,
  EventTable,
  Line,
  Pipeline,
  PipelineError,
  PipelineListener,
  PipelineOptions,
} from './pipeline.types.ts'
import { LineWriter } from './serialize.ts'
import {
  type Checkpoint,
  comparePos,
  type SegmentRange,
  Spool,
  type SpoolLine,
  type SpoolPos,
} from './spool.ts'

class Stopped extends Error {}

const rowsOf = (lines: readonly Line[]): number => {
  let n = 0
  for (const l of lines) n += l.rows
  return n
}

/**
 * Creates the pipeline: opens (and locks) the spool, starts a new write segment and the
 * flusher, which first replays whatever a previous run left in the spool.
 * Call `migrateClickHouse` before, so the tables exist (inserts are retried until they do).
 * @throws Error when the spool directory cannot be opened or is locked by another process,
 *   or when neither `handle` nor `sink` is given.
 */
export function createPipeline(opts: PipelineOptions): Pipeline {
  const clock = opts.clock ?? systemClock
  const random = opts.random ?? systemRandom
  const log = opts.logger
  const handle = opts.handle
  const db = handle ? assertIdentifier(handle.database) : ''
  if (!handle && !opts.sink) throw new Error('createPipeline needs a ClickHouse handle or a sink')
  // The default sink is today's direct insert; an event-log sink publishes instead (eventlog/).
  const sink = opts.sink ?? createClickHouseSink(handle as NonNullable<typeof handle>)
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

  const spool = Spool.open(opts.spoolDir, nowMs(clock))
  const cp0 = spool.initialCheckpoint

  // ---- state (single-threaded: push and the flusher never interleave within a tick) ----
  const queue = new PipelineQueue(queueMax, batchSize)
  /** Serializes push's events into slabs whose views the queue and the recent ring keep. */
  const writer = new LineWriter()
  /** Next spool byte not yet taken into a batch. */
  let readPos: SpoolPos = { seg: cp0.seg, offset: cp0.offset }
  /** Everything before this is stored in ClickHouse. */
  let committed: SpoolPos = { seg: cp0.seg, offset: cp0.offset }
  let intent: SegmentRange | null = cp0.intent
  let recovering = true
  let closing = false
  let stopped = false
  let lastBatchAt = nowMs(clock)
  let wakeUp: (() => void) | null = null
  const waiters: { target: SpoolPos; resolve: () => void; reject: (e: unknown) => void }[] = []
  const errorRows = new ErrorRows()
  const lastLogged = { message: '', atMs: 0 }
  /** Set when the flusher loop itself failed (a bug or an fs error): nothing more is inserted. */
  let loopError: unknown = null
  /** The batch being inserted: out of the queue, not yet in ClickHouse (findRecentClick looks here too). */
  let inflight: Batch | null = null
  /** Inserted click runs kept for findRecentClick. */
  const recent = new RecentClicks(Math.max(0, opts.recentClickBytes ?? 64 * 1024 * 1024))
  /** The live feed's listener; null (one comparison per group commit) while nobody watches. */
  let listener: PipelineListener | null = null

  const s = {
    pushed: 0,
    clicks: 0,
    trafficback: 0,
    visits: 0,
    landerClicks: 0,
    batches: 0,
    recovered: 0,
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
  if (hasBacklog) queue.spillForReplay()
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
    // Written straight into the writer's slab: the same bytes go to the spool and, as views,
    // to ClickHouse later (no JSON string per event, no Buffer per group commit).
    let bytes: Buffer
    try {
      for (let i = 0; i < events.length; i++) writer.append(events[i]!)
      bytes = writer.take()
    } catch (err) {
      writer.discard()
      s.spoolWriteErrors += events.length
      recordError('serialize', err, events.length, '')
      return false
    }
    let range: SegmentRange
    try {
      range = spool.append(bytes)
    } catch (err) {
      s.spoolWriteErrors += events.length
      const nl = bytes.indexOf(10)
      recordError('spool_write', err, events.length, bytes.toString('utf8', 0, nl === -1 ? 0 : nl + 1))
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
    if (queue.enqueue(events, bytes, range)) wake()
    if (range.end >= segmentMaxBytes) {
      try {
        spool.rotate(nowMs(clock))
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

  /** Spool lines read back from disk as runs; corrupt ones are counted and skipped. */
  function parseLines(seg: number, lines: SpoolLine[]): Line[] {
    return parseSpoolLines(lines, (l) => {
      s.corruptLines++
      recordError(
        'spool_read',
        new Error(`corrupt spool line at segment ${seg} offset ${l.start}`),
        1,
        l.text,
      )
    })
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
    const taken = queue.take()
    if (taken) {
      const { entries, rows } = taken
      const first = entries[0]!
      const last = entries[entries.length - 1]!
      readPos = { seg: first.seg, offset: last.end }
      const sample = first.bytes.subarray(0, first.bytes.indexOf(10) + 1).toString('utf8')
      return {
        seg: first.seg,
        start: first.start,
        end: last.end,
        events: entries,
        lines: rows,
        replay: false,
        backlog: false,
        sample,
        fromQueue: true,
      }
    }
    if (!queue.spilled) return null
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
        queue.caughtUp()
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

  async function commit(b: Batch): Promise<void> {
    const range: SegmentRange = { seg: b.seg, start: b.start, end: b.end }
    const rows = rowsOf(b.events)
    if (b.events.length > 0) {
      if (!b.replay) await spool.saveCheckpoint(checkpoint(committed, range), fsync)
      if (stopped) throw new Stopped()
      const token = `${spool.spoolId}:${b.seg}:${b.start}-${b.end}`
      // One insert per table, all with the range's token (deduplication is per table).
      const byTable: Record<EventTable, { lines: Buffer[]; rows: number }> = {
        clicks: { lines: [], rows: 0 },
        trafficback: { lines: [], rows: 0 },
        visits: { lines: [], rows: 0 },
        lander_clicks: { lines: [], rows: 0 },
      }
      for (const e of b.events) {
        byTable[e.table].lines.push(e.bytes)
        byTable[e.table].rows += e.rows
      }
      await sink.commit(
        token,
        {
          clicks: byTable.clicks.lines,
          trafficback: byTable.trafficback.lines,
          visits: byTable.visits.lines,
          lander_clicks: byTable.lander_clicks.lines,
        },
        b.replay,
      )
      await hooks.afterInsert?.(range)
      if (stopped) throw new Stopped()
      s.clicks += byTable.clicks.rows
      s.trafficback += byTable.trafficback.rows
      s.visits += byTable.visits.rows
      s.landerClicks += byTable.lander_clicks.rows
    }
    // Stored: from here on a postback finds the click among the recent runs or in ClickHouse.
    inflight = null
    // Runs read back from disk are fresh copies, not the group commits' buffers: not kept.
    if (b.fromQueue) recent.keep(b.events)
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
    const now = clock.now()
    s.errors++
    s.lastError = { at: now.toISOString(), stage, message }
    const t = now.getTime()
    if (shouldLogError(lastLogged, message, t)) {
      lastLogged.message = message
      lastLogged.atMs = t
      log.warn({ stage, err: message, events }, 'click pipeline error')
    }
    // Without a handle (a traffic node publishing to the event log) there is nowhere to write them.
    if (handle) errorRows.add(chDateTime(t), node, stage, message, events, sample)
  }

  /** Best effort: ingestion errors go to ClickHouse when it takes them, else wait. */
  async function flushErrorRows(): Promise<void> {
    if (errorRows.pending === 0 || !handle) return
    const rows = errorRows.take(chDateTime(nowMs(clock)), node)
    try {
      await handle.client.insert({ table: `${db}.ingestion_errors`, values: rows, format: 'JSONEachRow' })
    } catch {
      errorRows.putBack(rows)
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
        await sleep(retryDelayMs(attempt, retryBaseMs, retryMaxMs, random.next()), false)
        if (stopped || closing) return false
      }
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      const now = nowMs(clock)
      if (segmentExpired(spool.writeOffset, spool.writeOpenedAt, now, segmentMaxAgeMs)) {
        try {
          spool.rotate(now)
        } catch (err) {
          recordError('spool_write', err, 0, '')
        }
      }
      const next = flushDecision({
        intentPending: intent !== null,
        spilled: queue.spilled,
        closing,
        flushWaiters: waiters.length,
        queuedRows: queue.rows,
        batchSize,
        flushMs: opts.flushMs,
        sinceLastBatchMs: nowMs(clock) - lastBatchAt,
      })
      if (!next.take) {
        await sleep(next.waitMs, true)
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
        if (errorRows.pending > 0) await flushErrorRows()
        if (closing) return
        lastBatchAt = nowMs(clock)
        await sleep(opts.flushMs, true)
        continue
      }
      lastBatchAt = nowMs(clock)
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
      if (errorRows.pending > 0) await flushErrorRows()
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
        queued: queue.rows,
        queueMax,
        spilling: queue.spilled,
        recovering,
        pending: pendingLines,
        pendingBytes: stopped ? 0 : spool.bytesAfter(committed),
        segments: stopped ? 0 : spool.segmentCount(),
        pushed: s.pushed,
        inserted: {
          clicks: s.clicks,
          trafficback: s.trafficback,
          visits: s.visits,
          lander_clicks: s.landerClicks,
        },
        batches: s.batches,
        recovered: s.recovered,
        backpressure: queue.backpressure,
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
      const search = clickSearch(clickId, clickMs)
      const queued = queue.findNewest(search)
      if (queued) return queued
      for (const l of inflight?.events ?? []) {
        const hit = search(l)
        if (hit) return hit
      }
      return recent.findNewestClickAt(clickMs, search)
    },
    findRecentLanderClick(clickId, clickMs) {
      // The FIRST CTA click counts: search every place (newest first) and keep the earliest.
      const search = landerClickSearch(clickId, clickMs)
      let first: ReturnType<typeof search>
      const consider = (l: Parameters<typeof search>[0]) => {
        const hit = search(l)
        if (hit && (first === undefined || hit.ts < first.ts)) first = hit
        return undefined
      }
      queue.findNewest(consider)
      for (const l of inflight?.events ?? []) consider(l)
      recent.findNewest(consider)
      return first
    },
  }
}
