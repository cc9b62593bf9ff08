import { Bot, Monitor, Radio, RefreshCw, Smartphone, Tablet } from 'lucide-react'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { useCampaigns } from '@/hooks/api/campaigns'
import { type LiveItem, type LiveStatus, useLiveFeed } from '@/hooks/api/live'
import { formatTime } from '@/lib/format'
import { cn } from '@/lib/utils'

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

/** The workspace's clicks as they happen (`GET /api/v1/live`). */
export function LiveFeed({ onEvents }: { onEvents?: (events: LiveItem[]) => void }) {
  const feed = useLiveFeed({ max: 40, ...(onEvents ? { onEvents } : {}) })
  const campaigns = useCampaigns({ limit: 500 })
  const name = (id: string) =>
    campaigns.data?.items.find((c) => c.id === id)?.name ?? (id ? `${id.slice(0, 8)}…` : '—')
  const example = campaigns.data?.items.find((c) => c.url)?.url
  const s = STATUS[feed.status]
  return (
    <Card className="h-full gap-2 pb-0" data-testid="live-feed">
      <CardHeader>
        <div>
          <CardTitle>Live clicks</CardTitle>
          <CardDescription>As they are routed</CardDescription>
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
        {feed.events.length === 0 ? (
          <div className="flex flex-1 flex-col items-center justify-center gap-2 px-6 py-10 text-center">
            <div className="flex size-11 items-center justify-center rounded-full bg-muted">
              <Radio className="size-5 text-muted-foreground" />
            </div>
            <p className="font-medium">Waiting for clicks</p>
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
            {feed.events.map((e) => (
              <li
                key={`${e.type}:${e.click_id}`}
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
                  <p className="truncate font-medium">{name(e.campaign_id)}</p>
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
            ))}
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
