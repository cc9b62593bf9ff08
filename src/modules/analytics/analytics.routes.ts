/**
 * Analytics HTTP routes, mounted by the API app under `/api/v1` behind its auth hook:
 * `GET /reports/overview`, `/reports/series`, `/reports/breakdown`, `/reports/trafficback`
 * (each JSON, or CSV with `format=csv` or `Accept: text/csv`) and `GET /ingestion/status`.
 * Every report is scoped to `request.auth.workspaceId`. See REPORTS.md.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import { forbidden } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import '../../platform/http/types.ts'
import {
  breakdownQuerySchema,
  ingestionStatusQuerySchema,
  overviewQuerySchema,
  parseBreakdownQuery,
  parseOverviewQuery,
  parseSeriesQuery,
  parseTrafficbackQuery,
  type ReportFormat,
  seriesQuerySchema,
  trafficbackQuerySchema,
} from './analytics.schema.ts'
import { type CsvValue, csvStream } from './csv.ts'
import { METRIC_COLUMNS, type ReportMetrics } from './metrics.ts'
import type { Pipeline } from './pipeline.types.ts'
import { breakdown } from './queries/breakdown.ts'
import { recentIngestionErrors } from './queries/ingestion-errors.ts'
import { overview } from './queries/overview.ts'
import { series } from './queries/series.ts'
import { trafficbackReport } from './queries/trafficback.ts'
import { localDate, type ReportRange } from './range.ts'
import { type NetworkMap, REPORT_DIMENSIONS } from './report-sql.ts'

/** Dependencies of {@link analyticsRoutes}. */
export interface AnalyticsRoutesDeps {
  handle: ClickHouseHandle
  /** The process's click pipeline (only `stats()` is read). */
  pipeline: Pick<Pipeline, 'stats'>
  /** "Today" for default report ranges; default system clock. */
  clock?: Clock
  /**
   * The configured destination → affiliate network map of a workspace, for reports by or
   * filtered by network. When absent the map is derived from the workspace's conversions
   * (a destination that never converted then has no network).
   */
  destinationNetworks?: (workspaceId: string) => Promise<NetworkMap>
  /**
   * Names of configured objects by id (`dimension` is `campaign`, `stream`, `destination`,
   * `source`, `network`, …; `{id: name}`, unknown ids absent), for the CSV export. Without
   * it the CSV has ids only.
   */
  entityNames?: EntityNames
}

/** See {@link AnalyticsRoutesDeps.entityNames}. */
export type EntityNames = (
  workspaceId: string,
  dimension: string,
  ids: readonly string[],
) => Promise<Record<string, string>>

/** Dimensions whose keys are ids of configured objects: the CSV adds a name column. */
const ID_DIMENSIONS = new Set<string>(['campaign', 'stream', 'destination', 'source', 'network', 'lander'])

const rangeOut = z.object({
  from: z.string().describe('inclusive start, ISO UTC'),
  to: z.string().describe('exclusive end, ISO UTC'),
  tz: z.string(),
})

const metricsShape = {
  clicks: z.number().describe('routed clicks, bots included'),
  unique_clicks: z.number().describe('clicks flagged unique for their campaign'),
  bots: z.number().describe('clicks flagged as bots (subset of clicks)'),
  conversions: z.number().describe('conversions created'),
  leads: z.number().describe('net conversions moved into status lead'),
  sales: z.number().describe('net conversions moved into status sale'),
  rejected: z.number().describe('net conversions moved into status rejected'),
  rebills: z.number().describe('net conversions moved into status rebill'),
  revenue: z.number().describe('currency units (≤ 6 decimals)'),
  cost: z.number().describe('currency units (≤ 6 decimals)'),
  profit: z.number().describe('revenue − cost, currency units'),
  cr: z.number().nullable().describe('conversions / clicks × 100 (percent); null without clicks'),
  roi: z.number().nullable().describe('profit / cost × 100 (percent); null when cost is 0'),
  epc: z.number().nullable().describe('revenue / clicks, currency units; null without clicks'),
}

const overviewOut = z.object({
  range: rangeOut,
  ...metricsShape,
  trafficback: z
    .number()
    .nullable()
    .describe('trafficback requests; null when filtered by a dimension trafficback does not record'),
  currencies: z
    .array(z.string())
    .describe('currencies of the conversions in range (revenue is not converted)'),
})

