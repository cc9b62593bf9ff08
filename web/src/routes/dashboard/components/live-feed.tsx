/**
 * The dashboard's live feed: clicks and trafficback requests as they are routed, and
 * conversions (green rows) as their postbacks are accepted. A conversion also refreshes the
 * dashboard's figures once it has reached the reports. When the page opens, the last
 * {@link BACKFILL_MINUTES} minutes come from `GET /api/v1/live/recent`, so a reload keeps
 * what just happened on screen.
 */
import { useQueryClient } from '@tanstack/react-query'
import { BadgeDollarSign, Bot, Monitor, Radio, RefreshCw, Smartphone, Tablet } from 'lucide-react'
import { useCallback, useEffect, useRef } from 'react'
import { Link } from 'react-router'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { useCampaigns } from '@/hooks/api/campaigns'
import { type LiveConversion, type LiveItem, type LiveStatus, liveKey, useLiveFeed } from '@/hooks/api/live'
import { reportKeys } from '@/hooks/api/reports'
import { formatMoney, formatTime } from '@/lib/format'
import { cn } from '@/lib/utils'

/**
 * Delay between a live conversion and the refresh of the report queries: the conversions
 * outbox writes to ClickHouse about 100 ms after the commit, plus the insert itself.
 */
const CONVERSION_REFRESH_MS = 1_500

/** Minutes of events shown when the page opens (before the stream brings new ones). */
const BACKFILL_MINUTES = 10

const STATUS: Record<LiveStatus, { label: string; dot: string }> = {
  connecting: { label: 'Connecting', dot: 'bg-warning' },
  live: { label: 'Live', dot: 'bg-success animate-pulse' },
  reconnecting: { label: 'Reconnecting', dot: 'bg-warning' },
  closed: { label: 'Disconnected', dot: 'bg-destructive' },
}

function DeviceIcon({ device }: { device: string }) {
  const Icon = device === 'mobile' ? Smartphone : device === 'tablet' ? Tablet : Monitor
  return <Icon className="size-4 shrink-0 text-muted-foreground" aria-label={device || 'unknown device'} />
}

const money = (micros: number, currency: string) => formatMoney(micros / 1_000_000, currency)

/** What a conversion row says: "sale", "lead → sale". */
function conversionLabel(e: LiveConversion): string {
  return e.previous_status ? `${e.previous_status} → ${e.status}` : e.status
}

/**
 * One conversion row, green (red for a rejection): "conversion $12.50" or the revenue a
 * rejection took back, then the status change and the campaign.
 */
function ConversionRow({ e, campaign }: { e: LiveConversion; campaign: string }) {
  const rejected = e.status === 'rejected'
  return (
    <li
      className={cn(
        'flex items-center gap-3 px-5 py-2.5 text-sm',
        rejected ? 'bg-destructive/5' : 'bg-success/10',
      )}
      data-testid="live-item"
      data-type="conversion"
    >
      <span className="w-16 shrink-0 text-xs text-muted-foreground tabular-nums">{formatTime(e.ts)}</span>
      <BadgeDollarSign className={cn('size-4 shrink-0', rejected ? 'text-destructive' : 'text-success')} />
      <div className="min-w-0 flex-1">
        <Link
          to={`/logs/conversions/${e.conversion_id}`}
          className={cn(
            'block truncate font-medium tabular-nums underline-offset-4 hover:underline',
            rejected ? 'text-destructive' : 'text-success',
          )}
        >
          {rejected
            ? `rejected ${money(e.revenue_delta_micros, e.currency)}`
            : `conversion ${money(e.payout_micros, e.currency)}`}
        </Link>
        <p className="truncate text-xs text-muted-foreground">
          {conversionLabel(e)} · {campaign}
        </p>
      </div>
    </li>
  )
}

/**
 * Refreshes the report queries shortly after a batch with a conversion (one pending refresh
 * at a time): the dashboard's counters show it without waiting for their 15 s poll.
 */
function useRefreshOnConversion() {
  const qc = useQueryClient()
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  return useCallback(
    (events: LiveItem[]) => {
      if (timer.current !== undefined || !events.some((e) => e.type === 'conversion')) return
      timer.current = setTimeout(() => {
        timer.current = undefined
        void qc.invalidateQueries({ queryKey: reportKeys.all })
      }, CONVERSION_REFRESH_MS)
    },
    [qc],
  )
}

