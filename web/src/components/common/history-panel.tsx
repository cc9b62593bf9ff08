/**
 * The change history of one object (the History tab of edit pages): a timeline of who changed
 * what and when, newest first, from `GET /api/v1/change-log?object_type=&object_id=`. Each
 * entry shows the time (relative, exact on hover), the actor (API-key / system badge), the
 * IP, the action and the changed fields as "field: old → new" (secrets as "secret changed"),
 * with "View old values" opening the full values before that change. "Load more" pages on.
 * Also exports the parts Logs → Changes reuses (`ActorBadge`, `ChangeFields`, `OldValuesDialog`).
 */
import { Bot, History, KeyRound, Lock } from 'lucide-react'
import { useCallback, useState } from 'react'
import { useSearchParams } from 'react-router'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog'
import { Spinner } from '@/components/ui/spinner'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { type ChangeActor, type ChangeLogEntry, useObjectHistory } from '@/hooks/api/change-log'
import { useNames } from '@/hooks/use-names'
import { useNow } from '@/hooks/use-now'
import {
  ACTION_LABEL,
  describeChanges,
  EMPTY_VALUE,
  objectTypeLabel,
  refDimension,
  visibleChanges,
} from '@/lib/change-log'
import { formatDateTime, formatRelative } from '@/lib/format'
import { cn } from '@/lib/utils'

/** "5 minutes ago" with the exact time as a tooltip. */
export function ChangeTime({ iso }: { iso: string }) {
  const now = useNow()
  return (
    <time dateTime={iso} className="whitespace-nowrap text-muted-foreground" title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  )
}

/** Who made a change: the label, with a badge for API keys and the system. */
export function ActorBadge({ actor, prefix }: { actor: ChangeActor; prefix?: string }) {
  return (
    <span className="inline-flex min-w-0 flex-wrap items-center gap-1.5" data-testid="change-actor">
      <span className="min-w-0 [overflow-wrap:anywhere]">
        {prefix && <span className="text-muted-foreground">{prefix} </span>}
        <span className="font-medium">{actor.label}</span>
      </span>
      {actor.type === 'api_key' && (
        <Badge variant="outline">
          <KeyRound /> API key
        </Badge>
      )}
      {actor.type === 'system' && (
        <Badge variant="secondary">
          <Bot /> System
        </Badge>
      )}
    </span>
  )
}

const ACTION_VARIANT = { create: 'success', update: 'secondary', delete: 'destructive' } as const

/** "Created" / "Changed" / "Deleted" as a badge. */
export function ActionBadge({ action }: { action: ChangeLogEntry['action'] }) {
  return <Badge variant={ACTION_VARIANT[action] ?? 'secondary'}>{ACTION_LABEL[action] ?? action}</Badge>
}

/** Turns ids in changed fields into names. */
type NameOf = (field: string, id: string) => string

/**
 * `nameOf(field, id)` for the entries on screen: ids in reference fields (`sourceId`,
 * `destinationId` …) become the objects' names; the lists load only for fields present.
 */
export function useChangeNames(entries: readonly ChangeLogEntry[]): NameOf {
  const dims = [
    ...new Set(entries.flatMap((e) => Object.keys(e.changes ?? {}).map(refDimension)).filter(Boolean)),
  ] as string[]
  const { nameOf } = useNames(dims)
  return useCallback(
    (field: string, id: string) => {
      const d = refDimension(field)
      return d ? nameOf(d, id) : id
    },
    [nameOf],
  )
}

