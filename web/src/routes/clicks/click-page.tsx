/**
 * `/clicks/:clickId` — one click: its context (time, campaign, source, geo, device, IP,
 * user agent, referrer, sub IDs, UTM), the route decision (the stream and offer it got,
 * and why: its context replayed through today's configuration, stream by stream, with
 * the offers kept or dropped, saying when today's pick differs), its lander clicks, and
 * its conversions with status and payout.
 */
import { BadgeDollarSign, CircleCheck, CircleX, Info, MousePointerClick, TriangleAlert } from 'lucide-react'
import { Link, useParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type ClickDetail, type TraceStream, useClick } from '@/hooks/api/clicks'
import { useConversions } from '@/hooks/api/postbacks'
import { formatDateTime } from '@/lib/format'
import { cn } from '@/lib/utils'
import { BackLink, Fact, Facts, micros, STATUS_VARIANT, useFromHere } from '../logs/components/ops-shared'

const DROP: Record<string, string> = {
  inactive_link: 'link paused',
  status: 'offer not active',
  schedule: 'outside its schedule',
  daily_cap: 'daily cap reached',
  total_cap: 'total cap reached',
  unhealthy: 'failing health check',
  anti_repeat: 'seen by this visitor (anti-repeat)',
  missing: 'offer deleted',
}

function named(name: string | null, id: string, to?: string) {
  if (!id) return '—'
  const text = name ?? id
  return to ? (
    <Link to={to} className="text-primary underline-offset-4 hover:underline">
      {text}
    </Link>
  ) : (
    text
  )
}

function Context({ d }: { d: ClickDetail }) {
  const c = d.click
  const subs = Object.entries(c.subs).filter(([, v]) => v)
  const utm = Object.entries(c.utm).filter(([, v]) => v)
  return (
    <Card data-testid="click-context">
      <CardHeader>
        <CardTitle>Context</CardTitle>
      </CardHeader>
      <CardContent>
        <Facts>
          <Fact label="Click ID" mono wide>
            <span data-testid="click-id">{c.click_id}</span>
          </Fact>
          <Fact label="Time">{formatDateTime(c.ts)}</Fact>
          <Fact label="Cost">{micros(c.cost_micros, c.currency)}</Fact>
          <Fact label="Campaign">{named(c.campaign_name, c.campaign_id, `/campaigns/${c.campaign_id}`)}</Fact>
          <Fact label="Traffic source">{named(c.source_name, c.source_id, `/sources/${c.source_id}`)}</Fact>
          <Fact label="Country">{c.country || '—'}</Fact>
          <Fact label="Language">{c.language || '—'}</Fact>
          <Fact label="Device">{[c.device, c.os, c.browser].filter(Boolean).join(' · ') || '—'}</Fact>
          <Fact label="IP" mono>
            {c.ip || '—'}
          </Fact>
          <Fact label="Flags">
            {[c.is_unique ? 'unique' : 'repeat', c.is_bot ? 'bot' : 'not a bot'].join(' · ')}
          </Fact>
          <Fact label="Source click ID" mono>
            {c.external_id || '—'}
          </Fact>
          <Fact label="User agent" mono wide>
            {c.user_agent || '—'}
          </Fact>
          <Fact label="Referrer" mono wide>
            {c.referrer || '—'}
          </Fact>
          <Fact label="Sent to" mono wide>
            {c.destination_url || '—'}
          </Fact>
          {subs.map(([k, v]) => (
            <Fact key={k} label={k} mono>
              {v}
            </Fact>
          ))}
          {utm.map(([k, v]) => (
            <Fact key={k} label={k} mono>
              {v}
            </Fact>
          ))}
          {c.source && (
            <Fact label="source" mono>
              {c.source}
            </Fact>
          )}
        </Facts>
      </CardContent>
    </Card>
  )
}

