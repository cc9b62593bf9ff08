/**
 * Cost updates, pure part: local range → UTC instants, the exact spread of a total over
 * clicks (the oracle the ClickHouse statement is tested against), money text → micros,
 * preview figures, and CSV rows → validated updates. No I/O; the shell is `costs.routes.ts`.
 *
 * Money: `*Micros` values are integer micros (10⁻⁶) of the campaign currency; inputs are
 * decimal currency units (`"12.5"`, `12.5`), at most 6 decimals.
 */
import { parse } from 'csv-parse/sync'
import { DateTime, IANAZone } from 'luxon'
import { COST_SUB_KEYS } from '../../analytics/index.ts'

/** Sub ID keys a cost update may be narrowed by (the click columns). */
export const SUB_KEYS = COST_SUB_KEYS
/** One of {@link SUB_KEYS}. */
export type SubKey = (typeof SUB_KEYS)[number]

/** A problem with one field: `{path, message}` as in every 400's `details`. */
export interface Issue {
  path: string
  message: string
}

/** Longest range a cost update covers (days). */
export const MAX_RANGE_DAYS = 400
/** Largest total cost accepted: 10⁹ currency units (10¹⁵ micros, exact as a JS number). */
export const MAX_COST_MICROS = 1e15

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/

/** True when `tz` is an IANA zone name luxon (and ClickHouse) know, e.g. `Europe/Berlin`, `UTC`. */
export function isTimeZone(tz: string): boolean {
  return IANAZone.isValidZone(tz)
}

/**
 * Resolves a range entered in zone `tz` to UTC instants `[fromMs, toMs)`.
 * - `YYYY-MM-DD`: a whole local day. As `from` it starts at that local midnight; as `to` the
 *   day is included (the range ends at the next local midnight). Days across a DST change
 *   are 23 or 25 hours long.
 * - `YYYY-MM-DDTHH:MM[:SS]` (or with a space): a local wall time; as `to` it is exclusive.
 *   A wall time skipped by a DST jump (02:30 on a spring-forward day in Berlin) is moved
 *   forward by the jump, as luxon does; a repeated one (fall back) is the first (earlier) instant.
 * @returns the instants, or the issues (`from`, `to`, `timezone`): bad text, unknown zone,
 *   `from` not before `to`, longer than {@link MAX_RANGE_DAYS} days.
 */
export function resolveCostRange(
  from: string,
  to: string,
  tz: string,
): { ok: true; fromMs: number; toMs: number } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = []
  if (!isTimeZone(tz))
    issues.push({ path: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin' })
  const read = (text: string, path: 'from' | 'to'): number | null => {
    const t = text.trim()
    const isDate = DATE_RE.test(t)
    if (!isDate && !DATE_TIME_RE.test(t)) {
      issues.push({ path, message: 'must be a date YYYY-MM-DD or a local date-time YYYY-MM-DDTHH:MM' })
      return null
    }
    if (issues.some((i) => i.path === 'timezone')) return null
    let dt = DateTime.fromISO(t.replace(' ', 'T'), { zone: tz })
    if (!dt.isValid) {
      issues.push({ path, message: `not a valid date: ${dt.invalidExplanation ?? t}` })
      return null
    }
    if (isDate && path === 'to') dt = dt.plus({ days: 1 })
    return dt.toMillis()
  }
  const fromMs = read(from, 'from')
  const toMs = read(to, 'to')
  if (fromMs !== null && toMs !== null) {
    if (fromMs >= toMs) issues.push({ path: 'to', message: 'must be after from' })
    else if (toMs - fromMs > MAX_RANGE_DAYS * 86_400_000 + 3_600_000)
      issues.push({ path: 'to', message: `a cost update spans at most ${MAX_RANGE_DAYS} days` })
  }
  if (issues.length > 0 || fromMs === null || toMs === null) return { ok: false, issues }
  return { ok: true, fromMs, toMs }
}

/**
 * The exact spread of `totalMicros` over `n` clicks in (ts, click_id) order: every click
 * gets floor(total / n) and the first `total mod n` get one micro more, so the shares sum
 * to `totalMicros` exactly. `n = 0` gives `[]` (nothing to spread: the API answers 409).
 * @throws RangeError when `totalMicros` is not a non-negative safe integer or `n` not a non-negative integer.
 */
export function spreadShares(totalMicros: number, n: number): number[] {
  if (!Number.isSafeInteger(totalMicros) || totalMicros < 0) throw new RangeError('total must be ≥ 0 micros')
  if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a count')
  if (n === 0) return []
  const base = Math.floor(totalMicros / n)
  const extra = totalMicros - base * n
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0))
}

