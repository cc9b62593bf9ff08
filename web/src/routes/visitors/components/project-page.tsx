/**
 * `/visitors/:id` — one project: the run panel (start/stop, target vs achieved rate,
 * dropped, latency percentiles, credits left; `GET /projects/:id/stats`, refreshed every 2 s
 * while running), the ownership verification (token to place, "check now", status) and the
 * settings with the server's daily estimate.
 */
import {
  Activity,
  CircleAlert,
  FileText,
  Globe,
  Pencil,
  Play,
  Radio,
  RefreshCw,
  Square,
  Trash2,
} from 'lucide-react'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { CopyButton } from '@/components/common/copy-button'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { useBalance, useQuote } from '@/hooks/api/billing'
import {
  type HostVerification,
  LIVE_REFRESH_MS,
  type Project,
  useCheckVerification,
  useDeleteProject,
  useProject,
  useProjectStats,
  useRunAction,
  useVerification,
} from '@/hooks/api/visitors'
import { ApiError, errorMessage } from '@/lib/api'
import { formatDateTime, formatInt, formatMoney, formatRelative } from '@/lib/format'
import { ConfirmDialog } from '../../campaigns/components/shared'
import { countryName } from './project-form.lib'
import { errorRows, rateText, runFigures } from './run-panel.lib'
import { BackLink, HostStatusBadge, pauseReasonText, ProjectStatusBadge, Tile } from './shared'

export function ProjectPage() {
  const { id = '' } = useParams()
  const project = useProject(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink />
      <QueryStates query={project} card pending={<Skeleton className="h-64 w-full" />}>
        {(p) => <ProjectView project={p} />}
      </QueryStates>
    </div>
  )
}

function ProjectView({ project: p }: { project: Project }) {
  const navigate = useNavigate()
  const remove = useDeleteProject()
  const [deleting, setDeleting] = useState(false)
  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <span className="break-all">{p.name}</span>
            <ProjectStatusBadge status={p.status} reason={p.pause_reason} />
          </span>
        }
        description={`${p.plan_type} · created ${formatDateTime(p.created_at)}`}
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to={`/visitors/live?project=${p.id}`}>
                <Radio /> Live
              </Link>
            </Button>
            <Button variant="outline" asChild>
              <Link to="edit">
                <Pencil /> Edit
              </Link>
            </Button>
            <Button
              variant="ghost"
              size="icon"
              className="text-destructive hover:text-destructive"
              aria-label="Delete project"
              onClick={() => setDeleting(true)}
            >
              <Trash2 />
            </Button>
          </>
        }
      />
      <div className="grid gap-4 xl:grid-cols-[3fr_2fr]">
        <RunPanel project={p} />
        <VerificationPanel projectId={p.id} />
      </div>
      <SettingsSummary project={p} />
      <ConfirmDialog
        open={deleting}
        title={`Delete “${p.name}”?`}
        description="The project and its settings are removed. Visits made stay in the reports and the ledger."
        confirmLabel="Delete project"
        pending={remove.isPending}
        onClose={() => setDeleting(false)}
        onConfirm={() =>
          remove.mutate(p.id, {
            onSuccess: () => {
              toast.success(`Project “${p.name}” deleted`)
              navigate('/visitors')
            },
            onError: (e) => {
              toast.error(errorMessage(e))
              setDeleting(false)
            },
          })
        }
      />
    </>
  )
}

