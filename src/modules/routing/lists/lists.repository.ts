/**
 * The I/O of the list pages (invariants: `../repository/scoped.repository.ts`): filtered
 * lists, bulk actions and campaign clones over PostgreSQL. Decisions come from the pure
 * `lists.core.ts`; every write runs in one transaction that bumps the config version.
 */
import { and, asc, eq, inArray, like, ne, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { AppError, badRequest, notFound } from '../../../platform/errors.ts'
import {
  affiliateNetworks,
  campaigns,
  destinations,
  landers,
  streamDestinations,
  streamLanders,
  streams,
  trafficSources,
} from '../routing.tables.ts'
import type { BulkInput, CloneInput, ListKind } from '../routing.schema.ts'
import type { CampaignRecord } from '../repository/campaigns.repository.ts'
import { getStream } from '../repository/streams.repository.ts'
import {
  aliasTaken,
  badRef,
  existsIn,
  type ListQuery,
  listPage,
  type Page,
  type ScopedTable,
  recordCreate,
  updateIn,
  write,
} from '../repository/scoped.repository.ts'
import {
  type BulkRow,
  cloneAlias,
  cloneAliasStem,
  cloneName,
  planBulk,
  singleCurrency,
} from './lists.core.ts'

/** The table behind each list (offers are the `destinations` table). */
export const LIST_TABLES = {
  campaigns,
  offers: destinations,
  landers,
  sources: trafficSources,
  networks: affiliateNetworks,
} as const satisfies Record<ListKind, ScopedTable>

/** How each list names one row in 404 messages. */
const WHAT: Record<ListKind, string> = {
  campaigns: 'campaign',
  offers: 'offer',
  landers: 'lander',
  sources: 'traffic source',
  networks: 'affiliate network',
}

/**
 * Filters of a list endpoint. `status`: one status, `all`, or absent = every row that is not
 * archived; `tag`: rows carrying this tag (exact); `source_id`, `group` (campaigns only;
 * `group: ''` = ungrouped).
 */
export interface ListFilters extends ListQuery {
  status?: string | undefined
  tag?: string | undefined
  source_id?: string | undefined
  group?: string | undefined
}

/** The SQL of {@link ListFilters} beyond `q` (which `listPage` applies), or undefined for none. */
function filterSql(kind: ListKind, f: ListFilters): SQL | undefined {
  const t = LIST_TABLES[kind]
  const parts: SQL[] = []
  if (f.status === undefined) parts.push(ne(t.status, 'archived'))
  else if (f.status !== 'all') parts.push(eq(t.status, f.status as never))
  if (f.tag !== undefined) parts.push(sql`${t.tags} @> ${JSON.stringify([f.tag])}::jsonb`)
  if (kind === 'campaigns') {
    if (f.source_id !== undefined) parts.push(eq(campaigns.sourceId, f.source_id))
    if (f.group !== undefined)
      parts.push(f.group === '' ? sql`${campaigns.groupName} IS NULL` : eq(campaigns.groupName, f.group))
  }
  return parts.length > 0 ? and(...parts) : undefined
}

/**
 * One page of a list with its filters, oldest first (like every list).
 * @returns rows as stored (camelCase) of the list's table.
 */
export function listFiltered<R>(
  db: Db,
  kind: ListKind,
  workspaceId: string,
  f: ListFilters,
): Promise<Page<R>> {
  return listPage<R>(db, LIST_TABLES[kind], workspaceId, f, filterSql(kind, f))
}

/**
 * Applies a bulk action to rows of the workspace in one transaction: reads the rows, plans
 * with `planBulk`, writes each row's values (and `updated_at`), bumps the config version.
 * @returns `{updated}` = number of distinct ids.
 * @throws AppError 404 `not_found` whose details name each id not in the workspace; 400
 *   `validation_failed` for an action the list does not take, a missing/extra field, a
 *   `source_id` outside the workspace or a row that would carry more than 20 tags. Nothing
 *   is written when it throws.
 */
export function bulkUpdate(
  db: Db,
  kind: ListKind,
  workspaceId: string,
  input: BulkInput,
): Promise<{ updated: number }> {
  const t = LIST_TABLES[kind]
  return write(db, async (tx) => {
    const ids = [...new Set(input.ids)]
    const found = (await tx
      .select()
      .from(t)
      .where(and(eq(t.workspaceId, workspaceId), inArray(t.id, ids)))) as unknown as BulkRow[]
    const plan = planBulk(kind, input, found)
    if (plan.kind === 'invalid') {
      throw badRequest(plan.details.map((d) => `${d.path}: ${d.message}`).join('; '), plan.details)
    }
    if (plan.kind === 'not_found') {
      throw new AppError(
        404,
        'not_found',
        `${plan.ids.length} ${WHAT[kind]}(s) not found`,
        plan.ids.map((id) => ({ path: 'ids', message: id })),
      )
    }
    if (input.action === 'set_source' && input.source_id) {
      if (!(await existsIn(tx, trafficSources, workspaceId, input.source_id)))
        throw badRef('source_id', 'traffic source')
    }
    for (const u of plan.updates) await updateIn(tx, t, workspaceId, u.id, u.values, WHAT[kind])
    return { updated: plan.updates.length }
  })
}

/**
 * Clones a campaign of the workspace with its streams, each stream's offer list
 * (`stream_destinations`) and lander list (`stream_landers`), in one transaction. The clone
 * is `paused`, named `input.name` or "<name> (copy)", with `input.alias` or the first free
 * `<alias>-copy[-N]`; tags, group, notes, source, cost, trafficback and anti-repeat are
 * copied.
 * @throws AppError 404 when the campaign is not in the workspace; 409 (`alias`) when the
 *   given alias is taken in any workspace.
 */
export function cloneCampaign(
  db: Db,
  workspaceId: string,
  id: string,
  input: CloneInput,
): Promise<CampaignRecord> {
  return write(db, async (tx) => {
    const [src] = await tx
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)))
    if (!src) throw notFound('campaign')
    let alias = input.alias
    if (alias !== undefined) {
      const taken = await tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.alias, alias))
      if (taken.length > 0) throw aliasTaken()
    } else {
      const stem = cloneAliasStem(src.alias).replace(/[\\%_]/g, (c) => `\\${c}`)
      const rows = await tx
        .select({ alias: campaigns.alias })
        .from(campaigns)
        .where(like(campaigns.alias, `${stem}%`))
      alias = cloneAlias(src.alias, new Set(rows.map((r) => r.alias)))
    }
    const { id: _id, createdAt: _c, updatedAt: _u, ...copy } = src
    const [clone] = await tx
      .insert(campaigns)
      .values({ ...copy, name: input.name ?? cloneName(src.name), alias, status: 'paused' })
      .returning()
    await recordCreate(tx, workspaceId, 'campaign', clone!)
    const srcStreams = await tx
      .select()
      .from(streams)
      .where(and(eq(streams.campaignId, id), eq(streams.workspaceId, workspaceId)))
      .orderBy(asc(streams.createdAt), asc(streams.id))
    for (const [i, s] of srcStreams.entries()) {
      const { id: sid, createdAt: _sc, updatedAt: _su, ...streamCopy } = s
      // One transaction has one now(): a microsecond apart keeps the streams' list order.
      const createdAt = sql`now() + ${i} * interval '1 microsecond'` as unknown as Date
      const [ns] = await tx
        .insert(streams)
        .values({ ...streamCopy, campaignId: clone!.id, createdAt })
        .returning({ id: streams.id })
      const offers = await tx.select().from(streamDestinations).where(eq(streamDestinations.streamId, sid))
      if (offers.length > 0)
        await tx.insert(streamDestinations).values(offers.map((o) => ({ ...o, streamId: ns!.id })))
      const landers = await tx.select().from(streamLanders).where(eq(streamLanders.streamId, sid))
      if (landers.length > 0)
        await tx.insert(streamLanders).values(landers.map((l) => ({ ...l, streamId: ns!.id })))
      await recordCreate(tx, workspaceId, 'stream', await getStream(tx, workspaceId, ns!.id))
    }
    return clone!
  })
}

