/**
 * V8 garbage-collector tuning for the serving process.
 *
 * Why: after each major GC, V8 lets the old generation grow only by a factor it derives
 * from its own throughput heuristics, which under a steady request load comes out close to
 * 1.1. The redirect path promotes a few hundred bytes per request (objects that happen to
 * be in flight when a scavenge runs), so with a ~50 MB live heap a major GC ran several
 * times a second, each pausing the event loop for 4–12 ms: the redirect's p99.
 * A fixed growing factor of (1 + percent / 100) spaces them out (at 200: about one every
 * few seconds at 10,000 clicks/s, measured with `npm run bench:redirect`) for at most
 * that factor × the live heap in memory.
 */
import v8 from 'node:v8'

/**
 * Sets V8's heap growing factor to (1 + `percent` / 100) for the rest of the process; 0
 * keeps V8's own heuristics. Call once at start-up, before the load arrives.
 * @throws RangeError when `percent` is not an integer in [0, 1000].
 */
export function setHeapGrowingPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000)
    throw new RangeError(`heap growing percent must be an integer in [0, 1000], got ${percent}`)
  // V8's own default is 0, meaning its heuristics.
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`)
}
