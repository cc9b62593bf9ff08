/**
 * `/` — the dashboard: headline figures of the selected range and of today (refreshed every
 * 15 s), the time series, the top campaigns and the live click feed.
 */
import { useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useCallback, useMemo, useRef, useState } from 'react'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl } from '@/components/common/report-controls'
import { EmptyState, ErrorState, QueryStates } from '@/components/common/states'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Tabs, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { type ReportParams, reportKeys, useOverview, useSeries } from '@/hooks/api/reports'
import { useSources } from '@/hooks/api/sources'
import { useNow } from '@/hooks/use-now'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { addDays, rangeLabel, resolveRange, seriesInterval } from '@/lib/date-range'
import { ChartLine } from 'lucide-react'
import { dashboardCurrency } from './components/dashboard.lib'
import { StatCards } from './components/stat-cards'
import { LiveFeed } from './components/live-feed'
import { TopCampaigns } from './components/top-campaigns'

// The chart (Recharts) stays out of the initial bundle, but its download starts with the
// page, not after the series data arrives: that order cost a round trip on every cold load.
const seriesChartModule = import('./components/series-chart')
const SeriesChart = lazy(() => seriesChartModule)

/** Counters poll this often (ms). */
const REFRESH_MS = 15_000

function ChartSkeleton() {
  return <Skeleton className="h-full w-full" data-testid="chart-loading" />
}

export function Component() {
  const [state, update] = useReportUrlState({ preset: 'today' })
  const [view, setView] = useState<'traffic' | 'money'>('traffic')
  const qc = useQueryClient()

  const params: ReportParams = useMemo(
    () => ({ from: state.range.from, to: state.range.to, tz: state.tz }),
    [state.range.from, state.range.to, state.tz],
  )
  // Today's figures beside the range's; when the range is today, yesterday's instead.
  const compare = useMemo(() => {
    const today = resolveRange('today', new Date(), state.tz)
    const isToday = state.range.from === today.from && state.range.to === today.to
    const day = isToday ? addDays(today.from, -1) : today.from
    return { params: { from: day, to: day, tz: state.tz }, label: isToday ? 'Yesterday' : 'Today' }
  }, [state.range.from, state.range.to, state.tz])

  const overview = useOverview(params, { refetchInterval: REFRESH_MS })
  const compareOverview = useOverview(compare.params, { refetchInterval: REFRESH_MS })
  const interval = seriesInterval(state.range)
  const series = useSeries(params, interval, { refetchInterval: REFRESH_MS })
  // Money has a sign before the first conversion too: the conversions' currency, else the
  // click costs' (the sources'), else USD.
  const sources = useSources({ limit: 500 })
  const currency = dashboardCurrency(
    [overview.data?.currencies, compareOverview.data?.currencies],
    sources.data?.items,
  )
  // The chart stops at the current bucket; re-read every minute.
  const nowMs = useNow(60_000)

  // A live click means new figures: refresh the reports soon after (the pipeline inserts
  // within a second or two), at most every 5 s.
  const lastRefresh = useRef(0)
  const onLive = useCallback(() => {
    const now = Date.now()
    if (now - lastRefresh.current < 5_000) return
    lastRefresh.current = now
    setTimeout(() => void qc.invalidateQueries({ queryKey: reportKeys.all }), 2_000)
  }, [qc])

  const reportSearch = new URLSearchParams({
    range: state.preset,
    ...(state.preset === 'custom' ? { from: state.range.from, to: state.range.to } : {}),
    tz: state.tz,
  }).toString()

  const noTraffic = series.data?.buckets.every((b) => b.clicks === 0 && b.conversions === 0 && b.cost === 0)

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Dashboard"
        description={`${rangeLabel(state.preset, state.range)} · ${state.tz.replaceAll('_', ' ')}`}
        actions={<DateRangeControl state={state} onChange={update} />}
      />
      {overview.isError ? (
        <Card>
          <ErrorState error={overview.error} onRetry={() => void overview.refetch()} />
        </Card>
      ) : (
        <StatCards
          range={overview.data}
          compare={compareOverview.data}
          compareLabel={compare.label}
          currency={currency}
        />
      )}
      {/* grid-cols-1 is minmax(0, 1fr): a long campaign name cannot widen the column. */}
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Card className="gap-3">
          <CardHeader>
            <div>
              <CardTitle>{interval === 'hour' ? 'By hour' : 'By day'}</CardTitle>
              <CardDescription>
                {view === 'traffic' ? 'Clicks and conversions' : 'Revenue, cost and profit'}
              </CardDescription>
            </div>
            <Tabs value={view} onValueChange={(v) => setView(v as 'traffic' | 'money')}>
              <TabsList>
                <TabsTrigger value="traffic">Traffic</TabsTrigger>
                <TabsTrigger value="money">Money</TabsTrigger>
              </TabsList>
            </Tabs>
          </CardHeader>
          <CardContent className="h-72 sm:h-80" data-testid="series-chart">
            <QueryStates
              query={series}
              pending={<ChartSkeleton />}
              isEmpty={noTraffic}
              empty={
                <EmptyState
                  icon={ChartLine}
                  title="No traffic in this range yet"
                  description="Open a campaign link or pick a longer range."
                  className="h-full"
                />
              }
            >
              {(s) => (
                <Suspense fallback={<ChartSkeleton />}>
                  <SeriesChart buckets={s.buckets} view={view} currency={currency} nowMs={nowMs} />
                </Suspense>
              )}
            </QueryStates>
          </CardContent>
        </Card>
        <LiveFeed onEvents={onLive} />
      </div>
      <TopCampaigns params={params} currency={currency} reportSearch={reportSearch} />
    </div>
  )
}
