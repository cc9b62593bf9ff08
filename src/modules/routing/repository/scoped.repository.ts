/**
 * Helpers shared by the configuration store's repositories (`*.repository.ts` beside this
 * file): workspace-scoped reads, writes and pages, reference checks, and the write
 * transaction that bumps the config version.
 *
 * Invariants every repository keeps through these helpers:
 * - Every query filters on `workspace_id`; a row of another workspace is "not found" (404),
 *   never "forbidden", so ids of other tenants cannot be probed.
 * - Cross-references are checked inside the caller's workspace, in the same transaction as
 *   the write; a bad one is a 400 naming the field and nothing is written.
 * - Every write runs in one transaction together with `bumpConfigVersion`, so the hot path
 *   rebuilds its snapshot exactly when configuration changed.
 * - Every insert, update and delete through {@link insertIn} / {@link updateIn} /
 *   {@link deleteIn} writes its change-log row (src/platform/changelog) in that same
 *   transaction, with the row before (locked `FOR UPDATE`) and after; the table's object
 *   type comes from {@link OBJECT_TYPES}. Writers that log a richer object themselves (a
 *   stream with its offer and lander lists) pass `{ record: false }`.
 *
 * Inputs are the *parsed* outputs of the zod schemas in `../routing.schema.ts` (snake_case,
 * defaults applied); patches are `Partial` of those (absent = unchanged, `null` = clear).
 * Records are Drizzle rows (camelCase).
 */
import { pgError } from '../../../platform/db/errors.ts'
import { and, asc, count, eq, getTableName, ilike, type SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { recordChange } from '../../../platform/changelog/index.ts'
import type { Db } from '../../../platform/db/client.ts'
import { bumpConfigVersion } from '../../../platform/db/config-version.ts'
import { AppError, badRequest, conflict, notFound } from '../../../platform/errors.ts'

/** List options. `limit` 1–500 (default 50), `offset` ≥ 0, `q` case-insensitive substring of `name`. */
export interface ListQuery {
  limit?: number
  offset?: number
  q?: string
}

/** One page of a list; `total` counts all rows matching the filter (ignores limit/offset). */
export interface Page<T> {
  items: T[]
  total: number
}

/** Transactions are structurally a Db for our purposes (same query builder surface). */
export type Tx = Db

/** A configuration table: scoped by workspace, named, listed oldest first, stamped on update. */
export type ScopedTable = PgTable & {
  id: PgColumn
  workspaceId: PgColumn
  name: PgColumn
  createdAt: PgColumn
  updatedAt: PgColumn
}

/**
 * The change log's object type of each configuration table (`destinations` are offers in
 * the product). A table missing here is written without a change-log row.
 */
export const OBJECT_TYPES: Readonly<Record<string, string>> = {
  campaigns: 'campaign',
  streams: 'stream',
  destinations: 'offer',
  landers: 'lander',
  traffic_sources: 'source',
  affiliate_networks: 'network',
  source_templates: 'source_template',
}

/** Options of the write helpers: `record: false` when the caller logs the change itself. */
export interface WriteOptions {
  record?: boolean
}

function objectTypeOf(table: ScopedTable, opts?: WriteOptions): string | undefined {
  return opts?.record === false ? undefined : OBJECT_TYPES[getTableName(table)]
}

type Row = Record<string, unknown>

/** Escapes LIKE metacharacters so `q` matches literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** `workspace_id = $ws AND name ILIKE %q% AND extra` (the last two when given). */
function listWhere(table: ScopedTable, workspaceId: string, q?: string, extra?: SQL): SQL {
  const parts: SQL[] = [eq(table.workspaceId, workspaceId)]
  if (q) parts.push(ilike(table.name, likePattern(q)))
  if (extra) parts.push(extra)
  return and(...parts)!
}

/** `id = $id AND workspace_id = $ws`. */
export function byIdIn(table: ScopedTable, workspaceId: string, id: string): SQL {
  return and(eq(table.id, id), eq(table.workspaceId, workspaceId))!
}

/**
 * One page of the workspace's rows of `table`, oldest first (ties by id), filtered by
 * `query.q` on the name and by `extra` when given.
 */
export async function listPage<R>(
  db: Db,
  table: ScopedTable,
  workspaceId: string,
  query: ListQuery,
  extra?: SQL,
): Promise<Page<R>> {
  const where = listWhere(table, workspaceId, query.q, extra)
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500)
  const offset = Math.max(query.offset ?? 0, 0)
  const items = (await db
    .select()
    .from(table)
    .where(where)
    .orderBy(asc(table.createdAt), asc(table.id))
    .limit(limit)
    .offset(offset)) as unknown as R[]
  const [c] = await db.select({ n: count() }).from(table).where(where)
  return { items, total: Number(c?.n ?? 0) }
}

