/**
 * `/billing` — balances (visits available/reserved, affiliate money pending/available/paid),
 * "Buy credits" (amount → debounced `GET /billing/quote` → rate, tier, estimated visits; the
 * tier table; "Create order" → `POST /billing/orders` → the order panel with the payment links
 * or instructions per provider) and the orders table (status filter, open an order's panel,
 * cancel a pending one).
 */
import { zodResolver } from '@hookform/resolvers/zod'
import { CircleAlert, ExternalLink, ReceiptText, ShoppingCart, X } from 'lucide-react'
import { useEffect, useRef, useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link } from 'react-router'
import { CopyButton } from '@/components/common/copy-button'
import { FormField, fieldAria } from '@/components/common/form-field'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  itemsOf,
  ORDER_STATUSES,
  type Order,
  type OrderStatus,
  type PaymentOption,
  type Quote,
  useBalance,
  useCancelOrder,
  useCreateOrder,
  useOrders,
  useQuote,
} from '@/hooks/api/billing'
import { ApiError, errorMessage } from '@/lib/api'
import { applyApiErrors } from '@/lib/forms'
import { cn } from '@/lib/utils'
import { formatMajor, formatMinor, formatRate, formatVisits } from '../money.lib'
import { type AmountLimits, parseAmount, QUOTE_DEBOUNCE_MS, tierRanges } from '../quote.lib'
import { type BuyValues, buySchema } from '../schemas'
import { DateCell, LoadMore, OrderStatusBadge, StatCard, VisitsFigure } from './shared'

/** `value`, `ms` after it last changed. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

function Balances() {
  const balance = useBalance()
  const b = balance.data
  if (balance.isError)
    return (
      <Alert variant="destructive">
        <CircleAlert />
        <AlertDescription>
          <p>
            Could not load the balance: {errorMessage(balance.error)}{' '}
            <button type="button" className="font-medium underline" onClick={() => void balance.refetch()}>
              Try again
            </button>
          </p>
        </AlertDescription>
      </Alert>
    )
  const cur = b?.affiliate.currency
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-5" data-testid="billing-balances">
      <StatCard
        label="Visits available"
        value={b && <VisitsFigure n={b.visits.available} />}
        hint="Ready to spend"
        testId="balance-visits-available"
      />
      <StatCard
        label="Visits reserved"
        value={b && <VisitsFigure n={b.visits.reserved} />}
        hint="Held by running projects"
        testId="balance-visits-reserved"
      />
      <StatCard
        label="Affiliate pending"
        value={b && formatMinor(b.affiliate.pending_minor, cur)}
        hint="In the hold period"
        testId="balance-affiliate-pending"
      />
      <StatCard
        label="Affiliate available"
        value={b && formatMinor(b.affiliate.available_minor, cur)}
        hint={
          <Link to="/billing/affiliate" className="underline-offset-4 hover:underline">
            Request a payout
          </Link>
        }
        testId="balance-affiliate-available"
      />
      <StatCard
        label="Affiliate paid"
        value={b && formatMinor(b.affiliate.paid_minor, cur)}
        hint="Paid out so far"
        testId="balance-affiliate-paid"
        className="col-span-2 md:col-span-1"
      />
    </div>
  )
}

/** The price tiers; `current` (the typed amount's tier) highlighted, none while the amount is invalid. */
function TierTable({ quote, highlight }: { quote: Quote; highlight: boolean }) {
  const current = highlight ? quote.tiers[quote.tier]?.from : undefined
  return (
    <Table data-testid="tier-table">
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead>You pay</TableHead>
          <TableHead className="text-right">
            <span className="sm:hidden">Per 1,000</span>
            <span className="hidden sm:inline">Per 1,000 visits</span>
          </TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {tierRanges(quote.tiers).map((t) => {
          const active = t.from === current
          return (
            <TableRow
              key={t.from}
              data-current={active || undefined}
              className={cn(active && 'bg-accent font-medium text-accent-foreground hover:bg-accent')}
            >
              <TableCell className="whitespace-normal tabular-nums">
                {t.to === null
                  ? `${formatMajor(t.from, quote.currency)} or more`
                  : t.from === 0
                    ? `Under ${formatMajor(t.to, quote.currency)}`
                    : `${formatMajor(t.from, quote.currency)} – ${formatMajor(t.to - 0.01, quote.currency)}`}
                {active && (
                  <Badge variant="default" className="ml-2 hidden sm:inline-flex">
                    Your tier
                  </Badge>
                )}
              </TableCell>
              <TableCell className="text-right tabular-nums">{formatRate(t.rate, quote.currency)}</TableCell>
            </TableRow>
          )
        })}
      </TableBody>
    </Table>
  )
}

