/**
 * Query strings of the click log (`GET /clicks`, `GET /clicks.csv`): zod schemas (strict:
 * an unknown parameter is a 400 naming it) and the pure parser that resolves the time
 * range, the filters and the keyset cursor. Tested by `clicks.schema.test.ts`.
 *
 * Range rules (the scan must stay bounded, see analytics `queries/click-search.ts`):
 * - `from`/`to` as in the reports (dates are whole local days of `tz`, inclusive; ISO
 *   date-times are instants), at most {@link CLICK_SEARCH_MAX_DAYS} days;
 * - neither given and `click_id` is a click ID: one hour either side of the time encoded
 *   in the ID;
 * - neither given otherwise: the last 24 hours.
 */
import { z } from 'zod'
import {
  CLICK_SEARCH_MAX_DAYS,
  CLICK_SEARCH_MAX_LIMIT,
  CLICK_VALUE_FILTERS,
  type ClickCursor,
  type ClickSearchFilters,
  canonicalTimeZone,
  parseBound,
  resolveRange,
} from '../../analytics/index.ts'
import { AppError } from '../../../platform/errors.ts'
import { clickIdTime } from '../core/click-id.ts'

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

const bound = z
  .string()
  .trim()
  .max(40)
  .refine((v) => parseBound(v) !== null, {
    message: 'must be a date YYYY-MM-DD or an ISO date-time such as 2024-05-01T13:00:00Z',
  })
  .describe('YYYY-MM-DD (whole day in tz, inclusive) or ISO date-time (offset optional: read in tz)')

const many = <T extends z.ZodType>(one: T) => z.union([one, z.array(one).min(1).max(50)]).optional()

const valueShape = Object.fromEntries(
  CLICK_VALUE_FILTERS.map((k) => [
    k,
    z.string().max(500).optional().describe(`only clicks whose ${k} is exactly this value`),
  ]),
) as Record<(typeof CLICK_VALUE_FILTERS)[number], z.ZodOptional<z.ZodString>>

const filterShape = {
  from: bound.optional(),
  to: bound.optional(),
  tz: z
    .string()
    .trim()
    .default('UTC')
    .refine((v) => canonicalTimeZone(v) !== null, {
      message: 'must be an IANA time zone such as Europe/Berlin',
    })
    .describe('IANA time zone the dates are read in; default UTC'),
  click_id: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe('exact click ID; without from/to the range is the hour either side of its time'),
  ip: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[0-9A-Fa-f.:]+\*?$/, 'must be an IP address, or its start followed by * (203.0.113.*)')
    .optional()
    .describe('exact IP, or a prefix ending in * (203.0.113.*)'),
  campaign_id: many(z.uuid()).describe('campaign id (repeat for several)'),
  country: many(z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code')).describe(
    'ISO country code (repeat for several)',
  ),
  ...valueShape,
}

/** Query string of `GET /clicks`: the filters, `cursor` and `limit`. */
export const clickSearchQuery = z.strictObject({
  ...filterShape,
  cursor: z.string().trim().max(200).optional().describe('next_cursor of the previous page'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(CLICK_SEARCH_MAX_LIMIT)
    .default(50)
    .describe(`rows per page, 1–${CLICK_SEARCH_MAX_LIMIT}`),
})

/** Query string of `GET /clicks.csv`: the filters only. */
export const clickCsvQuery = z.strictObject(filterShape)

/** A validated click log query. */
export interface ClickLogQuery {
  /** Half-open UTC interval and the zone it was read in. */
  range: { fromMs: number; toMs: number; tz: string }
  filters: ClickSearchFilters
  cursor: ClickCursor | undefined
  limit: number
}

/** `tsMs` and click ID → opaque text (base64url of `<tsMs>:<clickId>`). */
export function encodeCursor(c: ClickCursor): string {
  return Buffer.from(`${c.tsMs}:${c.clickId}`, 'utf8').toString('base64url')
}

/** Inverse of {@link encodeCursor}; undefined for text it did not make. */
export function decodeCursor(text: string): ClickCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined
  const m = /^(\d{1,15}):([\x21-\x7e]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  return m ? { tsMs: Number(m[1]), clickId: m[2]! } : undefined
}

function fail(issues: { path: string; message: string }[]): never {
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ')
  throw new AppError(400, 'validation_failed', `invalid querystring: ${text}`, issues)
}

function zodIssues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: k, message: 'unknown parameter' }))
      : [{ path: i.path.join('.') || '(query)', message: i.message }],
  )
}

const list = (v: string | string[] | undefined) =>
  v === undefined ? undefined : [...new Set(Array.isArray(v) ? v : [v])]

/**
 * Validates a click log query (`csv`: the CSV route's schema, no cursor/limit) and resolves
 * its range at `now` (see the file comment).
 * @throws AppError 400 `validation_failed`, `details = [{path, message}]` (unknown
 *   parameter, bad value, from after to, a span over {@link CLICK_SEARCH_MAX_DAYS} days, a
 *   cursor that is not one).
 */
export function parseClickLogQuery(input: unknown, now: Date, opts: { csv?: boolean } = {}): ClickLogQuery {
  const parsed = (opts.csv ? clickCsvQuery : clickSearchQuery).safeParse(input)
  if (!parsed.success) fail(zodIssues(parsed.error))
  const q = parsed.data as z.output<typeof clickSearchQuery>
  const tz = canonicalTimeZone(q.tz)!
  let range: ClickLogQuery['range']
  const idMs = q.click_id === undefined ? undefined : clickIdTime(q.click_id)
  if (q.from !== undefined || q.to !== undefined) {
    const res = resolveRange(
      {
        from: q.from === undefined ? undefined : (parseBound(q.from) ?? undefined),
        to: q.to === undefined ? undefined : (parseBound(q.to) ?? undefined),
        tz,
      },
      now,
    )
    if (!res.ok) fail(res.issues)
    range = res.range
    if (range.toMs - range.fromMs > CLICK_SEARCH_MAX_DAYS * DAY_MS + HOUR_MS)
      fail([{ path: 'to', message: `the click log searches at most ${CLICK_SEARCH_MAX_DAYS} days at once` }])
  } else if (idMs !== undefined) {
    range = { fromMs: idMs - HOUR_MS, toMs: idMs + HOUR_MS, tz }
  } else {
    range = { fromMs: now.getTime() - DAY_MS, toMs: now.getTime() + 1, tz }
  }
  let cursor: ClickCursor | undefined
  if (q.cursor !== undefined) {
    cursor = decodeCursor(q.cursor)
    if (!cursor) fail([{ path: 'cursor', message: 'must be the next_cursor of a previous page' }])
  }
  const filters: ClickSearchFilters = {}
  if (q.click_id !== undefined) filters.clickId = q.click_id
  if (q.ip !== undefined) {
    const prefix = q.ip.endsWith('*')
    filters.ip = prefix ? q.ip.slice(0, -1) : q.ip
    if (prefix) filters.ipPrefix = true
  }
  const campaigns = list(q.campaign_id)
  if (campaigns) filters.campaignIds = campaigns
  const countries = q.country === undefined ? undefined : list(list(q.country)!.map((c) => c.toUpperCase()))
  if (countries) filters.countries = countries
  const values: NonNullable<ClickSearchFilters['values']> = {}
  for (const k of CLICK_VALUE_FILTERS) {
    const v = q[k]
    if (v !== undefined) values[k] = v
  }
  if (Object.keys(values).length > 0) filters.values = values
  return { range, filters, cursor, limit: opts.csv ? 0 : q.limit }
}