/** One row of the workspace. @throws AppError 404 (`what` not found) when absent from it. */
export async function getIn<R>(
  db: Db,
  table: ScopedTable,
  workspaceId: string,
  id: string,
  what: string,
): Promise<R> {
  const [row] = await db
    .select()
    .from(table)
    .where(byIdIn(table, workspaceId, id))
  if (!row) throw notFound(what)
  return row as R
}

/** Inserts one row into the workspace and returns it (call inside {@link write}). */
export async function insertIn<R>(
  tx: Tx,
  table: ScopedTable,
  workspaceId: string,
  values: object,
  opts?: WriteOptions,
): Promise<R> {
  const [row] = await tx
    .insert(table)
    .values({ ...values, workspaceId } as never)
    .returning()
  const objectType = objectTypeOf(table, opts)
  if (objectType) await recordCreate(tx, workspaceId, objectType, row as Row)
  return row as R
}

/** Records the creation of `row` (its `id` and `name`; `workspaceId` left out). */
export async function recordCreate(tx: Tx, workspaceId: string, objectType: string, row: Row): Promise<void> {
  const { workspaceId: _ws, ...after } = row
  await recordChange(tx, {
    workspaceId,
    objectType,
    objectId: String(row.id),
    action: 'create',
    before: null,
    after,
  })
}

/** Records an update from `before` to `after` (nothing when no field changed). */
export async function recordUpdate(
  tx: Tx,
  workspaceId: string,
  objectType: string,
  before: Row,
  after: Row,
): Promise<void> {
  await recordChange(tx, {
    workspaceId,
    objectType,
    objectId: String(after.id),
    action: 'update',
    before,
    after,
  })
}

/** Records the deletion of `row`. */
export async function recordDelete(tx: Tx, workspaceId: string, objectType: string, row: Row): Promise<void> {
  const { workspaceId: _ws, ...before } = row
  await recordChange(tx, {
    workspaceId,
    objectType,
    objectId: String(row.id),
    action: 'delete',
    before,
    after: null,
  })
}

/** The row, locked until the transaction ends (the change log's "before"); undefined when absent. */
export async function lockIn<R>(
  tx: Tx,
  table: ScopedTable,
  workspaceId: string,
  id: string,
): Promise<R | undefined> {
  const [row] = await tx
    .select()
    .from(table)
    .where(byIdIn(table, workspaceId, id))
    .for('update')
  return row as R | undefined
}

/**
 * Sets `values` (and `updated_at = now()`) on one row of the workspace and returns it (call
 * inside {@link write}). @throws AppError 404 (`what` not found) when absent from it.
 */
export async function updateIn<R>(
  tx: Tx,
  table: ScopedTable,
  workspaceId: string,
  id: string,
  values: object,
  what: string,
  opts?: WriteOptions,
): Promise<R> {
  const objectType = objectTypeOf(table, opts)
  const before = objectType ? await lockIn<Row>(tx, table, workspaceId, id) : undefined
  if (objectType && !before) throw notFound(what)
  const [row] = await tx
    .update(table)
    .set({ ...values, updatedAt: sql`now()` } as never)
    .where(byIdIn(table, workspaceId, id))
    .returning()
  if (!row) throw notFound(what)
  if (objectType && before) await recordUpdate(tx, workspaceId, objectType, before, row as Row)
  return row as R
}

/** Deletes one row of the workspace (call inside {@link write}). @throws AppError 404 when absent. */
export async function deleteIn(
  tx: Tx,
  table: ScopedTable,
  workspaceId: string,
  id: string,
  what: string,
  opts?: WriteOptions,
) {
  const rows = await tx
    .delete(table)
    .where(byIdIn(table, workspaceId, id))
    .returning()
  if (rows.length === 0) throw notFound(what)
  const objectType = objectTypeOf(table, opts)
  if (objectType) await recordDelete(tx, workspaceId, objectType, rows[0] as Row)
}

