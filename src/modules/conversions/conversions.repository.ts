/**
 * SQL of the conversions module (PostgreSQL / PGlite through Drizzle): networks as seen by
 * the postback endpoint, conversions and their events, the ClickHouse outbox, the
 * postback log and the admin lists.
 *
 * Every query that serves a caller filters on `workspace_id`. The one exception is
 * {@link loadNetwork}: an inbound postback names its network by ID and has no workspace of
 * its own; everything after that is scoped to the network's workspace.
 */
import { and, asc, count, desc, eq, gte, isNull, lt, or, type SQL, sql } from 'drizzle-orm'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import { affiliateNetworks, destinations } from '../routing/index.ts'
import { conversionEvents, conversions, postbackLog } from './conversions.tables.ts'
import { notFound } from '../../platform/errors.ts'
import type { ConversionEvent, ConversionState } from './conversions.core.ts'
import type { ConversionListQuery, PostbackLogQuery, PostbackSettingsInput } from './conversions.schema.ts'
import type { PostbackSettings } from './postback.parse.ts'

/** A Drizzle database or an open transaction on it (same query surface). */
export type Tx = Db

/** Stored conversion row. Money in micros. */
export type ConversionRow = typeof conversions.$inferSelect
/** Stored conversion event row. */
export type ConversionEventRow = typeof conversionEvents.$inferSelect
/** Stored postback log row. */
export type PostbackLogRow = typeof postbackLog.$inferSelect
/** A postback log row to insert. */
export type PostbackLogInsert = typeof postbackLog.$inferInsert

/** A network as the postback endpoint needs it. `secret` is the plain stored secret (never sent out). */
export interface NetworkForPostback {
  id: string
  workspaceId: string
  secret: string | null
  ipAllowlist: string[]
  settings: PostbackSettings
}

/** Loads a network by ID, in any workspace (see file comment). Undefined when absent. */
export async function loadNetwork(db: Db, id: string): Promise<NetworkForPostback | undefined> {
  const [r] = await db.select().from(affiliateNetworks).where(eq(affiliateNetworks.id, id))
  if (!r) return undefined
  return {
    id: r.id,
    workspaceId: r.workspaceId,
    secret: r.postbackSecret,
    ipAllowlist: r.ipAllowlist ?? [],
    settings: {
      template: r.postbackTemplate as PostbackSettings['template'],
      params: r.postbackParams ?? {},
      statusMap: r.statusMap ?? {},
      defaultStatus: r.defaultStatus,
    },
  }
}

/** The IDs of all networks, every workspace (lower-case UUIDs). */
export async function loadNetworkIds(db: Db): Promise<Set<string>> {
  const rows = await db.select({ id: affiliateNetworks.id }).from(affiliateNetworks)
  return new Set(rows.map((r) => r.id.toLowerCase()))
}

/**
 * The default payout (cents) and currency of a destination of `workspaceId`. Undefined when
 * the destination is gone or not in the workspace (see `destinationDefaults` in the core).
 */
export async function loadDestinationPayout(
  db: Db,
  workspaceId: string,
  destinationId: string,
): Promise<{ payoutCents: number; currency: string } | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(destinationId)) return undefined
  const [r] = await db
    .select({ payoutCents: destinations.payoutCents, currency: destinations.currency })
    .from(destinations)
    .where(and(eq(destinations.id, destinationId), eq(destinations.workspaceId, workspaceId)))
  return r
}

/** Writes one postback log row. */
export async function insertPostbackLog(db: Db, row: PostbackLogInsert): Promise<void> {
  await db.insert(postbackLog).values(row)
}

/** The identity of the conversion a postback addresses (see conversions.core.ts). */
export interface ConversionKey {
  networkId: string
  clickId: string
  /** '' = keyed by (network, click ID). */
  transactionId: string
}

function keyWhere(k: ConversionKey): SQL {
  return k.transactionId !== ''
    ? and(eq(conversions.networkId, k.networkId), eq(conversions.transactionId, k.transactionId))!
    : and(
        eq(conversions.networkId, k.networkId),
        eq(conversions.clickId, k.clickId),
        eq(conversions.transactionId, ''),
      )!
}

