/**
 * The pipeline's bounded in-memory queue and its backpressure state, without I/O: the shell
 * (`pipeline.ts`) spools a group commit's bytes, then hands them here to be cut into runs.
 *
 * The queue holds one {@link Entry} per run of one table of a group commit (a view into the
 * spooled bytes), never one object per event (see `Line` in pipeline.types.ts). Once it holds
 * `queueMax` events, later events live on disk only ("spilled") until the flusher has read
 * the spool back up to the write head ({@link PipelineQueue.caughtUp}).
 */
import type { PipelineEvent } from './events.ts'
import type { Entry, EventTable } from './pipeline.types.ts'
import type { SegmentRange } from './spool.ts'

/** The table an event is inserted into. */
export const tableOf = (e: PipelineEvent): EventTable =>
  e.type === 'click'
    ? 'clicks'
    : e.type === 'trafficback'
      ? 'trafficback'
      : e.type === 'lander_click'
        ? 'lander_clicks'
        : 'visits'

export class PipelineQueue {
  #q: Entry[] = []
  #head = 0
  /** Events (rows) in the queue. */
  rows = 0
  /** When true, events newer than the queue's tail are on disk only. */
  spilled = false
  /** Whether the current spill started because the queue was full (vs. a backlog replay). */
  #byPressure = false
  /** Events kept on disk only because the queue was full (a replay's ordering spill not counted). */
  backpressure = 0

  /**
   * @param queueMax events held before spilling (≥ 1)
   * @param batchSize max events per batch taken (≥ 1)
   */
  constructor(
    readonly queueMax: number,
    readonly batchSize: number,
  ) {}

  /** Spill from the start: a backlog found at start-up is replayed in order before anything new. */
  spillForReplay(): void {
    this.spilled = true
  }

  /** The reader caught up with the write head: new events may queue in memory again. */
  caughtUp(): void {
    this.spilled = false
    this.#byPressure = false
  }

  /**
   * Queues the group commit `events`, spooled as `bytes` (one JSON line each, in order) at
   * `range`. Runs of one table become one entry; a run is cut where the queue fills up, and
   * from there on the events stay on disk only (counted in `backpressure` unless a replay
   * spill is under way).
   * @returns true when this call brought the queue to a full batch (the flusher should wake).
   */
  enqueue(events: readonly PipelineEvent[], bytes: Buffer, range: SegmentRange): boolean {
    const before = this.rows
    // Line boundaries from the bytes themselves (JSON escapes newlines inside values).
    let from = 0
    let runFrom = 0
    let runRows = 0
    let runTable: EventTable = 'clicks'
    let runMinTs = 0
    let runMaxTs = 0
    for (let i = 0; i < events.length; i++) {
      const to = bytes.indexOf(10, from) + 1
      const event = events[i]!
      const table = tableOf(event)
      if (!this.spilled && runRows > 0 && table !== runTable) {
        this.#push(range, runFrom, from, runTable, bytes, runRows, runMinTs, runMaxTs)
        runRows = 0
      }
      if (this.spilled || this.rows + runRows >= this.queueMax) {
        if (runRows > 0) {
          this.#push(range, runFrom, from, runTable, bytes, runRows, runMinTs, runMaxTs)
          runRows = 0
        }
        // Keep the event on disk only; the flusher reads it back in order once the queue
        // drains. (While a start-up backlog is replayed this is ordering, not backpressure.)
        if (!this.spilled) this.#byPressure = true
        this.spilled = true
        if (this.#byPressure) this.backpressure++
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
    if (runRows > 0) this.#push(range, runFrom, from, runTable, bytes, runRows, runMinTs, runMaxTs)
    return before < this.batchSize && this.rows >= this.batchSize
  }

  #push(
    range: SegmentRange,
    from: number,
    to: number,
    table: EventTable,
    bytes: Buffer,
    rows: number,
    minTs: number,
    maxTs: number,
  ): void {
    this.#q.push({
      seg: range.seg,
      start: range.start + from,
      end: range.start + to,
      table,
      bytes: bytes.subarray(from, to),
      rows,
      minTs,
      maxTs,
    })
    this.rows += rows
  }

  /**
   * Takes the oldest whole entries of one segment, up to about `batchSize` rows (at least one
   * entry, so a group commit larger than a batch still goes). Undefined when empty.
   */
  take(): { entries: Entry[]; rows: number } | undefined {
    if (this.rows === 0) return undefined
    const q = this.#q
    const first = q[this.#head]!
    const entries: Entry[] = []
    let rows = 0
    for (let i = this.#head; i < q.length && (rows === 0 || rows + q[i]!.rows <= this.batchSize); i++) {
      const e = q[i]!
      if (e.seg !== first.seg) break
      entries.push(e)
      rows += e.rows
    }
    this.#head += entries.length
    this.rows -= rows
    if (this.#head === q.length) {
      this.#q = []
      this.#head = 0
    } else if (this.#head > 4096 && this.#head * 2 > q.length) {
      this.#q = q.slice(this.#head)
      this.#head = 0
    }
    return { entries, rows }
  }

  /** The first `find` hit over the queued entries, newest first. */
  findNewest<T>(find: (e: Entry) => T | undefined): T | undefined {
    for (let i = this.#q.length - 1; i >= this.#head; i--) {
      const hit = find(this.#q[i]!)
      if (hit !== undefined) return hit
    }
    return undefined
  }
}
