/**
 * Create/edit dialog of a traffic source. Money is typed in currency units and sent in
 * micros; the API's field errors (`name`, `currency`, `postback_url` …) land under the fields.
 */
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
import { type Source, type SourceInput, useCreateSource, useUpdateSource } from '@/hooks/api/sources'
import { applyApiErrors } from '@/lib/forms'

/** Macros an outbound postback URL may use (src/modules/postbacks-out/README.md). */
export const POSTBACK_MACROS = [
  'external_id',
  'payout',
  'revenue',
  'status',
  'currency',
  'click_id',
  'conversion_id',
  'transaction_id',
  'campaign_id',
  'country',
  'device',
  'sub1',
] as const

const schema = z.object({
  name: z.string().trim().min(1, 'Name the source').max(200),
  cost_model: z.enum(['cpc', 'cpm', 'none']),
  default_cost: z
    .string()
    .trim()
    .regex(/^\d{0,9}(\.\d{0,6})?$/, 'A non-negative amount, e.g. 0.05'),
  currency: z
    .string()
    .trim()
    .transform((s) => s.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. USD')),
  external_id_param: z.string().trim().max(64),
  postback_url: z
    .string()
    .trim()
    .refine(
      (u) => u === '' || /^https?:\/\/[^/{}\s?#]+/i.test(u),
      'An absolute http(s) URL with a literal host',
    ),
})
type Values = z.input<typeof schema>
const FIELDS = ['name', 'cost_model', 'currency', 'external_id_param', 'postback_url'] as const

/** `0.05` → 50000 micros, digit by digit (no float rounding). */
export function toMicros(s: string): number {
  const [int = '0', frac = ''] = s.trim().split('.')
  return Number(int || '0') * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6))
}

const defaults = (s: Source | null): Values => ({
  name: s?.name ?? '',
  cost_model: s?.cost_model ?? 'none',
  default_cost: s ? String((s.default_cost_micros ?? 0) / 1_000_000) : '0',
  currency: s?.currency ?? 'USD',
  external_id_param: s?.external_id_param ?? 'external_id',
  postback_url: s?.postback_url ?? '',
})

export function SourceFormDialog({
  open,
  source,
  onOpenChange,
}: {
  open: boolean
  /** The source to edit; null to create one. */
  source: Source | null
  onOpenChange: (open: boolean) => void
}) {
  const create = useCreateSource()
  const update = useUpdateSource()
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: defaults(source) })
  const { errors, isSubmitting } = form.formState
  useEffect(() => {
    if (open) form.reset(defaults(source))
  }, [open, source, form])

  const onSubmit = form.handleSubmit(async (raw) => {
    const v = schema.parse(raw)
    const body: SourceInput = {
      name: v.name,
      cost_model: v.cost_model,
      default_cost_micros: toMicros(v.default_cost),
      currency: v.currency,
      external_id_param: v.external_id_param || 'external_id',
      postback_url: v.postback_url || null,
    }
    try {
      if (source) await update.mutateAsync({ id: source.id, ...body })
      else await create.mutateAsync(body)
      toast.success(source ? `Source “${v.name}” saved` : `Source “${v.name}” created`)
      onOpenChange(false)
    } catch (e) {
      // default_cost_micros is the API's name of the default cost field.
      const err = e as { fieldErrors?: { path: string; message: string }[] }
      const costErr = err.fieldErrors?.find((f) => f.path === 'default_cost_micros')
      if (costErr) form.setError('default_cost', { type: 'server', message: costErr.message })
      applyApiErrors(e, form.setError, FIELDS)
    }
  })

  const insertMacro = (m: string) => {
    const cur = form.getValues('postback_url')
    form.setValue('postback_url', `${cur}{${m}}`, { shouldDirty: true })
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[92vh] overflow-y-auto sm:max-w-xl" data-testid="source-form">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{source ? `Edit “${source.name}”` : 'New traffic source'}</DialogTitle>
            <DialogDescription>
              Where clicks come from, what they cost, and where conversions are reported.
            </DialogDescription>
          </DialogHeader>
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormField id="source-name" label="Name" error={errors.name?.message}>
            <Input
              placeholder="e.g. PropellerAds"
              autoComplete="off"
              {...fieldAria('source-name', errors.name?.message)}
              {...form.register('name')}
            />
          </FormField>
          <div className="grid gap-4 sm:grid-cols-3">
            <FormField id="source-cost-model" label="Cost model" error={errors.cost_model?.message}>
              <Select
                {...fieldAria('source-cost-model', errors.cost_model?.message)}
                {...form.register('cost_model')}
              >
                <option value="none">None</option>
                <option value="cpc">CPC (per click)</option>
                <option value="cpm">CPM (per 1000)</option>
              </Select>
            </FormField>
            <FormField id="source-cost" label="Default cost" error={errors.default_cost?.message}>
              <Input
                inputMode="decimal"
                className="tabular-nums"
                {...fieldAria('source-cost', errors.default_cost?.message)}
                {...form.register('default_cost')}
              />
            </FormField>
            <FormField id="source-currency" label="Currency" error={errors.currency?.message}>
              <Input
                maxLength={3}
                className="uppercase"
                {...fieldAria('source-currency', errors.currency?.message)}
                {...form.register('currency')}
              />
            </FormField>
          </div>
          <FormField
            id="source-external-id"
            label="Click ID parameter"
            error={errors.external_id_param?.message}
            hint="The source's own click ID arrives in this parameter and is sent back as {external_id}."
          >
            <Input
              className="font-mono"
              {...fieldAria('source-external-id', errors.external_id_param?.message)}
              {...form.register('external_id_param')}
            />
          </FormField>
          <FormField
            id="source-postback"
            label="Postback URL template"
            optional
            error={errors.postback_url?.message}
            hint="Called on every accepted conversion change. Leave empty to send nothing."
          >
            <Input
              className="font-mono text-xs sm:text-sm"
              placeholder="https://source.example/pb?clickid={external_id}&payout={payout}"
              {...fieldAria('source-postback', errors.postback_url?.message)}
              {...form.register('postback_url')}
            />
          </FormField>
          <fieldset className="-mt-2 flex flex-wrap gap-1" aria-label="Insert a macro">
            {POSTBACK_MACROS.map((m) => (
              <button
                key={m}
                type="button"
                onClick={() => insertMacro(m)}
                className="rounded-md border bg-muted px-1.5 py-0.5 font-mono text-xs text-muted-foreground hover:text-foreground"
              >
                {`{${m}}`}
              </button>
            ))}
          </fieldset>
          <DialogFooter>
            <Button variant="outline" type="button" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} {source ? 'Save' : 'Create source'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}
