/**
 * One autopilot campaign: the toggle, the state and condition indicator, TrafficStars'
 * expected vs observed status, remaining clicks, spent (with its source, or "unknown"),
 * budgets, cycles, the hold reason, the next check, the settings, the dry run and the
 * recent actions. The data refreshes every 2 s (`useAutopilotCampaigns`).
 */
import { FlaskConical, Settings2, Trash2, TriangleAlert } from 'lucide-react'
import { useState } from 'react'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  type AutopilotCampaign,
  type TsAccount,
  useDeleteAutopilotCampaign,
  useToggleAutopilot,
} from '@/hooks/api/autopilot'
import { useNames } from '@/hooks/use-names'
import { errorMessage } from '@/lib/api'
import { formatInt, formatTime, NONE } from '@/lib/format'
import { cn } from '@/lib/utils'
import { ActionsList } from './actions-list'
import { phaseLabel, usd } from './model'
import { PlanDialog } from './plan-dialog'
import { SettingsDialog } from './settings-dialog'
import { Switch } from './switch'

const PHASE_STYLE: Record<AutopilotCampaign['state']['phase'], string> = {
  IDLE: 'bg-muted text-muted-foreground',
  WAITING: 'bg-warning/20 text-foreground',
  CONDITION_ONE: 'bg-chart-2/15 text-foreground',
  CONDITION_TWO: 'bg-primary/15 text-foreground',
}

function Stat({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="min-w-0 rounded-lg border bg-card p-3" data-testid={testId}>
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-1 text-sm font-medium tabular-nums">{children}</dd>
    </div>
  )
}

const SPENT_SOURCE: Record<string, string> = {
  campaign: 'campaign object',
  report: "today's report",
  stored: 'last value stored today',
}

