/**
 * The configuration version: bumped in the same transaction as every configuration write,
 * announced on the PostgreSQL channel `tfx_config` (NOTIFY is delivered at COMMIT), and
 * polled by every process as a catch-up for a missed notification (SNAPSHOT_POLL_MS).
 */
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { bigint, integer, pgTable } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'
import { updatedAt } from './columns.ts'

/**
 * One row, bumped by every configuration write. Traffic processes poll it to rebuild their
 * routing snapshot (works across processes on PostgreSQL).
 */
export const configVersion = pgTable('config_version', {
  id: integer('id').primaryKey().default(1),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  updatedAt: updatedAt(),
})

type Tx = Pick<Db, 'execute'>

/** The LISTEN/NOTIFY channel of configuration versions (payload: the new version, decimal). */
export const CONFIG_CHANNEL = 'tfx_config'

/**
 * Increments the version and notifies {@link CONFIG_CHANNEL}; call inside the writing
 * transaction (listeners hear it only once that transaction commits). Returns the new version.
 */
export async function bumpConfigVersion(tx: Tx): Promise<number> {
  const res = await tx.execute(
    sql`WITH v AS (
          INSERT INTO config_version (id, version, updated_at) VALUES (1, 1, now())
          ON CONFLICT (id) DO UPDATE SET version = config_version.version + 1, updated_at = now()
          RETURNING version
        )
        SELECT version, pg_notify(${CONFIG_CHANNEL}, version::text) FROM v`,
  )
  return Number((res as unknown as { rows: { version: number | string }[] }).rows[0]?.version ?? 0)
}

/** Current version (0 before the first write). */
export async function readConfigVersion(tx: Tx): Promise<number> {
  const res = await tx.execute(sql`SELECT version FROM config_version WHERE id = 1`)
  return Number((res as unknown as { rows: { version: number | string }[] }).rows[0]?.version ?? 0)
}

/** A running {@link listenConfigVersion}. */
export interface ConfigListener {
  /** Whether the LISTEN connection is up (a notification can be missed while it is not). */
  connected(): boolean
  close(): Promise<void>
}

/**
 * Listens on {@link CONFIG_CHANNEL} with a dedicated connection (not the pool: a pooled
 * connection would stop listening when returned) and calls `onChange` for every
 * notification, and once after each (re)connection, since notifications sent while it was
 * down are lost. Reconnects after `retryMs` (default 1 s) when the connection fails.
 * Never throws; errors go to `onError`.
 * @param opts.databaseUrl PostgreSQL URL (PGlite needs none of this: one process).
 */
export function listenConfigVersion(opts: {
  databaseUrl: string
  onChange: () => void
  onError: (err: Error) => void
  retryMs?: number
}): ConfigListener {
  let client: pg.Client | undefined
  let up = false
  let closed = false
  let timer: NodeJS.Timeout | undefined
  const retry = () => {
    up = false
    if (closed || timer) return
    timer = setTimeout(() => {
      timer = undefined
      void connect()
    }, opts.retryMs ?? 1_000)
    timer.unref()
  }
  const connect = async () => {
    const c = new pg.Client({ connectionString: opts.databaseUrl })
    client = c
    c.on('error', (err) => {
      opts.onError(err)
      void c.end().catch(() => {})
      retry()
    })
    c.on('notification', () => opts.onChange())
    try {
      await c.connect()
      await c.query(`LISTEN ${CONFIG_CHANNEL}`)
      if (closed) return void (await c.end().catch(() => {}))
      up = true
      opts.onChange()
    } catch (err) {
      opts.onError(err as Error)
      void c.end().catch(() => {})
      retry()
    }
  }
  void connect()
  return {
    connected: () => up,
    async close() {
      closed = true
      up = false
      if (timer) clearTimeout(timer)
      await client?.end().catch(() => {})
    },
  }
}
