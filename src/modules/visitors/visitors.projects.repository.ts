/**
 * Queries of visitor projects and verified hosts. Every query is scoped to a workspace: a
 * row of another workspace is "not found" (the API answers 404).
 */
import { and, count, desc, eq, inArray } from 'drizzle-orm'
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import { notFound } from '../../platform/errors.ts'
import { visitorHosts, visitorProjects } from './visitors.tables.ts'

/** A project row. */
export type ProjectRow = typeof visitorProjects.$inferSelect
/** A verified-host row. */
export type HostRow = typeof visitorHosts.$inferSelect

/** Fields a user sets on a project (status and counters are not among them). */
export interface ProjectFields {
  name: string
  planType: string
  dailyLimit: number
  totalTarget: number
  expiresAt: Date | null
  timezone: string
  settings: Record<string, unknown>
}

/** What the change log keeps of a project: its fields and status, not its counters. */
function projectConfig(r: ProjectRow | undefined): Record<string, unknown> | null {
  if (!r) return null
  return {
    name: r.name,
    planType: r.planType,
    dailyLimit: r.dailyLimit,
    totalTarget: r.totalTarget,
    expiresAt: r.expiresAt,
    timezone: r.timezone,
    settings: r.settings,
    status: r.status,
    pauseReason: r.pauseReason,
  }
}

/** Logs a project change (`visitor_project`) in the write's transaction. */
async function recordProject(
  tx: Db,
  action: 'create' | 'update' | 'delete',
  before: ProjectRow | undefined,
  after: ProjectRow | undefined,
): Promise<void> {
  const p = (after ?? before)!
  await recordChange(tx, {
    workspaceId: p.workspaceId,
    objectType: 'visitor_project',
    objectId: p.id,
    action,
    before: projectConfig(before),
    after: projectConfig(after),
  })
}

/** Inserts a project (status `stopped`). */
export async function insertProject(
  db: Db,
  workspaceId: string,
  f: ProjectFields,
  now: Date,
): Promise<ProjectRow> {
  return db.transaction(async (t) => {
    const tx = t as unknown as Db
    const [row] = await tx
      .insert(visitorProjects)
      .values({ workspaceId, ...f, status: 'stopped', createdAt: now, updatedAt: now })
      .returning()
    await recordProject(tx, 'create', undefined, row)
    return row!
  })
}

/**
 * One project of the workspace.
 * @throws AppError 404 when it does not exist or belongs to another workspace.
 */
export async function getProject(db: Db, workspaceId: string, id: string): Promise<ProjectRow> {
  const [row] = await db
    .select()
    .from(visitorProjects)
    .where(and(eq(visitorProjects.workspaceId, workspaceId), eq(visitorProjects.id, id)))
  if (!row) throw notFound('project')
  return row
}

/** A page of the workspace's projects, newest first, and the total count. */
export async function listProjects(
  db: Db,
  workspaceId: string,
  page: { limit: number; offset: number },
): Promise<{ items: ProjectRow[]; total: number }> {
  const where = eq(visitorProjects.workspaceId, workspaceId)
  const items = await db
    .select()
    .from(visitorProjects)
    .where(where)
    .orderBy(desc(visitorProjects.createdAt), desc(visitorProjects.id))
    .limit(page.limit)
    .offset(page.offset)
  const [c] = await db.select({ n: count() }).from(visitorProjects).where(where)
  return { items, total: Number(c?.n ?? 0) }
}

/**
 * Updates a project's fields and/or status (`updated_at` = now).
 * @throws AppError 404 as {@link getProject}.
 */
export async function updateProject(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<ProjectFields> & { status?: ProjectRow['status']; pauseReason?: string | null },
  now: Date,
): Promise<ProjectRow> {
  const where = and(eq(visitorProjects.workspaceId, workspaceId), eq(visitorProjects.id, id))
  return db.transaction(async (t) => {
    const tx = t as unknown as Db
    const [before] = await tx.select().from(visitorProjects).where(where).for('update')
    if (!before) throw notFound('project')
    const [row] = await tx
      .update(visitorProjects)
      .set({ ...patch, updatedAt: now })
      .where(where)
      .returning()
    if (!row) throw notFound('project')
    await recordProject(tx, 'update', before, row)
    return row
  })
}

/** Deletes a project (its runs and daily counters cascade). @throws AppError 404. */
export async function deleteProject(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const rows = await tx
      .delete(visitorProjects)
      .where(and(eq(visitorProjects.workspaceId, workspaceId), eq(visitorProjects.id, id)))
      .returning()
    if (rows.length === 0) throw notFound('project')
    await recordProject(tx, 'delete', rows[0], undefined)
  })
}

/** The workspace's rows for `hosts` (hosts never checked have none). */
export async function hostRows(db: Db, workspaceId: string, hosts: readonly string[]): Promise<HostRow[]> {
  if (hosts.length === 0) return []
  return db
    .select()
    .from(visitorHosts)
    .where(and(eq(visitorHosts.workspaceId, workspaceId), inArray(visitorHosts.host, [...hosts])))
}

/**
 * Records the outcome of a check of one host: verified (method, `verified_at` = `checked_at`
 * = now, no error) or failed (`last_error`; `verified_at` keeps the last success, for history).
 */
export async function recordCheck(
  db: Db,
  workspaceId: string,
  host: string,
  outcome: { ok: true; method: 'http' | 'dns' } | { ok: false; error: string },
  now: Date,
): Promise<HostRow> {
  const set = outcome.ok
    ? {
        status: 'verified' as const,
        method: outcome.method,
        verifiedAt: now,
        checkedAt: now,
        lastError: null,
      }
    : { status: 'failed' as const, checkedAt: now, lastError: outcome.error }
  const [row] = await db
    .insert(visitorHosts)
    .values({ workspaceId, host, ...set, createdAt: now })
    .onConflictDoUpdate({ target: [visitorHosts.workspaceId, visitorHosts.host], set })
    .returning()
  return row!
}