/** Start/stop and the current (or last) run's figures. */
function RunPanel({ project: p }: { project: Project }) {
  const running = p.status === 'active'
  const action = useRunAction(p.id)
  const stats = useProjectStats(p.id, running)
  // The workspace's credits when the stats endpoint does not report them (before its merge):
  // polled while running and while a stopped run's reserved credits are being released.
  const balance = useBalance({
    refetchMs: (b) =>
      !stats.data?.credits && (running || (b?.visits.reserved ?? 0) > 0) ? LIVE_REFRESH_MS : false,
  })
  const run = stats.data?.run ?? stats.data?.runs[0] ?? null
  const f = run ? runFigures(run) : null
  const credits = stats.data?.credits ?? balance.data?.visits
  const reason = pauseReasonText(p.pause_reason)
  const act = (a: 'start' | 'stop') =>
    action.mutate(a, {
      onSuccess: () =>
        toast.success(a === 'start' ? 'Started: the first visits follow within seconds' : 'Stopped'),
    })
  return (
    <Card data-testid="run-panel">
      <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <CardTitle>Run</CardTitle>
          <CardDescription>
            {running
              ? 'Visits are being made at the project speed.'
              : p.status === 'completed'
                ? 'Completed: the total target is reached or the project expired.'
                : 'Start once every host is verified.'}
          </CardDescription>
        </div>
        {running ? (
          <Button
            variant="outline"
            onClick={() => act('stop')}
            disabled={action.isPending}
            data-testid="stop-project"
          >
            <Square /> Stop
          </Button>
        ) : (
          <Button
            onClick={() => act('start')}
            disabled={action.isPending || p.status === 'completed'}
            data-testid="start-project"
          >
            <Play /> Start
          </Button>
        )}
      </CardHeader>
      <CardContent className="grid gap-4">
        {action.isError && (
          <Alert variant="destructive" data-testid="run-error">
            <CircleAlert />
            <AlertDescription>
              {action.error instanceof ApiError && action.error.code === 'host_not_verified'
                ? `Not verified: ${action.error.fieldErrors.map((f) => f.message).join('; ') || action.error.message}. Place the token file shown under Ownership, then Check now.`
                : errorMessage(action.error)}
            </AlertDescription>
          </Alert>
        )}
        {p.status === 'paused' && reason && (
          <Alert>
            <CircleAlert />
            <AlertDescription>{reason}</AlertDescription>
          </Alert>
        )}
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
          <Tile
            label="Target rate"
            value={
              f
                ? rateText(f.targetPerMinute)
                : p.estimate
                  ? rateText(p.estimate.visits_per_minute)
                  : undefined
            }
            testId="run-target"
          />
          <Tile
            label="Achieved"
            value={f ? rateText(f.achievedPerMinute) : undefined}
            hint={f?.ratio != null ? `${Math.round(f.ratio * 100)}% of target` : undefined}
            testId="run-achieved"
          />
          <Tile label="Visits done" value={formatInt(p.visits_done)} testId="run-visits-done" />
          <Tile
            label="Credits left"
            value={credits ? formatInt(credits.available) : undefined}
            hint={credits?.reserved ? `${formatInt(credits.reserved)} reserved` : undefined}
            testId="run-credits"
          />
        </div>
        {stats.isPending ? (
          <Skeleton className="h-24 w-full" />
        ) : stats.isError ? (
          <p className="text-sm text-muted-foreground">
            Run figures could not be loaded: {errorMessage(stats.error)}
          </p>
        ) : !run ? (
          <EmptyState
            icon={Activity}
            className="py-6"
            title={stats.data === null ? 'Run figures are not available yet' : 'No run yet'}
            description={
              stats.data === null
                ? 'This server does not report run figures yet; visits done and credits are shown above.'
                : 'Start the project: the engine’s figures appear here and refresh every 2 seconds.'
            }
          />
        ) : (
          <div className="grid gap-3" data-testid="run-stats" data-run-id={run.run_id}>
            <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
              <Tile label="Started" value={formatInt(run.started)} testId="run-started" />
              <Tile label="Answered" value={formatInt(run.answered)} testId="run-answered" />
              <Tile label="Charged" value={formatInt(run.charged)} testId="run-charged" />
              <Tile label="Dropped" value={formatInt(run.dropped)} testId="run-dropped" />
            </div>
            <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
              <Tile label="Latency p50" value={`${formatInt(run.latency_ms.p50)} ms`} testId="run-p50" />
              <Tile label="p95" value={`${formatInt(run.latency_ms.p95)} ms`} testId="run-p95" />
              <Tile label="p99" value={`${formatInt(run.latency_ms.p99)} ms`} testId="run-p99" />
              <Tile label="Max" value={`${formatInt(run.latency_ms.max)} ms`} />
            </div>
            <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-muted-foreground">
              <span>
                Started {formatRelative(run.started_at)}
                {run.stopped_at && ` · stopped ${formatRelative(run.stopped_at)}`}
                {run.stop_reason && ` (${run.stop_reason})`}
              </span>
              <span>
                {formatInt(run.desktop)} desktop · {formatInt(run.mobile)} mobile
              </span>
              {Object.entries(run.statuses ?? {}).map(([k, n]) => (
                <span key={k}>
                  {k}: {formatInt(n)}
                </span>
              ))}
              {f && f.errors > 0 && (
                <span className="text-destructive">
                  errors:{' '}
                  {errorRows(run.errors)
                    .map(([k, n]) => `${k} ${formatInt(n)}`)
                    .join(', ')}
                </span>
              )}
            </div>
          </div>
        )}
      </CardContent>
    </Card>
  )
}

