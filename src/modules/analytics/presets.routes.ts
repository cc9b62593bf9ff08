/**
 * Named report column presets, one list per user and workspace (PostgreSQL table
 * `report_presets`, `analytics.tables.ts`), mounted under `/api/v1` behind the auth hook:
 *
 * - `GET /report-presets` → `{items}` (name order) of the signed-in user in the current workspace;
 * - `POST /report-presets {name, definition}` → 201; 409 when the user has that name already;
 * - `PUT /report-presets/:id {name?, definition?}` → the preset;
 * - `DELETE /report-presets/:id` → 204.
 *
 * Every query is scoped to `request.auth.userId` AND `request.auth.workspaceId`: another
 * user's preset (same workspace or not) is a 404. `definition` is strict: `columns` (metric
 * names shown, in order), optional `dimensions` (the grouping) and `filters` (filter
 * parameter → values), nothing else.
 */
import { and, asc, eq } from 'drizzle-orm'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { conflict, notFound } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import '../../platform/http/types.ts'
import { reportPresets } from './analytics.tables.ts'
import { METRIC_COLUMNS } from './metrics.ts'
import { FILTER_PARAMS, REPORT_DIMENSIONS } from './report-sql.ts'

/** Most presets one user keeps per workspace. */
export const MAX_PRESETS = 100

const unique = <T>(a: T[]) => new Set(a).size === a.length

/** What a preset restores (strict: unknown keys are refused). */
export const presetDefinition = z.strictObject({
  columns: z
    .array(z.enum(METRIC_COLUMNS))
    .min(1)
    .max(METRIC_COLUMNS.length)
    .refine(unique, 'must not repeat a column')
    .describe('metric columns shown, in order'),
  dimensions: z
    .array(z.enum(REPORT_DIMENSIONS))
    .min(1)
    .max(6)
    .refine(unique, 'must not repeat a dimension')
    .optional()
    .describe('group by these dimensions'),
  filters: z
    .partialRecord(
      z.enum(Object.values(FILTER_PARAMS) as [string, ...string[]]),
      z.array(z.string().max(200)).max(50),
    )
    .optional()
    .describe('filter parameter (campaign_id, country, …) → values'),
})

const presetBody = z.strictObject({
  name: z.string().trim().min(1).max(80),
  definition: presetDefinition,
})

const presetOut = z.object({
  id: z.uuid(),
  name: z.string(),
  definition: presetDefinition,
  created_at: z.string(),
  updated_at: z.string(),
})

type PresetRow = typeof reportPresets.$inferSelect
const presetJson = (r: PresetRow) => ({
  id: r.id,
  name: r.name,
  definition: r.definition as z.output<typeof presetDefinition>,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
})

const isUniqueViolation = (e: unknown) =>
  (e as { code?: string })?.code === '23505' || (e as { cause?: { code?: string } })?.cause?.code === '23505'

/** The report-preset routes (see the file comment). */
export function reportPresetRoutes(deps: { db: Db; clock?: Clock }): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    const mine = (req: { auth: { userId: string; workspaceId: string } }) =>
      and(eq(reportPresets.userId, req.auth.userId), eq(reportPresets.workspaceId, req.auth.workspaceId))

    app.get(
      '/report-presets',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary: "The signed-in user's report column presets in this workspace",
          response: { 200: z.object({ items: z.array(presetOut) }) },
        },
      },
      async (req) => {
        const rows = await deps.db
          .select()
          .from(reportPresets)
          .where(mine(req))
          .orderBy(asc(reportPresets.name))
        return { items: rows.map(presetJson) }
      },
    )

    app.post(
      '/report-presets',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['reports'],
          summary: 'Save a report column preset (409 when the name is taken)',
          body: presetBody,
          response: { 201: presetOut, 400: errorBody, 409: errorBody },
        },
      },
      async (req, reply) => {
        const existing = await deps.db.select({ id: reportPresets.id }).from(reportPresets).where(mine(req))
        if (existing.length >= MAX_PRESETS) throw conflict(`at most ${MAX_PRESETS} presets`)
        try {
          const [row] = await deps.db
            .insert(reportPresets)
            .values({
              workspaceId: req.auth.workspaceId,
              userId: req.auth.userId,
              name: req.body.name,
              definition: req.body.definition,
            })
            .returning()
          return reply.code(201).send(presetJson(row!))
        } catch (e) {
          if (isUniqueViolation(e)) throw conflict(`you have a preset named "${req.body.name}" already`)
          throw e
        }
      },
    )

    app.put(
      '/report-presets/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['reports'],
          summary: 'Rename or redefine a preset',
          params: z.object({ id: z.uuid() }),
          body: presetBody.partial(),
          response: { 200: presetOut, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        try {
          const [row] = await deps.db
            .update(reportPresets)
            .set({
              ...(req.body.name !== undefined ? { name: req.body.name } : {}),
              ...(req.body.definition !== undefined ? { definition: req.body.definition } : {}),
              updatedAt: clock.now(),
            })
            .where(and(mine(req), eq(reportPresets.id, req.params.id)))
            .returning()
          if (!row) throw notFound('report preset')
          return presetJson(row)
        } catch (e) {
          if (isUniqueViolation(e)) throw conflict(`you have a preset named "${req.body.name}" already`)
          throw e
        }
      },
    )

    app.delete(
      '/report-presets/:id',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['reports'],
          summary: 'Delete a preset',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.undefined(), 404: errorBody },
        },
      },
      async (req, reply) => {
        const gone = await deps.db
          .delete(reportPresets)
          .where(and(mine(req), eq(reportPresets.id, req.params.id)))
          .returning({ id: reportPresets.id })
        if (gone.length === 0) throw notFound('report preset')
        return reply.code(204).send()
      },
    )
  }
}
