/**
 * `/billing/affiliate` — the user's referral link (Copy), commission rate and hold period,
 * sign-ups and paying referrals, earnings by status, the payout request form (destination,
 * amount; shows the minimum) and the payouts, referrals and commissions lists.
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { BadgePercent, CircleAlert, HandCoins, Send, Users } from 'lucide-react'
import type * as React from 'react'
import { useForm } from 'react-hook-form'
import { CopyButton } from '@/components/common/copy-button'
import { FormField, fieldAria } from '@/components/common/form-field'
import { EmptyState, ErrorState, QueryStates } from '@/components/common/states'
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
  type AffiliateSummary,
  itemsOf,
  useAffiliate,
  useCommissions,
  usePayouts,
  useReferrals,
  useRequestPayout,
} from '@/hooks/api/billing'
import { formatInt } from '@/lib/format'
import { applyApiErrors } from '@/lib/forms'
import { formatMinor, formatShare, majorToMinor } from '../money.lib'
import { parseAmount } from '../quote.lib'
import { type PayoutValues, payoutSchema } from '../schemas'
import {
  CommissionStatusBadge,
  DateCell,
  LoadMore,
  PayoutStatusBadge,
  renameFieldPaths,
  StatCard,
} from './shared'

function LinkCard({ a }: { a: AffiliateSummary | undefined }) {
  return (
    <Card data-testid="affiliate-link">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle>Your referral link</CardTitle>
          <CardDescription>
            {a ? (
              <>
                You earn <span className="font-medium text-foreground">{formatShare(a.commission_rate)}</span>{' '}
                of every payment of the people who sign up through it, for as long as they pay. Earnings are
                held for <span className="font-medium text-foreground">{formatInt(a.hold_days)} days</span>{' '}
                (the refund window) before you can request a payout.
              </>
            ) : (
              <Skeleton className="h-4 w-80 max-w-full" />
            )}
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        {a ? (
          <div className="flex flex-col gap-2 sm:flex-row">
            <Input
              readOnly
              value={a.link}
              aria-label="Referral link"
              data-testid="affiliate-link-url"
              className="font-mono text-xs sm:text-sm"
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton value={a.link} label="Copy link" />
          </div>
        ) : (
          <Skeleton className="h-9 w-full" />
        )}
      </CardContent>
    </Card>
  )
}

function Stats({ a }: { a: AffiliateSummary | undefined }) {
  const cur = a?.currency
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6" data-testid="affiliate-stats">
      <StatCard label="Sign-ups" value={a && formatInt(a.signups)} hint="People who joined via your link" />
      <StatCard
        label="Paying referrals"
        value={a && formatInt(a.paying_referrals)}
        hint="Made at least one payment"
      />
      <StatCard
        label="Pending"
        value={a && formatMinor(a.earnings.pending_minor, cur)}
        hint={a ? `Held ${formatInt(a.hold_days)} days` : undefined}
      />
      <StatCard
        label="Available"
        value={a && formatMinor(a.earnings.available_minor, cur)}
        hint="Ready to pay out"
      />
      <StatCard
        label="Requested"
        value={a && formatMinor(a.earnings.requested_minor ?? 0, cur)}
        hint="In open payout requests"
      />
      <StatCard label="Paid" value={a && formatMinor(a.earnings.paid_minor, cur)} hint="Paid out so far" />
    </div>
  )
}

function PayoutForm({ a }: { a: AffiliateSummary }) {
  const request = useRequestPayout()
  const form = useForm<PayoutValues>({
    resolver: zodResolver(payoutSchema),
    defaultValues: { destination: '', amount: '' },
  })
  const { errors, isSubmitting } = form.formState
  const available = a.earnings.available_minor
  const belowMin = available < a.min_payout_minor
  const onSubmit = form.handleSubmit(async (values) => {
    const r = parseAmount(values.amount)
    const body = {
      destination: values.destination,
      ...(r.ok ? { amount_minor: majorToMinor(r.amount, a.currency) } : {}),
    }
    try {
      const p = await request.mutateAsync(body)
      toast.success(`Payout of ${formatMinor(p.amount_minor, p.currency)} requested`)
      form.reset()
    } catch (e) {
      applyApiErrors(renameFieldPaths(e, { amount_minor: 'amount' }), form.setError, [
        'destination',
        'amount',
      ])
    }
  })
  return (
    <Card data-testid="payout-form">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle>Request a payout</CardTitle>
          <CardDescription>
            Available:{' '}
            <span className="font-medium text-foreground tabular-nums">
              {formatMinor(available, a.currency)}
            </span>
            {' · '}minimum {formatMinor(a.min_payout_minor, a.currency)}
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} noValidate className="grid gap-4">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          {belowMin && (
            <Alert variant="info">
              <HandCoins />
              <AlertDescription>
                You can request a payout once {formatMinor(a.min_payout_minor, a.currency)} is available.
              </AlertDescription>
            </Alert>
          )}
          <FormField
            id="payout-destination"
            label="Pay to"
            error={errors.destination?.message}
            hint="IBAN and account holder, or a PayPal email"
          >
            <Input
              autoComplete="off"
              placeholder="e.g. DE89 3704 0044 0532 0130 00, Jane Doe"
              {...fieldAria('payout-destination', errors.destination?.message)}
              {...form.register('destination')}
            />
          </FormField>
          <FormField
            id="payout-amount"
            label={`Amount (${a.currency})`}
            optional
            error={errors.amount?.message}
            hint={`Empty: everything available (${formatMinor(available, a.currency)})`}
          >
            <Input
              inputMode="decimal"
              autoComplete="off"
              className="tabular-nums sm:max-w-48"
              {...fieldAria('payout-amount', errors.amount?.message)}
              {...form.register('amount')}
            />
          </FormField>
          <div>
            <Button type="submit" disabled={isSubmitting || belowMin}>
              {isSubmitting ? <Spinner /> : <Send />} Request payout
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  )
}

function ListCard({ title, testId, children }: { title: string; testId: string; children: React.ReactNode }) {
  return (
    <Card className="min-w-0 gap-0 py-2" data-testid={testId}>
      <h2 className="px-4 pt-2 pb-3 font-semibold">{title}</h2>
      {children}
    </Card>
  )
}

function Payouts() {
  const payouts = usePayouts()
  const items = itemsOf(payouts.data)
  return (
    <ListCard title="Payouts" testId="payouts">
      <QueryStates
        query={payouts}
        skeleton={{ rows: 3, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={HandCoins}
            title="No payouts yet"
            description="Requested payouts and their status show up here."
          />
        }
      >
        <Table data-testid="payouts-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Requested</TableHead>
              <TableHead className="text-right">Amount</TableHead>
              <TableHead className="hidden md:table-cell">Pay to</TableHead>
              <TableHead>Status</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((p) => (
              <TableRow key={p.id} data-testid="payout-row">
                <TableCell>
                  <DateCell iso={p.requested_at ?? p.created_at} />
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(p.amount_minor, p.currency)}
                </TableCell>
                <TableCell className="hidden max-w-40 truncate md:table-cell" title={p.destination}>
                  {p.destination}
                </TableCell>
                <TableCell>
                  <PayoutStatusBadge status={p.status} />
                  {(p.paid_reference || p.note) && (
                    <p
                      className="mt-1 max-w-28 sm:max-w-36 truncate text-xs text-muted-foreground"
                      title={p.paid_reference ?? p.note ?? ''}
                    >
                      {p.paid_reference ?? p.note}
                    </p>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={payouts} />
      </QueryStates>
    </ListCard>
  )
}

/** Referral rows carry no currency: amounts are in the affiliate account's (`currency`). */
function Referrals({ currency }: { currency: string | undefined }) {
  const referrals = useReferrals()
  const items = itemsOf(referrals.data)
  return (
    <ListCard title="Referrals" testId="referrals">
      <QueryStates
        query={referrals}
        skeleton={{ rows: 3, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={Users}
            title="No referrals yet"
            description="Share your link: people who sign up through it show up here."
          />
        }
      >
        <Table data-testid="referrals-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Email</TableHead>
              <TableHead className="hidden sm:table-cell">Joined</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Earned</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((r) => (
              <TableRow key={`${r.email_masked}:${r.joined_at}`} data-testid="referral-row">
                <TableCell className="max-w-40 truncate font-mono text-xs">{r.email_masked}</TableCell>
                <TableCell className="hidden sm:table-cell">
                  <DateCell iso={r.joined_at} />
                </TableCell>
                <TableCell>
                  <div className="flex flex-wrap gap-1">
                    <Badge variant={r.paying ? 'success' : 'secondary'}>
                      {r.paying ? 'paying' : 'signed up'}
                    </Badge>
                    {r.flagged && (
                      <Badge variant="warning" title="Under review: commissions wait for an administrator">
                        review
                      </Badge>
                    )}
                  </div>
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(r.earned_minor, currency)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={referrals} />
      </QueryStates>
    </ListCard>
  )
}

function Commissions() {
  const commissions = useCommissions()
  const items = itemsOf(commissions.data)
  return (
    <ListCard title="Commissions" testId="commissions">
      <QueryStates
        query={commissions}
        skeleton={{ rows: 3, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={BadgePercent}
            title="No commissions yet"
            description="Each payment of a referred user earns a commission, pending during the hold period."
          />
        }
      >
        <Table data-testid="commissions-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Earned</TableHead>
              <TableHead className="text-right">Amount</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="hidden sm:table-cell">Available from</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((c) => (
              <TableRow key={c.id} data-testid="commission-row">
                <TableCell>
                  <DateCell iso={c.created_at} />
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(c.amount_minor, c.currency)}
                </TableCell>
                <TableCell>
                  <CommissionStatusBadge status={c.status} />
                </TableCell>
                <TableCell className="hidden sm:table-cell">
                  <DateCell iso={c.available_at} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={commissions} />
      </QueryStates>
    </ListCard>
  )
}

export function Affiliate() {
  const affiliate = useAffiliate()
  const a = affiliate.data
  if (affiliate.isError)
    return (
      <Card>
        <ErrorState
          title="Could not load your affiliate account"
          error={affiliate.error}
          onRetry={() => void affiliate.refetch()}
        />
      </Card>
    )
  return (
    <div className="flex flex-col gap-6">
      <LinkCard a={a} />
      <Stats a={a} />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        {a ? <PayoutForm a={a} /> : <Skeleton className="h-80 w-full rounded-xl" />}
        <Payouts />
      </div>
      <div className="grid gap-6 xl:grid-cols-2">
        <Referrals currency={a?.currency} />
        <Commissions />
      </div>
    </div>
  )
}