/** The hosts to verify, their token and instructions, and "Check now". */
function VerificationPanel({ projectId }: { projectId: string }) {
  const v = useVerification(projectId)
  const check = useCheckVerification(projectId)
  return (
    <Card data-testid="verification-panel">
      <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <CardTitle className="flex items-center gap-2">
            Ownership
            {v.data && (
              <Badge variant={v.data.verified ? 'success' : 'outline'} data-testid="verified-badge">
                {v.data.verified ? 'Verified' : 'Not verified'}
              </Badge>
            )}
          </CardTitle>
          <CardDescription>
            Prove you control each host: place the token file (or a DNS record), then check.
          </CardDescription>
        </div>
        <Button
          variant="outline"
          onClick={() =>
            check.mutate(undefined, {
              onSuccess: (r) =>
                r.verified
                  ? toast.success('Every host is verified')
                  : toast.error('Not verified yet: see the reason below'),
              onError: (e) => toast.error(errorMessage(e)),
            })
          }
          disabled={check.isPending}
          data-testid="check-now"
        >
          <RefreshCw className={check.isPending ? 'animate-spin' : undefined} /> Check now
        </Button>
      </CardHeader>
      <CardContent>
        <QueryStates query={v} skeleton={{ rows: 3, columns: 2 }}>
          {(data) => (
            <ul className="grid gap-4">
              {data.hosts.map((h) => (
                <HostRow key={h.host} h={h} />
              ))}
            </ul>
          )}
        </QueryStates>
      </CardContent>
    </Card>
  )
}

function HostRow({ h }: { h: HostVerification }) {
  const ok = h.status === 'verified'
  return (
    <li className="grid gap-2 rounded-lg border p-3" data-testid="host-row" data-host={h.host}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span className="font-mono text-sm font-medium break-all">{h.host}</span>
        <HostStatusBadge status={h.status} />
      </div>
      <p className="text-xs text-muted-foreground">
        {ok
          ? `Verified by ${h.method === 'dns' ? 'DNS record' : 'file'} ${formatRelative(h.verified_at)}`
          : h.checked_at
            ? `Checked ${formatRelative(h.checked_at)}`
            : 'Never checked'}
      </p>
      {h.last_error && !ok && (
        <p className="text-xs break-words text-destructive" data-testid="host-error">
          {h.last_error}
        </p>
      )}
      {!ok && (
        <div className="grid gap-2 text-sm">
          <div className="grid gap-1">
            <p className="flex items-center gap-1.5 text-xs font-medium">
              <FileText className="size-3.5" /> File at
            </p>
            <code className="rounded bg-muted px-2 py-1 text-xs break-all">{h.instructions.file.url}</code>
            <p className="text-xs text-muted-foreground">containing the token:</p>
            <div className="flex items-center gap-2">
              <code
                className="min-w-0 flex-1 rounded bg-muted px-2 py-1 text-xs break-all"
                data-testid="host-token"
              >
                {h.instructions.file.content.trim()}
              </code>
              <CopyButton value={h.instructions.file.content.trim()} label="Copy" size="sm" />
            </div>
          </div>
          {h.instructions.dns && (
            <div className="grid gap-1">
              <p className="flex items-center gap-1.5 text-xs font-medium">
                <Globe className="size-3.5" /> or a DNS TXT record
              </p>
              <code className="rounded bg-muted px-2 py-1 text-xs break-all">{h.instructions.dns.name}</code>
              <div className="flex items-center gap-2">
                <code className="min-w-0 flex-1 rounded bg-muted px-2 py-1 text-xs break-all">
                  {h.instructions.dns.value}
                </code>
                <CopyButton value={h.instructions.dns.value} label="Copy" size="sm" />
              </div>
            </div>
          )}
        </div>
      )}
    </li>
  )
}

