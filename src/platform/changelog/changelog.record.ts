/**
 * Writes change-log rows. Call inside the transaction that makes the change, so the row
 * commits or rolls back with it: a failed update leaves no row.
 */
import type { Db } from '../db/client.ts'
import { currentChangeActor } from './actor.ts'
import { diffChanges } from './changelog.core.ts'
import { changeLog } from './changelog.tables.ts'

/** What changed (see {@link recordChange}). */
export interface ChangeInput {
  workspaceId: string
  /** e.g. `campaign`, `stream`, `offer`, `lander`, `source`, `network`, `api_key`, `member`. */
  objectType: string
  objectId: string
  /** Shown in lists; defaults to `after.name ?? before.name`. */
  objectName?: string | null
  action: 'create' | 'update' | 'delete'
  /** The object before the change (null for a create); Drizzle rows are fine (camelCase). */
  before: Record<string, unknown> | null
  /** The object after the change (null for a delete). */
  after: Record<string, unknown> | null
  /** Field names to redact beyond the secret-name pattern (changelog.core.ts). */
  secretFields?: readonly string[]
}

/**
 * Records one change, authored by the current actor (src/platform/changelog/actor.ts). An
 * update that changed no field (stamps aside) writes nothing.
 * @param tx the transaction of the change itself.
 * @returns whether a row was written.
 * @throws whatever the database throws (the caller's transaction then rolls back).
 */
export async function recordChange(tx: Pick<Db, 'insert'>, input: ChangeInput): Promise<boolean> {
  const changes = diffChanges(input.before, input.after, new Set(input.secretFields ?? []))
  if (input.action === 'update' && Object.keys(changes).length === 0) return false
  const actor = currentChangeActor()
  const name = input.objectName ?? input.after?.name ?? input.before?.name
  await tx.insert(changeLog).values({
    workspaceId: input.workspaceId,
    actorType: actor.type,
    actorUserId: actor.userId,
    actorApiKeyId: actor.apiKeyId,
    actorLabel: actor.label,
    ip: actor.ip,
    objectType: input.objectType,
    objectId: input.objectId,
    objectName: typeof name === 'string' ? name : null,
    action: input.action,
    changes,
  })
  return true
}