/** The changed fields of an entry: "Name: old → new" lines (a create lists the new values only). */
export function ChangeFields({
  entry,
  nameOf,
  className,
}: {
  entry: ChangeLogEntry
  nameOf?: NameOf
  className?: string
}) {
  const lines = visibleChanges(entry.action, describeChanges(entry.changes, 80, nameOf))
  if (lines.length === 0) return null
  return (
    <ul className={cn('grid gap-1 text-sm', className)} data-testid="change-fields">
      {lines.map((l) => (
        <li key={l.field} className="min-w-0 break-words" data-field={l.field}>
          <span className="text-muted-foreground">{l.label}: </span>
          {l.secret ? (
            <span className="inline-flex items-center gap-1 text-muted-foreground italic">
              <Lock className="size-3" /> secret changed
            </span>
          ) : entry.action === 'create' || l.before === null ? (
            <span title={l.fullAfter ?? undefined}>{l.after ?? EMPTY_VALUE}</span>
          ) : entry.action === 'delete' || l.after === null ? (
            <span className="line-through" title={l.fullBefore ?? undefined}>
              {l.before}
            </span>
          ) : (
            <>
              <span className="text-muted-foreground line-through" title={l.fullBefore ?? undefined}>
                {l.before}
              </span>
              <span className="text-muted-foreground"> → </span>
              <span title={l.fullAfter ?? undefined}>{l.after}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  )
}

/** True when an entry has values from before the change to show. */
export const hasOldValues = (entry: ChangeLogEntry) =>
  entry.action !== 'create' && describeChanges(entry.changes).some((l) => l.fullBefore !== null)

/** The full values of the changed fields before `entry` (`null`: closed). */
export function OldValuesDialog({
  entry,
  onClose,
  nameOf,
}: {
  entry: ChangeLogEntry | null
  onClose: () => void
  nameOf?: NameOf
}) {
  const lines = entry ? describeChanges(entry.changes, 80, nameOf) : []
  return (
    <Dialog open={entry !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent className="sm:max-w-2xl" data-testid="old-values-dialog">
        <DialogHeader>
          <DialogTitle>Values before this change</DialogTitle>
          <DialogDescription>
            {entry &&
              `${objectTypeLabel(entry.object_type)} “${entry.object_name ?? entry.object_id}”, ${formatDateTime(entry.at)}, by ${entry.actor.label}.`}
          </DialogDescription>
        </DialogHeader>
        <dl className="grid gap-3 text-sm">
          {lines.map((l) => (
            <div key={l.field} className="min-w-0">
              <dt className="text-xs text-muted-foreground">{l.label}</dt>
              <dd className="mt-0.5" data-field={l.field}>
                {l.secret ? (
                  <span className="text-muted-foreground italic">secret (not stored)</span>
                ) : (
                  <pre className="max-h-48 overflow-auto rounded-md bg-muted px-2 py-1 font-mono text-xs break-all whitespace-pre-wrap">
                    {l.fullBefore ?? EMPTY_VALUE}
                  </pre>
                )}
              </dd>
            </div>
          ))}
        </dl>
      </DialogContent>
    </Dialog>
  )
}

/** One entry of the timeline. */
function HistoryEntry({
  entry,
  nameOf,
  onOldValues,
}: {
  entry: ChangeLogEntry
  nameOf: NameOf
  onOldValues: () => void
}) {
  return (
    <li className="relative grid min-w-0 gap-2 border-l pb-5 pl-5 last:pb-0" data-testid="history-entry">
      <span className="absolute top-1.5 -left-[5px] size-2.5 rounded-full border-2 border-card bg-primary" />
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 text-sm">
        <ActionBadge action={entry.action} />
        <ActorBadge actor={entry.actor} />
        <ChangeTime iso={entry.at} />
        {entry.ip && <span className="font-mono text-xs text-muted-foreground">{entry.ip}</span>}
      </div>
      <ChangeFields entry={entry} nameOf={nameOf} />
      {hasOldValues(entry) && (
        <Button variant="outline" size="sm" className="w-fit" onClick={onOldValues}>
          View old values
        </Button>
      )}
    </li>
  )
}

/**
 * The History card of an object's edit page.
 * @param objectType the change log's `object_type` (`campaign`, `offer`, `mailbox` …).
 * @param objectId the object's id.
 */
export function HistoryPanel({
  objectType,
  objectId,
  bare = false,
  className,
}: {
  objectType: string
  objectId: string
  /** No card frame (inside a dialog, which is one already). */
  bare?: boolean
  className?: string
}) {
  const history = useObjectHistory(objectType, objectId)
  const [open, setOpen] = useState<ChangeLogEntry | null>(null)
  const items = history.data?.pages.flatMap((p) => p.items) ?? []
  const total = history.data?.pages[0]?.total ?? 0
  const nameOf = useChangeNames(items)
  return (
    <Card
      className={cn('min-w-0', bare && 'gap-4 border-0 py-0 shadow-none', className)}
      data-testid="history-panel"
    >
      <CardHeader className={cn(bare && 'sr-only')}>
        <CardTitle>History</CardTitle>
        <CardDescription>
          Every change, newest first: who made it, from where, and what changed.
        </CardDescription>
      </CardHeader>
      <CardContent className={cn('min-w-0', bare && 'px-0')}>
        <QueryStates
          query={history}
          skeleton={{ rows: 3, columns: 2 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={History}
              title="No changes recorded yet"
              description="Changes made from now on are listed here with who made them."
            />
          }
        >
          <ol className="ml-1.5 grid min-w-0">
            {items.map((e) => (
              <HistoryEntry key={e.id} entry={e} nameOf={nameOf} onOldValues={() => setOpen(e)} />
            ))}
          </ol>
          {history.hasNextPage && (
            <div className="mt-4 flex flex-wrap items-center gap-3">
              <Button
                variant="outline"
                onClick={() => void history.fetchNextPage()}
                disabled={history.isFetchingNextPage}
              >
                {history.isFetchingNextPage && <Spinner />} Load more
              </Button>
              <span className="text-sm text-muted-foreground">
                {items.length} of {total}
              </span>
            </div>
          )}
        </QueryStates>
      </CardContent>
      <OldValuesDialog entry={open} onClose={() => setOpen(null)} nameOf={nameOf} />
    </Card>
  )
}

/**
 * An edit page's content under two tabs, "Details" (`children`) and "History" (the
 * object's {@link HistoryPanel}). The open tab is `?tab=history` in the URL (a link can open
 * it); in a dialog pass `inUrl={false}` to keep it in local state (and drop the panel's
 * card frame: the dialog is one).
 */
export function WithHistoryTab({
  objectType,
  objectId,
  children,
  detailsLabel = 'Details',
  inUrl = true,
}: {
  objectType: string
  objectId: string
  children: React.ReactNode
  detailsLabel?: string
  inUrl?: boolean
}) {
  const [search, setSearch] = useSearchParams()
  const [local, setLocal] = useState('details')
  const tab = inUrl ? (search.get('tab') === 'history' ? 'history' : 'details') : local
  const select = (v: string) => {
    if (!inUrl) return setLocal(v)
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (v === 'history') next.set('tab', 'history')
        else next.delete('tab')
        return next
      },
      { replace: true },
    )
  }
  return (
    <Tabs value={tab} onValueChange={select} className="min-w-0 gap-4">
      <TabsList aria-label="Sections">
        <TabsTrigger value="details">{detailsLabel}</TabsTrigger>
        <TabsTrigger value="history" data-testid="history-tab">
          <History className="size-4" /> History
        </TabsTrigger>
      </TabsList>
      <TabsContent value="details" className="flex min-w-0 flex-col gap-6">
        {children}
      </TabsContent>
      <TabsContent value="history" className="min-w-0">
        <HistoryPanel objectType={objectType} objectId={objectId} bare={!inUrl} />
      </TabsContent>
    </Tabs>
  )
}
