/**
 * `/logs/outbound/:id` — one outbound postback to a traffic source: its target URL (as the
 * API shows it: secret-looking values are `***`), the parameters it carries, its state and
 * next attempt, and the attempt log (time, HTTP status, latency, error), with Retry for a
 * failed or dead delivery. Polls while a delivery is pending.
 */
import { ArrowUpFromLine, History, RefreshCw } from 'lucide-react'
import { Link, useParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type OutboundDetail, useOutboundPostback, useRetryOutbound } from '@/hooks/api/postbacks'
import { useNames } from '@/hooks/use-names'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatInt, formatRelative, formatTime } from '@/lib/format'
import { ATTEMPT_VARIANT, BackLink, Fact, Facts, STATE_VARIANT, useFromHere } from '../components/ops-shared'
import { attemptLabel, payloadOf } from './payload.lib'

/** What the state means for the operator. */
function stateLine(o: OutboundDetail): string {
  switch (o.state) {
    case 'pending':
      return o.next_attempt_at
        ? `Next attempt ${formatRelative(o.next_attempt_at)} (${formatDateTime(o.next_attempt_at)})`
        : 'An attempt is running'
    case 'delivered':
      return `Delivered ${o.delivered_at ? formatRelative(o.delivered_at) : ''}`.trim()
    case 'failed':
      return 'Refused by the source (not retried automatically): fix the template, then retry'
    case 'dead':
      return 'Every automatic attempt failed: retry when the source is back'
  }
}

