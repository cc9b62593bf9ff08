/**
 * `/settings/api-keys` — the user's API keys in this workspace: list (scope, expiry, last use
 * and its IP), create (scope and optional expiry; the key is shown once, with a copy button),
 * edit (name, scope, expiry), revoke.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, KeyRound, Pencil, Plus, TriangleAlert, X } from 'lucide-react'
import { useEffect, useState } from 'react'
import { type UseFormReturn, useForm } from 'react-hook-form'
import { CopyButton } from '@/components/common/copy-button'
import { RowActionsMenu } from '@/components/common/entity-list'
import { FormField, fieldAria } from '@/components/common/form-field'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type ApiKey,
  type ApiKeyBody,
  type ApiKeyScope,
  type CreatedApiKey,
  useApiKeys,
  useCreateApiKey,
  useRevokeApiKey,
  useUpdateApiKey,
} from '@/hooks/api/api-keys'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { type ApiKeyValues, apiKeySchema, dayOf, expiryInstant, localDay } from '@/lib/schemas/api-keys'
import { cn } from '@/lib/utils'

/** The scopes, lowest first, with what each allows (each includes the ones above it). */
const SCOPES: { value: ApiKeyScope; label: string; hint: string }[] = [
  { value: 'read', label: 'Read', hint: 'View settings, reports, clicks and conversions. Changes nothing.' },
  {
    value: 'write',
    label: 'Write',
    hint: 'Also create, edit and delete campaigns, streams, offers, sources and other setup.',
  },
  {
    value: 'admin',
    label: 'Admin',
    hint: 'Everything, including members, invitations, API keys, billing and account security.',
  },
]

/** The highest scope of a key (what the key may do; the others are included). */
function topScope(scopes: readonly ApiKeyScope[]): ApiKeyScope {
  return scopes.includes('admin') ? 'admin' : scopes.includes('write') ? 'write' : 'read'
}

function ScopeBadge({ scopes }: { scopes: readonly ApiKeyScope[] }) {
  const top = topScope(scopes)
  const label = SCOPES.find((s) => s.value === top)?.label ?? top
  return (
    <Badge
      variant={top === 'admin' ? 'warning' : 'outline'}
      data-testid="api-key-scope"
      title={scopes.join(', ')}
    >
      {label}
    </Badge>
  )
}

