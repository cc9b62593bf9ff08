/**
 * Logs → Changes (the workspace's change log: who created, changed or deleted what, with
 * filters and a CSV of the same filters; each row links to the object's page unless it was
 * deleted) and Logs → Security (sign-ins, 2FA and API-key events; owners and admins).
 * Rows stack instead of forming a table, so they wrap at 390 px.
 */
import { Download, History, ShieldCheck } from 'lucide-react'
import { useDeferredValue, useState } from 'react'
import { Link } from 'react-router'
import {
  ActionBadge,
  ActorBadge,
  ChangeFields,
  ChangeTime,
  hasOldValues,
  OldValuesDialog,
  useChangeNames,
} from '@/components/common/history-panel'
import { Pager } from '@/components/common/list'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Label } from '@/components/ui/label'
import { Select } from '@/components/ui/select'
import {
  type ChangeAction,
  type ChangeLogEntry,
  type ChangeLogFilter,
  changeLogCsvUrl,
  securityEventsCsvUrl,
  useChangeLog,
  useSecurityEvents,
} from '@/hooks/api/change-log'
import {
  ACTION_LABEL,
  dayBound,
  deletedObjects,
  detailPairs,
  OBJECT_TYPES,
  objectHref,
  objectTypeLabel,
  SECURITY_EVENT_KINDS,
  securityKindLabel,
  truncate,
} from '@/lib/change-log'

const LIMIT = 50

/** A labelled control of the filter bar (full width on phones). */
function Filter({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="grid min-w-0 gap-1 sm:w-44">
      <Label htmlFor={id} className="text-xs text-muted-foreground">
        {label}
      </Label>
      {children}
    </div>
  )
}

function DateFilters({
  from,
  to,
  onFrom,
  onTo,
  prefix,
}: {
  from: string
  to: string
  onFrom: (v: string) => void
  onTo: (v: string) => void
  prefix: string
}) {
  return (
    <>
      <Filter id={`${prefix}-from`} label="From">
        <Input
          id={`${prefix}-from`}
          type="date"
          className="min-w-0"
          value={from}
          max={to || undefined}
          onChange={(e) => onFrom(e.target.value)}
        />
      </Filter>
      <Filter id={`${prefix}-to`} label="To (inclusive)">
        <Input
          id={`${prefix}-to`}
          type="date"
          className="min-w-0"
          value={to}
          min={from || undefined}
          onChange={(e) => onTo(e.target.value)}
        />
      </Filter>
    </>
  )
}

