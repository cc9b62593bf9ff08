/**
 * Configuration store client: PGlite under DATA_DIR/pg by default, PostgreSQL through `pg`
 * when DATABASE_URL is set. Same Drizzle schema and migrations for both.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'

/**
 * Drizzle database over either driver. Schema-less (no relational `db.query` API): each
 * module owns its tables (`src/modules/<module>/<module>.tables.ts`) and builds its queries
 * from them, so the platform knows no module's types.
 */
export type Db = PgDatabase<PgQueryResultHKT>

/**
 * Raw parameterised SQL over the app's own connection, in the shape pg-boss accepts as its
 * `db` option (`{ executeSql(text, values) }` answering `{ rows }`). Placeholders are
 * `$1…$n`. A call without values may hold several `;`-separated statements (pg-boss runs its
 * schema migrations and maintenance that way, wrapped in `BEGIN … COMMIT`); the answer then
 * holds the rows of every statement in order, as pg-boss requires.
 */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
}

export interface DbHandle {
  db: Db
  kind: 'pglite' | 'postgres'
  /**
   * The same connection (PGlite instance or `pg.Pool`) as a {@link SqlExecutor}, for
   * libraries that speak SQL text (pg-boss). Outside any transaction; inside one use
   * {@link executorOf}`(tx)`.
   */
  raw: SqlExecutor
  /** Applies pending migrations from `drizzle/` (idempotent). */
  migrate(): Promise<void>
  close(): Promise<void>
}

/** Advisory lock key held while migrating (any fixed bigint; "tfxmigr" in ASCII). */
const MIGRATION_LOCK = 0x7466786d69677200n.toString()

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
    const db = drizzlePg(pool) as unknown as Db
    return {
      db,
      kind: 'postgres',
      raw: poolExecutor(pool),
      // Several processes (roles, replicas) start against one database: one migrates at a
      // time, the others then find nothing pending.
      migrate: async () => {
        const lock = await pool.connect()
        try {
          await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
          await migratePg(db as never, { migrationsFolder })
        } finally {
          await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
          lock.release()
        }
      },
      close: () => pool.end(),
    }
  }
  if (!opts.pgDir.startsWith('memory://')) mkdirSync(opts.pgDir, { recursive: true })
  const client = new PGlite(opts.pgDir)
  await client.waitReady
  const db = drizzlePglite(client) as unknown as Db
  return {
    db,
    kind: 'pglite',
    raw: pgliteExecutor(client),
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    close: () => client.close(),
  }
}

type Rows = { rows: Record<string, unknown>[] }

/**
 * node-postgres pool as a {@link SqlExecutor}. A multi-statement text (no values) runs on a
 * checked-out client that is rolled back and discarded if it fails, so a half-run
 * `BEGIN … COMMIT` never returns an aborted connection to the pool.
 */
function poolExecutor(pool: pg.Pool): SqlExecutor {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return (await pool.query(text, values)) as unknown as Rows
      const client = await pool.connect()
      try {
        const r = (await client.query(text)) as unknown as Rows | Rows[]
        client.release()
        return Array.isArray(r) ? { rows: r.flatMap((x) => x.rows ?? []) } : r
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        client.release(true)
        throw err
      }
    },
  }
}

/**
 * PGlite as a {@link SqlExecutor}: with values, one extended-protocol query; without, the
 * simple protocol (`exec`, several statements allowed; the rows of all of them are
 * returned in order). A failed multi-statement text that left a transaction open is rolled back, so
 * the single connection is not left in an aborted transaction.
 */
function pgliteExecutor(client: PGlite): SqlExecutor {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return (await client.query(text, values as unknown[])) as Rows
      try {
        const r = await client.exec(text)
        return { rows: r.flatMap((x) => (x.rows ?? []) as Record<string, unknown>[]) }
      } catch (err) {
        if (client.isInTransaction()) await client.exec('ROLLBACK').catch(() => {})
        throw err
      }
    },
  }
}

/**
 * A {@link SqlExecutor} over an open Drizzle transaction (or a Drizzle database), so SQL
 * written elsewhere — a pg-boss `send` with `{ db }` — commits or rolls back with the
 * caller's writes. Values are required (the extended protocol: one statement).
 *
 * The text's `$1…$n` placeholders become Drizzle parameters, and the query runs
 * through the public `execute`, whose result carries `rows` on both drivers.
 * @throws Error when a placeholder has no value.
 */
export function executorOf(dbOrTx: Db): SqlExecutor {
  return {
    async executeSql(text, values = []) {
      const chunks: SQL[] = []
      let last = 0
      for (const m of text.matchAll(/\$(\d+)/g)) {
        const i = Number(m[1]) - 1
        if (i < 0 || i >= values.length) throw new Error(`executorOf: no value for placeholder ${m[0]}`)
        // `undefined` would render as nothing in Drizzle's template; the drivers send both as NULL.
        chunks.push(sql.raw(text.slice(last, m.index)), sql`${values[i] ?? null}`)
        last = m.index + m[0].length
      }
      chunks.push(sql.raw(text.slice(last)))
      const r = (await dbOrTx.execute(sql.join(chunks))) as unknown as Rows
      return { rows: r.rows }
    },
  }
}

/**
 * The rows of a `db.execute(sql…)` answer, typed by the caller: node-postgres answers a
 * QueryResult (`{rows}`), PGlite a Results (`{rows}`) too. Column names are as in SQL
 * (snake_case); `bigint` columns arrive as strings from node-postgres and as bigints or
 * numbers from PGlite, so convert them explicitly.
 */
export function rowsOf<T = Record<string, unknown>>(r: unknown): T[] {
  if (Array.isArray(r)) return r as T[]
  const rows = (r as { rows?: unknown[] } | null)?.rows
  return Array.isArray(rows) ? (rows as T[]) : []
}