/** Checks an input's references inside the workspace. @throws AppError 400 naming the field. */
export type RefCheck<I> = (tx: Tx, workspaceId: string, input: Partial<I>) => Promise<void>

/** The plain CRUD of one configuration table (see {@link scopedCrud}). */
export interface ScopedCrud<I, R> {
  /** Lists the workspace's rows, oldest first. */
  list(db: Db, workspaceId: string, query?: ListQuery): Promise<Page<R>>
  /** One row. @throws AppError 404 when absent from this workspace. */
  get(db: Db, workspaceId: string, id: string): Promise<R>
  /** Creates a row (bumps the config version). @throws AppError 400 from the reference check. */
  create(db: Db, workspaceId: string, input: I): Promise<R>
  /** Partial update (bumps the config version). @throws AppError 400 (references), then 404. */
  update(db: Db, workspaceId: string, id: string, patch: Partial<I>): Promise<R>
  /** Deletes a row (bumps the config version). @throws AppError 404. */
  remove(db: Db, workspaceId: string, id: string): Promise<void>
}

/**
 * The plain CRUD of `table`: inputs mapped through `map` (snake → camel, see
 * {@link defined}), `what` names the row in 404 messages, `checkRefs` (when given) runs in
 * the write's transaction before the insert or update.
 */
export function scopedCrud<I extends object, R>(
  table: ScopedTable,
  what: string,
  map: { [K in keyof I]?: keyof R },
  checkRefs?: RefCheck<I>,
): ScopedCrud<I, R> {
  return {
    list: (db, workspaceId, query = {}) => listPage<R>(db, table, workspaceId, query),
    get: (db, workspaceId, id) => getIn<R>(db, table, workspaceId, id, what),
    create: (db, workspaceId, input) =>
      write(db, async (tx) => {
        await checkRefs?.(tx, workspaceId, input)
        return insertIn<R>(tx, table, workspaceId, defined<I, R>(input, map))
      }),
    update: (db, workspaceId, id, patch) =>
      write(db, async (tx) => {
        await checkRefs?.(tx, workspaceId, patch)
        return updateIn<R>(tx, table, workspaceId, id, defined<I, R>(patch, map), what)
      }),
    remove: (db, workspaceId, id) => write(db, (tx) => deleteIn(tx, table, workspaceId, id, what)),
  }
}

/** True when `id` is a row of `table` in this workspace. */
export async function existsIn(
  db: Db,
  table: ScopedTable,
  workspaceId: string,
  id: string,
): Promise<boolean> {
  const rows = await db
    .select({ id: table.id })
    .from(table)
    .where(byIdIn(table, workspaceId, id))
  return rows.length > 0
}

/** 400 with `details: [{path, message}]` for one bad reference. */
export function badRef(path: string, what: string): AppError {
  return badRequest(`${path}: no such ${what} in this workspace`, [
    { path, message: `no such ${what} in this workspace` },
  ])
}

/** Copies the defined keys of `input` through `map` (snake → camel); undefined = leave unchanged. */
export function defined<I extends object, O>(
  input: Partial<I>,
  map: { [K in keyof I]?: keyof O },
): Partial<O> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(input)) {
    const target = map[k as keyof I]
    if (target !== undefined && v !== undefined) out[target as string] = v
  }
  return out as Partial<O>
}

/** 409 for a campaign alias already used (in any workspace: `/c/:alias` carries none). */
export const aliasTaken = (): AppError =>
  conflict('alias: already in use', [{ path: 'alias', message: 'already in use' }])

/**
 * Runs a configuration write in a transaction that also bumps the config version, mapping
 * the few database constraint errors a race can still produce to API errors: a unique
 * violation of `campaigns_alias` → 409 (`alias`), a foreign-key violation (a referenced row
 * deleted concurrently) → 400. AppErrors thrown by `fn` pass through; others are rethrown.
 */
export async function write<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      const out = await fn(tx as unknown as Tx)
      await bumpConfigVersion(tx)
      return out
    })
  } catch (err) {
    if (err instanceof AppError) throw err
    const { code, constraint } = pgError(err)
    if (code === '23505' && constraint === 'campaigns_alias') throw aliasTaken()
    // A referenced row deleted concurrently between our check and the insert.
    if (code === '23503')
      throw badRequest('a referenced row no longer exists', [
        { path: '', message: constraint ?? 'foreign key' },
      ])
    throw err
  }
}
