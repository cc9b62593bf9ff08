import { describe, expect, it } from 'vitest'
import { schema } from './helpers/schema.ts'
import { throwawayDb } from './helpers/pg.ts'

describe.each(['pglite', 'postgres'] as const)('configuration store on %s', (kind) => {
  it('migrates and round-trips a workspace', async () => {
    const h = await throwawayDb(kind)
    try {
      const [ws] = await h.db.insert(schema.workspaces).values({ name: 'W' }).returning()
      expect(ws?.name).toBe('W')
      await h.migrate() // idempotent
    } finally {
      await h.drop()
    }
  })
})