/** One change of the workspace log. */
function ChangeRow({
  entry,
  deleted,
  nameOf,
  onOldValues,
}: {
  entry: ChangeLogEntry
  deleted: boolean
  nameOf: (field: string, id: string) => string
  onOldValues: () => void
}) {
  const href = deleted ? null : objectHref(entry.object_type, entry.object_id)
  const name = entry.object_name || entry.object_id
  return (
    <li className="grid min-w-0 gap-2 px-4 py-3" data-testid="change-row">
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 text-sm">
        <ActionBadge action={entry.action} />
        <Badge variant="outline">{objectTypeLabel(entry.object_type)}</Badge>
        {href ? (
          <Link
            to={href}
            className="min-w-0 font-medium [overflow-wrap:anywhere] underline-offset-4 hover:underline"
            title={`Open ${name}`}
          >
            {truncate(name, 60)}
          </Link>
        ) : (
          <span
            className="min-w-0 font-medium [overflow-wrap:anywhere]"
            title={deleted ? 'Deleted' : undefined}
          >
            {truncate(name, 60)}
          </span>
        )}
        <span className="ml-auto">
          <ChangeTime iso={entry.at} />
        </span>
      </div>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 text-sm">
        <ActorBadge actor={entry.actor} prefix="by" />
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

/** Logs → Changes. */
export function ChangesTab() {
  const [objectType, setObjectType] = useState('')
  const [action, setAction] = useState<ChangeAction | ''>('')
  const [actor, setActor] = useState('')
  const [q, setQ] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [offset, setOffset] = useState(0)
  const [open, setOpen] = useState<ChangeLogEntry | null>(null)
  const deferredActor = useDeferredValue(actor.trim())
  const deferredQ = useDeferredValue(q.trim())
  const filter: ChangeLogFilter = {
    object_type: objectType || undefined,
    action: action || undefined,
    actor: deferredActor || undefined,
    q: deferredQ || undefined,
    from: dayBound(from, 'from'),
    to: dayBound(to, 'to'),
  }
  const log = useChangeLog(filter, { limit: LIMIT, offset })
  const items = log.data?.items ?? []
  const deleted = deletedObjects(items)
  const nameOf = useChangeNames(items)
  const filtered = Object.values(filter).some(Boolean)
  const set =
    <T,>(fn: (v: T) => void) =>
    (v: T) => {
      fn(v)
      setOffset(0)
    }
  return (
    <Card className="min-w-0 gap-0 py-2" data-testid="changes-tab">
      <div className="grid grid-cols-2 items-end gap-2 px-4 pt-2 pb-3 sm:flex sm:flex-wrap">
        <Filter id="changes-type" label="Object">
          <Select id="changes-type" value={objectType} onChange={(e) => set(setObjectType)(e.target.value)}>
            <option value="">All objects</option>
            {OBJECT_TYPES.map((t) => (
              <option key={t} value={t}>
                {objectTypeLabel(t)}
              </option>
            ))}
          </Select>
        </Filter>
        <Filter id="changes-action" label="Action">
          <Select
            id="changes-action"
            value={action}
            onChange={(e) => set(setAction)(e.target.value as ChangeAction | '')}
          >
            <option value="">All actions</option>
            {(['create', 'update', 'delete'] as const).map((a) => (
              <option key={a} value={a}>
                {ACTION_LABEL[a]}
              </option>
            ))}
          </Select>
        </Filter>
        <Filter id="changes-actor" label="Who">
          <Input
            id="changes-actor"
            type="search"
            placeholder="Email or key"
            value={actor}
            onChange={(e) => set(setActor)(e.target.value)}
          />
        </Filter>
        <Filter id="changes-q" label="Search">
          <Input
            id="changes-q"
            type="search"
            placeholder="Object name"
            value={q}
            onChange={(e) => set(setQ)(e.target.value)}
          />
        </Filter>
        <DateFilters from={from} to={to} onFrom={set(setFrom)} onTo={set(setTo)} prefix="changes" />
        <Button variant="outline" asChild className="col-span-2 sm:ml-auto">
          <a href={changeLogCsvUrl(filter)} download data-testid="changes-csv">
            <Download /> Download CSV
          </a>
        </Button>
      </div>
      <QueryStates
        query={log}
        skeleton={{ rows: 5, columns: 3 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={History}
            title={filtered ? 'No change matches' : 'No changes recorded yet'}
            description={
              filtered
                ? 'Try another filter or a wider date range.'
                : 'Creating, changing or deleting campaigns, offers, sources and the rest is listed here with who did it.'
            }
          />
        }
      >
        {(page) => (
          <>
            <ol className="min-w-0 divide-y border-t" data-testid="changes-list">
              {items.map((e) => (
                <ChangeRow
                  key={e.id}
                  entry={e}
                  deleted={deleted.has(`${e.object_type}:${e.object_id}`)}
                  nameOf={nameOf}
                  onOldValues={() => setOpen(e)}
                />
              ))}
            </ol>
            <Pager offset={offset} limit={LIMIT} total={page.total} onOffset={setOffset} />
          </>
        )}
      </QueryStates>
      <OldValuesDialog entry={open} onClose={() => setOpen(null)} nameOf={nameOf} />
    </Card>
  )
}

/** Logs → Security (owners and admins). */
export function SecurityTab() {
  const [kind, setKind] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [offset, setOffset] = useState(0)
  const filter = { kind: kind || undefined, from: dayBound(from, 'from'), to: dayBound(to, 'to') }
  const events = useSecurityEvents(filter, { limit: LIMIT, offset })
  const items = events.data?.items ?? []
  const filtered = Object.values(filter).some(Boolean)
  return (
    <Card className="min-w-0 gap-0 py-2" data-testid="security-tab">
      <div className="grid grid-cols-2 items-end gap-2 px-4 pt-2 pb-3 sm:flex sm:flex-wrap">
        <Filter id="security-kind" label="Event">
          <Select
            id="security-kind"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value)
              setOffset(0)
            }}
          >
            <option value="">All events</option>
            {SECURITY_EVENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {securityKindLabel(k)}
              </option>
            ))}
          </Select>
        </Filter>
        <DateFilters
          from={from}
          to={to}
          onFrom={(v) => {
            setFrom(v)
            setOffset(0)
          }}
          onTo={(v) => {
            setTo(v)
            setOffset(0)
          }}
          prefix="security"
        />
        <Button variant="outline" asChild className="col-span-2 sm:ml-auto">
          <a href={securityEventsCsvUrl(filter)} download data-testid="security-csv">
            <Download /> Download CSV
          </a>
        </Button>
      </div>
      <QueryStates
        query={events}
        skeleton={{ rows: 5, columns: 3 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ShieldCheck}
            title={filtered ? 'No event matches' : 'No security events yet'}
            description="Sign-ins, failed sign-ins, 2FA changes and API-key events of this workspace's people show up here."
          />
        }
      >
        {(page) => (
          <>
            <ol className="min-w-0 divide-y border-t" data-testid="security-list">
              {items.map((e) => {
                const details = detailPairs(e.detail)
                const failed = /failed/.test(e.kind)
                return (
                  <li key={e.id} className="grid min-w-0 gap-1 px-4 py-3 text-sm" data-testid="security-row">
                    <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
                      <Badge variant={failed ? 'destructive' : 'secondary'}>
                        {securityKindLabel(e.kind)}
                      </Badge>
                      <span className="min-w-0 font-medium [overflow-wrap:anywhere]">{e.email ?? '—'}</span>
                      <span className="ml-auto">
                        <ChangeTime iso={e.at} />
                      </span>
                    </div>
                    <div className="flex min-w-0 flex-wrap gap-x-3 gap-y-1 text-xs text-muted-foreground">
                      {e.ip && <span className="font-mono">{e.ip}</span>}
                      {e.user_agent && (
                        <span className="min-w-0 break-all" title={e.user_agent}>
                          {truncate(e.user_agent, 90)}
                        </span>
                      )}
                      {details.map(([k, v]) => (
                        <span key={k} className="min-w-0 break-all">
                          {k}: {v}
                        </span>
                      ))}
                    </div>
                  </li>
                )
              })}
            </ol>
            <Pager offset={offset} limit={LIMIT} total={page.total} onOffset={setOffset} />
          </>
        )}
      </QueryStates>
    </Card>
  )
}
