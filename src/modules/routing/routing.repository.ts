/**
 * Configuration store repository: CRUD for traffic sources, affiliate networks,
 * destinations, campaigns and streams, plus `loadConfigRows` for the routing snapshot.
 *
 * Invariants every function keeps:
 * - Every query filters on `workspace_id`; a row of another workspace is "not found" (404),
 *   never "forbidden", so ids of other tenants cannot be probed.
 * - Cross-references (campaign → source / trafficback campaign, destination → network,
 *   stream → campaign / destinations) are checked inside the caller's workspace, in the same
 *   transaction as the write; a bad one is a 400 naming the field and nothing is written.
 * - Every write runs in one transaction together with `bumpConfigVersion`, so the hot path
 *   rebuilds its snapshot exactly when configuration changed.
 *
 * Inputs are the *parsed* outputs of the zod schemas in `routing.schema.ts` (snake_case,
 * defaults applied); patches are `Partial` of those (absent = unchanged, `null` = clear).
 * Records are Drizzle rows (camelCase).
 */
import { and, asc, count, eq, ilike, inArray, ne, type SQL, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { z } from 'zod'
import type { Db } from '../../platform/db/client.ts'
import { bumpConfigVersion, readConfigVersion } from '../../platform/db/config-version.ts'
import {
  affiliateNetworks,
  campaigns,
  destinations,
  streamDestinations,
  streams,
  trafficSources,
} from './routing.tables.ts'
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.ts'
import type {
  affiliateNetworkInput,
  campaignInput,
  destinationInput,
  streamInput,
  trafficSourceInput,
} from './routing.schema.ts'
import type { ConfigRows } from './routing.types.ts'

/** Parsed create body of a traffic source (snake_case, defaults applied). */
export type SourceInput = z.output<typeof trafficSourceInput>
/** Parsed create body of an affiliate network. */
export type NetworkInput = z.output<typeof affiliateNetworkInput>
/** Parsed create body of a destination. */
export type DestinationInput = z.output<typeof destinationInput>
/** Parsed create body of a campaign. */
export type CampaignInput = z.output<typeof campaignInput>
/** Parsed create body of a stream, including its ordered destination list. */
export type StreamInput = z.output<typeof streamInput>

/** Stored traffic source. */
export type SourceRecord = typeof trafficSources.$inferSelect
/** Stored affiliate network; `postbackSecret` must never be sent to a client. */
export type NetworkRecord = typeof affiliateNetworks.$inferSelect
/** Stored destination (with the health checker's last state). */
export type DestinationRecord = typeof destinations.$inferSelect
/** Stored campaign. */
export type CampaignRecord = typeof campaigns.$inferSelect
/** Stored stream with its destination list in configured order. */
export type StreamRecord = typeof streams.$inferSelect & {
  destinations: { destinationId: string; weight: number; active: boolean }[]
}

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

// Transactions are structurally a Db for our purposes (same query builder surface).
type Tx = Db

// ---------------------------------------------------------------------------------------
// shared helpers

type ScopedTable = PgTable & { id: PgColumn; workspaceId: PgColumn; name: PgColumn; createdAt: PgColumn }

/** Escapes LIKE metacharacters so `q` matches literally. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

function listWhere(table: ScopedTable, workspaceId: string, q?: string, extra?: SQL): SQL {
  const parts: SQL[] = [eq(table.workspaceId, workspaceId)]
  if (q) parts.push(ilike(table.name, likePattern(q)))
  if (extra) parts.push(extra)
  return and(...parts)!
}

async function page<R>(db: Db, table: ScopedTable, where: SQL, query: ListQuery): Promise<Page<R>> {
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

async function existsIn(db: Db, table: ScopedTable, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.id, id), eq(table.workspaceId, workspaceId)))
  return rows.length > 0
}

/** 400 with `details: [{path, message}]` for one bad reference. */
function badRef(path: string, what: string): AppError {
  return badRequest(`${path}: no such ${what} in this workspace`, [
    { path, message: `no such ${what} in this workspace` },
  ])
}

/** Copies the defined keys of `input` through `map` (snake → camel); undefined = leave unchanged. */
function defined<I extends object, O>(input: Partial<I>, map: { [K in keyof I]?: keyof O }): Partial<O> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(input)) {
    const target = map[k as keyof I]
    if (target !== undefined && v !== undefined) out[target as string] = v
  }
  return out as Partial<O>
}

