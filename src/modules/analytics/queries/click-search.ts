/**
 * Click log search: one workspace's routed clicks in a time range, filtered by click ID,
 * IP (exact or prefix), campaign, country and sub/external ID values (exact), newest first,
 * one page at a time with a keyset cursor `(ts, click_id)`.
 *
 * Bounded scan: the caller always gives a UTC range (`[fromMs, toMs)`, at most
 * {@link CLICK_SEARCH_MAX_DAYS} days — the route checks it); with the sort key
 * `(workspace_id, toStartOfHour(ts), campaign_id, ts)` ClickHouse reads only that
 * workspace's hours of the range, and `click_id` uses the bloom-filter skip index.
 *
 * The rows are every column of `clicks` except the long ones (`user_agent`, `referrer`,
 * `destination_url`, `user_key`: see `click-detail.ts` for one click with all of them), so
 * columns added by later migrations (e.g. `lander_id`) come along without a change here.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { CLICK_SUB_KEYS } from '../events.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'

/** Largest page of {@link searchClicks}. */
export const CLICK_SEARCH_MAX_LIMIT = 200
/** Longest range a search may span, in days. */
export const CLICK_SEARCH_MAX_DAYS = 93
/** Most rows a CSV export of the click log holds. */
export const CLICK_CSV_MAX_ROWS = 100_000

/** Columns that can be searched by an exact value. */
export const CLICK_VALUE_FILTERS = CLICK_SUB_KEYS
/** One of {@link CLICK_VALUE_FILTERS}. */
export type ClickValueFilter = (typeof CLICK_VALUE_FILTERS)[number]

/** Filters of {@link searchClicks}; all given ones must hold (AND). */
export interface ClickSearchFilters {
  /** Exact click ID. */
  clickId?: string
  /** Exact IP (as stored), or with `ipPrefix` the start of it (`203.0.113.`). */
  ip?: string
  ipPrefix?: boolean
  /** Campaign ids (any of them). */
  campaignIds?: readonly string[]
  /** ISO country codes, upper case (any of them). */
  countries?: readonly string[]
  /** Exact values of sub1..sub10 / external_id. */
  values?: Partial<Record<ClickValueFilter, string>>
}

/** Position after the last row of a page: the row's time (epoch ms) and click ID. */
export interface ClickCursor {
  tsMs: number
  clickId: string
}

/**
 * One click of the log: `ts` as epoch ms, money as `cost_micros` (micros of `currency`),
 * the flags as 0/1, and every other stored column by its ClickHouse name (strings).
 */
export interface ClickLogRow {
  click_id: string
  tsMs: number
  campaign_id: string
  stream_id: string
  destination_id: string
  source_id: string
  is_unique: number
  is_bot: number
  ip: string
  country: string
  language: string
  device: string
  os: string
  browser: string
  cost_micros: number
  currency: string
  external_id: string
  sub1: string
  sub2: string
  sub3: string
  sub4: string
  sub5: string
  sub6: string
  sub7: string
  sub8: string
  sub9: string
  sub10: string
  utm_source: string
  utm_medium: string
  utm_campaign: string
  utm_term: string
  utm_content: string
  source: string
  /** Columns of later migrations (e.g. `lander_id`, `os_version`), as stored. */
  [column: string]: string | number
}

const NUMERIC = new Set(['is_unique', 'is_bot', 'cost_micros'])

/** A `clicks` row as read with JSONEachRow (`ts` text in UTC, Int64 as text) → {@link ClickLogRow}. */
export function clickRowOf(r: Record<string, unknown>): ClickLogRow {
  const out: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(r)) {
    if (k === 'ts') continue
    out[k] = NUMERIC.has(k) ? Number(v) : String(v ?? '')
  }
  out.tsMs = Date.parse(`${String(r.ts).replace(' ', 'T')}Z`)
  return out as ClickLogRow
}

