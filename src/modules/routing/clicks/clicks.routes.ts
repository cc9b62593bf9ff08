/**
 * The click log (mounted under `/api/v1` behind the auth hook; every query is scoped to
 * `request.auth.workspaceId`):
 *
 * - `GET /clicks` — search the workspace's clicks in ClickHouse (filters and range rules in
 *   `clicks.schema.ts`), newest first, keyset-paged (`next_cursor`), names joined in;
 * - `GET /clicks.csv` — the same search as a streamed CSV (names and ids, at most
 *   `CLICK_CSV_MAX_ROWS` rows);
 * - `GET /clicks/:clickId` — one click with every stored column, its lander clicks (when
 *   the store has `lander_clicks`), and the route decision: the recorded stream and offer,
 *   and the click's context replayed through the current configuration with the trace
 *   route preview shows (`replay.ts`), saying when the replay picks differently.
 *   404 for an unknown click ID or another workspace's click.
 *
 * Conversions of a click: `GET /conversions?click_id=` (conversions module).
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  CLICK_CSV_MAX_ROWS,
  CLICK_VALUE_FILTERS,
  type ClickLogRow,
  clickDetail,
  csvLine,
  type CsvValue,
  iterateClicks,
  landerClicksOf,
  localDate,
  searchClicks,
} from '../../analytics/index.ts'
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import type { Db } from '../../../platform/db/client.ts'
import { errorBody } from '../../../platform/http/schemas.ts'
import { notFound } from '../../../platform/errors.ts'
import { clickIdTime } from '../core/click-id.ts'
import type { RoutingRuntime } from '../hotpath/runtime.ts'
import { snakeTrace } from '../preview/preview.routes.ts'
import { listStreams } from '../repository/streams.repository.ts'
import { clickCsvQuery, clickSearchQuery, encodeCursor, parseClickLogQuery } from './clicks.schema.ts'
import { loadNames, type NameMaps, type NamedKind } from './names.repository.ts'
import { replayClick } from './replay.ts'

/** Dependencies of {@link clickLogRoutes}. */
export interface ClickLogRoutesDeps {
  db: Db
  handle: ClickHouseHandle
  /** The routing runtime: its snapshot and state for the replay, its clock for "now". */
  runtime: Pick<RoutingRuntime, 'snapshots' | 'state' | 'clock'>
}

const SUBS = CLICK_VALUE_FILTERS.filter((k) => k !== 'external_id')
const UTMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const

const clickItem = z.object({
  click_id: z.string(),
  ts: z.string().describe('ISO 8601, UTC'),
  campaign_id: z.string(),
  campaign_name: z.string().nullable(),
  stream_id: z.string(),
  stream_name: z.string().nullable(),
  destination_id: z.string().describe("the offer; '' when the click went to a lander"),
  destination_name: z.string().nullable(),
  lander_id: z.string().describe("'' when the click went straight to the offer"),
  lander_name: z.string().nullable(),
  source_id: z.string(),
  source_name: z.string().nullable(),
  ip: z.string(),
  country: z.string(),
  language: z.string(),
  device: z.string(),
  os: z.string(),
  browser: z.string(),
  is_unique: z.boolean(),
  is_bot: z.boolean(),
  cost_micros: z.number().describe('micros of currency'),
  currency: z.string(),
  external_id: z.string(),
  subs: z.record(z.string(), z.string()).describe('sub1..sub10'),
  utm: z.record(z.string(), z.string()).describe('utm_source..utm_content'),
  source: z.string().describe('the `source` parameter of the campaign link'),
})
type ClickItem = z.output<typeof clickItem>

const listOut = z.object({
  range: z.object({ from: z.string(), to: z.string(), tz: z.string() }),
  items: z.array(clickItem),
  next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last'),
})

const detailOut = z.object({
  click: clickItem.extend({
    user_agent: z.string(),
    referrer: z.string(),
    destination_url: z.string().describe('where the click was sent (offer or lander URL)'),
    user_key: z.string(),
    columns: z.record(z.string(), z.union([z.string(), z.number()])).describe('every stored column'),
  }),
  lander_clicks: z
    .array(
      z.object({
        ts: z.string(),
        lander_id: z.string(),
        lander_name: z.string().nullable(),
        destination_id: z.string(),
        destination_name: z.string().nullable(),
        is_unique: z.boolean(),
        destination_url: z.string(),
      }),
    )
    .nullable()
    .describe('null when this version records no lander clicks'),
  route: z.object({
    recorded: z.object({
      stream_id: z.string(),
      stream_name: z.string().nullable(),
      destination_id: z
        .string()
        .describe("the offer; for a click sent to a lander, the offer its CTA click led to ('' before one)"),
      destination_name: z.string().nullable(),
      lander_id: z.string(),
      lander_name: z.string().nullable(),
      url: z.string(),
    }),
    replay: z
      .object({
        time: z.string().describe('the click time: schedules are read as then'),
        outcome: z.enum(['redirect', 'trafficback']),
        stream_id: z.string().nullable(),
        destination_id: z.string().nullable().describe("'' when the replay sends the visitor to a lander"),
        lander_id: z.string().nullable().describe('the lander the replay picks, when the stream has landers'),
        url: z.string().nullable(),
        trafficback: z.object({ reason: z.string(), target: z.unknown() }).nullable(),
        trace: z
          .unknown()
          .describe('the route preview trace: streams (matched / failed, offers kept / dropped), picked'),
      })
      .nullable()
      .describe('null when the campaign is no longer configured'),
    same: z.boolean().nullable().describe('the replay picked the recorded stream and offer'),
    differs: z.string().nullable().describe('why the replay differs (or cannot run), in words'),
    notes: z.array(z.string()),
  }),
})

