/**
 * A sortable table over TanStack Table with the shadcn table look. Columns are TanStack
 * `ColumnDef`s; `meta.align: 'right'` right-aligns figures. Click a header to sort (again
 * to reverse); sorting is client-side over the rows given.
 */
import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  type SortingState,
  useReactTable,
  type VisibilityState,
} from '@tanstack/react-table'
import { ArrowDown, ArrowUp, ArrowUpDown } from 'lucide-react'
import { useState } from 'react'
import type * as React from 'react'
import {
  Table,
  TableBody,
  TableCell,
  TableFooter,
  TableHead,
  TableHeader,
  TableRow,
} from '@/components/ui/table'
import { cn } from '@/lib/utils'

declare module '@tanstack/react-table' {
  interface ColumnMeta<TData, TValue> {
    align?: 'left' | 'right'
    /** Extra classes of the header and cells (e.g. `hidden sm:table-cell`). */
    className?: string
    /** Footer cell text (totals row). */
    total?: React.ReactNode
  }
}

export interface DataTableProps<T> {
  columns: ColumnDef<T, unknown>[]
  data: T[]
  getRowId?: (row: T, index: number) => string
  initialSorting?: SortingState
  columnVisibility?: VisibilityState
  /** Render a totals row from each column's `meta.total`. */
  showTotals?: boolean
  className?: string
  'data-testid'?: string
}

export function DataTable<T>({
  columns,
  data,
  getRowId,
  initialSorting = [],
  columnVisibility,
  showTotals = false,
  className,
  'data-testid': testId,
}: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>(initialSorting)
  const table = useReactTable({
    data,
    columns,
    state: { sorting, ...(columnVisibility ? { columnVisibility } : {}) },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    ...(getRowId ? { getRowId } : {}),
  })
  return (
    <Table className={className} data-testid={testId}>
      <TableHeader>
        {table.getHeaderGroups().map((hg) => (
          <TableRow key={hg.id} className="hover:bg-transparent">
            {hg.headers.map((h) => {
              const meta = h.column.columnDef.meta
              const sorted = h.column.getIsSorted()
              const right = meta?.align === 'right'
              return (
                <TableHead
                  key={h.id}
                  aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                  className={cn(right && 'text-right', meta?.className)}
                >
                  {h.isPlaceholder ? null : h.column.getCanSort() ? (
                    <button
                      type="button"
                      onClick={h.column.getToggleSortingHandler()}
                      className={cn(
                        'inline-flex items-center gap-1 rounded-sm uppercase hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none',
                        right && 'flex-row-reverse',
                        sorted && 'text-foreground',
                      )}
                    >
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      {sorted === 'asc' ? (
                        <ArrowUp className="size-3" />
                      ) : sorted === 'desc' ? (
                        <ArrowDown className="size-3" />
                      ) : (
                        <ArrowUpDown className="size-3 opacity-40" />
                      )}
                    </button>
                  ) : (
                    flexRender(h.column.columnDef.header, h.getContext())
                  )}
                </TableHead>
              )
            })}
          </TableRow>
        ))}
      </TableHeader>
      <TableBody>
        {table.getRowModel().rows.map((row) => (
          <TableRow key={row.id}>
            {row.getVisibleCells().map((cell) => {
              const meta = cell.column.columnDef.meta
              return (
                <TableCell
                  key={cell.id}
                  className={cn(meta?.align === 'right' && 'text-right tabular-nums', meta?.className)}
                >
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </TableCell>
              )
            })}
          </TableRow>
        ))}
      </TableBody>
      {showTotals && (
        <TableFooter>
          <TableRow className="hover:bg-transparent">
            {table.getVisibleLeafColumns().map((col) => (
              <TableCell
                key={col.id}
                className={cn(
                  col.columnDef.meta?.align === 'right' && 'text-right tabular-nums',
                  col.columnDef.meta?.className,
                  'bg-muted',
                )}
              >
                {col.columnDef.meta?.total ?? null}
              </TableCell>
            ))}
          </TableRow>
        </TableFooter>
      )}
    </Table>
  )
}
