/**
 * Cost-update routes (mounted under `/api/v1` behind the auth hook; every query scoped to
 * `request.auth.workspaceId`). Documented in `../API.md` ("Cost updates").
 *
 * - `POST /cost-updates/preview` — what an update would do: clicks, current → new cost, ROI.
 * - `POST /cost-updates` — applies one (201); 409 when the range has no click.
 * - `GET /cost-updates?campaign_id=` — history, newest first.
 * - `POST /cost-updates/:id/revert` — reverts one (409 when already reverted).
 * - `POST /cost-updates/import/preview` and `POST /cost-updates/import` — CSV (`text/csv`
 *   body, or JSON `{csv}`): per-line validation and preview; the import applies every row
 *   or none (any invalid row → 400 with the lines).
 *
 * Order of writes: the update id is generated (or taken from the body's `id`) first; the
 * ClickHouse rows are inserted (deduplicated by that id), then the PostgreSQL row is
 * written. A failure between the two leaves deltas without a history row; retrying with the
 * same `id` writes no second delta and records the row. A PostgreSQL row therefore always
 * means the deltas are in ClickHouse. Money in the bodies is decimal currency units of the
 * campaign's currency; the stored values are micros.
 */
import { createHash, randomUUID } from 'node:crypto'
import { and, desc, eq, inArray, or } from 'drizzle-orm'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../../platform/clock.ts'
import type { Db } from '../../../platform/db/client.ts'
import { AppError, badRequest, conflict, notFound } from '../../../platform/errors.ts'
import { errorBody } from '../../../platform/http/schemas.ts'
import '../../../platform/http/types.ts'
import { applyCostUpdate, costScopeStats, revertCostUpdate } from '../../analytics/index.ts'
import { campaigns, costUpdates } from '../routing.tables.ts'
import {
  type CostCsvError,
  type CostCsvRow,
  costToMicros,
  type Issue,
  parseCostCsv,
  previewFigures,
  resolveCostRange,
  SUB_KEYS,
  type SubKey,
  units,
} from './costs.core.ts'

/** Dependencies of {@link costUpdateRoutes}. */
export interface CostUpdateRoutesDeps {
  db: Db
  handle: ClickHouseHandle
  /** Time of updates and reverts; default system clock. */
  clock?: Clock
}

/** Largest CSV text accepted (bytes). */
const CSV_BODY_LIMIT = 1024 * 1024

const amount = z
  .union([z.string().max(40), z.number()])
  .describe('total cost of the range in the campaign currency, decimal (at most 6 decimals)')

const updateBody = z.strictObject({
  campaign_id: z.uuid(),
  from: z.string().max(40).describe('YYYY-MM-DD (whole day) or local YYYY-MM-DDTHH:MM, in timezone'),
  to: z.string().max(40).describe('YYYY-MM-DD (day included) or local YYYY-MM-DDTHH:MM (exclusive)'),
  timezone: z.string().max(64).optional().describe("IANA zone of from/to; default the campaign's"),
  sub_key: z.enum(SUB_KEYS).optional().describe('narrow to clicks with this sub ID = sub_value'),
  sub_value: z.string().max(500).optional(),
  cost: amount,
})
const applyBody = updateBody.extend({
  id: z.uuid().optional().describe('the update id; send one to make a retry safe (no second update)'),
})

const previewOut = z.object({
  campaign_id: z.uuid(),
  from: z.string().describe('ISO UTC, inclusive'),
  to: z.string().describe('ISO UTC, exclusive'),
  timezone: z.string(),
  sub_key: z.string().nullable(),
  sub_value: z.string().nullable(),
  currency: z.string(),
  clicks: z.number(),
  current_cost: z.number().describe('currency units: the clicks’ cost now (their own + earlier updates)'),
  new_cost: z.number(),
  delta: z.number(),
  revenue: z.number().describe('revenue of these clicks’ conversions (by click time)'),
  roi_before: z.number().nullable().describe('percent; null when the cost is 0'),
  roi_after: z.number().nullable(),
})

const updateOut = z.object({
  id: z.uuid(),
  campaign_id: z.uuid(),
  from: z.string(),
  to: z.string(),
  timezone: z.string(),
  sub_key: z.string().nullable(),
  sub_value: z.string().nullable(),
  cost: z.number().describe('currency units'),
  cost_micros: z.number(),
  currency: z.string(),
  clicks: z.number(),
  previous_cost: z.number().describe('currency units: the clicks’ cost before the update'),
  previous_cost_micros: z.number(),
  status: z.enum(['applied', 'reverted']),
  origin: z.string().describe("'manual' or 'csv:<batch id>'"),
  created_by: z.string().nullable(),
  created_at: z.string(),
  reverted_at: z.string().nullable(),
  reverted_by: z.string().nullable(),
})

