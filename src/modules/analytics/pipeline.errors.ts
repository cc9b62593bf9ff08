/**
 * Ingestion error rows waiting for `<db>.ingestion_errors`, without I/O: consecutive
 * repeats of one failure are folded into one row (`attempts` counted), at most
 * {@link ERROR_ROWS_MAX} rows wait while ClickHouse is unreachable (the oldest are dropped
 * and reported by a summary row once it is back).
 */
import type { ErrorRow } from './pipeline.types.ts'

/** Rows kept while they cannot be written. */
export const ERROR_ROWS_MAX = 100
/** Longest `sample` (characters) kept per row. */
export const SAMPLE_MAX = 2000
/** Longest `error` message (characters) kept per row. */
export const ERROR_TEXT_MAX = 4000

export class ErrorRows {
  #rows: ErrorRow[] = []
  #dropped = 0

  get pending(): number {
    return this.#rows.length
  }

  /**
   * Records one failure of `stage` that involved `events` events. A repeat of the last row's
   * stage and message increments its `attempts` (and keeps the larger event count).
   * @param ts ClickHouse DateTime64 text of the failure time (UTC)
   */
  add(ts: string, node: string, stage: string, message: string, events: number, sample: string): void {
    const last = this.#rows[this.#rows.length - 1]
    if (last && last.stage === stage && last.error === message) {
      last.attempts++
      last.events = Math.max(last.events, events)
      return
    }
    if (this.#rows.length >= ERROR_ROWS_MAX) {
      this.#rows.shift()
      this.#dropped++
    }
    this.#rows.push({
      ts,
      node,
      stage,
      error: message.slice(0, ERROR_TEXT_MAX),
      events,
      attempts: 1,
      sample: sample.slice(0, SAMPLE_MAX),
    })
  }

  /**
   * Takes every waiting row (plus a `pipeline` row counting the dropped ones, stamped `ts`)
   * for one insert; give them back with {@link putBack} if it fails.
   */
  take(ts: string, node: string): ErrorRow[] {
    const rows = this.#rows
    this.#rows = []
    if (this.#dropped > 0) {
      rows.push({
        ts,
        node,
        stage: 'pipeline',
        error: `${this.#dropped} error rows dropped while ClickHouse was unreachable`,
        events: 0,
        attempts: this.#dropped,
        sample: '',
      })
      this.#dropped = 0
    }
    return rows
  }

  /** Puts rows whose insert failed back before the newer ones, keeping the newest {@link ERROR_ROWS_MAX}. */
  putBack(rows: readonly ErrorRow[]): void {
    this.#rows = [...rows, ...this.#rows].slice(-ERROR_ROWS_MAX)
  }
}
