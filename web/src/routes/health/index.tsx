/**
 * `/health` — destination health: the current state of every destination (with "Check
 * now") and the history of state changes (`GET /api/v1/health-events`) filtered by
 * destination, new state and period, paged by cursor ("Older").
 */
import { HeartPulse, RefreshCw } from 'lucide-react'
import { useMemo, useState } from 'react'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { useDestinations } from '@/hooks/api/destinations'
import { type HealthState, useCheckDestination, useHealthEvents } from '@/hooks/api/health'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatInt, formatRelative } from '@/lib/format'

const VARIANT: Record<HealthState, 'success' | 'destructive' | 'secondary'> = {
  healthy: 'success',
  unhealthy: 'destructive',
  unknown: 'secondary',
}
const PERIODS = { '1d': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, all: 0 } as const
type Period = keyof typeof PERIODS
const LIMIT = 50

function HealthBadge({ state }: { state: HealthState | undefined }) {
  const s = state ?? 'unknown'
  return <Badge variant={VARIANT[s]}>{s}</Badge>
}

function CurrentHealth() {
  const destinations = useDestinations({ limit: 500 })
  const check = useCheckDestination()
  const items = destinations.data?.items ?? []
  const onCheck = (id: string, name: string) =>
    check.mutate(id, {
      onSuccess: (r) =>
        (r.ok ? toast.success : toast.error)(
          `${name}: ${r.health}${r.http_status ? ` (HTTP ${r.http_status})` : r.error ? ` (${r.error})` : ''}`,
        ),
      onError: (e) => toast.error(errorMessage(e)),
    })
  const counts = useMemo(() => {
    const c = { healthy: 0, unhealthy: 0, unknown: 0 }
    for (const d of items) c[d.health ?? 'unknown']++
    return c
  }, [items])
  return (
    <Card className="gap-0 py-2">
      <div className="flex flex-wrap items-center justify-between gap-2 px-4 pt-2 pb-3">
        <h2 className="font-medium">Current health</h2>
        {items.length > 0 && (
          <div className="flex gap-2 text-sm">
            <Badge variant="success">{formatInt(counts.healthy)} healthy</Badge>
            <Badge variant="destructive">{formatInt(counts.unhealthy)} unhealthy</Badge>
            <Badge variant="secondary">{formatInt(counts.unknown)} unknown</Badge>
          </div>
        )}
      </div>
      <QueryStates
        query={destinations}
        skeleton={{ rows: 3, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={HeartPulse}
            title="No destinations"
            description="Add destinations to campaigns to check their health."
          />
        }
      >
        <Table data-testid="health-current-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Destination</TableHead>
              <TableHead>Health</TableHead>
              <TableHead className="hidden md:table-cell">Last checked</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((d) => {
              const checked = (d as { health_checked_at?: string | null }).health_checked_at
              const busy = check.isPending && check.variables === d.id
              return (
                <TableRow key={d.id} data-testid="health-current-row">
                  <TableCell className="max-w-64">
                    <div className="truncate font-medium">{d.name}</div>
                    {d.url && <div className="truncate font-mono text-xs text-muted-foreground">{d.url}</div>}
                  </TableCell>
                  <TableCell>
                    <HealthBadge state={d.health} />
                  </TableCell>
                  <TableCell
                    className="hidden text-muted-foreground md:table-cell"
                    title={formatDateTime(checked)}
                  >
                    {checked ? formatRelative(checked) : 'Never'}
                  </TableCell>
                  <TableCell className="text-right">
                    <Button variant="outline" size="sm" disabled={busy} onClick={() => onCheck(d.id, d.name)}>
                      {busy ? <Spinner /> : <RefreshCw />} Check now
                    </Button>
                  </TableCell>
                </TableRow>
              )
            })}
          </TableBody>
        </Table>
      </QueryStates>
    </Card>
  )
}

