/**
 * SQL of outbound postbacks (Drizzle; PostgreSQL and PGlite). Every query that serves a
 * caller filters on `workspace_id`; the worker's queries address a row by its ID (the job
 * names it) and re-check its state and round, so a stale or duplicate job changes nothing.
 */
import { and, asc, count, desc, eq, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { trafficSources } from '../routing/index.ts'
import { outboundPostbackAttempts, outboundPostbacks } from './outbound.tables.ts'
import { notFound } from '../../platform/errors.ts'
import type { OutboundListQuery } from './outbound.schema.ts'

/** Stored outbound postback. */
export type OutboundRow = typeof outboundPostbacks.$inferSelect
/** Stored delivery attempt. */
export type AttemptRow = typeof outboundPostbackAttempts.$inferSelect
/** An outbound postback state. */
export type OutboundState = OutboundRow['state']

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A traffic source's ID and postback URL template in `workspaceId` (undefined when absent or not a UUID). */
export async function loadSourceTemplate(
  db: Db,
  workspaceId: string,
  sourceId: string,
): Promise<{ id: string; postbackUrl: string | null } | undefined> {
  if (!UUID.test(sourceId)) return undefined
  const [r] = await db
    .select({ id: trafficSources.id, postbackUrl: trafficSources.postbackUrl })
    .from(trafficSources)
    .where(and(eq(trafficSources.id, sourceId), eq(trafficSources.workspaceId, workspaceId)))
  return r
}

/**
 * The postback URL templates of the traffic sources named by `refs` (workspace, source ID),
 * in one query; only sources that exist in their own workspace and have a URL are returned.
 * @returns URL by `<workspace id>|<source id>` (source IDs as stored, lower-case).
 */
export async function loadSourcePostbackUrls(
  db: Db,
  refs: readonly { workspaceId: string; sourceId: string }[],
): Promise<Map<string, string>> {
  const ids = [...new Set(refs.map((r) => r.sourceId).filter((id) => UUID.test(id)))]
  const out = new Map<string, string>()
  if (ids.length === 0) return out
  const rows = await db
    .select({
      id: trafficSources.id,
      workspaceId: trafficSources.workspaceId,
      url: trafficSources.postbackUrl,
    })
    .from(trafficSources)
    .where(and(inArray(trafficSources.id, ids), isNotNull(trafficSources.postbackUrl)))
  for (const r of rows) if (r.url) out.set(`${r.workspaceId}|${r.id}`, r.url)
  return out
}

/**
 * Inserts an outbound postback unless one exists for its conversion event (unique
 * `conversion_event_id`). @returns true when this call inserted it.
 */
export async function insertOutbound(db: Db, row: typeof outboundPostbacks.$inferInsert): Promise<boolean> {
  const r = await db
    .insert(outboundPostbacks)
    .values(row)
    .onConflictDoNothing({ target: outboundPostbacks.conversionEventId })
    .returning({ id: outboundPostbacks.id })
  return r.length === 1
}

/**
 * Takes attempt `attempt` of round `generation`: the row must be pending in that round and
 * either have finished attempt − 1 (`attempts = attempt − 1`, no lease) or hold an expired
 * lease on this very attempt (a worker died mid-attempt). Sets the lease.
 * @returns the row, or undefined when the job is stale or a duplicate.
 */
export async function claimAttempt(
  db: Db,
  a: { id: string; generation: number; attempt: number; now: Date; leaseUntil: Date; token: string },
): Promise<OutboundRow | undefined> {
  const t = outboundPostbacks
  const [r] = await db
    .update(t)
    .set({ attempts: a.attempt, lockedUntil: a.leaseUntil, leaseToken: a.token, updatedAt: a.now })
    .where(
      and(
        eq(t.id, a.id),
        eq(t.state, 'pending'),
        eq(t.generation, a.generation),
        or(
          and(eq(t.attempts, a.attempt - 1), sql`${t.lockedUntil} IS NULL`),
          and(eq(t.attempts, a.attempt), isNotNull(t.lockedUntil), lt(t.lockedUntil, a.now)),
        ),
      ),
    )
    .returning()
  return r
}

/** What an attempt led to, for {@link recordAttempt}. */
export interface AttemptResult {
  row: OutboundRow
  token: string
  /** URL requested (last hop), redacted. */
  url: string
  statusCode: number | null
  error: string
  latencyMs: number
  startedAt: Date
  now: Date
  next: { state: 'delivered' | 'failed' | 'dead' } | { state: 'pending'; at: Date }
}

/**
 * Writes an attempt's log row and the resulting state, only if the lease is still ours.
 * @returns false when the lease was lost (another worker took the attempt over); nothing written.
 */
export async function recordAttempt(tx: Db, r: AttemptResult): Promise<boolean> {
  const t = outboundPostbacks
  const next = r.next
  const [u] = await tx
    .update(t)
    .set({
      state: next.state,
      nextAttemptAt: next.state === 'pending' ? next.at : null,
      lockedUntil: null,
      leaseToken: null,
      lastError: r.error.slice(0, 500),
      lastStatusCode: r.statusCode,
      ...(next.state === 'delivered' ? { deliveredAt: r.now } : {}),
      updatedAt: r.now,
    })
    .where(and(eq(t.id, r.row.id), eq(t.leaseToken, r.token), eq(t.state, 'pending')))
    .returning({ id: t.id })
  if (!u) return false
  await tx
    .insert(outboundPostbackAttempts)
    .values({
      outboundId: r.row.id,
      workspaceId: r.row.workspaceId,
      conversionId: r.row.conversionId,
      sourceId: r.row.sourceId,
      generation: r.row.generation,
      attempt: r.row.attempts,
      url: r.url,
      statusCode: r.statusCode,
      outcome: next.state === 'pending' ? 'retry' : next.state,
      error: r.error.slice(0, 500),
      latencyMs: Math.max(0, Math.round(r.latencyMs)),
      createdAt: r.startedAt,
    })
    .onConflictDoNothing()
  return true
}

/**
 * Marks a pending row of round `generation` dead (its delivery job failed for good in
 * pg-boss). A row with a live lease is left alone. @returns true when it changed.
 */
export async function markDead(
  db: Db,
  a: { id: string; generation: number; error: string; now: Date },
): Promise<boolean> {
  const t = outboundPostbacks
  const r = await db
    .update(t)
    .set({
      state: 'dead',
      nextAttemptAt: null,
      lockedUntil: null,
      leaseToken: null,
      lastError: a.error.slice(0, 500),
      updatedAt: a.now,
    })
    .where(
      and(
        eq(t.id, a.id),
        eq(t.generation, a.generation),
        eq(t.state, 'pending'),
        or(sql`${t.lockedUntil} IS NULL`, lt(t.lockedUntil, a.now)),
      ),
    )
    .returning({ id: t.id })
  return r.length === 1
}

/**
 * Pending rows whose next attempt is overdue by more than the grace period and that no
 * worker holds (no lease, or an expired one): their job went missing. Oldest first.
 */
export async function overduePending(
  db: Db,
  a: { before: Date; now: Date; limit: number },
): Promise<Pick<OutboundRow, 'id' | 'conversionEventId' | 'generation' | 'attempts' | 'lockedUntil'>[]> {
  const t = outboundPostbacks
  return db
    .select({
      id: t.id,
      conversionEventId: t.conversionEventId,
      generation: t.generation,
      attempts: t.attempts,
      lockedUntil: t.lockedUntil,
    })
    .from(t)
    .where(
      and(
        eq(t.state, 'pending'),
        lt(t.nextAttemptAt, a.before),
        or(sql`${t.lockedUntil} IS NULL`, lt(t.lockedUntil, a.now)),
      ),
    )
    .orderBy(asc(t.nextAttemptAt))
    .limit(a.limit)
}

/**
 * Outbound postbacks not delivered, by state, across workspaces (for `/metrics`). Reads only
 * the partial index `outbound_postbacks_undelivered` (the predicate is a literal so the
 * planner can prove it), never the delivered rows, which grow without bound.
 */
export async function undeliveredByState(
  db: Db,
): Promise<Record<Exclude<OutboundState, 'delivered'>, number>> {
  const t = outboundPostbacks
  const rows = await db
    .select({ state: t.state, n: count() })
    .from(t)
    .where(sql`${t.state} <> 'delivered'`)
    .groupBy(t.state)
  const out = { pending: 0, failed: 0, dead: 0 }
  for (const r of rows) if (r.state !== 'delivered') out[r.state] = Number(r.n)
  return out
}

/**
 * Reads and row-locks (`FOR UPDATE`) one outbound postback of `workspaceId`.
 * @throws AppError 404 when the row is not in the workspace.
 */
export async function lockOutbound(tx: Db, workspaceId: string, id: string): Promise<OutboundRow> {
  const [r] = await tx
    .select()
    .from(outboundPostbacks)
    .where(and(eq(outboundPostbacks.id, id), eq(outboundPostbacks.workspaceId, workspaceId)))
    .for('update')
  if (!r) throw notFound('outbound postback')
  return r
}

/**
 * Starts a new round (manual retry) of a row locked by {@link lockOutbound}: `generation + 1`,
 * `attempts = 0`, pending from `now`, with `url`.
 * @returns the updated row.
 */
export async function startRound(tx: Db, cur: OutboundRow, url: string, now: Date): Promise<OutboundRow> {
  const [r] = await tx
    .update(outboundPostbacks)
    .set({
      state: 'pending',
      url,
      attempts: 0,
      generation: cur.generation + 1,
      nextAttemptAt: now,
      lockedUntil: null,
      leaseToken: null,
      updatedAt: now,
    })
    .where(eq(outboundPostbacks.id, cur.id))
    .returning()
  return r!
}

/** One outbound postback of `workspaceId`. @throws AppError 404 when absent from the workspace. */
export async function getOutbound(db: Db, workspaceId: string, id: string): Promise<OutboundRow> {
  const [r] = await db
    .select()
    .from(outboundPostbacks)
    .where(and(eq(outboundPostbacks.id, id), eq(outboundPostbacks.workspaceId, workspaceId)))
  if (!r) throw notFound('outbound postback')
  return r
}

/** Attempts of an outbound postback of `workspaceId`, oldest first. */
export async function listAttempts(db: Db, workspaceId: string, outboundId: string): Promise<AttemptRow[]> {
  const a = outboundPostbackAttempts
  return db
    .select()
    .from(a)
    .where(and(eq(a.outboundId, outboundId), eq(a.workspaceId, workspaceId)))
    .orderBy(asc(a.generation), asc(a.attempt))
}

/** Outbound postbacks of `workspaceId`, newest first; `total` counts every match. */
export async function listOutbound(
  db: Db,
  workspaceId: string,
  q: OutboundListQuery,
): Promise<{ items: OutboundRow[]; total: number }> {
  const t = outboundPostbacks
  const parts: SQL[] = [eq(t.workspaceId, workspaceId)]
  if (q.state) parts.push(inArray(t.state, q.state))
  if (q.source_id) parts.push(eq(t.sourceId, q.source_id))
  if (q.conversion_id) parts.push(eq(t.conversionId, q.conversion_id))
  const where = and(...parts)!
  const items = await db
    .select()
    .from(t)
    .where(where)
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(q.limit)
    .offset(q.offset)
  const [c] = await db.select({ n: count() }).from(t).where(where)
  return { items, total: Number(c?.n ?? 0) }
}
