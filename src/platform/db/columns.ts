/**
 * Column builders every module's Drizzle tables share (PostgreSQL dialect, PGlite and
 * PostgreSQL alike). Module-free: a module's `<module>.tables.ts` imports these; the
 * workspace reference lives with the `workspaces` table in the accounts module.
 */
import { sql } from 'drizzle-orm'
import { timestamp, uuid } from 'drizzle-orm/pg-core'

/** `id uuid PRIMARY KEY DEFAULT gen_random_uuid()`. */
export const pk = () => uuid('id').primaryKey().default(sql`gen_random_uuid()`)
/** `created_at timestamptz NOT NULL DEFAULT now()` (second precision as stored, JS `Date`). */
export const createdAt = () =>
  timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
/** `updated_at timestamptz NOT NULL DEFAULT now()`. */
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
/** A `timestamptz(3)` column (millisecond precision, JS `Date`), nullable until `.notNull()`. */
export const ms = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 })
