/**
 * An {@link AuthoritativeCounts} backed by the configuration store's `cap_counters`: every
 * traffic node adds its own deltas there every CAP_PERSIST_MS, so the table is the sum over
 * nodes, behind by at most one persist interval per node. Usable for reconciliation until
 * (or instead of) a count from the click store; its lag is the difference: after Redis lost
 * its data, clicks not yet persisted (≤ CAP_PERSIST_MS of each node's traffic) are missing
 * from `used` — a possible overshoot of that much, once.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { AuthoritativeCounts } from './shared-counters.ts'

/**
 * Clicks per destination from `cap_counters`: all days for `dayKey` null, else that day's row
 * (days are already in each destination's cap timezone, so `timezone` is not needed).
 * Destinations without rows are missing from the map (= 0).
 * @throws whatever the database throws (the caller counts a failed reconciliation).
 */
export function capCountsFromStore(db: Db): AuthoritativeCounts {
  return async (destinationIds, dayKey) => {
    const out = new Map<string, number>()
    if (destinationIds.length === 0) return out
    const ids = sql.join(
      destinationIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )
    const res = await db.execute(
      dayKey === null
        ? sql`SELECT destination_id, SUM(clicks) AS clicks FROM cap_counters WHERE destination_id IN (${ids}) GROUP BY destination_id`
        : sql`SELECT destination_id, clicks FROM cap_counters WHERE destination_id IN (${ids}) AND day = ${dayKey}`,
    )
    for (const r of (res as unknown as { rows: { destination_id: string; clicks: string | number }[] }).rows)
      out.set(r.destination_id, Number(r.clicks))
    return out
  }
}
