/**
 * `/landers` — pre-landing pages: list (search, paging; name, URL, status, tags; row actions
 * edit / pause or resume / archive / delete), `/landers/new` and `/landers/:id` (form).
 */
import type { ColumnDef } from '@tanstack/react-table'
import { Archive, ArrowLeft, FileText, Pause, Pencil, Play, Plus, Trash2 } from 'lucide-react'
import { useCallback, useMemo, useState } from 'react'
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
  type Lander,
  useCreateLander,
  useDeleteLander,
  useLander,
  useLanders,
  useUpdateLander,
} from '@/hooks/api/landers'
import { errorMessage } from '@/lib/api'
import { ConfirmDialog, StatusBadge } from '../campaigns/components/shared'
import { LanderForm } from './components/lander-form'

function LanderList() {
  const list = useListState()
  const landers = useLanders(list.params)
  const update = useUpdateLander()
  const remove = useDeleteLander()
  const [deleting, setDeleting] = useState<Lander | null>(null)
  const mutate = update.mutate
  const setStatus = useCallback(
    (l: Lander, status: Lander['status'], done: string) =>
      mutate(
        { id: l.id, status },
        {
          onSuccess: () => toast.success(`Lander “${l.name}” ${done}`),
          onError: (e) => toast.error(errorMessage(e)),
        },
      ),
    [mutate],
  )
  const columns = useMemo<ColumnDef<Lander, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Name',
        cell: ({ row }) => (
          <div className="min-w-0 max-w-44 sm:max-w-72">
            <Link to={row.original.id} className="block truncate font-medium hover:underline">
              {row.original.name}
            </Link>
            <p className="truncate font-mono text-xs text-muted-foreground" title={row.original.url}>
              {row.original.url}
            </p>
            {/* The status column is hidden on phones: its badge sits here instead. */}
            <div className="mt-1 sm:hidden">
              <StatusBadge status={row.original.status} />
            </div>
          </div>
        ),
      },
      {
        accessorKey: 'status',
        header: 'Status',
        meta: { className: 'hidden sm:table-cell' },
        cell: ({ row }) => <StatusBadge status={row.original.status} />,
      },
      {
        accessorKey: 'tags',
        header: 'Tags',
        enableSorting: false,
        meta: { className: 'hidden md:table-cell' },
        cell: ({ row }) => (
          <div className="flex max-w-56 flex-wrap gap-1">
            {row.original.tags.map((t) => (
              <Badge key={t} variant="outline">
                {t}
              </Badge>
            ))}
          </div>
        ),
      },
      {
        id: 'actions',
        header: () => <span className="sr-only">Actions</span>,
        enableSorting: false,
        meta: { align: 'right' },
        cell: ({ row }) => {
          const l = row.original
          return (
            <div className="flex justify-end gap-0.5">
              <Button variant="ghost" size="icon" asChild aria-label={`Edit ${l.name}`}>
                <Link to={l.id}>
                  <Pencil />
                </Link>
              </Button>
              {l.status === 'active' ? (
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Pause ${l.name}`}
                  onClick={() => setStatus(l, 'paused', 'paused')}
                >
                  <Pause />
                </Button>
              ) : (
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Activate ${l.name}`}
                  onClick={() => setStatus(l, 'active', 'activated')}
                >
                  <Play />
                </Button>
              )}
              {l.status !== 'archived' && (
                <Button
                  variant="ghost"
                  size="icon"
                  className="hidden sm:inline-flex"
                  aria-label={`Archive ${l.name}`}
                  onClick={() => setStatus(l, 'archived', 'archived')}
                >
                  <Archive />
                </Button>
              )}
              <Button
                variant="ghost"
                size="icon"
                className="text-destructive hover:text-destructive"
                aria-label={`Delete ${l.name}`}
                onClick={() => setDeleting(l)}
              >
                <Trash2 />
              </Button>
            </div>
          )
        },
      },
    ],
    [setStatus],
  )
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New lander
      </Link>
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Landers"
        description="Pages you host that visitors see before the offer; their button leads to one of the stream's offers."
        actions={newButton}
      />
      <ListCard
        query={landers}
        list={list}
        searchPlaceholder="Search landers"
        icon={FileText}
        noMatch={{ title: 'No matches', description: `No lander name contains “${list.q}”.` }}
        empty={{
          title: 'No landers yet',
          description: "Add your pre-landing pages, then put them in a campaign's streams before the offers.",
          action: newButton,
        }}
      >
        {(items) => (
          <DataTable columns={columns} data={items} getRowId={(l) => l.id} data-testid="landers-table" />
        )}
      </ListCard>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name}”?`}
        description="It is removed from every stream that uses it; those visitors go straight to the offer. Past clicks keep their data."
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
