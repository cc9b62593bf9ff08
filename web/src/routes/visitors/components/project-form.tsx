/**
 * Create/edit form of a visitor project: URLs with weights, speed (with visits per minute and
 * the daily estimate at billing's quoted CPM), device split, countries, time on page,
 * referrer, mode, and the limits. Validation is live (the server's own settings rules, see
 * `project-form.lib.ts`); API field errors (`settings.geoTargets.0.cc` …) land under their
 * fields.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import type * as React from 'react'
import { CircleAlert, Plus, Trash2 } from 'lucide-react'
import { useFieldArray, useForm } from 'react-hook-form'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { useQuote } from '@/hooks/api/billing'
import { type Project, type ProjectBody, useEgress, useVisitorConfig } from '@/hooks/api/visitors'
import { ApiError } from '@/lib/api'
import { formatInt, formatMoney } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { FormActions, FormSection, TimezoneList } from '../../campaigns/components/shared'
import {
  countryName,
  formEstimate,
  speedRangeOf,
  formFields,
  formPathOf,
  formToBody,
  pickerCountries,
  type ProjectFormValues,
  projectFormSchema,
  projectToForm,
} from './project-form.lib'

/** Re-addresses the API's field errors to the form's fields (see `formPathOf`). */
function toFormError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e
  const fieldErrors = e.fieldErrors.map((f) => ({ path: formPathOf(f.path) ?? f.path, message: f.message }))
  return new ApiError(e.status, e.code, e.message, e.details, fieldErrors)
}

const perMinute = (n: number) => (n >= 10 ? formatInt(Math.round(n)) : n.toFixed(1))

