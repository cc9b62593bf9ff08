/**
 * `/destinations` — offers (the API's destinations): the list on the list toolkit
 * (`@/components/common/entity-list`: today's figures per row, status/archive and tag
 * filters, tags, notes, bulk pause/resume/archive/tag), `/destinations/new` and
 * `/destinations/:id` (create/edit form), delete with confirmation.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { ArrowLeft, Pencil, Plus, Target, Trash2 } from 'lucide-react'
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
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import {
  type Destination,
  useCreateDestination,
  useDeleteDestination,
  useDestination,
  useUpdateDestination,
} from '@/hooks/api/destinations'
import { type ListFields, useEntityList, useListStats } from '@/hooks/api/lists'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { errorMessage } from '@/lib/api'
import { formatMoney, NONE } from '@/lib/format'
import { ConfirmDialog, StatusBadge } from '../campaigns/components/shared'
import { DestinationForm } from './components/destination-form'

function HealthBadge({ health }: { health: Destination['health'] }) {
  if (health === 'healthy') return <Badge variant="success">Healthy</Badge>
  if (health === 'unhealthy') return <Badge variant="destructive">Unhealthy</Badge>
  return <Badge variant="outline">Unknown</Badge>
}

type Row = Destination & ListFields

function OfferList() {
  const navigate = useNavigate()
  const list = useEntityListState()
  const [report, setReport] = useReportUrlState({ preset: 'today' })
  const offers = useEntityList<Row>('offers', list.params)
  const stats = useListStats('offers', { ...report.range, tz: report.tz })
  const remove = useDeleteDestination()
  const [deleting, setDeleting] = useState<Destination | null>(null)
  const [seenTags, setSeenTags] = useState<string[]>([])
  const tags = useMemo(
    () => [...new Set([...seenTags, ...tagsOf(offers.data?.items)])],
    [offers.data, seenTags],
  )
  if (tags.length !== seenTags.length) setSeenTags(tags)
  const actions = useListActions('offers', list, { noun: 'offer', pausable: true, tags })
  const statsMap = stats.data
  const columns = useMemo<ColumnDef<Row, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Offer',
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
      {
        accessorKey: 'payout_cents',
        header: 'Payout',
        meta: { align: 'right' },
        cell: ({ row }) =>
          row.original.payout_cents
            ? formatMoney(row.original.payout_cents / 100, row.original.currency)
            : NONE,
      },
      ...statsColumns<Row>((d) => statsMap?.get(d.id), { loading: stats.isPending }),
      {
        accessorKey: 'health',
        header: 'Health',
        meta: { className: 'hidden lg:table-cell' },
        cell: ({ row }) => <HealthBadge health={row.original.health} />,
      },
    ],
    [statsMap, stats.isPending, list.setTag],
  )
  const rowActions = (d: Row): RowAction[] => [
    { label: 'Edit', icon: Pencil, onSelect: () => navigate(d.id) },
    ...actions.statusActions(d),
    { label: 'Delete', icon: Trash2, destructive: true, onSelect: () => setDeleting(d) },
  ]
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New offer
      </Link>
    </Button>
  )
  return (
    <div className="flex min-w-0 flex-col gap-6">
      <PageHeader
        title="Offers"
        description="Affiliate offers that streams send visitors to, with today’s figures."
        actions={newButton}
      />
      <EntityListCard
        query={offers}
        list={list}
        icon={Target}
        toolbar={
          <ListToolbar list={list} searchPlaceholder="Search offers" statuses={PAUSABLE_STATUSES} tags={tags}>
            <DateRangeControl state={report} onChange={setReport} className="sm:ml-auto" />
          </ListToolbar>
        }
        bulkBar={<BulkBar list={list} actions={actions.bulkActions} pending={actions.pending} />}
        noMatch={{ title: 'No matches', description: 'No offer matches these filters.' }}
        archivedEmpty={{ title: 'No archived offers', description: 'Offers you archive are kept here.' }}
        empty={{
          title: 'No offers yet',
          description: "Add the offer URLs you send traffic to; then pick them in a campaign's streams.",
          action: newButton,
        }}
      >
        {(rows) => (
          <EntityTable
            rows={rows}
            columns={columns}
            list={list}
            actions={rowActions}
            testId="destinations-table"
            rowTestId="offer-row"
          />
        )}
      </EntityListCard>
      {actions.promptDialog}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name}”?`}
        description="It is removed from every stream that uses it. Past clicks keep their data. Archive it instead to keep it."
        confirmLabel="Delete offer"
        pending={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Offer “${deleting.name}” deleted`)
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
      <Link to="/destinations">
        <ArrowLeft /> Offers
      </Link>
    </Button>
  )
}

function NewDestination() {
  const navigate = useNavigate()
  const create = useCreateDestination()
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <PageHeader title="New offer" />
      <DestinationForm
        submitLabel="Create offer"
        onCancel={() => navigate('/destinations')}
        onSubmit={async (body) => {
          const d = await create.mutateAsync(body)
          toast.success(`Offer “${d.name}” created`)
          navigate('/destinations')
        }}
      />
    </div>
  )
}

function EditDestination() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const destination = useDestination(id)
  const update = useUpdateDestination(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <PageHeader title={destination.data?.name ?? 'Offer'} description="Edit the offer." />
      <WithHistoryTab objectType="offer" objectId={id}>
        <QueryStates
          query={destination}
          pending={
            <Card className="p-6">
              <Skeleton className="h-64 w-full" />
            </Card>
          }
          card
        >
          {(d) => (
            <DestinationForm
              key={d.updated_at}
              destination={d}
              submitLabel="Save changes"
              onCancel={() => navigate('/destinations')}
              onSubmit={async (body) => {
                await update.mutateAsync(body)
                toast.success('Offer saved')
                navigate('/destinations')
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
      <Route index element={<OfferList />} />
      <Route path="new" element={<NewDestination />} />
      <Route path=":id" element={<EditDestination />} />
    </Routes>
  )
}
