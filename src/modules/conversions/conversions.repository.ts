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
import { conversionEvents, conversionSyncBatches, conversions, postbackLog } from './conversions.tables.ts'
import { notFound } from '../../platform/errors.ts'
import type { ConversionState } from './conversions.core.ts'
import type { ConversionListQuery, PostbackLogQuery, PostbackSettingsInput } from './conversions.schema.ts'
import type { PostbackSettings } from './postback.parse.ts'

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

/** The identity of the conversion a postback addresses (see conversions.core.ts). */
export interface ConversionKey {
  networkId: string
  clickId: string
  /** '' = keyed by (network, click ID). */
  transactionId: string
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

// ---------------------------------------------------------------------------------------
// outbox → ClickHouse

/**
 * Advisory lock key of the outbox's event-ID ranges. Every transaction that appends events
 * holds it shared ({@link lockOutboxShared}, before its INSERT takes IDs from the
 * sequence); a claim holds it exclusively while it reads the highest ID, so no ID at or
 * below that one can still be uncommitted — a range, once claimed, never gains a late row.
 */
const OUTBOX_LOCK = 7_366_756_725_413_104_131n

/** Takes the outbox range lock shared, for the rest of the transaction (see OUTBOX_LOCK). */
export async function lockOutboxShared(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${sql.raw(String(OUTBOX_LOCK))})`)
}

/** A batch to send: a range batch (this protocol) or a batch of the earlier per-event protocol. */
export type SyncBatchRef =
  | { kind: 'range'; id: string; firstEventId: number; lastEventId: number }
  | { kind: 'legacy'; id: string }

/**
 * Claims the next up-to-`limit` events after the last claimed range as batch `id`: one
 * bookkeeping row, whatever the number of events (the earlier protocol updated every event
 * twice). Serialised with other claimers and with in-flight appends by OUTBOX_LOCK.
 * @returns the batch, or undefined when nothing is pending.
 */
export async function claimSyncBatch(
  db: Db,
  id: string,
  limit: number,
  now: Date,
): Promise<{ ref: SyncBatchRef; events: number } | undefined> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${sql.raw(String(OUTBOX_LOCK))})`)
    const r = await tx.execute(sql`
      WITH last AS (SELECT coalesce(max(last_event_id), 0) AS id FROM ${conversionSyncBatches}),
      next AS (
        SELECT e.id FROM ${conversionEvents} e, last WHERE e.id > last.id ORDER BY e.id LIMIT ${limit}
      )
      INSERT INTO ${conversionSyncBatches} (id, first_event_id, last_event_id, events, claimed_at)
      SELECT ${id}::uuid, (SELECT id FROM last) + 1, max(id), count(*), ${now.toISOString()}::timestamptz FROM next
      HAVING count(*) > 0
      RETURNING first_event_id, last_event_id, events`)
    const [row] = rowsOf<{ first_event_id: unknown; last_event_id: unknown; events: unknown }>(r)
    if (!row) return undefined
    return {
      ref: {
        kind: 'range' as const,
        id,
        firstEventId: Number(row.first_event_id),
        lastEventId: Number(row.last_event_id),
      },
      events: Number(row.events),
    }
  })
}