function BuyCredits({ currency, onOrder }: { currency: string | undefined; onOrder: (o: Order) => void }) {
  const form = useForm<BuyValues>({ resolver: zodResolver(buySchema), defaultValues: { amount: '500' } })
  const { errors, isSubmitting } = form.formState
  const create = useCreateOrder()
  const [limits, setLimits] = useState<AmountLimits>({})
  const typed = form.watch('amount')
  const debounced = useDebounced(typed, QUOTE_DEBOUNCE_MS)
  const cur = currency ?? 'EUR'
  const check = parseAmount(debounced, limits, (n) => formatMajor(n, cur))
  const quote = useQuote(check.ok ? check.amount : null)
  const q = quote.data
  useEffect(() => {
    if (q) setLimits({ min: q.min_amount, max: q.max_amount })
  }, [q])
  const settling = typed !== debounced || quote.isFetching
  // What to say under the field: the typed text's problem first, then the API's.
  const quoteError =
    quote.isError && check.ok
      ? quote.error instanceof ApiError
        ? (quote.error.fieldError('amount') ?? quote.error.message)
        : errorMessage(quote.error)
      : undefined
  const fieldError = errors.amount?.message ?? (check.ok ? quoteError : (check.error ?? undefined))
  const showQuote = q && check.ok && !quote.isError

  const onSubmit = form.handleSubmit(async (values) => {
    const r = parseAmount(values.amount, limits, (n) => formatMajor(n, cur))
    if (!r.ok) {
      form.setError('amount', { type: 'validate', message: r.error ?? 'Enter an amount' })
      return
    }
    try {
      const order = await create.mutateAsync({ amount: r.amount })
      toast.success(`Order ${order.reference} created`)
      onOrder(order)
    } catch (e) {
      applyApiErrors(e, form.setError, ['amount'])
    }
  })

  return (
    <Card data-testid="buy-credits">
      <CardHeader>
        <div className="grid gap-1">
          <CardTitle>Buy credits</CardTitle>
          <CardDescription>
            The more you buy at once, the lower the price per 1,000 visits. The order locks the rate until it
            expires.
          </CardDescription>
        </div>
      </CardHeader>
      <CardContent className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <form onSubmit={onSubmit} noValidate className="grid content-start gap-4">
          {errors.root?.server && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errors.root.server.message}</AlertDescription>
            </Alert>
          )}
          <FormField
            id="buy-amount"
            label={`Amount (${q?.currency ?? cur})`}
            error={fieldError}
            hint={
              q
                ? `From ${formatMajor(q.min_amount, q.currency)} to ${formatMajor(q.max_amount, q.currency)}`
                : undefined
            }
          >
            <Input
              inputMode="decimal"
              autoComplete="off"
              className="max-w-60 text-lg tabular-nums"
              {...fieldAria('buy-amount', fieldError)}
              {...form.register('amount', { onChange: () => form.clearErrors() })}
            />
          </FormField>
          <dl
            className={cn(
              'grid grid-cols-2 gap-3 transition-opacity sm:grid-cols-3',
              settling && 'opacity-60',
            )}
            data-testid="quote-result"
            aria-live="polite"
          >
            <div className="min-w-0 rounded-lg border bg-muted/40 px-3 py-2">
              <dt className="text-xs text-muted-foreground">Rate / 1,000 visits</dt>
              <dd className="font-semibold tabular-nums" data-testid="quote-rate">
                {showQuote ? formatRate(q.rate, q.currency) : '—'}
              </dd>
            </div>
            <div className="min-w-0 rounded-lg border bg-muted/40 px-3 py-2">
              <dt className="text-xs text-muted-foreground">Tier</dt>
              <dd className="font-semibold tabular-nums" data-testid="quote-tier">
                {showQuote ? `${q.tier + 1} of ${q.tiers.length}` : '—'}
              </dd>
            </div>
            <div className="col-span-2 min-w-0 rounded-lg border bg-muted/40 px-3 py-2 sm:col-span-1">
              <dt className="text-xs text-muted-foreground">Estimated visits</dt>
              <dd className="font-semibold break-words tabular-nums" data-testid="quote-visits">
                {showQuote ? <VisitsFigure n={q.estimated_visits} /> : '—'}
              </dd>
            </div>
          </dl>
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" disabled={isSubmitting || !check.ok || quote.isError}>
              {isSubmitting ? <Spinner /> : <ShoppingCart />} Create order
            </Button>
            {quote.isFetching && (
              <span className="flex items-center gap-2 text-sm text-muted-foreground">
                <Spinner /> Updating the quote…
              </span>
            )}
          </div>
        </form>
        <div className="min-w-0 rounded-lg border">
          {q ? (
            <TierTable quote={q} highlight={!!showQuote} />
          ) : quote.isPending && check.ok ? (
            <div className="flex h-full items-center justify-center p-6 text-sm text-muted-foreground">
              <Spinner /> <span className="ml-2">Loading prices…</span>
            </div>
          ) : (
            <p className="p-6 text-sm text-muted-foreground">Enter an amount to see the price tiers.</p>
          )}
        </div>
      </CardContent>
    </Card>
  )
}