/** Reads and row-locks (`FOR UPDATE`) the conversion of `key`, inside a transaction. */
export async function lockConversion(tx: Tx, key: ConversionKey): Promise<ConversionRow | undefined> {
  const [r] = await tx.select().from(conversions).where(keyWhere(key)).for('update')
  return r
}

/** The pure state of a stored conversion. */
export function stateOf(r: ConversionRow): ConversionState {
  return {
    clickId: r.clickId,
    transactionId: r.transactionId,
    status: r.status,
    seenStatuses: r.seenStatuses,
    payoutMicros: r.payoutMicros,
    revenueMicros: r.revenueMicros,
    currency: r.currency,
    version: r.version,
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
  }
}

/**
 * Inserts a new conversion unless its key is taken (`ON CONFLICT DO NOTHING` on the
 * partial unique indexes). A concurrent inserter of the same key makes this statement wait
 * for that transaction, then do nothing.
 * @returns true when this call inserted the row.
 */
export async function insertConversion(tx: Tx, row: typeof conversions.$inferInsert): Promise<boolean> {
  const r = await tx.insert(conversions).values(row).onConflictDoNothing().returning({ id: conversions.id })
  return r.length === 1
}

/** Writes an accepted state change of an existing conversion. */
export async function updateConversion(tx: Tx, id: string, next: ConversionState): Promise<void> {
  await tx
    .update(conversions)
    .set({
      status: next.status,
      seenStatuses: [...next.seenStatuses],
      payoutMicros: next.payoutMicros,
      revenueMicros: next.revenueMicros,
      version: next.version,
      updatedAt: new Date(next.updatedAt),
    })
    .where(eq(conversions.id, id))
}

/**
 * Appends an accepted change to the outbox (same transaction as the conversion write).
 * @returns the event's ID (`conversion_events.id`).
 */
export async function insertConversionEvent(
  tx: Tx,
  conversionId: string,
  workspaceId: string,
  e: ConversionEvent,
): Promise<number> {
  const [r] = await tx
    .insert(conversionEvents)
    .values({
      conversionId,
      workspaceId,
      seq: e.seq,
      ts: new Date(e.ts),
      status: e.status,
      previousStatus: e.previousStatus,
      conversionsDelta: e.conversionsDelta,
      revenueDeltaMicros: e.revenueDeltaMicros,
      payoutMicros: e.payoutMicros,
      currency: e.currency,
    })
    .returning({ id: conversionEvents.id })
  return r!.id
}

// ---------------------------------------------------------------------------------------
// outbox → ClickHouse

/**
 * Claims up to `limit` unbatched events (oldest first) into batch `batchId`. Concurrent
 * claimers (other processes) skip each other's locked rows.
 * @returns the number of events claimed (0 = nothing pending).
 */
export async function claimBatch(db: Db, batchId: string, limit: number, now: Date): Promise<number> {
  const r = await db.execute(sql`
    UPDATE ${conversionEvents} SET batch_id = ${batchId}, batched_at = ${now.toISOString()}
    WHERE id IN (
      SELECT id FROM ${conversionEvents} WHERE batch_id IS NULL ORDER BY id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id`)
  return rowsOf(r).length
}

/** IDs of batches claimed before `claimedBefore` and not yet synced (abandoned or failed). */
export async function unsyncedBatches(db: Db, claimedBefore: Date, limit = 100): Promise<string[]> {
  const rows = await db
    .selectDistinct({ batchId: conversionEvents.batchId })
    .from(conversionEvents)
    .where(and(isNull(conversionEvents.syncedAt), lt(conversionEvents.batchedAt, claimedBefore)))
    .limit(limit)
  return rows.map((r) => r.batchId).filter((b): b is string => b !== null)
}

