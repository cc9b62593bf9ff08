/** Puts a router campaign under autopilot (`POST /autopilot/campaigns`). */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useEffect } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
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
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { type TsAccount, useCreateAutopilotCampaign } from '@/hooks/api/autopilot'
import { useCampaigns } from '@/hooks/api/campaigns'
import { applyApiErrors } from '@/lib/forms'
import { renameSettingsErrors, toMicros, typedNumber } from './model'

const schema = z.object({
  campaign_id: z.string().min(1, 'Pick a campaign'),
  account_id: z.string().min(1, 'Pick an account'),
  ts_campaign_id: typedNumber(
    z
      .number({ error: 'Enter the TrafficStars campaign ID' })
      .int('Enter a whole number')
      .min(1, 'Enter the TrafficStars campaign ID'),
  ),
  price_per_1000: typedNumber(
    z.number({ error: 'Enter the price in dollars' }).gt(0, 'Must be above 0').max(1_000, 'At most $1,000'),
  ),
  enabled: z.boolean(),
})
type Input_ = z.input<typeof schema>
type Values = z.output<typeof schema>
const FIELDS = ['campaign_id', 'account_id', 'ts_campaign_id', 'price_per_1000'] as const

export function AddCampaignDialog({
  open,
  onOpenChange,
  accounts,
}: {
  open: boolean
  onOpenChange: (open: boolean) => void
  accounts: TsAccount[]
}) {
  const campaigns = useCampaigns({ limit: 500 }, { enabled: open })
  const create = useCreateAutopilotCampaign()
  const form = useForm<Input_, unknown, Values>({
    resolver: zodResolver(schema),
    defaultValues: {
      campaign_id: '',
      account_id: '',
      ts_campaign_id: '',
      price_per_1000: '',
      enabled: false,
    },
  })
  // Start from a clean form each time the dialog opens.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when opening
  useEffect(() => {
    if (open)
      form.reset({
        campaign_id: '',
        account_id: accounts[0]?.id ?? '',
        ts_campaign_id: '',
        price_per_1000: '',
        enabled: false,
      })
  }, [open])
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      await create.mutateAsync({
        campaign_id: v.campaign_id,
        account_id: v.account_id,
        ts_campaign_id: v.ts_campaign_id,
        enabled: v.enabled,
        settings: { price_per_1000_micros: toMicros(v.price_per_1000) },
      })
      toast.success('Campaign put under autopilot')
      onOpenChange(false)
    } catch (e) {
      applyApiErrors(renameSettingsErrors(e), form.setError, FIELDS)
    }
  })
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent data-testid="autopilot-add">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>Put a campaign under autopilot</DialogTitle>
            <DialogDescription>
              The router campaign's remaining clicks drive the TrafficStars campaign. Other settings take the
              defaults; change them later.
            </DialogDescription>
          </DialogHeader>
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormField id="add-campaign" label="Router campaign" error={errors.campaign_id?.message}>
            <Select
              {...fieldAria('add-campaign', errors.campaign_id?.message)}
              {...form.register('campaign_id')}
            >
              <option value="">{campaigns.isPending ? 'Loading…' : 'Choose a campaign'}</option>
              {(campaigns.data?.items ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </Select>
          </FormField>
          <FormField id="add-account" label="TrafficStars account" error={errors.account_id?.message}>
            <Select
              {...fieldAria('add-account', errors.account_id?.message)}
              {...form.register('account_id')}
            >
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </Select>
          </FormField>
          <div className="grid gap-4 sm:grid-cols-2">
            <FormField id="add-ts" label="TrafficStars campaign ID" error={errors.ts_campaign_id?.message}>
              <Input
                type="number"
                inputMode="numeric"
                {...fieldAria('add-ts', errors.ts_campaign_id?.message)}
                {...form.register('ts_campaign_id')}
              />
            </FormField>
            <FormField
              id="add-price"
              label="Price per 1,000 clicks ($)"
              error={errors.price_per_1000?.message}
            >
              <Input
                type="number"
                inputMode="decimal"
                step="0.01"
                {...fieldAria('add-price', errors.price_per_1000?.message)}
                {...form.register('price_per_1000')}
              />
            </FormField>
          </div>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" className="size-4 accent-primary" {...form.register('enabled')} />
            Enable at once
          </label>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} Add
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}
