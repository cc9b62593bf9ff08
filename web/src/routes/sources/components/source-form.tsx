/**
 * Create/edit dialog of a traffic source. A template picker comes first (the catalogue of
 * src/modules/routing/source.templates.ts and the workspace's saved templates): picking one
 * fills the name, cost model, click ID parameter, postback URL and the parameter table
 * (label, the source's token → our sub ID / external_id / cost), so the buyer never types a
 * parameter name. Money is typed in currency units and sent in micros; the API's field
 * errors (`name`, `currency`, `postback_url`, `params.N.token` …) land under the fields.
 * Editing a source offers "Save as template".
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { BookmarkPlus, CircleAlert, ExternalLink, Plus, Trash2 } from 'lucide-react'
import { useEffect, useRef, useState } from 'react'
import { useFieldArray, useForm } from 'react-hook-form'
import { z } from 'zod'
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
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  type SourceTemplate,
  useSaveSourceAsTemplate,
  useSourceTemplates,
} from '@/hooks/api/source-templates'
import { type Source, type SourceInput, useCreateSource, useUpdateSource } from '@/hooks/api/sources'
import { errorMessage } from '@/lib/api'
import { applyApiErrors } from '@/lib/forms'
import { OrganizeFields } from '../../campaigns/components/organize-fields'
import {
  formToOrganize,
  organizeFormFields,
  organizeToForm,
} from '../../campaigns/components/organize-fields.lib'
import {
  duplicateTargets,
  nextFreeTarget,
  paramsToRows,
  rowsToParams,
  SOURCE_PARAM_TARGETS,
  targetLabel,
  templateValues,
} from './source-form.lib'

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
  template: z.string(),
  params: z.array(
    z.object({
      name: z.string(),
      label: z.string().max(100, 'At most 100 characters'),
      token: z
        .string()
        .trim()
        .max(200, 'At most 200 characters')
        .regex(/^[^\s&#=?]*$/, 'No spaces, &, #, = or ?'),
      target: z.enum(SOURCE_PARAM_TARGETS),
    }),
  ),
  ...organizeFormFields,
})
type Values = z.input<typeof schema>
const FIELDS = [
  'name',
  'cost_model',
  'currency',
  'external_id_param',
  'postback_url',
  'tags',
  'notes',
] as const

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
  template: s?.template ?? 'custom',
  params: paramsToRows(s?.params),
  ...organizeToForm(s ?? undefined),
})

/** The picked template's note and docs link. */
function TemplateNote({ template }: { template: SourceTemplate | undefined }) {
  if (!template?.docs) return null
  return (
    <p className="text-xs text-muted-foreground" data-testid="template-docs">
      {template.docs}{' '}
      {template.docs_url && (
        <a
          href={template.docs_url}
          target="_blank"
          rel="noreferrer"
          className="inline-flex items-center gap-0.5 underline underline-offset-2"
        >
          {template.name} docs <ExternalLink className="size-3" />
        </a>
      )}
    </p>
  )
}

