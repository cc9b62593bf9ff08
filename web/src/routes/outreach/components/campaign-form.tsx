/**
 * Create/edit form of an outreach campaign: who to find (platform, keyword chips, follower
 * range, location, language), how often (recurring with a maximum of runs, or one-time),
 * how many per run, when (time zone and sending window), from which mailbox, and the message
 * (subject and body with merge-field buttons, the footer address the law requires) with a
 * live preview rendered by the server (`POST /outreach/preview`, debounced). Validation is
 * live (`outreach.lib.ts`); the API's field errors (`criteria.keywords`, …) land under their
 * fields.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import type * as React from 'react'
import { CircleAlert, Eye, Mail, Repeat, X } from 'lucide-react'
import { useEffect, useRef, useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import {
  type Campaign,
  type CampaignBody,
  PLATFORMS,
  type Preview,
  useMailboxes,
  usePreview,
} from '@/hooks/api/outreach'
import { ApiError, errorMessage } from '@/lib/api'
import { formatInt } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { cn } from '@/lib/utils'
import { CheckboxField, FormActions, FormSection, TimezoneList } from '../../campaigns/components/shared'
import {
  addKeywords,
  browserTimeZone,
  type CampaignFormValues,
  campaignFormFields,
  campaignFormPathOf,
  campaignFormSchema,
  campaignToForm,
  formToCampaignBody,
  hasFollowerFilter,
  insertAt,
  MERGE_FIELDS,
} from './outreach.lib'
import { PLATFORM_LABEL, Textarea } from './shared'

/** Re-addresses the API's field errors to the form's fields (see `campaignFormPathOf`). */
function toFormError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e
  const fieldErrors = e.fieldErrors.map((f) => ({
    path: campaignFormPathOf(f.path) ?? f.path,
    message: f.message,
  }))
  return new ApiError(e.status, e.code, e.message, e.details, fieldErrors)
}

