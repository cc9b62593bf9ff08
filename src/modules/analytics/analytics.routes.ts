/**
 * Analytics HTTP routes, mounted by the API app under `/api/v1` behind its auth hook:
 * `GET /reports/overview`, `GET /reports/breakdown`, `GET /ingestion/status`.
 * Every report is scoped to `request.auth.workspaceId`.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import '../../platform/http/types.ts'
import {
  BREAKDOWN_DIMENSIONS,
  breakdownQuerySchema,
  ingestionStatusQuerySchema,
  overviewQuerySchema,
  parseBreakdownQuery,
  parseOverviewQuery,
} from './analytics.schema.ts'
import type { Pipeline } from './pipeline.ts'
import { breakdown } from './queries/breakdown.ts'
import { recentIngestionErrors } from './queries/ingestion-errors.ts'
import { overview } from './queries/overview.ts'
import type { ReportRange } from './range.ts'

/** Dependencies of {@link analyticsRoutes}. */
export interface AnalyticsRoutesDeps {
  handle: ClickHouseHandle
  /** The process's click pipeline (only `stats()` is read). */
  pipeline: Pick<Pipeline, 'stats'>
  /** "Today" for default report ranges; default system clock. */
  clock?: Clock
}

const rangeOut = z.object({
  from: z.string().describe('inclusive start, ISO UTC'),
  to: z.string().describe('exclusive end, ISO UTC'),
  tz: z.string(),
})

const overviewOut = z.object({
  range: rangeOut,
  clicks: z.number(),
  unique_clicks: z.number(),
  trafficback: z.number(),
  bots: z.number(),
})

const breakdownOut = z.object({
  range: rangeOut,
  by: z.enum(BREAKDOWN_DIMENSIONS),
  rows: z.array(
    z.object({
      key: z.string().describe('id (campaign, stream, destination, source), country code or device type'),
      clicks: z.number(),
      unique_clicks: z.number(),
      bots: z.number(),
      trafficback: z.number().optional().describe('only when by=campaign'),
    }),
  ),
})

const errorOut = z.object({
  ts: z.string(),
  node: z.string(),
  stage: z.string(),
  error: z.string(),
  events: z.number(),
  attempts: z.number(),
  sample: z.string().nullable().describe('first event of the batch; admins only'),
})

const statusOut = z.object({
  pipeline: z.object({
    spoolId: z.string(),
    queued: z.number(),
    queueMax: z.number(),
    spilling: z.boolean(),
    recovering: z.boolean(),
    pending: z.number(),
    pendingBytes: z.number(),
    segments: z.number(),
    pushed: z.number(),
    inserted: z.object({ clicks: z.number(), trafficback: z.number() }),
    batches: z.number(),
    recovered: z.number(),
    backpressure: z.number(),
    tornLines: z.number(),
    corruptLines: z.number(),
    spoolWriteErrors: z.number(),
    insertErrors: z.number(),
    errors: z.number(),
    lastError: z.object({ at: z.string(), stage: z.string(), message: z.string() }).nullable(),
    lastCommitAt: z.string().nullable(),
  }),
  recent_errors: z.array(errorOut),
  /** Set when ClickHouse could not be read (the pipeline stats above are still current). */
  recent_errors_unavailable: z.string().optional(),
})

const rangeJson = (r: ReportRange) => ({
  from: new Date(r.fromMs).toISOString(),
  to: new Date(r.toMs).toISOString(),
  tz: r.tz,
})

/**
 * The analytics routes as a Fastify plugin. Validation failures answer 400
 * `validation_failed` naming the fields (`from`, `to`, `tz`, `by`, `limit`).
 */
export function analyticsRoutes(deps: AnalyticsRoutesDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/reports/overview',
      {
        schema: {
          tags: ['reports'],
          summary: 'Clicks, unique clicks, trafficback and bots of the workspace in a date range',
          querystring: overviewQuerySchema,
          response: { 200: overviewOut },
        },
      },
      async (request) => {
        const { range } = parseOverviewQuery(request.query, clock.now())
        const totals = await overview(deps.handle, request.auth.workspaceId, range)
        return { range: rangeJson(range), ...totals }
      },
    )

    app.get(
      '/reports/breakdown',
      {
        schema: {
          tags: ['reports'],
          summary: 'Clicks grouped by campaign, stream, destination, country, device or source (top 1000)',
          querystring: breakdownQuerySchema,
          response: { 200: breakdownOut },
        },
      },
      async (request) => {
        const { by, range } = parseBreakdownQuery(request.query, clock.now())
        const rows = await breakdown(deps.handle, request.auth.workspaceId, by, range)
        return { range: rangeJson(range), by, rows }
      },
    )

    app.get(
      '/ingestion/status',
      {
        schema: {
          tags: ['ingestion'],
          summary: "This process's click pipeline counters and the recent ingestion errors of all nodes",
          querystring: ingestionStatusQuerySchema,
          response: { 200: statusOut },
        },
      },
      async (request) => {
        const pipeline = deps.pipeline.stats()
        // Samples are raw events of any workspace: admins only.
        const admin = request.auth.role === 'admin'
        try {
          const rows = await recentIngestionErrors(deps.handle, { limit: request.query.limit })
          return { pipeline, recent_errors: rows.map((r) => ({ ...r, sample: admin ? r.sample : null })) }
        } catch (err) {
          // The status page matters most when ClickHouse is failing: still answer.
          return {
            pipeline,
            recent_errors: [],
            recent_errors_unavailable: err instanceof Error ? err.message : String(err),
          }
        }
      },
    )
  }
}
