/**
 * `/logs/conversions/:id` — one conversion: its status, money, the click it came from
 * (campaign, source, geo, device, sub IDs) and its history as a timeline (the click, each
 * accepted change with the postback that made it, duplicates and refused postbacks), plus
 * the outbound postbacks it caused.
 */
import { ArrowUpFromLine, BadgeDollarSign, MousePointerClick } from 'lucide-react'
import { Link, useParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates, TableSkeleton } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type ConversionDetail,
  useConversion,
  useOutboundPostbacks,
  usePostbackLogs,
} from '@/hooks/api/postbacks'
import { useNames } from '@/hooks/use-names'
import { formatInt } from '@/lib/format'
import { cn } from '@/lib/utils'
import {
  BackLink,
  Fact,
  Facts,
  micros,
  OUTCOME_VARIANT,
  STATE_VARIANT,
  STATUS_VARIANT,
  useFromHere,
  When,
} from '../components/ops-shared'
import { changeTitle, conversionTimeline, type TimelineEntry } from './timeline.lib'

const POLL = 15_000

/** "12 May 2025, 14:03:27" in the browser's zone. */
function stamp(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? '—'
    : d.toLocaleString(undefined, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hour12: false,
      })
}

/** "+$8.00" / "−$10.00". */
function signedMoney(m: number, currency: string): string {
  const abs = micros(Math.abs(m), currency)
  return m < 0 ? `−${abs}` : `+${abs}`
}

function Dot({ className }: { className: string }) {
  return (
    <span
      aria-hidden
      className={cn('absolute top-1 -left-[1.94rem] size-3 rounded-full ring-4 ring-card', className)}
    />
  )
}

const DOT: Record<string, string> = {
  lead: 'bg-muted-foreground',
  sale: 'bg-success',
  rejected: 'bg-destructive',
  rebill: 'bg-primary',
}

/** The request line of a logged postback (secrets are already `***` in the log). */
function Request({ method, query, body }: { method: string; query: string; body: string }) {
  return (
    <p className="mt-1 font-mono text-xs break-all text-muted-foreground">
      {method} ?{query}
      {body && <span className="block">body: {body}</span>}
    </p>
  )
}

function Entry({ entry, currency, campaign }: { entry: TimelineEntry; currency: string; campaign: string }) {
  if (entry.kind === 'click') {
    return (
      <li className="relative" data-testid="timeline-entry" data-kind="click">
        <Dot className="bg-border" />
        <div className="flex flex-wrap items-baseline justify-between gap-x-3">
          <p className="flex items-center gap-1.5 font-medium">
            <MousePointerClick className="size-4 text-muted-foreground" /> Click on {campaign}
          </p>
          <time className="text-xs text-muted-foreground tabular-nums">{stamp(entry.at)}</time>
        </div>
      </li>
    )
  }
  if (entry.kind === 'change') {
    const e = entry.event
    const payoutChanged =
      entry.previousPayoutMicros !== null && entry.previousPayoutMicros !== e.payout_micros
    return (
      <li className="relative" data-testid="timeline-entry" data-kind="change">
        <Dot className={DOT[e.status] ?? 'bg-primary'} />
        <div className="flex flex-wrap items-baseline justify-between gap-x-3">
          <p className="flex flex-wrap items-center gap-2 font-medium">
            {changeTitle(e)}
            <Badge variant={STATUS_VARIANT[e.status]}>{e.status}</Badge>
          </p>
          <time className="text-xs text-muted-foreground tabular-nums">{stamp(entry.at)}</time>
        </div>
        <p className="mt-1 text-sm">
          Payout{' '}
          {payoutChanged ? (
            <>
              <span className="text-muted-foreground line-through">
                {micros(entry.previousPayoutMicros, currency)}
              </span>{' '}
              → {micros(e.payout_micros, currency)}
            </>
          ) : (
            micros(e.payout_micros, currency)
          )}
          <span className="text-muted-foreground"> · revenue </span>
          <span
            className={cn(
              'tabular-nums',
              e.revenue_delta_micros > 0 && 'text-success',
              e.revenue_delta_micros < 0 && 'text-destructive',
            )}
          >
            {signedMoney(e.revenue_delta_micros, currency)}
          </span>
        </p>
        {entry.postback ? (
          <Request {...entry.postback} />
        ) : (
          <p className="mt-1 text-xs text-muted-foreground">Its postback is no longer in the log.</p>
        )}
        <p className="mt-1 text-xs text-muted-foreground">
          {e.synced_at ? `In the reports since ${stamp(e.synced_at)}` : 'On its way to the reports'}
        </p>
      </li>
    )
  }
  const l = entry.postback
  return (
    <li className="relative" data-testid="timeline-entry" data-kind="postback">
      <Dot className="bg-background ring-1 ring-border" />
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <p className="flex flex-wrap items-center gap-2 text-sm">
          Postback
          <Badge variant={OUTCOME_VARIANT[l.outcome]}>
            {l.http_status} {l.outcome.replace(/_/g, ' ')}
          </Badge>
          {l.status && <span className="text-muted-foreground">status {l.status}</span>}
        </p>
        <time className="text-xs text-muted-foreground tabular-nums">{stamp(entry.at)}</time>
      </div>
      {l.reason && <p className="mt-1 text-sm text-muted-foreground">{l.reason}</p>}
      <Request {...l} />
    </li>
  )
}

