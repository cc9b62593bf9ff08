/**
 * SQL of the autopilot: TrafficStars accounts (API key sealed), per-campaign settings and
 * machine state, and the audit log. Every query that takes a `workspaceId` is scoped by it;
 * the scheduler's queries (by account id) run for the system, not for a caller.
 */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { campaigns } from '../routing/index.ts'
import { autopilotAccounts, autopilotActions, autopilotCampaigns } from './autopilot.tables.ts'
import { conflict, notFound } from '../../platform/errors.ts'
import type { AutopilotSettings, AutopilotState } from './autopilot.core.ts'

export type AccountRecord = typeof autopilotAccounts.$inferSelect
export type AutopilotCampaignRecord = typeof autopilotCampaigns.$inferSelect
export type AuditRecord = typeof autopilotActions.$inferSelect
export type AuditInsert = Omit<typeof autopilotActions.$inferInsert, 'id'>

// -- accounts -----------------------------------------------------------------------------

export function listAccounts(db: Db, workspaceId: string): Promise<AccountRecord[]> {
  return db
    .select()
    .from(autopilotAccounts)
    .where(eq(autopilotAccounts.workspaceId, workspaceId))
    .orderBy(autopilotAccounts.createdAt)
}

/** @throws AppError 404 when absent from this workspace. */
export async function getAccount(db: Db, workspaceId: string, id: string): Promise<AccountRecord> {
  const [row] = await db
    .select()
    .from(autopilotAccounts)
    .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
  if (!row) throw notFound('autopilot account')
  return row
}

/** An account by id, any workspace (the scheduler's lookup). */
export async function findAccountById(db: Db, id: string): Promise<AccountRecord | undefined> {
  const [row] = await db.select().from(autopilotAccounts).where(eq(autopilotAccounts.id, id))
  return row
}

/** Every account that has at least one enabled campaign (the scheduler's work list). */
export async function accountsWithEnabledCampaigns(db: Db): Promise<AccountRecord[]> {
  return db
    .select()
    .from(autopilotAccounts)
    .where(
      sql`exists (select 1 from ${autopilotCampaigns} c where c.account_id = ${autopilotAccounts.id} and c.enabled)`,
    )
}

export async function insertAccount(
  db: Db,
  v: { workspaceId: string; name: string; baseUrl: string; apiKeyCiphertext: string; apiKeyHint: string },
): Promise<AccountRecord> {
  const [row] = await db.insert(autopilotAccounts).values(v).returning()
  return row!
}

export async function updateAccount(
  db: Db,
  workspaceId: string,
  id: string,
  v: Partial<Pick<AccountRecord, 'name' | 'baseUrl' | 'apiKeyCiphertext' | 'apiKeyHint'>>,
): Promise<AccountRecord> {
  const [row] = await db
    .update(autopilotAccounts)
    .set({ ...v, updatedAt: sql`now()` })
    .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
    .returning()
  if (!row) throw notFound('autopilot account')
  return row
}

export async function deleteAccount(db: Db, workspaceId: string, id: string): Promise<void> {
  const rows = await db
    .delete(autopilotAccounts)
    .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
    .returning({ id: autopilotAccounts.id })
  if (rows.length === 0) throw notFound('autopilot account')
}

// -- campaigns ----------------------------------------------------------------------------

export function listAutopilotCampaigns(db: Db, workspaceId: string): Promise<AutopilotCampaignRecord[]> {
  return db
    .select()
    .from(autopilotCampaigns)
    .where(eq(autopilotCampaigns.workspaceId, workspaceId))
    .orderBy(autopilotCampaigns.createdAt)
}

/** @throws AppError 404 */
export async function getAutopilotCampaign(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<AutopilotCampaignRecord> {
  const [row] = await db
    .select()
    .from(autopilotCampaigns)
    .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
  if (!row) throw notFound('autopilot campaign')
  return row
}

/** Enabled campaigns of one account, for a tick. */
export function enabledCampaignsOf(db: Db, accountId: string): Promise<AutopilotCampaignRecord[]> {
  return db
    .select()
    .from(autopilotCampaigns)
    .where(and(eq(autopilotCampaigns.accountId, accountId), eq(autopilotCampaigns.enabled, true)))
}

/**
 * Creates the autopilot entry of a router campaign.
 * @throws AppError 404 when the campaign or the account is not in the workspace; 409 when
 *   the campaign already has one.
 */
export async function insertAutopilotCampaign(
  db: Db,
  v: {
    workspaceId: string
    campaignId: string
    accountId: string
    tsCampaignId: number
    settings: AutopilotSettings
    state: AutopilotState
  },
): Promise<AutopilotCampaignRecord> {
  const [c] = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.id, v.campaignId), eq(campaigns.workspaceId, v.workspaceId)))
  if (!c) throw notFound('campaign')
  await getAccount(db, v.workspaceId, v.accountId)
  const rows = await db.insert(autopilotCampaigns).values(v).onConflictDoNothing().returning()
  if (rows.length === 0)
    throw conflict('this campaign already has an autopilot', [{ path: 'campaign_id', message: 'taken' }])
  return rows[0]!
}