const seriesOut = z.object({
  range: rangeOut,
  interval: z.enum(['day', 'hour']),
  buckets: z.array(
    z.object({
      start: z.string().describe('bucket start, ISO UTC'),
      local: z.string().describe('YYYY-MM-DD, or YYYY-MM-DDTHH:00±HH:MM for hours'),
      ...metricsShape,
    }),
  ),
})

const breakdownOut = z.object({
  range: rangeOut,
  by: z.array(z.enum(REPORT_DIMENSIONS)),
  rows: z.array(
    z.object({
      key: z
        .string()
        .describe('value of the first dimension (id, country code, device type, sub or UTM value)'),
      key2: z.string().optional().describe('value of the second dimension (breakdowns by two or more)'),
      keys: z.array(z.string()).describe('value of every dimension of `by`, in order'),
      ...metricsShape,
      trafficback: z.number().optional().describe('only when by=campaign'),
      lander_visits: z
        .number()
        .optional()
        .describe('clicks sent to a lander first; only when grouped by lander'),
      lp_clicks: z
        .number()
        .optional()
        .describe("unique clicks on landers' calls to action; only when grouped by lander"),
      lp_ctr: z
        .number()
        .nullable()
        .optional()
        .describe('lp_clicks / lander_visits × 100; only when grouped by lander'),
    }),
  ),
})

