/**
 * Parts shared by the billing pages: the section tabs (`/billing`, `/billing/transactions`,
 * `/billing/affiliate`, admin-only `/billing/admin`), stat cards, status badges, the "Load
 * more" footer of cursor lists, a textarea with the input's look, and the renaming of API
 * field paths to form fields.
 */
import type * as React from 'react'
import { useLocation, useNavigate } from 'react-router'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { Tabs, TabsList, TabsTrigger } from '@/components/ui/tabs'
import type { Commission, OrderStatus, PayoutStatus } from '@/hooks/api/billing'
import { ApiError } from '@/lib/api'
import { formatDateTime, formatInt, formatRelative } from '@/lib/format'
import { cn } from '@/lib/utils'

type Variant = 'success' | 'secondary' | 'warning' | 'destructive' | 'outline'

/** The billing sections; `admin` shows to platform admins only. */
export const SECTIONS = [
  { path: '', label: 'Overview' },
  { path: 'transactions', label: 'Transactions' },
  { path: 'affiliate', label: 'Affiliate' },
  { path: 'admin', label: 'Admin', adminOnly: true },
] as const

/** The section tabs; each is a route (`/billing/<path>`), so it can be linked and reloaded. */
export function BillingNav({ admin }: { admin: boolean }) {
  const { pathname } = useLocation()
  const navigate = useNavigate()
  const current = pathname.replace(/^\/billing\/?/, '').split('/')[0] ?? ''
  const sections = SECTIONS.filter((s) => admin || !('adminOnly' in s))
  return (
    <Tabs value={current} onValueChange={(v) => navigate(v ? `/billing/${v}` : '/billing')}>
      <TabsList aria-label="Billing sections" data-testid="billing-nav">
        {sections.map((s) => (
          <TabsTrigger key={s.path} value={s.path}>
            {s.label}
          </TabsTrigger>
        ))}
      </TabsList>
    </Tabs>
  )
}

/** A figure card: label, value (skeleton while `value` is undefined), hint line. */
export function StatCard({
  label,
  value,
  hint,
  testId,
  className,
}: {
  label: string
  value: React.ReactNode | undefined
  hint?: React.ReactNode
  testId?: string
  className?: string
}) {
  return (
    <Card className={cn('min-w-0 gap-1 px-4 py-4', className)} data-testid={testId}>
      <p className="text-xs font-medium uppercase tracking-wide text-muted-foreground">{label}</p>
      {value === undefined ? (
        <Skeleton className="my-1 h-7 w-28" />
      ) : (
        <p className="text-xl font-semibold break-words tabular-nums sm:text-2xl" data-testid="stat-value">
          {value}
        </p>
      )}
      {hint && <p className="text-xs text-muted-foreground">{hint}</p>}
    </Card>
  )
}

const ORDER_VARIANT: Record<OrderStatus, Variant> = {
  pending: 'warning',
  paid: 'success',
  expired: 'secondary',
  cancelled: 'secondary',
  refunded: 'outline',
  disputed: 'destructive',
}

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return (
    <Badge variant={ORDER_VARIANT[status] ?? 'outline'} data-testid="order-status">
      {status}
    </Badge>
  )
}

const PAYOUT_VARIANT: Record<PayoutStatus, Variant> = {
  requested: 'warning',
  paid: 'success',
  rejected: 'destructive',
}

export function PayoutStatusBadge({ status }: { status: PayoutStatus }) {
  return <Badge variant={PAYOUT_VARIANT[status] ?? 'outline'}>{status}</Badge>
}

const COMMISSION_VARIANT: Record<Commission['status'], Variant> = {
  pending: 'warning',
  available: 'success',
  reversed: 'destructive',
}

export function CommissionStatusBadge({ status }: { status: Commission['status'] }) {
  return <Badge variant={COMMISSION_VARIANT[status] ?? 'outline'}>{status}</Badge>
}

/** Payment event statuses of the admin list (unmatched needs an admin). */
export function PaymentStatusBadge({ status }: { status: string }) {
  const v: Variant =
    status === 'applied'
      ? 'success'
      : status === 'unmatched'
        ? 'warning'
        : status === 'rejected'
          ? 'destructive'
          : 'secondary'
  return <Badge variant={v}>{status.replace(/_/g, ' ')}</Badge>
}

/** A visit count for big figures: the number, then the unit in small print ("1,131,123 visits"). */
export function VisitsFigure({ n }: { n: number }) {
  return (
    <>
      {formatInt(n)}{' '}
      <span className="text-sm font-medium text-muted-foreground">
        {Math.abs(n) === 1 ? 'visit' : 'visits'}
      </span>
    </>
  )
}

/**
 * A date and time ("12 May 2025, 14:03"); phones show the date only (the time is in the
 * tooltip, with the relative time) so tables keep their figures in view.
 */
export function DateCell({ iso }: { iso: string | null | undefined }) {
  const d = iso ? new Date(iso) : null
  if (!iso || !d || Number.isNaN(d.getTime())) return <span className="text-muted-foreground">—</span>
  const date = d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  return (
    <span
      className="whitespace-nowrap text-muted-foreground"
      title={`${formatDateTime(iso)} (${formatRelative(iso)})`}
    >
      {date}
      <span className="hidden sm:inline">, {time}</span>
    </span>
  )
}

/** Footer of a cursor list: "Load more" while the API has a `next_cursor`. */
export function LoadMore({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }
}) {
  if (!query.hasNextPage) return null
  return (
    <div className="flex justify-center border-t px-4 pt-3 pb-1">
      <Button
        variant="outline"
        size="sm"
        disabled={query.isFetchingNextPage}
        onClick={() => void query.fetchNextPage()}
      >
        {query.isFetchingNextPage && <Spinner />} Load more
      </Button>
    </div>
  )
}

/** A textarea with the input's look. */
export function Textarea({ className, ...props }: React.ComponentProps<'textarea'>) {
  return (
    <textarea
      data-slot="textarea"
      className={cn(
        'flex min-h-20 w-full min-w-0 rounded-md border border-input bg-card px-3 py-2 text-base shadow-xs transition-[color,box-shadow] outline-none placeholder:text-muted-foreground md:text-sm',
        'focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40',
        'aria-invalid:border-destructive aria-invalid:ring-destructive/20',
        className,
      )}
      {...props}
    />
  )
}

/**
 * The same error with field paths renamed (`amount_minor` → `amount`) where a form field
 * holds the value in another shape than the API field; other errors unchanged.
 */
export function renameFieldPaths(error: unknown, rename: Record<string, string>): unknown {
  if (!(error instanceof ApiError) || error.fieldErrors.length === 0) return error
  return new ApiError(
    error.status,
    error.code,
    error.message,
    error.details,
    error.fieldErrors.map((f) => ({ ...f, path: rename[f.path] ?? f.path })),
  )
}