const iso = (ms: number) => new Date(ms).toISOString()
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v))

function idsOf(rows: readonly ClickLogRow[]): Record<NamedKind, string[]> {
  return {
    campaign: rows.map((r) => str(r.campaign_id)),
    stream: rows.map((r) => str(r.stream_id)),
    destination: rows.map((r) => str(r.destination_id)),
    lander: rows.map((r) => str(r.lander_id)),
    source: rows.map((r) => str(r.source_id)),
  }
}

function itemJson(r: ClickLogRow, n: NameMaps): ClickItem {
  const name = (k: NamedKind, id: string) => (id ? (n[k].get(id) ?? null) : null)
  const id = (k: string) => str(r[k])
  return {
    click_id: r.click_id,
    ts: iso(r.tsMs),
    campaign_id: id('campaign_id'),
    campaign_name: name('campaign', id('campaign_id')),
    stream_id: id('stream_id'),
    stream_name: name('stream', id('stream_id')),
    destination_id: id('destination_id'),
    destination_name: name('destination', id('destination_id')),
    lander_id: id('lander_id'),
    lander_name: name('lander', id('lander_id')),
    source_id: id('source_id'),
    source_name: name('source', id('source_id')),
    ip: id('ip'),
    country: id('country'),
    language: id('language'),
    device: id('device'),
    os: id('os'),
    browser: id('browser'),
    is_unique: Number(r.is_unique) === 1,
    is_bot: Number(r.is_bot) === 1,
    cost_micros: Number(r.cost_micros) || 0,
    currency: id('currency'),
    external_id: id('external_id'),
    subs: Object.fromEntries(SUBS.map((k) => [k, id(k)])),
    utm: Object.fromEntries(UTMS.map((k) => [k, id(k)])),
    source: id('source'),
  }
}

/** CSV header of the click log export. */
export const CLICK_CSV_HEADER = [
  'time',
  'click_id',
  'campaign',
  'campaign_id',
  'stream',
  'stream_id',
  'lander',
  'lander_id',
  'offer',
  'offer_id',
  'traffic_source',
  'traffic_source_id',
  'ip',
  'country',
  'language',
  'device',
  'os',
  'browser',
  'unique',
  'bot',
  'cost',
  'currency',
  'external_id',
  ...SUBS,
  ...UTMS,
  'source',
] as const

function csvRow(c: ClickItem): CsvValue[] {
  return [
    c.ts,
    c.click_id,
    c.campaign_name ?? '',
    c.campaign_id,
    c.stream_name ?? '',
    c.stream_id,
    c.lander_name ?? '',
    c.lander_id,
    c.destination_name ?? '',
    c.destination_id,
    c.source_name ?? '',
    c.source_id,
    c.ip,
    c.country,
    c.language,
    c.device,
    c.os,
    c.browser,
    c.is_unique ? 1 : 0,
    c.is_bot ? 1 : 0,
    c.cost_micros / 1_000_000,
    c.currency,
    c.external_id,
    ...SUBS.map((k) => c.subs[k] ?? ''),
    ...UTMS.map((k) => c.utm[k] ?? ''),
    c.source,
  ]
}

