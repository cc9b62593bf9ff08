import type { ColumnDef } from '@tanstack/react-table'
import {
  formatLanderMetric,
  formatMetric,
  LANDER_METRIC_META,
  type LanderMetricKey,
  METRIC_COLUMNS,
  METRIC_META,
  type MetricKey,
  type ReportMetrics,
} from '@/lib/report-meta'
import { cn } from '@/lib/utils'
import type { LanderFigures } from './lander-metrics.lib'

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

/** Lander visits, LP clicks and LP CTR columns (labels: `LANDER_METRIC_META`), with totals. */
export function landerColumns<T extends LanderFigures>(
  totals: Required<LanderFigures> | undefined,
): ColumnDef<T, unknown>[] {
  return (Object.keys(LANDER_METRIC_META) as LanderMetricKey[]).map(
    (key): ColumnDef<T, unknown> => ({
      id: key,
      accessorFn: (row) => row[key] ?? Number.NEGATIVE_INFINITY,
      header: () => <span title={LANDER_METRIC_META[key].help}>{LANDER_METRIC_META[key].short}</span>,
      cell: ({ row }) => formatLanderMetric(key, row.original[key]),
      sortDescFirst: true,
      meta: { align: 'right', total: totals ? formatLanderMetric(key, totals[key]) : undefined },
    }),
  )
}
