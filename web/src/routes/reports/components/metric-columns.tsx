import type { ColumnDef } from '@tanstack/react-table'
import {
  formatMetric,
  METRIC_COLUMNS,
  METRIC_META,
  type MetricKey,
  type ReportMetrics,
} from '@/lib/report-meta'
import { cn } from '@/lib/utils'

/** Metrics hidden until the user picks them (the status nets are for specialists). */
export const DEFAULT_HIDDEN: MetricKey[] = ['leads', 'sales', 'rejected', 'rebills']

/** One right-aligned, sortable column per metric, with the totals row's figure. */
export function metricColumns<T extends ReportMetrics>(
  currency: string | undefined,
  totals: ReportMetrics | undefined,
): ColumnDef<T, unknown>[] {
  return METRIC_COLUMNS.map(
    (key): ColumnDef<T, unknown> => ({
      id: key,
      accessorFn: (row) => row[key] ?? Number.NEGATIVE_INFINITY,
      header: () => <span title={METRIC_META[key].help}>{METRIC_META[key].short}</span>,
      cell: ({ row }) => {
        const v = row.original[key]
        return (
          <span
            className={cn(
              (key === 'profit' || key === 'roi') && v !== null && v > 0 && 'text-success',
              (key === 'profit' || key === 'roi') && v !== null && v < 0 && 'text-destructive',
            )}
          >
            {formatMetric(key, v, currency)}
          </span>
        )
      },
      sortDescFirst: true,
      meta: { align: 'right', total: totals ? formatMetric(key, totals[key], currency) : undefined },
    }),
  )
}
