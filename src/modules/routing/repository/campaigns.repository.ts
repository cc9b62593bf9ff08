/** Campaigns of the configuration store (invariants: `scoped.repository.ts`). */
import { and, eq, ne, sql } from 'drizzle-orm'
import type { z } from 'zod'
import type { Db } from '../../../platform/db/client.ts'
import { campaigns, trafficSources } from '../routing.tables.ts'
import { badRequest, conflict, notFound } from '../../../platform/errors.ts'
import type { campaignInput } from '../routing.schema.ts'
import {
  aliasTaken,
  badRef,
  byIdIn,
  defined,
  existsIn,
  lockIn,
  recordDelete,
  scopedCrud,
  type Tx,
  updateIn,
  write,
} from './scoped.repository.ts'

/** Parsed create body of a campaign. */
export type CampaignInput = z.output<typeof campaignInput>
/** Stored campaign. */
export type CampaignRecord = typeof campaigns.$inferSelect

const CAMPAIGN_MAP = {
  name: 'name',
  alias: 'alias',
  source_id: 'sourceId',
  status: 'status',
  timezone: 'timezone',
  cost_micros: 'costMicros',
  currency: 'currency',
  trafficback: 'trafficback',
  anti_repeat: 'antiRepeat',
  tags: 'tags',
  group_name: 'groupName',
  notes: 'notes',
} as const

async function checkCampaignRefs(
  tx: Tx,
  workspaceId: string,
  input: Partial<CampaignInput>,
  selfId?: string,
): Promise<void> {
  if (input.source_id && !(await existsIn(tx, trafficSources, workspaceId, input.source_id))) {
    throw badRef('source_id', 'traffic source')
  }
  const tb = input.trafficback
  if (tb?.type === 'campaign') {
    if (tb.campaign_id === selfId) {
      throw badRequest('trafficback.campaign_id: a campaign cannot be its own trafficback', [
        { path: 'trafficback.campaign_id', message: 'a campaign cannot be its own trafficback' },
      ])
    }
    if (!(await existsIn(tx, campaigns, workspaceId, tb.campaign_id)))
      throw badRef('trafficback.campaign_id', 'campaign')
  }
  if (input.alias !== undefined) {
    // Aliases are global (/c/:alias carries no workspace), so the check spans workspaces.
    const where = selfId
      ? and(eq(campaigns.alias, input.alias), ne(campaigns.id, selfId))
      : eq(campaigns.alias, input.alias)
    const taken = await tx.select({ id: campaigns.id }).from(campaigns).where(where).limit(1)
    if (taken.length > 0) throw aliasTaken()
  }
}

const crud = scopedCrud<CampaignInput, CampaignRecord>(campaigns, 'campaign', CAMPAIGN_MAP, checkCampaignRefs)

/** Lists the workspace's campaigns, oldest first. */
export const listCampaigns = crud.list
/** One campaign. @throws AppError 404 when absent from this workspace. */
export const getCampaign = crud.get
/**
 * Creates a campaign.
 * @throws AppError 400 (`source_id`, `trafficback.campaign_id`) for references outside the
 *   workspace; 409 (`alias`) when the alias is taken in any workspace.
 */
export const createCampaign = crud.create

/** Partial update. @throws AppError 404, 400 (references, self-trafficback), 409 (`alias`). */
export function updateCampaign(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<CampaignInput>,
): Promise<CampaignRecord> {
  const values = defined<CampaignInput, CampaignRecord>(patch, CAMPAIGN_MAP)
  return write(db, async (tx) => {
    // 404 first: a foreign id must not learn anything from reference or alias checks.
    await getCampaign(tx, workspaceId, id)
    await checkCampaignRefs(tx, workspaceId, patch, id)
    return updateIn(tx, campaigns, workspaceId, id, values, 'campaign')
  })
}

/**
 * Deletes a campaign and its streams (cascade).
 * @throws AppError 404; 409 `conflict` (details name the referring campaigns) while another
 *   campaign uses it as trafficback — change those first, so no trafficback dangles.
 */
export function deleteCampaign(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    const before = await lockIn<CampaignRecord>(tx, campaigns, workspaceId, id)
    if (!before) throw notFound('campaign')
    const referrers = await tx
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(
        and(
          eq(campaigns.workspaceId, workspaceId),
          ne(campaigns.id, id),
          sql`${campaigns.trafficback}->>'type' = 'campaign'`,
          sql`${campaigns.trafficback}->>'campaign_id' = ${id}`,
        ),
      )
    if (referrers.length > 0) {
      throw conflict(
        'campaign is the trafficback of other campaigns',
        referrers.map((r) => ({ path: 'id', message: `trafficback of campaign "${r.name}" (${r.id})` })),
      )
    }
    await tx.delete(campaigns).where(byIdIn(campaigns, workspaceId, id))
    // Its streams go with it (cascade); the campaign's row says so.
    await recordDelete(tx, workspaceId, 'campaign', before)
  })
}
