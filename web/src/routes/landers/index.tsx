/**
 * `/landers` — pre-landing pages: the list on the list toolkit
 * (`@/components/common/entity-list`: visits, LP clicks, LP CTR and money per row for the
 * range, status/archive and tag filters, search, tags, notes, row ⋮ menu, bulk
 * pause/resume/archive/unarchive/tag), `/landers/new` and `/landers/:id` (form), delete with
 * confirmation.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { ArrowLeft, FileText, Pencil, Plus, Trash2 } from 'lucide-react'
import { useMemo, useState } from 'react'
import { Link, Route, Routes, useNavigate, useParams } from 'react-router'
import {
  BulkBar,
  EntityListCard,
  EntityTable,
  ListToolbar,
  NoteIcon,
  PAUSABLE_STATUSES,
  type RowAction,
  statsColumns,
  TagBadges,
  tagsOf,
  useEntityListState,
  useListActions,
} from '@/components/common/entity-list'
import { WithHistoryTab } from '@/components/common/history-panel'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl } from '@/components/common/report-controls'
import { QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import {
  type Lander,
  useCreateLander,
  useDeleteLander,
  useLander,
  useUpdateLander,
} from '@/hooks/api/landers'
import { type ListFields, useEntityList, useListStats } from '@/hooks/api/lists'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { errorMessage } from '@/lib/api'
import { ConfirmDialog, StatusBadge } from '../campaigns/components/shared'
import { LanderForm } from './components/lander-form'

type Row = Lander & ListFields

function LanderList() {
  const navigate = useNavigate()
  const list = useEntityListState()
  const [report, setReport] = useReportUrlState({ preset: 'today' })
  const landers = useEntityList<Row>('landers', list.params)
  const stats = useListStats('landers', { ...report.range, tz: report.tz })
  const remove = useDeleteLander()
  const [deleting, setDeleting] = useState<Lander | null>(null)
  const [seenTags, setSeenTags] = useState<string[]>([])
  const tags = useMemo(
    () => [...new Set([...seenTags, ...tagsOf(landers.data?.items)])],
    [landers.data, seenTags],
  )
  if (tags.length !== seenTags.length) setSeenTags(tags)
  const actions = useListActions('landers', list, { noun: 'lander', pausable: true, tags })
  const statsMap = stats.data
  const columns = useMemo<ColumnDef<Row, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Lander',
        cell: ({ row }) => (
          <div className="grid min-w-40 max-w-56 gap-0.5 sm:max-w-80">
            <span className="flex min-w-0 items-center gap-1.5">
              <Link
                to={row.original.id}
                className="truncate font-medium hover:underline"
                title={row.original.name}
              >
                {row.original.name}
              </Link>
              <NoteIcon notes={row.original.notes} />
            </span>
            <p className="truncate font-mono text-xs text-muted-foreground" title={row.original.url}>
              {row.original.url}
            </p>
            <TagBadges tags={row.original.tags} onPick={list.setTag} />
          </div>
        ),
      },
      {
        accessorKey: 'status',
        header: 'Status',
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
      ...statsColumns<Row>((l) => statsMap?.get(l.id), { loading: stats.isPending, landers: true }),
    ],
    [statsMap, stats.isPending, list.setTag],
  )
  const rowActions = (l: Row): RowAction[] => [
    { label: 'Edit', icon: Pencil, onSelect: () => navigate(l.id) },
    ...actions.statusActions(l),
    { label: 'Delete', icon: Trash2, destructive: true, onSelect: () => setDeleting(l) },
  ]
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New lander
      </Link>
    </Button>
  )
  return (
    <div className="flex min-w-0 flex-col gap-6">
      <PageHeader
        title="Landers"
        description="Pages you host that visitors see before the offer; their button leads to one of the stream's offers."
        actions={newButton}
      />
      <EntityListCard
        query={landers}
        list={list}
        icon={FileText}
        toolbar={
          <ListToolbar
            list={list}
            searchPlaceholder="Search landers"
            statuses={PAUSABLE_STATUSES}
            tags={tags}
          >
            <DateRangeControl state={report} onChange={setReport} className="sm:ml-auto" />
          </ListToolbar>
        }
        bulkBar={<BulkBar list={list} actions={actions.bulkActions} pending={actions.pending} />}
        noMatch={{ title: 'No matches', description: 'No lander matches these filters.' }}
        archivedEmpty={{ title: 'No archived landers', description: 'Landers you archive are kept here.' }}
        empty={{
          title: 'No landers yet',
          description: "Add your pre-landing pages, then put them in a campaign's streams before the offers.",
          action: newButton,
        }}
      >
        {(rows) => (
          <EntityTable
            rows={rows}
            columns={columns}
            list={list}
            actions={rowActions}
            testId="landers-table"
            rowTestId="lander-row"
          />
        )}
      </EntityListCard>
      {actions.promptDialog}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name}”?`}
        description="It is removed from every stream that uses it; those visitors go straight to the offer. Past clicks keep their data. Archive it instead to keep it."
        confirmLabel="Delete lander"
        pending={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Lander “${deleting.name}” deleted`)
              setDeleting(null)
            },
            onError: (e) => toast.error(errorMessage(e)),
          })
        }
      />
    </div>
  )
}

function BackLink() {
  return (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to="/landers">
        <ArrowLeft /> Landers
      </Link>
    </Button>
  )
}

function NewLander() {
  const navigate = useNavigate()
  const create = useCreateLander()
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <PageHeader title="New lander" />
      <LanderForm
        submitLabel="Create lander"
        onCancel={() => navigate('/landers')}
        onSubmit={async (body) => {
          const l = await create.mutateAsync(body)
          toast.success(`Lander “${l.name}” created`)
          navigate('/landers')
        }}
      />
    </div>
  )
}

function EditLander() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const lander = useLander(id)
  const update = useUpdateLander(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <PageHeader title={lander.data?.name ?? 'Lander'} description="Edit the lander." />
      <WithHistoryTab objectType="lander" objectId={id}>
        <QueryStates
          query={lander}
          pending={
            <Card className="p-6">
              <Skeleton className="h-64 w-full" />
            </Card>
          }
          card
        >
          {(l) => (
            <LanderForm
              key={l.updated_at}
              lander={l}
              submitLabel="Save changes"
              onCancel={() => navigate('/landers')}
              onSubmit={async (body) => {
                await update.mutateAsync(body)
                toast.success('Lander saved')
                navigate('/landers')
              }}
            />
          )}
        </QueryStates>
      </WithHistoryTab>
    </div>
  )
}

export function Component() {
  return (
    <Routes>
      <Route index element={<LanderList />} />
      <Route path="new" element={<NewLander />} />
      <Route path=":id" element={<EditLander />} />
    </Routes>
  )
}
