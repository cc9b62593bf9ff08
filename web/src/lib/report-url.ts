/**
 * Report state lives in the URL (`?range=7d&tz=Europe/Berlin&by=campaign,country&country=DE`),
 * so a report is a link: shareable, bookmarkable, and the back button undoes a change.
 * Filter parameters use the API's own names, so they pass straight through to the API.
 * Pure functions (`report-url.test.ts`); `useReportUrlState` wraps them for components.
 */
import { type DateRange, isRangePreset, type RangePreset, resolveRange } from './date-range'
import { FILTER_PARAMS, REPORT_DIMENSIONS, type ReportDimension } from './report-meta'

/** Everything a report page reads from its URL. */
export interface ReportUrlState {
  preset: RangePreset
  range: DateRange
  tz: string
  attribution: 'conversion' | 'click'
  /** Filter parameter (`campaign_id`, `country` …) → values; an empty string means "none recorded". */
  filters: Record<string, string[]>
  /** Breakdown dimensions (one or two). */
  by: ReportDimension[]
  /**
   * The drill-down path (`drill=campaign,stream`): dimensions whose rows were clicked, in
   * order; each one's value is its filter. Any depth.
   */
  drill: ReportDimension[]
}

/** The order drill-downs suggest the next dimension in (what buyers usually open next). */
export const DRILL_ORDER: readonly ReportDimension[] = [
  'campaign',
  'stream',
  'destination',
  'source',
  'country',
  'device',
  'os',
  'os_version',
  'browser',
  'language',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'hour',
]

/**
 * The dimension to group by after drilling into `dim`: the next one in {@link DRILL_ORDER}
 * after `dim` that is neither filtered nor drilled yet (then any such one from the start).
 */
export function nextDrillDimension(
  dim: ReportDimension,
  filters: Record<string, string[]>,
  drill: readonly ReportDimension[],
): ReportDimension {
  const used = (d: ReportDimension) => d === dim || drill.includes(d) || FILTER_PARAMS[d] in filters
  const start = DRILL_ORDER.indexOf(dim)
  const order = [...DRILL_ORDER.slice(start + 1), ...DRILL_ORDER.slice(0, Math.max(0, start))]
  return (
    order.find((d) => !used(d)) ?? (REPORT_DIMENSIONS.find((d) => !used(d)) as ReportDimension) ?? 'country'
  )
}

/** Parameter name → dimension, for the filters. */
export const FILTER_DIMENSION: Record<string, ReportDimension> = Object.fromEntries(
  REPORT_DIMENSIONS.map((d) => [FILTER_PARAMS[d], d]),
)

const isDimension = (s: string): s is ReportDimension => (REPORT_DIMENSIONS as readonly string[]).includes(s)

/** Reads the report state from a query string. Unknown or invalid values fall back to defaults. */
export function parseReportSearch(
  sp: URLSearchParams,
  now: Date,
  fallbackTz: string,
  defaults: { preset?: RangePreset; by?: ReportDimension[] } = {},
): ReportUrlState {
  const tz = sp.get('tz') || fallbackTz
  const rawPreset = sp.get('range')
  const preset: RangePreset = isRangePreset(rawPreset) ? rawPreset : (defaults.preset ?? 'today')
  const range = resolveRange(preset, now, tz, { from: sp.get('from') ?? '', to: sp.get('to') ?? '' })
  const attribution = sp.get('attribution') === 'click' ? 'click' : 'conversion'
  const filters: Record<string, string[]> = {}
  for (const name of Object.keys(FILTER_DIMENSION)) {
    const values = sp.getAll(name)
    if (values.length > 0) filters[name] = [...new Set(values)]
  }
  const by = (sp.get('by') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(isDimension)
  const uniqueBy = [...new Set(by)].slice(0, 2)
  // A drill step counts only while its filter is there (a chip removed ends the path there).
  const drill: ReportDimension[] = []
  for (const d of (sp.get('drill') ?? '').split(',').map((s) => s.trim())) {
    if (!isDimension(d) || drill.includes(d) || !filters[FILTER_PARAMS[d]]) break
    drill.push(d)
  }
  return {
    drill,
    preset,
    range,
    tz,
    attribution,
    filters,
    by: uniqueBy.length > 0 ? uniqueBy : (defaults.by ?? ['campaign']),
  }
}

/** A change to the report state; `filters` replaces all filters when given. */
export type ReportPatch = Partial<Omit<ReportUrlState, 'range'>> & { range?: DateRange }

/**
 * A new query string with `patch` applied to `sp`. A custom range writes `from`/`to`; a
 * preset removes them. Parameters that are not report state (`tab`, …) are kept.
 */
export function writeReportSearch(sp: URLSearchParams, patch: ReportPatch): URLSearchParams {
  const next = new URLSearchParams(sp)
  if (patch.preset !== undefined) {
    next.set('range', patch.preset)
    if (patch.preset !== 'custom') {
      next.delete('from')
      next.delete('to')
    }
  }
  if (patch.range) {
    next.set('range', 'custom')
    next.set('from', patch.range.from)
    next.set('to', patch.range.to)
  }
  if (patch.tz !== undefined) next.set('tz', patch.tz)
  if (patch.attribution !== undefined) {
    if (patch.attribution === 'conversion') next.delete('attribution')
    else next.set('attribution', patch.attribution)
  }
  if (patch.by !== undefined) next.set('by', patch.by.join(','))
  if (patch.drill !== undefined) {
    if (patch.drill.length === 0) next.delete('drill')
    else next.set('drill', patch.drill.join(','))
  }
  if (patch.filters !== undefined) {
    for (const name of Object.keys(FILTER_DIMENSION)) next.delete(name)
    for (const [name, values] of Object.entries(patch.filters)) for (const v of values) next.append(name, v)
  }
  return next
}
