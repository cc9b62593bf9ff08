/**
 * The outreach credits: today's widget (used of the daily limit, left, when the day resets,
 * what was charged) and the 14-day history (sent vs replies). One credit = one email sent or
 * one reply received; a reply with no credit left is kept and not charged.
 */
import { CircleAlert, Coins, Settings2 } from 'lucide-react'
import { lazy, Suspense, useState } from 'react'
import { FormField } from '@/components/common/form-field'
import { EmptyState, QueryStates } from '@/components/common/states'
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
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  type OutreachSettings,
  useCreditHistory,
  useCredits,
  useOutreachSettings,
  useUpdateOutreachSettings,
} from '@/hooks/api/outreach'
import { ApiError, errorMessage } from '@/lib/api'
import { formatInt } from '@/lib/format'
import { cn } from '@/lib/utils'
import { TimezoneList } from '../../campaigns/components/shared'
import { isTimeZone, resetsText, usedPercent } from './outreach.lib'

const CreditsChart = lazy(() => import('./credits-chart'))

/** Today's credits: a bar of used / limit, what is left and when it resets. */
export function CreditsWidget({ className }: { className?: string }) {
  const credits = useCredits()
  const settings = useOutreachSettings()
  const [editing, setEditing] = useState(false)
  return (
    <Card className={cn('min-w-0', className)} data-testid="credits-widget">
      <CardHeader className="flex-nowrap">
        <div className="min-w-0">
          <CardTitle>Credits today</CardTitle>
          <CardDescription>
            One per email sent or reply received
            {settings.data && (
              <>
                {' '}
                · <span className="capitalize">{settings.data.plan}</span> plan
              </>
            )}
          </CardDescription>
        </div>
        {settings.data && (
          <Button variant="ghost" size="sm" onClick={() => setEditing(true)} data-testid="credits-settings">
            <Settings2 /> Plan
          </Button>
        )}
      </CardHeader>
      {settings.data && editing && (
        <SettingsDialog settings={settings.data} onClose={() => setEditing(false)} />
      )}
      <CardContent>
        <QueryStates query={credits} pending={<Skeleton className="h-24 w-full" />}>
          {(c) => {
            const pct = usedPercent(c)
            return (
              <div className="grid gap-3">
                <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
                  <p className="text-2xl font-semibold tabular-nums" data-testid="credits-used">
                    {formatInt(c.used)}
                    <span className="text-base font-normal text-muted-foreground">
                      {' '}
                      / {formatInt(c.limit)}
                    </span>
                  </p>
                  <p className="text-sm text-muted-foreground" data-testid="credits-resets">
                    {resetsText(c)}
                  </p>
                </div>
                <div
                  className="h-2 w-full overflow-hidden rounded-full bg-muted"
                  role="progressbar"
                  aria-label="Credits used today"
                  aria-valuemin={0}
                  aria-valuemax={c.limit}
                  aria-valuenow={c.used}
                >
                  <div
                    className={cn(
                      'h-full rounded-full',
                      pct >= 100 ? 'bg-destructive' : pct >= 80 ? 'bg-warning' : 'bg-primary',
                    )}
                    style={{ width: `${pct}%` }}
                  />
                </div>
                <dl className="grid grid-cols-3 gap-2 text-sm">
                  <div className="min-w-0">
                    <dt className="text-xs text-muted-foreground">Left</dt>
                    <dd className="font-medium tabular-nums" data-testid="credits-left">
                      {formatInt(c.left)}
                    </dd>
                  </div>
                  <div className="min-w-0">
                    <dt className="text-xs text-muted-foreground">Sent</dt>
                    <dd className="font-medium tabular-nums">{formatInt(c.sent)}</dd>
                  </div>
                  <div className="min-w-0">
                    <dt className="text-xs text-muted-foreground">Replies</dt>
                    <dd className="font-medium tabular-nums">{formatInt(c.replies)}</dd>
                  </div>
                </dl>
                {c.left <= 0 && (
                  <p className="flex items-start gap-1.5 text-xs text-muted-foreground">
                    <CircleAlert className="mt-0.5 size-3.5 shrink-0 text-warning" />
                    No credit left today: emails wait for the next run (unpaid) and replies are kept without
                    charge.
                  </p>
                )}
                {c.replies_uncharged > 0 && (
                  <p className="text-xs text-muted-foreground">
                    {formatInt(c.replies_uncharged)} repl{c.replies_uncharged === 1 ? 'y' : 'ies'} not charged
                    — no credit left.
                  </p>
                )}
              </div>
            )
          }}
        </QueryStates>
      </CardContent>
    </Card>
  )
}

/** Sent vs replies over the last `days` credit days. */
export function CreditsHistory({ days = 14, className }: { days?: number; className?: string }) {
  const history = useCreditHistory(days)
  return (
    <Card className={cn('min-w-0', className)} data-testid="credits-history">
      <CardHeader>
        <div className="min-w-0">
          <CardTitle>Last {days} days</CardTitle>
          <CardDescription>Emails sent and replies received per credit day</CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        <QueryStates query={history} pending={<Skeleton className="h-40 w-full" />}>
          {(items) =>
            items.every((d) => d.sent === 0 && d.replies === 0) ? (
              <EmptyState
                icon={Coins}
                className="py-6"
                title="Nothing sent yet"
                description="Each day’s emails and replies show here once campaigns send."
              />
            ) : (
              <div className="h-40" data-testid="credits-chart">
                <Suspense fallback={<Skeleton className="h-full w-full" />}>
                  <CreditsChart days={items} />
                </Suspense>
              </div>
            )
          }
        </QueryStates>
      </CardContent>
    </Card>
  )
}

/** The plan (daily credits, from the next credit day) and the zone whose midnight resets them. */
function SettingsDialog({ settings, onClose }: { settings: OutreachSettings; onClose: () => void }) {
  const update = useUpdateOutreachSettings()
  const [plan, setPlan] = useState(settings.plan)
  const [timezone, setTimezone] = useState(settings.timezone)
  const tzError = isTimeZone(timezone.trim()) ? undefined : 'An IANA time zone such as Europe/Berlin or UTC'
  const serverError = (path: string) =>
    update.error instanceof ApiError ? update.error.fieldError(path) : undefined
  const save = () =>
    update.mutate(
      { plan, timezone: timezone.trim() },
      {
        onSuccess: () => {
          toast.success('Saved')
          onClose()
        },
      },
    )
  return (
    <Dialog open onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="settings-dialog">
        <DialogHeader>
          <DialogTitle>Plan and credit day</DialogTitle>
          <DialogDescription>
            Credits reset at midnight of this time zone. A new plan applies from the next credit day.
          </DialogDescription>
        </DialogHeader>
        <div className="grid gap-4">
          <FormField id="o-plan" label="Plan" error={serverError('plan')}>
            <Select id="o-plan" value={plan} onChange={(e) => setPlan(e.target.value)}>
              {settings.plans.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name} — {formatInt(p.daily_limit)} credits a day
                </option>
              ))}
            </Select>
          </FormField>
          <FormField id="o-tz" label="Time zone" error={tzError ?? serverError('timezone')}>
            <Input
              id="o-tz"
              list="timezones"
              autoComplete="off"
              value={timezone}
              aria-invalid={tzError ? true : undefined}
              onChange={(e) => setTimezone(e.target.value)}
            />
          </FormField>
          <TimezoneList />
          {update.isError && !serverError('plan') && !serverError('timezone') && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errorMessage(update.error)}</AlertDescription>
            </Alert>
          )}
        </div>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={save} disabled={!!tzError || update.isPending}>
            {update.isPending && <Spinner />} Save
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}
