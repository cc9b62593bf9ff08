/**
 * `/sources` — traffic sources: the list on the list toolkit (`@/components/common/entity-list`:
 * today's figures per row, archive view, tags, notes, bulk archive/tag; the row actions menu
 * stays on screen at phone widths); create/edit in a dialog (cost model,
 * default cost, currency, click ID parameter, outbound postback URL template with macro
 * hints); delete after confirmation.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { Pencil, Plus, Trash2, Waypoints } from 'lucide-react'
import { useMemo, useState } from 'react'
import {
  ARCHIVE_STATUSES,
  BulkBar,
  EntityListCard,
  EntityTable,
  ListToolbar,
  NoteIcon,
  type RowAction,
  statsColumns,
  TagBadges,
  tagsOf,
  useEntityListState,
  useListActions,
} from '@/components/common/entity-list'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl } from '@/components/common/report-controls'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { type ListFields, useEntityList, useListStats } from '@/hooks/api/lists'
import { type Source, useDeleteSource } from '@/hooks/api/sources'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { errorMessage } from '@/lib/api'
import { formatMoney, formatRelative } from '@/lib/format'
import { StatusBadge } from '../campaigns/components/shared'
import { SourceFormDialog } from './components/source-form'

const COST_LABEL = { cpc: 'CPC', cpm: 'CPM', none: 'None' } as const

function DeleteDialog({ source, onClose }: { source: Source | null; onClose: () => void }) {
  const del = useDeleteSource()
  const confirm = () => {
    if (!source) return
    del.mutate(source.id, {
      onSuccess: () => {
        toast.success(`Source “${source.name}” deleted`)
        onClose()
      },
      onError: (e) => toast.error(errorMessage(e)),
    })
  }
  return (
    <Dialog open={source !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="source-delete">
        <DialogHeader>
          <DialogTitle>Delete “{source?.name}”?</DialogTitle>
          <DialogDescription>
            Campaigns using this source keep running without one; its clicks stay in the reports.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="destructive" onClick={confirm} disabled={del.isPending}>
            {del.isPending && <Spinner />} Delete source
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

type Row = Source & ListFields

export function Component() {
  const list = useEntityListState()
  const [report, setReport] = useReportUrlState({ preset: 'today' })
  const sources = useEntityList<Row>('sources', list.params)
  const stats = useListStats('sources', { ...report.range, tz: report.tz })
  const [editing, setEditing] = useState<Source | null>(null)
  const [formOpen, setFormOpen] = useState(false)
  const [deleting, setDeleting] = useState<Source | null>(null)
  const [seenTags, setSeenTags] = useState<string[]>([])
  const tags = useMemo(
    () => [...new Set([...seenTags, ...tagsOf(sources.data?.items)])],
    [sources.data, seenTags],
  )
  if (tags.length !== seenTags.length) setSeenTags(tags)
  const actions = useListActions('sources', list, { noun: 'source', pausable: false, tags })
  const openForm = (s: Source | null) => {
    setEditing(s)
    setFormOpen(true)
  }
  const statsMap = stats.data
  const columns = useMemo<ColumnDef<Row, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Source',
        cell: ({ row }) => (
          <div className="grid min-w-36 max-w-56 gap-0.5 sm:max-w-72">
            <span className="flex min-w-0 items-center gap-1.5">
              <button
                type="button"
                className="truncate text-left font-medium hover:underline"
                title={row.original.name}
                onClick={() => openForm(row.original)}
              >
                {row.original.name}
              </button>
              <NoteIcon notes={row.original.notes} />
              {row.original.status === 'archived' && <StatusBadge status="archived" />}
            </span>
            <TagBadges tags={row.original.tags} onPick={list.setTag} />
          </div>
        ),
      },
      {
        id: 'cost_model',
        header: 'Cost',
        accessorFn: (s) => s.default_cost_micros ?? 0,
        cell: ({ row }) => {
          const s = row.original
          return (
            <span className="whitespace-nowrap tabular-nums">
              {s.cost_model && s.cost_model !== 'none' ? (
                <>
                  <Badge variant="outline" className="mr-2">
                    {COST_LABEL[s.cost_model]}
                  </Badge>
                  {formatMoney((s.default_cost_micros ?? 0) / 1_000_000, s.currency)}
                </>
              ) : (
                <span className="text-muted-foreground">None</span>
              )}
            </span>
          )
        },
      },
      ...statsColumns<Row>((s) => statsMap?.get(s.id), { loading: stats.isPending }),
      {
        accessorKey: 'postback_url',
        header: 'Postback',
        enableSorting: false,
        meta: { className: 'hidden xl:table-cell' },
        cell: ({ row }) => (
          <span
            className="block max-w-64 truncate font-mono text-xs text-muted-foreground"
            title={row.original.postback_url ?? ''}
          >
            {row.original.postback_url || '—'}
          </span>
        ),
      },
      {
        accessorKey: 'updated_at',
        header: 'Updated',
        meta: { className: 'hidden lg:table-cell' },
        cell: ({ row }) => (
          <span className="whitespace-nowrap text-muted-foreground">
            {formatRelative(row.original.updated_at)}
          </span>
        ),
      },
    ],
    // biome-ignore lint/correctness/useExhaustiveDependencies: openForm only sets state
    [statsMap, stats.isPending, list.setTag, openForm],
  )
  const rowActions = (s: Row): RowAction[] => [
    { label: 'Edit', icon: Pencil, onSelect: () => openForm(s) },
    ...actions.statusActions(s),
    { label: 'Delete', icon: Trash2, destructive: true, onSelect: () => setDeleting(s) },
  ]
  const newButton = (
    <Button onClick={() => openForm(null)}>
      <Plus /> New source
    </Button>
  )
  return (
    <div className="flex min-w-0 flex-col gap-6">
      <PageHeader
        title="Traffic sources"
        description="Where your clicks come from, what they cost, and where conversions are reported back."
        actions={newButton}
      />
      <EntityListCard
        query={sources}
        list={list}
        icon={Waypoints}
        toolbar={
          <ListToolbar list={list} searchPlaceholder="Search sources" statuses={ARCHIVE_STATUSES} tags={tags}>
            <DateRangeControl state={report} onChange={setReport} className="sm:ml-auto" />
          </ListToolbar>
        }
        bulkBar={<BulkBar list={list} actions={actions.bulkActions} pending={actions.pending} />}
        noMatch={{
          title: 'No source matches',
          description: 'Try another part of the name or another filter.',
        }}
        archivedEmpty={{ title: 'No archived sources', description: 'Sources you archive are kept here.' }}
        empty={{
          title: 'No traffic sources yet',
          description:
            'Add the ad networks and publishers you buy traffic from, with their cost and postback URL.',
          action: newButton,
        }}
      >
        {(rows) => (
          <EntityTable
            rows={rows}
            columns={columns}
            list={list}
            actions={rowActions}
            testId="sources-table"
            rowTestId="source-row"
          />
        )}
      </EntityListCard>
      {actions.promptDialog}
      <SourceFormDialog open={formOpen} source={editing} onOpenChange={setFormOpen} />
      <DeleteDialog source={deleting} onClose={() => setDeleting(null)} />
    </div>
  )
}
