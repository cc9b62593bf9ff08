/**
 * `GET /api/v1/{campaigns|offers|destinations|landers|sources|networks}/stats?from&to&tz` —
 * the figures of every row of a list page in a date range (default: today in `tz`, default
 * UTC): clicks, unique clicks, conversions, revenue, cost, profit, ROI, CR, EPC and the
 * currency; landers also lander visits, LP clicks and LP CTR. One breakdown query of the
 * analytics module (grouped by campaign / destination / lander / source / network;
 * conversions counted at their own time), joined to the workspace's rows by the
 * pure `statsRows`. Mounted by the composition root (it needs ClickHouse), behind the auth
 * hook; scoped to `request.auth.workspaceId`.
 */
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { type Clock, systemClock } from '../../../platform/clock.ts'
import type { Db } from '../../../platform/db/client.ts'
import { errorBody } from '../../../platform/http/schemas.ts'
import { breakdown, parseRangeQuery, rangeQuerySchema } from '../../analytics/index.ts'
import type { ListKind } from '../routing.schema.ts'
import { statsRows } from './lists.core.ts'
import { offerNetworks, statsEntities } from './lists.repository.ts'

/** Dependencies of {@link listStatsRoutes}. */
export interface ListStatsDeps {
  db: Db
  handle: ClickHouseHandle
  /** "Today" of the default range; default system clock. */
  clock?: Clock
}

/** Path prefix → list, and the report dimension its rows are keyed by. */
const STATS: [string, ListKind, 'campaign' | 'destination' | 'lander' | 'source' | 'network'][] = [
  ['/campaigns', 'campaigns', 'campaign'],
  ['/offers', 'offers', 'destination'],
  ['/destinations', 'offers', 'destination'],
  ['/landers', 'landers', 'lander'],
  ['/sources', 'sources', 'source'],
  ['/networks', 'networks', 'network'],
]

const statsOut = z.object({
  range: z.object({
    from: z.string().describe('inclusive start, ISO UTC'),
    to: z.string().describe('exclusive end, ISO UTC'),
    tz: z.string(),
  }),
  items: z.array(
    z.object({
      id: z.uuid(),
      clicks: z.number(),
      unique_clicks: z.number(),
      conversions: z.number(),
      revenue: z.number().describe('currency units (≤ 6 decimals)'),
      cost: z.number().describe('currency units (≤ 6 decimals)'),
      profit: z.number().describe('revenue − cost, currency units'),
      roi: z.number().nullable().describe('profit / cost × 100 (percent); null when cost is 0'),
      cr: z.number().nullable().describe('conversions / clicks × 100 (percent); null without clicks'),
      epc: z.number().nullable().describe('revenue / clicks, currency units; null without clicks'),
      currency: z
        .string()
        .nullable()
        .describe(
          "the row's currency (a network: its offers' one currency; a lander: the one currency of the campaigns showing it; null when several)",
        ),
      lander_visits: z.number().optional().describe('landers only: clicks sent to the lander'),
      lp_clicks: z.number().optional().describe("landers only: unique clicks on the lander's call to action"),
      lp_ctr: z
        .number()
        .nullable()
        .optional()
        .describe('landers only: lp_clicks / lander_visits × 100 (percent); null without visits'),
    }),
  ),
})

/**
 * The stats routes as a Fastify plugin (register under `/api/v1` after the auth hook).
 * Every row of the workspace is listed (zeros without traffic), archived ones included, in
 * list order (oldest first). 400 `validation_failed` names a bad `from`, `to` or `tz`.
 */
export function listStatsRoutes(deps: ListStatsDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  return async (app) => {
    for (const [path, kind, dim] of STATS) {
      app.get(
        `${path}/stats`,
        {
          config: { scope: 'read' },
          schema: {
            tags: [path.slice(1)],
            summary: 'Figures of every row in a date range (default today)',
            querystring: rangeQuerySchema,
            response: { 200: statsOut, 400: errorBody, 401: errorBody },
          },
        },
        async (req) => {
          const { range } = parseRangeQuery(req.query, clock.now())
          const ws = req.auth.workspaceId
          const networks =
            dim === 'network'
              ? await offerNetworks(deps.db, ws).then((o) => ({
                  destinationIds: o.map((x) => x.id),
                  networkIds: o.map((x) => x.networkId),
                }))
              : undefined
          const [entities, report] = await Promise.all([
            statsEntities(deps.db, kind, ws),
            breakdown(deps.handle, ws, dim, range, { networks, limit: 10_000, landers: dim === 'lander' }),
          ])
          return {
            range: {
              from: new Date(range.fromMs).toISOString(),
              to: new Date(range.toMs).toISOString(),
              tz: range.tz,
            },
            items: statsRows(entities, report, { landers: dim === 'lander' }),
          }
        },
      )
    }
  }
}
