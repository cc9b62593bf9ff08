/** The dry run: what the autopilot would do now and why (`GET /campaigns/:id/plan`, nothing sent). */
import { QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog'
import { type AutopilotCampaign, useAutopilotPlan } from '@/hooks/api/autopilot'
import { phaseLabel, usd } from './model'

export function PlanDialog({
  campaign,
  open,
  onOpenChange,
}: {
  campaign: AutopilotCampaign
  open: boolean
  onOpenChange: (open: boolean) => void
}) {
  const plan = useAutopilotPlan(campaign.id, open)
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[90vh] overflow-y-auto sm:max-w-2xl" data-testid="autopilot-plan">
        <DialogHeader>
          <DialogTitle>Dry run</DialogTitle>
          <DialogDescription>
            What the autopilot would do if it ran now. Nothing is sent to TrafficStars or saved.
          </DialogDescription>
        </DialogHeader>
        <QueryStates query={plan} skeleton={{ rows: 3, columns: 2 }}>
          {(p) => (
            <div className="grid gap-4 text-sm">
              <p>
                <span className="text-muted-foreground">State:</span>{' '}
                <span className="font-medium">{phaseLabel(p.before, campaign.settings)}</span> →{' '}
                <span className="font-medium">{phaseLabel(p.after, campaign.settings)}</span>
              </p>
              <section className="grid gap-2">
                <h4 className="font-medium">Calls ({p.actions.length})</h4>
                {p.actions.length === 0 ? (
                  <p className="text-muted-foreground">No call to TrafficStars.</p>
                ) : (
                  <ul className="grid gap-2" data-testid="plan-actions">
                    {p.actions.map((a, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: a plan's list never changes order
                      <li key={i} className="rounded-md border p-3">
                        <div className="flex flex-wrap items-center gap-2">
                          <Badge>{a.kind}</Badge>
                          {a.max_daily_micros !== undefined && (
                            <span className="tabular-nums">daily budget {usd(a.max_daily_micros)}</span>
                          )}
                          {a.end_time && <span className="tabular-nums">end {a.end_time} UTC</span>}
                          {a.correction && <Badge variant="warning">correction</Badge>}
                          <code className="text-xs text-muted-foreground">{a.reason.rule}</code>
                        </div>
                        <p className="mt-1">{a.reason.text}</p>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
              {p.events.length > 0 && (
                <section className="grid gap-2">
                  <h4 className="font-medium">Notes ({p.events.length})</h4>
                  <ul className="grid gap-1">
                    {p.events.map((e, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: static list
                      <li key={i}>
                        <code className="text-xs text-muted-foreground">{e.reason.rule}</code> {e.reason.text}
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              <details>
                <summary className="cursor-pointer text-muted-foreground">Observation</summary>
                <pre className="mt-2 overflow-x-auto rounded-md bg-muted p-3 text-xs">
                  {JSON.stringify(p.observation, null, 2)}
                </pre>
              </details>
            </div>
          )}
        </QueryStates>
      </DialogContent>
    </Dialog>
  )
}
