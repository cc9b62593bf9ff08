/**
 * The recent-clicks ring of the pipeline: inserted click runs (views into spooled bytes)
 * kept, oldest dropped first, until their bytes exceed a budget, so a postback for a click
 * this process served lately needs no ClickHouse query (`Pipeline.findRecentClick`).
 * No I/O; one entry per run, never one per click.
 */
import type { ClickEvent } from './events.ts'
import type { Line } from './pipeline.types.ts'

export class RecentClicks {
  #runs: Line[] = []
  #head = 0
  /** Bytes of the runs kept. */
  bytes = 0

  /** @param maxBytes budget of kept run bytes (0 keeps nothing) */
  constructor(readonly maxBytes: number) {}

  /** Keeps the click runs of `lines` (trafficback runs are skipped), dropping the oldest over budget. */
  keep(lines: readonly Line[]): void {
    if (this.maxBytes === 0) return
    for (const l of lines) {
      if (l.table !== 'clicks') continue
      this.#runs.push(l)
      this.bytes += l.bytes.length
    }
    while (this.bytes > this.maxBytes && this.#head < this.#runs.length) {
      this.bytes -= this.#runs[this.#head]!.bytes.length
      this.#runs[this.#head++] = undefined as never
    }
    if (this.#head > 1024 && this.#head * 2 > this.#runs.length) {
      this.#runs = this.#runs.slice(this.#head)
      this.#head = 0
    }
  }

  /** Runs kept. */
  get size(): number {
    return this.#runs.length - this.#head
  }

  /** The first `find` hit over the kept runs, newest first. */
  findNewest<T>(find: (l: Line) => T | undefined): T | undefined {
    for (let i = this.#runs.length - 1; i >= this.#head; i--) {
      const hit = find(this.#runs[i]!)
      if (hit !== undefined) return hit
    }
    return undefined
  }
}

/**
 * A search of one run for click `clickId` served at `clickMs` (epoch ms): only a click run
 * whose `ts` range covers `clickMs` is searched, with one `indexOf` of the click's JSON key.
 * Build it once per lookup and pass it to the `findNewest` of the queue and the ring.
 */
export function clickSearch(clickId: string, clickMs: number): (l: Line) => ClickEvent | undefined {
  // The needle cannot occur inside a JSON string value: its quotes would be escaped.
  const needle = `"click_id":${JSON.stringify(clickId)},`
  return (l) =>
    l.table === 'clicks' && clickMs >= l.minTs && clickMs <= l.maxTs
      ? findLine(l.bytes, needle, clickId)
      : undefined
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
