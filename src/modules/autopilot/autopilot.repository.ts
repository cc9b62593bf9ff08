/**
 * SQL of the autopilot: TrafficStars accounts (API key sealed), per-campaign settings and
 * machine state, and the audit log. Every query that takes a `workspaceId` is scoped by it;
 * the scheduler's queries (by account id) run for the system, not for a caller.
 */
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm'
import { recordChange } from '../../platform/changelog/index.ts'
import type { Db } from '../../platform/db/client.ts'
import { campaigns } from '../routing/index.ts'
import { autopilotAccounts, autopilotActions, autopilotCampaigns } from './autopilot.tables.ts'
import { conflict, notFound } from '../../platform/errors.ts'
import type { AutopilotSettings, AutopilotState } from './autopilot.core.ts'

export type AccountRecord = typeof autopilotAccounts.$inferSelect
export type AutopilotCampaignRecord = typeof autopilotCampaigns.$inferSelect
export type AuditRecord = typeof autopilotActions.$inferSelect
export type AuditInsert = Omit<typeof autopilotActions.$inferInsert, 'id'>

// -- change log ---------------------------------------------------------------------------
// Accounts log as `autopilot_account` (the sealed API key and its hint match the secret
// pattern: redacted); campaigns as `autopilot_campaign`, named after the router campaign,
// without the machine state (`state`, `last_observation`, `last_tick_at`), which every tick
// rewrites and which is not configuration.

type Row = Record<string, unknown>

function accountConfig(r: AccountRecord | undefined): Row | null {
  if (!r) return null
  const { workspaceId: _w, ...rest } = r
  return rest
}

function campaignConfig(r: AutopilotCampaignRecord | undefined): Row | null {
  if (!r) return null
  const { workspaceId: _w, state: _s, lastObservation: _o, lastTickAt: _t, ...rest } = r
  return rest
}

async function recordAccount(
  tx: Db,
  workspaceId: string,
  action: 'create' | 'update' | 'delete',
  before: AccountRecord | undefined,
  after: AccountRecord | undefined,
): Promise<void> {
  await recordChange(tx, {
    workspaceId,
    objectType: 'autopilot_account',
    objectId: (after ?? before)!.id,
    action,
    before: accountConfig(before),
    after: accountConfig(after),
    secretFields: ['apiKeyCiphertext', 'apiKeyHint'],
  })
}

async function recordCampaign(
  tx: Db,
  workspaceId: string,
  action: 'create' | 'update' | 'delete',
  before: AutopilotCampaignRecord | undefined,
  after: AutopilotCampaignRecord | undefined,
): Promise<void> {
  const row = (after ?? before)!
  const [c] = await tx
    .select({ name: campaigns.name })
    .from(campaigns)
    .where(eq(campaigns.id, row.campaignId))
  await recordChange(tx, {
    workspaceId,
    objectType: 'autopilot_campaign',
    objectId: row.id,
    objectName: c?.name ?? `TrafficStars ${row.tsCampaignId}`,
    action,
    before: campaignConfig(before),
    after: campaignConfig(after),
  })
}

async function lockAccount(tx: Db, workspaceId: string, id: string): Promise<AccountRecord | undefined> {
  const [row] = await tx
    .select()
    .from(autopilotAccounts)
    .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
    .for('update')
  return row
}

async function lockCampaign(
  tx: Db,
  workspaceId: string,
  id: string,
): Promise<AutopilotCampaignRecord | undefined> {
  const [row] = await tx
    .select()
    .from(autopilotCampaigns)
    .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
    .for('update')
  return row
}

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
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(autopilotAccounts).values(v).returning()
    await recordAccount(tx as unknown as Db, v.workspaceId, 'create', undefined, row)
    return row!
  })
}

export async function updateAccount(
  db: Db,
  workspaceId: string,
  id: string,
  v: Partial<Pick<AccountRecord, 'name' | 'baseUrl' | 'apiKeyCiphertext' | 'apiKeyHint'>>,
): Promise<AccountRecord> {
  return db.transaction(async (t) => {
    const tx = t as unknown as Db
    const before = await lockAccount(tx, workspaceId, id)
    if (!before) throw notFound('autopilot account')
    const [row] = await tx
      .update(autopilotAccounts)
      .set({ ...v, updatedAt: sql`now()` })
      .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('autopilot account')
    await recordAccount(tx, workspaceId, 'update', before, row)
    return row
  })
}

export async function deleteAccount(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const rows = await tx
      .delete(autopilotAccounts)
      .where(and(eq(autopilotAccounts.id, id), eq(autopilotAccounts.workspaceId, workspaceId)))
      .returning()
    if (rows.length === 0) throw notFound('autopilot account')
    await recordAccount(tx, workspaceId, 'delete', rows[0], undefined)
  })
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
  return db.transaction(async (t) => {
    const tx = t as unknown as Db
    const [c] = await tx
      .select({ id: campaigns.id })
      .from(campaigns)
      .where(and(eq(campaigns.id, v.campaignId), eq(campaigns.workspaceId, v.workspaceId)))
    if (!c) throw notFound('campaign')
    await getAccount(tx, v.workspaceId, v.accountId)
    const rows = await tx.insert(autopilotCampaigns).values(v).onConflictDoNothing().returning()
    if (rows.length === 0)
      throw conflict('this campaign already has an autopilot', [{ path: 'campaign_id', message: 'taken' }])
    await recordCampaign(tx, v.workspaceId, 'create', undefined, rows[0])
    return rows[0]!
  })
}

export async function updateAutopilotCampaign(
  db: Db,
  workspaceId: string,
  id: string,
  v: Partial<Pick<AutopilotCampaignRecord, 'accountId' | 'tsCampaignId' | 'enabled' | 'settings' | 'state'>>,
): Promise<AutopilotCampaignRecord> {
  return db.transaction(async (t) => {
    const tx = t as unknown as Db
    if (v.accountId) await getAccount(tx, workspaceId, v.accountId)
    const before = await lockCampaign(tx, workspaceId, id)
    if (!before) throw notFound('autopilot campaign')
    const [row] = await tx
      .update(autopilotCampaigns)
      .set({ ...v, updatedAt: sql`now()` })
      .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('autopilot campaign')
    await recordCampaign(tx, workspaceId, 'update', before, row)
    return row
  })
}

export async function deleteAutopilotCampaign(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const rows = await tx
      .delete(autopilotCampaigns)
      .where(and(eq(autopilotCampaigns.id, id), eq(autopilotCampaigns.workspaceId, workspaceId)))
      .returning()
    if (rows.length === 0) throw notFound('autopilot campaign')
    await recordCampaign(tx, workspaceId, 'delete', rows[0], undefined)
  })
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
