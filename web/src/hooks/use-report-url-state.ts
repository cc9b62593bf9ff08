import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'
import { browserTimeZone, type RangePreset } from '@/lib/date-range'
import type { ReportDimension } from '@/lib/report-meta'
import { parseReportSearch, type ReportPatch, type ReportUrlState, writeReportSearch } from '@/lib/report-url'

/**
 * The report state of the current URL (range, zone, attribution, filters, `by`) and a
 * setter that writes a change back to the URL (a new history entry per change).
 */
export function useReportUrlState(
  defaults: { preset?: RangePreset; by?: ReportDimension[] } = {},
): [ReportUrlState, (patch: ReportPatch) => void] {
  const [sp, setSp] = useSearchParams()
  const key = sp.toString()
  // Re-parsed when the URL changes (and "today" moves on at the next change or remount).
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the query string
  const state = useMemo(() => parseReportSearch(sp, new Date(), browserTimeZone(), defaults), [key])
  const update = useCallback((patch: ReportPatch) => setSp((prev) => writeReportSearch(prev, patch)), [setSp])
  return [state, update]
}
