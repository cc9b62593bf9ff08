/**
 * A network's postback settings (`/networks/:id/postback-settings`): template preset,
 * parameter names, status map, default status — and the ready-to-copy postback URL the
 * operator pastes into the network's panel.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useEffect } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { CopyButton } from '@/components/common/copy-button'
import { FormField, fieldAria } from '@/components/common/form-field'
import { ErrorState, TableSkeleton } from '@/components/common/states'
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
  type PostbackParams,
  type PostbackSettings,
  usePostbackSettings,
  useUpdatePostbackSettings,
} from '@/hooks/api/networks'
import { applyApiErrors } from '@/lib/forms'
import { Textarea } from './network-form'

const TEMPLATE_LABEL: Record<(typeof POSTBACK_TEMPLATES)[number], string> = {
  subid_tid_payout_status: 'subid, tid, payout, status',
  cid_txid_payout: 'cid, txid, payout',
  cnv_id_payout_cnv_status: 'cnv_id, payout, cnv_status',
  custom: 'Custom parameter names',
}
const PARAMS = ['click_id', 'transaction_id', 'payout', 'status', 'currency'] as const
const paramName = z
  .string()
  .trim()
  .regex(/^([A-Za-z0-9_.\-[\]]{1,64})?$/, '1–64 of A–Z a–z 0–9 _ . - [ ]')

const schema = z.object({
  template: z.enum(POSTBACK_TEMPLATES),
  click_id: paramName,
  transaction_id: paramName,
  payout: paramName,
  status: paramName,
  currency: paramName,
  status_map: z.string().max(10_000),
  default_status: z.enum(CONVERSION_STATUSES),
})
type Values = z.infer<typeof schema>

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

const toValues = (s: PostbackSettings): Values => ({
  template: s.template,
  click_id: s.params.click_id ?? '',
  transaction_id: s.params.transaction_id ?? '',
  payout: s.params.payout ?? '',
  status: s.params.status ?? '',
  currency: s.params.currency ?? '',
  status_map: Object.entries(s.status_map)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n'),
  default_status: s.default_status,
})

export function PostbackSettingsCard({ networkId }: { networkId: string }) {
  const settings = usePostbackSettings(networkId)
  const save = useUpdatePostbackSettings(networkId)
  const form = useForm<Values>({ resolver: zodResolver(schema) })
  const { errors, isSubmitting } = form.formState
  useEffect(() => {
    if (settings.data) form.reset(toValues(settings.data))
  }, [settings.data, form])
  const template = form.watch('template')

  const onSubmit = form.handleSubmit(async (v) => {
    let status_map: Record<string, ConversionStatus>
    try {
      status_map = parseStatusMap(v.status_map)
    } catch (e) {
      form.setError('status_map', { type: 'validate', message: (e as Error).message })
      return
    }
    const params: PostbackParams = {
      ...(settings.data?.params.subs ? { subs: settings.data.params.subs } : {}),
    }
    for (const p of PARAMS) if (v[p]) params[p] = v[p]
    try {
      await save.mutateAsync({ template: v.template, params, status_map, default_status: v.default_status })
      toast.success('Postback settings saved')
    } catch (e) {
      const err = e as { fieldErrors?: { path: string; message: string }[] }
      for (const f of err.fieldErrors ?? []) {
        const name = f.path.replace(/^params\./, '')
        if ((PARAMS as readonly string[]).includes(name))
          form.setError(name as (typeof PARAMS)[number], { type: 'server', message: f.message })
      }
      applyApiErrors(e, form.setError, ['template', 'status_map', 'default_status'])
    }
  })

  return (
    <Card data-testid="postback-settings">
      <CardHeader>
        <CardTitle>Postback URL and parameters</CardTitle>
        <CardDescription>
          Paste this URL into the network's panel and replace each {'{…}'} with the network's own macro.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">
        {settings.isPending ? (
          <TableSkeleton rows={3} columns={2} />
        ) : settings.isError ? (
          <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />
        ) : (
          <>
            <div className="flex flex-col gap-2 sm:flex-row">
              <Input
                readOnly
                value={settings.data.postback_url}
                aria-label="Postback URL"
                data-testid="postback-url"
                className="font-mono text-xs"
                onFocus={(e) => e.currentTarget.select()}
              />
              <CopyButton value={settings.data.postback_url} />
            </div>
            {!settings.data.has_postback_secret && (
              <Alert variant="info">
                <CircleAlert />
                <AlertDescription>
                  This network has no postback secret: anyone who knows a click ID can post a conversion.
                </AlertDescription>
              </Alert>
            )}
            <form onSubmit={onSubmit} noValidate className="grid gap-4">
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
                    <FormField key={p} id={`pb-${p}`} label={p.replace('_', ' ')} error={errors[p]?.message}>
                      <Input
                        className="font-mono text-xs"
                        placeholder={settings.data.effective_params[p] ?? ''}
                        {...fieldAria(`pb-${p}`, errors[p]?.message)}
                        {...form.register(p)}
                      />
                    </FormField>
                  ))}
                </div>
              </fieldset>
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
      </CardContent>
    </Card>
  )
}
