/**
 * The tabs of the Logs and Postbacks pages: inbound postback log, conversions, outbound
 * deliveries (with Retry), the change log and security events (`change-log-tabs.tsx`),
 * click-ingestion status. The active tab is `?tab=` in the URL.
 * A conversion or delivery row opens its page (`/logs/conversions/:id`, `/logs/outbound/:id`).
 */
import { Activity, ArrowDownToLine, ArrowUpFromLine, BadgeDollarSign, RefreshCw } from 'lucide-react'
import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { EmptyState, ErrorState, QueryStates, TableSkeleton } from '@/components/common/states'
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import { useIngestionStatus } from '@/hooks/api/logs'
import { CONVERSION_STATUSES, type ConversionStatus } from '@/hooks/api/networks'
import {
  OUTBOUND_STATES,
  POSTBACK_OUTCOMES,
  type PostbackOutcome,
  useConversions,
  useOutboundPostbacks,
  usePostbackLogs,
  useRetryOutbound,
} from '@/hooks/api/postbacks'
import { useNames } from '@/hooks/use-names'
import { errorMessage } from '@/lib/api'
import { formatInt, formatRelative } from '@/lib/format'
import { Pager } from '@/components/common/list'
import { ChangesTab, SecurityTab } from './change-log-tabs'
import { micros, OUTCOME_VARIANT, STATE_VARIANT, STATUS_VARIANT, useFromHere, When } from './ops-shared'

const LIMIT = 50
const POLL = 15_000

/** The "all networks / one network" filter of the logs tabs. */
function NetworkFilter({
  value,
  networks,
  onChange,
}: {
  value: string
  networks: { id: string; name: string }[]
  onChange: (networkId: string) => void
}) {
  return (
    <Select aria-label="Network" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">All networks</option>
      {networks.map((n) => (
        <option key={n.id} value={n.id}>
          {n.name}
        </option>
      ))}
    </Select>
  )
}

function Toolbar({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex flex-wrap items-center gap-2 px-4 pt-2 pb-3 [&>*]:w-full sm:[&>*]:w-48">
      {children}
    </div>
  )
}

function PostbackLogTab() {
  const [outcome, setOutcome] = useState<PostbackOutcome | ''>('')
  const [network, setNetwork] = useState('')
  const [click, setClick] = useState('')
  const [offset, setOffset] = useState(0)
  const { nameOf, options } = useNames(['network'])
  const from = useFromHere()
  const logs = usePostbackLogs(
    {
      limit: LIMIT,
      offset,
      outcome: outcome || undefined,
      network_id: network || undefined,
      click_id: click.trim() || undefined,
    },
    { refetchInterval: POLL },
  )
  const items = logs.data?.items ?? []
  return (
    <Card className="gap-0 py-2">
      <Toolbar>
        <Select
          aria-label="Outcome"
          value={outcome}
          onChange={(e) => {
            setOutcome(e.target.value as PostbackOutcome | '')
            setOffset(0)
          }}
        >
          <option value="">All outcomes</option>
          {POSTBACK_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o.replace(/_/g, ' ')}
            </option>
          ))}
        </Select>
        <NetworkFilter
          value={network}
          networks={options('network')}
          onChange={(id) => {
            setNetwork(id)
            setOffset(0)
          }}
        />
        <Input
          type="search"
          aria-label="Click ID"
          placeholder="Click ID"
          className="font-mono"
          value={click}
          onChange={(e) => {
            setClick(e.target.value)
            setOffset(0)
          }}
        />
      </Toolbar>
      <QueryStates
        query={logs}
        skeleton={{ rows: 5, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ArrowDownToLine}
            title="No postbacks received"
            description="When a network calls your postback URL, every request shows up here with how it was answered and why."
          />
        }
      >
        {(page) => (
          <>
            <Table data-testid="postback-log-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Received</TableHead>
                  <TableHead>Outcome</TableHead>
                  <TableHead className="hidden md:table-cell">Network</TableHead>
                  <TableHead className="hidden sm:table-cell">Click ID</TableHead>
                  <TableHead className="hidden lg:table-cell">Status</TableHead>
                  <TableHead className="text-right">Payout</TableHead>
                  <TableHead className="hidden xl:table-cell">Reason / request</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((r) => (
                  <TableRow key={r.id} data-testid="postback-log-row">
                    <TableCell>
                      {r.conversion_id ? (
                        <Link
                          to={`/logs/conversions/${r.conversion_id}`}
                          state={from}
                          className="underline-offset-4 hover:underline"
                          title="Open the conversion"
                        >
                          <When iso={r.received_at} />
                        </Link>
                      ) : (
                        <When iso={r.received_at} />
                      )}
                    </TableCell>
                    <TableCell>
                      <Badge variant={OUTCOME_VARIANT[r.outcome]} title={r.reason || undefined}>
                        {r.http_status} {r.outcome.replace(/_/g, ' ')}
                      </Badge>
                    </TableCell>
                    <TableCell className="hidden max-w-40 truncate md:table-cell">
                      {r.network_id ? nameOf('network', r.network_id) : '—'}
                    </TableCell>
                    <TableCell className="hidden max-w-44 truncate font-mono text-xs sm:table-cell">
                      {r.click_id || '—'}
                    </TableCell>
                    <TableCell className="hidden lg:table-cell">{r.status || '—'}</TableCell>
                    <TableCell className="text-right tabular-nums">{micros(r.payout_micros)}</TableCell>
                    <TableCell className="hidden max-w-96 xl:table-cell">
                      {r.reason && <div className="truncate text-sm">{r.reason}</div>}
                      <div className="truncate font-mono text-xs text-muted-foreground" title={r.query}>
                        {r.method} ?{r.query}
                      </div>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <Pager offset={offset} limit={LIMIT} total={page.total} onOffset={setOffset} />
          </>
        )}
      </QueryStates>
    </Card>
  )
}