/** "Save as template": a name and a button, on the edit dialog. */
function SaveAsTemplate({ source }: { source: Source }) {
  const save = useSaveSourceAsTemplate()
  const [open, setOpen] = useState(false)
  const [name, setName] = useState(source.name)
  const [error, setError] = useState<string | null>(null)
  if (!open)
    return (
      <Button type="button" variant="ghost" className="sm:mr-auto" onClick={() => setOpen(true)}>
        <BookmarkPlus /> Save as template
      </Button>
    )
  const submit = () =>
    save.mutate(
      { sourceId: source.id, name: name.trim() },
      {
        onSuccess: (t) => {
          toast.success(`Template “${t.name}” saved`)
          setOpen(false)
          setError(null)
        },
        onError: (e) => setError(errorMessage(e)),
      },
    )
  return (
    <div className="grid gap-1.5 sm:mr-auto" data-testid="save-as-template">
      <div className="flex gap-2">
        <Input
          aria-label="Template name"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              submit()
            }
          }}
          className="min-w-0 sm:w-48"
        />
        <Button type="button" variant="outline" disabled={save.isPending || !name.trim()} onClick={submit}>
          {save.isPending && <Spinner />} Save
        </Button>
      </div>
      {error && (
        <p className="text-sm text-destructive" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}

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
  const templates = useSourceTemplates()
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: defaults(source) })
  const rows = useFieldArray({ control: form.control, name: 'params' })
  const { errors, isSubmitting } = form.formState
  const previousTemplateName = useRef<string | undefined>(undefined)
  useEffect(() => {
    if (open) {
      form.reset(defaults(source))
      previousTemplateName.current = undefined
    }
  }, [open, source, form])
  const items = templates.data?.items ?? []
  const templateKey = form.watch('template')
  const picked = items.find((t) => t.key === templateKey)
  const watchedRows = form.watch('params')
  const dups = duplicateTargets(watchedRows)

  const pickTemplate = (key: string) => {
    form.setValue('template', key)
    const t = items.find((x) => x.key === key)
    if (!t) return
    const v = templateValues(t, { name: form.getValues('name') }, previousTemplateName.current)
    previousTemplateName.current = v.name
    form.setValue('name', v.name, { shouldDirty: true })
    form.setValue('cost_model', v.cost_model, { shouldDirty: true })
    form.setValue('external_id_param', v.external_id_param, { shouldDirty: true })
    form.setValue('postback_url', v.postback_url, { shouldDirty: true })
    rows.replace(v.params)
    form.clearErrors()
  }

  const onSubmit = form.handleSubmit(async (raw) => {
    const v = schema.parse(raw)
    if (duplicateTargets(v.params).size > 0) {
      form.setError('root.server', { type: 'client', message: 'Two parameters land in the same field.' })
      return
    }
    const body: SourceInput = {
      name: v.name,
      cost_model: v.cost_model,
      default_cost_micros: toMicros(v.default_cost),
      currency: v.currency,
      external_id_param: v.external_id_param || 'external_id',
      postback_url: v.postback_url || null,
      template: v.template || 'custom',
      params: rowsToParams(v.params),
      ...formToOrganize(v),
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
      // params.N.token / params.N.target land under the row (rows sent = rows shown, empty ones aside).
      applyApiErrors(e, form.setError, [
        ...FIELDS,
        ...v.params.flatMap(
          (_, i) => [`params.${i}.token`, `params.${i}.target`, `params.${i}.label`] as const,
        ),
      ] as Parameters<typeof applyApiErrors<Values>>[2])
    }
  })

  const insertMacro = (m: string) => {
    const cur = form.getValues('postback_url')
    form.setValue('postback_url', `${cur}{${m}}`, { shouldDirty: true })
  }

  const formBody = (
    <form onSubmit={onSubmit} noValidate className="grid gap-4">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <FormField
        id="source-template"
        label="Template"
        hint={picked ? undefined : 'Fills in the source’s tokens, click ID and postback.'}
      >
        <Select
          id="source-template"
          value={templateKey}
          onChange={(e) => pickTemplate(e.target.value)}
          data-testid="source-template"
        >
          {!picked && (
            <option value={templateKey}>{items.length === 0 ? templateKey : 'A deleted template'}</option>
          )}
          <optgroup label="Traffic sources">
            {items
              .filter((t) => t.kind === 'catalogue')
              .map((t) => (
                <option key={t.key} value={t.key}>
                  {t.name}
                </option>
              ))}
          </optgroup>
          {items.some((t) => t.kind === 'saved') && (
            <optgroup label="Saved templates">
              {items
                .filter((t) => t.kind === 'saved')
                .map((t) => (
                  <option key={t.key} value={t.key}>
                    {t.name}
                  </option>
                ))}
            </optgroup>
          )}
        </Select>
      </FormField>
      <TemplateNote template={picked} />
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
      <fieldset className="grid gap-2" data-testid="source-params">
        <legend className="mb-1 text-sm font-medium">Parameters on the campaign link</legend>
        <p className="text-xs text-muted-foreground">
          Each token the source replaces on a click, and the field it lands in. The source’s click ID goes to
          external_id, so conversions are reported back to it.
        </p>
        {rows.fields.length > 0 && (
          <div className="hidden grid-cols-[1fr_1fr_1fr_2.25rem] gap-2 text-xs text-muted-foreground sm:grid">
            <span>Label</span>
            <span>Source token</span>
            <span>Lands in</span>
          </div>
        )}
        {rows.fields.map((f, i) => {
          const rowErr = errors.params?.[i]
          const target = watchedRows[i]?.target
          const dup = target !== undefined && dups.has(target)
          return (
            <div
              key={f.id}
              className="grid grid-cols-[1fr_1fr_2.25rem] gap-2 rounded-md border p-2 sm:grid-cols-[1fr_1fr_1fr_2.25rem] sm:border-0 sm:p-0"
              data-testid="param-row"
            >
              <Input
                aria-label={`Label of parameter ${i + 1}`}
                placeholder="Label"
                className="order-1 col-span-2 sm:col-span-1"
                {...form.register(`params.${i}.label`)}
              />
              <div className="order-3 grid gap-1 sm:order-2">
                <Input
                  aria-label={`Token of parameter ${i + 1}`}
                  aria-invalid={rowErr?.token ? true : undefined}
                  placeholder="{token}"
                  className="font-mono text-xs sm:text-sm"
                  {...form.register(`params.${i}.token`)}
                />
                {rowErr?.token?.message && (
                  <p className="text-xs text-destructive" role="alert">
                    {rowErr.token.message}
                  </p>
                )}
              </div>
              <div className="order-4 col-span-2 grid gap-1 sm:order-3 sm:col-span-1">
                <Select
                  aria-label={`Field of parameter ${i + 1}`}
                  aria-invalid={dup || rowErr?.target ? true : undefined}
                  {...form.register(`params.${i}.target`)}
                >
                  {SOURCE_PARAM_TARGETS.map((t) => (
                    <option key={t} value={t}>
                      {targetLabel(t)}
                    </option>
                  ))}
                </Select>
                {(dup || rowErr?.target?.message) && (
                  <p className="text-xs text-destructive" role="alert">
                    {rowErr?.target?.message ?? 'Another parameter lands here too'}
                  </p>
                )}
              </div>
              <Button
                type="button"
                variant="ghost"
                size="icon"
                className="order-2 text-muted-foreground sm:order-4"
                aria-label={`Remove parameter ${i + 1}`}
                onClick={() => rows.remove(i)}
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
          onClick={() => rows.append({ name: '', label: '', token: '', target: nextFreeTarget(watchedRows) })}
        >
          <Plus /> Add parameter
        </Button>
      </fieldset>
      <OrganizeFields form={form} idPrefix="source" tagsPlaceholder="push, tier1" />
      <DialogFooter>
        {source && <SaveAsTemplate source={source} />}
        <Button variant="outline" type="button" onClick={() => onOpenChange(false)}>
          Cancel
        </Button>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting && <Spinner />} {source ? 'Save' : 'Create source'}
        </Button>
      </DialogFooter>
    </form>
  )

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[92vh] overflow-y-auto sm:max-w-2xl" data-testid="source-form">
        <DialogHeader>
          <DialogTitle>{source ? `Edit “${source.name}”` : 'New traffic source'}</DialogTitle>
          <DialogDescription>
            Where clicks come from, what they cost, and where conversions are reported.
          </DialogDescription>
        </DialogHeader>
        {source ? (
          <WithHistoryTab objectType="source" objectId={source.id} inUrl={false}>
            {formBody}
          </WithHistoryTab>
        ) : (
          formBody
        )}
      </DialogContent>
    </Dialog>
  )
}
