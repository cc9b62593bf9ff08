/**
 * Create/edit form of a destination: basics, payout, caps, weekly schedule and health
 * check. API field errors land under their fields (`applyApiErrors`).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useForm } from 'react-hook-form'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Spinner } from '@/components/ui/spinner'
import type { Destination, DestinationBody } from '@/hooks/api/destinations'
import { useNetworks } from '@/hooks/api/networks'
import { applyApiErrors } from '@/lib/forms'
import { optionsWithCurrent } from '../../campaigns/components/campaign-form.lib'
import { OrganizeFields } from '../../campaigns/components/organize-fields'
import { CheckboxField, FormSection, TimezoneList } from '../../campaigns/components/shared'
import {
  DESTINATION_FIELDS,
  type DestinationFormValues,
  destinationFormSchema,
  destinationToForm,
  formToDestination,
  URL_MACROS,
} from './destination-form.lib'

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

export function DestinationForm({
  destination,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  destination?: Destination
  submitLabel: string
  onSubmit: (body: DestinationBody) => Promise<unknown>
  onCancel: () => void
}) {
  // `status: 'all'`: an archived network the offer belongs to keeps its name (only it is offered).
  const networks = useNetworks({ limit: 500, status: 'all' })
  const form = useForm<DestinationFormValues>({
    resolver: zodResolver(destinationFormSchema),
    defaultValues: destinationToForm(destination),
  })
  const { errors, isSubmitting } = form.formState
  const scheduleOn = form.watch('schedule_enabled')
  const healthOn = form.watch('health_check.enabled')
  // A controlled select over options that always hold the current network: an uncontrolled
  // one mounted before the networks arrive shows "None" and would save it.
  const networkId = form.watch('network_id')
  const networkOptions = optionsWithCurrent(
    networks.data?.items,
    networkId,
    'None',
    networks.isPending,
    'Network not found',
  )
  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(formToDestination(values))
    } catch (e) {
      applyApiErrors(e, form.setError, DESTINATION_FIELDS)
    }
  })
  const err = (m: { message?: string } | undefined) => m?.message
  return (
    <form onSubmit={submit} noValidate data-testid="destination-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Destination" description="Where the visitor is sent.">
            <div className="grid gap-4 md:grid-cols-2">
              <FormField id="d-name" label="Name" error={err(errors.name)}>
                <Input
                  autoComplete="off"
                  placeholder="e.g. Offer A — US"
                  {...fieldAria('d-name', err(errors.name))}
                  {...form.register('name')}
                />
              </FormField>
              <FormField id="d-status" label="Status" error={err(errors.status)}>
                <Select {...fieldAria('d-status', err(errors.status))} {...form.register('status')}>
                  <option value="active">Active</option>
                  <option value="paused">Paused</option>
                  <option value="archived">Archived</option>
                </Select>
              </FormField>
            </div>
            <FormField
              id="d-url"
              label="URL"
              error={err(errors.url)}
              hint={
                <>
                  Macros are filled in per click:{' '}
                  <span className="font-mono break-words">{URL_MACROS.join(' ')}</span>
                </>
              }
            >
              <Input
                autoComplete="off"
                inputMode="url"
                placeholder="https://offer.example/?click={click_id}&s1={sub1}"
                className="font-mono text-sm"
                {...fieldAria('d-url', err(errors.url))}
                {...form.register('url')}
              />
            </FormField>
            <div className="grid gap-4 sm:grid-cols-3">
              <FormField id="d-network" label="Affiliate network" optional error={err(errors.network_id)}>
                <Select
                  {...fieldAria('d-network', err(errors.network_id))}
                  {...form.register('network_id')}
                  value={networkId}
                >
                  {networkOptions.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </Select>
              </FormField>
              <FormField id="d-payout" label="Payout" optional error={err(errors.payout_cents)}>
                <Input
                  inputMode="decimal"
                  placeholder="0.00"
                  className="tabular-nums"
                  {...fieldAria('d-payout', err(errors.payout_cents))}
                  {...form.register('payout_cents')}
                />
              </FormField>
              <FormField id="d-currency" label="Currency" error={err(errors.currency)}>
                <Input
                  maxLength={3}
                  className="uppercase"
                  {...fieldAria('d-currency', err(errors.currency))}
                  {...form.register('currency')}
                />
              </FormField>
            </div>
          </FormSection>

          <FormSection title="Caps" description="Clicks above a cap skip this destination (empty = no cap).">
            <div className="grid gap-4 sm:grid-cols-3">
              <FormField id="d-daily" label="Daily click cap" optional error={err(errors.daily_click_cap)}>
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('d-daily', err(errors.daily_click_cap))}
                  {...form.register('daily_click_cap')}
                />
              </FormField>
              <FormField id="d-total" label="Total click cap" optional error={err(errors.total_click_cap)}>
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('d-total', err(errors.total_click_cap))}
                  {...form.register('total_click_cap')}
                />
              </FormField>
              <FormField
                id="d-cap-tz"
                label="Cap timezone"
                error={err(errors.cap_timezone)}
                hint="Its midnight resets the daily cap."
              >
                <Input
                  list="timezones"
                  autoComplete="off"
                  {...fieldAria('d-cap-tz', err(errors.cap_timezone))}
                  {...form.register('cap_timezone')}
                />
              </FormField>
              <TimezoneList />
            </div>
          </FormSection>

          <FormSection
            title="Schedule"
            description="Send traffic only on these days and hours (cap timezone)."
          >
            <CheckboxField label="Limit to a weekly schedule" {...form.register('schedule_enabled')} />
            {scheduleOn && (
              <div className="grid gap-4" data-testid="schedule-editor">
                <fieldset className="flex flex-wrap gap-2" aria-label="Days">
                  {WEEKDAYS.map((d, i) => (
                    <label
                      key={d}
                      className="inline-flex cursor-pointer items-center gap-1.5 rounded-md border px-2.5 py-1.5 text-sm has-checked:border-primary has-checked:bg-primary/10"
                    >
                      <input
                        type="checkbox"
                        value={String(i + 1)}
                        className="size-4 accent-primary"
                        {...form.register('schedule.days')}
                      />
                      {d}
                    </label>
                  ))}
                </fieldset>
                {errors.schedule?.days && (
                  <p className="text-sm text-destructive" role="alert">
                    {errors.schedule.days.message}
                  </p>
                )}
                <div className="grid grid-cols-2 gap-4 sm:max-w-sm">
                  <FormField id="d-from" label="From" error={err(errors.schedule?.from)}>
                    <Input
                      type="time"
                      {...fieldAria('d-from', err(errors.schedule?.from))}
                      {...form.register('schedule.from')}
                    />
                  </FormField>
                  <FormField
                    id="d-to"
                    label="To"
                    error={err(errors.schedule?.to)}
                    hint="Before From = overnight."
                  >
                    <Input
                      type="time"
                      {...fieldAria('d-to', err(errors.schedule?.to))}
                      {...form.register('schedule.to')}
                    />
                  </FormField>
                </div>
              </div>
            )}
          </FormSection>

          <FormSection
            title="Health check"
            description="Probe the URL periodically; an unhealthy destination is skipped."
          >
            <CheckboxField
              label="Check this destination's health"
              {...form.register('health_check.enabled')}
            />
            {healthOn && (
              <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                <FormField
                  id="d-hc-url"
                  label="Probe URL"
                  optional
                  className="sm:col-span-2 lg:col-span-3"
                  error={err(errors.health_check?.url)}
                  hint="Default: the destination URL with macros emptied."
                >
                  <Input
                    inputMode="url"
                    className="font-mono text-sm"
                    {...fieldAria('d-hc-url', err(errors.health_check?.url))}
                    {...form.register('health_check.url')}
                  />
                </FormField>
                <FormField id="d-hc-method" label="Method" error={err(errors.health_check?.method)}>
                  <Select
                    {...fieldAria('d-hc-method', err(errors.health_check?.method))}
                    {...form.register('health_check.method')}
                  >
                    <option value="GET">GET</option>
                    <option value="HEAD">HEAD</option>
                  </Select>
                </FormField>
                <FormField
                  id="d-hc-statuses"
                  label="Healthy statuses"
                  error={err(errors.health_check?.expected_statuses)}
                >
                  <Input
                    {...fieldAria('d-hc-statuses', err(errors.health_check?.expected_statuses))}
                    {...form.register('health_check.expected_statuses')}
                  />
                </FormField>
                <FormField
                  id="d-hc-interval"
                  label="Every (seconds)"
                  error={err(errors.health_check?.interval_seconds)}
                >
                  <Input
                    inputMode="numeric"
                    {...fieldAria('d-hc-interval', err(errors.health_check?.interval_seconds))}
                    {...form.register('health_check.interval_seconds')}
                  />
                </FormField>
                <FormField
                  id="d-hc-timeout"
                  label="Timeout (ms)"
                  error={err(errors.health_check?.timeout_ms)}
                >
                  <Input
                    inputMode="numeric"
                    {...fieldAria('d-hc-timeout', err(errors.health_check?.timeout_ms))}
                    {...form.register('health_check.timeout_ms')}
                  />
                </FormField>
                <FormField
                  id="d-hc-threshold"
                  label="Failures before unhealthy"
                  error={err(errors.health_check?.failure_threshold)}
                >
                  <Input
                    inputMode="numeric"
                    {...fieldAria('d-hc-threshold', err(errors.health_check?.failure_threshold))}
                    {...form.register('health_check.failure_threshold')}
                  />
                </FormField>
              </div>
            )}
          </FormSection>

          <OrganizeFields form={form} idPrefix="d" tagsPlaceholder="de, sweeps, v2" />

          <div className="flex flex-col-reverse gap-2 border-t pt-5 sm:flex-row sm:justify-end">
            <Button variant="outline" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} {submitLabel}
            </Button>
          </div>
        </CardContent>
      </Card>
    </form>
  )
}
