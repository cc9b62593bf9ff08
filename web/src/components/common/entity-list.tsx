/**
 * The list toolkit of the daily-work list pages (campaigns, offers, landers, sources, networks): list state (search, status incl. the archive view, tag, extra filters,
 * paging, checked rows), a toolbar, a sortable table with row checkboxes, a select-all and a
 * row actions menu whose column stays on screen at phone widths, a bulk action bar that
 * appears while rows are checked, a prompt dialog for bulk actions that need a value, tags as
 * badges, notes as an icon, and the stats columns (clicks … ROI) of a date range.
 *
 * At 390 px the table scrolls inside its card (never the page) and the actions column is
 * sticky on the right, so every row's actions are reachable without scrolling.
 */
import * as Popover from '@radix-ui/react-popover'
import type { UseQueryResult } from '@tanstack/react-query'
import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table'
import {
  Archive,
  ArchiveRestore,
  ArrowDown,
  ArrowUp,
  ArrowUpDown,
  EllipsisVertical,
  Pause,
  Play,
  Search,
  StickyNote,
  Tag,
  X,
} from 'lucide-react'
import type * as React from 'react'
import { useDeferredValue, useId, useMemo, useRef, useState } from 'react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type BulkBody,
  type ListFields,
  type ListFilterParams,
  type ListKind,
  type RowStats,
  useBulkAction,
} from '@/hooks/api/lists'
import { errorMessage } from '@/lib/api'
import { formatInt, formatMoney, formatPercent } from '@/lib/format'
import { cn } from '@/lib/utils'
import { Pager } from './list'
import { EmptyState, QueryStates } from './states'

/** Rows per page of the list pages (stats are sorted client-side within the page). */
export const ENTITY_PAGE_SIZE = 100

/**
 * The state of one list page: search (sent deferred), status (`''` = everything not
 * archived, `'archived'` = the archive view, `'all'`), tag, extra filters (campaigns: group,
 * source), offset and the checked row ids. Changing a filter resets the page and the checks.
 */
export function useEntityListState(limit: number = ENTITY_PAGE_SIZE) {
  const [q, setQRaw] = useState('')
  const [status, setStatusRaw] = useState('')
  const [tag, setTagRaw] = useState('')
  const [extra, setExtraRaw] = useState<Record<string, string | undefined>>({})
  const [offset, setOffsetRaw] = useState(0)
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set())
  const deferredQ = useDeferredValue(q.trim())
  const reset = () => {
    setOffsetRaw(0)
    setChecked(new Set())
  }
  const params: ListFilterParams = {
    limit,
    offset,
    ...(deferredQ ? { q: deferredQ } : {}),
    ...(status ? { status } : {}),
    ...(tag ? { tag } : {}),
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  }
  return {
    q,
    status,
    tag,
    extra,
    offset,
    checked,
    params,
    filtered: Boolean(deferredQ || tag || Object.values(extra).some((v) => v !== undefined)),
    setQ: (v: string) => {
      setQRaw(v)
      reset()
    },
    setStatus: (v: string) => {
      setStatusRaw(v)
      reset()
    },
    setTag: (v: string) => {
      setTagRaw(v)
      reset()
    },
    /** Sets one extra filter (`undefined` removes it). */
    setExtra: (key: string, v: string | undefined) => {
      setExtraRaw((e) => ({ ...e, [key]: v }))
      reset()
    },
    setOffset: (v: number) => {
      setOffsetRaw(v)
      setChecked(new Set())
    },
    setChecked,
  }
}

/** What {@link useEntityListState} returns. */
export type EntityListState = ReturnType<typeof useEntityListState>

/** An entry of a status filter: `''` is the default view (not archived). */
export interface StatusOption {
  value: string
  label: string
}

/** Status views of campaigns and offers. */
export const PAUSABLE_STATUSES: StatusOption[] = [
  { value: '', label: 'Active & paused' },
  { value: 'active', label: 'Active' },
  { value: 'paused', label: 'Paused' },
  { value: 'archived', label: 'Archived' },
  { value: 'all', label: 'All' },
]
/** Status views of sources and networks. */
export const ARCHIVE_STATUSES: StatusOption[] = [
  { value: '', label: 'Active' },
  { value: 'archived', label: 'Archived' },
  { value: 'all', label: 'All' },
]