/** The workspace's clicks and conversions as they happen (`GET /api/v1/live`). */
export function LiveFeed({ onEvents }: { onEvents?: (events: LiveItem[]) => void }) {
  const refreshOnConversion = useRefreshOnConversion()
  const handle = useCallback(
    (events: LiveItem[]) => {
      refreshOnConversion(events)
      onEvents?.(events)
    },
    [refreshOnConversion, onEvents],
  )
  const feed = useLiveFeed({ max: 40, onEvents: handle, backfillMinutes: BACKFILL_MINUTES })
  const campaigns = useCampaigns({ limit: 500 })
  const name = (id: string) =>
    campaigns.data?.items.find((c) => c.id === id)?.name ?? (id ? `${id.slice(0, 8)}…` : '—')
  const example = campaigns.data?.items.find((c) => c.url)?.url
  const s = STATUS[feed.status]
  return (
    <Card className="h-full gap-2 pb-0" data-testid="live-feed">
      <CardHeader>
        <div>
          <CardTitle>Live feed</CardTitle>
          <CardDescription>Clicks and conversions (last {BACKFILL_MINUTES} min, then live)</CardDescription>
        </div>
        <span
          className="flex items-center gap-2 text-xs font-medium text-muted-foreground"
          data-testid="live-status"
        >
          <span className={cn('size-2 rounded-full', s.dot)} />
          {s.label}
        </span>
      </CardHeader>
      <CardContent className="flex min-h-0 flex-1 flex-col px-0">
        {feed.status === 'closed' && (
          <div className="mx-5 mb-2 flex items-center justify-between gap-2 rounded-md border bg-muted/40 px-3 py-2 text-sm">
            The live connection was closed.
            <Button size="sm" variant="outline" onClick={feed.reconnect}>
              <RefreshCw /> Reconnect
            </Button>
          </div>
        )}
        {feed.events.length === 0 && feed.backfilling ? (
          <ul className="flex-1 divide-y" data-testid="live-loading" aria-busy="true">
            {[0, 1, 2].map((i) => (
              <li key={i} className="flex items-center gap-3 px-5 py-3">
                <Skeleton className="h-3 w-14" />
                <Skeleton className="h-4 flex-1" />
              </li>
            ))}
          </ul>
        ) : feed.events.length === 0 ? (
          <div className="flex flex-1 flex-col items-center justify-center gap-2 px-6 py-10 text-center">
            <div className="flex size-11 items-center justify-center rounded-full bg-muted">
              <Radio className="size-5 text-muted-foreground" />
            </div>
            <p className="font-medium">Waiting for clicks</p>
            <p className="sr-only">Nothing in the last {BACKFILL_MINUTES} minutes.</p>
            <p className="max-w-xs text-sm text-muted-foreground">
              Open one of your campaign links and the click appears here right away.
            </p>
            {example && (
              <a
                href={example}
                target="_blank"
                rel="noreferrer"
                className="max-w-full truncate text-sm font-medium text-primary hover:underline"
              >
                {example}
              </a>
            )}
          </div>
        ) : (
          <ul className="max-h-[21rem] flex-1 divide-y overflow-y-auto" data-testid="live-list">
            {feed.events.map((e) =>
              e.type === 'conversion' ? (
                <ConversionRow key={liveKey(e)} e={e} campaign={name(e.campaign_id)} />
              ) : (
                <li
                  key={liveKey(e)}
                  className="flex items-center gap-3 px-5 py-2.5 text-sm"
                  data-testid="live-item"
                >
                  <span className="w-16 shrink-0 text-xs text-muted-foreground tabular-nums">
                    {formatTime(e.ts)}
                  </span>
                  {e.type === 'click' ? (
                    <DeviceIcon device={e.device} />
                  ) : (
                    <Bot className="size-4 shrink-0 text-warning" />
                  )}
                  <div className="min-w-0 flex-1">
                    <p className="truncate font-medium" title={name(e.campaign_id)}>
                      {name(e.campaign_id)}
                    </p>
                    <p className="truncate text-xs text-muted-foreground">
                      {e.type === 'click'
                        ? [e.os, e.browser].filter(Boolean).join(' · ') || 'Unknown client'
                        : `Trafficback: ${e.reason}`}
                    </p>
                  </div>
                  <div className="flex shrink-0 items-center gap-1.5">
                    {e.is_bot && <Badge variant="warning">bot</Badge>}
                    {e.type === 'trafficback' && <Badge variant="secondary">trafficback</Badge>}
                    {e.country && (
                      <Badge variant="outline" className="font-mono" title="Country">
                        {e.country}
                      </Badge>
                    )}
                  </div>
                </li>
              ),
            )}
          </ul>
        )}
        {feed.missed > 0 && (
          <p className="border-t px-5 py-2 text-xs text-muted-foreground">
            {feed.missed} events were skipped because the connection was slow.
          </p>
        )}
      </CardContent>
    </Card>
  )
}
