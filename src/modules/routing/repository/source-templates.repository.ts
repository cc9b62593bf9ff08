/**
 * Saved traffic source templates (`source_templates`): a workspace's own presets, saved from
 * one of its sources. Every query filters on `workspace_id`; a row of another workspace is
 * "not found". Templates do not affect routing, so writes here do not bump the config version.
 */
import { and, asc, eq } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { pgError } from '../../../platform/db/errors.ts'
import { badRequest, conflict, notFound } from '../../../platform/errors.ts'
import { type SourceParam as StoredParam, sourceTemplates } from '../routing.tables.ts'
import { recordCreate, recordDelete } from './scoped.repository.ts'
import {
  CUSTOM_TEMPLATE,
  catalogueTemplate,
  type SavedDefinition,
  type SourceParam,
  type SourceTemplate,
  savedDefinitionSchema,
} from '../source.templates.ts'

// The stored parameter shape (routing.tables.ts) and the validated one (source.templates.ts)
// are declared apart (the latter is shared with the web app); they must stay assignable both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const paramShapesAgree: Same<StoredParam, SourceParam> = true
void paramShapesAgree

/** A saved template as stored, its definition parsed. */
export interface SavedTemplate {
  id: string
  name: string
  definition: SavedDefinition
  createdAt: Date
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toSaved(row: typeof sourceTemplates.$inferSelect): SavedTemplate {
  return {
    id: row.id,
    name: row.name,
    definition: savedDefinitionSchema.parse(row.definition),
    createdAt: row.createdAt,
  }
}

/** The workspace's saved templates, by name. */
export async function listSavedTemplates(db: Db, workspaceId: string): Promise<SavedTemplate[]> {
  const rows = await db
    .select()
    .from(sourceTemplates)
    .where(eq(sourceTemplates.workspaceId, workspaceId))
    .orderBy(asc(sourceTemplates.name), asc(sourceTemplates.id))
  return rows.map(toSaved)
}

/** One saved template of the workspace, or undefined (also for a non-UUID id). */
export async function findSavedTemplate(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<SavedTemplate | undefined> {
  if (!UUID.test(id)) return undefined
  const [row] = await db
    .select()
    .from(sourceTemplates)
    .where(and(eq(sourceTemplates.id, id), eq(sourceTemplates.workspaceId, workspaceId)))
  return row ? toSaved(row) : undefined
}

/**
 * Saves a template under `name` (unique in the workspace).
 * @throws AppError 409 naming `name` when the workspace already has a template of that name.
 */
export async function createSavedTemplate(
  db: Db,
  workspaceId: string,
  name: string,
  definition: SavedDefinition,
): Promise<SavedTemplate> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sourceTemplates)
        .values({ workspaceId, name, definition: { ...definition } })
        .returning()
      await recordCreate(tx as unknown as Db, workspaceId, 'source_template', row!)
      return toSaved(row!)
    })
  } catch (err) {
    const { code, constraint } = pgError(err)
    if (code === '23505' && constraint === 'source_templates_ws_name')
      throw conflict('name: a template with this name exists', [
        { path: 'name', message: 'a template with this name exists' },
      ])
    throw err
  }
}

/** Deletes a saved template of the workspace. @throws AppError 404 when absent from it. */
export async function deleteSavedTemplate(db: Db, workspaceId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx
      .delete(sourceTemplates)
      .where(and(eq(sourceTemplates.id, id), eq(sourceTemplates.workspaceId, workspaceId)))
      .returning()
    if (rows.length === 0) throw notFound('source template')
    await recordDelete(tx as unknown as Db, workspaceId, 'source_template', rows[0]!)
  })
}

/**
 * The template a source names: a catalogue entry, or a saved template of this workspace
 * (as a {@link SourceTemplate} whose key is its id).
 * @throws AppError 400 naming `template` when it is neither.
 */
export async function resolveTemplate(db: Db, workspaceId: string, key: string): Promise<SourceTemplate> {
  const cat = catalogueTemplate(key)
  if (cat) return cat
  const saved = await findSavedTemplate(db, workspaceId, key)
  if (saved) return { key: saved.id, name: saved.name, ...saved.definition }
  throw badRequest(
    `template: no such template (a catalogue key, a saved template id or '${CUSTOM_TEMPLATE}')`,
    [{ path: 'template', message: 'no such template in the catalogue or this workspace' }],
  )
}
