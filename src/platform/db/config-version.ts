/**
 * The configuration version: bumped in the same transaction as every configuration write,
 * polled by traffic processes to rebuild their routing snapshot within SNAPSHOT_POLL_MS.
 */
import { sql } from 'drizzle-orm'
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

/** Increments the version; call inside the writing transaction. Returns the new version. */
export async function bumpConfigVersion(tx: Tx): Promise<number> {
  const res = await tx.execute(
    sql`INSERT INTO config_version (id, version, updated_at) VALUES (1, 1, now())
        ON CONFLICT (id) DO UPDATE SET version = config_version.version + 1, updated_at = now()
        RETURNING version`,
  )
  return Number((res as unknown as { rows: { version: number | string }[] }).rows[0]?.version ?? 0)
}

/** Current version (0 before the first write). */
export async function readConfigVersion(tx: Tx): Promise<number> {
  const res = await tx.execute(sql`SELECT version FROM config_version WHERE id = 1`)
  return Number((res as unknown as { rows: { version: number | string }[] }).rows[0]?.version ?? 0)
}
