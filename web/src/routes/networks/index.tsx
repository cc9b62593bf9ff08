/**
 * `/networks` — affiliate networks: searchable, paged list with a create dialog;
 * `/networks/:id` — edit the network (name, secret, IP allowlist) and its postback
 * settings with the ready-to-copy inbound postback URL.
 */
import { ArrowLeft, Network as NetworkIcon, Plus } from 'lucide-react'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ListCard, useListState } from '@/components/common/list'
import { PageHeader } from '@/components/common/page-header'
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
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type Network, useDeleteNetwork, useNetwork, useNetworks } from '@/hooks/api/networks'
import { errorMessage } from '@/lib/api'
import { formatRelative } from '@/lib/format'
import { NetworkForm } from './components/network-form'
import { PostbackSettingsCard } from './components/postback-settings'

const LIMIT = 25

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

function NetworkList() {
  const navigate = useNavigate()
  const list = useListState(LIMIT)
  const networks = useNetworks(list.params)
  const [creating, setCreating] = useState(false)
  const [deleting, setDeleting] = useState<Network | null>(null)
  const newButton = (
    <Button onClick={() => setCreating(true)}>
      <Plus /> New network
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Affiliate networks"
        description="The networks that pay you, and how their postbacks reach traffoflex."
        actions={newButton}
      />
      <ListCard
        query={networks}
        list={list}
        searchPlaceholder="Search networks"
        icon={NetworkIcon}
        skeletonColumns={4}
        noMatch={{ title: 'No network matches', description: 'Try another part of the name.' }}
        empty={{
          title: 'No affiliate networks yet',
          description: 'Add a network to get its postback URL, so its conversions are counted.',
          action: newButton,
        }}
      >
        {(items) => (
          <Table data-testid="networks-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Name</TableHead>
                <TableHead>Secret</TableHead>
                <TableHead className="hidden md:table-cell">IP allowlist</TableHead>
                <TableHead className="hidden lg:table-cell">Updated</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((n) => (
                <TableRow key={n.id} data-testid="network-row">
                  <TableCell className="max-w-56 truncate font-medium">
                    <Link to={`/networks/${n.id}`} className="hover:underline">
                      {n.name}
                    </Link>
                  </TableCell>
                  <TableCell>
                    {n.has_postback_secret ? (
                      <Badge variant="success">Set</Badge>
                    ) : (
                      <Badge variant="warning">None</Badge>
                    )}
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground md:table-cell">
                    {n.ip_allowlist?.length ? `${n.ip_allowlist.length} entries` : 'Any address'}
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground lg:table-cell">
                    {formatRelative(n.updated_at)}
                  </TableCell>
                  <TableCell className="text-right whitespace-nowrap">
                    <Button variant="ghost" size="sm" asChild>
                      <Link to={`/networks/${n.id}`}>Settings</Link>
                    </Button>
                    <Button
                      variant="ghost"
                      size="sm"
                      className="text-destructive hover:text-destructive"
                      onClick={() => setDeleting(n)}
                    >
                      Delete
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ListCard>
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
