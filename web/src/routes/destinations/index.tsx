/**
 * `/destinations` — offer URLs: list (search, paging), `/destinations/new` and
 * `/destinations/:id` (create/edit form), delete with confirmation.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { ArrowLeft, Pencil, Plus, Target, Trash2 } from 'lucide-react'
import { useMemo, useState } from 'react'
import { Link, Route, Routes, useNavigate, useParams } from 'react-router'
import { DataTable } from '@/components/common/data-table'
import { ListCard, useListState } from '@/components/common/list'
import { PageHeader } from '@/components/common/page-header'
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
  useDestinations,
  useUpdateDestination,
} from '@/hooks/api/destinations'
import { errorMessage } from '@/lib/api'
import { formatInt, formatMoney, NONE } from '@/lib/format'
import { ConfirmDialog, StatusBadge } from '../campaigns/components/shared'
import { DestinationForm } from './components/destination-form'

function HealthBadge({ health }: { health: Destination['health'] }) {
  if (health === 'healthy') return <Badge variant="success">Healthy</Badge>
  if (health === 'unhealthy') return <Badge variant="destructive">Unhealthy</Badge>
  return <Badge variant="outline">Unknown</Badge>
}

function DestinationList() {
  const list = useListState()
  const destinations = useDestinations(list.params)
  const remove = useDeleteDestination()
  const [deleting, setDeleting] = useState<Destination | null>(null)
  const columns = useMemo<ColumnDef<Destination, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Name',
        cell: ({ row }) => (
          <div className="min-w-0 max-w-40 sm:max-w-72">
            <Link to={row.original.id} className="block truncate font-medium hover:underline">
              {row.original.name}
            </Link>
            <p className="truncate font-mono text-xs text-muted-foreground" title={row.original.url}>
              {row.original.url}
            </p>
          </div>
        ),
      },
      {
        accessorKey: 'status',
        header: 'Status',
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
      {
        accessorKey: 'health',
        header: 'Health',
        meta: { className: 'hidden sm:table-cell' },
        cell: ({ row }) => <HealthBadge health={row.original.health} />,
      },
      {
        accessorKey: 'payout_cents',
        header: 'Payout',
        meta: { align: 'right', className: 'hidden md:table-cell' },
        cell: ({ row }) =>
          row.original.payout_cents
            ? formatMoney(row.original.payout_cents / 100, row.original.currency)
            : NONE,
      },
      {
        id: 'caps',
        header: 'Caps (day / total)',
        enableSorting: false,
        meta: { align: 'right', className: 'hidden lg:table-cell' },
        cell: ({ row }) =>
          `${row.original.daily_click_cap ? formatInt(row.original.daily_click_cap) : NONE} / ${
            row.original.total_click_cap ? formatInt(row.original.total_click_cap) : NONE
          }`,
      },
      {
        id: 'actions',
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        meta: { align: 'right' },
        cell: ({ row }) => (
          <div className="flex justify-end gap-1">
            <Button variant="ghost" size="icon" asChild aria-label={`Edit ${row.original.name}`}>
              <Link to={row.original.id}>
                <Pencil />
              </Link>
            </Button>
            <Button
              variant="ghost"
              size="icon"
              className="text-destructive hover:text-destructive"
              aria-label={`Delete ${row.original.name}`}
              onClick={() => setDeleting(row.original)}
            >
              <Trash2 />
            </Button>
          </div>
        ),
      },
    ],
    [],
  )
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New destination
      </Link>
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Destinations"
        description="Offer and landing URLs that streams send visitors to."
        actions={newButton}
      />
      <ListCard
        query={destinations}
        list={list}
        searchPlaceholder="Search destinations"
        icon={Target}
        noMatch={{ title: 'No matches', description: `No destination name contains “${list.q}”.` }}
        empty={{
          title: 'No destinations yet',
          description: "Add the offer URLs you send traffic to; then pick them in a campaign's streams.",
          action: newButton,
        }}
      >
        {(items) => (
          <DataTable columns={columns} data={items} getRowId={(d) => d.id} data-testid="destinations-table" />
        )}
      </ListCard>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name}”?`}
        description="It is removed from every stream that uses it. Past clicks keep their data."
        confirmLabel="Delete destination"
        pending={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Destination “${deleting.name}” deleted`)
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
        <ArrowLeft /> Destinations
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
      <PageHeader title="New destination" />
      <DestinationForm
        submitLabel="Create destination"
        onCancel={() => navigate('/destinations')}
        onSubmit={async (body) => {
          const d = await create.mutateAsync(body)
          toast.success(`Destination “${d.name}” created`)
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
      <PageHeader title={destination.data?.name ?? 'Destination'} description="Edit the destination." />
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
              toast.success('Destination saved')
              navigate('/destinations')
            }}
          />
        )}
      </QueryStates>
    </div>
  )
}

export function Component() {
  return (
    <Routes>
      <Route index element={<DestinationList />} />
      <Route path="new" element={<NewDestination />} />
      <Route path=":id" element={<EditDestination />} />
    </Routes>
  )
}
