/**
 * `/outreach/mailboxes` — the mailboxes campaigns send from (SMTP) and read replies from
 * (IMAP): the list with status, and the form (`/outreach/mailboxes/new`,
 * `/outreach/mailboxes/:id`) with "Test connection". Passwords are write-only: the API never
 * returns them, an empty field keeps the saved one ("unchanged"), "Clear" removes it.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, CircleCheck, CircleX, Mail, Pencil, Plus, Plug, Trash2 } from 'lucide-react'
import type * as React from 'react'
import { useEffect, useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link, useLocation, useNavigate, useParams } from 'react-router'
import { WithHistoryTab } from '@/components/common/history-panel'
import { FormField, fieldAria } from '@/components/common/form-field'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type Mailbox,
  type MailboxBody,
  useCreateMailbox,
  useDeleteMailbox,
  useMailboxes,
  useTestMailbox,
  useUpdateMailbox,
} from '@/hooks/api/outreach'
import { ApiError, errorMessage } from '@/lib/api'
import { formatInt } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { CheckboxField, ConfirmDialog, FormActions, FormSection } from '../../campaigns/components/shared'
import {
  formToMailboxBody,
  type MailboxFormValues,
  mailboxFormFields,
  mailboxFormSchema,
  mailboxToForm,
} from './outreach.lib'
import { BackLink } from './shared'

function MailboxStatus({ m }: { m: Mailbox }) {
  return m.status === 'ok' ? (
    <Badge variant="success" data-testid="mailbox-status" data-status="ok">
      ok
    </Badge>
  ) : (
    <Badge
      variant="destructive"
      title={m.last_error ?? undefined}
      data-testid="mailbox-status"
      data-status="error"
    >
      error
    </Badge>
  )
}

export function MailboxList() {
  const mailboxes = useMailboxes()
  const remove = useDeleteMailbox()
  const [deleting, setDeleting] = useState<Mailbox | null>(null)
  const newButton = (
    <Button asChild>
      <Link to="new">
        <Plus /> New mailbox
      </Link>
    </Button>
  )
  const items = mailboxes.data ?? []
  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-muted-foreground">
          Campaigns send from a mailbox over SMTP and read replies and bounces from its inbox over IMAP.
        </p>
        {items.length > 0 && newButton}
      </div>
      <Card className="gap-0 py-2">
        <QueryStates
          query={mailboxes}
          skeleton={{ rows: 3, columns: 5 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={Mail}
              title="No mailbox yet"
              description="Connect the mailbox your campaigns send from: its SMTP server to send, its IMAP inbox to read replies."
              action={newButton}
            />
          }
        >
          <Table data-testid="mailboxes-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Mailbox</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="hidden sm:table-cell">SMTP</TableHead>
                <TableHead className="hidden md:table-cell">IMAP</TableHead>
                <TableHead className="hidden text-right sm:table-cell">Per day</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((m) => (
                <TableRow key={m.id} data-testid="mailbox-row">
                  <TableCell className="max-w-40 sm:max-w-56">
                    <Link to={m.id} className="block truncate font-medium hover:underline">
                      {m.name}
                    </Link>
                    <div className="truncate text-xs text-muted-foreground">{m.from_email}</div>
                  </TableCell>
                  <TableCell>
                    <MailboxStatus m={m} />
                  </TableCell>
                  <TableCell className="hidden font-mono text-xs whitespace-nowrap sm:table-cell">
                    {m.smtp_host}:{m.smtp_port}
                  </TableCell>
                  <TableCell className="hidden font-mono text-xs whitespace-nowrap md:table-cell">
                    {m.imap_host ? (
                      `${m.imap_host}:${m.imap_port ?? ''}`
                    ) : (
                      <span className="font-sans text-muted-foreground">not read</span>
                    )}
                  </TableCell>
                  <TableCell className="hidden text-right tabular-nums whitespace-nowrap sm:table-cell">
                    {formatInt(m.daily_cap)}
                    <div className="text-xs text-muted-foreground">
                      every {formatInt(m.min_gap_seconds)} s+
                    </div>
                  </TableCell>
                  <TableCell>
                    <div className="flex justify-end gap-1">
                      <Button variant="ghost" size="icon" asChild aria-label={`Edit ${m.name}`}>
                        <Link to={m.id}>
                          <Pencil />
                        </Link>
                      </Button>
                      <Button
                        variant="ghost"
                        size="icon"
                        className="text-destructive hover:text-destructive"
                        aria-label={`Delete ${m.name}`}
                        onClick={() => setDeleting(m)}
                      >
                        <Trash2 />
                      </Button>
                    </div>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </Card>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete “${deleting?.name ?? ''}”?`}
        description="Its saved credentials are removed. A mailbox a campaign sends from cannot be deleted: change the campaign's mailbox or delete the campaign first."
        confirmLabel="Delete mailbox"
        pending={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success(`Mailbox “${deleting.name}” deleted`)
              setDeleting(null)
            },
            onError: (e) => {
              toast.error(
                e instanceof ApiError && e.code === 'in_use'
                  ? 'A campaign sends from this mailbox: change or delete the campaign first.'
                  : errorMessage(e),
              )
              setDeleting(null)
            },
          })
        }
      />
    </div>
  )
}

/** `/outreach/mailboxes/new` and `/outreach/mailboxes/:id`. */
export function MailboxPage() {
  const { id } = useParams()
  const navigate = useNavigate()
  const location = useLocation()
  const mailboxes = useMailboxes()
  const create = useCreateMailbox()
  const update = useUpdateMailbox(id ?? '')
  const isNew = !id || id === 'new'
  const mailbox = isNew ? undefined : mailboxes.data?.find((m) => m.id === id)
  // Right after creating: test the connection at once.
  const autoTest = (location.state as { test?: boolean } | null)?.test === true
  return (
    <div className="flex flex-col gap-4">
      <BackLink to="/outreach/mailboxes" label="Mailboxes" />
      <h1 className="text-2xl font-semibold tracking-tight">
        {isNew ? 'New mailbox' : mailbox ? `Mailbox “${mailbox.name}”` : 'Mailbox'}
      </h1>
      {isNew ? (
        <MailboxForm
          submitLabel="Save mailbox"
          onCancel={() => navigate('/outreach/mailboxes')}
          onSubmit={async (body) => {
            const m = await create.mutateAsync(body)
            toast.success(`Mailbox “${m.name}” saved; testing the connection`)
            navigate(`/outreach/mailboxes/${m.id}`, { replace: true, state: { test: true } })
          }}
        />
      ) : (
        <QueryStates query={mailboxes} card pending={<Skeleton className="h-96 w-full" />}>
          {() =>
            mailbox ? (
              <WithHistoryTab objectType="mailbox" objectId={mailbox.id}>
                <div className="grid gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
                  <MailboxForm
                    key={mailbox.id}
                    mailbox={mailbox}
                    submitLabel="Save changes"
                    onCancel={() => navigate('/outreach/mailboxes')}
                    onSubmit={async (body) => {
                      await update.mutateAsync(body)
                      toast.success('Saved')
                    }}
                  />
                  <TestPanel mailbox={mailbox} auto={autoTest} />
                </div>
              </WithHistoryTab>
            ) : (
              <Card>
                <EmptyState icon={Mail} title="Mailbox not found" description="It may have been deleted." />
              </Card>
            )
          }
        </QueryStates>
      )}
    </div>
  )
}

