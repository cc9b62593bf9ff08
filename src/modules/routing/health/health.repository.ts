/**
 * SQL for destination health checks: which destinations to probe, probe bookkeeping, state
 * changes (with their health event and config-version bump) and the health history.
 *
 * Functions that serve the API take the caller's `workspaceId` and filter on it; the
 * checker's own reads span all workspaces by design (it is a system job).
 */
import { and, desc, eq, gte, lt, ne, sql } from 'drizzle-orm'
import { recordChange } from '../../../platform/changelog/index.ts'
import type { Db } from '../../../platform/db/client.ts'
import { bumpConfigVersion } from '../../../platform/db/config-version.ts'
import { destinations, healthEvents } from '../routing.tables.ts'
import type { Health } from './health.core.ts'

/** A destination as the health checker sees it. `healthCheck` is the raw stored JSON (validate before use). */
export interface HealthTarget {
  id: string
  workspaceId: string
  /** Destination URL template (may contain `{macro}` placeholders). */
  url: string
  status: 'active' | 'paused' | 'archived'
  healthCheck: unknown
  health: Health
  /** When the last probe finished, or null if never probed. */
  healthCheckedAt: Date | null
}

/** One row of the health history. */
export interface HealthEventRow {
  id: string
  workspaceId: string
  destinationId: string
  fromState: Health
  toState: Health
  /** HTTP status of the probe that caused the change, if a response arrived. */
  httpStatus: number | null
  /** Failure reason of that probe, null for a success. */
  error: string | null
  /** That probe's latency in milliseconds. */
  latencyMs: number | null
  createdAt: Date
}

const targetColumns = {
  id: destinations.id,
  workspaceId: destinations.workspaceId,
  url: destinations.url,
  status: destinations.status,
  healthCheck: destinations.healthCheck,
  health: destinations.health,
  healthCheckedAt: destinations.healthCheckedAt,
}

/**
 * Destinations of every workspace whose `health_check.enabled` is true, except archived ones
 * (archived destinations never route, so probing them would only cost requests). Paused ones
 * are probed so their state is current when they are resumed.
 */
export async function listEnabledHealthTargets(db: Db): Promise<HealthTarget[]> {
  return db
    .select(targetColumns)
    .from(destinations)
    .where(
      and(sql`(${destinations.healthCheck} ->> 'enabled') = 'true'`, ne(destinations.status, 'archived')),
    )
}

/** One destination of `workspaceId`, or null when it does not exist there (other workspaces' ids included). */
export async function findHealthTarget(
  db: Db,
  workspaceId: string,
  destinationId: string,
): Promise<HealthTarget | null> {
  const rows = await db
    .select(targetColumns)
    .from(destinations)
    .where(and(eq(destinations.id, destinationId), eq(destinations.workspaceId, workspaceId)))
    .limit(1)
  return rows[0] ?? null
}

/**
 * Records that a probe finished at `checkedAt` without changing the health. Does not bump
 * the config version: the probe time plays no part in routing.
 */
export async function saveProbeTime(db: Db, destinationId: string, checkedAt: Date): Promise<void> {
  await db.update(destinations).set({ healthCheckedAt: checkedAt }).where(eq(destinations.id, destinationId))
}

/** A health change to persist; see {@link recordHealthChange}. */
export interface HealthChange {
  workspaceId: string
  destinationId: string
  from: Health
  to: Health
  /** When the deciding probe finished; becomes `health_checked_at` and the event's `created_at`. */
  checkedAt: Date
  httpStatus?: number | undefined
  error?: string | undefined
  latencyMs?: number | undefined
}

/**
 * In one transaction: sets the destination's `health` to `to` (and `health_checked_at`),
 * inserts the health event and bumps the config version so traffic processes rebuild their
 * snapshot. The update is conditional on the stored health still being `from`: if another
 * process (or a manual check) already moved it, nothing is written and `event` is undefined,
 * so the history never shows a transition that did not happen.
 *
 * @returns the inserted event, or undefined when the stored state was no longer `from`.
 */
export async function recordHealthChange(db: Db, change: HealthChange): Promise<HealthEventRow | undefined> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(destinations)
      .set({ health: change.to, healthCheckedAt: change.checkedAt })
      .where(
        and(
          eq(destinations.id, change.destinationId),
          eq(destinations.workspaceId, change.workspaceId),
          eq(destinations.health, change.from),
        ),
      )
      .returning({ id: destinations.id, name: destinations.name })
    if (updated.length === 0) return undefined
    // The offer's health steers traffic: the change log shows it like any other change.
    await recordChange(tx, {
      workspaceId: change.workspaceId,
      objectType: 'offer',
      objectId: change.destinationId,
      objectName: updated[0]!.name,
      action: 'update',
      before: { health: change.from },
      after: { health: change.to },
    })
    const [event] = await tx
      .insert(healthEvents)
      .values({
        workspaceId: change.workspaceId,
        destinationId: change.destinationId,
        fromState: change.from,
        toState: change.to,
        httpStatus: change.httpStatus ?? null,
        error: change.error ?? null,
        latencyMs: change.latencyMs === undefined ? null : Math.round(change.latencyMs),
        createdAt: change.checkedAt,
      })
      .returning()
    await bumpConfigVersion(tx)
    return event as HealthEventRow
  })
}

/**
 * A destination's health history, newest first, scoped to `workspaceId` (another workspace's
 * destination id yields an empty list; callers check existence with {@link findHealthTarget}).
 *
 * @param opts.limit rows to return (clamped to 1..500, default 50).
 * @param opts.before only events strictly older than this instant (pagination cursor).
 */
export async function listHealthEvents(
  db: Db,
  workspaceId: string,
  /** One destination, or every destination of the workspace when null. */
  destinationId: string | null,
  opts: { limit?: number; before?: Date; since?: Date; toState?: 'healthy' | 'unhealthy' } = {},
): Promise<HealthEventRow[]> {
  const limit = Math.min(500, Math.max(1, Math.floor(opts.limit ?? 50)))
  const rows = await db
    .select()
    .from(healthEvents)
    .where(
      and(
        eq(healthEvents.workspaceId, workspaceId),
        destinationId ? eq(healthEvents.destinationId, destinationId) : undefined,
        opts.before ? lt(healthEvents.createdAt, opts.before) : undefined,
        opts.since ? gte(healthEvents.createdAt, opts.since) : undefined,
        opts.toState ? eq(healthEvents.toState, opts.toState) : undefined,
      ),
    )
    .orderBy(desc(healthEvents.createdAt), desc(healthEvents.id))
    .limit(limit)
  return rows as HealthEventRow[]
}