/** `timestamptz` → ClickHouse DateTime64(3) text in UTC (`2025-01-01 12:00:00.000`). */
const chTs = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`

/**
 * The ClickHouse `conversions` rows of a batch, built by PostgreSQL as JSONEachRow lines
 * (column names of the ClickHouse migrations `004_conversions.sql` and `007_landers.sql`),
 * ordered by event ID. One text column per row: reading ~45 columns per event through
 * Drizzle's row mapping cost ~95 µs per event on PGlite, most of the outbox's price.
 * Tested field by field against the stored rows (`test/conversions.batch.test.ts`).
 */
export async function batchLines(db: Db, batchId: string): Promise<string[]> {
  const text = (c: string) => `'${c}', c.${c}`
  const r = await db.execute(sql`
    SELECT json_build_object(
      'ts', ${sql.raw(chTs('e.ts'))}, 'conversion_id', c.id, 'seq', e.seq, 'click_id', c.click_id,
      'workspace_id', c.workspace_id, 'network_id', coalesce(c.network_id::text, ''),
      ${sql.raw(
        [
          'campaign_id',
          'stream_id',
          'destination_id',
          'source_id',
          'country',
          'device',
          'os',
          'browser',
          'lander_id',
          'os_version',
        ]
          .map(text)
          .join(', '),
      )},
      ${sql.raw(Array.from({ length: 10 }, (_, i) => text(`sub${i + 1}`)).join(', '))},
      'external_id', c.external_id, 'status', e.status, 'previous_status', e.previous_status,
      'conversions_delta', e.conversions_delta, 'revenue_delta_micros', e.revenue_delta_micros,
      'payout_micros', e.payout_micros, 'currency', e.currency, 'transaction_id', c.transaction_id,
      'click_ts', ${sql.raw(chTs('c.click_ts'))}
    )::text AS line
    FROM ${conversionEvents} e JOIN ${conversions} c ON c.id = e.conversion_id
    WHERE e.batch_id = ${batchId}
    ORDER BY e.id`)
  return rowsOf<{ line: string }>(r).map((x) => x.line)
}

/** Marks every event of a batch synced. */
export async function markBatchSynced(db: Db, batchId: string, now: Date): Promise<void> {
  await db.update(conversionEvents).set({ syncedAt: now }).where(eq(conversionEvents.batchId, batchId))
}

/** Events not yet in ClickHouse (claimed or not). */
export async function pendingEventCount(db: Db): Promise<number> {
  const [r] = await db.select({ n: count() }).from(conversionEvents).where(isNull(conversionEvents.syncedAt))
  return Number(r?.n ?? 0)
}

/**
 * Marks events unsynced while keeping their batches, so the next sync run re-sends every
 * such batch with its original deduplication token (batches mix workspaces, so this is
 * global). For a ClickHouse that still has them (inside the deduplication window of 10,000
 * inserts) it is a no-op; for a re-created `conversions` table it restores the events.
 * Never clear `batch_id` instead: a new batch means a new token, and the events would be
 * counted twice.
 * @param opts.since only events at or after this time (default all).
 * @returns the number of events marked.
 */
export async function resetSync(db: Db, opts: { since?: Date } = {}): Promise<number> {
  const r = await db
    .update(conversionEvents)
    .set({ syncedAt: null })
    .where(
      and(
        sql`${conversionEvents.batchId} IS NOT NULL`,
        opts.since ? gte(conversionEvents.ts, opts.since) : undefined,
      ),
    )
    .returning({ id: conversionEvents.id })
  return r.length
}

/**
 * Deletes up to `limit` postback log rows received before `before`, oldest first (index
 * `postback_log_received`). One short statement per call, so a large backlog is removed
 * in many small transactions that postbacks can interleave with.
 * @returns the number of rows deleted (less than `limit` = nothing older is left).
 */
export async function deletePostbackLogBefore(db: Db, before: Date, limit: number): Promise<number> {
  const r = await db.execute(sql`
    DELETE FROM ${postbackLog} WHERE id IN (
      SELECT id FROM ${postbackLog} WHERE received_at < ${before.toISOString()}
      ORDER BY received_at LIMIT ${limit}
    )
    RETURNING id`)
  return rowsOf(r).length
}

// ---------------------------------------------------------------------------------------
// admin

/** One page; `total` counts every match. */
export interface Page<T> {
  items: T[]
  total: number
}

/**
 * Postback log of a workspace, newest first.
 * @param opts.includeUnattributed also rows without a workspace (unknown network) — for
 *   global admins only.
 */
export async function listPostbackLogs(
  db: Db,
  workspaceId: string,
  q: PostbackLogQuery,
  opts: { includeUnattributed?: boolean } = {},
): Promise<Page<PostbackLogRow>> {
  const ws = opts.includeUnattributed
    ? or(eq(postbackLog.workspaceId, workspaceId), isNull(postbackLog.workspaceId))!
    : eq(postbackLog.workspaceId, workspaceId)
  const parts: SQL[] = [ws]
  if (q.outcome) parts.push(eq(postbackLog.outcome, q.outcome))
  if (q.network_id) parts.push(eq(postbackLog.networkId, q.network_id))
  if (q.click_id) parts.push(eq(postbackLog.clickId, q.click_id))
  if (q.transaction_id) parts.push(eq(postbackLog.transactionId, q.transaction_id))
  if (q.from) parts.push(gte(postbackLog.receivedAt, new Date(q.from)))
  if (q.to) parts.push(lt(postbackLog.receivedAt, new Date(q.to)))
  const where = and(...parts)!
  const items = await db
    .select()
    .from(postbackLog)
    .where(where)
    .orderBy(desc(postbackLog.receivedAt), desc(postbackLog.id))
    .limit(q.limit)
    .offset(q.offset)
  const [c] = await db.select({ n: count() }).from(postbackLog).where(where)
  return { items, total: Number(c?.n ?? 0) }
}

/** Conversions of a workspace, newest first. */
export async function listConversions(
  db: Db,
  workspaceId: string,
  q: ConversionListQuery,
): Promise<Page<ConversionRow>> {
  const parts: SQL[] = [eq(conversions.workspaceId, workspaceId)]
  if (q.status) parts.push(eq(conversions.status, q.status))
  if (q.network_id) parts.push(eq(conversions.networkId, q.network_id))
  if (q.campaign_id) parts.push(eq(conversions.campaignId, q.campaign_id))
  if (q.destination_id) parts.push(eq(conversions.destinationId, q.destination_id))
  if (q.click_id) parts.push(eq(conversions.clickId, q.click_id))
  if (q.transaction_id) parts.push(eq(conversions.transactionId, q.transaction_id))
  if (q.from) parts.push(gte(conversions.createdAt, new Date(q.from)))
  if (q.to) parts.push(lt(conversions.createdAt, new Date(q.to)))
  const where = and(...parts)!
  const items = await db
    .select()
    .from(conversions)
    .where(where)
    .orderBy(desc(conversions.createdAt), desc(conversions.id))
    .limit(q.limit)
    .offset(q.offset)
  const [c] = await db.select({ n: count() }).from(conversions).where(where)
  return { items, total: Number(c?.n ?? 0) }
}

/**
 * One conversion with its events (oldest first).
 * @throws AppError 404 when absent from this workspace.
 */
export async function getConversion(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<{ conversion: ConversionRow; events: ConversionEventRow[] }> {
  const [conversion] = await db
    .select()
    .from(conversions)
    .where(and(eq(conversions.id, id), eq(conversions.workspaceId, workspaceId)))
  if (!conversion) throw notFound('conversion')
  const events = await db
    .select()
    .from(conversionEvents)
    .where(and(eq(conversionEvents.conversionId, id), eq(conversionEvents.workspaceId, workspaceId)))
    .orderBy(asc(conversionEvents.seq))
  return { conversion, events }
}

/** A network's stored postback settings. @throws AppError 404 when absent from this workspace. */
export async function getNetworkPostback(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<typeof affiliateNetworks.$inferSelect> {
  const [r] = await db
    .select()
    .from(affiliateNetworks)
    .where(and(eq(affiliateNetworks.id, id), eq(affiliateNetworks.workspaceId, workspaceId)))
  if (!r) throw notFound('affiliate network')
  return r
}

/**
 * Updates a network's postback settings (absent = unchanged; `params` and `status_map`
 * replace the stored objects as a whole). No config-version bump: routing does not read them.
 * @throws AppError 404 when absent from this workspace.
 */
export async function updateNetworkPostback(
  db: Db,
  workspaceId: string,
  id: string,
  patch: PostbackSettingsInput,
): Promise<typeof affiliateNetworks.$inferSelect> {
  const set: Partial<typeof affiliateNetworks.$inferInsert> = {}
  if (patch.template !== undefined) set.postbackTemplate = patch.template
  if (patch.params !== undefined) set.postbackParams = patch.params
  if (patch.status_map !== undefined) set.statusMap = patch.status_map
  if (patch.default_status !== undefined) set.defaultStatus = patch.default_status
  const [r] = await db
    .update(affiliateNetworks)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(affiliateNetworks.id, id), eq(affiliateNetworks.workspaceId, workspaceId)))
    .returning()
  if (!r) throw notFound('affiliate network')
  return r
}
