/** Persisted cap counters on PGlite and PostgreSQL: deltas add up, deleted destinations drop out. */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { loadCapCounters, persistCapDeltas } from '../src/modules/routing/hotpath/cap.repository.ts'
import { createRuntimeState } from '../src/modules/routing/hotpath/router-state.ts'
import { schema } from './helpers/schema.ts'
import { throwawayDb } from './helpers/pg.ts'

describe.each(['pglite', 'postgres'] as const)('cap counters on %s', (kind) => {
  it('accumulates deltas, survives a reload and ignores deleted destinations', async () => {
    const h = await throwawayDb(kind)
    try {
      const [ws] = await h.db.insert(schema.workspaces).values({ name: 'W' }).returning()
      const [a, b] = await h.db
        .insert(schema.destinations)
        .values([
          { workspaceId: ws!.id, name: 'A', url: 'https://a.example/' },
          { workspaceId: ws!.id, name: 'B', url: 'https://b.example/' },
        ])
        .returning()
      const now = Date.parse('2026-03-01T12:00:00Z')
      const state = createRuntimeState()
      for (let i = 0; i < 3; i++)
        state.apply({ countDestination: a!.id, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, now)
      state.apply({ countDestination: b!.id, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, now)
      await persistCapDeltas(h.db, state.drainDeltas())
      state.apply({ countDestination: a!.id, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, now)
      await h.db.delete(schema.destinations).where(eq(schema.destinations.id, b!.id))
      state.apply({ countDestination: b!.id, rememberCampaign: { userKey: 'u', campaignId: 'c' } }, now)
      await persistCapDeltas(h.db, state.drainDeltas())

      const rows = await loadCapCounters(h.db)
      expect(rows).toEqual([{ destinationId: a!.id, day: '2026-03-01', clicks: 4 }])
      const reloaded = createRuntimeState()
      reloaded.load(rows, now)
      expect(reloaded.totalClicks(a!.id)).toBe(4)
      expect(reloaded.dailyClicks(a!.id, new Date(now))).toBe(4)
    } finally {
      await h.drop()
    }
  })
})
