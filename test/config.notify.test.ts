/**
 * Configuration propagation across processes (docs/DEPLOY.md): a configuration write's
 * NOTIFY reaches listeners at COMMIT, and a listener that reconnects catches up by itself.
 * Real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bumpConfigVersion,
  listenConfigVersion,
  readConfigVersion,
} from '../src/platform/db/config-version.ts'
import { throwawayDb } from './helpers/pg.ts'

const waitFor = async (what: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms
  while (!what()) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('configuration version over LISTEN/NOTIFY', () => {
  let db: Awaited<ReturnType<typeof throwawayDb>>
  beforeAll(async () => {
    db = await throwawayDb('postgres')
  })
  afterAll(async () => {
    await db.drop()
  })

  it('notifies at commit, not before, and not for a rolled-back write', async () => {
    let calls = 0
    const errors: Error[] = []
    const listener = listenConfigVersion({
      databaseUrl: db.url!,
      onChange: () => calls++,
      onError: (e) => errors.push(e),
    })
    try {
      // One call on connecting (catch-up for anything sent while it was not listening).
      await waitFor(() => listener.connected() && calls === 1)
      const before = await readConfigVersion(db.db)
      let inside = -1
      await db.db.transaction(async (tx) => {
        await bumpConfigVersion(tx)
        await new Promise((r) => setTimeout(r, 200))
        inside = calls
      })
      expect(inside).toBe(1)
      await waitFor(() => calls === 2)
      expect(await readConfigVersion(db.db)).toBe(before + 1)

      await db.db
        .transaction(async (tx) => {
          await bumpConfigVersion(tx)
          throw new Error('rolled back')
        })
        .catch(() => {})
      await new Promise((r) => setTimeout(r, 300))
      expect(calls).toBe(2)
      expect(errors).toEqual([])
    } finally {
      await listener.close()
    }
  })

  it('reconnects after its connection is killed, and calls once more to catch up', async () => {
    let calls = 0
    const listener = listenConfigVersion({
      databaseUrl: db.url!,
      onChange: () => calls++,
      onError: () => {},
      retryMs: 50,
    })
    try {
      await waitFor(() => listener.connected() && calls === 1)
      // Kill the listening backend (as a server restart or a proxy would).
      await db.raw.executeSql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      )
      await waitFor(() => calls === 2 && listener.connected())
      await db.db.transaction(async (tx) => {
        await bumpConfigVersion(tx)
      })
      await waitFor(() => calls === 3)
    } finally {
      await listener.close()
    }
  })
})
