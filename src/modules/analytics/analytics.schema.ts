/**
 * Validation of report queries (zod). The schemas are used twice: as Fastify route
 * `querystring` schemas (field checks, OpenAPI) and by `parse*Query`, which also applies
 * the cross-field rules (from ≤ to, span ≤ 400 days, hourly series ≤ 93 days) and the
 * "today in tz" defaults, throwing an {@link AppError} 400 that names every bad field.
 *
 * Query strings are strict: an unknown parameter (a misspelt filter such as `campain_id`)
 * is a 400 naming it, never silently ignored. The schemas do not transform values, so
 * parsing an already-parsed query (the route validated it first) gives the same result.
 */
import { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import { canonicalTimeZone, MAX_HOURLY_DAYS, parseBound, type ReportRange, resolveRange } from './range.ts'
import {
  type Attribution,
  FILTER_PARAMS,
  REPORT_DIMENSIONS,
  type ReportDimension,
  type ReportFilters,
  type SeriesInterval,
} from './report-sql.ts'
import { BREAKDOWN_LIMIT, BREAKDOWN_MAX_LIMIT } from './queries/breakdown.ts'
import type { TrafficbackFilters } from './queries/trafficback.ts'

/**
 * Dimensions of the breakdown report (and of filters): ids (`campaign`, `stream`,
 * `destination`, `source` = traffic source, `network` = affiliate network), `country`,
 * `device`, `os`, `browser`, `sub1`…`sub10`, `utm_source`…`utm_content`.
 */
export const BREAKDOWN_DIMENSIONS = REPORT_DIMENSIONS

/** One of {@link BREAKDOWN_DIMENSIONS}. */
export type BreakdownDimension = ReportDimension

/** Report output formats. */
export const REPORT_FORMATS = ['json', 'csv'] as const
/** One of {@link REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number]

/** Most dimensions one breakdown groups by (deeper drill-downs filter by the parents instead). */
export const MAX_BREAKDOWN_DIMENSIONS = 6

/** Most values one filter takes (repeat the parameter: `country=DE&country=AT`). */
export const MAX_FILTER_VALUES = 50

const bound = z
  .string()
  .trim()
  .max(40)
  .refine((v) => parseBound(v) !== null, {
    message: 'must be a date YYYY-MM-DD or an ISO date-time such as 2024-05-01T13:00:00Z',
  })
  .describe(
    'YYYY-MM-DD (whole day in tz, inclusive) or ISO date-time (offset optional; without one, read in tz)',
  )

const timeZone = z
  .string()
  .trim()
  .default('UTC')
  .refine((v) => canonicalTimeZone(v) !== null, {
    message: 'must be an IANA time zone such as Europe/Berlin',
  })
  .describe('IANA time zone the dates are read in; default UTC')

const filterValue = z
  .union([z.string().max(200), z.array(z.string().max(200)).min(1).max(MAX_FILTER_VALUES)])
  .optional()

/** What a dimension's value is, for the filter parameters' docs (one per dimension: a new one must say). */
const dimDoc: Record<ReportDimension, string> = {
  campaign: 'campaign id',
  stream: 'stream id',
  destination: 'destination (offer) id',
  lander: 'lander id',
  source: 'traffic source id',
  network: 'affiliate network id',
  country: 'ISO country code',
  device: 'device type (desktop, mobile, tablet, …)',
  os: 'os',
  browser: 'browser',
  os_version: 'OS version (e.g. 17.4)',
  language: 'browser language (primary tag, e.g. de)',
  hour: 'hour of day in tz, 00…23',
  sub1: 'sub1',
  sub2: 'sub2',
  sub3: 'sub3',
  sub4: 'sub4',
  sub5: 'sub5',
  sub6: 'sub6',
  sub7: 'sub7',
  sub8: 'sub8',
  sub9: 'sub9',
  sub10: 'sub10',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_term: 'utm_term',
  utm_content: 'utm_content',
}

/** The filter parameters, one per dimension (see `FILTER_PARAMS`). */
const filterShape = Object.fromEntries(
  REPORT_DIMENSIONS.map((d) => [
    FILTER_PARAMS[d],
    filterValue.describe(
      `only rows whose ${dimDoc[d]} is this value (repeat for several; empty = no value recorded)`,
    ),
  ]),
) as Record<string, typeof filterValue>

const attribution = z
  .enum(['conversion', 'click'])
  .default('conversion')
  .describe('count conversions and revenue at the conversion time (default) or at the click time')

const format = z
  .enum(REPORT_FORMATS)
  .optional()
  .describe('json (default) or csv; `Accept: text/csv` also selects csv')

const baseShape = {
  from: bound.optional(),
  to: bound.optional(),
  tz: timeZone,
}

/**
 * Query string of `GET /reports/overview`: `from`, `to` (default today), `tz`,
 * `attribution`, `format` and the filters.
 */
export const overviewQuerySchema = z.strictObject({ ...baseShape, attribution, format, ...filterShape })

/** Query string of `GET /reports/series`: the overview fields plus `interval`. */
export const seriesQuerySchema = z.strictObject({
  ...baseShape,
  attribution,
  format,
  interval: z
    .enum(['day', 'hour'])
    .default('day')
    .describe(`day or hour buckets in tz (hour: at most ${MAX_HOURLY_DAYS} days)`),
  ...filterShape,
})

const byText = z
  .string()
  .trim()
  .refine(
    (v) => {
      const parts = v.split(',').map((p) => p.trim())
      return (
        parts.length >= 1 &&
        parts.length <= MAX_BREAKDOWN_DIMENSIONS &&
        new Set(parts).size === parts.length &&
        parts.every((p) => (REPORT_DIMENSIONS as readonly string[]).includes(p))
      )
    },
    {
      message: `must be 1 to ${MAX_BREAKDOWN_DIMENSIONS} different dimensions separated by commas, of: ${REPORT_DIMENSIONS.join(', ')}`,
    },
  )
  .describe(
    'dimensions to group by, separated by commas, outermost first (e.g. campaign,country or campaign,stream,destination,sub1)',
  )

/** Query string of `GET /reports/breakdown`: the overview fields plus `by` and `limit`. */
export const breakdownQuerySchema = z.strictObject({
  ...baseShape,
  attribution,
  format,
  by: byText,
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(BREAKDOWN_MAX_LIMIT)
    .default(BREAKDOWN_LIMIT)
    .describe('rows to return, clicks desc'),
  ...filterShape,
})

/** Query string of `GET /reports/trafficback`. */
export const trafficbackQuerySchema = z.strictObject({
  ...baseShape,
  format,
  campaign_id: filterShape.campaign_id!,
  country: filterShape.country!,
  device: filterShape.device!,
})

/** Query string of `GET /ingestion/status`. */
export const ingestionStatusQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('recent ingestion errors to return'),
})

