/**
 * Queries of the audit module: pages of the change log and of security events of one
 * workspace, and the retention deletes. Every read is scoped to a workspace id.
 */
import { and, count, desc, eq, gte, ilike, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm'
import { changeLog } from '../../platform/changelog/index.ts'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import { securityEvents, workspaceMembers } from '../accounts/index.ts'

/** Filters of the change log (all optional; `q` is a substring of the object name or actor label). */
export interface ChangeFilter {
  objectType?: string | undefined
  objectId?: string | undefined
  /** The actor: a user or API key id, or a substring of the actor label. */
  actor?: string | undefined
  action?: 'create' | 'update' | 'delete' | undefined
  q?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
}

/** One change-log row as stored. */
export type ChangeRow = typeof changeLog.$inferSelect

/** One page; `total` counts every match. */
export interface Page<T> {
  items: T[]
  total: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `%`, `_` and `\` taken literally in an ILIKE pattern. */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function changeWhere(workspaceId: string, f: ChangeFilter): SQL {
  const conds: (SQL | undefined)[] = [eq(changeLog.workspaceId, workspaceId)]
  if (f.objectType) conds.push(eq(changeLog.objectType, f.objectType))
  if (f.objectId) conds.push(eq(changeLog.objectId, f.objectId))
  if (f.action) conds.push(eq(changeLog.action, f.action))
  if (f.from) conds.push(gte(changeLog.at, f.from))
  if (f.to) conds.push(lt(changeLog.at, f.to))
  if (f.actor) {
    const like = ilike(changeLog.actorLabel, `%${likeEscape(f.actor)}%`)
    conds.push(
      UUID.test(f.actor)
        ? or(eq(changeLog.actorUserId, f.actor), eq(changeLog.actorApiKeyId, f.actor), like)
        : f.actor === 'system'
          ? or(eq(changeLog.actorType, 'system'), like)
          : like,
    )
  }
  if (f.q) {
    const p = `%${likeEscape(f.q)}%`
    conds.push(or(ilike(changeLog.objectName, p), ilike(changeLog.actorLabel, p)))
  }
  return and(...conds)!
}

/**
 * One page of the workspace's change log, newest first (ties by id, newest first).
 * @param limit rows per page (the route bounds it to 1–500).
 */
export async function listChanges(
  db: Db,
  workspaceId: string,
  f: ChangeFilter,
  limit: number,
  offset: number,
): Promise<Page<ChangeRow>> {
  const where = changeWhere(workspaceId, f)
  const [items, [n]] = await Promise.all([
    db
      .select()
      .from(changeLog)
      .where(where)
      .orderBy(desc(changeLog.at), desc(changeLog.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(changeLog).where(where),
  ])
  return { items, total: Number(n?.n ?? 0) }
}

/** Filters of the security events. */
export interface SecurityEventFilter {
  kind?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
}

/** One security event as stored. */
export type SecurityEventRow = typeof securityEvents.$inferSelect

/**
 * Events of the workspace: those recorded with its id, and those of its current members
 * recorded with no workspace (sign-ins, failed 2FA, …). Newest first.
 */
export async function listSecurityEvents(
  db: Db,
  workspaceId: string,
  f: SecurityEventFilter,
  limit: number,
  offset: number,
): Promise<Page<SecurityEventRow>> {
  const members = db
    .select({ id: workspaceMembers.userId })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.workspaceId, workspaceId))
  const conds: (SQL | undefined)[] = [
    or(
      eq(securityEvents.workspaceId, workspaceId),
      and(isNull(securityEvents.workspaceId), inArray(securityEvents.userId, members)),
    ),
  ]
  if (f.kind) conds.push(eq(securityEvents.kind, f.kind))
  if (f.from) conds.push(gte(securityEvents.at, f.from))
  if (f.to) conds.push(lt(securityEvents.at, f.to))
  const where = and(...conds)
  const [items, [n]] = await Promise.all([
    db
      .select()
      .from(securityEvents)
      .where(where)
      .orderBy(desc(securityEvents.at), desc(securityEvents.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(securityEvents).where(where),
  ])
  return { items, total: Number(n?.n ?? 0) }
}

/** Deletes up to `limit` change-log rows written before `before` (oldest first); returns how many. */
export async function deleteChangesBefore(db: Db, before: Date, limit: number): Promise<number> {
  const r = await db.execute(sql`
    DELETE FROM ${changeLog} WHERE id IN (
      SELECT id FROM ${changeLog} WHERE at < ${before.toISOString()} ORDER BY at LIMIT ${limit}
    ) RETURNING id`)
  return rowsOf(r).length
}

/** Deletes up to `limit` security events recorded before `before` (oldest first); returns how many. */
export async function deleteSecurityEventsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const r = await db.execute(sql`
    DELETE FROM ${securityEvents} WHERE id IN (
      SELECT id FROM ${securityEvents} WHERE at < ${before.toISOString()} ORDER BY at LIMIT ${limit}
    ) RETURNING id`)
  return rowsOf(r).length
}