function pgCode(err: unknown): { code?: string; constraint?: string } {
  // drizzle-orm ≥0.44 wraps driver errors in DrizzleQueryError with the original as `cause`.
  let e: unknown = err
  for (let i = 0; i < 3 && e && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; constraint?: unknown; cause?: unknown }
    if (typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code)) {
      return { code: o.code, constraint: typeof o.constraint === 'string' ? o.constraint : undefined }
    }
    e = o.cause
  }
  return {}
}

/**
 * Runs a configuration write in a transaction that also bumps the config version, mapping
 * the few database constraint errors a race can still produce to API errors.
 */
async function write<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(async (tx) => {
      const out = await fn(tx as unknown as Tx)
      await bumpConfigVersion(tx)
      return out
    })
  } catch (err) {
    if (err instanceof AppError) throw err
    const { code, constraint } = pgCode(err)
    if (code === '23505' && constraint === 'campaigns_alias') throw aliasTaken()
    // A referenced row deleted concurrently between our check and the insert.
    if (code === '23503')
      throw badRequest('a referenced row no longer exists', [
        { path: '', message: constraint ?? 'foreign key' },
      ])
    throw err
  }
}

const aliasTaken = () => conflict('alias: already in use', [{ path: 'alias', message: 'already in use' }])

// ---------------------------------------------------------------------------------------
// traffic sources

const sourceMap = {
  name: 'name',
  cost_model: 'costModel',
  default_cost_micros: 'defaultCostMicros',
  currency: 'currency',
  external_id_param: 'externalIdParam',
  postback_url: 'postbackUrl',
} as const

/** Lists the workspace's traffic sources, oldest first. */
export function listSources(db: Db, workspaceId: string, query: ListQuery = {}): Promise<Page<SourceRecord>> {
  return page(db, trafficSources, listWhere(trafficSources, workspaceId, query.q), query)
}

/** One traffic source. @throws AppError 404 when absent from this workspace. */
export async function getSource(db: Db, workspaceId: string, id: string): Promise<SourceRecord> {
  const [row] = await db
    .select()
    .from(trafficSources)
    .where(and(eq(trafficSources.id, id), eq(trafficSources.workspaceId, workspaceId)))
  if (!row) throw notFound('traffic source')
  return row
}

/** Creates a traffic source (bumps the config version). */
export function createSource(db: Db, workspaceId: string, input: SourceInput): Promise<SourceRecord> {
  return write(db, async (tx) => {
    const values = defined<SourceInput, SourceRecord>(input, sourceMap)
    const [row] = await tx
      .insert(trafficSources)
      .values({ ...(values as typeof trafficSources.$inferInsert), workspaceId })
      .returning()
    return row!
  })
}