/** The form body: name, scope (radio cards with one-line explanations) and expiry day. */
function KeyFields({ form, autoFocus }: { form: UseFormReturn<ApiKeyValues>; autoFocus?: boolean }) {
  const { errors } = form.formState
  const scope = form.watch('scope')
  const expires = form.watch('expires')
  return (
    <>
      {errors.root?.server && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertDescription>{errors.root.server.message}</AlertDescription>
        </Alert>
      )}
      <FormField id="key-name" label="Name" error={errors.name?.message}>
        <Input
          placeholder="e.g. Reporting script"
          autoFocus={autoFocus}
          autoComplete="off"
          {...fieldAria('key-name', errors.name?.message)}
          {...form.register('name')}
        />
      </FormField>
      <fieldset className="grid gap-1.5">
        <legend className="mb-1.5 text-sm font-medium">Access</legend>
        <div role="radiogroup" aria-label="Access" className="grid gap-2">
          {SCOPES.map((s) => (
            <label
              key={s.value}
              className={cn(
                'flex cursor-pointer items-start gap-3 rounded-lg border p-3 text-sm has-[:focus-visible]:ring-[3px] has-[:focus-visible]:ring-ring/50',
                scope === s.value ? 'border-primary bg-primary/5' : 'hover:bg-accent/50',
              )}
            >
              <input
                type="radio"
                name="scope"
                value={s.value}
                className="mt-0.5 accent-primary"
                checked={scope === s.value}
                data-testid={`api-key-scope-${s.value}`}
                onChange={() => form.setValue('scope', s.value, { shouldDirty: true })}
              />
              <span className="grid gap-0.5">
                <span className="font-medium">{s.label}</span>
                <span className="text-xs text-muted-foreground">{s.hint}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <FormField
        id="key-expires"
        label="Expires"
        optional
        error={errors.expires?.message}
        hint={
          expires ? 'The key stops working at the end of this day.' : 'Never expires. Up to one year ahead.'
        }
      >
        <div className="flex gap-2">
          <Input
            type="date"
            min={localDay(1)}
            max={localDay(365)}
            className="w-full sm:w-48"
            {...fieldAria('key-expires', errors.expires?.message)}
            {...form.register('expires')}
          />
          {expires && (
            <Button
              type="button"
              variant="ghost"
              size="icon"
              aria-label="No expiry"
              onClick={() => form.setValue('expires', '', { shouldDirty: true, shouldValidate: true })}
            >
              <X />
            </Button>
          )}
        </div>
      </FormField>
    </>
  )
}

const bodyOf = (v: ApiKeyValues): Required<ApiKeyBody> => ({
  name: v.name,
  scopes: [v.scope],
  expires_at: v.expires ? expiryInstant(v.expires) : null,
})

function CreateKeyDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const create = useCreateApiKey()
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const form = useForm<ApiKeyValues>({
    resolver: zodResolver(apiKeySchema),
    defaultValues: { name: '', scope: 'read', expires: '' },
  })
  const { isSubmitting } = form.formState
  const close = (next: boolean) => {
    onOpenChange(next)
    if (!next) {
      // Forget the key once the dialog closes: it is never shown again.
      setTimeout(() => {
        setCreated(null)
        form.reset()
      }, 200)
    }
  }
  const onSubmit = form.handleSubmit(async (values) => {
    try {
      setCreated(await create.mutateAsync(bodyOf(values)))
    } catch (e) {
      applyApiErrors(e, form.setError, ['name'])
    }
  })
  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent
        onInteractOutside={(e) => created && e.preventDefault()}
        data-testid={created ? 'api-key-created' : 'api-key-create'}
        className="max-h-[calc(100dvh-2rem)] overflow-y-auto"
      >
        {created ? (
          <>
            <DialogHeader>
              <DialogTitle>Copy your new key</DialogTitle>
              <DialogDescription>
                This is the only time the key{' '}
                <span className="font-medium text-foreground">{created.name}</span> is shown. Store it
                somewhere safe; if you lose it, create a new one.
              </DialogDescription>
            </DialogHeader>
            <div className="flex flex-col gap-2 sm:flex-row">
              <Input
                readOnly
                value={created.key}
                aria-label="API key"
                data-testid="api-key-secret"
                className="font-mono text-xs sm:text-sm"
                onFocus={(e) => e.currentTarget.select()}
              />
              <CopyButton value={created.key} />
            </div>
            <Alert variant="info">
              <TriangleAlert />
              <AlertDescription>
                <p>Send it in the request header</p>
                <code className="font-mono text-xs break-all">Authorization: Bearer {created.prefix}…</code>
                <p>
                  Anyone with the key acts as you in this workspace, with{' '}
                  {SCOPES.find((s) => s.value === topScope(created.scopes))?.label.toLowerCase()} access
                  {created.expires_at ? ` until ${formatDateTime(created.expires_at)}` : ''}.
                </p>
              </AlertDescription>
            </Alert>
            <DialogFooter>
              <Button onClick={() => close(false)}>Done</Button>
            </DialogFooter>
          </>
        ) : (
          <form onSubmit={onSubmit} noValidate className="grid gap-4">
            <DialogHeader>
              <DialogTitle>New API key</DialogTitle>
              <DialogDescription>
                For scripts and integrations. Name it after where it will be used, and give it only the access
                it needs.
              </DialogDescription>
            </DialogHeader>
            <KeyFields form={form} autoFocus />
            <DialogFooter>
              <Button variant="outline" onClick={() => close(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={isSubmitting}>
                {isSubmitting && <Spinner />} Create key
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  )
}

function EditKeyDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  const update = useUpdateApiKey()
  const form = useForm<ApiKeyValues>({
    resolver: zodResolver(apiKeySchema),
    defaultValues: { name: '', scope: 'read', expires: '' },
  })
  useEffect(() => {
    if (apiKey)
      form.reset({
        name: apiKey.name,
        scope: topScope(apiKey.scopes),
        // An expired day cannot be kept (it is in the past): the field starts empty then.
        expires: apiKey.expires_at && !apiKey.expired ? dayOf(apiKey.expires_at) : '',
      })
  }, [apiKey, form])
  const { isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (values) => {
    if (!apiKey) return
    const body: ApiKeyBody = { name: values.name, scopes: [values.scope] }
    // Only send the expiry when it changed, so an unchanged one is not re-checked against today.
    const was = apiKey.expires_at && !apiKey.expired ? dayOf(apiKey.expires_at) : ''
    if (values.expires !== was || apiKey.expired) body.expires_at = bodyOf(values).expires_at
    try {
      await update.mutateAsync({ id: apiKey.id, body })
      toast.success(`Key “${values.name}” saved`)
      onClose()
    } catch (e) {
      applyApiErrors(e, form.setError, ['name'])
    }
  })
  return (
    <Dialog open={apiKey !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="api-key-edit" className="max-h-[calc(100dvh-2rem)] overflow-y-auto">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>Edit “{apiKey?.name}”</DialogTitle>
            <DialogDescription>
              Changes apply to the next request made with the key ({apiKey?.prefix}…).
            </DialogDescription>
          </DialogHeader>
          <KeyFields form={form} />
          <DialogFooter>
            <Button variant="outline" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} Save
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

function Expiry({ k }: { k: ApiKey }) {
  if (!k.expires_at) return <span className="text-muted-foreground">Never</span>
  if (k.expired)
    return (
      <Badge variant="destructive" title={formatDateTime(k.expires_at)}>
        Expired
      </Badge>
    )
  return (
    <span className="text-muted-foreground" title={formatDateTime(k.expires_at)}>
      {formatRelative(k.expires_at)}
    </span>
  )
}

function RevokeDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose: () => void }) {
  const revoke = useRevokeApiKey()
  const confirm = () => {
    if (!apiKey) return
    revoke.mutate(apiKey.id, {
      onSuccess: () => {
        toast.success(`Key “${apiKey.name}” revoked`)
        onClose()
      },
      onError: (e) => toast.error(errorMessage(e)),
    })
  }
  return (
    <Dialog open={apiKey !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="api-key-revoke">
        <DialogHeader>
          <DialogTitle>Revoke “{apiKey?.name}”?</DialogTitle>
          <DialogDescription>
            Requests with this key stop working at once. This cannot be undone.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="destructive" onClick={confirm} disabled={revoke.isPending}>
            {revoke.isPending && <Spinner />} Revoke key
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

export function Component() {
  const keys = useApiKeys()
  const [creating, setCreating] = useState(false)
  const [editing, setEditing] = useState<ApiKey | null>(null)
  const [revoking, setRevoking] = useState<ApiKey | null>(null)
  const items = keys.data?.items ?? []
  const newButton = (
    <Button onClick={() => setCreating(true)}>
      <Plus /> New API key
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="API keys"
        description="Keys let scripts use the REST API as you, in this workspace, with the access you give them."
        actions={items.length > 0 ? newButton : undefined}
      />
      <Card className="gap-0 py-2">
        <QueryStates
          query={keys}
          skeleton={{ rows: 3, columns: 5 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={KeyRound}
              title="No API keys yet"
              description="Create a key to call the API from scripts, spreadsheets or other tools. See the API docs for every endpoint."
              action={newButton}
            />
          }
        >
          <Table data-testid="api-keys-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Name</TableHead>
                <TableHead className="hidden sm:table-cell">Access</TableHead>
                <TableHead className="hidden md:table-cell">Expires</TableHead>
                <TableHead>Last used</TableHead>
                <TableHead className="hidden lg:table-cell">Created</TableHead>
                <TableHead className="hidden sm:table-cell">Status</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((k) => (
                <TableRow key={k.id} data-testid="api-key-row" className={cn(k.revoked_at && 'opacity-60')}>
                  <TableCell className="max-w-40 sm:max-w-56">
                    <div className="truncate font-medium">{k.name}</div>
                    <div className="font-mono text-xs text-muted-foreground">{k.prefix}…</div>
                    {/* Narrow screens: access, expiry and status under the name. */}
                    <div className="mt-1 flex flex-wrap items-center gap-1 sm:hidden">
                      <ScopeBadge scopes={k.scopes} />
                      {k.revoked_at ? (
                        <Badge variant="secondary">Revoked</Badge>
                      ) : k.expired ? (
                        <Badge variant="destructive">Expired</Badge>
                      ) : k.expires_at ? (
                        <span className="text-xs text-muted-foreground">
                          expires {formatRelative(k.expires_at)}
                        </span>
                      ) : null}
                    </div>
                  </TableCell>
                  <TableCell className="hidden sm:table-cell">
                    <ScopeBadge scopes={k.scopes} />
                  </TableCell>
                  <TableCell className="hidden md:table-cell" data-testid="api-key-expires">
                    <Expiry k={k} />
                  </TableCell>
                  <TableCell
                    className="text-muted-foreground"
                    title={k.last_used_at ? formatDateTime(k.last_used_at) : undefined}
                  >
                    <div>{k.last_used_at ? formatRelative(k.last_used_at) : 'Never'}</div>
                    {k.last_used_ip && (
                      <div
                        className="max-w-32 truncate font-mono text-xs sm:max-w-48"
                        data-testid="api-key-ip"
                      >
                        {k.last_used_ip}
                      </div>
                    )}
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground lg:table-cell">
                    {formatDateTime(k.created_at)}
                  </TableCell>
                  <TableCell className="hidden sm:table-cell">
                    {k.revoked_at ? (
                      <Badge variant="secondary" title={`Revoked ${formatDateTime(k.revoked_at)}`}>
                        Revoked
                      </Badge>
                    ) : k.expired ? (
                      <Badge variant="destructive">Expired</Badge>
                    ) : (
                      <Badge variant="success">Active</Badge>
                    )}
                  </TableCell>
                  <TableCell className="text-right">
                    {!k.revoked_at && (
                      <RowActionsMenu
                        name={k.name}
                        actions={[
                          { label: 'Edit', icon: Pencil, onSelect: () => setEditing(k) },
                          { label: 'Revoke', icon: X, destructive: true, onSelect: () => setRevoking(k) },
                        ]}
                      />
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      <CreateKeyDialog open={creating} onOpenChange={setCreating} />
      <EditKeyDialog apiKey={editing} onClose={() => setEditing(null)} />
      <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />
    </div>
  )
}