function ConversionsTab() {
  const [status, setStatus] = useState<ConversionStatus | ''>('')
  const [network, setNetwork] = useState('')
  const [offset, setOffset] = useState(0)
  const { nameOf, options } = useNames(['network', 'campaign'])
  const from = useFromHere()
  const navigate = useNavigate()
  const conversions = useConversions(
    { limit: LIMIT, offset, status: status || undefined, network_id: network || undefined },
    { refetchInterval: POLL },
  )
  const items = conversions.data?.items ?? []
  return (
    <Card className="gap-0 py-2">
      <Toolbar>
        <Select
          aria-label="Status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as ConversionStatus | '')
            setOffset(0)
          }}
        >
          <option value="">All statuses</option>
          {CONVERSION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
        <NetworkFilter
          value={network}
          networks={options('network')}
          onChange={(id) => {
            setNetwork(id)
            setOffset(0)
          }}
        />
      </Toolbar>
      <QueryStates
        query={conversions}
        skeleton={{ rows: 5, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={BadgeDollarSign}
            title="No conversions yet"
            description="Accepted postbacks create conversions; set up a network's postback URL to start."
          />
        }
      >
        {(page) => (
          <>
            <Table data-testid="conversions-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Created</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead className="hidden md:table-cell">Campaign</TableHead>
                  <TableHead className="hidden md:table-cell">Network</TableHead>
                  <TableHead className="hidden lg:table-cell">Click ID</TableHead>
                  <TableHead className="hidden lg:table-cell">Transaction</TableHead>
                  <TableHead className="hidden sm:table-cell">Country</TableHead>
                  <TableHead className="text-right">Revenue</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((c) => (
                  <TableRow
                    key={c.id}
                    data-testid="conversion-row"
                    className="cursor-pointer"
                    onClick={() => navigate(`/logs/conversions/${c.id}`, { state: from })}
                  >
                    <TableCell>
                      <Link
                        to={`/logs/conversions/${c.id}`}
                        state={from}
                        className="font-medium underline-offset-4 hover:underline"
                        aria-label={`Open the ${c.status} conversion of click ${c.click_id}`}
                        onClick={(e) => e.stopPropagation()}
                      >
                        <When iso={c.created_at} />
                      </Link>
                    </TableCell>
                    <TableCell>
                      <Badge
                        variant={STATUS_VARIANT[c.status]}
                        title={`Went through: ${c.seen_statuses.join(' → ')}`}
                      >
                        {c.status}
                      </Badge>
                    </TableCell>
                    <TableCell className="hidden max-w-40 truncate md:table-cell">
                      {c.campaign_id ? nameOf('campaign', c.campaign_id) : '—'}
                    </TableCell>
                    <TableCell className="hidden max-w-40 truncate md:table-cell">
                      {c.network_id ? nameOf('network', c.network_id) : '—'}
                    </TableCell>
                    <TableCell className="hidden max-w-44 truncate font-mono text-xs lg:table-cell">
                      {c.click_id}
                    </TableCell>
                    <TableCell className="hidden max-w-32 truncate font-mono text-xs lg:table-cell">
                      {c.transaction_id || '—'}
                    </TableCell>
                    <TableCell className="hidden sm:table-cell">{c.country || '—'}</TableCell>
                    <TableCell className="text-right tabular-nums">
                      {micros(c.revenue_micros, c.currency)}
                      {c.status === 'rejected' && c.payout_micros > 0 && (
                        <div className="text-xs text-muted-foreground line-through">
                          {micros(c.payout_micros, c.currency)}
                        </div>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <Pager offset={offset} limit={LIMIT} total={page.total} onOffset={setOffset} />
          </>
        )}
      </QueryStates>
    </Card>
  )
}

function OutboundTab() {
  const [state, setState] = useState('')
  const [offset, setOffset] = useState(0)
  const { nameOf } = useNames(['source'])
  const from = useFromHere()
  const navigate = useNavigate()
  const outbound = useOutboundPostbacks(
    { limit: LIMIT, offset, state: state || undefined },
    { refetchInterval: POLL },
  )
  const retry = useRetryOutbound()
  const items = outbound.data?.items ?? []
  const onRetry = (id: string) =>
    retry.mutate(id, {
      onSuccess: () => toast.success('Delivery restarted'),
      onError: (e) => toast.error(errorMessage(e)),
    })
  return (
    <Card className="gap-0 py-2">
      <Toolbar>
        <Select
          aria-label="State"
          value={state}
          onChange={(e) => {
            setState(e.target.value)
            setOffset(0)
          }}
        >
          <option value="">All states</option>
          {OUTBOUND_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          <option value="failed,dead">Dead letters (failed + dead)</option>
        </Select>
      </Toolbar>
      <QueryStates
        query={outbound}
        skeleton={{ rows: 5, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ArrowUpFromLine}
            title={state ? 'No deliveries in this state' : 'No outbound postbacks yet'}
            description="Sources with a postback URL template get one call per accepted conversion change; every delivery is listed here."
          />
        }
      >
        {(page) => (
          <>
            <Table data-testid="outbound-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Created</TableHead>
                  <TableHead>State</TableHead>
                  <TableHead className="hidden sm:table-cell">Source</TableHead>
                  <TableHead className="hidden md:table-cell">Status</TableHead>
                  <TableHead className="text-right">Attempts</TableHead>
                  <TableHead className="hidden lg:table-cell">Last answer</TableHead>
                  <TableHead className="w-0">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((o) => (
                  <TableRow
                    key={o.id}
                    data-testid="outbound-row"
                    className="cursor-pointer"
                    onClick={() => navigate(`/logs/outbound/${o.id}`, { state: from })}
                  >
                    <TableCell>
                      <Link
                        to={`/logs/outbound/${o.id}`}
                        state={from}
                        className="font-medium underline-offset-4 hover:underline"
                        aria-label={`Open the ${o.state} delivery of the ${o.status} postback`}
                        onClick={(e) => e.stopPropagation()}
                      >
                        <When iso={o.created_at} />
                      </Link>
                    </TableCell>
                    <TableCell>
                      <Badge variant={STATE_VARIANT[o.state] ?? 'secondary'}>{o.state}</Badge>
                    </TableCell>
                    <TableCell className="hidden max-w-40 truncate sm:table-cell">
                      {o.source_id ? nameOf('source', o.source_id) : '—'}
                    </TableCell>
                    <TableCell className="hidden md:table-cell">{o.status}</TableCell>
                    <TableCell className="text-right tabular-nums">
                      {formatInt(o.attempts)}
                      {o.manual_retries > 0 && (
                        <span className="text-xs text-muted-foreground"> (+{o.manual_retries} retries)</span>
                      )}
                    </TableCell>
                    <TableCell className="hidden max-w-80 lg:table-cell">
                      <div className="truncate text-sm">
                        {o.last_status_code ? `HTTP ${o.last_status_code}` : ''}
                        {o.last_error ? ` ${o.last_error}` : ''}
                        {!o.last_status_code && !o.last_error ? '—' : ''}
                      </div>
                      <div className="truncate font-mono text-xs text-muted-foreground" title={o.url}>
                        {o.url}
                      </div>
                    </TableCell>
                    <TableCell className="text-right">
                      {(o.state === 'failed' || o.state === 'dead') && (
                        <Button
                          variant="outline"
                          size="sm"
                          disabled={retry.isPending && retry.variables === o.id}
                          onClick={(e) => {
                            e.stopPropagation()
                            onRetry(o.id)
                          }}
                        >
                          {retry.isPending && retry.variables === o.id ? <Spinner /> : <RefreshCw />} Retry
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <Pager offset={offset} limit={LIMIT} total={page.total} onOffset={setOffset} />
          </>
        )}
      </QueryStates>
    </Card>
  )
}

function Stat({ label, value, warn }: { label: string; value: React.ReactNode; warn?: boolean }) {
  return (
    <div className="rounded-lg border p-3">
      <div className="text-xs text-muted-foreground">{label}</div>
      <div className={`text-lg font-semibold tabular-nums ${warn ? 'text-destructive' : ''}`}>{value}</div>
    </div>
  )
}

function IngestionTab() {
  const status = useIngestionStatus()
  if (status.isPending) return <TableSkeleton rows={4} columns={4} />
  if (status.isError) return <ErrorState error={status.error} onRetry={() => void status.refetch()} />
  const { pipeline: p, recent_errors: errors, recent_errors_unavailable: unavailable } = status.data
  return (
    <div className="flex flex-col gap-4" data-testid="ingestion-status">
      {(p.spilling || p.recovering) && (
        <Alert variant="info">
          <Activity />
          <AlertTitle>
            {p.recovering ? 'Replaying a backlog' : 'Backpressure: clicks go to disk first'}
          </AlertTitle>
          <AlertDescription>
            {formatInt(p.pending)} clicks wait for ClickHouse. No click is lost; reports catch up when the
            backlog is written.
          </AlertDescription>
        </Alert>
      )}
      <Card>
        <CardHeader>
          <CardTitle>Click pipeline</CardTitle>
          <CardDescription>
            This server process since it started. Last commit{' '}
            {p.lastCommitAt ? formatRelative(p.lastCommitAt) : 'never'}.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          <Stat label="Clicks received" value={formatInt(p.pushed)} />
          <Stat label="Inserted" value={formatInt(p.inserted.clicks + p.inserted.trafficback)} />
          <Stat label="Queued" value={`${formatInt(p.queued)} / ${formatInt(p.queueMax)}`} />
          <Stat label="Waiting on disk" value={formatInt(p.pending)} warn={p.pending > 0 && p.spilling} />
          <Stat label="Backpressure" value={formatInt(p.backpressure)} warn={p.backpressure > 0} />
          <Stat label="Errors" value={formatInt(p.errors)} warn={p.errors > 0} />
        </CardContent>
      </Card>
      {p.lastError && (
        <Alert variant="destructive">
          <Activity />
          <AlertTitle>
            Last error ({p.lastError.stage}, {formatRelative(p.lastError.at)})
          </AlertTitle>
          <AlertDescription className="break-all">{p.lastError.message}</AlertDescription>
        </Alert>
      )}
      <Card className="gap-0 py-2">
        <div className="px-4 pt-2 pb-3 font-medium">Recent ingestion errors (all nodes)</div>
        {unavailable ? (
          <ErrorState title="ClickHouse could not be read" error={new Error(unavailable)} />
        ) : errors.length === 0 ? (
          <EmptyState
            icon={Activity}
            title="No ingestion errors"
            description="Every batch of clicks was stored."
          />
        ) : (
          <Table data-testid="ingestion-errors-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>When</TableHead>
                <TableHead>Stage</TableHead>
                <TableHead className="hidden sm:table-cell">Node</TableHead>
                <TableHead className="text-right">Events</TableHead>
                <TableHead>Error</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {errors.map((e, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows have no id; the list is replaced as a whole
                <TableRow key={i}>
                  <TableCell>
                    <When iso={e.ts} />
                  </TableCell>
                  <TableCell>{e.stage}</TableCell>
                  <TableCell className="hidden font-mono text-xs sm:table-cell">{e.node}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatInt(e.events)}</TableCell>
                  <TableCell className="max-w-96 truncate text-sm" title={e.error}>
                    {e.error}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
    </div>
  )
}

export type OpsTab = 'postbacks' | 'conversions' | 'outbound' | 'changes' | 'security' | 'ingestion'
const LABEL: Record<OpsTab, string> = {
  postbacks: 'Postbacks in',
  conversions: 'Conversions',
  outbound: 'Postbacks out',
  changes: 'Changes',
  security: 'Security',
  ingestion: 'Ingestion',
}

/** Tabs over the given panels; `?tab=` selects one (the first by default). */
export function OpsTabs({ tabs }: { tabs: readonly OpsTab[] }) {
  const [search, setSearch] = useSearchParams()
  const first = tabs[0] ?? 'postbacks'
  const tab = (tabs as readonly string[]).includes(search.get('tab') ?? '')
    ? (search.get('tab') as OpsTab)
    : first
  const select = (v: string) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (v === first) next.delete('tab')
        else next.set('tab', v)
        return next
      },
      { replace: true },
    )
  return (
    <Tabs value={tab} onValueChange={select}>
      {/* Phones: the tabs wrap onto a second line instead of running off the screen. */}
      <TabsList aria-label="Log sections" className="h-auto flex-wrap" data-testid="logs-tabs">
        {tabs.map((t) => (
          <TabsTrigger key={t} value={t} className="h-8 flex-none">
            {LABEL[t]}
          </TabsTrigger>
        ))}
      </TabsList>
      <TabsContent value="postbacks">
        <PostbackLogTab />
      </TabsContent>
      <TabsContent value="conversions">
        <ConversionsTab />
      </TabsContent>
      <TabsContent value="outbound">
        <OutboundTab />
      </TabsContent>
      <TabsContent value="changes">
        <ChangesTab />
      </TabsContent>
      <TabsContent value="security">
        <SecurityTab />
      </TabsContent>
      <TabsContent value="ingestion">
        <IngestionTab />
      </TabsContent>
    </Tabs>
  )
}