function Target({ o }: { o: OutboundDetail }) {
  const payload = payloadOf(o.url)
  return (
    <Card data-testid="outbound-target">
      <CardHeader>
        <div>
          <CardTitle>Request</CardTitle>
          <CardDescription>
            GET, as sent; values of parameters that look secret are shown as ***.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        <p
          className="rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs break-all"
          data-testid="outbound-url"
        >
          {o.url || '(no valid URL: the source’s postback template could not be rendered)'}
        </p>
        {payload && payload.params.length > 0 && (
          <Table data-testid="outbound-payload">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Parameter</TableHead>
                <TableHead>Value</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {payload.params.map(([name, value], i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a name may repeat; the order is fixed
                <TableRow key={i}>
                  <TableCell className="font-mono text-xs">{name}</TableCell>
                  <TableCell className="font-mono text-xs break-all">{value || '—'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  )
}

function Attempts({ o }: { o: OutboundDetail }) {
  // Newest first: the attempt that decided the current state is on top.
  const attempts = [...o.attempt_log].reverse()
  return (
    <Card className="gap-2 pb-2" data-testid="outbound-attempts">
      <CardHeader>
        <div>
          <CardTitle>Attempts</CardTitle>
          <CardDescription>Newest first. Retries double their delay, for up to 24 hours.</CardDescription>
        </div>
      </CardHeader>
      {attempts.length === 0 ? (
        <EmptyState
          icon={History}
          title="No attempt yet"
          description="The first attempt starts within seconds of the conversion."
        />
      ) : (
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Time</TableHead>
              <TableHead className="hidden sm:table-cell">Attempt</TableHead>
              <TableHead>Result</TableHead>
              <TableHead className="text-right">HTTP</TableHead>
              <TableHead className="text-right">Latency</TableHead>
              <TableHead className="hidden md:table-cell">Error</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {attempts.map((a) => (
              <TableRow key={`${a.round}:${a.attempt}`} data-testid="attempt-row">
                <TableCell className="whitespace-nowrap tabular-nums" title={formatDateTime(a.created_at)}>
                  {formatTime(a.created_at)}
                  <div className="text-xs text-muted-foreground sm:hidden">
                    {attemptLabel(a.round, a.attempt)}
                  </div>
                </TableCell>
                <TableCell className="hidden whitespace-nowrap sm:table-cell">
                  {attemptLabel(a.round, a.attempt)}
                </TableCell>
                <TableCell>
                  <Badge variant={ATTEMPT_VARIANT[a.outcome]}>{a.outcome}</Badge>
                  {a.error && (
                    <div className="mt-1 max-w-56 truncate text-xs text-muted-foreground md:hidden">
                      {a.error}
                    </div>
                  )}
                </TableCell>
                <TableCell className="text-right tabular-nums">{a.status_code ?? '—'}</TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatInt(a.latency_ms)} ms
                </TableCell>
                <TableCell className="hidden max-w-96 md:table-cell">
                  <div className="truncate text-sm" title={a.error}>
                    {a.error || '—'}
                  </div>
                  {a.url !== o.url && (
                    <div className="truncate font-mono text-xs text-muted-foreground" title={a.url}>
                      {a.url}
                    </div>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Card>
  )
}

function Details({ o }: { o: OutboundDetail }) {
  const { nameOf } = useNames(['source'])
  const from = useFromHere()
  return (
    <Card data-testid="outbound-details">
      <CardHeader>
        <CardTitle>Delivery</CardTitle>
      </CardHeader>
      <CardContent>
        <Facts>
          <Fact label="State">
            <Badge variant={STATE_VARIANT[o.state]}>{o.state}</Badge>
          </Fact>
          <Fact label="Reports status">{o.status}</Fact>
          <Fact label="Source">{o.source_id ? nameOf('source', o.source_id) : '—'}</Fact>
          <Fact label="Conversion">
            <Link
              to={`/logs/conversions/${o.conversion_id}`}
              state={from}
              className="text-primary underline-offset-4 hover:underline"
            >
              Open the conversion
            </Link>
          </Fact>
          <Fact label="Attempts this round">{formatInt(o.attempts)}</Fact>
          <Fact label="Manual retries">{formatInt(o.manual_retries)}</Fact>
          <Fact label="Next attempt">{o.state === 'pending' ? formatDateTime(o.next_attempt_at) : '—'}</Fact>
          <Fact label="Delivered">{formatDateTime(o.delivered_at)}</Fact>
          <Fact label="Last answer">
            {/* The error names the HTTP status when there was one. */}
            {o.last_error || (o.last_status_code ? `HTTP ${o.last_status_code}` : '—')}
          </Fact>
          <Fact label="Created">{formatDateTime(o.created_at)}</Fact>
        </Facts>
      </CardContent>
    </Card>
  )
}

export function Component() {
  const { id = '' } = useParams()
  const outbound = useOutboundPostback(id)
  const retry = useRetryOutbound()
  const back = <BackLink fallback="/logs?tab=outbound" label="Postbacks out" />
  if (outbound.isPending || outbound.isError)
    return (
      <div className="flex flex-col gap-4">
        {back}
        <QueryStates
          query={outbound}
          skeleton={{ rows: 6, columns: 3 }}
          errorTitle="Could not load this delivery"
          card
        />
      </div>
    )
  const o = outbound.data
  const canRetry = o.state === 'failed' || o.state === 'dead'
  const onRetry = () =>
    retry.mutate(o.id, {
      onSuccess: () => toast.success('Delivery restarted'),
      onError: (e) => toast.error(errorMessage(e)),
    })
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        {back}
        <PageHeader
          title={
            <span className="flex flex-wrap items-center gap-3">
              <ArrowUpFromLine className="size-6 text-muted-foreground" /> Outbound postback
              <Badge variant={STATE_VARIANT[o.state]} className="text-sm" data-testid="outbound-state">
                {o.state}
              </Badge>
            </span>
          }
          description={stateLine(o)}
          actions={
            canRetry && (
              <Button onClick={onRetry} disabled={retry.isPending} className="w-full sm:w-auto">
                {retry.isPending ? <Spinner /> : <RefreshCw />} Retry delivery
              </Button>
            )
          }
        />
      </div>
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="flex min-w-0 flex-col gap-6">
          <Target o={o} />
          <Attempts o={o} />
        </div>
        <Details o={o} />
      </div>
    </div>
  )
}
