/**
 * Names of the configured objects a click refers to (campaign, stream, offer =
 * destination, lander, traffic source), read from the configuration store for the ids of
 * one page or one CSV chunk, always within the caller's workspace: an id of another
 * workspace (or a deleted object) simply has no name.
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { campaigns, destinations, landers, streams, trafficSources } from '../routing.tables.ts'

/** The kinds of ids a click carries. */
export type NamedKind = 'campaign' | 'stream' | 'destination' | 'lander' | 'source'

/** id → name, per kind. */
export type NameMaps = Record<NamedKind, Map<string, string>>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const TABLES = {
  campaign: campaigns,
  stream: streams,
  destination: destinations,
  lander: landers,
  source: trafficSources,
} as const

/** Empty maps, to fill with {@link loadNames}. */
export function emptyNames(): NameMaps {
  return {
    campaign: new Map(),
    stream: new Map(),
    destination: new Map(),
    lander: new Map(),
    source: new Map(),
  }
}

/**
 * Adds to `into` the names of `ids` (per kind; ids already known, empty or not UUIDs are
 * skipped) of `workspaceId`. One query per kind that has new ids.
 * @returns `into`.
 */
export async function loadNames(
  db: Db,
  workspaceId: string,
  ids: Partial<Record<NamedKind, Iterable<string>>>,
  into: NameMaps = emptyNames(),
): Promise<NameMaps> {
  for (const kind of Object.keys(TABLES) as NamedKind[]) {
    const wanted = [...new Set(ids[kind] ?? [])].filter((id) => UUID.test(id) && !into[kind].has(id))
    if (wanted.length === 0) continue
    const t = TABLES[kind]
    const rows = await db
      .select({ id: t.id, name: t.name })
      .from(t)
      .where(and(eq(t.workspaceId, workspaceId), inArray(t.id, wanted)))
    for (const r of rows) into[kind].set(r.id, r.name)
  }
  return into
}