/** Search box, status and tag filters, then `children` (extra filters, the date range). */
export function ListToolbar({
  list,
  searchPlaceholder,
  statuses,
  tags,
  children,
}: {
  list: EntityListState
  searchPlaceholder: string
  statuses: StatusOption[]
  /** Tags offered by the tag filter (the selected one is always offered). */
  tags: string[]
  children?: React.ReactNode
}) {
  const tagOptions = [...new Set([...tags, ...(list.tag ? [list.tag] : [])])].sort((a, b) =>
    a.localeCompare(b),
  )
  return (
    <div className="flex flex-wrap items-center gap-2 border-b px-4 pt-1 pb-3" data-testid="list-toolbar">
      <div className="relative w-full sm:w-56">
        <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
        <Input
          type="search"
          aria-label={searchPlaceholder}
          placeholder={searchPlaceholder}
          value={list.q}
          onChange={(e) => list.setQ(e.target.value)}
          className="pl-8"
        />
      </div>
      <Select
        aria-label="Status"
        value={list.status}
        onChange={(e) => list.setStatus(e.target.value)}
        className="w-[calc(50%-0.25rem)] sm:w-44"
      >
        {statuses.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </Select>
      <Select
        aria-label="Tag"
        value={list.tag}
        onChange={(e) => list.setTag(e.target.value)}
        className="w-[calc(50%-0.25rem)] sm:w-36"
      >
        <option value="">All tags</option>
        {tagOptions.map((t) => (
          <option key={t} value={t}>
            #{t}
          </option>
        ))}
      </Select>
      {children}
    </div>
  )
}

/** An entry of a row's actions menu. */
export interface RowAction {
  label: string
  icon?: React.ComponentType<{ className?: string }>
  onSelect: () => void
  destructive?: boolean
}

/** The ⋮ menu of one row. */
export function RowActionsMenu({ name, actions }: { name: string; actions: RowAction[] }) {
  const [open, setOpen] = useState(false)
  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Actions for ${name}`} data-testid="row-actions">
          <EllipsisVertical />
        </Button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          align="end"
          sideOffset={4}
          role="menu"
          className="z-50 min-w-40 rounded-md border bg-popover p-1 text-popover-foreground shadow-md"
        >
          {actions.map((a) => (
            <button
              key={a.label}
              type="button"
              role="menuitem"
              onClick={() => {
                setOpen(false)
                a.onSelect()
              }}
              className={cn(
                'flex w-full items-center gap-2 rounded-sm px-2 py-1.5 text-left text-sm outline-none hover:bg-accent focus-visible:bg-accent [&_svg]:size-4',
                a.destructive && 'text-destructive',
              )}
            >
              {a.icon && <a.icon />}
              {a.label}
            </button>
          ))}
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  )
}

/** A bulk action button of the bar. */
export interface BulkActionDef {
  id: string
  label: string
  icon?: React.ComponentType<{ className?: string }>
  onRun: (ids: string[]) => void
}

/** "N selected" with the bulk actions; shown only while rows are checked. */
export function BulkBar({
  list,
  actions,
  pending,
}: {
  list: EntityListState
  actions: BulkActionDef[]
  pending?: boolean
}) {
  const n = list.checked.size
  if (n === 0) return null
  const ids = [...list.checked]
  return (
    <div
      className="flex flex-wrap items-center gap-2 border-b bg-muted/60 px-4 py-2"
      data-testid="bulk-bar"
      role="toolbar"
      aria-label="Bulk actions"
    >
      <span className="text-sm font-medium tabular-nums">{formatInt(n)} selected</span>
      {pending && <Spinner className="text-muted-foreground" />}
      <div className="flex flex-wrap gap-1">
        {actions.map((a) => (
          <Button key={a.id} variant="outline" size="sm" disabled={pending} onClick={() => a.onRun(ids)}>
            {a.icon && <a.icon />} {a.label}
          </Button>
        ))}
      </div>
      <Button variant="ghost" size="sm" className="ml-auto" onClick={() => list.setChecked(new Set())}>
        <X /> Clear
      </Button>
    </div>
  )
}

/** A value asked before a bulk action (group name, source, tag). */
export interface PromptSpec {
  title: string
  description?: string
  label: string
  /** Free text (with suggestions) or one of `options`. */
  options?: { value: string; label: string }[]
  suggestions?: string[]
  /** Empty text allowed (e.g. "no group"). */
  allowEmpty?: boolean
  submitLabel: string
  onSubmit: (value: string) => Promise<unknown>
}

/** The dialog of a {@link PromptSpec}; `null` = closed. */
export function PromptDialog({ spec, onClose }: { spec: PromptSpec | null; onClose: () => void }) {
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const fieldId = useId()
  const key = spec?.title ?? ''
  const [lastKey, setLastKey] = useState(key)
  if (key !== lastKey) {
    setLastKey(key)
    setValue(spec?.options?.[0]?.value ?? '')
  }
  const ok = spec && (spec.allowEmpty || value.trim() !== '')
  const submit = async (e: React.FormEvent) => {
    e.preventDefault()
    if (!spec || !ok) return
    setBusy(true)
    try {
      await spec.onSubmit(value.trim())
      onClose()
    } finally {
      setBusy(false)
    }
  }
  return (
    <Dialog open={spec !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="prompt-dialog">
        <form onSubmit={submit} className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{spec?.title}</DialogTitle>
            {spec?.description && <DialogDescription>{spec.description}</DialogDescription>}
          </DialogHeader>
          <div className="grid gap-1.5">
            <Label htmlFor={fieldId}>{spec?.label}</Label>
            {spec?.options ? (
              <Select id={fieldId} value={value} onChange={(e) => setValue(e.target.value)}>
                {spec.options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </Select>
            ) : (
              <>
                <Input
                  id={fieldId}
                  value={value}
                  onChange={(e) => setValue(e.target.value)}
                  maxLength={60}
                  list={`${fieldId}-suggestions`}
                  autoFocus
                />
                <datalist id={`${fieldId}-suggestions`}>
                  {(spec?.suggestions ?? []).map((s) => (
                    <option key={s} value={s} />
                  ))}
                </datalist>
              </>
            )}
          </div>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={!ok || busy}>
              {busy && <Spinner />} {spec?.submitLabel}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

/** Tags as small badges; clicking one filters the list by it. */
export function TagBadges({ tags, onPick }: { tags: string[] | undefined; onPick?: (tag: string) => void }) {
  if (!tags || tags.length === 0) return null
  return (
    <span className="flex flex-wrap gap-1">
      {tags.map((t) =>
        onPick ? (
          <button key={t} type="button" onClick={() => onPick(t)} title={`Only #${t}`}>
            <Badge variant="outline" className="px-1.5 py-0 text-[11px] font-normal hover:bg-accent">
              #{t}
            </Badge>
          </button>
        ) : (
          <Badge key={t} variant="outline" className="px-1.5 py-0 text-[11px] font-normal">
            #{t}
          </Badge>
        ),
      )}
    </span>
  )
}