export function CampaignPanel({
  campaign: c,
  account,
}: {
  campaign: AutopilotCampaign
  account?: TsAccount
}) {
  const toggle = useToggleAutopilot()
  const del = useDeleteAutopilotCampaign()
  const [settingsOpen, setSettingsOpen] = useState(false)
  const [planOpen, setPlanOpen] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const { nameOf } = useNames(['destination'])
  const o = c.last_observation
  const s = c.state
  const spent = o?.spent_micros ?? null
  const pending = Object.entries(s.pending)
  const budgeted = Object.entries(s.budgeted)
  const name = c.campaign_name ?? c.campaign_id
  const onToggle = (enabled: boolean) =>
    toggle.mutate(
      { id: c.id, enabled },
      {
        onSuccess: () =>
          toast.success(enabled ? `Autopilot on for “${name}”` : `Autopilot off for “${name}”`),
        onError: (e) => toast.error(errorMessage(e)),
      },
    )
  return (
    <Card data-testid="autopilot-campaign" data-enabled={c.enabled}>
      <CardHeader>
        <div className="min-w-0">
          <CardTitle className="truncate">{name}</CardTitle>
          <CardDescription className="mt-1">
            TrafficStars campaign <span className="tabular-nums">{c.ts_campaign_id}</span>
            {account ? ` · ${account.name}` : ''}
          </CardDescription>
        </div>
        <div className="flex items-center gap-3 text-sm font-medium">
          {toggle.isPending && <Spinner />}
          {c.enabled ? 'Enabled' : 'Disabled'}
          <Switch
            checked={c.enabled}
            disabled={toggle.isPending}
            onCheckedChange={onToggle}
            aria-label={`Autopilot for ${name}`}
            data-testid="autopilot-toggle"
          />
        </div>
      </CardHeader>
      <CardContent className="grid grid-cols-1 gap-4">
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
          <span
            data-testid="autopilot-phase"
            data-phase={s.phase}
            className={cn('rounded-md px-2.5 py-1 text-sm font-semibold tracking-wide', PHASE_STYLE[s.phase])}
          >
            {phaseLabel(s, c.settings)}
          </span>
          <span className="text-sm text-muted-foreground" data-testid="autopilot-next-check">
            {c.enabled
              ? `Next check ${c.next_check_at ? formatTime(c.next_check_at) : NONE}`
              : 'Not monitored while disabled'}
          </span>
        </div>
        {s.problem && (
          <Alert variant="destructive" data-testid="autopilot-problem">
            <TriangleAlert />
            <AlertDescription>{s.problem}</AlertDescription>
          </Alert>
        )}
        <dl className="grid grid-cols-2 gap-2 md:grid-cols-3 xl:grid-cols-6">
          <Stat label="TrafficStars status" testId="autopilot-status">
            <span className="capitalize">{o?.status ?? 'unknown'}</span>
            {s.expected_status && s.expected_status !== o?.status && (
              <span className="block text-xs font-normal text-destructive">expected {s.expected_status}</span>
            )}
            {s.expected_status && s.expected_status === o?.status && (
              <span className="block text-xs font-normal text-muted-foreground">as expected</span>
            )}
          </Stat>
          <Stat label="Remaining clicks" testId="autopilot-remaining">
            {formatInt(c.remaining_clicks)}
          </Stat>
          <Stat label="Spent today" testId="autopilot-spent">
            {spent === null ? 'unknown' : usd(spent)}
            <span className="block text-xs font-normal text-muted-foreground">
              {spent === null
                ? 'no source answered'
                : `from ${SPENT_SOURCE[o?.spent_source ?? ''] ?? o?.spent_source ?? 'unknown source'}`}
            </span>
          </Stat>
          <Stat label="Daily budget" testId="autopilot-budget">
            {usd(o?.daily_budget_micros) ?? NONE}
            {s.unconfirmed_daily_budget_micros !== null && (
              <span className="block text-xs font-normal text-muted-foreground">
                setting {usd(s.unconfirmed_daily_budget_micros)}
              </span>
            )}
            <span className="block text-xs font-normal text-muted-foreground">
              cap {usd(c.settings.daily_budget_cap_micros)}
            </span>
          </Stat>
          <Stat label="Pending budgets" testId="autopilot-pending">
            {usd(s.pending_total_micros)}
            {pending.length > 0 && (
              <ul className="mt-1 text-xs font-normal text-muted-foreground">
                {pending.map(([d, m]) => (
                  <li key={d} className="truncate">
                    {nameOf('destination', d)}: {usd(m)}
                  </li>
                ))}
              </ul>
            )}
          </Stat>
          <Stat label="Starts today" testId="autopilot-cycles">
            {s.cycles_today} / {c.settings.max_cycles_per_day}
          </Stat>
        </dl>
        {budgeted.length > 0 && (
          <p className="text-sm text-muted-foreground">
            Budgeted today:{' '}
            {budgeted.map(([d, m], i) => (
              <span key={d}>
                {i > 0 && ', '}
                {nameOf('destination', d)} {usd(m)}
              </span>
            ))}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <Button variant="outline" size="sm" onClick={() => setSettingsOpen(true)}>
            <Settings2 /> Settings
          </Button>
          <Button
            variant="outline"
            size="sm"
            onClick={() => setPlanOpen(true)}
            data-testid="autopilot-dry-run"
          >
            <FlaskConical /> Dry run
          </Button>
          <Button
            variant="ghost"
            size="sm"
            className="text-destructive hover:text-destructive"
            onClick={() => setDeleting(true)}
          >
            <Trash2 /> Remove autopilot
          </Button>
        </div>
        <section className="grid min-w-0 grid-cols-1 gap-2">
          <h4 className="text-sm font-medium">Recent actions</h4>
          <div className="rounded-lg border">
            <ActionsList id={c.id} />
          </div>
        </section>
      </CardContent>
      <SettingsDialog campaign={c} open={settingsOpen} onOpenChange={setSettingsOpen} />
      <PlanDialog campaign={c} open={planOpen} onOpenChange={setPlanOpen} />
      <Dialog open={deleting} onOpenChange={setDeleting}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Remove the autopilot from “{name}”?</DialogTitle>
            <DialogDescription>
              Monitoring stops and its log is deleted. The TrafficStars campaign is left as it is.
            </DialogDescription>
          </DialogHeader>
          <DialogFooter>
            <Button variant="outline" onClick={() => setDeleting(false)}>
              Cancel
            </Button>
            <Button
              variant="destructive"
              disabled={del.isPending}
              onClick={() =>
                del.mutate(c.id, {
                  onSuccess: () => {
                    toast.success('Autopilot removed')
                    setDeleting(false)
                  },
                  onError: (e) => toast.error(errorMessage(e)),
                })
              }
            >
              {del.isPending && <Spinner />} Remove
            </Button>
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </Card>
  )
}