export async function updateAutopilotCampaign(
  db: Db,
  workspaceId: string,
  id: string,
  v: Partial<Pick<AutopilotCampaignRecord, 'accountId' | 'tsCampaignId' | 'enabled' | 'settings' | 'state'>>,
): Promise<AutopilotCampaignRecord> {
  if (v.accountId) await getAccount(db, workspaceId, v.accountId)
  const [row] = await db
    .update(autopilotCampaigns)
    .set({ ...v, updatedAt: sql`now()` })
    .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
    .returning()
  if (!row) throw notFound('autopilot campaign')
  return row
}

export async function deleteAutopilotCampaign(db: Db, workspaceId: string, id: string): Promise<void> {
  const rows = await db
    .delete(autopilotCampaigns)
    .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
    .returning({ id: autopilotCampaigns.id })
  if (rows.length === 0) throw notFound('autopilot campaign')
}

/**
 * Persists one tick: the new states (only of still-enabled rows, so a disable that raced the
 * tick wins) and the audit rows, in one transaction — before the tick's calls go out.
 */
export async function saveTick(
  db: Db,
  states: ReadonlyArray<{
    id: string
    state: AutopilotState
    observation: Record<string, unknown> | null
    at: Date
  }>,
  audit: readonly AuditInsert[],
): Promise<Set<string>> {
  const saved = new Set<string>()
  await db.transaction(async (tx) => {
    for (const chunk of chunks(states, 500)) {
      if (chunk.length === 0) continue
      const values = sql.join(
        chunk.map(
          (s) =>
            sql`(${s.id}::uuid, ${JSON.stringify(s.state)}::jsonb, ${s.observation === null ? null : JSON.stringify(s.observation)}::jsonb, ${s.at.toISOString()}::timestamptz)`,
        ),
        sql`, `,
      )
      const rows = await tx.execute<{ id: string }>(sql`
        update ${autopilotCampaigns} as c
        set state = v.state, last_observation = v.obs, last_tick_at = v.at
        from (values ${values}) as v(id, state, obs, at)
        where c.id = v.id and c.enabled
        returning c.id`)
      for (const r of rowsOf<{ id: string }>(rows)) saved.add(r.id)
    }
    const kept = audit.filter((a) => saved.has(a.autopilotCampaignId))
    for (const chunk of chunks(kept, 500))
      if (chunk.length > 0) await tx.insert(autopilotActions).values(chunk)
  })
  return saved
}

/** Appends audit rows (call outcomes, enable/disable). */
export async function appendAudit(db: Db, rows: readonly AuditInsert[]): Promise<void> {
  for (const chunk of chunks(rows, 500)) if (chunk.length > 0) await db.insert(autopilotActions).values(chunk)
}

/** The campaign's audit log, newest first, paged by id (`before`). */
export function listAudit(
  db: Db,
  workspaceId: string,
  autopilotCampaignId: string,
  opts: { limit: number; before?: number },
): Promise<AuditRecord[]> {
  const where = [
    eq(autopilotActions.workspaceId, workspaceId),
    eq(autopilotActions.autopilotCampaignId, autopilotCampaignId),
  ]
  if (opts.before !== undefined) where.push(lt(autopilotActions.id, opts.before))
  return db
    .select()
    .from(autopilotActions)
    .where(and(...where))
    .orderBy(desc(autopilotActions.id))
    .limit(opts.limit)
}

/** Audit rows of several campaigns, oldest first (tests read whole days with it). */
export function auditOf(db: Db, ids: string[]): Promise<AuditRecord[]> {
  if (ids.length === 0) return Promise.resolve([])
  return db
    .select()
    .from(autopilotActions)
    .where(inArray(autopilotActions.autopilotCampaignId, ids))
    .orderBy(autopilotActions.id)
}

function* chunks<T>(xs: readonly T[], n: number): Generator<T[]> {
  for (let i = 0; i < xs.length; i += n) yield xs.slice(i, i + n)
}

/** node-postgres answers `{rows}`, PGlite answers `{rows}` too; Drizzle passes them through. */
function rowsOf<T>(r: unknown): T[] {
  return ((r as { rows?: T[] }).rows ?? (r as T[])) as T[]
}