export function ProjectForm({
  project,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  project?: Project
  submitLabel: string
  onSubmit: (body: ProjectBody) => Promise<unknown>
  onCancel: () => void
}) {
  const form = useForm<ProjectFormValues>({
    resolver: zodResolver(projectFormSchema),
    defaultValues: projectToForm(project),
    mode: 'onChange',
  })
  const urls = useFieldArray({ control: form.control, name: 'urls' })
  const geo = useFieldArray({ control: form.control, name: 'geoTargets' })
  const egress = useEgress()
  const config = useVisitorConfig()
  // The tiers do not depend on the amount: any valid amount answers them.
  const quote = useQuote(100)
  const { errors, isSubmitting } = form.formState
  const values = form.watch()
  const estimate = formEstimate(values, quote.data?.tiers ?? null, speedRangeOf(config.data?.speed))
  const currency = quote.data?.currency
  const countries = pickerCountries(
    egress.data ?? null,
    values.geoTargets.map((g) => g.cc),
  )
  const typedUrls = values.urls.map((u) => u.url.trim()).filter((u) => u)

  const submit = form.handleSubmit(async (v) => {
    try {
      await onSubmit(formToBody(v, project?.settings))
    } catch (e) {
      applyApiErrors(toFormError(e), form.setError, formFields(v) as never)
    }
  })
  const err = (m: { message?: string } | undefined) => m?.message

  return (
    <form onSubmit={submit} noValidate data-testid="project-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection
            title="Project"
            description="What to visit. Every host must be verified before the start."
          >
            <FormField id="p-name" label="Name" error={err(errors.name)}>
              <Input
                autoComplete="off"
                placeholder="e.g. Shop load test"
                {...fieldAria('p-name', err(errors.name))}
                {...form.register('name')}
              />
            </FormField>
            <div className="grid gap-3" data-testid="project-urls">
              <div className="flex items-center justify-between gap-2">
                <p className="text-sm font-medium">URLs</p>
                <p className="text-xs text-muted-foreground">Weight: share of visits (empty = 1)</p>
              </div>
              {urls.fields.map((f, i) => {
                const urlErr = err(errors.urls?.[i]?.url)
                const wErr = err(errors.urls?.[i]?.weight)
                return (
                  <div key={f.id} className="grid grid-cols-[1fr_5rem_auto] items-start gap-2">
                    <div className="grid gap-1">
                      <Input
                        inputMode="url"
                        placeholder="https://www.example.com/"
                        className="font-mono text-sm"
                        aria-label={`URL ${i + 1}`}
                        {...fieldAria(`p-url-${i}`, urlErr)}
                        {...form.register(`urls.${i}.url`)}
                      />
                      {urlErr && (
                        <p id={`p-url-${i}-error`} className="text-sm text-destructive" role="alert">
                          {urlErr}
                        </p>
                      )}
                    </div>
                    <div className="grid gap-1">
                      <Input
                        inputMode="decimal"
                        placeholder="1"
                        className="tabular-nums"
                        aria-label={`Weight of URL ${i + 1}`}
                        {...fieldAria(`p-weight-${i}`, wErr)}
                        {...form.register(`urls.${i}.weight`)}
                      />
                      {wErr && (
                        <p id={`p-weight-${i}-error`} className="text-sm text-destructive" role="alert">
                          {wErr}
                        </p>
                      )}
                    </div>
                    <Button
                      type="button"
                      variant="ghost"
                      size="icon"
                      aria-label={`Remove URL ${i + 1}`}
                      disabled={urls.fields.length <= 1}
                      onClick={() => urls.remove(i)}
                    >
                      <Trash2 />
                    </Button>
                  </div>
                )
              })}
              {(errors.urls?.message || errors.urls?.root?.message) && (
                <p className="text-sm text-destructive" role="alert">
                  {errors.urls?.message ?? errors.urls?.root?.message}
                </p>
              )}
              <Button
                type="button"
                variant="outline"
                size="sm"
                className="w-fit"
                onClick={() => urls.append({ url: '', weight: '' })}
              >
                <Plus /> Add URL
              </Button>
            </div>
          </FormSection>

          <FormSection
            title="Traffic"
            description="How fast, from which devices and countries, and how visits look."
          >
            <div className="grid gap-4 md:grid-cols-2">
              <FormField
                id="p-speed"
                label={
                  <span className="flex w-full justify-between gap-2">
                    <span>Traffic speed</span>
                    <span className="tabular-nums text-muted-foreground" data-testid="speed-value">
                      {values.trafficSpeed} · ≈ {perMinute(estimate.visitsPerMinute)} visits/min
                    </span>
                  </span>
                }
                error={err(errors.trafficSpeed)}
              >
                <input
                  type="range"
                  min={0}
                  max={100}
                  step={1}
                  className="w-full accent-primary"
                  {...fieldAria('p-speed', err(errors.trafficSpeed))}
                  {...form.register('trafficSpeed', { valueAsNumber: true })}
                />
              </FormField>
              <FormField
                id="p-devices"
                label={
                  <span className="flex w-full justify-between gap-2">
                    <span>Device split</span>
                    <span className="tabular-nums text-muted-foreground">
                      {values.deviceSplit}% desktop · {100 - values.deviceSplit}% mobile
                    </span>
                  </span>
                }
                error={err(errors.deviceSplit)}
              >
                <input
                  type="range"
                  min={0}
                  max={100}
                  step={1}
                  className="w-full accent-primary"
                  {...fieldAria('p-devices', err(errors.deviceSplit))}
                  {...form.register('deviceSplit', { valueAsNumber: true })}
                />
              </FormField>
            </div>
            <div
              className="grid grid-cols-2 gap-3 rounded-lg border bg-muted/40 p-3 text-sm sm:grid-cols-4"
              data-testid="project-estimate"
            >
              <Figure
                label="Visits / min"
                value={`≈ ${perMinute(estimate.visitsPerMinute)}`}
                testId="estimate-per-minute"
              />
              <Figure
                label="Visits / day"
                value={formatInt(estimate.visitsPerDay)}
                testId="estimate-visits-day"
              />
              <Figure
                label="Credits / day"
                value={formatInt(estimate.creditsPerDay)}
                testId="estimate-credits-day"
              />
              <Figure
                label={
                  estimate.rateMinorPer1000 !== null
                    ? `Cost / day at ${formatMoney(estimate.rateMinorPer1000 / 100, currency)} CPM`
                    : 'Cost / day'
                }
                value={
                  estimate.costMinorPerDay !== null
                    ? formatMoney(estimate.costMinorPerDay / 100, currency)
                    : '—'
                }
                testId="estimate-cost-day"
              />
            </div>

            <div className="grid gap-3" data-testid="project-geo">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <p className="text-sm font-medium">Countries</p>
                <p className="text-xs text-muted-foreground">
                  {geo.fields.length === 0
                    ? 'None chosen: visits leave from the default egress.'
                    : 'Weight: share of visits per country.'}
                  {egress.data === null && ' Which countries have egress is checked on save.'}
                </p>
              </div>
              {geo.fields.map((f, i) => {
                const ccErr = err(errors.geoTargets?.[i]?.cc)
                const wErr = err(errors.geoTargets?.[i]?.w)
                return (
                  <div key={f.id} className="grid grid-cols-[1fr_5rem_auto] items-start gap-2">
                    <div className="grid gap-1">
                      <Select
                        aria-label={`Country ${i + 1}`}
                        {...fieldAria(`p-cc-${i}`, ccErr)}
                        {...form.register(`geoTargets.${i}.cc`)}
                      >
                        <option value="">Choose a country</option>
                        {countries.map((c) => (
                          <option key={c} value={c}>
                            {countryName(c)} ({c})
                          </option>
                        ))}
                      </Select>
                      {ccErr && (
                        <p id={`p-cc-${i}-error`} className="text-sm text-destructive" role="alert">
                          {ccErr}
                        </p>
                      )}
                    </div>
                    <div className="grid gap-1">
                      <Input
                        inputMode="decimal"
                        className="tabular-nums"
                        aria-label={`Weight of country ${i + 1}`}
                        {...fieldAria(`p-w-${i}`, wErr)}
                        {...form.register(`geoTargets.${i}.w`)}
                      />
                      {wErr && (
                        <p id={`p-w-${i}-error`} className="text-sm text-destructive" role="alert">
                          {wErr}
                        </p>
                      )}
                    </div>
                    <Button
                      type="button"
                      variant="ghost"
                      size="icon"
                      aria-label={`Remove country ${i + 1}`}
                      onClick={() => geo.remove(i)}
                    >
                      <Trash2 />
                    </Button>
                  </div>
                )
              })}
              <Button
                type="button"
                variant="outline"
                size="sm"
                className="w-fit"
                onClick={() => geo.append({ cc: '', w: '1' })}
              >
                <Plus /> Add country
              </Button>
            </div>

            <div className="grid gap-4 sm:grid-cols-3">
              <FormField
                id="p-top"
                label="Time on page"
                error={err(errors.timeOnPage)}
                hint={'e.g. "3 minutes", "45 seconds", "1m 30s"'}
              >
                <Input
                  autoComplete="off"
                  {...fieldAria('p-top', err(errors.timeOnPage))}
                  {...form.register('timeOnPage')}
                />
              </FormField>
              <FormField
                id="p-referrer"
                label="Referrer"
                error={err(errors.referrer)}
                hint="None, or one of this project's own pages."
              >
                <Select {...fieldAria('p-referrer', err(errors.referrer))} {...form.register('referrer')}>
                  <option value="none">None</option>
                  {[...new Set(typedUrls)].map((u) => (
                    <option key={u} value={u}>
                      {u}
                    </option>
                  ))}
                  {values.referrer !== 'none' && !typedUrls.includes(values.referrer) && (
                    <option value={values.referrer}>{values.referrer}</option>
                  )}
                </Select>
              </FormField>
              <FormField
                id="p-mode"
                label="Mode"
                error={err(errors.mode)}
                hint={
                  values.mode === 'browser'
                    ? 'A real browser: runs scripts, slower.'
                    : 'Page and its assets over HTTP.'
                }
              >
                <Select {...fieldAria('p-mode', err(errors.mode))} {...form.register('mode')}>
                  <option value="http">HTTP</option>
                  <option value="browser">Browser</option>
                </Select>
              </FormField>
            </div>
          </FormSection>

          <FormSection title="Limits and plan" description="Empty = no limit.">
            <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              <FormField
                id="p-daily"
                label="Daily limit"
                optional
                error={err(errors.daily_limit)}
                hint="Visits per day in the time zone below."
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('p-daily', err(errors.daily_limit))}
                  {...form.register('daily_limit')}
                />
              </FormField>
              <FormField
                id="p-total"
                label="Total target"
                optional
                error={err(errors.total_target)}
                hint="The project completes there."
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('p-total', err(errors.total_target))}
                  {...form.register('total_target')}
                />
              </FormField>
              <FormField
                id="p-expires"
                label="Expires"
                optional
                error={err(errors.expires_at)}
                hint="Your local time."
              >
                <Input
                  type="datetime-local"
                  {...fieldAria('p-expires', err(errors.expires_at))}
                  {...form.register('expires_at')}
                />
              </FormField>
              <FormField
                id="p-tz"
                label="Time zone"
                error={err(errors.timezone)}
                hint="Its midnight starts a new day."
              >
                <Input
                  list="timezones"
                  autoComplete="off"
                  {...fieldAria('p-tz', err(errors.timezone))}
                  {...form.register('timezone')}
                />
              </FormField>
              <TimezoneList />
              <FormField id="p-plan" label="Plan" error={err(errors.plan_type)}>
                <Input
                  autoComplete="off"
                  {...fieldAria('p-plan', err(errors.plan_type))}
                  {...form.register('plan_type')}
                />
              </FormField>
            </div>
          </FormSection>

          <FormActions onCancel={onCancel} isSubmitting={isSubmitting} submitLabel={submitLabel} />
        </CardContent>
      </Card>
    </form>
  )
}

/** A small labelled figure of the estimate box. */
function Figure({ label, value, testId }: { label: React.ReactNode; value: string; testId: string }) {
  return (
    <div className="min-w-0">
      <p className="text-xs text-muted-foreground">{label}</p>
      <p className="font-semibold tabular-nums" data-testid={testId}>
        {value}
      </p>
    </div>
  )
}