/** Applies a partial update. @throws AppError 404 when absent from this workspace. */
export function updateSource(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<SourceInput>,
): Promise<SourceRecord> {
  return write(db, async (tx) => {
    const [row] = await tx
      .update(trafficSources)
      .set({ ...defined<SourceInput, SourceRecord>(patch, sourceMap), updatedAt: sql`now()` })
      .where(and(eq(trafficSources.id, id), eq(trafficSources.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('traffic source')
    return row
  })
}

/** Deletes a traffic source; campaigns using it keep running with `source_id = null`. @throws 404. */
export function deleteSource(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    const rows = await tx
      .delete(trafficSources)
      .where(and(eq(trafficSources.id, id), eq(trafficSources.workspaceId, workspaceId)))
      .returning({ id: trafficSources.id })
    if (rows.length === 0) throw notFound('traffic source')
  })
}

// ---------------------------------------------------------------------------------------
// affiliate networks

const networkMap = {
  name: 'name',
  postback_template: 'postbackTemplate',
  postback_secret: 'postbackSecret',
  ip_allowlist: 'ipAllowlist',
} as const

/** Lists the workspace's affiliate networks, oldest first. */
export function listNetworks(
  db: Db,
  workspaceId: string,
  query: ListQuery = {},
): Promise<Page<NetworkRecord>> {
  return page(db, affiliateNetworks, listWhere(affiliateNetworks, workspaceId, query.q), query)
}

/** One affiliate network. @throws AppError 404 when absent from this workspace. */
export async function getNetwork(db: Db, workspaceId: string, id: string): Promise<NetworkRecord> {
  const [row] = await db
    .select()
    .from(affiliateNetworks)
    .where(and(eq(affiliateNetworks.id, id), eq(affiliateNetworks.workspaceId, workspaceId)))
  if (!row) throw notFound('affiliate network')
  return row
}

/** Creates an affiliate network (bumps the config version). */
export function createNetwork(db: Db, workspaceId: string, input: NetworkInput): Promise<NetworkRecord> {
  return write(db, async (tx) => {
    const values = defined<NetworkInput, NetworkRecord>(input, networkMap)
    const [row] = await tx
      .insert(affiliateNetworks)
      .values({ ...(values as typeof affiliateNetworks.$inferInsert), workspaceId })
      .returning()
    return row!
  })
}

/** Partial update; `postback_secret: null` clears the secret. @throws AppError 404. */
export function updateNetwork(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<NetworkInput>,
): Promise<NetworkRecord> {
  return write(db, async (tx) => {
    const [row] = await tx
      .update(affiliateNetworks)
      .set({ ...defined<NetworkInput, NetworkRecord>(patch, networkMap), updatedAt: sql`now()` })
      .where(and(eq(affiliateNetworks.id, id), eq(affiliateNetworks.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('affiliate network')
    return row
  })
}

/** Deletes a network; its destinations keep running with `network_id = null`. @throws 404. */
export function deleteNetwork(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    const rows = await tx
      .delete(affiliateNetworks)
      .where(and(eq(affiliateNetworks.id, id), eq(affiliateNetworks.workspaceId, workspaceId)))
      .returning({ id: affiliateNetworks.id })
    if (rows.length === 0) throw notFound('affiliate network')
  })
}

// ---------------------------------------------------------------------------------------
// destinations

const destinationMap = {
  name: 'name',
  url: 'url',
  network_id: 'networkId',
  payout_cents: 'payoutCents',
  currency: 'currency',
  status: 'status',
  schedule: 'schedule',
  daily_click_cap: 'dailyClickCap',
  total_click_cap: 'totalClickCap',
  cap_timezone: 'capTimezone',
  health_check: 'healthCheck',
} as const

async function checkDestinationRefs(
  tx: Tx,
  workspaceId: string,
  input: Partial<DestinationInput>,
): Promise<void> {
  if (input.network_id && !(await existsIn(tx, affiliateNetworks, workspaceId, input.network_id))) {
    throw badRef('network_id', 'affiliate network')
  }
}

/** Lists the workspace's destinations, oldest first. */
export function listDestinations(
  db: Db,
  workspaceId: string,
  query: ListQuery = {},
): Promise<Page<DestinationRecord>> {
  return page(db, destinations, listWhere(destinations, workspaceId, query.q), query)
}

/** One destination. @throws AppError 404 when absent from this workspace. */
export async function getDestination(db: Db, workspaceId: string, id: string): Promise<DestinationRecord> {
  const [row] = await db
    .select()
    .from(destinations)
    .where(and(eq(destinations.id, id), eq(destinations.workspaceId, workspaceId)))
  if (!row) throw notFound('destination')
  return row
}

/** Creates a destination. @throws AppError 400 (`network_id`) for a network outside the workspace. */
export function createDestination(
  db: Db,
  workspaceId: string,
  input: DestinationInput,
): Promise<DestinationRecord> {
  return write(db, async (tx) => {
    await checkDestinationRefs(tx, workspaceId, input)
    const values = defined<DestinationInput, DestinationRecord>(input, destinationMap)
    const [row] = await tx
      .insert(destinations)
      .values({ ...(values as typeof destinations.$inferInsert), workspaceId })
      .returning()
    return row!
  })
}

/** Partial update. @throws AppError 404, 400 (`network_id`). */
export function updateDestination(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<DestinationInput>,
): Promise<DestinationRecord> {
  return write(db, async (tx) => {
    await checkDestinationRefs(tx, workspaceId, patch)
    const [row] = await tx
      .update(destinations)
      .set({ ...defined<DestinationInput, DestinationRecord>(patch, destinationMap), updatedAt: sql`now()` })
      .where(and(eq(destinations.id, id), eq(destinations.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('destination')
    return row
  })
}

/** Deletes a destination; it disappears from every stream list (cascade). @throws 404. */
export function deleteDestination(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    const rows = await tx
      .delete(destinations)
      .where(and(eq(destinations.id, id), eq(destinations.workspaceId, workspaceId)))
      .returning({ id: destinations.id })
    if (rows.length === 0) throw notFound('destination')
  })
}

// ---------------------------------------------------------------------------------------
// campaigns

const campaignMap = {
  name: 'name',
  alias: 'alias',
  source_id: 'sourceId',
  status: 'status',
  timezone: 'timezone',
  cost_micros: 'costMicros',
  currency: 'currency',
  trafficback: 'trafficback',
  anti_repeat: 'antiRepeat',
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

/** Lists the workspace's campaigns, oldest first. */
export function listCampaigns(
  db: Db,
  workspaceId: string,
  query: ListQuery = {},
): Promise<Page<CampaignRecord>> {
  return page(db, campaigns, listWhere(campaigns, workspaceId, query.q), query)
}

/** One campaign. @throws AppError 404 when absent from this workspace. */
export async function getCampaign(db: Db, workspaceId: string, id: string): Promise<CampaignRecord> {
  const [row] = await db
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)))
  if (!row) throw notFound('campaign')
  return row
}

/**
 * Creates a campaign.
 * @throws AppError 400 (`source_id`, `trafficback.campaign_id`) for references outside the
 *   workspace; 409 (`alias`) when the alias is taken in any workspace.
 */
export function createCampaign(db: Db, workspaceId: string, input: CampaignInput): Promise<CampaignRecord> {
  return write(db, async (tx) => {
    await checkCampaignRefs(tx, workspaceId, input)
    const values = defined<CampaignInput, CampaignRecord>(input, campaignMap)
    const [row] = await tx
      .insert(campaigns)
      .values({ ...(values as typeof campaigns.$inferInsert), workspaceId })
      .returning()
    return row!
  })
}

/** Partial update. @throws AppError 404, 400 (references, self-trafficback), 409 (`alias`). */
export function updateCampaign(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<CampaignInput>,
): Promise<CampaignRecord> {
  return write(db, async (tx) => {
    // 404 first: a foreign id must not learn anything from reference or alias checks.
    await getCampaign(tx, workspaceId, id)
    await checkCampaignRefs(tx, workspaceId, patch, id)
    const [row] = await tx
      .update(campaigns)
      .set({ ...defined<CampaignInput, CampaignRecord>(patch, campaignMap), updatedAt: sql`now()` })
      .where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)))
      .returning()
    if (!row) throw notFound('campaign')
    return row
  })
}