const MONEY_RE = /^\d+(\.\d{1,6})?$/

/**
 * Decimal currency units → integer micros, without float error (`"0.000001"` → 1,
 * `12.5` → 12 500 000). Accepts a number or a string with `.` as the decimal point (a `,`
 * is read as the point too, as spreadsheets in many locales write it); at most 6 decimals,
 * not negative, at most {@link MAX_COST_MICROS}.
 * @returns the micros, or an error message.
 */
export function costToMicros(
  value: string | number,
): { ok: true; micros: number } | { ok: false; message: string } {
  const text = (typeof value === 'number' ? String(value) : value).trim().replace(',', '.')
  if (typeof value === 'number' && (!Number.isFinite(value) || /e/i.test(text)))
    return { ok: false, message: 'must be a decimal amount such as 12.50' }
  if (!MONEY_RE.test(text))
    return { ok: false, message: 'must be an amount ≥ 0 with at most 6 decimals, such as 12.50' }
  const [whole, frac = ''] = text.split('.')
  const micros = Number(whole) * 1_000_000 + Number(frac.padEnd(6, '0'))
  if (!Number.isSafeInteger(micros) || micros > MAX_COST_MICROS)
    return { ok: false, message: 'is too large (at most 1,000,000,000)' }
  return { ok: true, micros }
}

/** ROI in percent (profit / cost × 100, 4 decimals) from micros; null when cost is 0. */
export function roiPercent(revenueMicros: number, costMicros: number): number | null {
  if (costMicros === 0) return null
  return Math.round(((revenueMicros - costMicros) / costMicros) * 100 * 10_000) / 10_000
}

/** Micros → currency units (exact to 6 decimals). */
export const units = (micros: number): number => Math.round(micros) / 1_000_000

/** The figures a preview shows, in currency units (ROI in percent, null when cost is 0). */
export interface CostPreview {
  clicks: number
  current_cost: number
  new_cost: number
  delta: number
  revenue: number
  roi_before: number | null
  roi_after: number | null
}

/**
 * Preview figures of setting a scope holding `clicks` clicks that cost `currentMicros` and
 * earned `revenueMicros` to `newMicros` in total.
 */
export function previewFigures(s: {
  clicks: number
  currentMicros: number
  revenueMicros: number
  newMicros: number
}): CostPreview {
  return {
    clicks: s.clicks,
    current_cost: units(s.currentMicros),
    new_cost: units(s.newMicros),
    delta: units(s.newMicros - s.currentMicros),
    revenue: units(s.revenueMicros),
    roi_before: roiPercent(s.revenueMicros, s.currentMicros),
    roi_after: s.clicks === 0 ? null : roiPercent(s.revenueMicros, s.newMicros),
  }
}

/** Columns of a cost CSV (header row required, any order, case-insensitive). */
export const CSV_COLUMNS = ['campaign', 'from', 'to', 'timezone', 'sub_key', 'sub_value', 'cost'] as const
/** Columns a cost CSV must have. */
const REQUIRED = ['campaign', 'from', 'to', 'cost'] as const
/** Most data rows in one import. */
export const MAX_CSV_ROWS = 1000

