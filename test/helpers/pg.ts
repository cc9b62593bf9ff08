/**
 * Throwaway databases for "medium" tests: a fresh database on the local PostgreSQL
 * (127.0.0.1:5432, trust auth) or an in-memory PGlite, migrated and dropped afterwards.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDb, type DbHandle } from '../../src/platform/db/client.ts'

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Creates, migrates and returns a database of `kind`; `drop()` removes it. */
export async function throwawayDb(
  kind: 'pglite' | 'postgres',
): Promise<DbHandle & { drop(): Promise<void>; url?: string }> {
  if (kind === 'pglite') {
    const h = await openDb({ pgDir: 'memory://' })
    await h.migrate()
    return { ...h, drop: () => h.close() }
  }
  const name = `tf_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`)
  const h = await openDb({ databaseUrl: url, pgDir: '' })
  await h.migrate()
  return {
    ...h,
    url,
    drop: async () => {
      await h.close()
      const a = new pg.Client({ connectionString: PG_ADMIN_URL })
      await a.connect()
      try {
        // Not WITH (FORCE): killing a pooled connection that is still closing makes it emit
        // an error nobody listens to any more. Its backend goes away by itself in a moment.
        for (let attempt = 0; ; attempt++) {
          try {
            await a.query(`DROP DATABASE IF EXISTS ${name}`)
            break
          } catch (err) {
            if ((err as { code?: string }).code !== '55006' || attempt >= 100) throw err
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      } finally {
        await a.end()
      }
    },
  }
}