function HealthHistory() {
  const destinations = useDestinations({ limit: 500 })
  const [destination, setDestination] = useState('')
  const [toState, setToState] = useState<'' | 'healthy' | 'unhealthy'>('')
  const [period, setPeriod] = useState<Period>('7d')
  // Cursor stack: `before` of each page shown so far (undefined = newest).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  // biome-ignore lint/correctness/useExhaustiveDependencies: `since` is fixed when the filters change, not on every render
  const since = useMemo(
    () => (PERIODS[period] ? new Date(Date.now() - PERIODS[period]).toISOString() : undefined),
    [period, destination, toState],
  )
  const before = cursors.at(-1)
  const events = useHealthEvents({
    limit: LIMIT,
    destination_id: destination || undefined,
    to_state: toState || undefined,
    since,
    before,
  })
  const nameOf = (id: string) => destinations.data?.items.find((d) => d.id === id)?.name ?? id
  const reset = () => setCursors([undefined])
  const items = events.data?.items ?? []
  return (
    <Card className="gap-0 py-2">
      <div className="flex flex-wrap items-center gap-2 px-4 pt-2 pb-3">
        <h2 className="mr-auto w-full font-medium sm:w-auto">History</h2>
        <Select
          aria-label="Destination"
          className="w-full sm:w-52"
          value={destination}
          onChange={(e) => {
            setDestination(e.target.value)
            reset()
          }}
        >
          <option value="">All destinations</option>
          {(destinations.data?.items ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </Select>
        <Select
          aria-label="New state"
          className="w-full sm:w-40"
          value={toState}
          onChange={(e) => {
            setToState(e.target.value as '' | 'healthy' | 'unhealthy')
            reset()
          }}
        >
          <option value="">Any change</option>
          <option value="unhealthy">Went down</option>
          <option value="healthy">Recovered</option>
        </Select>
        <Select
          aria-label="Period"
          className="w-full sm:w-36"
          value={period}
          onChange={(e) => {
            setPeriod(e.target.value as Period)
            reset()
          }}
        >
          <option value="1d">Last 24 hours</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="all">All time</option>
        </Select>
      </div>
      <QueryStates
        query={events}
        skeleton={{ rows: 4, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={HeartPulse}
            title="No health changes"
            description="When a checked destination goes down or recovers, the change is recorded here."
          />
        }
      >
        {(page) => (
          <>
            <Table data-testid="health-events-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>When</TableHead>
                  <TableHead>Destination</TableHead>
                  <TableHead>Change</TableHead>
                  <TableHead className="hidden sm:table-cell">Answer</TableHead>
                  <TableHead className="hidden text-right md:table-cell">Latency</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((e) => (
                  <TableRow key={e.id} data-testid="health-event-row">
                    <TableCell
                      className="whitespace-nowrap text-muted-foreground"
                      title={formatDateTime(e.created_at)}
                    >
                      {formatRelative(e.created_at)}
                    </TableCell>
                    <TableCell className="max-w-48 truncate">{nameOf(e.destination_id)}</TableCell>
                    <TableCell className="whitespace-nowrap">
                      <HealthBadge state={e.from_state} /> → <HealthBadge state={e.to_state} />
                    </TableCell>
                    <TableCell className="hidden max-w-72 truncate text-sm sm:table-cell">
                      {e.http_status ? `HTTP ${e.http_status}` : ''}
                      {e.error ? ` ${e.error}` : ''}
                      {!e.http_status && !e.error ? '—' : ''}
                    </TableCell>
                    <TableCell className="hidden text-right tabular-nums md:table-cell">
                      {e.latency_ms === null ? '—' : `${formatInt(e.latency_ms)} ms`}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            {(cursors.length > 1 || page.next_before) && (
              <div className="flex justify-end gap-1 border-t px-4 pt-2">
                <Button
                  variant="outline"
                  size="sm"
                  disabled={cursors.length <= 1}
                  onClick={() => setCursors((c) => c.slice(0, -1))}
                >
                  Newer
                </Button>
                <Button
                  variant="outline"
                  size="sm"
                  disabled={!page.next_before}
                  onClick={() => {
                    const next = page.next_before
                    if (next) setCursors((c) => [...c, next])
                  }}
                >
                  Older
                </Button>
              </div>
            )}
          </>
        )}
      </QueryStates>
    </Card>
  )
}

export function Component() {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Health" description="Whether your destinations answer, and when that changed." />
      <CurrentHealth />
      <HealthHistory />
    </div>
  )
}