const trafficbackOut = z.object({
  range: rangeOut,
  rows: z.array(
    z.object({
      reason: z.string(),
      target_type: z.string().describe('url | campaign | none (404) | loop (hop limit, 404)'),
      target: z.string(),
      requests: z.number(),
      bots: z.number(),
      campaigns: z.number().describe('distinct campaigns'),
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
  sample: z
    .string()
    .nullable()
    .describe('first event of the batch (any workspace: the route is admins only)'),
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

/** CSV when the query says `format=csv`, or says nothing and `Accept` names `text/csv`. */
function wantsCsv(format: ReportFormat | undefined, request: FastifyRequest): boolean {
  if (format) return format === 'csv'
  return /(^|[\s,])text\/csv\b/i.test(request.headers.accept ?? '')
}

/** Sends a streamed CSV attachment named `traffoflex-<report>-<first day>_<last day>.csv`. */
function sendCsv(
  reply: FastifyReply,
  report: string,
  range: ReportRange,
  header: readonly string[],
  rows: Iterable<readonly CsvValue[]>,
): FastifyReply {
  const first = localDate(range.fromMs, range.tz)
  const last = localDate(range.toMs - 1, range.tz)
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="traffoflex-${report}-${first}_${last}.csv"`)
    .send(csvStream(header, rows))
}

const metricCells = (m: ReportMetrics): CsvValue[] => METRIC_COLUMNS.map((c) => m[c])

/**
 * The analytics routes as a Fastify plugin. Validation failures answer 400
 * `validation_failed` naming the fields (`from`, `to`, `tz`, `by`, `limit`, `interval`,
 * a filter, or an unknown parameter).
 */
export function analyticsRoutes(deps: AnalyticsRoutesDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    const networksFor = async (workspaceId: string, used: boolean) =>
      used && deps.destinationNetworks ? await deps.destinationNetworks(workspaceId) : undefined

    app.get(
      '/reports/overview',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary:
            'Totals of the workspace in a date range: clicks, conversions, revenue, cost, profit, CR, ROI, EPC',
          querystring: overviewQuerySchema,
          response: { 200: overviewOut },
        },
      },
      async (request, reply) => {
        const q = parseOverviewQuery(request.query, clock.now())
        const ws = request.auth.workspaceId
        const networks = await networksFor(ws, q.filters.network !== undefined)
        const totals = await overview(deps.handle, ws, q.range, {
          filters: q.filters,
          attribution: q.attribution,
          networks,
        })
        if (wantsCsv(q.format, request)) {
          const r = rangeJson(q.range)
          return sendCsv(
            reply,
            'overview',
            q.range,
            ['from', 'to', 'tz', ...METRIC_COLUMNS, 'trafficback', 'currencies'],
            [[r.from, r.to, r.tz, ...metricCells(totals), totals.trafficback, totals.currencies.join(' ')]],
          )
        }
        return { range: rangeJson(q.range), ...totals }
      },
    )

    app.get(
      '/reports/series',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary: 'Figures per local day or hour (zero-filled) of the workspace in a date range',
          querystring: seriesQuerySchema,
          response: { 200: seriesOut },
        },
      },
      async (request, reply) => {
        const q = parseSeriesQuery(request.query, clock.now())
        const ws = request.auth.workspaceId
        const networks = await networksFor(ws, q.filters.network !== undefined)
        const buckets = await series(deps.handle, ws, q.interval, q.range, {
          filters: q.filters,
          attribution: q.attribution,
          networks,
        })
        if (wantsCsv(q.format, request)) {
          return sendCsv(
            reply,
            `series-${q.interval}`,
            q.range,
            ['start', 'local', ...METRIC_COLUMNS],
            buckets.map((b) => [b.start, b.local, ...metricCells(b)]),
          )
        }
        return { range: rangeJson(q.range), interval: q.interval, buckets }
      },
    )

    app.get(
      '/reports/breakdown',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary:
            'Figures grouped by one or more dimensions (campaign, country, sub1, hour, …); drill down by filtering by the parent rows',
          querystring: breakdownQuerySchema,
          response: { 200: breakdownOut },
        },
      },
      async (request, reply) => {
        const q = parseBreakdownQuery(request.query, clock.now())
        const ws = request.auth.workspaceId
        const networks = await networksFor(ws, q.by.includes('network') || q.filters.network !== undefined)
        const rows = await breakdown(deps.handle, ws, q.by, q.range, {
          filters: q.filters,
          attribution: q.attribution,
          networks,
          limit: q.limit,
        })
        if (wantsCsv(q.format, request)) {
          const tb = q.by.length === 1 && q.by[0] === 'campaign'
          // Id dimensions: the name under the dimension's column, the id in `<dim>_id`.
          const names = await Promise.all(
            q.by.map((d, i) =>
              ID_DIMENSIONS.has(d) && deps.entityNames
                ? deps.entityNames(
                    ws,
                    d,
                    rows.map((r) => r.keys[i]!),
                  )
                : undefined,
            ),
          )
          const header = q.by.flatMap((d, i) => (names[i] ? [d, `${d}_id`] : [d]))
          const lp = rows[0]?.lp_clicks !== undefined
          return sendCsv(
            reply,
            `breakdown-${q.by.join('-')}`,
            q.range,
            [
              ...header,
              ...METRIC_COLUMNS,
              ...(tb ? ['trafficback'] : []),
              ...(lp ? ['lander_visits', 'lp_clicks', 'lp_ctr'] : []),
            ],
            rows.map((r) => [
              ...r.keys.flatMap((k, i) => {
                const n = names[i]
                return n ? [k === '' ? '' : (n[k] ?? k), k] : [k]
              }),
              ...metricCells(r),
              ...(tb ? [r.trafficback] : []),
              ...(lp ? [r.lander_visits, r.lp_clicks, r.lp_ctr] : []),
            ]),
          )
        }
        return { range: rangeJson(q.range), by: q.by, rows }
      },
    )

    app.get(
      '/reports/trafficback',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary: 'Trafficback requests by reason and target (top 1000)',
          querystring: trafficbackQuerySchema,
          response: { 200: trafficbackOut },
        },
      },
      async (request, reply) => {
        const q = parseTrafficbackQuery(request.query, clock.now())
        const rows = await trafficbackReport(deps.handle, request.auth.workspaceId, q.range, q.filters)
        if (wantsCsv(q.format, request)) {
          return sendCsv(
            reply,
            'trafficback',
            q.range,
            ['reason', 'target_type', 'target', 'requests', 'bots', 'campaigns'],
            rows.map((r) => [r.reason, r.target_type, r.target, r.requests, r.bots, r.campaigns]),
          )
        }
        return { range: rangeJson(q.range), rows }
      },
    )

    app.get(
      '/ingestion/status',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['ingestion'],
          summary:
            "Admins only: this process's click pipeline counters and the recent ingestion errors of all nodes",
          description:
            "Platform-wide (every workspace's clicks, every node), so 403 for non-admin users: the " +
            'pipeline is shared infrastructure whose counters cannot be split by workspace.',
          querystring: ingestionStatusQuerySchema,
          response: { 200: statusOut, 403: errorBody },
        },
      },
      async (request) => {
        if (request.auth.role !== 'admin') throw forbidden('ingestion status is platform-wide: admins only')
        const pipeline = deps.pipeline.stats()
        try {
          const rows = await recentIngestionErrors(deps.handle, { limit: request.query.limit })
          return { pipeline, recent_errors: rows }
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