const PROVIDER_LABEL: Record<string, string> = {
  stripe: 'Stripe',
  revolut: 'Revolut',
  wise: 'Wise',
  bank: 'bank',
}
const providerLabel = (p: string) => PROVIDER_LABEL[p] ?? p

function PaymentOptions({ options }: { options: PaymentOption[] }) {
  if (options.length === 0)
    return (
      <p className="text-sm text-muted-foreground">No payment method is configured; ask the administrator.</p>
    )
  const links = options.filter((o) => o.kind === 'link' && o.url)
  const texts = options.filter((o) => o.kind === 'instructions' && o.instructions)
  return (
    <div className="grid gap-3">
      {links.length > 0 && (
        <div className="flex flex-wrap gap-2">
          {links.map((o) => (
            <Button key={`${o.provider}-link`} asChild className="w-full sm:w-auto">
              <a href={o.url} target="_blank" rel="noopener noreferrer" data-testid={`pay-${o.provider}`}>
                Pay with {providerLabel(o.provider)} <ExternalLink />
              </a>
            </Button>
          ))}
        </div>
      )}
      {texts.map((o) => (
        <div
          key={`${o.provider}-text`}
          className="grid gap-2 rounded-lg border bg-muted/40 p-3"
          data-testid={`instructions-${o.provider}`}
        >
          <div className="flex flex-wrap items-center justify-between gap-2">
            <p className="text-sm font-medium">Pay by {providerLabel(o.provider)} transfer</p>
            <CopyButton value={o.instructions ?? ''} size="sm" label="Copy details" />
          </div>
          <pre className="font-mono text-xs whitespace-pre-wrap break-words">{o.instructions}</pre>
        </div>
      ))}
    </div>
  )
}

function OrderPanel({ order, onClose }: { order: Order; onClose: () => void }) {
  const cancel = useCancelOrder()
  const ref = useRef<HTMLDivElement>(null)
  // Mounted once per order (keyed by its ID): bring the panel into view when it opens.
  useEffect(() => {
    ref.current?.scrollIntoView?.({ behavior: 'smooth', block: 'nearest' })
  }, [])
  const pending = order.status === 'pending'
  return (
    <Card ref={ref} data-testid="order-panel" className="border-primary/40">
      <CardHeader className="flex-nowrap">
        <div className="grid min-w-0 flex-1 gap-1">
          <CardTitle className="flex flex-wrap items-center gap-2">
            Order <span className="font-mono break-all">{order.reference}</span>
            <OrderStatusBadge status={order.status} />
          </CardTitle>
          <CardDescription>
            {pending
              ? 'Pay with one of the options below. Keep the reference in the payment so it finds this order; the visits are credited when the payment arrives.'
              : order.status === 'paid'
                ? 'Paid: the visits were credited to this workspace.'
                : 'This order can no longer be paid.'}
          </CardDescription>
        </div>
        <Button
          variant="ghost"
          size="icon"
          className="-mt-2 -mr-2"
          onClick={onClose}
          aria-label="Close the order"
        >
          <X />
        </Button>
      </CardHeader>
      <CardContent className="grid gap-5">
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm md:grid-cols-4">
          <div className="min-w-0">
            <dt className="text-xs text-muted-foreground">Amount</dt>
            <dd className="font-semibold tabular-nums" data-testid="order-amount">
              {formatMinor(order.amount_minor, order.currency)}
            </dd>
          </div>
          <div className="min-w-0">
            <dt className="text-xs text-muted-foreground">Visits (locked)</dt>
            <dd className="font-semibold break-words tabular-nums" data-testid="order-visits">
              {formatVisits(order.visits)}
            </dd>
          </div>
          <div className="min-w-0">
            <dt className="text-xs text-muted-foreground">Rate / 1,000 visits</dt>
            <dd className="tabular-nums">
              {formatRate(order.rate, order.currency)}{' '}
              <span className="text-muted-foreground">(tier {order.tier + 1})</span>
            </dd>
          </div>
          <div className="min-w-0">
            <dt className="text-xs text-muted-foreground">{order.paid_at ? 'Paid' : 'Expires'}</dt>
            <dd data-testid="order-expiry">
              <DateCell iso={order.paid_at ?? order.expires_at} />
            </dd>
          </div>
          <div className="col-span-2 min-w-0 md:col-span-4">
            <dt className="text-xs text-muted-foreground">Payment reference</dt>
            <dd className="mt-1 flex flex-wrap items-center gap-2">
              <code
                className="rounded bg-muted px-2 py-1 font-mono text-sm break-all"
                data-testid="order-reference"
              >
                {order.reference}
              </code>
              <CopyButton value={order.reference} size="sm" />
            </dd>
          </div>
        </dl>
        {pending && <PaymentOptions options={order.payment} />}
        {pending && (
          <div>
            <Button
              variant="ghost"
              size="sm"
              className="text-destructive hover:text-destructive"
              disabled={cancel.isPending}
              onClick={() =>
                cancel.mutate(order.id, {
                  onSuccess: () => {
                    toast.success(`Order ${order.reference} cancelled`)
                    onClose()
                  },
                  onError: (e) => toast.error(errorMessage(e)),
                })
              }
            >
              {cancel.isPending && <Spinner />} Cancel this order
            </Button>
          </div>
        )}
      </CardContent>
    </Card>
  )
}

