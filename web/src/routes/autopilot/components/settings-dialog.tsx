/** The settings form of one autopilot campaign (dollars in the form, micros in the API). */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useEffect } from 'react'
import { useForm } from 'react-hook-form'
import { WithHistoryTab } from '@/components/common/history-panel'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { type AutopilotCampaign, useUpdateAutopilotCampaign } from '@/hooks/api/autopilot'
import { applyApiErrors } from '@/lib/forms'
import {
  formToPatch,
  renameSettingsErrors,
  SETTINGS_FIELDS,
  type SettingsFormInput,
  type SettingsFormValues,
  settingsFormSchema,
  settingsToForm,
} from './model'

type Field = (typeof SETTINGS_FIELDS)[number]
const FIELDS: Array<{ name: Field; label: string; hint?: string; step?: string; dollars?: boolean }> = [
  { name: 'ts_campaign_id', label: 'TrafficStars campaign ID' },
  { name: 'price_per_1000', label: 'Price per 1,000 clicks', dollars: true, step: '0.01' },
  { name: 'wait_minutes', label: 'Wait (minutes)', hint: 'After a pause and after midnight.' },
  {
    name: 'spent_threshold',
    label: 'Spent threshold',
    dollars: true,
    hint: 'Condition 1 below, 2 at or above.',
  },
  {
    name: 'start_above_clicks',
    label: 'Start above (clicks)',
    hint: 'Remaining clicks to start in condition 1.',
  },
  { name: 'pause_at_clicks', label: 'Pause at (clicks)', hint: 'Pause when remaining ≤ this.' },
  {
    name: 'high_budget',
    label: 'High budget line',
    dollars: true,
    hint: 'At or above: budgets wait as pending.',
  },
  { name: 'budget_interval_minutes', label: 'Budget interval (minutes)' },
  { name: 'threshold_margin', label: 'Pending margin', dollars: true, hint: 'Add pending at budget − this.' },
  { name: 'daily_budget_cap', label: 'Daily budget cap', dollars: true, hint: 'Never exceeded.' },
  { name: 'max_cycles_per_day', label: 'Max starts per day' },
]

export function SettingsDialog({
  campaign,
  open,
  onOpenChange,
}: {
  campaign: AutopilotCampaign
  open: boolean
  onOpenChange: (open: boolean) => void
}) {
  const update = useUpdateAutopilotCampaign()
  const form = useForm<SettingsFormInput, unknown, SettingsFormValues>({
    resolver: zodResolver(settingsFormSchema),
  })
  // Load the saved values each time the dialog opens (not on every 2 s refetch).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when opening
  useEffect(() => {
    if (open) form.reset(settingsToForm(campaign.ts_campaign_id, campaign.settings))
  }, [open])
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      await update.mutateAsync({ id: campaign.id, ...formToPatch(v) })
      toast.success('Autopilot settings saved')
      onOpenChange(false)
    } catch (e) {
      applyApiErrors(renameSettingsErrors(e), form.setError, SETTINGS_FIELDS)
    }
  })
  const formBody = (
    <form onSubmit={onSubmit} noValidate className="grid gap-4">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        {FIELDS.map((f) => {
          const id = `ap-${f.name}`
          const error = errors[f.name]?.message
          return (
            <FormField
              key={f.name}
              id={id}
              label={f.dollars ? `${f.label} ($)` : f.label}
              error={error}
              hint={f.hint}
            >
              <Input
                type="number"
                inputMode="decimal"
                step={f.step ?? (f.dollars ? '0.01' : '1')}
                className="tabular-nums"
                {...fieldAria(id, error)}
                {...form.register(f.name)}
              />
            </FormField>
          )
        })}
      </div>
      <DialogFooter>
        <Button variant="outline" onClick={() => onOpenChange(false)}>
          Cancel
        </Button>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting && <Spinner />} Save settings
        </Button>
      </DialogFooter>
    </form>
  )
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[90vh] overflow-y-auto sm:max-w-2xl" data-testid="autopilot-settings">
        <DialogHeader>
          <DialogTitle>Autopilot settings</DialogTitle>
          <DialogDescription>
            {campaign.campaign_name ?? 'Campaign'} — amounts in US dollars.
          </DialogDescription>
        </DialogHeader>
        <WithHistoryTab
          objectType="autopilot_campaign"
          objectId={campaign.id}
          detailsLabel="Settings"
          inUrl={false}
        >
          {formBody}
        </WithHistoryTab>
      </DialogContent>
    </Dialog>
  )
}
