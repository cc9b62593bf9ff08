/**
 * Report of one visitor project over a resolved range, from `visits` (migration 006):
 * totals, latency percentiles, errors by kind, visits per hour, per country and per device.
 *
 * Definitions (README "Visits"):
 * - `ok`: answered with a status below 400 and no later error; `failed` = visits − ok;
 *   `success_rate` = ok / visits (0 when no visits).
 * - `errors`: one kind per failed visit — its error kind when it has one (`dns`, `connect`,
 *   `tls`, `timeout`, `reset`, `blocked`, `redirects`, `other`), else `http_4xx`/`http_5xx`
 *   by its status — so the kinds add up to `failed`.
 * - `credits`: charged visits (one visit credit each: the engine commits exactly one credit
 *   of its hold per answered visit, so this equals the ledger's hold commits of the project
 *   in the range, up to rows still in the pipeline's spool).
 * - `latency_ms`: exact quantiles over answered visits, ms from the scheduled start to the
 *   response headers; null when none was answered.
 * - `by_hour`: every local whole hour of `range.tz` from the one holding `range.fromMs` to the
 *   last one starting before `range.toMs`, zero-filled (hours without visits show 0), `ts`
 *   the hour's start as an ISO instant (UTC); {@link fillHours}.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import { type ReportRange, seriesBuckets } from '../range.ts'

/** The answer of {@link visitReport} (shape of `GET /projects/:id/report`). */
export interface VisitReport {
  totals: { visits: number; ok: number; failed: number; success_rate: number; credits: number }
  latency_ms: { p50: number | null; p95: number | null; p99: number | null }
  errors: { kind: string; visits: number }[]
  by_hour: { ts: string; visits: number; failed: number }[]
  /** `country` null when no egress country was recorded (any). */
  by_country: { country: string | null; visits: number }[]
  by_device: { device: string; visits: number }[]
}

/**
 * The hours of `range` (its zone's whole hours, `seriesBuckets`), each with the counts of
 * `rows` (`h` = the hour's start, unix seconds, as ClickHouse's `toStartOfHour(ts, tz)`) or
 * zeros; a row whose hour the generator did not list (a zone with a 30-minute DST shift) is
 * merged in, so no counted visit is lost. Oldest first. Pure.
 */
export function fillHours(
  range: ReportRange,
  rows: readonly { h: number; visits: number; failed: number }[],
): VisitReport['by_hour'] {
  const byStart = new Map<number, { visits: number; failed: number }>()
  for (const r of rows) byStart.set(r.h * 1000, { visits: r.visits, failed: r.failed })
  const starts = new Set(seriesBuckets(range, 'hour').map((b) => b.startMs))
  for (const ms of byStart.keys()) starts.add(ms)
  return [...starts]
    .sort((a, b) => a - b)
    .map((ms) => ({ ts: new Date(ms).toISOString(), ...(byStart.get(ms) ?? { visits: 0, failed: 0 }) }))
}

const FAILED = `(answered = 0 OR status >= 400 OR error != '')`
const KIND = `if(error != '', error, concat('http_', toString(intDiv(status, 100)), 'xx'))`

/**
 * The report of `projectId` (of `workspaceId`) over `[range.fromMs, range.toMs)` by the
 * visits' scheduled start. The caller checks that the project belongs to the workspace.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function visitReport(
  handle: ClickHouseHandle,
  workspaceId: string,
  projectId: string,
  range: ReportRange,
): Promise<VisitReport> {
  const db = assertIdentifier(handle.database)
  const where = `workspace_id = {ws:String} AND project_id = {project:String}
    AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}`
  const params = {
    ws: workspaceId,
    project: projectId,
    from: chDateTime(range.fromMs),
    to: chDateTime(range.toMs),
    tz: range.tz,
  }
  const q = async <T>(query: string) =>
    (await handle.client.query({ query, format: 'JSONEachRow', query_params: params })).json<T>()
  const n = (v: unknown) => Number(v ?? 0)
  const [totals, errors, hours, countries, devices] = await Promise.all([
    q<Record<string, unknown>>(
      `SELECT count() AS visits, countIf(${FAILED}) AS failed, sum(charged) AS credits,
         countIf(answered = 1) AS n_answered,
         quantilesExactIf(0.5, 0.95, 0.99)(latency_ms, answered = 1) AS q
       FROM ${db}.visits WHERE ${where}`,
    ),
    q<{ kind: string; visits: string }>(
      `SELECT ${KIND} AS kind, count() AS visits FROM ${db}.visits
       WHERE ${where} AND ${FAILED} GROUP BY kind ORDER BY visits DESC, kind`,
    ),
    q<{ h: string; visits: string; failed: string }>(
      `SELECT toUnixTimestamp(toStartOfHour(ts, {tz:String})) AS h, count() AS visits,
         countIf(${FAILED}) AS failed
       FROM ${db}.visits WHERE ${where} GROUP BY h ORDER BY h`,
    ),
    q<{ country: string; visits: string }>(
      `SELECT country, count() AS visits FROM ${db}.visits WHERE ${where}
       GROUP BY country ORDER BY visits DESC, country`,
    ),
    q<{ device: string; visits: string }>(
      `SELECT device, count() AS visits FROM ${db}.visits WHERE ${where}
       GROUP BY device ORDER BY visits DESC, device`,
    ),
  ])
  const t = totals[0] ?? {}
  const visits = n(t.visits)
  const failed = n(t.failed)
  const answered = n(t.n_answered)
  const quant = (Array.isArray(t.q) ? t.q : []) as unknown[]
  const lat = (i: number) => (answered > 0 ? n(quant[i]) : null)
  return {
    totals: {
      visits,
      ok: visits - failed,
      failed,
      success_rate: visits > 0 ? (visits - failed) / visits : 0,
      credits: n(t.credits),
    },
    latency_ms: { p50: lat(0), p95: lat(1), p99: lat(2) },
    errors: errors.map((e) => ({ kind: e.kind, visits: n(e.visits) })),
    by_hour: fillHours(
      range,
      hours.map((h) => ({ h: n(h.h), visits: n(h.visits), failed: n(h.failed) })),
    ),
    by_country: countries.map((c) => ({ country: c.country || null, visits: n(c.visits) })),
    by_device: devices.map((d) => ({ device: d.device, visits: n(d.visits) })),
  }
}
