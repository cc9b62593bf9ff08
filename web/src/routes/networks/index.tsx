/**
 * `/networks` — affiliate networks: the list on the list toolkit
 * (`@/components/common/entity-list`: today's figures per row, archive view, tags, notes,
 * bulk archive/tag) with a create dialog;
 * `/networks/:id` — edit the network (name, secret, IP allowlist) and its postback
 * settings with the ready-to-copy inbound postback URL.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { ArrowLeft, Network as NetworkIcon, Plus, Settings2, Trash2 } from 'lucide-react'
import { useMemo, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
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
import { WithHistoryTab } from '@/components/common/history-panel'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl } from '@/components/common/report-controls'
import { ErrorState, TableSkeleton } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card'
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
import { type Network, useDeleteNetwork, useNetwork } from '@/hooks/api/networks'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { errorMessage } from '@/lib/api'
import { formatRelative } from '@/lib/format'
import { StatusBadge } from '../campaigns/components/shared'
import { NetworkForm } from './components/network-form'
import { PostbackSettingsCard } from './components/postback-settings'

function DeleteDialog({
  network,
  onClose,
  onDeleted,
}: {
  network: Network | null
  onClose: () => void
  onDeleted?: () => void
}) {
  const del = useDeleteNetwork()
  const confirm = () => {
    if (!network) return
    del.mutate(network.id, {
      onSuccess: () => {
        toast.success(`Network “${network.name}” deleted`)
        onClose()
        onDeleted?.()
      },
      onError: (e) => toast.error(errorMessage(e)),
    })
  }
  return (
    <Dialog open={network !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="network-delete">
        <DialogHeader>
          <DialogTitle>Delete “{network?.name}”?</DialogTitle>
          <DialogDescription>
            Its postbacks stop being accepted at once, and destinations using it are detached. Recorded
            conversions stay.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="destructive" onClick={confirm} disabled={del.isPending}>
            {del.isPending && <Spinner />} Delete network
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

type Row = Network & ListFields

function NetworkList() {
  const navigate = useNavigate()
  const list = useEntityListState()
  const [report, setReport] = useReportUrlState({ preset: 'today' })
  const networks = useEntityList<Row>('networks', list.params)
  const stats = useListStats('networks', { ...report.range, tz: report.tz })
  const [creating, setCreating] = useState(false)
  const [deleting, setDeleting] = useState<Network | null>(null)
  const [seenTags, setSeenTags] = useState<string[]>([])
  const tags = useMemo(
    () => [...new Set([...seenTags, ...tagsOf(networks.data?.items)])],
    [networks.data, seenTags],
  )
  if (tags.length !== seenTags.length) setSeenTags(tags)
  const actions = useListActions('networks', list, { noun: 'network', pausable: false, tags })
  const statsMap = stats.data
  const columns = useMemo<ColumnDef<Row, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Network',
        cell: ({ row }) => (
          <div className="grid min-w-36 max-w-56 gap-0.5 sm:max-w-72">
            <span className="flex min-w-0 items-center gap-1.5">
              <Link
                to={`/networks/${row.original.id}`}
                className="truncate font-medium hover:underline"
                title={row.original.name}
              >
                {row.original.name}
              </Link>
              <NoteIcon notes={row.original.notes} />
              {row.original.status === 'archived' && <StatusBadge status="archived" />}
            </span>
            <TagBadges tags={row.original.tags} onPick={list.setTag} />
          </div>
        ),
      },
      {
        id: 'secret',
        header: 'Secret',
        accessorFn: (n) => (n.has_postback_secret ? 1 : 0),
        cell: ({ row }) =>
          row.original.has_postback_secret ? (
            <Badge variant="success">Set</Badge>
          ) : (
            <Badge variant="warning">None</Badge>
          ),
      },
      ...statsColumns<Row>((n) => statsMap?.get(n.id), { loading: stats.isPending }),
      {
        id: 'ip_allowlist',
        header: 'IP allowlist',
        enableSorting: false,
        meta: { className: 'hidden xl:table-cell' },
        cell: ({ row }) => (
          <span className="whitespace-nowrap text-muted-foreground">
            {row.original.ip_allowlist?.length
              ? `${row.original.ip_allowlist.length} entries`
              : 'Any address'}
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
    [statsMap, stats.isPending, list.setTag],
  )
  const rowActions = (n: Row): RowAction[] => [
    { label: 'Settings', icon: Settings2, onSelect: () => navigate(`/networks/${n.id}`) },
    ...actions.statusActions(n),
    { label: 'Delete', icon: Trash2, destructive: true, onSelect: () => setDeleting(n) },
  ]
  const newButton = (
    <Button onClick={() => setCreating(true)}>
      <Plus /> New network
    </Button>
  )
  return (
    <div className="flex min-w-0 flex-col gap-6">
      <PageHeader
        title="Affiliate networks"
        description="The networks that pay you, and how their postbacks reach traffoflex."
        actions={newButton}
      />
      <EntityListCard
        query={networks}
        list={list}
        icon={NetworkIcon}
        toolbar={
          <ListToolbar
            list={list}
            searchPlaceholder="Search networks"
            statuses={ARCHIVE_STATUSES}
            tags={tags}
          >
            <DateRangeControl state={report} onChange={setReport} className="sm:ml-auto" />
          </ListToolbar>
        }
        bulkBar={<BulkBar list={list} actions={actions.bulkActions} pending={actions.pending} />}
        noMatch={{
          title: 'No network matches',
          description: 'Try another part of the name or another filter.',
        }}
        archivedEmpty={{ title: 'No archived networks', description: 'Networks you archive are kept here.' }}
        empty={{
          title: 'No affiliate networks yet',
          description: 'Add a network to get its postback URL, so its conversions are counted.',
          action: newButton,
        }}
      >
        {(rows) => (
          <EntityTable
            rows={rows}
            columns={columns}
            list={list}
            actions={rowActions}
            testId="networks-table"
            rowTestId="network-row"
          />
        )}
      </EntityListCard>
      {actions.promptDialog}
      <Dialog open={creating} onOpenChange={setCreating}>
        <DialogContent className="max-h-[92vh] overflow-y-auto">
          <DialogHeader>
            <DialogTitle>New affiliate network</DialogTitle>
            <DialogDescription>Next you get its postback URL and can set parameter names.</DialogDescription>
          </DialogHeader>
          {creating && (
            <NetworkForm
              network={null}
              onCancel={() => setCreating(false)}
              onDone={(n) => {
                setCreating(false)
                navigate(`/networks/${n.id}`)
              }}
            />
          )}
        </DialogContent>
      </Dialog>
      <DeleteDialog network={deleting} onClose={() => setDeleting(null)} />
    </div>
  )
}

function NetworkDetail({ id }: { id: string }) {
  const navigate = useNavigate()
  const network = useNetwork(id)
  const [deleting, setDeleting] = useState<Network | null>(null)
  const back = (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to="/networks">
        <ArrowLeft /> Networks
      </Link>
    </Button>
  )
  if (network.isPending)
    return (
      <div className="flex flex-col gap-4">
        {back}
        <TableSkeleton rows={5} columns={2} />
      </div>
    )
  if (network.isError)
    return (
      <div className="flex flex-col gap-4">
        {back}
        <ErrorState error={network.error} onRetry={() => void network.refetch()} />
      </div>
    )
  const n = network.data
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        {back}
        <PageHeader
          title={n.name}
          description="Affiliate network"
          actions={
            <Button variant="outline" className="text-destructive" onClick={() => setDeleting(n)}>
              Delete
            </Button>
          }
        />
      </div>
      <WithHistoryTab objectType="network" objectId={n.id}>
        <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <PostbackSettingsCard networkId={n.id} />
          <Card>
            <CardHeader>
              <CardTitle>Network</CardTitle>
            </CardHeader>
            <CardContent>
              <NetworkForm network={n} onDone={() => undefined} />
            </CardContent>
          </Card>
        </div>
      </WithHistoryTab>
      <DeleteDialog
        network={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={() => navigate('/networks')}
      />
    </div>
  )
}

export function Component() {
  const rest = useParams()['*'] ?? ''
  const id = rest.split('/')[0]
  return id ? <NetworkDetail id={id} /> : <NetworkList />
}