/**
 * Deletes a campaign and its streams (cascade).
 * @throws AppError 404; 409 `conflict` (details name the referring campaigns) while another
 *   campaign uses it as trafficback — change those first, so no trafficback dangles.
 */
export function deleteCampaign(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    await getCampaign(tx, workspaceId, id)
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
    await tx.delete(campaigns).where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)))
  })
}

// ---------------------------------------------------------------------------------------
// streams

const streamMap = {
  campaign_id: 'campaignId',
  name: 'name',
  kind: 'kind',
  priority: 'priority',
  conditions: 'conditions',
  strategy: 'strategy',
  exploration: 'exploration',
  active: 'active',
} as const

type StreamRow = typeof streams.$inferSelect

async function checkStreamRefs(tx: Tx, workspaceId: string, input: Partial<StreamInput>): Promise<void> {
  if (input.campaign_id && !(await existsIn(tx, campaigns, workspaceId, input.campaign_id))) {
    throw badRef('campaign_id', 'campaign')
  }
  const list = input.destinations
  if (!list || list.length === 0) return
  const seen = new Set<string>()
  list.forEach((d, i) => {
    if (seen.has(d.destination_id)) {
      throw badRequest(`destinations.${i}.destination_id: listed twice`, [
        { path: `destinations.${i}.destination_id`, message: 'listed twice' },
      ])
    }
    seen.add(d.destination_id)
  })
  const found = await tx
    .select({ id: destinations.id })
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), inArray(destinations.id, [...seen])))
  const ok = new Set(found.map((r) => r.id))
  const bad = list.findIndex((d) => !ok.has(d.destination_id))
  if (bad >= 0) throw badRef(`destinations.${bad}.destination_id`, 'destination')
}

