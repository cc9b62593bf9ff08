/**
 * Fair sharing of browser mode's page cap between projects (pure). The cap
 * (`VISITORS_BROWSER_PAGES`) bounds the pages open at once across all projects; a plain FIFO
 * of waiting visits lets one fast project keep every page (its visits are always first in
 * line), starving the others. Instead, when a page frees, it goes to the waiting project with
 * the **fewest pages open** (ties: the one whose visit has waited longest), so projects that
 * want pages converge to an equal share (`maxPages / projects`, ±1), and a project alone may
 * use every page (work-conserving: no page stays idle while a visit waits).
 *
 * A "project" here is any key (the browser visitor uses the visit's run ID: one run per
 * project at a time).
 */

/** One visit waiting for a page: its project key, in arrival order. */
export interface PageWaiter {
  key: string
}

/**
 * Which waiter gets a page that just came free: the index in `waiters` (oldest first) of the
 * oldest waiter of the project with the fewest pages open (`open`: pages open per key, absent
 * = 0); ties go to the project whose oldest waiter is oldest. −1 when nobody waits.
 */
export function nextPageWaiter(waiters: readonly PageWaiter[], open: ReadonlyMap<string, number>): number {
  let best = -1
  let bestOpen = Number.POSITIVE_INFINITY
  const seen = new Set<string>()
  for (let i = 0; i < waiters.length; i++) {
    const k = waiters[i]!.key
    if (seen.has(k)) continue // only each project's oldest waiter competes
    seen.add(k)
    const n = open.get(k) ?? 0
    if (n < bestOpen) {
      best = i
      bestOpen = n
    }
  }
  return best
}
