/**
 * `/visitors/live?project=<id>` — the visitor engine live: a moving rate chart (SSE
 * `visit_rate`, or hits per second), the latest hits (SSE `hit`) and visits per country
 * (bars) of the hits seen since the page opened; all projects or one.
 */
import { Globe2, Radio, RefreshCw } from 'lucide-react'
import { lazy, Suspense, useCallback, useState } from 'react'
import { useSearchParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Select } from '@/components/ui/select'
import { Skeleton } from '@/components/ui/skeleton'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type LiveStatus, useVisitorLiveFeed, type VisitorLiveEvent } from '@/hooks/api/live'
import { useProjects } from '@/hooks/api/visitors'
import { formatInt, formatTime } from '@/lib/format'
import { cn } from '@/lib/utils'
import { countryBars, foldCountries, foldRate, hasSamples, type RatePoint, shortUrl } from './live.lib'
import { countryName } from './project-form.lib'
import { BackLink } from './shared'

const RateChart = lazy(() => import('./rate-chart'))

const STATUS: Record<LiveStatus, { label: string; dot: string }> = {
  connecting: { label: 'Connecting', dot: 'bg-warning' },
  live: { label: 'Live', dot: 'bg-success animate-pulse' },
  reconnecting: { label: 'Reconnecting', dot: 'bg-warning' },
  closed: { label: 'Disconnected', dot: 'bg-destructive' },
}

