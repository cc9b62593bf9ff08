/**
 * `/billing/admin` (platform admins) — tabs in `?tab=`: payments that matched no order (with
 * an Assign dialog taking the order ID), a manual visits adjustment with a required reason,
 * payout approvals (mark paid with the reference, reject with a reason, CSV of the list),
 * flagged referrals, and the billing audit log.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, Download, Flag, HandCoins, Inbox, ScrollText } from 'lucide-react'
import type * as React from 'react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { useSearchParams } from 'react-router'
import { FormField, fieldAria } from '@/components/common/form-field'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
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
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs'
import {
  adminPayoutsCsvUrl,
  itemsOf,
  PAYMENT_EVENT_STATUSES,
  type PaymentEvent,
  type Payout,
  useAdjustment,
  useAdminPayments,
  useAdminPayouts,
  useAdminReferrals,
  useAssignPayment,
  useAudit,
  useDecidePayout,
} from '@/hooks/api/billing'
import { applyApiErrors } from '@/lib/forms'
import { formatMinor, formatVisitsDelta } from '../money.lib'
import {
  type AdjustmentValues,
  type AssignValues,
  adjustmentSchema,
  assignSchema,
  payoutPaidSchema,
  payoutRejectSchema,
} from '../schemas'
import {
  DateCell,
  LoadMore,
  PaymentStatusBadge,
  PayoutStatusBadge,
  renameFieldPaths,
  Textarea,
} from './shared'

const TABS = ['payments', 'adjust', 'payouts', 'referrals', 'audit'] as const
type Tab = (typeof TABS)[number]
const LABEL: Record<Tab, string> = {
  payments: 'Payments',
  adjust: 'Adjustment',
  payouts: 'Payouts',
  referrals: 'Flagged referrals',
  audit: 'Audit log',
}

function Toolbar({ children }: { children: React.ReactNode }) {
  return <div className="flex flex-wrap items-center gap-2 px-4 pt-2 pb-3">{children}</div>
}

/** The server's root error of a form (what belongs to no field). */
function RootError({ message }: { message: string | undefined }) {
  if (!message) return null
  return (
    <Alert variant="destructive">
      <CircleAlert />
      <AlertDescription>{message}</AlertDescription>
    </Alert>
  )
}