async function replaceStreamDestinations(
  tx: Tx,
  streamId: string,
  list: StreamInput['destinations'],
): Promise<void> {
  await tx.delete(streamDestinations).where(eq(streamDestinations.streamId, streamId))
  if (list.length === 0) return
  await tx.insert(streamDestinations).values(
    list.map((d, position) => ({
      streamId,
      destinationId: d.destination_id,
      position,
      weight: d.weight,
      active: d.active,
    })),
  )
}

/** Groups stream_destinations rows (already ordered by position) by stream id. */
function groupLinks(
  links: (typeof streamDestinations.$inferSelect)[],
): Map<string, StreamRecord['destinations']> {
  const by = new Map<string, StreamRecord['destinations']>()
  for (const l of links) {
    let list = by.get(l.streamId)
    if (!list) {
      list = []
      by.set(l.streamId, list)
    }
    list.push({ destinationId: l.destinationId, weight: l.weight, active: l.active })
  }
  return by
}

async function withDestinations(db: Db, rows: StreamRow[]): Promise<StreamRecord[]> {
  if (rows.length === 0) return []
  const links = await db
    .select()
    .from(streamDestinations)
    .where(
      inArray(
        streamDestinations.streamId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(streamDestinations.streamId), asc(streamDestinations.position))
  const by = groupLinks(links)
  return rows.map((r) => ({ ...r, destinations: by.get(r.id) ?? [] }))
}

/** Lists the workspace's streams (optionally of one campaign), oldest first, with their destination lists. */
export async function listStreams(
  db: Db,
  workspaceId: string,
  query: ListQuery & { campaignId?: string } = {},
): Promise<Page<StreamRecord>> {
  const extra = query.campaignId ? eq(streams.campaignId, query.campaignId) : undefined
  const p = await page<StreamRow>(db, streams, listWhere(streams, workspaceId, query.q, extra), query)
  return { items: await withDestinations(db, p.items), total: p.total }
}

/** One stream with its destination list. @throws AppError 404 when absent from this workspace. */
export async function getStream(db: Db, workspaceId: string, id: string): Promise<StreamRecord> {
  const rows = await db
    .select()
    .from(streams)
    .where(and(eq(streams.id, id), eq(streams.workspaceId, workspaceId)))
  const [rec] = await withDestinations(db, rows)
  if (!rec) throw notFound('stream')
  return rec
}

/**
 * Creates a stream and its destination list (positions = list order).
 * @throws AppError 400 (`campaign_id`, `destinations.N.destination_id`) for references outside
 *   the workspace or a destination listed twice.
 */
export function createStream(db: Db, workspaceId: string, input: StreamInput): Promise<StreamRecord> {
  return write(db, async (tx) => {
    await checkStreamRefs(tx, workspaceId, input)
    const values = defined<StreamInput, StreamRow>(input, streamMap)
    const [row] = await tx
      .insert(streams)
      .values({ ...(values as typeof streams.$inferInsert), workspaceId })
      .returning()
    await replaceStreamDestinations(tx, row!.id, input.destinations)
    return getStream(tx, workspaceId, row!.id)
  })
}

/**
 * Partial update. When `destinations` is present the whole list is replaced atomically
 * (absent = unchanged; `[]` = empty list). @throws AppError 404, 400 (references).
 */
export function updateStream(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<StreamInput>,
): Promise<StreamRecord> {
  return write(db, async (tx) => {
    await getStream(tx, workspaceId, id)
    await checkStreamRefs(tx, workspaceId, patch)
    await tx
      .update(streams)
      .set({ ...defined<StreamInput, StreamRow>(patch, streamMap), updatedAt: sql`now()` })
      .where(and(eq(streams.id, id), eq(streams.workspaceId, workspaceId)))
    if (patch.destinations) await replaceStreamDestinations(tx, id, patch.destinations)
    return getStream(tx, workspaceId, id)
  })
}

/** Deletes a stream and its destination list. @throws AppError 404. */
export function deleteStream(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    const rows = await tx
      .delete(streams)
      .where(and(eq(streams.id, id), eq(streams.workspaceId, workspaceId)))
      .returning({ id: streams.id })
    if (rows.length === 0) throw notFound('stream')
  })
}