/** A note icon whose tooltip (and accessible name) is the note; nothing without a note. */
export function NoteIcon({ notes }: { notes: string | undefined }) {
  if (!notes) return null
  return (
    <span title={notes} className="inline-flex text-muted-foreground" data-testid="row-note">
      <StickyNote className="size-3.5" aria-hidden />
      <span className="sr-only">Note: {notes}</span>
    </span>
  )
}

/** ROI in percent, green when positive, red when negative, "—" without cost. */
export function RoiValue({ roi }: { roi: number | null | undefined }) {
  if (roi === null || roi === undefined) return <span className="text-muted-foreground">—</span>
  return (
    <span className={cn('font-medium', roi > 0 ? 'text-success' : roi < 0 ? 'text-destructive' : '')}>
      {formatPercent(roi)}
    </span>
  )
}

/**
 * The stats columns of a list (clicks, conversions, revenue, cost, profit, ROI; CR from xl
 * up), reading each row's {@link RowStats} through `statsOf`. Sortable; money in the row's
 * currency. With `landers`, clicks are headed "Visits" and followed by LP clicks and LP CTR.
 */
export function statsColumns<T extends ListFields>(
  statsOf: (row: T) => RowStats | undefined,
  opts: { loading?: boolean; landers?: boolean } = {},
): ColumnDef<T, unknown>[] {
  const dash = opts.loading ? '…' : '—'
  const num = (key: keyof RowStats) => (row: T) =>
    (statsOf(row)?.[key] as number | null | undefined) ?? -Infinity
  const money = (key: 'revenue' | 'cost' | 'profit'): ColumnDef<T, unknown> => ({
    id: key,
    header: key[0]!.toUpperCase() + key.slice(1),
    accessorFn: num(key),
    meta: { align: 'right' },
    cell: ({ row }) => {
      const s = statsOf(row.original)
      if (!s) return dash
      return (
        <span className={cn(key === 'profit' && s.profit < 0 && 'text-destructive')}>
          {formatMoney(s[key], s.currency ?? undefined)}
        </span>
      )
    },
  })
  const landerColumns: ColumnDef<T, unknown>[] = opts.landers
    ? [
        {
          id: 'lp_clicks',
          header: 'LP clicks',
          accessorFn: num('lp_clicks'),
          meta: { align: 'right' },
          cell: ({ row }) => {
            const s = statsOf(row.original)
            return s ? formatInt(s.lp_clicks ?? 0) : dash
          },
        },
        {
          id: 'lp_ctr',
          header: 'LP CTR',
          accessorFn: num('lp_ctr'),
          meta: { align: 'right' },
          cell: ({ row }) => {
            const s = statsOf(row.original)
            return s ? formatPercent(s.lp_ctr ?? null) : dash
          },
        },
      ]
    : []
  return [
    {
      id: 'clicks',
      header: opts.landers ? 'Visits' : 'Clicks',
      accessorFn: num('clicks'),
      meta: { align: 'right' },
      cell: ({ row }) => {
        const s = statsOf(row.original)
        return s ? formatInt(s.clicks) : dash
      },
    },
    ...landerColumns,
    {
      id: 'conversions',
      header: 'Conv.',
      accessorFn: num('conversions'),
      meta: { align: 'right' },
      cell: ({ row }) => {
        const s = statsOf(row.original)
        return s ? formatInt(s.conversions) : dash
      },
    },
    money('revenue'),
    money('cost'),
    money('profit'),
    {
      id: 'roi',
      header: 'ROI',
      accessorFn: num('roi'),
      meta: { align: 'right' },
      cell: ({ row }) => {
        const s = statsOf(row.original)
        return s ? <RoiValue roi={s.roi} /> : dash
      },
    },
    {
      id: 'cr',
      header: 'CR',
      accessorFn: num('cr'),
      meta: { align: 'right', className: 'hidden xl:table-cell' },
      cell: ({ row }) => {
        const s = statsOf(row.original)
        return s ? formatPercent(s.cr) : dash
      },
    },
  ]
}