function StreamLine({ s, recorded, picked }: { s: TraceStream; recorded: boolean; picked: boolean }) {
  return (
    <li
      className="flex flex-col gap-1 rounded-md border p-3"
      data-testid="trace-stream"
      data-matched={s.matched}
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="flex min-w-0 items-center gap-2">
          {s.matched ? (
            <CircleCheck className="size-4 shrink-0 text-success" />
          ) : (
            <CircleX className="size-4 shrink-0 text-muted-foreground" />
          )}
          <span className="font-medium break-words">{s.name}</span>
        </span>
        <Badge variant="outline">{s.kind}</Badge>
        {picked && <Badge variant="success">picked now</Badge>}
        {recorded && <Badge variant="secondary">served the click</Badge>}
      </div>
      {!s.matched && (
        <p className="text-sm text-muted-foreground">
          {s.failed ? `Failed: ${s.failed}` : 'Conditions did not match'}
        </p>
      )}
      {s.destinations && s.destinations.length > 0 && (
        <ul className="mt-1 flex flex-col gap-0.5 text-sm">
          {s.destinations.map((o) => (
            <li key={o.destination_id} className="flex flex-wrap items-baseline gap-x-2">
              <span className={cn(o.kept ? 'text-foreground' : 'text-muted-foreground line-through')}>
                {o.name}
              </span>
              <span className="text-xs text-muted-foreground">
                {o.kept ? 'available' : (DROP[o.reason ?? ''] ?? o.reason)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

function Decision({ d }: { d: ClickDetail }) {
  const r = d.route
  const replay = r.replay
  return (
    <Card data-testid="route-decision">
      <CardHeader>
        <div>
          <CardTitle>Route decision</CardTitle>
          <CardDescription>
            What the click got, and its context run through today's configuration at the click's time.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent className="flex flex-col gap-4">
        <Facts>
          <Fact label="Stream">{named(r.recorded.stream_name, r.recorded.stream_id)}</Fact>
          {r.recorded.lander_id && (
            <Fact label="Lander">
              {named(r.recorded.lander_name, r.recorded.lander_id, `/landers/${r.recorded.lander_id}`)}
            </Fact>
          )}
          <Fact label="Offer">
            {r.recorded.destination_id
              ? named(
                  r.recorded.destination_name,
                  r.recorded.destination_id,
                  `/offers/${r.recorded.destination_id}`,
                )
              : r.recorded.lander_id
                ? 'Not yet: the offer is chosen when the visitor clicks the lander’s button'
                : '—'}
          </Fact>
        </Facts>
        {r.same === true ? (
          <Alert variant="info" data-testid="replay-same">
            <CircleCheck />
            <span className="text-sm">
              Routed now, this click gets the same stream{r.recorded.destination_id ? ' and offer' : ''}.
            </span>
          </Alert>
        ) : (
          r.differs && (
            <Alert className="border-warning/50" data-testid="replay-differs">
              <TriangleAlert className="text-warning" />
              <span className="text-sm">{r.differs}</span>
            </Alert>
          )
        )}
        {replay && (
          <ol className="flex flex-col gap-2" data-testid="trace">
            {replay.trace.streams.map((s) => (
              <StreamLine
                key={s.stream_id}
                s={s}
                recorded={s.stream_id === r.recorded.stream_id}
                picked={s.stream_id === replay.stream_id}
              />
            ))}
            {replay.trace.streams.length === 0 && (
              <li className="text-sm text-muted-foreground">The campaign has no active streams.</li>
            )}
          </ol>
        )}
        {r.notes.map((n) => (
          <p key={n} className="flex items-start gap-2 text-xs text-muted-foreground">
            <Info className="mt-0.5 size-3.5 shrink-0" /> {n}
          </p>
        ))}
      </CardContent>
    </Card>
  )
}

function Landers({ d }: { d: ClickDetail }) {
  if (d.lander_clicks === null || (d.lander_clicks.length === 0 && !d.click.lander_id)) return null
  return (
    <Card className="gap-2 pb-2" data-testid="click-landers">
      <CardHeader>
        <CardTitle>Lander clicks</CardTitle>
      </CardHeader>
      {d.lander_clicks.length === 0 ? (
        <p className="px-5 pb-3 text-sm text-muted-foreground">
          The visitor has not clicked through the lander.
        </p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Time</TableHead>
              <TableHead>Lander</TableHead>
              <TableHead>Offer</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {d.lander_clicks.map((l) => (
              <TableRow key={`${l.ts}-${l.destination_id}`}>
                <TableCell className="whitespace-nowrap">{formatDateTime(l.ts)}</TableCell>
                <TableCell>{l.lander_name ?? l.lander_id}</TableCell>
                <TableCell>
                  {named(l.destination_name, l.destination_id, `/offers/${l.destination_id}`)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Card>
  )
}

function Conversions({ clickId }: { clickId: string }) {
  const from = useFromHere()
  const list = useConversions({ click_id: clickId, limit: 50 })
  const items = list.data?.items ?? []
  return (
    <Card className="gap-2 pb-2" data-testid="click-conversions">
      <CardHeader>
        <CardTitle>Conversions</CardTitle>
      </CardHeader>
      <QueryStates
        query={list}
        skeleton={{ rows: 2, columns: 3 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={BadgeDollarSign}
            title="No conversions"
            description="No postback has named this click yet."
          />
        }
      >
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Created</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Payout</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((cv) => (
              <TableRow key={cv.id}>
                <TableCell>
                  <Link
                    to={`/logs/conversions/${cv.id}`}
                    state={from}
                    className="text-primary underline-offset-4 hover:underline"
                  >
                    {formatDateTime(cv.created_at)}
                  </Link>
                </TableCell>
                <TableCell>
                  <Badge variant={STATUS_VARIANT[cv.status]}>{cv.status}</Badge>
                </TableCell>
                <TableCell className="text-right tabular-nums">
                  {micros(cv.payout_micros, cv.currency)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </QueryStates>
    </Card>
  )
}

export function Component() {
  const { clickId = '' } = useParams()
  const click = useClick(clickId)
  const back = <BackLink fallback="/clicks" label="Click log" />
  if (click.isPending || click.isError)
    return (
      <div className="flex flex-col gap-4">
        {back}
        <QueryStates
          query={click}
          skeleton={{ rows: 6, columns: 3 }}
          errorTitle="Could not load this click"
          card
        />
      </div>
    )
  const d = click.data
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        {back}
        <PageHeader
          title={
            <span className="flex items-center gap-3">
              <MousePointerClick className="size-6 text-primary" /> Click
            </span>
          }
          description={
            <span className="break-all">
              {formatDateTime(d.click.ts)} · {d.click.campaign_name ?? d.click.campaign_id}
            </span>
          }
        />
      </div>
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="flex min-w-0 flex-col gap-6">
          <Decision d={d} />
          <Landers d={d} />
          <Conversions clickId={d.click.click_id} />
        </div>
        <div className="min-w-0">
          <Context d={d} />
        </div>
      </div>
    </div>
  )
}
