/**
 * Create/edit form of a lander: name, status, URL (with macros), tags, notes, and a help
 * box with the call-to-action link to put on the lander page.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, Info } from 'lucide-react'
import { useForm } from 'react-hook-form'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Card, CardContent } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import type { Lander, LanderBody } from '@/hooks/api/landers'
import { applyApiErrors } from '@/lib/forms'
import { OrganizeFields } from '../../campaigns/components/organize-fields'
import { FormActions, FormSection } from '../../campaigns/components/shared'
import {
  LANDER_FIELDS,
  type LanderFormValues,
  landerFormSchema,
  formToLander,
  landerToForm,
} from './lander-form.lib'

/** How the lander's button reaches the tracker: the CTA link and the two ways the click ID travels. */
export function LanderHelp() {
  const cta = `${window.location.origin}/lp/<campaign alias>/click`
  return (
    <Alert data-testid="lander-help">
      <Info />
      <AlertDescription className="grid gap-2 text-sm">
        <p className="font-medium text-foreground">The button on your lander</p>
        <p>Link the lander's call to action to the campaign's lander click URL:</p>
        <code className="block rounded bg-muted px-2 py-1 font-mono text-xs break-all">{cta}</code>
        <p>
          The visitor is then sent to one of the stream's offers, with the original click ID and sub IDs. The
          click is recognised by a cookie we set when sending the visitor to the lander; to be safe also put{' '}
          <code className="font-mono">{'{click_id}'}</code> in the lander URL (e.g.{' '}
          <code className="font-mono break-all">?cid={'{click_id}'}</code>) and append it to the button's link
          as <code className="font-mono break-all">?cid=…</code>. Each campaign's page shows its exact link.
        </p>
      </AlertDescription>
    </Alert>
  )
}

export function LanderForm({
  lander,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  lander?: Lander
  submitLabel: string
  onSubmit: (body: LanderBody) => Promise<unknown>
  onCancel: () => void
}) {
  const form = useForm<LanderFormValues>({
    resolver: zodResolver(landerFormSchema),
    defaultValues: landerToForm(lander),
  })
  const { errors, isSubmitting } = form.formState
  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(formToLander(values))
    } catch (e) {
      applyApiErrors(e, form.setError, LANDER_FIELDS)
    }
  })
  const err = (m: { message?: string } | undefined) => m?.message
  return (
    <form onSubmit={submit} noValidate data-testid="lander-form">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Lander" description="A page you host that visitors see before the offer.">
            <div className="grid gap-4 md:grid-cols-2">
              <FormField id="l-name" label="Name" error={err(errors.name)}>
                <Input
                  autoComplete="off"
                  placeholder="e.g. Quiz lander — DE"
                  {...fieldAria('l-name', err(errors.name))}
                  {...form.register('name')}
                />
              </FormField>
              <FormField id="l-status" label="Status" error={err(errors.status)}>
                <Select {...fieldAria('l-status', err(errors.status))} {...form.register('status')}>
                  <option value="active">Active</option>
                  <option value="paused">Paused</option>
                  <option value="archived">Archived</option>
                </Select>
              </FormField>
            </div>
            <FormField
              id="l-url"
              label="URL"
              error={err(errors.url)}
              hint={
                <>
                  Macros are filled in per click, e.g. <span className="font-mono">{'{click_id}'}</span>,{' '}
                  <span className="font-mono">{'{sub1}'}</span>,{' '}
                  <span className="font-mono">{'{country}'}</span>.
                </>
              }
            >
              <Input
                autoComplete="off"
                inputMode="url"
                placeholder="https://lander.example/quiz?cid={click_id}"
                className="font-mono text-sm"
                {...fieldAria('l-url', err(errors.url))}
                {...form.register('url')}
              />
            </FormField>
            <LanderHelp />
          </FormSection>
          <OrganizeFields form={form} idPrefix="l" tagsPlaceholder="quiz, de, v2" />
          <FormActions onCancel={onCancel} isSubmitting={isSubmitting} submitLabel={submitLabel} />
        </CardContent>
      </Card>
    </form>
  )
}
