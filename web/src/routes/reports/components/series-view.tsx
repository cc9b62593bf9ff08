import type { ColumnDef } from '@tanstack/react-table'
import { ChartLine } from 'lucide-react'
import { useMemo } from 'react'
import { DataTable } from '@/components/common/data-table'
import { EmptyState, ErrorState, TableSkeleton } from '@/components/common/states'
import { type Overview, type ReportParams, type SeriesBucket, useSeries } from '@/hooks/api/reports'
import type { MetricKey } from '@/lib/report-meta'
import { metricColumns } from './metric-columns'

/** "Mon 12 May 2025" or "12 May 14:00 (+02:00)". */
function bucketText(local: string): string {
  if (local.length <= 10) {
    return new Date(`${local}T00:00:00Z`).toLocaleDateString(undefined, {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    })
  }
  const day = new Date(`${local.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  })
  return `${day} ${local.slice(11, 16)}`
}

/** Figures per local day or hour of the range (every bucket, zero-filled). */
export function SeriesView({
  params,
  interval,
  hidden,
  totals,
  currency,
}: {
  params: ReportParams
  interval: 'day' | 'hour'
  hidden: readonly MetricKey[]
  totals: Overview | undefined
  currency: string | undefined
}) {
  const q = useSeries(params, interval)
  const columns = useMemo<ColumnDef<SeriesBucket, unknown>[]>(
    () => [
      {
        id: 'start',
        accessorFn: (b) => b.start,
        header: interval === 'hour' ? 'Hour' : 'Day',
        cell: ({ row }) => <span className="font-medium">{bucketText(row.original.local)}</span>,
        meta: { className: 'sticky left-0 bg-card', total: 'Total' },
      },
      ...metricColumns<SeriesBucket>(currency, totals),
    ],
    [interval, currency, totals],
  )
  const visibility = useMemo(() => Object.fromEntries(hidden.map((k) => [k, false])), [hidden])
  if (q.isPending) return <TableSkeleton columns={8} />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  if (q.data.buckets.length === 0) {
    return <EmptyState icon={ChartLine} title="No buckets in this range" />
  }
  return (
    <DataTable
      data-testid="report-table"
      columns={columns}
      data={q.data.buckets}
      getRowId={(b) => b.start}
      initialSorting={[{ id: 'start', desc: false }]}
      columnVisibility={visibility}
      showTotals={!!totals}
    />
  )
}
