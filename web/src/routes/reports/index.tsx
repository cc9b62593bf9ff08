/**
 * `/reports` — breakdown by one or two dimensions, figures by day or hour, and trafficback;
 * date range, time zone, attribution and filters in the URL; sortable tables with totals;
 * CSV download of exactly what is on screen (the API's `format=csv`).
 */
import { useIsFetching, useQueryClient } from '@tanstack/react-query'
import { Download, RefreshCw } from 'lucide-react'
import { useCallback, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { AttributionControl, DateRangeControl, TimeZoneControl } from '@/components/common/report-controls'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Label } from '@/components/ui/label'
import { Select } from '@/components/ui/select'
import { Tabs, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { currencyOf, type ReportParams, reportCsvUrl, reportKeys, useOverview } from '@/hooks/api/reports'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { nextDrillDimension } from '@/lib/report-url'
import { rangeLabel, seriesInterval } from '@/lib/date-range'
import {
  DIMENSION_GROUPS,
  dimensionLabel,
  FILTER_PARAMS,
  type MetricKey,
  type ReportDimension,
} from '@/lib/report-meta'
import { cn } from '@/lib/utils'
import { BreakdownView } from './components/breakdown-view'
import { ColumnPicker } from './components/column-picker'
import { FilterBar } from './components/filter-bar'
import { DrillPath } from './components/drill-path'
import { DEFAULT_HIDDEN } from './components/metric-columns'
import { SeriesView } from './components/series-view'
import { TrafficbackView } from './components/trafficback-view'

type View = 'breakdown' | 'series' | 'trafficback'
const VIEWS: { id: View; label: string }[] = [
  { id: 'breakdown', label: 'Breakdown' },
  { id: 'series', label: 'Over time' },
  { id: 'trafficback', label: 'Trafficback' },
]
/** Filters the trafficback report accepts. */
const TRAFFICBACK_FILTERS = ['campaign_id', 'country', 'device']
const HIDDEN_KEY = 'tf.reports.hiddenMetrics'

function useHiddenMetrics(): [MetricKey[], (v: MetricKey[]) => void] {
  const [hidden, setHidden] = useState<MetricKey[]>(() => {
    try {
      const saved = localStorage.getItem(HIDDEN_KEY)
      return saved ? (JSON.parse(saved) as MetricKey[]) : DEFAULT_HIDDEN
    } catch {
      return DEFAULT_HIDDEN
    }
  })
  const set = useCallback((v: MetricKey[]) => {
    setHidden(v)
    try {
      localStorage.setItem(HIDDEN_KEY, JSON.stringify(v))
    } catch {
      // private mode: the choice lasts for this visit
    }
  }, [])
  return [hidden, set]
}

function DimensionSelect({
  id,
  value,
  onChange,
  allowNone,
  exclude,
}: {
  id: string
  value: string
  onChange: (v: string) => void
  allowNone?: boolean
  exclude?: string
}) {
  return (
    <Select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      {allowNone && <option value="">—</option>}
      {DIMENSION_GROUPS.map((g) => (
        <optgroup key={g.label} label={g.label}>
          {g.dims
            .filter((d) => d !== exclude)
            .map((d) => (
              <option key={d} value={d}>
                {dimensionLabel(d)}
              </option>
            ))}
        </optgroup>
      ))}
    </Select>
  )
}

export function Component() {
  const [state, update] = useReportUrlState({ preset: '7d', by: ['campaign'] })
  const [sp, setSp] = useSearchParams()
  const view: View = (VIEWS.find((v) => v.id === sp.get('view'))?.id ?? 'breakdown') as View
  const setView = (v: string) =>
    setSp((prev) => {
      const next = new URLSearchParams(prev)
      next.set('view', v)
      return next
    })
  const [intervalChoice, setIntervalChoice] = useState<'auto' | 'day' | 'hour'>('auto')
  const interval = intervalChoice === 'auto' ? seriesInterval(state.range) : intervalChoice
  const [hidden, setHidden] = useHiddenMetrics()
  const qc = useQueryClient()
  const refreshing = useIsFetching({ queryKey: reportKeys.all }) > 0

  const params: ReportParams = useMemo(
    () => ({
      from: state.range.from,
      to: state.range.to,
      tz: state.tz,
      attribution: state.attribution,
      filters: state.filters,
    }),
    [state],
  )
  const trafficbackParams: ReportParams = useMemo(
    () => ({
      from: state.range.from,
      to: state.range.to,
      tz: state.tz,
      filters: Object.fromEntries(
        Object.entries(state.filters).filter(([k]) => TRAFFICBACK_FILTERS.includes(k)),
      ),
    }),
    [state],
  )
  const ignoredFilters = Object.keys(state.filters).filter((k) => !TRAFFICBACK_FILTERS.includes(k))
  const totals = useOverview(params, { enabled: view !== 'trafficback' }).data
  const currency = currencyOf(totals)

  const csvHref =
    view === 'breakdown'
      ? reportCsvUrl('breakdown', params, { by: state.by.join(',') })
      : view === 'series'
        ? reportCsvUrl('series', params, { interval })
        : reportCsvUrl('trafficback', trafficbackParams)

  // Drill-down to any depth: a row adds its value as a filter and a step of the path, and
  // the table groups by the other chosen dimension or the suggested next one (changeable in
  // the path's "by" select).
  const drill = useCallback(
    (dim: ReportDimension, key: string) => {
      const param = FILTER_PARAMS[dim]
      const others = state.by.filter((d) => d !== dim)
      const filters = { ...state.filters, [param]: [key] }
      const path = [...state.drill.filter((d) => d !== dim), dim]
      update({
        filters,
        drill: path,
        by: others.length > 0 ? others : [nextDrillDimension(dim, state.filters, state.drill)],
      })
    },
    [state.by, state.filters, state.drill, update],
  )
  /** Back to drill level `n`: deeper steps' filters removed, grouped by the step after it. */
  const drillBack = useCallback(
    (n: number) => {
      const deeper = state.drill.slice(n)
      const filters = Object.fromEntries(
        Object.entries(state.filters).filter(([k]) => !deeper.some((d) => FILTER_PARAMS[d] === k)),
      )
      update({ filters, drill: state.drill.slice(0, n), by: [state.drill[n] ?? state.by[0] ?? 'campaign'] })
    },
    [state.drill, state.filters, state.by, update],
  )

  return (
    <div className="flex flex-col gap-5">
      <PageHeader
        title="Reports"
        description={`${rangeLabel(state.preset, state.range)} · ${state.tz.replaceAll('_', ' ')}`}
        actions={
          <>
            <Button
              variant="outline"
              disabled={refreshing}
              onClick={() => void qc.invalidateQueries({ queryKey: reportKeys.all })}
            >
              <RefreshCw className={cn(refreshing && 'animate-spin')} /> Refresh
            </Button>
            <Button asChild variant="outline">
              <a href={csvHref} download data-testid="csv-download">
                <Download /> Download CSV
              </a>
            </Button>
          </>
        }
      />
      <Card className="gap-4 px-4 py-4">
        <div className="flex flex-wrap items-center gap-2">
          <DateRangeControl state={state} onChange={update} />
          <TimeZoneControl state={state} onChange={update} />
          {view !== 'trafficback' && <AttributionControl state={state} onChange={update} />}
        </div>
        <FilterBar filters={state.filters} onChange={(filters) => update({ filters })} />
        {view === 'trafficback' && ignoredFilters.length > 0 && (
          <p className="text-xs text-muted-foreground">
            Trafficback is recorded by campaign, country and device only; the other filters do not apply here.
          </p>
        )}
      </Card>
      <Tabs value={view} onValueChange={setView}>
        <div className="flex flex-wrap items-end justify-between gap-3">
          <TabsList>
            {VIEWS.map((v) => (
              <TabsTrigger key={v.id} value={v.id}>
                {v.label}
              </TabsTrigger>
            ))}
          </TabsList>
          <div className="flex flex-wrap items-end gap-2">
            {view === 'breakdown' && (
              <>
                <div className="grid w-40 gap-1">
                  <Label htmlFor="by-1" className="text-xs text-muted-foreground">
                    Group by
                  </Label>
                  <DimensionSelect
                    id="by-1"
                    value={state.by[0] ?? 'campaign'}
                    exclude={state.by[1]}
                    onChange={(v) => update({ by: [v as ReportDimension, ...state.by.slice(1)] })}
                  />
                </div>
                <div className="grid w-40 gap-1">
                  <Label htmlFor="by-2" className="text-xs text-muted-foreground">
                    Then by
                  </Label>
                  <DimensionSelect
                    id="by-2"
                    value={state.by[1] ?? ''}
                    allowNone
                    exclude={state.by[0]}
                    onChange={(v) =>
                      update({
                        by: v ? [state.by[0] ?? 'campaign', v as ReportDimension] : state.by.slice(0, 1),
                      })
                    }
                  />
                </div>
              </>
            )}
            {view === 'series' && (
              <div className="grid w-36 gap-1">
                <Label htmlFor="interval" className="text-xs text-muted-foreground">
                  Interval
                </Label>
                <Select
                  id="interval"
                  value={intervalChoice}
                  onChange={(e) => setIntervalChoice(e.target.value as 'auto' | 'day' | 'hour')}
                >
                  <option value="auto">
                    Auto ({seriesInterval(state.range) === 'hour' ? 'hours' : 'days'})
                  </option>
                  <option value="day">Days</option>
                  <option value="hour">Hours</option>
                </Select>
              </div>
            )}
            {view !== 'trafficback' && (
              <ColumnPicker
                hidden={hidden}
                onChange={setHidden}
                by={state.by}
                filters={state.filters}
                onApplyPreset={(d) =>
                  update({
                    ...(d.dimensions ? { by: d.dimensions.slice(0, 2) } : {}),
                    ...(d.filters ? { filters: d.filters, drill: [] } : {}),
                  })
                }
              />
            )}
          </div>
        </div>
        {view === 'breakdown' && (
          <DrillPath
            drill={state.drill}
            filters={state.filters}
            by={state.by[0] ?? 'campaign'}
            onBack={drillBack}
            onBy={(d) => update({ by: [d, ...state.by.slice(1).filter((x) => x !== d)] })}
          />
        )}
        <Card className="gap-0 py-2">
          {view === 'breakdown' && (
            <BreakdownView
              params={params}
              by={state.by}
              hidden={hidden}
              totals={totals}
              currency={currency}
              onDrill={drill}
            />
          )}
          {view === 'series' && (
            <SeriesView
              params={params}
              interval={interval}
              hidden={hidden}
              totals={totals}
              currency={currency}
            />
          )}
          {view === 'trafficback' && <TrafficbackView params={trafficbackParams} />}
        </Card>
      </Tabs>
    </div>
  )
}
