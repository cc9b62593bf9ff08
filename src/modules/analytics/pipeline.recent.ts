/**
 * The recent-clicks ring of the pipeline: inserted click runs (views into spooled bytes)
 * kept, oldest dropped first, until their bytes exceed a budget, so a postback for a click
 * this process served lately needs no ClickHouse query (`Pipeline.findRecentClick`).
 * No I/O; one entry per run, never one per click.
 */
import type { ClickEvent, LanderClickEvent } from './events.ts'
import type { Line } from './pipeline.types.ts'

/** Width of a time bucket of the click-run index, ms. */
const BUCKET_MS = 100
/** A run spanning more buckets than this is kept in the always-searched `wide` list instead. */
const MAX_BUCKETS_PER_RUN = 64

/** A kept run with its position in the ring (higher = newer). */
interface Kept {
  seq: number
  line: Line
}

export class RecentClicks {
  #runs: Line[] = []
  #head = 0
  /** Bytes of the runs kept. */
  bytes = 0
  /**
   * Click runs by the 100-ms buckets their [minTs, maxTs] covers, oldest first: a postback's
   * lookup searches the runs of its click's bucket, not every run kept (64 MiB of runs are
   * thousands; a scan of all of them was ~14 % of the api's CPU at 2,000 postbacks/s).
   */
  #buckets = new Map<number, Kept[]>()
  #wide: Kept[] = []
  #seq = 0
  /** seq of each kept run, parallel to #runs. */
  #seqs: number[] = []

  /** @param maxBytes budget of kept run bytes (0 keeps nothing) */
  constructor(readonly maxBytes: number) {}

  /** Keeps the click and lander-click runs of `lines` (others are skipped), dropping the oldest over budget. */
  keep(lines: readonly Line[]): void {
    if (this.maxBytes === 0) return
    for (const l of lines) {
      if (l.table !== 'clicks' && l.table !== 'lander_clicks') continue
      const seq = ++this.#seq
      this.#runs.push(l)
      this.#seqs.push(seq)
      this.bytes += l.bytes.length
      if (l.table === 'clicks') this.#index({ seq, line: l })
    }
    while (this.bytes > this.maxBytes && this.#head < this.#runs.length) {
      const l = this.#runs[this.#head]!
      this.bytes -= l.bytes.length
      if (l.table === 'clicks') this.#unindex(this.#seqs[this.#head]!, l)
      this.#runs[this.#head] = undefined as never
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#runs.length) {
      this.#runs = this.#runs.slice(this.#head)
      this.#seqs = this.#seqs.slice(this.#head)
      this.#head = 0
    }
  }

  #bucketsOf(l: Line): [number, number] | undefined {
    const from = Math.floor(l.minTs / BUCKET_MS)
    const to = Math.floor(l.maxTs / BUCKET_MS)
    return to - from < MAX_BUCKETS_PER_RUN && to >= from ? [from, to] : undefined
  }

  #index(k: Kept): void {
    const span = this.#bucketsOf(k.line)
    if (!span) {
      this.#wide.push(k)
      return
    }
    for (let b = span[0]; b <= span[1]; b++) {
      const list = this.#buckets.get(b)
      if (list) list.push(k)
      else this.#buckets.set(b, [k])
    }
  }

  /** Runs leave in the order they came, so the evicted run is first in each of its lists. */
  #unindex(seq: number, l: Line): void {
    const span = this.#bucketsOf(l)
    if (!span) {
      if (this.#wide[0]?.seq === seq) this.#wide.shift()
      return
    }
    for (let b = span[0]; b <= span[1]; b++) {
      const list = this.#buckets.get(b)
      if (list?.[0]?.seq === seq) list.shift()
      if (list?.length === 0) this.#buckets.delete(b)
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

  /**
   * The newest `find` hit over the kept click runs whose time range may hold `ms` (epoch
   * ms): the runs of its bucket and the wide ones. Same answer as {@link findNewest} for a
   * `find` that only matches click runs covering `ms` (as {@link clickSearch} does).
   */
  findNewestClickAt<T>(ms: number, find: (l: Line) => T | undefined): T | undefined {
    const newest = (list: Kept[] | undefined): { seq: number; hit: T } | undefined => {
      if (!list) return undefined
      for (let i = list.length - 1; i >= 0; i--) {
        const hit = find(list[i]!.line)
        if (hit !== undefined) return { seq: list[i]!.seq, hit }
      }
      return undefined
    }
    const a = newest(this.#buckets.get(Math.floor(ms / BUCKET_MS)))
    const b = newest(this.#wide)
    return (a && b ? (a.seq > b.seq ? a : b) : (a ?? b))?.hit
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

/** How long after its click a lander CTA click is looked for (the lander session's age limit). */
export const LANDER_CLICK_WINDOW_MS = 24 * 3600_000

/**
 * A search of one run for the FIRST lander CTA click of click `clickId` (served at `clickMs`):
 * only lander-click runs whose `ts` range overlaps [clickMs, clickMs + 24 h] are searched.
 * Runs are searched newest first by the callers, so within a run the first line is taken;
 * the caller keeps the earliest hit over all runs.
 */
export function landerClickSearch(
  clickId: string,
  clickMs: number,
): (l: Line) => LanderClickEvent | undefined {
  const needle = `"click_id":${JSON.stringify(clickId)},`
  return (l) =>
    l.table === 'lander_clicks' && l.maxTs >= clickMs && l.minTs <= clickMs + LANDER_CLICK_WINDOW_MS
      ? findLine(l.bytes, needle, clickId, 'lander_click')
      : undefined
}

/** The event on the JSON line of `bytes` that contains `needle`, if it is `clickId`'s of type `type`. */
function findLine(bytes: Buffer, needle: string, clickId: string): ClickEvent | undefined
function findLine(
  bytes: Buffer,
  needle: string,
  clickId: string,
  type: 'lander_click',
): LanderClickEvent | undefined
function findLine(
  bytes: Buffer,
  needle: string,
  clickId: string,
  type: 'click' | 'lander_click' = 'click',
): ClickEvent | LanderClickEvent | undefined {
  const at = bytes.indexOf(needle)
  if (at === -1) return undefined
  const start = bytes.lastIndexOf(10, at) + 1
  const nl = bytes.indexOf(10, at)
  try {
    const v = JSON.parse(bytes.toString('utf8', start, nl === -1 ? bytes.length : nl)) as
      | ClickEvent
      | LanderClickEvent
    return v.type === type && v.click_id === clickId ? v : undefined
  } catch {
    return undefined
  }
}
