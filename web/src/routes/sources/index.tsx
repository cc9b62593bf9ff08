/**
 * `/sources` — traffic sources: searchable, paged list; create/edit in a dialog (cost model,
 * default cost, currency, click ID parameter, outbound postback URL template with macro
 * hints); delete after confirmation.
 */
import { Plus, Waypoints } from 'lucide-react'
import { useState } from 'react'
import { ListCard, useListState } from '@/components/common/list'
import { PageHeader } from '@/components/common/page-header'
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
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type Source, useDeleteSource, useSources } from '@/hooks/api/sources'
import { errorMessage } from '@/lib/api'
import { formatMoney, formatRelative } from '@/lib/format'
import { SourceFormDialog } from './components/source-form'

const LIMIT = 25
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

export function Component() {
  const list = useListState(LIMIT)
  const sources = useSources(list.params)
  const [editing, setEditing] = useState<Source | null>(null)
  const [formOpen, setFormOpen] = useState(false)
  const [deleting, setDeleting] = useState<Source | null>(null)
  const openForm = (s: Source | null) => {
    setEditing(s)
    setFormOpen(true)
  }
  const newButton = (
    <Button onClick={() => openForm(null)}>
      <Plus /> New source
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Traffic sources"
        description="Where your clicks come from, what they cost, and where conversions are reported back."
        actions={newButton}
      />
      <ListCard
        query={sources}
        list={list}
        searchPlaceholder="Search sources"
        icon={Waypoints}
        skeletonColumns={5}
        noMatch={{ title: 'No source matches', description: 'Try another part of the name.' }}
        empty={{
          title: 'No traffic sources yet',
          description:
            'Add the ad networks and publishers you buy traffic from, with their cost and postback URL.',
          action: newButton,
        }}
      >
        {(items) => (
          <Table data-testid="sources-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Name</TableHead>
                <TableHead>Cost</TableHead>
                <TableHead className="hidden md:table-cell">Postback</TableHead>
                <TableHead className="hidden lg:table-cell">Updated</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((s) => (
                <TableRow key={s.id} data-testid="source-row">
                  <TableCell className="max-w-56 truncate font-medium">
                    <button type="button" className="hover:underline" onClick={() => openForm(s)}>
                      {s.name}
                    </button>
                  </TableCell>
                  <TableCell className="whitespace-nowrap tabular-nums">
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
                  </TableCell>
                  <TableCell className="hidden max-w-80 truncate font-mono text-xs text-muted-foreground md:table-cell">
                    {s.postback_url ? <span title={s.postback_url}>{s.postback_url}</span> : '—'}
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground lg:table-cell">
                    {formatRelative(s.updated_at)}
                  </TableCell>
                  <TableCell className="text-right whitespace-nowrap">
                    <Button variant="ghost" size="sm" onClick={() => openForm(s)}>
                      Edit
                    </Button>
                    <Button
                      variant="ghost"
                      size="sm"
                      className="text-destructive hover:text-destructive"
                      onClick={() => setDeleting(s)}
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
      <SourceFormDialog open={formOpen} source={editing} onOpenChange={setFormOpen} />
      <DeleteDialog source={deleting} onClose={() => setDeleting(null)} />
    </div>
  )
}