/** WHERE clause (after the workspace and range) and its parameters for `filters`. */
export function clickFilterSql(filters: ClickSearchFilters): {
  where: string
  params: Record<string, unknown>
} {
  const params: Record<string, unknown> = {}
  let where = ''
  if (filters.clickId !== undefined) {
    params.f_click = filters.clickId
    where += ' AND click_id = {f_click:String}'
  }
  if (filters.ip !== undefined) {
    params.f_ip = filters.ip
    where += filters.ipPrefix ? ' AND startsWith(ip, {f_ip:String})' : ' AND ip = {f_ip:String}'
  }
  if (filters.campaignIds && filters.campaignIds.length > 0) {
    params.f_campaign = [...filters.campaignIds]
    where += ' AND campaign_id IN {f_campaign:Array(String)}'
  }
  if (filters.countries && filters.countries.length > 0) {
    params.f_country = [...filters.countries]
    where += ' AND country IN {f_country:Array(String)}'
  }
  for (const key of CLICK_VALUE_FILTERS) {
    const v = filters.values?.[key]
    if (v === undefined) continue
    params[`f_${key}`] = v
    where += ` AND ${key} = {f_${key}:String}`
  }
  return { where, params }
}

/**
 * One page of `workspaceId`'s clicks in `[range.fromMs, range.toMs)` matching `filters`,
 * newest first (ties by click ID, descending), starting after `opts.cursor`.
 * @param opts.limit rows, clamped to 1..{@link CLICK_SEARCH_MAX_LIMIT}
 * @returns the rows and the cursor of the next page (null when this page is the last).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function searchClicks(
  handle: ClickHouseHandle,
  workspaceId: string,
  range: { fromMs: number; toMs: number },
  filters: ClickSearchFilters,
  opts: { limit: number; cursor?: ClickCursor | undefined; maxLimit?: number },
): Promise<{ rows: ClickLogRow[]; next: ClickCursor | null }> {
  const db = assertIdentifier(handle.database)
  const max = opts.maxLimit ?? CLICK_SEARCH_MAX_LIMIT
  const limit = Math.max(1, Math.min(max, Math.trunc(opts.limit)))
  const f = clickFilterSql(filters)
  const params: Record<string, unknown> = {
    ...f.params,
    ws: workspaceId,
    from: chDateTime(range.fromMs),
    to: chDateTime(range.toMs),
    limit: limit + 1,
  }
  let after = ''
  if (opts.cursor) {
    params.c_ts = chDateTime(opts.cursor.tsMs)
    params.c_id = opts.cursor.clickId
    after = " AND (ts, click_id) < ({c_ts:DateTime64(3, 'UTC')}, {c_id:String})"
  }
  const rs = await handle.client.query({
    query: `SELECT * EXCEPT (user_agent, referrer, destination_url, user_key, workspace_id)
      FROM ${db}.clicks
      WHERE workspace_id = {ws:String}
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}${f.where}${after}
      ORDER BY ts DESC, click_id DESC
      LIMIT {limit:UInt32}`,
    format: 'JSONEachRow',
    query_params: params,
  })
  const raw = await rs.json<Record<string, unknown>>()
  const rows = raw.slice(0, limit).map(clickRowOf)
  const last = rows[rows.length - 1]
  return {
    rows,
    next: raw.length > limit && last ? { tsMs: last.tsMs, clickId: last.click_id } : null,
  }
}

/**
 * Every matching click (newest first, at most `maxRows`, default
 * {@link CLICK_CSV_MAX_ROWS}), read in pages of `pageSize` (default 5 000) with the same
 * keyset as {@link searchClicks}, so memory stays one page whatever the export's size.
 */
export async function* iterateClicks(
  handle: ClickHouseHandle,
  workspaceId: string,
  range: { fromMs: number; toMs: number },
  filters: ClickSearchFilters,
  opts: { maxRows?: number; pageSize?: number } = {},
): AsyncGenerator<ClickLogRow[]> {
  let left = opts.maxRows ?? CLICK_CSV_MAX_ROWS
  const pageSize = opts.pageSize ?? 5_000
  let cursor: ClickCursor | undefined
  while (left > 0) {
    const page = await searchClicks(handle, workspaceId, range, filters, {
      limit: Math.min(pageSize, left),
      cursor,
      maxLimit: pageSize,
    })
    if (page.rows.length > 0) yield page.rows
    left -= page.rows.length
    if (!page.next) return
    cursor = page.next
  }
}
