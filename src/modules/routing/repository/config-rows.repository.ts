/** The whole routing configuration, read for the hot path's snapshot. */
import { asc } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { readConfigVersion } from '../../../platform/db/config-version.ts'
import {
  campaigns,
  destinations,
  landers,
  streamDestinations,
  streamLanders,
  streams,
  trafficSources,
} from '../routing.tables.ts'
import type { ConfigRows } from '../routing.types.ts'
import { groupLanders, groupLinks } from './streams.repository.ts'

/**
 * Loads every workspace's routing configuration for the hot-path snapshot, plus the config
 * version it corresponds to. Reads in one REPEATABLE READ transaction, so `version` and the
 * rows are mutually consistent (a write committing mid-load is either fully in or out).
 * Streams' destination and lander lists are in configured order; JSON columns are already parsed.
 */
export async function loadConfigRows(db: Db): Promise<ConfigRows> {
  return db.transaction(
    async (tx0) => {
      const tx = tx0 as unknown as Db
      const version = await readConfigVersion(tx)
      // Sequential on purpose: one connection per transaction, and pg deprecates pipelining.
      const srcRows = await tx
        .select()
        .from(trafficSources)
        .orderBy(asc(trafficSources.createdAt), asc(trafficSources.id))
      const campRows = await tx.select().from(campaigns).orderBy(asc(campaigns.createdAt), asc(campaigns.id))
      const destRows = await tx
        .select()
        .from(destinations)
        .orderBy(asc(destinations.createdAt), asc(destinations.id))
      const streamRows = await tx.select().from(streams).orderBy(asc(streams.createdAt), asc(streams.id))
      const links = await tx
        .select()
        .from(streamDestinations)
        .orderBy(asc(streamDestinations.streamId), asc(streamDestinations.position))
      const by = groupLinks(links)
      const landerRows = await tx.select().from(landers).orderBy(asc(landers.createdAt), asc(landers.id))
      const landerLinks = await tx
        .select()
        .from(streamLanders)
        .orderBy(asc(streamLanders.streamId), asc(streamLanders.position))
      const byLanders = groupLanders(landerLinks)
      return {
        version,
        sources: srcRows.map((s) => ({
          id: s.id,
          workspaceId: s.workspaceId,
          name: s.name,
          costModel: s.costModel,
          defaultCostMicros: s.defaultCostMicros,
          currency: s.currency,
          externalIdParam: s.externalIdParam,
        })),
        campaigns: campRows.map((c) => ({
          id: c.id,
          workspaceId: c.workspaceId,
          alias: c.alias,
          name: c.name,
          sourceId: c.sourceId,
          status: c.status,
          timezone: c.timezone,
          costMicros: c.costMicros,
          currency: c.currency,
          trafficback: c.trafficback,
          antiRepeat: c.antiRepeat,
        })),
        destinations: destRows.map((d) => ({
          id: d.id,
          workspaceId: d.workspaceId,
          name: d.name,
          url: d.url,
          networkId: d.networkId,
          payoutCents: d.payoutCents,
          currency: d.currency,
          status: d.status,
          schedule: d.schedule ?? null,
          dailyClickCap: d.dailyClickCap,
          totalClickCap: d.totalClickCap,
          capTimezone: d.capTimezone,
          healthCheck: d.healthCheck ?? null,
          health: d.health,
        })),
        streams: streamRows.map((s) => ({
          id: s.id,
          workspaceId: s.workspaceId,
          campaignId: s.campaignId,
          name: s.name,
          kind: s.kind,
          priority: s.priority,
          conditions: s.conditions,
          strategy: s.strategy,
          exploration: s.exploration,
          active: s.active,
          destinations: by.get(s.id) ?? [],
          landers: byLanders.get(s.id) ?? [],
        })),
        landers: landerRows.map((l) => ({
          id: l.id,
          workspaceId: l.workspaceId,
          name: l.name,
          url: l.url,
          status: l.status,
        })),
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  )
}

export { readConfigVersion }
