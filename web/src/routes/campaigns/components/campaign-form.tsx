/** Create/edit form of a campaign: name, alias, source, status, timezone, group, tags, notes, trafficback, anti-repeat. */
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
import { type Campaign, type CampaignBody, useCampaigns } from '@/hooks/api/campaigns'
import { useSources } from '@/hooks/api/sources'
import { applyApiErrors } from '@/lib/forms'
import {
  aliasFromName,
  CAMPAIGN_FIELDS,
  type CampaignFormValues,
  campaignFormSchema,
  campaignToForm,
  formToCampaign,
  optionsWithCurrent,
} from './campaign-form.lib'
import { CheckboxField, FormSection, TimezoneList } from './shared'
import { OrganizeFields } from './organize-fields'

export function CampaignForm({
  campaign,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  campaign?: Campaign
  submitLabel: string
  onSubmit: (body: CampaignBody) => Promise<unknown>
  onCancel: () => void
}) {
  // `status: 'all'`: a saved reference to an archived row keeps its name (only it is offered).
  const sources = useSources({ limit: 500, status: 'all' })
  const campaigns = useCampaigns({ limit: 500, status: 'all' })
  const form = useForm<CampaignFormValues>({
    resolver: zodResolver(campaignFormSchema),
    defaultValues: campaignToForm(campaign),
  })
  const { errors, isSubmitting, dirtyFields } = form.formState
  const tbType = form.watch('trafficback.type')
  const antiRepeat = form.watch('anti_repeat.enabled')
  const alias = form.watch('alias')
  // Controlled selects over options that always hold the current value: an uncontrolled
  // native select mounted before its options arrive shows (and keeps) its first option.
  const sourceId = form.watch('source_id')
  const tbCampaignId = form.watch('trafficback.campaign_id')
  const sourceOptions = optionsWithCurrent(
    sources.data?.items,
    sourceId,
    'None',
    sources.isPending,
    'Source not found',
  )
  const campaignOptions = optionsWithCurrent(
    campaigns.data?.items.filter((c) => c.id !== campaign?.id),
    tbCampaignId,
    'Pick a campaign',
    campaigns.isPending,
    'Campaign not found',
  )
  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(formToCampaign(values))
    } catch (e) {
      applyApiErrors(e, form.setError, CAMPAIGN_FIELDS)
    }
  })
  const nameField = form.register('name', {
    onChange: (e: { target: { value: string } }) => {
      // Suggest the alias from the name until the user types one.
      if (!campaign && !dirtyFields.alias) form.setValue('alias', aliasFromName(e.target.value))
    },
  })
  return (
    <form onSubmit={submit} noValidate data-testid="campaign-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Campaign">
            <div className="grid gap-4 md:grid-cols-2">
              <FormField id="c-name" label="Name" error={errors.name?.message}>
                <Input autoComplete="off" {...fieldAria('c-name', errors.name?.message)} {...nameField} />
              </FormField>
              <FormField
                id="c-alias"
                label="Alias"
                error={errors.alias?.message}
                hint={
                  <>
                    Link:{' '}
                    <span className="font-mono">
                      {window.location.origin}/c/{alias || '…'}
                    </span>
                  </>
                }
              >
                <Input
                  autoComplete="off"
                  className="font-mono text-sm"
                  {...fieldAria('c-alias', errors.alias?.message)}
                  {...form.register('alias')}
                />
              </FormField>
              <FormField id="c-source" label="Traffic source" optional error={errors.source_id?.message}>
                <Select
                  {...fieldAria('c-source', errors.source_id?.message)}
                  {...form.register('source_id')}
                  value={sourceId}
                  data-testid="campaign-source"
                >
                  {sourceOptions.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </Select>
              </FormField>
              <div className="grid grid-cols-2 gap-4">
                <FormField id="c-status" label="Status" error={errors.status?.message}>
                  <Select {...fieldAria('c-status', errors.status?.message)} {...form.register('status')}>
                    <option value="active">Active</option>
                    <option value="paused">Paused</option>
                    <option value="archived">Archived</option>
                  </Select>
                </FormField>
                <FormField id="c-tz" label="Timezone" error={errors.timezone?.message}>
                  <Input
                    list="timezones"
                    autoComplete="off"
                    {...fieldAria('c-tz', errors.timezone?.message)}
                    {...form.register('timezone')}
                  />
                </FormField>
                <TimezoneList />
              </div>
            </div>
          </FormSection>
          <OrganizeFields form={form} idPrefix="c" description="How the campaign is found in the list.">
            <FormField id="c-group" label="Group" optional error={errors.group_name?.message}>
              <Input
                autoComplete="off"
                placeholder="e.g. Push · Tier 1"
                {...fieldAria('c-group', errors.group_name?.message)}
                {...form.register('group_name')}
              />
            </FormField>
          </OrganizeFields>
          <FormSection
            title="Trafficback"
            description="Where clicks go when no stream or destination takes them."
          >
            <div className="grid gap-4 md:grid-cols-[12rem_1fr]">
              <FormField id="c-tb-type" label="Send to">
                <Select id="c-tb-type" {...form.register('trafficback.type')}>
                  <option value="none">None</option>
                  <option value="url">A URL</option>
                  <option value="campaign">Another campaign</option>
                </Select>
              </FormField>
              {tbType === 'url' && (
                <FormField id="c-tb-url" label="URL" error={errors.trafficback?.url?.message}>
                  <Input
                    inputMode="url"
                    className="font-mono text-sm"
                    placeholder="https://fallback.example/"
                    {...fieldAria('c-tb-url', errors.trafficback?.url?.message)}
                    {...form.register('trafficback.url')}
                  />
                </FormField>
              )}
              {tbType === 'campaign' && (
                <FormField
                  id="c-tb-campaign"
                  label="Campaign"
                  error={errors.trafficback?.campaign_id?.message}
                >
                  <Select
                    {...fieldAria('c-tb-campaign', errors.trafficback?.campaign_id?.message)}
                    {...form.register('trafficback.campaign_id')}
                    value={tbCampaignId}
                  >
                    {campaignOptions.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </Select>
                </FormField>
              )}
            </div>
          </FormSection>
          <FormSection
            title="Anti-repeat"
            description="A visitor who comes back within the window is sent where they went before."
          >
            <CheckboxField label="Enable anti-repeat" {...form.register('anti_repeat.enabled')} />
            {antiRepeat && (
              <FormField
                id="c-ar-window"
                label="Window (seconds)"
                className="sm:max-w-56"
                error={errors.anti_repeat?.window_seconds?.message}
                hint="86400 = one day"
              >
                <Input
                  inputMode="numeric"
                  {...fieldAria('c-ar-window', errors.anti_repeat?.window_seconds?.message)}
                  {...form.register('anti_repeat.window_seconds')}
                />
              </FormField>
            )}
          </FormSection>
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