function fail(issues: { path: string; message: string }[]): never {
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ')
  throw new AppError(400, 'validation_failed', `invalid querystring: ${text}`, issues)
}

function zodIssues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.flatMap((i) =>
    // An unknown parameter: name each one.
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: k, message: 'unknown parameter' }))
      : [{ path: i.path.join('.') || '(query)', message: i.message }],
  )
}

function toRange(
  q: { from?: string | undefined; to?: string | undefined; tz: string },
  now: Date,
): ReportRange {
  const tz = canonicalTimeZone(q.tz)!
  const res = resolveRange(
    {
      from: q.from === undefined ? undefined : (parseBound(q.from) ?? undefined),
      to: q.to === undefined ? undefined : (parseBound(q.to) ?? undefined),
      tz,
    },
    now,
  )
  if (!res.ok) fail(res.issues)
  return res.range
}

function toFilters(q: Record<string, unknown>): ReportFilters {
  const out: ReportFilters = {}
  for (const d of REPORT_DIMENSIONS) {
    const v = q[FILTER_PARAMS[d]] as string | string[] | undefined
    if (v !== undefined) out[d] = Array.isArray(v) ? [...new Set(v)] : [v]
  }
  return out
}

/** A validated report query. */
export interface ReportQuery {
  range: ReportRange
  filters: ReportFilters
  attribution: Attribution
  /** Undefined when the query did not say (the route then looks at `Accept`). */
  format: ReportFormat | undefined
}

/**
 * Validates an overview query and resolves its range at `now`.
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseOverviewQuery(input: unknown, now: Date): ReportQuery {
  const parsed = overviewQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  const q = parsed.data
  return { range: toRange(q, now), filters: toFilters(q), attribution: q.attribution, format: q.format }
}

/**
 * Validates a series query (`interval` day|hour; hourly spans ≤ {@link MAX_HOURLY_DAYS} days).
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseSeriesQuery(input: unknown, now: Date): ReportQuery & { interval: SeriesInterval } {
  const parsed = seriesQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  const q = parsed.data
  const range = toRange(q, now)
  if (q.interval === 'hour' && range.toMs - range.fromMs > MAX_HOURLY_DAYS * 86_400_000 + 3_600_000) {
    fail([
      { path: 'to', message: `an hourly series spans at most ${MAX_HOURLY_DAYS} days; use interval=day` },
    ])
  }
  return { range, filters: toFilters(q), attribution: q.attribution, format: q.format, interval: q.interval }
}

/**
 * Validates a breakdown query (`by` = 1 to {@link MAX_BREAKDOWN_DIMENSIONS} dimensions, `limit`) and resolves its range at `now`.
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseBreakdownQuery(
  input: unknown,
  now: Date,
): ReportQuery & { by: BreakdownDimension[]; limit: number } {
  const parsed = breakdownQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  const q = parsed.data
  return {
    range: toRange(q, now),
    filters: toFilters(q),
    attribution: q.attribution,
    format: q.format,
    by: q.by.split(',').map((p) => p.trim()) as BreakdownDimension[],
    limit: q.limit,
  }
}

/**
 * Validates a trafficback query (`campaign_id`, `country`, `device` filters).
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseTrafficbackQuery(
  input: unknown,
  now: Date,
): { range: ReportRange; filters: TrafficbackFilters; format: ReportFormat | undefined } {
  const parsed = trafficbackQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  const q = parsed.data
  const f = toFilters(q)
  const filters: TrafficbackFilters = {}
  if (f.campaign) filters.campaign = f.campaign
  if (f.country) filters.country = f.country
  if (f.device) filters.device = f.device
  return { range: toRange(q, now), filters, format: q.format }
}

/** Query string of `GET /projects/:id/report` (visitor projects): `from`, `to` (default today), `tz`. */
export const visitReportQuerySchema = z.strictObject({ ...baseShape })

/**
 * Validates a visit report query and resolves its range at `now` (the same rules as the
 * click reports: dates are whole local days in `tz`, span ≤ 400 days).
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseVisitReportQuery(input: unknown, now: Date): { range: ReportRange } {
  const parsed = visitReportQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  return { range: toRange(parsed.data, now) }
}