/**
 * A sortable table of list rows with a checkbox per row, a select-all of the page and the
 * row actions menu in a column that sticks to the right edge. The table carries
 * `data-testid="<testId>"`, each row `data-testid="<rowTestId>"`.
 */
export function EntityTable<T extends ListFields>({
  rows,
  columns,
  list,
  actions,
  testId,
  rowTestId,
}: {
  rows: T[]
  columns: ColumnDef<T, unknown>[]
  list: EntityListState
  actions: (row: T) => RowAction[]
  testId: string
  rowTestId: string
}) {
  const [sorting, setSorting] = useState<SortingState>([])
  // The table renders each `cell` function as a component: a new function is a new component
  // type, which remounts the cell (closing an open ⋮ menu). So the select and actions columns
  // are made once and read the current rows, checks and actions from this ref.
  const latest = useRef({ rows, list, actions })
  latest.current = { rows, list, actions }
  const edges = useMemo<{ select: ColumnDef<T, unknown>; actions: ColumnDef<T, unknown> }>(
    () => ({
      select: {
        id: 'select',
        enableSorting: false,
        header: () => {
          const { rows, list } = latest.current
          const n = rows.filter((r) => list.checked.has(r.id)).length
          return (
            <input
              type="checkbox"
              aria-label="Select all"
              className="size-4 accent-primary"
              checked={rows.length > 0 && n === rows.length}
              ref={(el) => {
                if (el) el.indeterminate = n > 0 && n < rows.length
              }}
              onChange={(e) => list.setChecked(new Set(e.target.checked ? rows.map((r) => r.id) : []))}
            />
          )
        },
        cell: ({ row }) => {
          const { list } = latest.current
          return (
            <input
              type="checkbox"
              aria-label={`Select ${row.original.name}`}
              className="size-4 accent-primary"
              checked={list.checked.has(row.original.id)}
              onChange={(e) => {
                const next = new Set(list.checked)
                if (e.target.checked) next.add(row.original.id)
                else next.delete(row.original.id)
                list.setChecked(next)
              }}
            />
          )
        },
        meta: { className: 'w-8 pr-0' },
      },
      actions: {
        id: 'actions',
        enableSorting: false,
        header: () => <span className="sr-only">Actions</span>,
        cell: ({ row }) => (
          <RowActionsMenu name={row.original.name} actions={latest.current.actions(row.original)} />
        ),
        meta: {
          align: 'right',
          className:
            'sticky right-0 w-10 bg-card px-1 shadow-[-6px_0_6px_-6px_rgb(0_0_0/0.15)] group-hover/row:bg-[color-mix(in_oklab,var(--color-muted)_40%,var(--color-card))] group-data-[state=selected]/row:bg-muted',
        },
      },
    }),
    [],
  )
  const all = useMemo(() => [edges.select, ...columns, edges.actions], [edges, columns])
  // TanStack caches each row's accessor values until `data` changes; columns that read
  // outside data (stats, source names) arrive later, so a new column set means new rows.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `all` is the reason to copy
  const data = useMemo(() => [...rows], [rows, all])
  const table = useReactTable({
    data,
    columns: all,
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getRowId: (r) => r.id,
    sortDescFirst: true,
  })
  return (
    <Table data-testid={testId}>
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
                  className={cn(right && 'text-right', 'whitespace-nowrap', meta?.className)}
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
          <TableRow
            key={row.id}
            data-testid={rowTestId}
            data-state={list.checked.has(row.original.id) ? 'selected' : undefined}
            className="group/row"
          >
            {row.getVisibleCells().map((cell) => {
              const meta = cell.column.columnDef.meta
              return (
                <TableCell
                  key={cell.id}
                  className={cn(
                    meta?.align === 'right' && 'text-right tabular-nums whitespace-nowrap',
                    meta?.className,
                  )}
                >
                  {flexRender(cell.column.columnDef.cell, cell.getContext())}
                </TableCell>
              )
            })}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  )
}

