/** Streams and their ordered destination lists (invariants: `scoped.repository.ts`). */
import { and, asc, eq, inArray } from 'drizzle-orm'
import type { z } from 'zod'
import type { Db } from '../../../platform/db/client.ts'
import {
  campaigns,
  destinations,
  landers,
  streamDestinations,
  streamLanders,
  streams,
} from '../routing.tables.ts'
import { badRequest, notFound } from '../../../platform/errors.ts'
import type { streamInput } from '../routing.schema.ts'
import {
  badRef,
  byIdIn,
  defined,
  deleteIn,
  existsIn,
  insertIn,
  lockIn,
  type ListQuery,
  listPage,
  type Page,
  type Tx,
  recordCreate,
  recordDelete,
  recordUpdate,
  updateIn,
  write,
} from './scoped.repository.ts'

/** Parsed create body of a stream, including its ordered destination list. */
export type StreamInput = z.output<typeof streamInput>
type StreamRow = typeof streams.$inferSelect
/** One entry of a stream's destination list. */
export type StreamLink = { destinationId: string; weight: number; active: boolean }
/** One entry of a stream's lander list. */
export type StreamLanderLink = { landerId: string; weight: number; active: boolean }
/** Stored stream with its destination and lander lists in configured order. */
export type StreamRecord = StreamRow & { destinations: StreamLink[]; landers: StreamLanderLink[] }

const WHAT = 'stream'

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

/** The lander list's references: each lander once, each in this workspace. @throws AppError 400. */
async function checkStreamLanders(tx: Tx, workspaceId: string, list: StreamInput['landers'] | undefined) {
  if (!list || list.length === 0) return
  const seen = new Set<string>()
  list.forEach((l, i) => {
    if (seen.has(l.lander_id)) {
      throw badRequest(`landers.${i}.lander_id: listed twice`, [
        { path: `landers.${i}.lander_id`, message: 'listed twice' },
      ])
    }
    seen.add(l.lander_id)
  })
  const found = await tx
    .select({ id: landers.id })
    .from(landers)
    .where(and(eq(landers.workspaceId, workspaceId), inArray(landers.id, [...seen])))
  const ok = new Set(found.map((r) => r.id))
  const bad = list.findIndex((l) => !ok.has(l.lander_id))
  if (bad >= 0) throw badRef(`landers.${bad}.lander_id`, 'lander')
}

async function replaceStreamLanders(tx: Tx, streamId: string, list: StreamInput['landers']): Promise<void> {
  await tx.delete(streamLanders).where(eq(streamLanders.streamId, streamId))
  if (list.length === 0) return
  await tx.insert(streamLanders).values(
    list.map((l, position) => ({
      streamId,
      landerId: l.lander_id,
      position,
      weight: l.weight,
      active: l.active,
    })),
  )
}

/** Groups `stream_landers` rows (ordered by stream and position) by stream id. */
export function groupLanders(rows: (typeof streamLanders.$inferSelect)[]): Map<string, StreamLanderLink[]> {
  const by = new Map<string, StreamLanderLink[]>()
  for (const l of rows) {
    let list = by.get(l.streamId)
    if (!list) {
      list = []
      by.set(l.streamId, list)
    }
    list.push({ landerId: l.landerId, weight: l.weight, active: l.active })
  }
  return by
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

/**
 * Groups `stream_destinations` rows by stream id, keeping their order (the caller orders
 * them by stream and position, so each list is in configured order).
 */
export function groupLinks(links: (typeof streamDestinations.$inferSelect)[]): Map<string, StreamLink[]> {
  const by = new Map<string, StreamLink[]>()
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
  const landerRows = await db
    .select()
    .from(streamLanders)
    .where(
      inArray(
        streamLanders.streamId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(streamLanders.streamId), asc(streamLanders.position))
  const byLanders = groupLanders(landerRows)
  return rows.map((r) => ({ ...r, destinations: by.get(r.id) ?? [], landers: byLanders.get(r.id) ?? [] }))
}

/** Lists the workspace's streams (optionally of one campaign), oldest first, with their destination lists. */
export async function listStreams(
  db: Db,
  workspaceId: string,
  query: ListQuery & { campaignId?: string } = {},
): Promise<Page<StreamRecord>> {
  const extra = query.campaignId ? eq(streams.campaignId, query.campaignId) : undefined
  const p = await listPage<StreamRow>(db, streams, workspaceId, query, extra)
  return { items: await withDestinations(db, p.items), total: p.total }
}

/** One stream with its destination list. @throws AppError 404 when absent from this workspace. */
export async function getStream(db: Db, workspaceId: string, id: string): Promise<StreamRecord> {
  const rows = await db
    .select()
    .from(streams)
    .where(byIdIn(streams, workspaceId, id))
  const [rec] = await withDestinations(db, rows)
  if (!rec) throw notFound(WHAT)
  return rec
}

/**
 * Creates a stream with its destination and lander lists (positions = list order).
 * @throws AppError 400 (`campaign_id`, `destinations.N.destination_id`) for references outside
 *   the workspace or a destination listed twice.
 */
export function createStream(db: Db, workspaceId: string, input: StreamInput): Promise<StreamRecord> {
  return write(db, async (tx) => {
    await checkStreamRefs(tx, workspaceId, input)
    await checkStreamLanders(tx, workspaceId, input.landers)
    const row = await insertIn<StreamRow>(
      tx,
      streams,
      workspaceId,
      defined<StreamInput, StreamRow>(input, streamMap),
      { record: false },
    )
    await replaceStreamDestinations(tx, row.id, input.destinations)
    await replaceStreamLanders(tx, row.id, input.landers ?? [])
    const created = await getStream(tx, workspaceId, row.id)
    // Logged with its offer and lander lists: they are part of the stream's configuration.
    await recordCreate(tx, workspaceId, 'stream', created)
    return created
  })
}

/**
 * Partial update. When `destinations` (or `landers`) is present that whole list is replaced
 * atomically (absent = unchanged; `[]` = empty list). Lander references: 400
 * `landers.N.lander_id` outside the workspace or listed twice. @throws AppError 404, 400 (references).
 */
export function updateStream(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<StreamInput>,
): Promise<StreamRecord> {
  const values = defined<StreamInput, StreamRow>(patch, streamMap)
  return write(db, async (tx) => {
    if (!(await lockIn(tx, streams, workspaceId, id))) throw notFound(WHAT)
    const before = await getStream(tx, workspaceId, id)
    await checkStreamRefs(tx, workspaceId, patch)
    await checkStreamLanders(tx, workspaceId, patch.landers)
    await updateIn(tx, streams, workspaceId, id, values, WHAT, { record: false })
    if (patch.destinations) await replaceStreamDestinations(tx, id, patch.destinations)
    if (patch.landers) await replaceStreamLanders(tx, id, patch.landers)
    const after = await getStream(tx, workspaceId, id)
    await recordUpdate(tx, workspaceId, 'stream', before, after)
    return after
  })
}

/** Deletes a stream and its destination list. @throws AppError 404. */
export function deleteStream(db: Db, workspaceId: string, id: string): Promise<void> {
  return write(db, async (tx) => {
    if (!(await lockIn(tx, streams, workspaceId, id))) throw notFound(WHAT)
    const before = await getStream(tx, workspaceId, id)
    await deleteIn(tx, streams, workspaceId, id, WHAT, { record: false })
    await recordDelete(tx, workspaceId, 'stream', before)
  })
}