/** `value`, once it has not changed for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

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
  const mailboxes = useMailboxes()
  const form = useForm<CampaignFormValues>({
    resolver: zodResolver(campaignFormSchema),
    defaultValues: campaignToForm(campaign, { timezone: browserTimeZone() }),
    mode: 'onChange',
  })
  const { errors, isSubmitting } = form.formState
  const values = form.watch()
  // The only mailbox is the obvious choice for a new campaign.
  useEffect(() => {
    const list = mailboxes.data
    if (!campaign && list?.length === 1 && !form.getValues('mailbox_id'))
      form.setValue('mailbox_id', list[0]!.id, { shouldValidate: true })
  }, [mailboxes.data, campaign, form])

  const submit = form.handleSubmit(async (v) => {
    try {
      await onSubmit(formToCampaignBody(v))
    } catch (e) {
      applyApiErrors(toFormError(e), form.setError, campaignFormFields as never)
    }
  })
  const err = (m: { message?: string } | undefined) => m?.message

  // Merge fields go where the caret was in the subject or body last focused.
  const subjectRef = useRef<HTMLInputElement | null>(null)
  const bodyRef = useRef<HTMLTextAreaElement | null>(null)
  const [target, setTarget] = useState<'subject' | 'body'>('body')
  const subjectReg = form.register('subject')
  const bodyReg = form.register('body')
  const insertField = (name: string) => {
    const el = target === 'subject' ? subjectRef.current : bodyRef.current
    const token = name === 'first_name' ? '{{first_name|there}}' : `{{${name}}}`
    const r = insertAt(form.getValues(target), el?.selectionStart ?? null, el?.selectionEnd ?? null, token)
    form.setValue(target, r.text, { shouldValidate: true, shouldDirty: true })
    requestAnimationFrame(() => {
      el?.focus()
      el?.setSelectionRange(r.caret, r.caret)
    })
  }

  // The server renders the preview; its 422 names the field with an unknown merge field.
  const previewInput = useDebounced(
    values.subject.trim() && values.body.trim()
      ? { subject: values.subject, body: values.body, footer_address: values.footer_address }
      : null,
    400,
  )
  const preview = usePreview(previewInput)
  const previewErr = preview.error instanceof ApiError ? preview.error : null
  const previewField = (f: 'subject' | 'body') => previewErr?.fieldError(f)

  const noMailbox = mailboxes.data?.length === 0
  const followersOk = hasFollowerFilter(values.platform)

  return (
    <form onSubmit={submit} noValidate data-testid="campaign-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive" data-testid="form-error">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Campaign" description="A name for you; creators never see it.">
            <FormField id="c-name" label="Name" error={err(errors.name)}>
              <Input
                autoComplete="off"
                placeholder="e.g. Fitness creators DE"
                {...fieldAria('c-name', err(errors.name))}
                {...form.register('name')}
              />
            </FormField>
          </FormSection>

          <FormSection
            title="Who to find"
            description="Creators matching these, each contacted once across all your campaigns."
          >
            <div className="grid gap-4 sm:grid-cols-2">
              <FormField id="c-platform" label="Platform" error={err(errors.platform)}>
                <Select
                  {...fieldAria('c-platform', err(errors.platform))}
                  {...form.register('platform', {
                    onChange: (e: React.ChangeEvent<HTMLSelectElement>) => {
                      if (!hasFollowerFilter(e.target.value)) {
                        form.setValue('min_followers', '', { shouldValidate: true })
                        form.setValue('max_followers', '', { shouldValidate: true })
                      }
                    },
                  })}
                >
                  {PLATFORMS.map((p) => (
                    <option key={p} value={p}>
                      {PLATFORM_LABEL[p]}
                    </option>
                  ))}
                </Select>
              </FormField>
              <FormField
                id="c-keywords"
                label="Niche keywords"
                error={err(errors.keywords)}
                hint="Enter or comma adds one; paste a comma-separated list."
              >
                <KeywordsInput
                  id="c-keywords"
                  value={values.keywords}
                  invalid={!!errors.keywords}
                  onChange={(k) => form.setValue('keywords', k, { shouldValidate: true, shouldDirty: true })}
                />
              </FormField>
            </div>
            <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
              <FormField
                id="c-min"
                label="Min followers"
                error={err(errors.min_followers)}
                hint={followersOk ? 'Empty = any.' : 'No follower filter on this platform.'}
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  placeholder={followersOk ? 'e.g. 10000' : '—'}
                  disabled={!followersOk}
                  {...fieldAria('c-min', err(errors.min_followers))}
                  {...form.register('min_followers')}
                />
              </FormField>
              <FormField id="c-max" label="Max followers" error={err(errors.max_followers)}>
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  placeholder={followersOk ? 'e.g. 500000' : '—'}
                  disabled={!followersOk}
                  {...fieldAria('c-max', err(errors.max_followers))}
                  {...form.register('max_followers')}
                />
              </FormField>
              <FormField
                id="c-location"
                label="Location"
                optional
                error={err(errors.location)}
                hint="Country code or name."
              >
                <Input
                  autoComplete="off"
                  placeholder="e.g. DE"
                  {...fieldAria('c-location', err(errors.location))}
                  {...form.register('location')}
                />
              </FormField>
              <FormField
                id="c-language"
                label="Language"
                optional
                error={err(errors.language)}
                hint="ISO 639-1, e.g. en."
              >
                <Input
                  autoComplete="off"
                  maxLength={2}
                  placeholder="e.g. en"
                  {...fieldAria('c-language', err(errors.language))}
                  {...form.register('language')}
                />
              </FormField>
            </div>
          </FormSection>

          <FormSection
            title="Schedule"
            description="Each run finds new creators, then sends spread over the window of its day."
          >
            <div className="grid grid-cols-2 gap-4 lg:grid-cols-4">
              <div className="col-span-2 grid content-start gap-1.5 sm:col-span-1">
                <p className="text-sm font-medium">Runs</p>
                <div
                  role="radiogroup"
                  aria-label="Runs"
                  className="inline-flex h-9 w-full items-center rounded-lg bg-muted p-[3px]"
                >
                  {[
                    { v: true, label: 'Daily', icon: Repeat },
                    { v: false, label: 'One-time', icon: null },
                  ].map((o) => (
                    <label
                      key={o.label}
                      className={cn(
                        'inline-flex h-full flex-1 cursor-pointer items-center justify-center gap-1.5 rounded-md px-3 text-sm font-medium has-[:focus-visible]:ring-[3px] has-[:focus-visible]:ring-ring/50',
                        values.recurring === o.v
                          ? 'bg-card text-foreground shadow-sm'
                          : 'text-muted-foreground hover:text-foreground',
                      )}
                    >
                      <input
                        type="radio"
                        name="recurring"
                        className="sr-only"
                        checked={values.recurring === o.v}
                        data-testid={o.v ? 'recurring-daily' : 'recurring-once'}
                        onChange={() =>
                          form.setValue('recurring', o.v, { shouldValidate: true, shouldDirty: true })
                        }
                      />
                      {o.icon && <o.icon className="size-3.5" />} {o.label}
                    </label>
                  ))}
                </div>
              </div>
              <FormField
                id="c-max-runs"
                label="Max runs"
                error={err(errors.max_runs)}
                hint={values.recurring ? 'One run a day, then it completes.' : 'One-time: a single run.'}
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  disabled={!values.recurring}
                  {...fieldAria('c-max-runs', err(errors.max_runs))}
                  {...form.register('max_runs')}
                />
              </FormField>
              <FormField
                id="c-quota"
                label="Daily quota"
                error={err(errors.daily_quota)}
                hint="Creators to find per run."
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('c-quota', err(errors.daily_quota))}
                  {...form.register('daily_quota')}
                />
              </FormField>
              <FormField
                id="c-mailbox"
                className="col-span-2 sm:col-span-1"
                label="Mailbox"
                error={err(errors.mailbox_id)}
                hint={
                  noMailbox ? (
                    <Link to="/outreach/mailboxes/new" className="underline underline-offset-4">
                      Connect a mailbox first
                    </Link>
                  ) : (
                    'Sends from this address.'
                  )
                }
              >
                <Select {...fieldAria('c-mailbox', err(errors.mailbox_id))} {...form.register('mailbox_id')}>
                  <option value="">{mailboxes.isPending ? 'Loading…' : 'Choose a mailbox'}</option>
                  {mailboxes.data?.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name} ({m.from_email})
                    </option>
                  ))}
                </Select>
              </FormField>
            </div>
            <div className="grid grid-cols-2 gap-4 sm:grid-cols-3">
              <FormField
                id="c-tz"
                className="col-span-2 sm:col-span-1"
                label="Time zone"
                error={err(errors.timezone)}
                hint="Of the window and the run days."
              >
                <Input
                  list="timezones"
                  autoComplete="off"
                  {...fieldAria('c-tz', err(errors.timezone))}
                  {...form.register('timezone')}
                />
              </FormField>
              <TimezoneList />
              <FormField
                id="c-start"
                label="Window start"
                error={err(errors.window_start)}
                hint="24-hour HH:MM."
              >
                <Input
                  inputMode="numeric"
                  autoComplete="off"
                  placeholder="09:00"
                  className="tabular-nums"
                  {...fieldAria('c-start', err(errors.window_start))}
                  {...form.register('window_start')}
                />
              </FormField>
              <FormField
                id="c-end"
                label="Window end"
                error={err(errors.window_end)}
                hint="24:00 = midnight."
              >
                <Input
                  inputMode="numeric"
                  autoComplete="off"
                  placeholder="17:00"
                  className="tabular-nums"
                  {...fieldAria('c-end', err(errors.window_end))}
                  {...form.register('window_end')}
                />
              </FormField>
            </div>
          </FormSection>

          <FormSection
            title="Message"
            description="Plain text. Merge fields are filled per creator; the preview shows a sample."
          >
            <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
              <div className="grid content-start gap-4">
                <div className="flex flex-wrap items-center gap-1.5" data-testid="merge-fields">
                  <span className="text-xs text-muted-foreground">
                    Insert into the {target === 'subject' ? 'subject' : 'body'}:
                  </span>
                  {MERGE_FIELDS.map((f) => (
                    <Button
                      key={f}
                      type="button"
                      variant="outline"
                      size="sm"
                      className="h-7 px-2 font-mono text-xs"
                      // Keep the caret where it is: the button must not take the focus.
                      onMouseDown={(e) => e.preventDefault()}
                      onClick={() => insertField(f)}
                    >
                      {`{{${f}}}`}
                    </Button>
                  ))}
                </div>
                <FormField
                  id="c-subject"
                  label="Subject"
                  error={err(errors.subject) ?? previewField('subject')}
                >
                  <Input
                    autoComplete="off"
                    {...fieldAria('c-subject', err(errors.subject) ?? previewField('subject'))}
                    {...subjectReg}
                    ref={(el) => {
                      subjectReg.ref(el)
                      subjectRef.current = el
                    }}
                    onFocus={() => setTarget('subject')}
                  />
                </FormField>
                <FormField
                  id="c-body"
                  label="Body"
                  error={err(errors.body) ?? previewField('body')}
                  hint="{{first_name|there}} uses “there” when a creator has no first name."
                >
                  <Textarea
                    rows={10}
                    className="font-mono text-sm"
                    {...fieldAria('c-body', err(errors.body) ?? previewField('body'))}
                    {...bodyReg}
                    ref={(el) => {
                      bodyReg.ref(el)
                      bodyRef.current = el
                    }}
                    onFocus={() => setTarget('body')}
                  />
                </FormField>
                <FormField
                  id="c-footer"
                  label="Footer address"
                  error={err(errors.footer_address)}
                  hint="Your physical postal address, added under every email with the unsubscribe link. The law requires it in commercial email (CAN-SPAM in the US; UK and EU rules likewise)."
                >
                  <Textarea
                    rows={2}
                    placeholder="Company Ltd, 1 Main Street, 10115 Berlin, Germany"
                    {...fieldAria('c-footer', err(errors.footer_address))}
                    {...form.register('footer_address')}
                  />
                </FormField>
                <CheckboxField
                  label="Stop on auto-reply: an out-of-office answer also ends the contact with that creator"
                  {...form.register('stop_on_auto_reply')}
                />
              </div>
              <PreviewPanel
                preview={preview.data}
                pending={previewInput !== null && preview.isPending}
                fetching={preview.isFetching}
                error={
                  preview.isError && !previewField('subject') && !previewField('body') ? preview.error : null
                }
                empty={previewInput === null}
              />
            </div>
          </FormSection>

          <FormActions onCancel={onCancel} isSubmitting={isSubmitting} submitLabel={submitLabel} />
        </CardContent>
      </Card>
    </form>
  )
}

/** Keyword chips: Enter or comma adds, Backspace on an empty box removes the last, × removes one. */
function KeywordsInput({
  id,
  value,
  invalid,
  onChange,
}: {
  id: string
  value: string[]
  invalid: boolean
  onChange: (next: string[]) => void
}) {
  const [text, setText] = useState('')
  const commit = (typed: string) => {
    const next = addKeywords(value, typed)
    if (next.length !== value.length) onChange(next)
    setText('')
  }
  return (
    <div
      className={cn(
        'flex min-h-9 w-full min-w-0 flex-wrap items-center gap-1 rounded-md border border-input bg-card px-1.5 py-1 shadow-xs focus-within:border-ring focus-within:ring-[3px] focus-within:ring-ring/40',
        invalid && 'border-destructive',
      )}
      data-testid="keywords"
    >
      {value.map((k) => (
        <Badge key={k} variant="secondary" className="max-w-full gap-0.5 pr-0.5" data-testid="keyword-chip">
          <span className="truncate">{k}</span>
          <button
            type="button"
            className="rounded-sm p-0.5 hover:bg-background"
            aria-label={`Remove ${k}`}
            onClick={() => onChange(value.filter((x) => x !== k))}
          >
            <X />
          </button>
        </Badge>
      ))}
      <input
        id={id}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? `${id}-error` : `${id}-hint`}
        className="h-7 min-w-24 flex-1 bg-transparent px-1.5 text-base outline-none placeholder:text-muted-foreground md:text-sm"
        placeholder={value.length === 0 ? 'e.g. fitness, yoga' : 'Add another'}
        value={text}
        onChange={(e) => {
          const v = e.target.value
          if (/[,\n]/.test(v)) commit(v)
          else setText(v)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            commit(text)
          } else if (e.key === 'Backspace' && !text && value.length > 0) {
            onChange(value.slice(0, -1))
          }
        }}
        onBlur={() => text.trim() && commit(text)}
      />
    </div>
  )
}

