/**
 * A network's postback settings (`/networks/:id/postback-settings`): template preset,
 * parameter names, the sub mapping (our sub1..sub10 ← the network's parameters), status map,
 * default status — and the ready-to-copy postback URL the operator pastes into the network's
 * panel, previewed as the settings are edited.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, Eye, EyeOff, Plus, X } from 'lucide-react'
import { useEffect, useState } from 'react'
import { type FieldPath, type UseFormReturn, useFieldArray, useForm, useWatch } from 'react-hook-form'
import { CopyButton } from '@/components/common/copy-button'
import { FormField, fieldAria } from '@/components/common/form-field'
import { QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  CONVERSION_STATUSES,
  type ConversionStatus,
  POSTBACK_TEMPLATES,
  type PostbackSettings,
  usePostbackSecret,
  usePostbackSettings,
  useUpdatePostbackSettings,
} from '@/hooks/api/networks'
import { ApiError, errorMessage } from '@/lib/api'
import { Textarea } from './network-form'
import {
  copiedPostbackUrl,
  formFieldOf,
  nextFreeSub,
  PARAMS,
  type PostbackFormValues,
  postbackFormSchema,
  previewPostbackUrl,
  SUB_KEYS,
  shownPostbackUrl,
  toApiParams,
  toFormValues,
} from './postback-params.lib'

const TEMPLATE_LABEL: Record<(typeof POSTBACK_TEMPLATES)[number], string> = {
  subid_tid_payout_status: 'subid, tid, payout, status',
  cid_txid_payout: 'cid, txid, payout',
  cnv_id_payout_cnv_status: 'cnv_id, payout, cnv_status',
  custom: 'Custom parameter names',
}

type Form = UseFormReturn<PostbackFormValues>

/** "approved = sale" lines → `{approved: 'sale'}`; throws a message on a bad line. */
export function parseStatusMap(text: string): Record<string, ConversionStatus> {
  const out: Record<string, ConversionStatus> = {}
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line) continue
    const m = /^(.+?)\s*[=:]\s*(\w+)$/.exec(line)
    const status = m?.[2]?.toLowerCase() as ConversionStatus | undefined
    if (!m || !status || !CONVERSION_STATUSES.includes(status))
      throw new Error(`“${line}”: write network value = lead, sale, rejected or rebill`)
    out[m[1]!.trim()] = status
  }
  return out
}

/** Puts an API error on the form: field errors under their fields, the rest at the top. */
function applyErrors(form: Form, error: unknown, rows: PostbackFormValues['subs']): void {
  const rest: string[] = []
  for (const f of error instanceof ApiError ? error.fieldErrors : []) {
    const field = formFieldOf(f.path, rows)
    if (field) form.setError(field as FieldPath<PostbackFormValues>, { type: 'server', message: f.message })
    else rest.push(`${f.path}: ${f.message}`)
  }
  if (rest.length > 0 || !(error instanceof ApiError) || error.fieldErrors.length === 0)
    form.setError('root.server', {
      type: 'server',
      message: rest.length > 0 ? rest.join('; ') : errorMessage(error),
    })
}