/** One CSV data row, validated (campaign still to be resolved by id or alias). */
export interface CostCsvRow {
  /** Line number in the text (1 = the header). */
  line: number
  campaign: string
  from: string
  to: string
  /** '' when the column is absent or empty: the campaign's zone applies. */
  timezone: string
  sub_key: SubKey | null
  sub_value: string | null
  cost_micros: number
}

/** A CSV data row with its problems (fields named as the columns). */
export interface CostCsvError {
  line: number
  issues: Issue[]
}

/**
 * Parses and validates a cost CSV (csv-parse: `,` `;` or tab separated, quoted fields, a
 * header row naming the columns of {@link CSV_COLUMNS}). Range and zone are checked later,
 * when the campaign's zone is known; here: required cells, sub_key in {@link SUB_KEYS} with a
 * sub_value (and none without), cost an amount.
 * @returns the valid rows and the errors, each with its line number; `fatal` when the text
 *   is not CSV, lacks a required column, or has no / too many data rows.
 */
export function parseCostCsv(text: string): {
  rows: CostCsvRow[]
  errors: CostCsvError[]
  fatal?: Issue
} {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, {
      delimiter: [',', ';', '\t'],
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[]
  } catch (e) {
    return { rows: [], errors: [], fatal: { path: 'csv', message: (e as Error).message } }
  }
  const header = (records[0]?.record ?? []).map((h) => h.toLowerCase())
  const missing = REQUIRED.filter((c) => !header.includes(c))
  if (missing.length > 0)
    return {
      rows: [],
      errors: [],
      fatal: {
        path: 'csv',
        message: `the header row must name the columns ${REQUIRED.join(', ')} (optional: timezone, sub_key, sub_value); missing: ${missing.join(', ')}`,
      },
    }
  const data = records.slice(1)
  if (data.length === 0) return { rows: [], errors: [], fatal: { path: 'csv', message: 'no data rows' } }
  if (data.length > MAX_CSV_ROWS)
    return {
      rows: [],
      errors: [],
      fatal: { path: 'csv', message: `at most ${MAX_CSV_ROWS} rows per import` },
    }
  const col = (r: string[], name: string) => {
    const i = header.indexOf(name)
    return i < 0 ? '' : (r[i] ?? '')
  }
  const rows: CostCsvRow[] = []
  const errors: CostCsvError[] = []
  for (const { record, info } of data) {
    const issues: Issue[] = []
    for (const c of REQUIRED) if (col(record, c) === '') issues.push({ path: c, message: 'is required' })
    const subKey = col(record, 'sub_key').toLowerCase()
    const subValue = col(record, 'sub_value')
    if (subKey !== '' && !(SUB_KEYS as readonly string[]).includes(subKey))
      issues.push({ path: 'sub_key', message: `must be one of ${SUB_KEYS.join(', ')}` })
    if (subKey === '' && subValue !== '')
      issues.push({ path: 'sub_key', message: 'is required with sub_value' })
    const tz = col(record, 'timezone')
    if (tz !== '' && !isTimeZone(tz))
      issues.push({ path: 'timezone', message: 'must be an IANA time zone such as Europe/Berlin' })
    let micros = 0
    if (col(record, 'cost') !== '') {
      const m = costToMicros(col(record, 'cost'))
      if (m.ok) micros = m.micros
      else issues.push({ path: 'cost', message: m.message })
    }
    if (issues.length > 0) {
      errors.push({
        line: info.lines,
        issues: issues.filter((i, k) => issues.findIndex((j) => j.path === i.path) === k),
      })
      continue
    }
    rows.push({
      line: info.lines,
      campaign: col(record, 'campaign'),
      from: col(record, 'from'),
      to: col(record, 'to'),
      timezone: tz,
      sub_key: subKey === '' ? null : (subKey as SubKey),
      sub_value: subKey === '' ? null : subValue,
      cost_micros: micros,
    })
  }
  return { rows, errors }
}
