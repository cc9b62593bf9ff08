/**
 * Validation of report queries (zod). The schemas are used twice: as Fastify route
 * `querystring` schemas (field checks, OpenAPI) and by `parse*Query`, which also applies
 * the cross-field rules (from ≤ to, span ≤ 400 days) and the "today in tz" defaults,
 * throwing an {@link AppError} 400 that names every bad field.
 */
import { z } from 'zod'
import { AppError } from '../../platform/errors.ts'
import { canonicalTimeZone, parseBound, type ReportRange, resolveRange } from './range.ts'

/** Dimensions of the breakdown report. `source` groups by traffic source id. */
export const BREAKDOWN_DIMENSIONS = [
  'campaign',
  'stream',
  'destination',
  'country',
  'device',
  'source',
] as const

/** One of {@link BREAKDOWN_DIMENSIONS}. */
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number]

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

/** Query string of `GET /reports/overview`: `from`, `to` (default today) and `tz`. */
export const overviewQuerySchema = z.object({
  from: bound.optional(),
  to: bound.optional(),
  tz: timeZone,
})

/** Query string of `GET /reports/breakdown`: the overview fields plus `by`. */
export const breakdownQuerySchema = overviewQuerySchema.extend({
  by: z.enum(BREAKDOWN_DIMENSIONS).describe('dimension to group clicks by'),
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
  return err.issues.map((i) => ({ path: i.path.join('.') || '(query)', message: i.message }))
}

function toRange(q: z.infer<typeof overviewQuerySchema>, now: Date): ReportRange {
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

/**
 * Validates an overview query (`{from?, to?, tz?}`) and resolves its range at `now`.
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseOverviewQuery(input: unknown, now: Date): { range: ReportRange } {
  const parsed = overviewQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  return { range: toRange(parsed.data, now) }
}

/**
 * Validates a breakdown query (`{by, from?, to?, tz?}`) and resolves its range at `now`.
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]`.
 */
export function parseBreakdownQuery(
  input: unknown,
  now: Date,
): { by: BreakdownDimension; range: ReportRange } {
  const parsed = breakdownQuerySchema.safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  return { by: parsed.data.by, range: toRange(parsed.data, now) }
}
