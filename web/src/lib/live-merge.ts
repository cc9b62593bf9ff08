/**
 * The dashboard live feed's list: the events the stream delivered since the page opened,
 * plus the backfill the page read when it opened (`GET /api/v1/live/recent`), one item per
 * key (an event that came both ways shows once, as the stream gave it), newest first, at
 * most `max`. Pure.
 */

/** What the merge needs of an item: its time (ISO 8601). */
export interface Timed {
  ts: string
}

/**
 * @param streamed the stream's items, newest first.
 * @param backfill the backfill's items, newest first (empty while it loads).
 * @param key a key unique per item (`liveKey`).
 * @param max items kept.
 */
export function mergeLiveItems<T extends Timed>(
  streamed: readonly T[],
  backfill: readonly T[],
  key: (item: T) => string,
  max: number,
): T[] {
  const seen = new Set<string>()
  const all: { item: T; ms: number; order: number }[] = []
  let order = 0
  for (const item of [...streamed, ...backfill]) {
    const k = key(item)
    if (seen.has(k)) continue
    seen.add(k)
    const ms = Date.parse(item.ts)
    all.push({ item, ms: Number.isNaN(ms) ? 0 : ms, order: order++ })
  }
  // Newest first; equal times keep their order (the stream's before the backfill's).
  all.sort((a, b) => b.ms - a.ms || a.order - b.order)
  return all.slice(0, max).map((x) => x.item)
}
