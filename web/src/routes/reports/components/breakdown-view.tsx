import type { ColumnDef } from '@tanstack/react-table'
import { ChartColumn } from 'lucide-react'
import { useMemo } from 'react'
import { DataTable } from '@/components/common/data-table'
import { EmptyState, ErrorState, TableSkeleton } from '@/components/common/states'
import { type BreakdownRow, type Overview, type ReportParams, useBreakdown } from '@/hooks/api/reports'
import { useNames } from '@/hooks/use-names'
import { dimensionLabel, EMPTY_KEY_LABEL, type MetricKey, type ReportDimension } from '@/lib/report-meta'
import { cn } from '@/lib/utils'
import { hasLanderMetrics, landerTotals } from './lander-metrics.lib'
import { landerColumns, metricColumns } from './metric-columns'

/** Rows the API returns at most by default. */
const API_LIMIT = 1000

/**
 * The breakdown table: one or two key columns, then the metrics (and, grouped by lander, the
 * lander visits, LP clicks and LP CTR); click a key to filter by it.
 */
export function BreakdownView({
  params,
  by,
  hidden,
  totals,
  currency,
  onDrill,
}: {
  params: ReportParams
  by: ReportDimension[]
  hidden: readonly MetricKey[]
  totals: Overview | undefined
  currency: string | undefined
  /** Adds a filter `dim = key`. */
  onDrill: (dim: ReportDimension, key: string) => void
}) {
  const q = useBreakdown(params, by)
  const { nameOf } = useNames(by)
  const rows = q.data?.rows
  const withLanders = by.includes('lander') || hasLanderMetrics(rows)
  const columns = useMemo(() => {
    const keyCol = (
      dim: ReportDimension,
      pick: (r: BreakdownRow) => string,
      first: boolean,
    ): ColumnDef<BreakdownRow, unknown> => ({
      id: first ? 'key' : 'key2',
      accessorFn: (r) => nameOf(dim, pick(r)).toLowerCase(),
      header: dimensionLabel(dim),
      cell: ({ row }) => {
        const key = pick(row.original)
        const label = nameOf(dim, key)
        return (
          <button
            type="button"
            onClick={() => onDrill(dim, key)}
            title={`Filter to ${!key || label.includes(key) ? label : `${label} (${key})`}`}
            className={cn(
              'max-w-36 truncate text-left font-medium sm:max-w-64 hover:text-primary hover:underline',
              key === '' && 'italic text-muted-foreground',
            )}
          >
            {key === '' ? EMPTY_KEY_LABEL : label}
          </button>
        )
      },
      meta: { className: 'sticky left-0 bg-card', ...(first ? { total: 'Total' } : {}) },
    })
    const cols: ColumnDef<BreakdownRow, unknown>[] = [keyCol(by[0]!, (r) => r.key, true)]
    if (by[1]) cols.push(keyCol(by[1], (r) => r.key2 ?? '', false))
    const metrics = metricColumns<BreakdownRow>(currency, totals)
    if (withLanders) {
      // Lander visits, LP clicks and LP CTR right after clicks and unique clicks, in view.
      const at = metrics.findIndex((c) => c.id === 'unique_clicks') + 1
      metrics.splice(at, 0, ...landerColumns<BreakdownRow>(totals && rows ? landerTotals(rows) : undefined))
    }
    cols.push(...metrics)
    if (by.length === 1 && by[0] === 'campaign') {
      cols.push({
        id: 'trafficback',
        accessorFn: (r) => r.trafficback ?? 0,
        header: () => <span title="Requests that fell through to trafficback">Trafficback</span>,
        cell: ({ getValue }) => String(getValue()),
        sortDescFirst: true,
        meta: { align: 'right', total: totals?.trafficback?.toString() ?? '' },
      })
    }
    return cols
  }, [by, nameOf, currency, totals, onDrill, withLanders, rows])
  const visibility = useMemo(() => Object.fromEntries(hidden.map((k) => [k, false])), [hidden])

  if (q.isPending) return <TableSkeleton columns={8} />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  if (q.data.rows.length === 0) {
    return (
      <EmptyState
        icon={ChartColumn}
        title="No data for these settings"
        description="Nothing was recorded in this range with these filters. Try a longer range or remove a filter."
      />
    )
  }
  return (
    <>
      <DataTable
        data-testid="report-table"
        columns={columns}
        data={q.data.rows}
        getRowId={(r) => `${r.key}\u0000${r.key2 ?? ''}`}
        initialSorting={[{ id: 'clicks', desc: true }]}
        columnVisibility={visibility}
        showTotals={!!totals}
      />
      {q.data.rows.length >= API_LIMIT && (
        <p className="px-4 pt-3 text-xs text-muted-foreground">
          Showing the top {API_LIMIT} rows by clicks; the CSV has the same rows.
        </p>
      )}
    </>
  )
}