function History({ conversion, campaign }: { conversion: ConversionDetail; campaign: string }) {
  const c = conversion
  const logs = usePostbackLogs(
    { click_id: c.click_id, network_id: c.network_id ?? undefined, limit: 100 },
    { refetchInterval: POLL },
  )
  return (
    <Card data-testid="conversion-history">
      <CardHeader>
        <div>
          <CardTitle>History</CardTitle>
          <CardDescription>
            Every change and every postback about this conversion, oldest first.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        {logs.isPending ? (
          <TableSkeleton rows={3} columns={2} />
        ) : (
          <>
            {logs.isError && (
              <p className="mb-3 text-sm text-muted-foreground">
                The postback log could not be read; showing the changes only.
              </p>
            )}
            <ol className="ml-2 flex flex-col gap-5 border-l pl-6">
              {conversionTimeline(c, logs.data?.items ?? []).map((entry) => (
                <Entry
                  key={
                    entry.kind === 'change'
                      ? `e${entry.event.seq}`
                      : entry.kind === 'postback'
                        ? entry.postback.id
                        : 'click'
                  }
                  entry={entry}
                  currency={c.currency}
                  campaign={campaign}
                />
              ))}
            </ol>
          </>
        )}
      </CardContent>
    </Card>
  )
}

function Outbound({ conversionId }: { conversionId: string }) {
  const from = useFromHere()
  const { nameOf } = useNames(['source'])
  const out = useOutboundPostbacks({ conversion_id: conversionId, limit: 50 }, { refetchInterval: POLL })
  const items = out.data?.items ?? []
  return (
    <Card className="gap-2 pb-2" data-testid="conversion-outbound">
      <CardHeader>
        <div>
          <CardTitle>Postbacks out</CardTitle>
          <CardDescription>What the traffic source was told, one call per change.</CardDescription>
        </div>
      </CardHeader>
      <QueryStates
        query={out}
        skeleton={{ rows: 2, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ArrowUpFromLine}
            title="Nothing sent"
            description="The click's traffic source has no postback URL, or the click came without a source."
          />
        }
      >
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Created</TableHead>
              <TableHead>Reports</TableHead>
              <TableHead>State</TableHead>
              <TableHead className="hidden sm:table-cell">Source</TableHead>
              <TableHead className="text-right">Attempts</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((o) => (
              <TableRow key={o.id} data-testid="conversion-outbound-row">
                <TableCell>
                  <Link
                    to={`/logs/outbound/${o.id}`}
                    state={from}
                    className="font-medium underline-offset-4 hover:underline"
                    aria-label={`Open the ${o.status} delivery`}
                  >
                    <When iso={o.created_at} />
                  </Link>
                </TableCell>
                <TableCell>{o.status}</TableCell>
                <TableCell>
                  <Badge variant={STATE_VARIANT[o.state]}>{o.state}</Badge>
                </TableCell>
                <TableCell className="hidden max-w-40 truncate sm:table-cell">
                  {o.source_id ? nameOf('source', o.source_id) : '—'}
                </TableCell>
                <TableCell className="text-right tabular-nums">{formatInt(o.attempts)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </QueryStates>
    </Card>
  )
}

function Details({ conversion: c }: { conversion: ConversionDetail }) {
  const { nameOf } = useNames(['campaign', 'network', 'source', 'destination', 'stream'])
  const named = (dim: string, id: string | null, to?: string) =>
    !id ? (
      '—'
    ) : to ? (
      <Link to={to} className="text-primary underline-offset-4 hover:underline">
        {nameOf(dim, id)}
      </Link>
    ) : (
      nameOf(dim, id)
    )
  const subs = Object.entries(c.subs).filter(([, v]) => v !== '')
  return (
    <div className="flex flex-col gap-6">
      <Card data-testid="conversion-details">
        <CardHeader>
          <CardTitle>Conversion</CardTitle>
        </CardHeader>
        <CardContent>
          <Facts>
            <Fact label="Click ID" mono wide>
              <span data-testid="conversion-click-id">{c.click_id}</span>
            </Fact>
            <Fact label="Transaction ID" mono wide>
              {c.transaction_id || '—'}
            </Fact>
            <Fact label="Campaign">{named('campaign', c.campaign_id, `/campaigns/${c.campaign_id}`)}</Fact>
            <Fact label="Network">{named('network', c.network_id, `/networks/${c.network_id}`)}</Fact>
            <Fact label="Destination">{named('destination', c.destination_id)}</Fact>
            <Fact label="Source">{named('source', c.source_id)}</Fact>
            <Fact label="Payout">{micros(c.payout_micros, c.currency)}</Fact>
            <Fact label="Revenue counted">{micros(c.revenue_micros, c.currency)}</Fact>
            <Fact label="Currency">{c.currency}</Fact>
            <Fact label="Click cost">{micros(c.cost_micros, c.currency)}</Fact>
            <Fact label="Went through">{c.seen_statuses.join(' → ')}</Fact>
            <Fact label="Country">{c.country ? nameOf('country', c.country) : '—'}</Fact>
            <Fact label="Device">{[c.device, c.os, c.browser].filter(Boolean).join(' · ') || '—'}</Fact>
            <Fact label="Source click ID" mono>
              {c.external_id || '—'}
            </Fact>
            <Fact label="Clicked">{stamp(c.click_ts)}</Fact>
            <Fact label="Created">{stamp(c.created_at)}</Fact>
            <Fact label="Last change">{stamp(c.updated_at)}</Fact>
          </Facts>
        </CardContent>
      </Card>
      <Card data-testid="conversion-subs">
        <CardHeader>
          <div>
            <CardTitle>Sub IDs</CardTitle>
            <CardDescription>
              The click's values; a sub it lacked is filled from the postback.
            </CardDescription>
          </div>
        </CardHeader>
        <CardContent>
          {subs.length === 0 ? (
            <p className="text-sm text-muted-foreground">No sub values.</p>
          ) : (
            <Facts>
              {subs.map(([k, v]) => (
                <Fact key={k} label={k} mono>
                  {v}
                </Fact>
              ))}
            </Facts>
          )}
        </CardContent>
      </Card>
    </div>
  )
}

export function Component() {
  const { id = '' } = useParams()
  const conversion = useConversion(id, { refetchInterval: POLL })
  const { nameOf } = useNames(['campaign', 'network'])
  const back = <BackLink fallback="/logs?tab=conversions" label="Conversions" />
  if (conversion.isPending || conversion.isError)
    return (
      <div className="flex flex-col gap-4">
        {back}
        <QueryStates
          query={conversion}
          skeleton={{ rows: 6, columns: 3 }}
          errorTitle="Could not load this conversion"
          card
        />
      </div>
    )
  const c = conversion.data
  const campaign = c.campaign_id ? nameOf('campaign', c.campaign_id) : 'an unknown campaign'
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        {back}
        <PageHeader
          title={
            <span className="flex flex-wrap items-center gap-3">
              <BadgeDollarSign className="size-6 text-success" /> Conversion
              <Badge variant={STATUS_VARIANT[c.status]} className="text-sm" data-testid="conversion-status">
                {c.status}
              </Badge>
            </span>
          }
          description={`${micros(c.revenue_micros, c.currency)} revenue · ${campaign}${c.network_id ? ` · ${nameOf('network', c.network_id)}` : ''}`}
        />
      </div>
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="flex min-w-0 flex-col gap-6">
          <History conversion={c} campaign={campaign} />
          <Outbound conversionId={c.id} />
        </div>
        <Details conversion={c} />
      </div>
    </div>
  )
}
