/**
 * `/settings/api-keys` — the user's API keys in this workspace: list, create (the key is
 * shown once, with a copy button), revoke.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, KeyRound, Plus, TriangleAlert } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { CopyButton } from '@/components/common/copy-button'
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
  type CreatedApiKey,
  useApiKeys,
  useCreateApiKey,
  useRevokeApiKey,
} from '@/hooks/api/api-keys'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { type ApiKeyValues, apiKeySchema } from '@/lib/schemas/api-keys'

function CreateKeyDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const create = useCreateApiKey()
  const [created, setCreated] = useState<CreatedApiKey | null>(null)
  const form = useForm<ApiKeyValues>({ resolver: zodResolver(apiKeySchema), defaultValues: { name: '' } })
  const { errors, isSubmitting } = form.formState
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
      setCreated(await create.mutateAsync(values))
    } catch (e) {
      applyApiErrors(e, form.setError, ['name'])
    }
  })
  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent
        onInteractOutside={(e) => created && e.preventDefault()}
        data-testid={created ? 'api-key-created' : 'api-key-create'}
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
                <p>Anyone with the key acts as you in this workspace.</p>
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
                For scripts and integrations. Name it after where it will be used.
              </DialogDescription>
            </DialogHeader>
            {errors.root?.server && (
              <Alert variant="destructive">
                <CircleAlert />
                <AlertDescription>{errors.root.server.message}</AlertDescription>
              </Alert>
            )}
            <FormField id="key-name" label="Name" error={errors.name?.message}>
              <Input
                placeholder="e.g. Reporting script"
                autoFocus
                autoComplete="off"
                {...fieldAria('key-name', errors.name?.message)}
                {...form.register('name')}
              />
            </FormField>
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
        description="Keys let scripts use the REST API as you, in this workspace."
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
                <TableHead className="hidden md:table-cell">Key</TableHead>
                <TableHead className="hidden lg:table-cell">Created</TableHead>
                <TableHead>Last used</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((k) => (
                <TableRow key={k.id} data-testid="api-key-row">
                  <TableCell className="max-w-48 truncate font-medium">{k.name}</TableCell>
                  <TableCell className="hidden font-mono text-xs text-muted-foreground md:table-cell">
                    {k.prefix}…
                  </TableCell>
                  <TableCell className="hidden text-muted-foreground lg:table-cell">
                    {formatDateTime(k.created_at)}
                  </TableCell>
                  <TableCell
                    className="text-muted-foreground"
                    title={k.last_used_at ? formatDateTime(k.last_used_at) : undefined}
                  >
                    {k.last_used_at ? formatRelative(k.last_used_at) : 'Never'}
                  </TableCell>
                  <TableCell>
                    {k.revoked_at ? (
                      <Badge variant="secondary" title={`Revoked ${formatDateTime(k.revoked_at)}`}>
                        Revoked
                      </Badge>
                    ) : (
                      <Badge variant="success">Active</Badge>
                    )}
                  </TableCell>
                  <TableCell className="text-right">
                    {!k.revoked_at && (
                      <Button
                        variant="ghost"
                        size="sm"
                        className="text-destructive hover:text-destructive"
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      <CreateKeyDialog open={creating} onOpenChange={setCreating} />
      <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />
    </div>
  )
}