function AssignDialog({ payment, onClose }: { payment: PaymentEvent | null; onClose: () => void }) {
  const assign = useAssignPayment()
  const form = useForm<AssignValues>({ resolver: zodResolver(assignSchema), defaultValues: { order_id: '' } })
  const { errors, isSubmitting } = form.formState
  const close = () => {
    onClose()
    form.reset()
  }
  const onSubmit = form.handleSubmit(async (values) => {
    if (!payment) return
    try {
      await assign.mutateAsync({ id: payment.id, order_id: values.order_id })
      toast.success('Payment assigned; the order’s visits were credited')
      close()
    } catch (e) {
      applyApiErrors(e, form.setError, ['order_id'])
    }
  })
  return (
    <Dialog open={payment !== null} onOpenChange={(o) => !o && close()}>
      <DialogContent data-testid="assign-dialog">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>Assign the payment to an order</DialogTitle>
            <DialogDescription>
              {payment &&
                `${formatMinor(payment.amount_minor, payment.currency)} via ${payment.provider}${payment.payer_email ? ` from ${payment.payer_email}` : ''}${payment.order_reference ? `, reference “${payment.order_reference}”` : ''}. `}
              Assigning applies it: the order is paid and its visits are credited.
            </DialogDescription>
          </DialogHeader>
          <RootError message={errors.root?.server?.message} />
          <FormField id="assign-order" label="Order ID" error={errors.order_id?.message}>
            <Input
              autoFocus
              autoComplete="off"
              className="font-mono text-xs sm:text-sm"
              placeholder="00000000-0000-0000-0000-000000000000"
              {...fieldAria('assign-order', errors.order_id?.message)}
              {...form.register('order_id')}
            />
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} Assign and apply
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

function PaymentsTab() {
  const [status, setStatus] = useState('unmatched')
  const payments = useAdminPayments(status)
  const items = itemsOf(payments.data)
  const [assigning, setAssigning] = useState<PaymentEvent | null>(null)
  return (
    <Card className="gap-0 py-2" data-testid="admin-payments">
      <Toolbar>
        <Select
          aria-label="Payment status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          className="w-full sm:w-48"
        >
          {PAYMENT_EVENT_STATUSES.map((st) => (
            <option key={st} value={st}>
              {st[0]!.toUpperCase() + st.slice(1)}
            </option>
          ))}
          <option value="">All</option>
        </Select>
      </Toolbar>
      <QueryStates
        query={payments}
        skeleton={{ rows: 4, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={Inbox}
            title={status === 'unmatched' ? 'No unmatched payments' : 'No payments'}
            description="Payments whose reference named no order wait here for an administrator."
          />
        }
      >
        <Table data-testid="admin-payments-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Received</TableHead>
              <TableHead className="text-right">Amount</TableHead>
              <TableHead className="hidden md:table-cell">Provider</TableHead>
              <TableHead className="hidden lg:table-cell">Payer / reference</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((p) => (
              <TableRow key={p.id} data-testid="admin-payment-row">
                <TableCell>
                  <DateCell iso={p.received_at} />
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(p.amount_minor, p.currency)}
                </TableCell>
                <TableCell className="hidden md:table-cell">
                  <div>{p.provider}</div>
                  <div className="text-xs text-muted-foreground">{p.event_type}</div>
                </TableCell>
                <TableCell className="hidden max-w-64 lg:table-cell">
                  <div className="truncate">{p.payer_email ?? '—'}</div>
                  <div
                    className="truncate font-mono text-xs text-muted-foreground"
                    title={p.note ?? undefined}
                  >
                    {p.order_reference ?? p.note ?? '—'}
                  </div>
                </TableCell>
                <TableCell>
                  <PaymentStatusBadge status={p.status} />
                </TableCell>
                <TableCell className="text-right">
                  {p.status === 'unmatched' && (
                    <Button variant="outline" size="sm" onClick={() => setAssigning(p)}>
                      Assign
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={payments} />
      </QueryStates>
      <AssignDialog payment={assigning} onClose={() => setAssigning(null)} />
    </Card>
  )
}

function AdjustmentTab() {
  const adjust = useAdjustment()
  const form = useForm<AdjustmentValues>({
    resolver: zodResolver(adjustmentSchema),
    defaultValues: { workspace_id: '', visits: '', reason: '' },
  })
  const { errors, isSubmitting } = form.formState
  const onSubmit = form.handleSubmit(async (values) => {
    const visits = Number(values.visits)
    try {
      const posting = await adjust.mutateAsync({
        workspace_id: values.workspace_id,
        visits,
        reason: values.reason,
      })
      toast.success(
        `Adjustment of ${formatVisitsDelta(visits)} booked${posting?.id ? ` (${posting.id})` : ''}`,
      )
      form.reset()
    } catch (e) {
      applyApiErrors(e, form.setError, ['workspace_id', 'visits', 'reason'])
    }
  })
  return (
    <Card className="max-w-2xl" data-testid="admin-adjustment">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle>Manual adjustment</CardTitle>
          <CardDescription>
            Credit or debit a workspace’s visits. It is booked in the ledger and written to the audit log with
            your reason.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <RootError message={errors.root?.server?.message} />
          <FormField id="adj-workspace" label="Workspace ID" error={errors.workspace_id?.message}>
            <Input
              autoComplete="off"
              className="font-mono text-xs sm:text-sm"
              placeholder="00000000-0000-0000-0000-000000000000"
              {...fieldAria('adj-workspace', errors.workspace_id?.message)}
              {...form.register('workspace_id')}
            />
          </FormField>
          <FormField
            id="adj-visits"
            label="Visits"
            error={errors.visits?.message}
            hint="Positive adds visits, negative removes them (e.g. -5000)"
          >
            <Input
              inputMode="numeric"
              autoComplete="off"
              className="tabular-nums sm:max-w-48"
              {...fieldAria('adj-visits', errors.visits?.message)}
              {...form.register('visits')}
            />
          </FormField>
          <FormField
            id="adj-reason"
            label="Reason"
            error={errors.reason?.message}
            hint="Required; kept in the audit log"
          >
            <Textarea {...fieldAria('adj-reason', errors.reason?.message)} {...form.register('reason')} />
          </FormField>
          <div>
            <Button type="submit" disabled={isSubmitting}>
              {isSubmitting && <Spinner />} Book adjustment
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  )
}

type Decision = { payout: Payout; action: 'paid' | 'reject' }

function DecideDialog({ decision, onClose }: { decision: Decision | null; onClose: () => void }) {
  const decide = useDecidePayout()
  const paid = decision?.action === 'paid'
  // One form for both: `text` is the reference (paid) or the reason (reject).
  const form = useForm<{ text: string }>({ defaultValues: { text: '' } })
  const { errors, isSubmitting } = form.formState
  const close = () => {
    onClose()
    form.reset()
  }
  const onSubmit = form.handleSubmit(async ({ text }) => {
    if (!decision) return
    const parsed = paid
      ? payoutPaidSchema.safeParse({ reference: text })
      : payoutRejectSchema.safeParse({ reason: text })
    if (!parsed.success) {
      form.setError('text', { type: 'validate', message: parsed.error.issues[0]?.message ?? 'Invalid' })
      return
    }
    try {
      await decide.mutateAsync(
        paid
          ? { id: decision.payout.id, action: 'paid', reference: text.trim() }
          : { id: decision.payout.id, action: 'reject', reason: text.trim() },
      )
      toast.success(paid ? 'Payout marked paid' : 'Payout rejected; the money is available again')
      close()
    } catch (e) {
      // The API names the field `reference` or `reason`; the dialog's one field is `text`.
      const field = paid ? 'reference' : 'reason'
      applyApiErrors(renameFieldPaths(e, { [field]: 'text' }), form.setError, ['text'])
    }
  })
  const p = decision?.payout
  return (
    <Dialog open={decision !== null} onOpenChange={(o) => !o && close()}>
      <DialogContent data-testid="payout-decide-dialog">
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          <DialogHeader>
            <DialogTitle>{paid ? 'Mark the payout paid' : 'Reject the payout'}</DialogTitle>
            <DialogDescription>
              {p && `${formatMinor(p.amount_minor, p.currency)} to ${p.destination}. `}
              {paid
                ? 'Pay it first, then enter the bank or PayPal reference of the transfer.'
                : 'The amount goes back to the affiliate’s available balance. Say why.'}
            </DialogDescription>
          </DialogHeader>
          <RootError message={errors.root?.server?.message} />
          <FormField
            id="decide-text"
            label={paid ? 'Payment reference' : 'Reason'}
            error={errors.text?.message}
          >
            {paid ? (
              <Input
                autoFocus
                autoComplete="off"
                {...fieldAria('decide-text', errors.text?.message)}
                {...form.register('text')}
              />
            ) : (
              <Textarea
                autoFocus
                {...fieldAria('decide-text', errors.text?.message)}
                {...form.register('text')}
              />
            )}
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" variant={paid ? 'default' : 'destructive'} disabled={isSubmitting}>
              {isSubmitting && <Spinner />} {paid ? 'Mark paid' : 'Reject payout'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  )
}

function PayoutsTab() {
  const [status, setStatus] = useState('requested')
  const payouts = useAdminPayouts(status)
  const items = itemsOf(payouts.data)
  const [deciding, setDeciding] = useState<Decision | null>(null)
  return (
    <Card className="gap-0 py-2" data-testid="admin-payouts">
      <Toolbar>
        <Select
          aria-label="Payout status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          className="w-full sm:w-48"
        >
          <option value="requested">Requested</option>
          <option value="paid">Paid</option>
          <option value="rejected">Rejected</option>
          <option value="">All</option>
        </Select>
        <Button variant="outline" asChild className="w-full sm:ml-auto sm:w-auto">
          <a href={adminPayoutsCsvUrl(status)} download data-testid="admin-payouts-csv">
            <Download /> Download CSV
          </a>
        </Button>
      </Toolbar>
      <QueryStates
        query={payouts}
        skeleton={{ rows: 4, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={HandCoins}
            title={status === 'requested' ? 'No payouts to approve' : 'No payouts'}
            description="Affiliates’ payout requests wait here until you mark them paid or reject them."
          />
        }
      >
        <Table data-testid="admin-payouts-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Requested</TableHead>
              <TableHead className="hidden md:table-cell">Affiliate</TableHead>
              <TableHead className="text-right">Amount</TableHead>
              <TableHead className="hidden lg:table-cell">Pay to</TableHead>
              <TableHead className="hidden sm:table-cell">Status</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((p) => (
              <TableRow key={p.id} data-testid="admin-payout-row">
                <TableCell>
                  <DateCell iso={p.requested_at ?? p.created_at} />
                </TableCell>
                <TableCell className="hidden max-w-48 truncate md:table-cell" title={p.user_id}>
                  {p.user_email ?? <span className="font-mono text-xs">{p.user_id ?? '—'}</span>}
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(p.amount_minor, p.currency)}
                </TableCell>
                <TableCell className="hidden max-w-64 truncate lg:table-cell" title={p.destination}>
                  {p.destination}
                </TableCell>
                <TableCell className="hidden sm:table-cell">
                  <PayoutStatusBadge status={p.status} />
                </TableCell>
                <TableCell>
                  {p.status === 'requested' && (
                    <div className="flex flex-col items-end gap-1 sm:flex-row sm:justify-end">
                      <Button
                        size="sm"
                        variant="outline"
                        onClick={() => setDeciding({ payout: p, action: 'paid' })}
                      >
                        Mark paid
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        className="text-destructive hover:text-destructive"
                        onClick={() => setDeciding({ payout: p, action: 'reject' })}
                      >
                        Reject
                      </Button>
                    </div>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={payouts} />
      </QueryStates>
      <DecideDialog decision={deciding} onClose={() => setDeciding(null)} />
    </Card>
  )
}

function ReferralsTab() {
  const referrals = useAdminReferrals()
  const items = itemsOf(referrals.data)
  return (
    <Card className="gap-0 py-2" data-testid="admin-referrals">
      <QueryStates
        query={referrals}
        skeleton={{ rows: 3, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={Flag}
            title="No flagged referrals"
            description="Referrals that look suspicious (e.g. same IP as the referrer) are listed here."
          />
        }
      >
        <Table data-testid="admin-referrals-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>User</TableHead>
              <TableHead className="hidden md:table-cell">Referred by</TableHead>
              <TableHead className="hidden sm:table-cell">When</TableHead>
              <TableHead>Flag</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((r) => (
              <TableRow key={r.user_id} data-testid="admin-referral-row">
                <TableCell className="max-w-48 truncate" title={r.user_id}>
                  {r.email ?? <span className="font-mono text-xs">{r.user_id}</span>}
                </TableCell>
                <TableCell
                  className="hidden max-w-48 truncate md:table-cell"
                  title={r.referred_by ?? undefined}
                >
                  {r.referrer_email ?? <span className="font-mono text-xs">{r.referred_by ?? '—'}</span>}
                </TableCell>
                <TableCell className="hidden sm:table-cell">
                  <DateCell iso={r.referred_at} />
                </TableCell>
                <TableCell>
                  <Badge variant="warning">{r.flag ?? 'flagged'}</Badge>
                  {r.signup_ip && (
                    <div className="mt-1 font-mono text-xs text-muted-foreground">{r.signup_ip}</div>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={referrals} />
      </QueryStates>
    </Card>
  )
}

function AuditTab() {
  const audit = useAudit()
  const items = itemsOf(audit.data)
  return (
    <Card className="gap-0 py-2" data-testid="admin-audit">
      <QueryStates
        query={audit}
        skeleton={{ rows: 5, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ScrollText}
            title="Nothing audited yet"
            description="Adjustments, assignments and payout decisions are recorded here with their reasons."
          />
        }
      >
        <Table data-testid="admin-audit-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>When</TableHead>
              <TableHead>Action</TableHead>
              <TableHead>Reason</TableHead>
              <TableHead className="hidden lg:table-cell">Actor / workspace</TableHead>
              <TableHead className="hidden xl:table-cell">Details</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((a) => (
              <TableRow key={String(a.id)} data-testid="admin-audit-row">
                <TableCell>
                  <DateCell iso={a.at} />
                </TableCell>
                <TableCell>
                  <Badge variant="outline">{a.action.replace(/_/g, ' ')}</Badge>
                </TableCell>
                <TableCell className="max-w-40 truncate sm:max-w-72" title={a.reason ?? undefined}>
                  {a.reason ?? '—'}
                </TableCell>
                <TableCell className="hidden max-w-44 lg:table-cell">
                  <div className="truncate font-mono text-xs" title={a.actor_user_id ?? undefined}>
                    {a.actor_user_id ?? 'system'}
                  </div>
                  <div
                    className="truncate font-mono text-xs text-muted-foreground"
                    title={a.workspace_id ?? undefined}
                  >
                    {a.workspace_id ?? '—'}
                  </div>
                </TableCell>
                <TableCell className="hidden max-w-56 xl:table-cell">
                  <code
                    className="block truncate font-mono text-xs text-muted-foreground"
                    title={JSON.stringify(a.details)}
                  >
                    {JSON.stringify(a.details)}
                  </code>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={audit} />
      </QueryStates>
    </Card>
  )
}

export function BillingAdmin() {
  const [search, setSearch] = useSearchParams()
  const tab = (TABS as readonly string[]).includes(search.get('tab') ?? '')
    ? (search.get('tab') as Tab)
    : 'payments'
  const select = (v: string) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (v === 'payments') next.delete('tab')
        else next.set('tab', v)
        return next
      },
      { replace: true },
    )
  return (
    <Tabs value={tab} onValueChange={select}>
      <TabsList aria-label="Billing administration">
        {TABS.map((t) => (
          <TabsTrigger key={t} value={t}>
            {LABEL[t]}
          </TabsTrigger>
        ))}
      </TabsList>
      <TabsContent value="payments">
        <PaymentsTab />
      </TabsContent>
      <TabsContent value="adjust">
        <AdjustmentTab />
      </TabsContent>
      <TabsContent value="payouts">
        <PayoutsTab />
      </TabsContent>
      <TabsContent value="referrals">
        <ReferralsTab />
      </TabsContent>
      <TabsContent value="audit">
        <AuditTab />
      </TabsContent>
    </Tabs>
  )
}
