/**
 * TrafficStars accounts: list, add, edit (the API key is write-only: shown as "…abcd", left
 * blank to keep it), delete (also removes the autopilot campaigns of the account).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, Plug, Plus } from 'lucide-react'
import { useEffect, useState } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { FormField, fieldAria } from '@/components/common/form-field'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
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
  type TsAccount,
  useCreateTsAccount,
  useDeleteTsAccount,
  useTsAccounts,
  useUpdateTsAccount,
} from '@/hooks/api/autopilot'
import { errorMessage } from '@/lib/api'
import { applyApiErrors } from '@/lib/forms'

const accountSchema = z.object({
  name: z.string().trim().min(1, 'Name the account').max(200),
  base_url: z
    .string()
    .trim()
    .max(500)
    .pipe(z.url({ protocol: /^https?$/, error: 'Enter an http(s) URL' })),
  api_key: z.string().trim().max(4_000),
})
type AccountValues = z.infer<typeof accountSchema>

/** Add (`account` null) or edit an account. */
function AccountDialog({
  open,
  account,
  onClose,
}: {
  open: boolean
  account: TsAccount | null
  onClose: () => void
}) {
  const create = useCreateTsAccount()
  const update = useUpdateTsAccount()
  const form = useForm<AccountValues>({
    resolver: zodResolver(
      account
        ? accountSchema.refine((v) => v.api_key === '' || v.api_key.length >= 8, {
            path: ['api_key'],
            message: 'At least 8 characters, or leave empty to keep the key',
          })
        : accountSchema.refine((v) => v.api_key.length >= 8, {
            path: ['api_key'],
            message: 'Paste the API key (at least 8 characters)',
          }),
    ),
    defaultValues: { name: '', base_url: 'https://api.trafficstars.com', api_key: '' },
  })
  useEffect(() => {
    if (open)
      form.reset({
        name: account?.name ?? '',
        base_url: account?.base_url ?? 'https://api.trafficstars.com',
        api_key: '',
      })
  }, [open, account, form])
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (v) => {
    try {
      if (account) {
        await update.mutateAsync({
          id: account.id,
          name: v.name,
          base_url: v.base_url,
          ...(v.api_key ? { api_key: v.api_key } : {}),
        })
        toast.success(`Account “${v.name}” saved`)
      } else {
        await create.mutateAsync(v)
        toast.success(`Account “${v.name}” added`)
      }
      onClose()
    } catch (e) {
      applyApiErrors(e, form.setError, ['name', 'base_url', 'api_key'])
    }
  })
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()}>
      <DialogContent data-testid="ts-account-dialog">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{account ? 'Edit account' : 'Add TrafficStars account'}</DialogTitle>
            <DialogDescription>
              The API key is stored encrypted and never shown again
              {account ? ` (now ${account.api_key_hint}); leave it empty to keep it.` : '.'}
            </DialogDescription>
          </DialogHeader>
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormField id="acc-name" label="Name" error={errors.name?.message}>
            <Input
              autoComplete="off"
              {...fieldAria('acc-name', errors.name?.message)}
              {...form.register('name')}
            />
          </FormField>
          <FormField id="acc-url" label="API base URL" error={errors.base_url?.message}>
            <Input
              inputMode="url"
              autoComplete="off"
              {...fieldAria('acc-url', errors.base_url?.message)}
              {...form.register('base_url')}
            />
          </FormField>
          <FormField
            id="acc-key"
            label="API key"
            error={errors.api_key?.message}
            hint="The refresh token from TrafficStars' API settings."
          >
            <Input
              type="password"
              autoComplete="new-password"
              placeholder={account ? `${account.api_key_hint} (unchanged)` : undefined}
              {...fieldAria('acc-key', errors.api_key?.message)}
              {...form.register('api_key')}
            />
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} {account ? 'Save' : 'Add account'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

function DeleteAccountDialog({ account, onClose }: { account: TsAccount | null; onClose: () => void }) {
  const del = useDeleteTsAccount()
  return (
    <Dialog open={account !== null} onOpenChange={(o) => !o && onClose()}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Delete “{account?.name}”?</DialogTitle>
          <DialogDescription>
            Its autopilot campaigns are removed too. Nothing is changed at TrafficStars.
          </DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant="destructive"
            disabled={del.isPending}
            onClick={() =>
              account &&
              del.mutate(account.id, {
                onSuccess: () => {
                  toast.success(`Account “${account.name}” deleted`)
                  onClose()
                },
                onError: (e) => toast.error(errorMessage(e)),
              })
            }
          >
            {del.isPending && <Spinner />} Delete
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

export function AccountsCard() {
  const accounts = useTsAccounts()
  const [editing, setEditing] = useState<TsAccount | null>(null)
  const [adding, setAdding] = useState(false)
  const [deleting, setDeleting] = useState<TsAccount | null>(null)
  const items = accounts.data?.items ?? []
  const addButton = (
    <Button variant="outline" size="sm" onClick={() => setAdding(true)}>
      <Plus /> Add account
    </Button>
  )
  return (
    <Card className="gap-3 pb-2" data-testid="ts-accounts">
      <CardHeader>
        <div>
          <CardTitle>TrafficStars accounts</CardTitle>
          <CardDescription className="mt-1">API access the autopilot uses.</CardDescription>
        </div>
        {items.length > 0 && addButton}
      </CardHeader>
      <QueryStates
        query={accounts}
        skeleton={{ rows: 2, columns: 3 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={Plug}
            title="No TrafficStars account"
            description="Add the account's API key so the autopilot can read and run its campaigns."
            action={addButton}
          />
        }
      >
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Name</TableHead>
              <TableHead className="hidden md:table-cell">Base URL</TableHead>
              <TableHead>Key</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((a) => (
              <TableRow key={a.id} data-testid="ts-account-row">
                <TableCell className="max-w-32 truncate font-medium sm:max-w-56">{a.name}</TableCell>
                <TableCell className="hidden max-w-72 truncate text-muted-foreground md:table-cell">
                  {a.base_url}
                </TableCell>
                <TableCell className="font-mono text-xs text-muted-foreground">{a.api_key_hint}</TableCell>
                <TableCell className="text-right whitespace-nowrap">
                  <Button variant="ghost" size="sm" onClick={() => setEditing(a)}>
                    Edit
                  </Button>
                  <Button
                    variant="ghost"
                    size="sm"
                    className="text-destructive hover:text-destructive"
                    onClick={() => setDeleting(a)}
                  >
                    Delete
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </QueryStates>
      <AccountDialog
        open={adding || editing !== null}
        account={editing}
        onClose={() => {
          setAdding(false)
          setEditing(null)
        }}
      />
      <DeleteAccountDialog account={deleting} onClose={() => setDeleting(null)} />
    </Card>
  )
}
