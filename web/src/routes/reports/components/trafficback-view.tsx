import type { ColumnDef } from '@tanstack/react-table'
import { Undo2 } from 'lucide-react'
import { useMemo } from 'react'
import { DataTable } from '@/components/common/data-table'
import { EmptyState, ErrorState, TableSkeleton } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { type ReportParams, type TrafficbackRow, useTrafficback } from '@/hooks/api/reports'
import { useNames } from '@/hooks/use-names'
import { formatInt } from '@/lib/format'

const TARGET: Record<string, string> = {
  url: 'URL',
  campaign: 'Campaign',
  none: 'None (404)',
  loop: 'Hop limit (404)',
}

/** Requests no stream or destination could take, by reason and where they went. */
export function TrafficbackView({ params }: { params: ReportParams }) {
  const q = useTrafficback(params)
  const { nameOf } = useNames(['campaign'])
  const columns = useMemo<ColumnDef<TrafficbackRow, unknown>[]>(
    () => [
      {
        id: 'reason',
        accessorKey: 'reason',
        header: 'Reason',
        cell: ({ getValue }) => <span className="font-medium">{String(getValue())}</span>,
      },
      {
        id: 'target_type',
        accessorKey: 'target_type',
        header: 'Went to',
        cell: ({ getValue }) => {
          const t = String(getValue())
          return (
            <Badge variant={t === 'none' || t === 'loop' ? 'destructive' : 'secondary'}>
              {TARGET[t] ?? t}
            </Badge>
          )
        },
      },
      {
        id: 'target',
        accessorFn: (r) => (r.target_type === 'campaign' ? nameOf('campaign', r.target) : r.target),
        header: 'Target',
        cell: ({ getValue }) => <span className="block max-w-72 truncate">{String(getValue() || '—')}</span>,
      },
      {
        id: 'requests',
        accessorKey: 'requests',
        header: 'Requests',
        cell: ({ getValue }) => formatInt(Number(getValue())),
        sortDescFirst: true,
        meta: { align: 'right' },
      },
      {
        id: 'bots',
        accessorKey: 'bots',
        header: 'Bots',
        cell: ({ getValue }) => formatInt(Number(getValue())),
        sortDescFirst: true,
        meta: { align: 'right' },
      },
      {
        id: 'campaigns',
        accessorKey: 'campaigns',
        header: 'Campaigns',
        cell: ({ getValue }) => formatInt(Number(getValue())),
        sortDescFirst: true,
        meta: { align: 'right' },
      },
    ],
    [nameOf],
  )
  if (q.isPending) return <TableSkeleton columns={6} />
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />
  if (q.data.rows.length === 0) {
    return (
      <EmptyState
        icon={Undo2}
        title="No trafficback in this range"
        description="Every request found a stream and an available destination."
      />
    )
  }
  return (
    <DataTable
      data-testid="report-table"
      columns={columns}
      data={q.data.rows}
      initialSorting={[{ id: 'requests', desc: true }]}
    />
  )
}