/** The click log routes (see the file comment). */
export function clickLogRoutes(deps: ClickLogRoutesDeps): FastifyPluginAsync {
  const { db, handle, runtime } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/clicks',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['clicks'],
          summary: 'Search clicks (click ID, IP, campaign, country, sub IDs, time range), newest first',
          querystring: clickSearchQuery,
          response: { 200: listOut, 400: errorBody },
        },
      },
      async (request) => {
        const q = parseClickLogQuery(request.query, runtime.clock.now())
        const ws = request.auth.workspaceId
        const page = await searchClicks(handle, ws, q.range, q.filters, { limit: q.limit, cursor: q.cursor })
        const names = await loadNames(db, ws, idsOf(page.rows))
        return {
          range: { from: iso(q.range.fromMs), to: iso(q.range.toMs), tz: q.range.tz },
          items: page.rows.map((r) => itemJson(r, names)),
          next_cursor: page.next ? encodeCursor(page.next) : null,
        }
      },
    )

    app.get(
      '/clicks.csv',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['clicks'],
          summary: `The click search as CSV (names and ids, newest first, at most ${CLICK_CSV_MAX_ROWS} rows)`,
          querystring: clickCsvQuery,
          response: { 400: errorBody },
        },
      },
      async (request, reply: FastifyReply) => {
        const q = parseClickLogQuery(request.query, runtime.clock.now(), { csv: true })
        const ws = request.auth.workspaceId
        const pages = iterateClicks(handle, ws, q.range, q.filters)
        async function* lines(): AsyncGenerator<string> {
          yield csvLine(CLICK_CSV_HEADER)
          let known: NameMaps | undefined
          for await (const rows of pages) {
            known = await loadNames(db, ws, idsOf(rows), known)
            let chunk = ''
            for (const r of rows) chunk += csvLine(csvRow(itemJson(r, known)))
            yield chunk
          }
        }
        const first = localDate(q.range.fromMs, q.range.tz)
        const last = localDate(q.range.toMs - 1, q.range.tz)
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="traffoflex-clicks-${first}_${last}.csv"`)
          .send(Readable.from(lines(), { objectMode: false }))
      },
    )

    app.get(
      '/clicks/:clickId',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['clicks'],
          summary: 'One click: every stored column, its lander clicks, and the route decision replayed',
          params: z.object({ clickId: z.string().min(1).max(64) }),
          response: { 200: detailOut, 404: errorBody },
        },
      },
      async (request) => {
        const ws = request.auth.workspaceId
        const { clickId } = request.params
        const at = clickIdTime(clickId)
        if (at === undefined) throw notFound('click')
        const row = await clickDetail(handle, ws, clickId, at)
        if (!row) throw notFound('click')
        const landerRows = await landerClicksOf(handle, ws, clickId, row.tsMs)
        const names = await loadNames(db, ws, {
          ...idsOf([row]),
          lander: [str(row.lander_id), ...(landerRows ?? []).map((l) => str(l.lander_id))],
          destination: [str(row.destination_id), ...(landerRows ?? []).map((l) => str(l.destination_id))],
        })
        const item = itemJson(row, names)
        const ctaOffer = str(
          (landerRows ?? []).find((l) => str(l.destination_id) !== '')?.destination_id ?? '',
        )
        const columns: Record<string, string | number> = { ts: item.ts }
        for (const [k, v] of Object.entries(row)) if (k !== 'tsMs') columns[k] = v

        await runtime.snapshots.refresh()
        const campaignStreams = item.campaign_id
          ? ((
              await listStreams(db, ws, { campaignId: item.campaign_id, limit: 500, offset: 0 }).catch(
                () => null,
              )
            )?.items ?? [])
          : []
        const replay = replayClick(runtime.snapshots.current(), ws, row, runtime.state, campaignStreams)
        return {
          click: {
            ...item,
            user_agent: str(row.user_agent),
            referrer: str(row.referrer),
            destination_url: str(row.destination_url),
            user_key: str(row.user_key),
            columns,
          },
          lander_clicks:
            landerRows === null
              ? null
              : landerRows.map((l) => ({
                  ts: iso(l.tsMs),
                  lander_id: str(l.lander_id),
                  lander_name: names.lander.get(str(l.lander_id)) ?? null,
                  destination_id: str(l.destination_id),
                  destination_name: names.destination.get(str(l.destination_id)) ?? null,
                  is_unique: Number(l.is_unique) === 1,
                  destination_url: str(l.destination_url),
                })),
          route: {
            recorded: {
              stream_id: item.stream_id,
              stream_name: item.stream_name,
              // A click sent to a lander records no offer: the offer is the one its first
              // call-to-action click was sent to (none until the visitor clicks through).
              destination_id: item.destination_id || ctaOffer,
              destination_name: item.destination_id
                ? item.destination_name
                : (names.destination.get(ctaOffer) ?? null),
              lander_id: item.lander_id,
              lander_name: item.lander_name,
              url: str(row.destination_url),
            },
            replay:
              replay.kind === 'unavailable'
                ? null
                : {
                    time: item.ts,
                    outcome: replay.decision.kind,
                    stream_id: replay.decision.kind === 'redirect' ? replay.decision.streamId : null,
                    destination_id:
                      replay.decision.kind === 'redirect' ? replay.decision.destinationId : null,
                    lander_id:
                      replay.decision.kind === 'redirect'
                        ? ((replay.decision as { landerId?: string }).landerId ?? null)
                        : null,
                    url: replay.decision.kind === 'redirect' ? replay.decision.url : null,
                    trafficback:
                      replay.decision.kind === 'trafficback'
                        ? { reason: replay.decision.reason, target: replay.decision.target }
                        : null,
                    trace: snakeTrace(replay.decision.trace),
                  },
            same: replay.kind === 'replayed' ? replay.verdict.same : null,
            differs: replay.kind === 'replayed' ? replay.verdict.differs : replay.reason,
            notes: replay.kind === 'replayed' ? replay.notes : [],
          },
        }
      },
    )
  }
}