// ---------------------------------------------------------------------------------------
// snapshot

/**
 * Loads every workspace's routing configuration for the hot-path snapshot, plus the config
 * version it corresponds to. Reads in one REPEATABLE READ transaction, so `version` and the
 * rows are mutually consistent (a write committing mid-load is either fully in or out).
 * Streams' destination lists are in configured order; JSON columns are already parsed.
 */
export async function loadConfigRows(db: Db): Promise<ConfigRows> {
  return db.transaction(
    async (tx0) => {
      const tx = tx0 as unknown as Db
      const version = await readConfigVersion(tx)
      // Sequential on purpose: one connection per transaction, and pg deprecates pipelining.
      const srcRows = await tx
        .select()
        .from(trafficSources)
        .orderBy(asc(trafficSources.createdAt), asc(trafficSources.id))
      const campRows = await tx.select().from(campaigns).orderBy(asc(campaigns.createdAt), asc(campaigns.id))
      const destRows = await tx
        .select()
        .from(destinations)
        .orderBy(asc(destinations.createdAt), asc(destinations.id))
      const streamRows = await tx.select().from(streams).orderBy(asc(streams.createdAt), asc(streams.id))
      const links = await tx
        .select()
        .from(streamDestinations)
        .orderBy(asc(streamDestinations.streamId), asc(streamDestinations.position))
      const by = groupLinks(links)
      return {
        version,
        sources: srcRows.map((s) => ({
          id: s.id,
          workspaceId: s.workspaceId,
          name: s.name,
          costModel: s.costModel,
          defaultCostMicros: s.defaultCostMicros,
          currency: s.currency,
          externalIdParam: s.externalIdParam,
        })),
        campaigns: campRows.map((c) => ({
          id: c.id,
          workspaceId: c.workspaceId,
          alias: c.alias,
          name: c.name,
          sourceId: c.sourceId,
          status: c.status,
          timezone: c.timezone,
          costMicros: c.costMicros,
          currency: c.currency,
          trafficback: c.trafficback,
          antiRepeat: c.antiRepeat,
        })),
        destinations: destRows.map((d) => ({
          id: d.id,
          workspaceId: d.workspaceId,
          name: d.name,
          url: d.url,
          networkId: d.networkId,
          payoutCents: d.payoutCents,
          currency: d.currency,
          status: d.status,
          schedule: d.schedule ?? null,
          dailyClickCap: d.dailyClickCap,
          totalClickCap: d.totalClickCap,
          capTimezone: d.capTimezone,
          healthCheck: d.healthCheck ?? null,
          health: d.health,
        })),
        streams: streamRows.map((s) => ({
          id: s.id,
          workspaceId: s.workspaceId,
          campaignId: s.campaignId,
          name: s.name,
          kind: s.kind,
          priority: s.priority,
          conditions: s.conditions,
          strategy: s.strategy,
          exploration: s.exploration,
          active: s.active,
          destinations: by.get(s.id) ?? [],
        })),
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  )
}

export { readConfigVersion }