/** The saved settings in words, with the server's daily estimate. */
function SettingsSummary({ project: p }: { project: Project }) {
  const s = p.settings
  const urls = s.urls.map((u) => (typeof u === 'string' ? { url: u, weight: undefined } : u))
  const e = p.estimate
  const currency = useQuote(100).data?.currency
  return (
    <Card data-testid="project-settings">
      <CardHeader>
        <div>
          <CardTitle>Settings</CardTitle>
          {e && (
            <CardDescription data-testid="server-estimate">
              ≈ {rateText(e.visits_per_minute)} · {formatInt(e.visits_per_day)} visits and credits per day ·{' '}
              {formatMoney(e.cost_minor_per_day / 100, currency)} per day at{' '}
              {formatMoney(e.rate_minor_per_1000 / 100, currency)} CPM
            </CardDescription>
          )}
        </div>
      </CardHeader>
      <CardContent className="grid gap-4 text-sm md:grid-cols-2">
        <dl className="grid content-start grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
          <dt className="text-muted-foreground">URLs</dt>
          <dd className="min-w-0">
            <ul className="grid gap-0.5">
              {urls.map((u) => (
                <li key={u.url} className="truncate font-mono text-xs" title={u.url}>
                  {u.url}
                  {u.weight !== undefined && <span className="text-muted-foreground"> ×{u.weight}</span>}
                </li>
              ))}
            </ul>
          </dd>
          <dt className="text-muted-foreground">Speed</dt>
          <dd>{s.trafficSpeed ?? 50} / 100</dd>
          <dt className="text-muted-foreground">Devices</dt>
          <dd>
            {s.deviceSplit ?? 50}% desktop · {100 - (s.deviceSplit ?? 50)}% mobile
          </dd>
          <dt className="text-muted-foreground">Countries</dt>
          <dd>
            {s.geoTargets?.length
              ? s.geoTargets.map((g) => `${countryName(g.cc)} ×${g.w}`).join(', ')
              : 'Any (default egress)'}
          </dd>
        </dl>
        <dl className="grid content-start grid-cols-[auto_1fr] gap-x-4 gap-y-1.5">
          <dt className="text-muted-foreground">Time on page</dt>
          <dd>{s.timeOnPage ?? '30 seconds'}</dd>
          <dt className="text-muted-foreground">Referrer</dt>
          <dd className="truncate">{s.referrer && s.referrer !== 'none' ? s.referrer : 'None'}</dd>
          <dt className="text-muted-foreground">Mode</dt>
          <dd>{s.mode === 'browser' ? 'Browser' : 'HTTP'}</dd>
          <dt className="text-muted-foreground">Limits</dt>
          <dd>
            {p.daily_limit ? `${formatInt(p.daily_limit)}/day` : 'no daily limit'} ·{' '}
            {p.total_target ? `${formatInt(p.total_target)} in all` : 'no total target'}
          </dd>
          <dt className="text-muted-foreground">Expires</dt>
          <dd>{p.expires_at ? formatDateTime(p.expires_at) : 'Never'}</dd>
          <dt className="text-muted-foreground">Time zone</dt>
          <dd>{p.timezone}</dd>
        </dl>
      </CardContent>
    </Card>
  )
}