export function LivePage() {
  const [params, setParams] = useSearchParams()
  const projectId = params.get('project') ?? undefined
  const projects = useProjects({ limit: 500 })
  const [series, setSeries] = useState<RatePoint[]>([])
  const [countries, setCountries] = useState<Record<string, number>>({})
  const onEvents = useCallback(
    (batch: VisitorLiveEvent[]) => {
      setSeries((s) => foldRate(s, batch, projectId))
      setCountries((c) => foldCountries(c, batch, projectId))
    },
    [projectId],
  )
  const feed = useVisitorLiveFeed({ projectId, onEvents })
  const names = new Map((projects.data?.items ?? []).map((p) => [p.id, p.name]))
  const pick = (id: string) => {
    setSeries([])
    setCountries({})
    feed.clear()
    setParams(id ? { project: id } : {}, { replace: true })
  }
  const st = STATUS[feed.status]
  const latest = series.at(-1)
  const bars = countryBars(countries)
  return (
    <div className="flex flex-col gap-4">
      <BackLink
        to={projectId ? `/visitors/${projectId}` : '/visitors'}
        label={projectId ? 'Project' : 'Visitors'}
      />
      <PageHeader
        title="Live visits"
        description="Every visit as the engine makes it, and the rate per second."
        actions={
          <>
            <span className="flex items-center gap-2 text-sm text-muted-foreground" data-testid="live-status">
              <span className={cn('size-2 rounded-full', st.dot)} />
              {st.label}
            </span>
            {feed.status === 'closed' && (
              <Button variant="outline" size="sm" onClick={feed.reconnect}>
                <RefreshCw /> Reconnect
              </Button>
            )}
            <Select
              aria-label="Project"
              className="w-full sm:w-64"
              value={projectId ?? ''}
              onChange={(e) => pick(e.target.value)}
              data-testid="live-project"
            >
              <option value="">All projects</option>
              {projects.data?.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </Select>
          </>
        }
      />
      <Card>
        <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-2">
          <div>
            <CardTitle>Rate</CardTitle>
            <CardDescription>
              {hasSamples(series) ? 'Visits per second against the target.' : 'Hits per second.'} Last 2
              minutes.
            </CardDescription>
          </div>
          {latest && (
            <Badge variant="outline" className="tabular-nums" data-testid="live-rate">
              {hasSamples(series)
                ? `${(latest.rate ?? 0).toFixed(1)}/s of ${(latest.target ?? 0).toFixed(1)}/s`
                : `${latest.hits}/s`}
            </Badge>
          )}
        </CardHeader>
        <CardContent>
          {series.length === 0 ? (
            <EmptyState
              icon={Radio}
              className="h-56"
              title="Waiting for visits"
              description="Start a project: its visits and rate appear here as they happen."
            />
          ) : (
            <div className="h-56" data-testid="rate-chart">
              <Suspense fallback={<Skeleton className="h-full w-full" />}>
                <RateChart series={series} />
              </Suspense>
            </div>
          )}
        </CardContent>
      </Card>
      <div className="grid gap-4 lg:grid-cols-[2fr_1fr]">
        <Card className="min-w-0 gap-0 pb-2">
          <CardHeader className="pb-3">
            <CardTitle>Latest hits</CardTitle>
            <CardDescription>
              Newest first, the last 100
              {feed.missed > 0 && ` · ${formatInt(feed.missed)} not shown (too fast)`}.
            </CardDescription>
          </CardHeader>
          {feed.hits.length === 0 ? (
            <EmptyState title="No hits yet" description="Each visit of a running project shows up here." />
          ) : (
            <Table data-testid="hits-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Time</TableHead>
                  <TableHead>URL</TableHead>
                  <TableHead className="hidden sm:table-cell">Country</TableHead>
                  <TableHead className="hidden md:table-cell">Device</TableHead>
                  <TableHead className="text-right">Status</TableHead>
                  <TableHead className="text-right">Latency</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {feed.hits.map((h, i) => (
                  <TableRow
                    // biome-ignore lint/suspicious/noArrayIndexKey: hits carry no id; the list is newest-first and capped
                    key={`${h.ts}:${h.run_id}:${i}`}
                    data-testid="hit-row"
                  >
                    <TableCell className="text-xs text-muted-foreground tabular-nums">
                      {formatTime(h.ts)}
                    </TableCell>
                    <TableCell className="max-w-36 sm:max-w-64">
                      <p className="truncate font-mono text-xs" title={h.url}>
                        {shortUrl(h.url)}
                      </p>
                      {!projectId && (
                        <p className="truncate text-xs text-muted-foreground">
                          {names.get(h.project_id) ?? ''}
                        </p>
                      )}
                    </TableCell>
                    <TableCell className="hidden sm:table-cell">{h.country ?? '—'}</TableCell>
                    <TableCell className="hidden capitalize md:table-cell">
                      {h.device}
                      {h.mode === 'browser' && <span className="text-muted-foreground"> · browser</span>}
                    </TableCell>
                    <TableCell className="text-right tabular-nums">
                      {h.status !== null ? (
                        <span className={cn(h.status >= 400 && 'text-destructive')}>{h.status}</span>
                      ) : (
                        <span className="text-destructive" title={h.error ?? undefined}>
                          {h.error ?? 'error'}
                        </span>
                      )}
                    </TableCell>
                    <TableCell className="text-right text-xs tabular-nums">
                      {h.latency_ms !== null ? `${formatInt(h.latency_ms)} ms` : '—'}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Card>
        <Card className="min-w-0">
          <CardHeader>
            <div>
              <CardTitle>Countries</CardTitle>
              <CardDescription>Visits since this page opened.</CardDescription>
            </div>
          </CardHeader>
          <CardContent>
            {bars.length === 0 ? (
              <EmptyState icon={Globe2} className="py-6" title="No visits yet" />
            ) : (
              <ul className="grid gap-2" data-testid="country-bars">
                {bars.map((b) => (
                  <li key={b.country || 'unknown'} className="grid gap-1 text-sm" data-country={b.country}>
                    <div className="flex justify-between gap-2">
                      <span className="truncate">
                        {b.country ? `${countryName(b.country)} (${b.country})` : 'Default egress'}
                      </span>
                      <span className="tabular-nums text-muted-foreground">{formatInt(b.visits)}</span>
                    </div>
                    <div className="h-2 rounded-full bg-muted">
                      <div
                        className="h-2 rounded-full bg-primary"
                        style={{ width: `${Math.max(2, b.share * 100)}%` }}
                      />
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </div>
  )
}