type CostUpdateRow = typeof costUpdates.$inferSelect
const updateJson = (r: CostUpdateRow): z.output<typeof updateOut> => ({
  id: r.id,
  campaign_id: r.campaignId,
  from: r.fromTs.toISOString(),
  to: r.toTs.toISOString(),
  timezone: r.timezone,
  sub_key: r.subKey,
  sub_value: r.subValue,
  cost: units(r.costMicros),
  cost_micros: r.costMicros,
  currency: r.currency,
  clicks: r.clicks,
  previous_cost: units(r.previousCostMicros),
  previous_cost_micros: r.previousCostMicros,
  status: r.status,
  origin: r.origin,
  created_by: r.createdBy,
  created_at: r.createdAt.toISOString(),
  reverted_at: r.revertedAt ? r.revertedAt.toISOString() : null,
  reverted_by: r.revertedBy,
})

const csvBody = z.strictObject({
  csv: z.string().max(CSV_BODY_LIMIT),
  batch_id: z
    .uuid()
    .optional()
    .describe(
      'import id; send one to make a retried import safe (rows already applied are not applied again)',
    ),
})
const csvRowOut = previewOut.extend({ line: z.number(), campaign_name: z.string() })
const csvErrorOut = z.object({
  line: z.number(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
})
const importPreviewOut = z.object({
  rows: z.array(csvRowOut),
  errors: z.array(csvErrorOut),
  valid: z.number(),
  invalid: z.number(),
})

type Campaign = typeof campaigns.$inferSelect

/** A resolved update (before it is applied). */
interface Resolved {
  campaign: Campaign
  fromMs: number
  toMs: number
  timezone: string
  subKey: SubKey | null
  subValue: string | null
  costMicros: number
}

const fail = (issues: Issue[]): never => {
  throw badRequest(`invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues)
}

async function campaignById(db: Db, workspaceId: string, id: string): Promise<Campaign | undefined> {
  const [c] = await db
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id)))
  return c
}

/** Checks an entered update against its campaign: range in the zone, cost. */
function resolveIssues(
  campaign: Campaign,
  input: {
    from: string
    to: string
    timezone?: string | undefined
    sub_key?: SubKey | null | undefined
    sub_value?: string | null | undefined
    cost: string | number
  },
): { ok: true; value: Resolved } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = []
  const timezone = input.timezone || campaign.timezone
  const range = resolveCostRange(input.from, input.to, timezone)
  if (!range.ok) issues.push(...range.issues)
  const cost = costToMicros(input.cost)
  if (!cost.ok) issues.push({ path: 'cost', message: cost.message })
  if (input.sub_value != null && !input.sub_key)
    issues.push({ path: 'sub_key', message: 'is required with sub_value' })
  if (issues.length > 0 || !range.ok || !cost.ok) return { ok: false, issues }
  return {
    ok: true,
    value: {
      campaign,
      fromMs: range.fromMs,
      toMs: range.toMs,
      timezone,
      subKey: input.sub_key ?? null,
      subValue: input.sub_key ? (input.sub_value ?? '') : null,
      costMicros: cost.micros,
    },
  }
}

const scopeOf = (workspaceId: string, r: Resolved) => ({
  workspaceId,
  campaignId: r.campaign.id,
  fromMs: r.fromMs,
  toMs: r.toMs,
  ...(r.subKey ? { subKey: r.subKey, subValue: r.subValue ?? '' } : {}),
})

async function preview(handle: ClickHouseHandle, workspaceId: string, r: Resolved) {
  const stats = await costScopeStats(handle, scopeOf(workspaceId, r))
  return {
    campaign_id: r.campaign.id,
    from: new Date(r.fromMs).toISOString(),
    to: new Date(r.toMs).toISOString(),
    timezone: r.timezone,
    sub_key: r.subKey,
    sub_value: r.subValue,
    currency: r.campaign.currency,
    ...previewFigures({
      clicks: stats.clicks,
      currentMicros: stats.costMicros,
      revenueMicros: stats.revenueMicros,
      newMicros: r.costMicros,
    }),
  }
}

const NOTHING_TO_SPREAD =
  'no clicks in this range (and sub ID): there is nothing to spread the cost over. Check the dates, the time zone and the sub ID value.'

/** A UUID derived from an import batch and a line, so a retried import reuses the ids. */
function rowUpdateId(batchId: string, line: number): string {
  const h = createHash('sha256').update(`${batchId}:${line}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * Applies one resolved update: ClickHouse first (deduplicated by `id`), then the history
 * row. An `id` already recorded returns that row.
 */
async function applyOne(
  deps: CostUpdateRoutesDeps,
  clock: Clock,
  auth: { workspaceId: string; userId: string },
  id: string,
  r: Resolved,
  origin: string,
): Promise<CostUpdateRow> {
  const [known] = await deps.db.select().from(costUpdates).where(eq(costUpdates.id, id))
  if (known) {
    if (known.workspaceId !== auth.workspaceId) throw conflict('this update id is taken')
    return known
  }
  const now = clock.now()
  const res = await applyCostUpdate(deps.handle, {
    ...scopeOf(auth.workspaceId, r),
    updateId: id,
    costMicros: r.costMicros,
    nowMs: now.getTime(),
  })
  if (res.clicks === 0) throw conflict(NOTHING_TO_SPREAD)
  const [row] = await deps.db
    .insert(costUpdates)
    .values({
      id,
      workspaceId: auth.workspaceId,
      campaignId: r.campaign.id,
      fromTs: new Date(r.fromMs),
      toTs: new Date(r.toMs),
      timezone: r.timezone,
      subKey: r.subKey,
      subValue: r.subValue,
      costMicros: r.costMicros,
      currency: r.campaign.currency,
      clicks: res.clicks,
      previousCostMicros: res.previousCostMicros,
      origin,
      createdBy: auth.userId,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning()
  if (row) return row
  const [again] = await deps.db.select().from(costUpdates).where(eq(costUpdates.id, id))
  return again!
}

/** The cost-update routes as a Fastify plugin (see the file comment). */
export function costUpdateRoutes(deps: CostUpdateRoutesDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    // CSV import bodies may come as text/csv (this plugin only: Fastify scopes parsers).
    app.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT },
      (_req, body, done) => done(null, { csv: body as string }),
    )

    const resolveBody = async (workspaceId: string, b: z.output<typeof updateBody>) => {
      const campaign = await campaignById(deps.db, workspaceId, b.campaign_id)
      if (!campaign) throw notFound('campaign')
      const r = resolveIssues(campaign, b)
      if (!r.ok) fail(r.issues)
      return (r as { ok: true; value: Resolved }).value
    }

    app.post(
      '/cost-updates/preview',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['cost-updates'],
          summary:
            'What setting the real cost of a campaign range would do: clicks, cost before → after, ROI',
          body: updateBody,
          response: { 200: previewOut, 400: errorBody, 404: errorBody },
        },
      },
      async (req) =>
        preview(deps.handle, req.auth.workspaceId, await resolveBody(req.auth.workspaceId, req.body)),
    )

    app.post(
      '/cost-updates',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['cost-updates'],
          summary:
            'Set the real cost of a campaign (or one sub ID value) over a range, spread over its clicks',
          description:
            'Each click of the range gets an exact share (floor(X/N), the remainder one micro each to the first clicks by time). ' +
            '409 when the range has no click. Send `id` (a UUID) to make a retry safe.',
          body: applyBody,
          response: { 201: updateOut, 200: updateOut, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req, reply) => {
        const { id, ...body } = req.body
        const r = await resolveBody(req.auth.workspaceId, body)
        const row = await applyOne(deps, clock, req.auth, id ?? randomUUID(), r, 'manual')
        return reply.code(201).send(updateJson(row))
      },
    )

    app.get(
      '/cost-updates',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['cost-updates'],
          summary: 'Cost updates of the workspace (or one campaign), newest first',
          querystring: z.strictObject({
            campaign_id: z.uuid().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            offset: z.coerce.number().int().min(0).default(0),
          }),
          response: { 200: z.object({ items: z.array(updateOut) }) },
        },
      },
      async (req) => {
        const q = req.query
        const where = and(
          eq(costUpdates.workspaceId, req.auth.workspaceId),
          q.campaign_id ? eq(costUpdates.campaignId, q.campaign_id) : undefined,
        )
        const items = await deps.db
          .select()
          .from(costUpdates)
          .where(where)
          .orderBy(desc(costUpdates.createdAt), desc(costUpdates.id))
          .limit(q.limit)
          .offset(q.offset)
        return { items: items.map(updateJson) }
      },
    )

    app.post(
      '/cost-updates/:id/revert',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['cost-updates'],
          summary:
            'Revert a cost update: its clicks go back to the newest other applied update covering them, else to their own cost',
          params: z.object({ id: z.uuid() }),
          response: { 200: updateOut, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const [row] = await deps.db
          .select()
          .from(costUpdates)
          .where(and(eq(costUpdates.workspaceId, ws), eq(costUpdates.id, req.params.id)))
        if (!row) throw notFound('cost update')
        if (row.status === 'reverted') throw conflict('this cost update is already reverted')
        const now = clock.now()
        await revertCostUpdate(deps.handle, { workspaceId: ws, updateId: row.id, nowMs: now.getTime() })
        const [out] = await deps.db
          .update(costUpdates)
          .set({ status: 'reverted', revertedAt: now, revertedBy: req.auth.userId })
          .where(and(eq(costUpdates.id, row.id), eq(costUpdates.status, 'applied')))
          .returning()
        if (!out) throw conflict('this cost update is already reverted')
        return updateJson(out)
      },
    )

    /** Validates a CSV and resolves its campaigns (id or alias) and ranges. */
    const checkCsv = async (
      workspaceId: string,
      text: string,
    ): Promise<{ rows: (CostCsvRow & { resolved: Resolved })[]; errors: CostCsvError[] }> => {
      const parsed = parseCostCsv(text)
      if (parsed.fatal) fail([parsed.fatal])
      const refs = [...new Set(parsed.rows.map((r) => r.campaign))]
      const ids = refs.filter((r) => z.uuid().safeParse(r).success)
      const found =
        refs.length === 0
          ? []
          : await deps.db
              .select()
              .from(campaigns)
              .where(
                and(
                  eq(campaigns.workspaceId, workspaceId),
                  ids.length > 0
                    ? or(inArray(campaigns.id, ids), inArray(campaigns.alias, refs))
                    : inArray(campaigns.alias, refs),
                ),
              )
      const byRef = new Map<string, Campaign>()
      for (const c of found) {
        byRef.set(c.id, c)
        byRef.set(c.alias, c)
      }
      const errors = [...parsed.errors]
      const rows: (CostCsvRow & { resolved: Resolved })[] = []
      for (const row of parsed.rows) {
        const campaign = byRef.get(row.campaign)
        if (!campaign) {
          errors.push({
            line: row.line,
            issues: [
              {
                path: 'campaign',
                message: `no campaign with id or alias "${row.campaign}" in this workspace`,
              },
            ],
          })
          continue
        }
        const r = resolveIssues(campaign, {
          from: row.from,
          to: row.to,
          timezone: row.timezone || undefined,
          sub_key: row.sub_key,
          sub_value: row.sub_value,
          cost: (row.cost_micros / 1_000_000).toFixed(6),
        })
        if (!r.ok) errors.push({ line: row.line, issues: r.issues })
        else rows.push({ ...row, resolved: { ...r.value, costMicros: row.cost_micros } })
      }
      return { rows, errors }
    }

    const csvText = (body: unknown): { csv: string; batch_id?: string | undefined } => {
      const parsed = csvBody.safeParse(body)
      if (!parsed.success)
        fail(parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'csv', message: i.message })))
      return (parsed as { success: true; data: z.output<typeof csvBody> }).data
    }

    const previewCsv = async (workspaceId: string, text: string) => {
      const { rows, errors } = await checkCsv(workspaceId, text)
      const out: z.output<typeof csvRowOut>[] = []
      for (const row of rows) {
        const p = await preview(deps.handle, workspaceId, row.resolved)
        if (p.clicks === 0)
          errors.push({ line: row.line, issues: [{ path: 'from', message: NOTHING_TO_SPREAD }] })
        else out.push({ line: row.line, campaign_name: row.resolved.campaign.name, ...p })
      }
      errors.sort((a, b) => a.line - b.line)
      return { rows: out, errors, resolved: rows }
    }

    app.post(
      '/cost-updates/import/preview',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['cost-updates'],
          summary: 'Check a cost CSV: per-line errors and, for valid lines, the preview figures',
          description:
            'Body: the CSV as text/csv, or JSON {csv}. Columns: campaign (id or alias), from, to, timezone (optional, default the campaign’s), sub_key, sub_value (optional), cost.',
          response: { 200: importPreviewOut, 400: errorBody },
        },
      },
      async (req) => {
        const { csv } = csvText(req.body)
        const { rows, errors } = await previewCsv(req.auth.workspaceId, csv)
        return { rows, errors, valid: rows.length, invalid: errors.length }
      },
    )

    app.post(
      '/cost-updates/import',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['cost-updates'],
          summary: 'Apply a cost CSV: every row, or none when a row is invalid (400 listing the lines)',
          response: {
            201: z.object({ batch_id: z.uuid(), items: z.array(updateOut) }),
            400: errorBody,
          },
        },
      },
      async (req, reply) => {
        const body = csvText(req.body)
        const { errors, resolved } = await previewCsv(req.auth.workspaceId, body.csv)
        if (errors.length > 0)
          throw new AppError(
            400,
            'validation_failed',
            `${errors.length} invalid row(s): nothing was imported (lines ${errors.map((e) => e.line).join(', ')})`,
            errors,
          )
        const batch = body.batch_id ?? randomUUID()
        const items: CostUpdateRow[] = []
        for (const row of resolved) {
          items.push(
            await applyOne(deps, clock, req.auth, rowUpdateId(batch, row.line), row.resolved, `csv:${batch}`),
          )
        }
        return reply.code(201).send({ batch_id: batch, items: items.map(updateJson) })
      },
    )
  }
}