/**
 * The card of a list page: toolbar, bulk bar, then the query's loading, error, "no matches"
 * or "nothing yet" state, or the table (`children`) and the pager.
 */
export function EntityListCard<T extends ListFields>({
  query,
  list,
  toolbar,
  bulkBar,
  icon,
  empty,
  noMatch,
  archivedEmpty,
  children,
}: {
  query: UseQueryResult<{ items: T[]; total: number }>
  list: EntityListState
  toolbar: React.ReactNode
  bulkBar?: React.ReactNode
  icon: React.ComponentType<{ className?: string }>
  empty: { title: string; description: string; action?: React.ReactNode }
  noMatch: { title: string; description: string }
  archivedEmpty?: { title: string; description: string }
  children: (items: T[]) => React.ReactNode
}) {
  const items = query.data?.items ?? []
  const emptyProps =
    list.status === 'archived'
      ? (archivedEmpty ?? { title: 'Nothing archived', description: 'Archived rows appear here.' })
      : list.filtered || list.status
        ? noMatch
        : empty
  return (
    <Card className="min-w-0 gap-0 py-2">
      {toolbar}
      {bulkBar}
      <QueryStates
        query={query}
        skeleton={{ rows: 4, columns: 6 }}
        isEmpty={items.length === 0}
        empty={<EmptyState icon={icon} {...emptyProps} />}
      >
        {(data) => (
          <>
            {children(data.items)}
            <Pager
              offset={list.offset}
              limit={list.params.limit ?? ENTITY_PAGE_SIZE}
              total={data.total}
              onOffset={list.setOffset}
            />
          </>
        )}
      </QueryStates>
    </Card>
  )
}

