/**
 * Create/edit form of an affiliate network: name, postback secret (write-only: empty keeps
 * the stored one when editing), IP allowlist (one IP or CIDR per line), tags and notes.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert } from 'lucide-react'
import { useEffect } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { FormField, fieldAria } from '@/components/common/form-field'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Input } from '@/components/ui/input'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { type Network, type NetworkInput, useCreateNetwork, useUpdateNetwork } from '@/hooks/api/networks'
import { applyApiErrors } from '@/lib/forms'
import { cn } from '@/lib/utils'
import { OrganizeFields } from '../../campaigns/components/organize-fields'
import {
  formToOrganize,
  organizeFormFields,
  organizeToForm,
} from '../../campaigns/components/organize-fields.lib'

const schema = z.object({
  name: z.string().trim().min(1, 'Name the network').max(200),
  postback_secret: z.string().trim().max(200),
  remove_secret: z.boolean(),
  ip_allowlist: z.string().max(20_000),
  ...organizeFormFields,
})
type Values = z.infer<typeof schema>
const FIELDS = ['name', 'postback_secret', 'ip_allowlist', 'tags', 'notes'] as const

/** A textarea with the input's look. */
export function Textarea({ className, ...props }: React.ComponentProps<'textarea'>) {
  return (
    <textarea
      data-slot="textarea"
      className={cn(
        'min-h-20 w-full rounded-md border border-input bg-card px-3 py-2 text-base shadow-xs outline-none placeholder:text-muted-foreground md:text-sm',
        'focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40 aria-invalid:border-destructive',
        className,
      )}
      {...props}
    />
  )
}

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean)

export function NetworkForm({
  network,
  onDone,
  onCancel,
}: {
  /** The network to edit; null to create one. */
  network: Network | null
  onDone: (n: Network) => void
  onCancel?: () => void
}) {
  const create = useCreateNetwork()
  const update = useUpdateNetwork()
  const defaults = (): Values => ({
    name: network?.name ?? '',
    postback_secret: '',
    remove_secret: false,
    ip_allowlist: (network?.ip_allowlist ?? []).join('\n'),
    ...organizeToForm(network ?? undefined),
  })
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: defaults() })
  const { errors, isSubmitting } = form.formState
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when another network is loaded
  useEffect(() => form.reset(defaults()), [network?.id, network?.updated_at])

  const onSubmit = form.handleSubmit(async (v) => {
    const body: NetworkInput = { name: v.name, ip_allowlist: lines(v.ip_allowlist), ...formToOrganize(v) }
    if (v.postback_secret) body.postback_secret = v.postback_secret
    else if (v.remove_secret) body.postback_secret = null
    try {
      const saved = network
        ? await update.mutateAsync({ id: network.id, ...body })
        : await create.mutateAsync(body)
      toast.success(network ? `Network “${v.name}” saved` : `Network “${v.name}” created`)
      onDone(saved)
    } catch (e) {
      const err = e as { fieldErrors?: { path: string; message: string }[] }
      const ipErr = err.fieldErrors?.find((f) => f.path.startsWith('ip_allowlist'))
      if (ipErr) form.setError('ip_allowlist', { type: 'server', message: ipErr.message })
      applyApiErrors(e, form.setError, FIELDS)
    }
  })

  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-4" data-testid="network-form">
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <FormField id="network-name" label="Name" error={errors.name?.message}>
        <Input
          placeholder="e.g. MaxBounty"
          autoComplete="off"
          {...fieldAria('network-name', errors.name?.message)}
          {...form.register('name')}
        />
      </FormField>
      <FormField
        id="network-secret"
        label="Postback secret"
        optional
        error={errors.postback_secret?.message}
        hint={
          network?.has_postback_secret
            ? 'A secret is set. Type a new one to replace it; leave empty to keep it.'
            : 'Postbacks must then carry it as secret=…; without one, anyone who knows a click ID can post.'
        }
      >
        <Input
          type="password"
          autoComplete="new-password"
          placeholder={network?.has_postback_secret ? '•••••••• (unchanged)' : ''}
          {...fieldAria('network-secret', errors.postback_secret?.message)}
          {...form.register('postback_secret')}
        />
      </FormField>
      {network?.has_postback_secret && (
        <label className="-mt-2 flex items-center gap-2 text-sm">
          <input type="checkbox" className="size-4 accent-primary" {...form.register('remove_secret')} />
          Remove the secret
        </label>
      )}
      <FormField
        id="network-ips"
        label="IP allowlist"
        optional
        error={errors.ip_allowlist?.message}
        hint="One IP or CIDR per line. Empty accepts postbacks from any address."
      >
        <Textarea
          rows={3}
          className="font-mono text-xs"
          placeholder={'203.0.113.7\n198.51.100.0/24'}
          {...fieldAria('network-ips', errors.ip_allowlist?.message)}
          {...form.register('ip_allowlist')}
        />
      </FormField>
      <OrganizeFields form={form} idPrefix="network" tagsPlaceholder="cpa, eu" />
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        {onCancel && (
          <Button variant="outline" type="button" onClick={onCancel}>
            Cancel
          </Button>
        )}
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting && <Spinner />} {network ? 'Save' : 'Create network'}
        </Button>
      </div>
    </form>
  )
}