/** "Test connection": SMTP and IMAP results of the saved settings. */
function TestPanel({ mailbox, auto }: { mailbox: Mailbox; auto: boolean }) {
  const test = useTestMailbox()
  const run = () => test.mutate(mailbox.id)
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the page opens after creating
  useEffect(() => {
    if (auto) run()
  }, [])
  const r = test.data
  return (
    <Card className="min-w-0 self-start" data-testid="mailbox-test">
      <CardHeader>
        <div className="min-w-0">
          <CardTitle>Connection</CardTitle>
          <CardDescription>
            Signs in to the saved servers (save changes first); nothing is sent.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent className="grid gap-3">
        <Button variant="outline" onClick={run} disabled={test.isPending} data-testid="test-connection">
          {test.isPending ? <Spinner /> : <Plug />} Test connection
        </Button>
        {test.isError && (
          <Alert variant="destructive">
            <CircleAlert />
            <AlertDescription>{errorMessage(test.error)}</AlertDescription>
          </Alert>
        )}
        {r && (
          <ul className="grid gap-2 text-sm" data-testid="test-results">
            <TestLine label="SMTP" result={r.smtp} testId="test-smtp" />
            {r.imap ? (
              <TestLine label="IMAP" result={r.imap} testId="test-imap" />
            ) : (
              <li className="text-muted-foreground" data-testid="test-imap">
                IMAP: not configured — replies and bounces are not read.
              </li>
            )}
          </ul>
        )}
        {!r && mailbox.status === 'error' && mailbox.last_error && (
          <p className="text-xs break-words text-destructive">Last error: {mailbox.last_error}</p>
        )}
      </CardContent>
    </Card>
  )
}

