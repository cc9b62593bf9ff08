/**
 * Results of visitor projects under `/api/v1` (workspace-scoped: another workspace's
 * project is a 404, checked in PostgreSQL before anything else). README "Results and live
 * pulse" (the shapes).
 *
 * - `GET /projects/:id/stats` — the engine's counters of the project's runs in this process
 *   (`engine.stats(projectId)`): the running one (`run`) and the runs since the process
 *   started (`runs`, oldest first; the engine keeps a project's last 20 finished runs, older
 *   ones are in `visitor_runs` and the report), plus the workspace's visit credits;
 * - `GET /projects/:id/report?from&to&tz` — from ClickHouse `visits` (injected `report`,
 *   the analytics module's `visitReport`): totals, success rate, credits spent, latency
 *   percentiles, errors by kind, by hour, country and device.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { errorBody, idParams } from '../../platform/http/schemas.ts'
import {
  type ReportRange,
  parseVisitReportQuery,
  type VisitReport,
  visitReportQuerySchema,
} from '../analytics/index.ts'
import { type LedgerRepository, ledgerAccounts } from '../billing/index.ts'
import type { RunStats, VisitorEngine } from './visitors.engine.ts'
import { getProject } from './visitors.projects.repository.ts'

/** Dependencies of {@link visitorRunRoutes}. */
export interface VisitorRunRoutesDeps {
  engine: Pick<VisitorEngine, 'stats'>
  ledger: Pick<LedgerRepository, 'balance'>
  db: Db
  /** Resolves the report range's "today" (default the system clock). */
  clock?: Clock
  /**
   * The project's report over a resolved range (the analytics module's `visitReport` bound to
   * the ClickHouse handle). Without it `GET /projects/:id/report` is not mounted.
   */
  report?: (workspaceId: string, projectId: string, range: ReportRange) => Promise<VisitReport>
}

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody }
const tags = ['visitors']
const n = z.number()
const quantiles = z.object({ p50: n, p95: n, p99: n, max: n })

/** One run's counters (`RunStatsJson` of the contract). */
export const runStatsOut = z.object({
  run_id: z.string(),
  started_at: z.string().describe('ISO 8601 UTC'),
  stopped_at: z.string().nullable(),
  stop_reason: z.string().nullable().describe('why the run ended (credits_exhausted, daily_limit, …)'),
  target_per_minute: n,
  achieved_per_second: n.describe('visits launched per second since the run started'),
  started: n,
  answered: n,
  charged: n,
  dropped: n.describe('scheduled starts that found no slot or no credit (never launched later)'),
  errors: z.record(z.string(), n).describe('visits by error kind'),
  statuses: z.record(z.string(), n).describe('answered visits by status class: 2xx, 3xx, 4xx, 5xx'),
  desktop: n,
  mobile: n,
  latency_ms: quantiles.describe('ms from the scheduled start to the response headers'),
})

const statsOut = z.object({
  running: z.boolean(),
  run: runStatsOut.nullable().describe('the running run, null when none'),
  runs: z
    .array(runStatsOut)
    .describe(
      'runs of this process, oldest first (the running one last); at most the last 20 finished runs of the project',
    ),
  credits: z.object({
    available: n.describe("the workspace's visit credits that can be reserved"),
    reserved: n.describe('visit credits held by running projects'),
  }),
})

const nullableNumber = n.nullable()
const reportOut = z.object({
  totals: z.object({ visits: n, ok: n, failed: n, success_rate: n, credits: n }),
  latency_ms: z.object({ p50: nullableNumber, p95: nullableNumber, p99: nullableNumber }),
  errors: z.array(z.object({ kind: z.string(), visits: n })),
  by_hour: z.array(z.object({ ts: z.string(), visits: n, failed: n })),
  by_country: z.array(z.object({ country: z.string().nullable(), visits: n })),
  by_device: z.array(z.object({ device: z.string(), visits: n })),
})

/** The JSON of one run (pure). */
export function runStatsJson(s: RunStats): z.infer<typeof runStatsOut> {
  const errors: Record<string, number> = {}
  for (const [k, v] of Object.entries(s.errors)) if (v) errors[k] = v
  return {
    run_id: s.runId,
    started_at: s.startedAt.toISOString(),
    stopped_at: s.stoppedAt ? s.stoppedAt.toISOString() : null,
    stop_reason: s.stopReason,
    target_per_minute: s.perMinuteTarget,
    achieved_per_second: s.achievedPerSecond,
    started: s.started,
    answered: s.answered,
    charged: s.charged,
    dropped: s.dropped,
    errors,
    statuses: { ...s.statuses },
    desktop: s.desktop,
    mobile: s.mobile,
    latency_ms: { ...s.latencyMs },
  }
}

/**
 * The results routes (see file comment). Register under `/api/v1` through
 * `createAdminApi({ plugins: [{ plugin: visitorRunRoutes(deps) }] })`.
 */
export function visitorRunRoutes(deps: VisitorRunRoutesDeps): FastifyPluginAsyncZod {
  const clock = deps.clock ?? systemClock
  return async (app) => {
    app.get(
      '/projects/:id/stats',
      {
        config: { scope: 'read' },
        schema: {
          tags,
          summary:
            "The project's runs in this process (counters, latency from the scheduled start) and the workspace's visit credits",
          params: idParams,
          response: { 200: statsOut, ...err },
        },
      },
      async (req) => {
        const ws = req.auth.workspaceId
        const p = await getProject(deps.db, ws, req.params.id)
        const runs = deps.engine.stats(p.id).map(runStatsJson)
        const current = runs.findLast((r) => r.stopped_at === null) ?? null
        const [available, reserved] = await Promise.all([
          deps.ledger.balance(ledgerAccounts.visitsAvailable(ws)),
          deps.ledger.balance(ledgerAccounts.visitsReserved(ws)),
        ])
        return {
          running: current !== null,
          run: current,
          runs,
          credits: { available: Number(available), reserved: Number(reserved) },
        }
      },
    )

    const report = deps.report
    if (report)
      app.get(
        '/projects/:id/report',
        {
          config: { scope: 'read' },
          schema: {
            tags,
            summary:
              "The project's visits in a date range (ClickHouse): totals, success rate, credits spent, latency p50/p95/p99, errors by kind, by hour, country and device",
            params: idParams,
            querystring: visitReportQuerySchema,
            response: { 200: reportOut, ...err },
          },
        },
        async (req) => {
          const ws = req.auth.workspaceId
          // Ownership first (PostgreSQL): another workspace's project is a 404 before any query.
          const p = await getProject(deps.db, ws, req.params.id)
          const { range } = parseVisitReportQuery(req.query, clock.now())
          return report(ws, p.id, range)
        },
      )
  }
}