/** The server's rendering of the message for a sample creator. */
function PreviewPanel({
  preview,
  pending,
  fetching,
  error,
  empty,
}: {
  preview: Preview | undefined
  pending: boolean
  fetching: boolean
  error: unknown
  empty: boolean
}) {
  return (
    <aside
      className="grid min-w-0 content-start gap-2 self-start rounded-lg border bg-muted/40 p-3 lg:sticky lg:top-4"
      data-testid="preview"
      aria-live="polite"
    >
      <p className="flex items-center gap-1.5 text-sm font-medium">
        <Eye className="size-4" /> Preview
        {fetching && <Spinner className="size-3.5 text-muted-foreground" />}
      </p>
      {empty ? (
        <p className="text-sm text-muted-foreground">Write a subject and a body to see the email.</p>
      ) : pending ? (
        <Skeleton className="h-40 w-full" />
      ) : error ? (
        <p className="text-sm text-destructive" role="alert">
          {errorMessage(error)}
        </p>
      ) : preview ? (
        <>
          <p className="text-xs text-muted-foreground">
            Sample creator: {preview.sample.full_name ?? preview.sample.first_name} (@{preview.sample.handle},{' '}
            {PLATFORM_LABEL[preview.sample.platform] ?? preview.sample.platform}
            {preview.sample.followers !== null && `, ${formatInt(preview.sample.followers)} followers`})
          </p>
          <div className="grid gap-2 rounded-md border bg-card p-3">
            <p
              className="flex items-start gap-1.5 text-sm font-medium break-words"
              data-testid="preview-subject"
            >
              <Mail className="mt-0.5 size-4 shrink-0 text-muted-foreground" />
              {preview.subject}
            </p>
            <pre
              className="max-h-96 overflow-auto font-sans text-sm whitespace-pre-wrap break-words"
              data-testid="preview-text"
            >
              {preview.text}
            </pre>
          </div>
        </>
      ) : null}
    </aside>
  )
}