function TestLine({
  label,
  result,
  testId,
}: {
  label: string
  result: { ok: boolean; message: string }
  testId: string
}) {
  return (
    <li className="flex items-start gap-2" data-testid={testId} data-ok={result.ok}>
      {result.ok ? (
        <CircleCheck className="mt-0.5 size-4 shrink-0 text-success" />
      ) : (
        <CircleX className="mt-0.5 size-4 shrink-0 text-destructive" />
      )}
      <span className="min-w-0 break-words">
        <span className="font-medium">{label}</span> {result.ok ? 'ok' : 'failed'}
        {result.message && <span className="text-muted-foreground"> — {result.message}</span>}
      </span>
    </li>
  )
}

function MailboxForm({
  mailbox,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  mailbox?: Mailbox
  submitLabel: string
  onSubmit: (body: MailboxBody) => Promise<unknown>
  onCancel: () => void
}) {
  const form = useForm<MailboxFormValues>({
    resolver: zodResolver(mailboxFormSchema),
    defaultValues: mailboxToForm(mailbox),
    mode: 'onChange',
  })
  const { errors, isSubmitting } = form.formState
  const v = form.watch()
  const err = (m: { message?: string } | undefined) => m?.message
  const submit = form.handleSubmit(async (values) => {
    try {
      await onSubmit(formToMailboxBody(values, !mailbox))
      form.reset({
        ...values,
        smtp_password: '',
        imap_password: '',
        smtp_password_clear: false,
        imap_password_clear: false,
      })
    } catch (e) {
      applyApiErrors(e, form.setError, mailboxFormFields as never)
    }
  })
  const passwordPlaceholder = (has: boolean | undefined, clear: boolean) =>
    clear ? 'cleared on save' : has ? 'unchanged' : ''
  return (
    <form onSubmit={submit} noValidate data-testid="mailbox-form" className="min-w-0">
      <Card>
        <CardContent className="grid gap-6">
          {errors.root?.server && (
            <Alert variant="destructive" data-testid="form-error">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormSection title="Sender" description="What creators see in the From line.">
            <div className="grid gap-4 sm:grid-cols-3">
              <FormField
                id="m-name"
                label="Name"
                error={err(errors.name)}
                hint="For you, e.g. “Sales inbox”."
              >
                <Input
                  autoComplete="off"
                  {...fieldAria('m-name', err(errors.name))}
                  {...form.register('name')}
                />
              </FormField>
              <FormField id="m-from" label="From address" error={err(errors.from_email)}>
                <Input
                  type="email"
                  autoComplete="off"
                  placeholder="you@example.com"
                  {...fieldAria('m-from', err(errors.from_email))}
                  {...form.register('from_email')}
                />
              </FormField>
              <FormField id="m-from-name" label="From name" optional error={err(errors.from_name)}>
                <Input
                  autoComplete="off"
                  placeholder="Alex from Example"
                  {...fieldAria('m-from-name', err(errors.from_name))}
                  {...form.register('from_name')}
                />
              </FormField>
            </div>
          </FormSection>
          <FormSection title="SMTP (sending)" description="Your provider's outgoing server.">
            <ServerFields
              prefix="smtp"
              form={form}
              errors={errors}
              hostPlaceholder="smtp.example.com"
              secureHint="Implicit TLS (port 465). Off: STARTTLS when the server offers it (587)."
              passwordPlaceholder={passwordPlaceholder(mailbox?.has_smtp_password, v.smtp_password_clear)}
              hasPassword={!!mailbox?.has_smtp_password}
            />
          </FormSection>
          <FormSection
            title="IMAP (reading replies)"
            description="Optional but recommended: replies stop further emails, bounces suppress the address. Empty host = not read."
          >
            <ServerFields
              prefix="imap"
              form={form}
              errors={errors}
              hostPlaceholder="imap.example.com"
              secureHint="TLS (port 993)."
              passwordPlaceholder={passwordPlaceholder(mailbox?.has_imap_password, v.imap_password_clear)}
              hasPassword={!!mailbox?.has_imap_password}
            />
          </FormSection>
          <FormSection title="Pace" description="Keeps the mailbox's reputation: few emails, spread out.">
            <div className="grid gap-4 sm:grid-cols-2">
              <FormField
                id="m-cap"
                label="Daily cap"
                error={err(errors.daily_cap)}
                hint="Emails per day from this mailbox, all campaigns together."
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('m-cap', err(errors.daily_cap))}
                  {...form.register('daily_cap')}
                />
              </FormField>
              <FormField
                id="m-gap"
                label="Minimum gap (seconds)"
                error={err(errors.min_gap_seconds)}
                hint="Between two sends; a random jitter is added."
              >
                <Input
                  inputMode="numeric"
                  className="tabular-nums"
                  {...fieldAria('m-gap', err(errors.min_gap_seconds))}
                  {...form.register('min_gap_seconds')}
                />
              </FormField>
            </div>
          </FormSection>
          <FormActions onCancel={onCancel} isSubmitting={isSubmitting} submitLabel={submitLabel} />
        </CardContent>
      </Card>
    </form>
  )
}

type Form = ReturnType<typeof useForm<MailboxFormValues>>

/** Host, port, TLS, user and write-only password of the SMTP or IMAP server. */
function ServerFields({
  prefix: p,
  form,
  errors,
  hostPlaceholder,
  secureHint,
  passwordPlaceholder,
  hasPassword,
}: {
  prefix: 'smtp' | 'imap'
  form: Form
  errors: Form['formState']['errors']
  hostPlaceholder: string
  secureHint: string
  passwordPlaceholder: string
  hasPassword: boolean
}) {
  const err = (m: { message?: string } | undefined) => m?.message
  const id = (f: string) => `m-${p}-${f}`
  const clear = form.watch(`${p}_password_clear`)
  return (
    <div className="grid gap-4">
      <div className="grid grid-cols-[minmax(0,1fr)_6rem] gap-4 sm:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
        <FormField id={id('host')} label="Host" optional={p === 'imap'} error={err(errors[`${p}_host`])}>
          <Input
            autoComplete="off"
            placeholder={hostPlaceholder}
            className="font-mono text-sm"
            {...fieldAria(id('host'), err(errors[`${p}_host`]))}
            {...form.register(`${p}_host`)}
          />
        </FormField>
        <FormField id={id('port')} label="Port" error={err(errors[`${p}_port`])}>
          <Input
            inputMode="numeric"
            className="tabular-nums"
            {...fieldAria(id('port'), err(errors[`${p}_port`]))}
            {...form.register(`${p}_port`, {
              // The usual pairing: implicit TLS on 465 (SMTP) / 993 (IMAP), STARTTLS on 587 / 143.
              onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
                const port = e.target.value.trim()
                const tls: Record<string, boolean> =
                  p === 'smtp' ? { '465': true, '587': false, '25': false } : { '993': true, '143': false }
                const secure = tls[port]
                if (secure !== undefined) form.setValue(`${p}_secure`, secure)
              },
            })}
          />
        </FormField>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <FormField id={id('user')} label="User" optional error={err(errors[`${p}_user`])}>
          <Input
            autoComplete="off"
            {...fieldAria(id('user'), err(errors[`${p}_user`]))}
            {...form.register(`${p}_user`)}
          />
        </FormField>
        <FormField
          id={id('password')}
          label="Password"
          optional
          error={err(errors[`${p}_password`])}
          hint={
            hasPassword
              ? 'Saved and never shown. Type a new one to replace it.'
              : 'Stored encrypted; never shown again.'
          }
        >
          <div className="flex items-center gap-2">
            <Input
              type="password"
              autoComplete="new-password"
              placeholder={passwordPlaceholder}
              disabled={clear}
              {...fieldAria(id('password'), err(errors[`${p}_password`]))}
              {...form.register(`${p}_password`)}
            />
            {hasPassword && (
              <CheckboxField label="Clear" className="shrink-0" {...form.register(`${p}_password_clear`)} />
            )}
          </div>
        </FormField>
      </div>
      <CheckboxField label={`Secure — ${secureHint}`} {...form.register(`${p}_secure`)} />
    </div>
  )
}