function Orders({ onOpen, openId }: { onOpen: (o: Order) => void; openId: string | undefined }) {
  const [status, setStatus] = useState<OrderStatus | ''>('')
  const orders = useOrders(status || undefined)
  const items = itemsOf(orders.data)
  return (
    <Card className="gap-0 py-2" data-testid="orders">
      <div className="flex flex-wrap items-center justify-between gap-2 px-4 pt-2 pb-3">
        <h2 className="font-semibold">Orders</h2>
        <Select
          aria-label="Order status"
          value={status}
          onChange={(e) => setStatus(e.target.value as OrderStatus | '')}
          className="w-full sm:w-48"
        >
          <option value="">All statuses</option>
          {ORDER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
      </div>
      <QueryStates
        query={orders}
        skeleton={{ rows: 3, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={ReceiptText}
            title={status ? `No ${status} orders` : 'No orders yet'}
            description={
              status
                ? 'Pick another status to see other orders.'
                : 'Orders you create with “Buy credits” show up here until they are paid or expire.'
            }
          />
        }
      >
        <Table data-testid="orders-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Reference</TableHead>
              <TableHead className="hidden md:table-cell">Created</TableHead>
              <TableHead className="text-right">Amount</TableHead>
              <TableHead className="hidden text-right sm:table-cell">Visits</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="hidden lg:table-cell">Expires / paid</TableHead>
              <TableHead className="w-0">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((o) => (
              <TableRow
                key={o.id}
                data-testid="order-row"
                data-state={o.id === openId ? 'selected' : undefined}
              >
                <TableCell className="font-mono text-xs">{o.reference}</TableCell>
                <TableCell className="hidden md:table-cell">
                  <DateCell iso={o.created_at} />
                </TableCell>
                <TableCell className="text-right whitespace-nowrap tabular-nums">
                  {formatMinor(o.amount_minor, o.currency)}
                </TableCell>
                <TableCell className="hidden text-right whitespace-nowrap tabular-nums sm:table-cell">
                  {formatVisits(o.visits)}
                </TableCell>
                <TableCell>
                  <OrderStatusBadge status={o.status} />
                </TableCell>
                <TableCell className="hidden lg:table-cell">
                  <DateCell iso={o.paid_at ?? o.expires_at} />
                </TableCell>
                <TableCell className="text-right">
                  <Button variant="ghost" size="sm" onClick={() => onOpen(o)}>
                    {o.status === 'pending' ? 'Pay' : 'View'}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={orders} />
      </QueryStates>
    </Card>
  )
}

export function BillingOverview() {
  const balance = useBalance()
  const [order, setOrder] = useState<Order | null>(null)
  return (
    <div className="flex flex-col gap-6">
      <Balances />
      <BuyCredits currency={balance.data?.affiliate.currency} onOrder={setOrder} />
      {order && <OrderPanel key={order.id} order={order} onClose={() => setOrder(null)} />}
      <Orders onOpen={setOrder} openId={order?.id} />
    </div>
  )
}
