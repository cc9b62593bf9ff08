/**
 * The click pipeline's timing decisions as pure functions of numbers (all times epoch or
 * elapsed milliseconds): when the flusher takes a batch, how long an insert retry waits,
 * when the write segment rotates, when an error is logged. The shell (`pipeline.ts`) reads
 * the clock and the random source and passes the readings in.
 */

/** What the flusher loop sees before deciding whether to take a batch. */
export interface FlushInputs {
  /** A previous run's intent range waits for replay. */
  intentPending: boolean
  /** Events are on disk only (backpressure or a backlog replay): drain back to back. */
  spilled: boolean
  /** `close()` was called: take whatever is left. */
  closing: boolean
  /** Someone awaits `flush()`. */
  flushWaiters: number
  /** Events held in memory. */
  queuedRows: number
  batchSize: number
  /** Longest time (ms) an event may wait in memory. */
  flushMs: number
  /** ms since the last batch was taken (or the flusher went idle). */
  sinceLastBatchMs: number
}

/**
 * Whether the flusher takes a batch now, or else how long (ms) it sleeps before looking
 * again (a push that fills a batch, `flush()` and `close()` wake it earlier).
 * A batch is taken at once for an intent replay, a spill, a close, a pending `flush()` or a
 * full batch; a partial batch once it waited `flushMs`.
 */
export function flushDecision(s: FlushInputs): { take: true } | { take: false; waitMs: number } {
  const due = s.sinceLastBatchMs >= s.flushMs
  if (
    s.intentPending ||
    s.spilled ||
    s.closing ||
    s.flushWaiters > 0 ||
    s.queuedRows >= s.batchSize ||
    (due && s.queuedRows > 0)
  )
    return TAKE
  return { take: false, waitMs: s.queuedRows > 0 ? Math.max(1, s.flushMs - s.sinceLastBatchMs) : s.flushMs }
}

const TAKE = { take: true } as const

/**
 * Delay (ms) before insert attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (a uniform draw between
 * half and all of it) so several nodes do not retry in lockstep.
 * @param random a uniform draw in [0, 1)
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const delay = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
  return delay * (0.5 + random * 0.5)
}

/** Whether the non-empty write segment opened at `openedAtMs` is old enough to rotate at `nowMs`. */
export function segmentExpired(
  writeOffset: number,
  openedAtMs: number,
  nowMs: number,
  maxAgeMs: number,
): boolean {
  return writeOffset > 0 && nowMs - openedAtMs >= maxAgeMs
}

/** Minimum interval (ms) between two log lines of the same error message. */
export const ERROR_LOG_INTERVAL_MS = 1000

/**
 * Whether an error is logged: a new message always, the same message at most once per
 * {@link ERROR_LOG_INTERVAL_MS} (a full disk fails every push; logging each would make it worse).
 */
export function shouldLogError(
  last: { message: string; atMs: number },
  message: string,
  nowMs: number,
): boolean {
  return message !== last.message || nowMs - last.atMs >= ERROR_LOG_INTERVAL_MS
}