/** Rows of (our sub key, the network's parameter name), with add and remove. */
function SubsEditor({ form }: { form: Form }) {
  const { fields, append, remove } = useFieldArray({ control: form.control, name: 'subs' })
  const rows = useWatch({ control: form.control, name: 'subs' }) ?? []
  const errors = form.formState.errors.subs
  const free = nextFreeSub(rows)
  return (
    <fieldset className="grid gap-2" data-testid="subs-editor">
      <legend className="mb-1 text-sm font-medium">
        Sub IDs from the postback{' '}
        <span className="font-normal text-muted-foreground">(fill a sub the click did not carry)</span>
      </legend>
      {fields.length === 0 && (
        <p className="text-sm text-muted-foreground">
          None mapped. Add one when the network sends sub values back, e.g. its aff_sub2 as our sub2.
        </p>
      )}
      {fields.map((field, i) => {
        const keyError = errors?.[i]?.key?.message
        const paramError = errors?.[i]?.param?.message
        const error = keyError ?? paramError
        return (
          <div key={field.id} className="grid gap-1" data-testid="sub-row">
            <div className="grid grid-cols-[6.5rem_minmax(0,1fr)_auto] items-center gap-2">
              <Select
                aria-label={`Our sub, row ${i + 1}`}
                aria-invalid={keyError ? true : undefined}
                {...form.register(`subs.${i}.key`)}
              >
                {SUB_KEYS.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </Select>
              <Input
                className="font-mono text-xs"
                placeholder="network's parameter, e.g. aff_sub2"
                {...fieldAria(`pb-sub-${i}`, error)}
                aria-label={`Network parameter, row ${i + 1}`}
                {...form.register(`subs.${i}.param`)}
              />
              <Button
                type="button"
                variant="ghost"
                size="icon"
                aria-label={`Remove row ${i + 1}`}
                onClick={() => remove(i)}
              >
                <X />
              </Button>
            </div>
            {error && (
              <p id={`pb-sub-${i}-error`} className="text-sm text-destructive" role="alert">
                {error}
              </p>
            )}
          </div>
        )
      })}
      <Button
        type="button"
        variant="outline"
        size="sm"
        className="w-fit"
        disabled={!free}
        onClick={() => free && append({ key: free, param: '' }, { shouldFocus: true })}
      >
        <Plus /> Add sub
      </Button>
    </fieldset>
  )
}

/**
 * The postback URL for the values being edited (the saved one until something changes).
 * Copy gives the URL with the network's real secret (owners and admins may read it);
 * on screen the secret is masked until "Reveal".
 */
function UrlPreview({ form, saved }: { form: Form; saved: PostbackSettings }) {
  const v = useWatch({ control: form.control })
  const [revealed, setRevealed] = useState(false)
  const secretQuery = usePostbackSecret(saved.network_id, { enabled: saved.has_postback_secret })
  const secret = saved.has_postback_secret ? (secretQuery.data?.secret ?? null) : null
  const secretDenied = secretQuery.error instanceof ApiError && secretQuery.error.status === 403
  const url =
    v.template && v.subs
      ? previewPostbackUrl(
          saved,
          v.template,
          toApiParams({
            click_id: v.click_id ?? '',
            transaction_id: v.transaction_id ?? '',
            payout: v.payout ?? '',
            status: v.status ?? '',
            currency: v.currency ?? '',
            // A row being typed may still be half empty.
            subs: v.subs.flatMap((r) => (r?.key && r.param?.trim() ? [{ key: r.key, param: r.param }] : [])),
          }),
        )
      : saved.postback_url
  const unsaved = url !== saved.postback_url
  return (
    <div className="grid gap-1.5">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start">
        {/* A growing textarea: the whole URL stays visible, so a mapped sub shows at once. */}
        <Textarea
          readOnly
          value={shownPostbackUrl(url, secret, revealed)}
          rows={1}
          aria-label="Postback URL"
          data-testid="postback-url"
          className="field-sizing-content min-h-9 resize-none font-mono text-xs break-all md:text-xs"
          onFocus={(e) => e.currentTarget.select()}
        />
        <div className="flex gap-2">
          {secret && (
            <Button
              type="button"
              variant="outline"
              aria-pressed={revealed}
              data-testid="postback-secret-reveal"
              onClick={() => setRevealed((r) => !r)}
            >
              {revealed ? <EyeOff /> : <Eye />}
              {revealed ? 'Hide' : 'Reveal'}
            </Button>
          )}
          <CopyButton
            value={copiedPostbackUrl(url, secret)}
            data-testid="postback-url-copy"
            disabled={saved.has_postback_secret && secretQuery.isPending}
          />
        </div>
      </div>
      {secret && (
        <p className="text-xs text-muted-foreground">
          Copy gives the URL with the network's secret in it; keep it between you and the network.
        </p>
      )}
      {secretDenied && (
        <p className="text-xs text-muted-foreground" data-testid="postback-secret-denied">
          Only the workspace's owners and admins can read the secret: ask one for it and put it in place of{' '}
          <span className="font-mono">{'{secret}'}</span>.
        </p>
      )}
      {unsaved && (
        <p className="text-xs text-muted-foreground" data-testid="postback-url-unsaved">
          Preview of unsaved changes: save before giving this URL to the network.
        </p>
      )}
    </div>
  )
}

export function PostbackSettingsCard({ networkId }: { networkId: string }) {
  const settings = usePostbackSettings(networkId)
  const save = useUpdatePostbackSettings(networkId)
  const form = useForm<PostbackFormValues>({ resolver: zodResolver(postbackFormSchema) })
  const { errors, isSubmitting } = form.formState
  useEffect(() => {
    if (settings.data) form.reset(toFormValues(settings.data))
  }, [settings.data, form])
  const template = useWatch({ control: form.control, name: 'template' })

  const onSubmit = form.handleSubmit(async (v) => {
    let status_map: Record<string, ConversionStatus>
    try {
      status_map = parseStatusMap(v.status_map)
    } catch (e) {
      form.setError('status_map', { type: 'validate', message: (e as Error).message })
      return
    }
    try {
      await save.mutateAsync({
        template: v.template,
        params: toApiParams(v),
        status_map,
        default_status: v.default_status,
      })
      toast.success('Postback settings saved')
    } catch (e) {
      applyErrors(form, e, v.subs)
    }
  })

  return (
    <Card data-testid="postback-settings">
      <CardHeader>
        <CardTitle>Postback URL and parameters</CardTitle>
        <CardDescription>
          Copy this URL into the network's panel and replace each {'{…}'} with the network's own macro (e.g.{' '}
          {'{click_id}'} with its click ID macro).
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        <QueryStates query={settings} skeleton={{ rows: 3, columns: 2 }}>
          {(saved) => (
            <>
              <UrlPreview form={form} saved={saved} />
              {!saved.has_postback_secret && (
                <Alert variant="info">
                  <CircleAlert />
                  <AlertDescription>
                    This network has no postback secret: anyone who knows a click ID can post a conversion.
                  </AlertDescription>
                </Alert>
              )}
              <form onSubmit={onSubmit} noValidate className="grid gap-5">
                {errors.root?.server && (
                  <Alert variant="destructive">
                    <CircleAlert />
                    <AlertDescription>{errors.root.server.message}</AlertDescription>
                  </Alert>
                )}
                <div className="grid gap-4 sm:grid-cols-2">
                  <FormField id="pb-template" label="Template" error={errors.template?.message}>
                    <Select
                      {...fieldAria('pb-template', errors.template?.message)}
                      {...form.register('template')}
                    >
                      {POSTBACK_TEMPLATES.map((t) => (
                        <option key={t} value={t}>
                          {TEMPLATE_LABEL[t]}
                        </option>
                      ))}
                    </Select>
                  </FormField>
                  <FormField
                    id="pb-default-status"
                    label="Status when none is sent"
                    error={errors.default_status?.message}
                  >
                    <Select
                      {...fieldAria('pb-default-status', errors.default_status?.message)}
                      {...form.register('default_status')}
                    >
                      {CONVERSION_STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {s}
                        </option>
                      ))}
                    </Select>
                  </FormField>
                </div>
                <fieldset className="grid gap-3">
                  <legend className="mb-2 text-sm font-medium">
                    Parameter names{' '}
                    <span className="font-normal text-muted-foreground">
                      {template === 'custom' ? '(click ID required)' : '(empty = the preset’s)'}
                    </span>
                  </legend>
                  <div className="grid grid-cols-2 gap-3 sm:grid-cols-5">
                    {PARAMS.map((p) => (
                      <FormField
                        key={p}
                        id={`pb-${p}`}
                        label={p.replace('_', ' ')}
                        error={errors[p]?.message}
                      >
                        <Input
                          className="font-mono text-xs"
                          placeholder={saved.effective_params[p] ?? ''}
                          {...fieldAria(`pb-${p}`, errors[p]?.message)}
                          {...form.register(p)}
                        />
                      </FormField>
                    ))}
                  </div>
                </fieldset>
                <SubsEditor form={form} />
                <FormField
                  id="pb-status-map"
                  label="Status map"
                  optional
                  error={errors.status_map?.message}
                  hint="One per line: the network's value = lead, sale, rejected or rebill (e.g. 1 = sale). Common names such as approved or declined are built in."
                >
                  <Textarea
                    rows={3}
                    className="font-mono text-xs"
                    placeholder={'1 = sale\n2 = rejected'}
                    {...fieldAria('pb-status-map', errors.status_map?.message)}
                    {...form.register('status_map')}
                  />
                </FormField>
                <div className="flex justify-end">
                  <Button type="submit" disabled={isSubmitting}>
                    {isSubmitting && <Spinner />} Save postback settings
                  </Button>
                </div>
              </form>
            </>
          )}
        </QueryStates>
      </CardContent>
    </Card>
  )
}
