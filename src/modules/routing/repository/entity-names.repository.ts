/**
 * Names of configured objects by id, for reports that show names next to ids (the
 * analytics CSV export): campaigns, streams, destinations (offers), landers, traffic
 * sources and affiliate networks of one workspace. Wired into the analytics routes by
 * `src/server.ts` (analytics imports no routing code).
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import {
  affiliateNetworks,
  campaigns,
  destinations,
  landers,
  streams,
  trafficSources,
} from '../routing.tables.ts'

const TABLES = {
  campaign: campaigns,
  stream: streams,
  destination: destinations,
  lander: landers,
  source: trafficSources,
  network: affiliateNetworks,
} as const

/** Report dimensions whose keys are ids this resolver names. */
export const NAMED_DIMENSIONS = Object.keys(TABLES) as (keyof typeof TABLES)[]

/**
 * A resolver `(workspaceId, dimension, ids) → {id: name}` over `db`. Ids of another
 * workspace, deleted objects, non-UUID keys (`''`) and dimensions that are not ids are
 * simply absent from the answer. At most 10 000 ids per call are looked up.
 */
export function entityNames(
  db: Db,
): (workspaceId: string, dimension: string, ids: readonly string[]) => Promise<Record<string, string>> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
  return async (workspaceId, dimension, ids) => {
    const table = TABLES[dimension as keyof typeof TABLES]
    const wanted = [...new Set(ids.filter((i) => uuid.test(i)))].slice(0, 10_000)
    if (!table || wanted.length === 0) return {}
    const rows = await db
      .select({ id: table.id, name: table.name })
      .from(table)
      .where(and(eq(table.workspaceId, workspaceId), inArray(table.id, wanted)))
    return Object.fromEntries(rows.map((r) => [r.id, r.name]))
  }
}
