/**
 * Persisted cap counters (`cap_counters`): clicks per destination per day in the
 * destination's cap timezone. The hot path counts in memory; this repository loads the
 * counts at start-up and adds the accumulated deltas every CAP_PERSIST_MS.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { CapDelta } from './router-state.ts'

/** All counter rows (`clicks` per destination and day). */
export async function loadCapCounters(
  db: Db,
): Promise<{ destinationId: string; day: string; clicks: number }[]> {
  const res = await db.execute(sql`SELECT destination_id, day, clicks FROM cap_counters`)
  const rows = (
    res as unknown as { rows: { destination_id: string; day: string; clicks: string | number }[] }
  ).rows
  return rows.map((r) => ({ destinationId: r.destination_id, day: r.day, clicks: Number(r.clicks) }))
}

/**
 * Adds `deltas` to the stored counters in one statement. Deltas of destinations deleted
 * meanwhile are dropped (the join) instead of failing the whole batch on the foreign key.
 */
export async function persistCapDeltas(db: Db, deltas: CapDelta[]): Promise<void> {
  if (deltas.length === 0) return
  const values = sql.join(
    deltas.map((d) => sql`(${d.destinationId}::uuid, ${d.day}::text, ${d.clicks}::bigint)`),
    sql`, `,
  )
  await db.execute(sql`
    INSERT INTO cap_counters (destination_id, day, clicks)
    SELECT v.destination_id, v.day, v.clicks
    FROM (VALUES ${values}) AS v(destination_id, day, clicks)
    JOIN destinations d ON d.id = v.destination_id
    ON CONFLICT (destination_id, day) DO UPDATE SET clicks = cap_counters.clicks + excluded.clicks`)
}
