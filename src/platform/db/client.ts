/**
 * Configuration store client: PGlite under DATA_DIR/pg by default, PostgreSQL through `pg`
 * when DATABASE_URL is set. Same Drizzle schema and migrations for both.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import * as schema from './schema.ts'

export { schema }

/** Drizzle database over either driver. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface DbHandle {
  db: Db
  kind: 'pglite' | 'postgres'
  /** Applies pending migrations from `drizzle/` (idempotent). */
  migrate(): Promise<void>
  close(): Promise<void>
}

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle')

/**
 * Opens the configuration store.
 * @param opts.databaseUrl PostgreSQL URL; when absent PGlite is opened at `opts.pgDir`
 *   (`memory://` for an in-memory database).
 */
export async function openDb(opts: {
  databaseUrl?: string | undefined
  pgDir: string
  /** Called for errors of idle pooled connections (e.g. the server restarted); the pool replaces them. */
  onIdleError?: (err: Error) => void
}): Promise<DbHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 })
    // Without a listener an idle connection's error (server restart, admin termination)
    // would crash the process.
    pool.on('error', (err) => opts.onIdleError?.(err))
    const db = drizzlePg(pool, { schema }) as unknown as Db
    return {
      db,
      kind: 'postgres',
      migrate: () => migratePg(db as never, { migrationsFolder }),
      close: () => pool.end(),
    }
  }
  if (!opts.pgDir.startsWith('memory://')) mkdirSync(opts.pgDir, { recursive: true })
  const client = new PGlite(opts.pgDir)
  await client.waitReady
  const db = drizzlePglite(client, { schema }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    close: () => client.close(),
  }
}