/**
 * The entities of a list with the currency their figures are in: a campaign's, offer's or
 * source's own `currency`; a network's is the one currency of its offers, a lander's the one
 * currency of the campaigns whose streams show it (null when none or several). Every row of
 * the workspace, archived included, oldest first.
 */
export async function statsEntities(
  db: Db,
  kind: ListKind,
  workspaceId: string,
): Promise<{ id: string; currency: string | null }[]> {
  if (kind === 'networks') {
    const nets = await db
      .select({ id: affiliateNetworks.id })
      .from(affiliateNetworks)
      .where(eq(affiliateNetworks.workspaceId, workspaceId))
      .orderBy(asc(affiliateNetworks.createdAt), asc(affiliateNetworks.id))
    const offers = await offerNetworks(db, workspaceId)
    return nets.map((n) => ({
      id: n.id,
      currency: singleCurrency(offers.filter((o) => o.networkId === n.id).map((o) => o.currency)),
    }))
  }
  if (kind === 'landers') {
    const rows = await db
      .select({ id: landers.id })
      .from(landers)
      .where(eq(landers.workspaceId, workspaceId))
      .orderBy(asc(landers.createdAt), asc(landers.id))
    const uses = await db
      .selectDistinct({ landerId: streamLanders.landerId, currency: campaigns.currency })
      .from(streamLanders)
      .innerJoin(streams, eq(streams.id, streamLanders.streamId))
      .innerJoin(campaigns, eq(campaigns.id, streams.campaignId))
      .where(eq(campaigns.workspaceId, workspaceId))
    return rows.map((l) => ({
      id: l.id,
      currency: singleCurrency(uses.filter((u) => u.landerId === l.id).map((u) => u.currency)),
    }))
  }
  const t = LIST_TABLES[kind] as typeof campaigns | typeof destinations | typeof trafficSources
  return db
    .select({ id: t.id, currency: t.currency })
    .from(t)
    .where(eq(t.workspaceId, workspaceId))
    .orderBy(asc(t.createdAt), asc(t.id))
}

/** The workspace's offers that belong to a network: id, network id, currency. */
export async function offerNetworks(
  db: Db,
  workspaceId: string,
): Promise<{ id: string; networkId: string; currency: string }[]> {
  const rows = await db
    .select({ id: destinations.id, networkId: destinations.networkId, currency: destinations.currency })
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), sql`${destinations.networkId} IS NOT NULL`))
  return rows.map((r) => ({ id: r.id, networkId: r.networkId!, currency: r.currency }))
}