/** Distinct tags of the rows (for the tag filter). */
export function tagsOf(rows: readonly ListFields[] | undefined): string[] {
  return [...new Set((rows ?? []).flatMap((r) => r.tags ?? []))]
}

const DONE: Record<BulkBody['action'], string> = {
  pause: 'paused',
  resume: 'resumed',
  archive: 'archived',
  unarchive: 'restored',
  move_to_group: 'moved',
  set_source: 'updated',
  add_tags: 'tagged',
  remove_tags: 'untagged',
}

/**
 * The status and tag actions every list has, over `POST /{list}/bulk`: `run` (toast, then
 * clears the checks), the bulk bar's actions (pause/resume when `pausable`, archive — or
 * unarchive in the archive view — and add tag, which asks for the tag), a row's status
 * actions for its menu, and the prompt dialog to render once.
 * @param noun singular row name for messages ("offer", "source").
 */
export function useListActions(
  kind: ListKind,
  list: EntityListState,
  opts: { noun: string; pausable: boolean; tags: string[] },
) {
  const bulk = useBulkAction(kind)
  const [prompt, setPrompt] = useState<PromptSpec | null>(null)
  const plural = (n: number) => `${n} ${opts.noun}${n === 1 ? '' : 's'}`
  const run = (body: BulkBody) =>
    bulk.mutateAsync(body).then(
      (r) => {
        toast.success(`${plural(r.updated)} ${DONE[body.action]}`)
        list.setChecked(new Set())
      },
      (e) => {
        toast.error(errorMessage(e))
      },
    )
  const bulkActions: BulkActionDef[] = [
    ...(opts.pausable
      ? [
          {
            id: 'pause',
            label: 'Pause',
            icon: Pause,
            onRun: (ids: string[]) => void run({ ids, action: 'pause' }),
          },
          {
            id: 'resume',
            label: 'Resume',
            icon: Play,
            onRun: (ids: string[]) => void run({ ids, action: 'resume' }),
          },
        ]
      : []),
    list.status === 'archived'
      ? {
          id: 'unarchive',
          label: 'Unarchive',
          icon: ArchiveRestore,
          onRun: (ids) => void run({ ids, action: 'unarchive' }),
        }
      : {
          id: 'archive',
          label: 'Archive',
          icon: Archive,
          onRun: (ids) => void run({ ids, action: 'archive' }),
        },
    {
      id: 'tag',
      label: 'Add tag',
      icon: Tag,
      onRun: (ids) =>
        setPrompt({
          title: `Tag ${plural(ids.length)}`,
          label: 'Tag',
          suggestions: opts.tags,
          submitLabel: 'Add tag',
          onSubmit: (t) => run({ ids, action: 'add_tags', tags: [t] }),
        }),
    },
  ]
  /** Pause/resume (when pausable) and archive/unarchive of one row. */
  const statusActions = (row: ListFields): RowAction[] =>
    row.status === 'archived'
      ? [
          {
            label: 'Unarchive',
            icon: ArchiveRestore,
            onSelect: () => void run({ ids: [row.id], action: 'unarchive' }),
          },
        ]
      : [
          ...(opts.pausable
            ? [
                row.status === 'paused'
                  ? {
                      label: 'Resume',
                      icon: Play,
                      onSelect: () => void run({ ids: [row.id], action: 'resume' }),
                    }
                  : {
                      label: 'Pause',
                      icon: Pause,
                      onSelect: () => void run({ ids: [row.id], action: 'pause' }),
                    },
              ]
            : []),
          { label: 'Archive', icon: Archive, onSelect: () => void run({ ids: [row.id], action: 'archive' }) },
        ]
  return {
    run,
    pending: bulk.isPending,
    bulkActions,
    statusActions,
    setPrompt,
    promptDialog: <PromptDialog spec={prompt} onClose={() => setPrompt(null)} />,
  }
}