/** Batches claimed before `claimedBefore` and not yet synced (abandoned or failed), both protocols. */
export async function unsyncedBatches(db: Db, claimedBefore: Date, limit = 100): Promise<SyncBatchRef[]> {
  const ranges = await db
    .select({
      id: conversionSyncBatches.id,
      firstEventId: conversionSyncBatches.firstEventId,
      lastEventId: conversionSyncBatches.lastEventId,
    })
    .from(conversionSyncBatches)
    .where(
      and(
        isNull(conversionSyncBatches.syncedAt),
        lt(conversionSyncBatches.claimedAt, claimedBefore),
        sql`${conversionSyncBatches.events} > 0`,
      ),
    )
    .orderBy(asc(conversionSyncBatches.lastEventId))
    .limit(limit)
  const legacy = await db
    .selectDistinct({ batchId: conversionEvents.batchId })
    .from(conversionEvents)
    .where(
      and(
        sql`${conversionEvents.batchId} IS NOT NULL`,
        isNull(conversionEvents.syncedAt),
        lt(conversionEvents.batchedAt, claimedBefore),
      ),
    )
    .limit(limit)
  return [
    ...ranges.map((r) => ({ kind: 'range' as const, ...r })),
    ...legacy.flatMap((r) => (r.batchId ? [{ kind: 'legacy' as const, id: r.batchId }] : [])),
  ]
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
export async function batchLines(db: Db, batch: SyncBatchRef): Promise<string[]> {
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
    WHERE ${
      batch.kind === 'range'
        ? sql`e.id BETWEEN ${batch.firstEventId} AND ${batch.lastEventId}`
        : sql`e.batch_id = ${batch.id}`
    }
    ORDER BY e.id`)
  return rowsOf<{ line: string }>(r).map((x) => x.line)
}

/** Marks a batch synced: its bookkeeping row (a legacy batch: its events). */
export async function markBatchSynced(db: Db, batch: SyncBatchRef, now: Date): Promise<void> {
  if (batch.kind === 'range')
    await db
      .update(conversionSyncBatches)
      .set({ syncedAt: now })
      .where(eq(conversionSyncBatches.id, batch.id))
  else await db.update(conversionEvents).set({ syncedAt: now }).where(eq(conversionEvents.batchId, batch.id))
}

/** Events not yet in ClickHouse: after the last claimed range, in unsynced ranges, and legacy ones. */
export async function pendingEventCount(db: Db): Promise<number> {
  const r = await db.execute(sql`
    SELECT
      (SELECT count(*) FROM ${conversionEvents}
        WHERE id > (SELECT coalesce(max(last_event_id), 0) FROM ${conversionSyncBatches}))
      + (SELECT coalesce(sum(events), 0) FROM ${conversionSyncBatches} WHERE synced_at IS NULL)
      + (SELECT count(*) FROM ${conversionEvents} WHERE batch_id IS NOT NULL AND synced_at IS NULL) AS n`)
  return Number(rowsOf<{ n: unknown }>(r)[0]?.n ?? 0)
}

/**
 * Marks batches unsynced while keeping them, so the next sync run re-sends every such batch
 * with its original deduplication token (batches mix workspaces, so this is global). For a
 * ClickHouse that still has them (inside the deduplication window of 10,000 inserts) it is
 * a no-op; for a re-created `conversions` table it restores the events. Never re-claim the
 * events instead: a new batch means a new token, and the events would be counted twice.
 * @param opts.since only batches holding events at or after this time (default all).
 * @returns the number of events marked.
 */
export async function resetSync(db: Db, opts: { since?: Date } = {}): Promise<number> {
  const since = opts.since?.toISOString()
  const ranges = await db.execute(sql`
    UPDATE ${conversionSyncBatches} SET synced_at = NULL
    WHERE events > 0 AND synced_at IS NOT NULL ${
      since
        ? sql`AND last_event_id >= (SELECT coalesce(min(id), 9223372036854775807) FROM ${conversionEvents} WHERE ts >= ${since})`
        : sql``
    }
    RETURNING events`)
  const legacy = await db
    .update(conversionEvents)
    .set({ syncedAt: null })
    .where(
      and(
        sql`${conversionEvents.batchId} IS NOT NULL`,
        sql`${conversionEvents.syncedAt} IS NOT NULL`,
        opts.since ? gte(conversionEvents.ts, opts.since) : undefined,
      ),
    )
    .returning({ id: conversionEvents.id })
  return rowsOf<{ events: unknown }>(ranges).reduce((n, r) => n + Number(r.events), 0) + legacy.length
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
  const rows = await db
    .select({
      event: conversionEvents,
      // An event's batch is its range's bookkeeping row (its own columns in the earlier protocol).
      // Epoch ms as text: the same value over both drivers (no timestamp parsing by driver).
      rangeSyncedMs: sql<string | null>`(SELECT (extract(epoch FROM b.synced_at) * 1000)::bigint::text
        FROM ${conversionSyncBatches} b
        WHERE b.events > 0 AND "conversion_events"."id" BETWEEN b.first_event_id AND b.last_event_id)`,
    })
    .from(conversionEvents)
    .where(and(eq(conversionEvents.conversionId, id), eq(conversionEvents.workspaceId, workspaceId)))
    .orderBy(asc(conversionEvents.seq))
  const events = rows.map(({ event, rangeSyncedMs }) => ({
    ...event,
    syncedAt: event.syncedAt ?? (rangeSyncedMs === null ? null : new Date(Number(rangeSyncedMs))),
  }))
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
