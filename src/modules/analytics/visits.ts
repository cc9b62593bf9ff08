/**
 * Visits of the visitor engine into ClickHouse (`visits`, migration 006) through the click
 * pipeline: a visit is a third event kind of the same spool, so it gets the pipeline's
 * guarantees (spooled with `writeSync` before anything else happens to it, inserted in
 * order with a per-range `insert_deduplication_token`, retried with the same token,
 * replayed after a crash) without a second writer.
 *
 * The writer group-commits: hits of one event-loop turn are spooled with one `pushMany`
 * on `setImmediate`. Crash-safety, honestly: a hit is durable (survives `kill -9`) once its
 * turn's `pushMany` returned; a hit the process dies with inside that turn is lost (its
 * visit still counts in the ledger and `visitor_runs`, which are committed on their own
 * path). A hit the spool refused (disk full, pipeline closed) is lost and counted
 * (`dropped`; the pipeline counts it in `spoolWriteErrors` too).
 *
 * The engine's hit is read structurally ({@link VisitRecord}): analytics imports nothing of
 * the visitors module, the composition root passes the hit as it is.
 */
import type { VisitEvent } from './events.ts'

/**
 * A settled visit as the visitor engine reports it (`VisitHit` of the visitors module,
 * matched structurally). `country` and `mode` are optional: null/absent → '' (any) and 'http'.
 */
export interface VisitRecord {
  visitId: string
  workspaceId: string
  projectId: string
  runId: string
  url: string
  /** 'desktop' | 'mobile' */
  device: string
  /** ISO 3166-1 alpha-2 of the egress, null when unknown. */
  country?: string | null
  mode?: 'http' | 'browser'
  /** Final HTTP status, null when unanswered. */
  status: number | null
  /** Error kind, null when none. */
  error: string | null
  /** ms from the scheduled start to the response headers, null when unanswered. */
  latencyMs: number | null
  /** Charged (the site answered). */
  charged: boolean
  /** Body bytes read. */
  bytes: number
  scheduledAt: Date
  startedAt: Date
  /** When it settled. */
  at: Date
}

/** The row of a hit (pure). Unanswered: `status` 0, `latency_ms` 0, `answered` 0. */
export function visitEventOf(h: VisitRecord): VisitEvent {
  const answered = h.status !== null
  return {
    type: 'visit',
    visit_id: h.visitId,
    ts: h.scheduledAt.getTime(),
    started_at: h.startedAt.getTime(),
    settled_at: h.at.getTime(),
    workspace_id: h.workspaceId,
    project_id: h.projectId,
    run_id: h.runId,
    url: h.url,
    country: h.country ?? '',
    device: h.device,
    mode: h.mode ?? 'http',
    answered: answered ? 1 : 0,
    status: h.status ?? 0,
    latency_ms: h.latencyMs ?? 0,
    bytes: Math.max(0, Math.floor(h.bytes)),
    error: h.error ?? '',
    charged: h.charged ? 1 : 0,
  }
}

/** What the writer needs of the pipeline. */
export interface VisitSink {
  pushMany(events: readonly VisitEvent[]): boolean
}

/** The writer of {@link createVisitsWriter}. */
export interface VisitsWriter {
  /** Queues one hit for this event-loop turn's group commit. Never throws, never waits. */
  push(hit: VisitRecord): void
  /** Spools what is queued now (also done on `setImmediate`). */
  flush(): void
  /** `written`: hits spooled; `dropped`: hits the spool refused or the buffer had no room for. */
  stats(): { written: number; dropped: number }
}

/**
 * Creates the visits writer over the click pipeline (`pipeline` is the `Pipeline`).
 * @param opts.maxBuffered hits held within one turn at most (default 10 000; past it they
 *   are dropped and counted: the turn is spooled at once instead).
 */
export function createVisitsWriter(pipeline: VisitSink, opts: { maxBuffered?: number } = {}): VisitsWriter {
  const maxBuffered = opts.maxBuffered ?? 10_000
  let buffer: VisitEvent[] = []
  let scheduled = false
  const s = { written: 0, dropped: 0 }

  const flush = () => {
    scheduled = false
    if (buffer.length === 0) return
    const batch = buffer
    buffer = []
    if (pipeline.pushMany(batch)) s.written += batch.length
    else s.dropped += batch.length
  }

  return {
    push(hit) {
      if (buffer.length >= maxBuffered) flush()
      buffer.push(visitEventOf(hit))
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
    stats: () => ({ ...s }),
  }
}
