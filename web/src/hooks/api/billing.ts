/**
 * Billing, affiliate and billing-admin hooks (`/api/v1/billing/**`). Shapes: the billing module's
 * README "API" and its routes (`src/modules/billing/billing.routes.ts`, `affiliates.routes.ts`). Units: `*_minor` are
 * integer minor units (cents) of `currency`; `amount` of quotes and orders is in major units
 * (euros, ≤ 2 decimals); visits are integers; times are ISO 8601 UTC.
 *
 * Lists page with a cursor (`{items, next_cursor}`, `?limit=&cursor=`): the hooks here are
 * infinite queries whose `fetchNextPage` loads the next page ("Load more").
 */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query'
import { api, apiUrl, type QueryParams } from '@/lib/api'

/** A page of a cursor list: `next_cursor` is null on the last page. */
export interface CursorPage<T> {
  items: T[]
  next_cursor: string | null
}

/** One row of the tier table: from `from` (major units) up, `rate` per 1,000 visits. */
export interface QuoteTier {
  from: number
  rate: number
}

/** `GET /billing/quote?amount=` */
export interface Quote {
  amount: number
  currency: string
  /** Price of 1,000 visits, major units. */
  rate: number
  rate_minor_per_1000: number
  estimated_visits: number
  /** Index into `tiers` of the tier that applies. */
  tier: number
  tiers: QuoteTier[]
  min_amount: number
  max_amount: number
}

/** `GET /billing/balance` */
export interface Balance {
  visits: { available: number; reserved: number }
  affiliate: { currency: string; pending_minor: number; available_minor: number; paid_minor: number }
}

export const ORDER_STATUSES = ['pending', 'paid', 'expired', 'cancelled', 'refunded', 'disputed'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** How to pay an order with one provider: a link to open, or instructions (bank transfer). */
export interface PaymentOption {
  provider: 'stripe' | 'revolut' | 'wise' | (string & {})
  kind: 'link' | 'instructions'
  url?: string
  instructions?: string
}

/** An order: a locked quote awaiting payment (`POST /billing/orders`, `GET /billing/orders`). */
export interface Order {
  id: string
  reference: string
  amount: number
  amount_minor: number
  currency: string
  rate: number
  visits: number
  tier: number
  status: OrderStatus
  expires_at: string | null
  paid_at: string | null
  created_at: string
  payment: PaymentOption[]
}

/** One ledger movement of a transaction: `delta` in units of `asset` (visits or minor units). */
export interface TransactionChange {
  account: string
  asset: string
  delta: number
}

/** A posting that touched the workspace's accounts (`GET /billing/transactions`). */
export interface Transaction {
  id: string
  type: string
  created_at: string
  reference: string | null
  description: string | null
  visits_delta: number
  changes: TransactionChange[]
}

/** The posting types the ledger books (filter of the transactions list). */
export const TRANSACTION_TYPES = [
  'deposit',
  'spend',
  'bonus',
  'adjustment',
  'refund',
  'hold',
  'hold_commit',
  'hold_release',
  'commission',
  'commission_release',
  'commission_reversal',
  'payout',
] as const

export interface TransactionFilter {
  type?: string
  /** ISO date-time (inclusive). */
  from?: string
  /** ISO date-time (exclusive). */
  to?: string
}

/** `GET /billing/affiliate` */
export interface AffiliateSummary {
  code: string
  link: string
  /** Share of each paid amount, 0..1. */
  commission_rate: number
  hold_days: number
  min_payout_minor: number
  currency: string
  signups: number
  paying_referrals: number
  /** `available_minor` < 0 is a debt (a commission reversed after payout); `requested_minor` = in open payout requests. */
  earnings: { pending_minor: number; available_minor: number; requested_minor?: number; paid_minor: number }
}

export interface Referral {
  email_masked: string
  joined_at: string
  paying: boolean
  earned_minor: number
  flagged: boolean
}

export interface Commission {
  id: string
  amount_minor: number
  currency: string
  status: 'pending' | 'available' | 'reversed'
  available_at: string
  created_at: string
}

export type PayoutStatus = 'requested' | 'paid' | 'rejected'

/**
 * A payout request, as `payoutOut` of `affiliates.routes.ts` answers it:
 * `requested_at`, with `created_at` read as a fallback.
 */
export interface Payout {
  id: string
  amount_minor: number
  currency: string
  status: PayoutStatus
  destination: string
  paid_reference?: string | null
  /** Why it was rejected. */
  note?: string | null
  decided_at?: string | null
  requested_at?: string
  created_at?: string
  /** Admin list: whose payout. */
  user_id?: string
  user_email?: string | null
}

/** Statuses of payment events (`GET /billing/admin/payments?status=`). */
export const PAYMENT_EVENT_STATUSES = [
  'unmatched',
  'deferred',
  'received',
  'applied',
  'ignored',
  'rejected',
] as const

/** `GET /billing/admin/payments` item: a provider payment event. */
export interface PaymentEvent {
  id: string
  provider: string
  event_id: string
  event_type: string
  kind: string
  status: string
  amount_minor: number | null
  currency: string | null
  payer_email: string | null
  order_reference: string | null
  order_id: string | null
  workspace_id: string | null
  note: string | null
  received_at: string
  applied_at: string | null
}

/** `GET /billing/admin/referrals?flagged=true` item (shape not in the contract: read leniently). */
export interface AdminReferral {
  user_id: string
  email?: string | null
  referred_by?: string | null
  referrer_email?: string | null
  referred_at?: string | null
  flag?: string | null
  signup_ip?: string | null
}

/** `GET /billing/admin/audit` item. */
export interface AuditEntry {
  id: string | number
  at: string
  actor_user_id: string | null
  workspace_id: string | null
  action: string
  reason: string | null
  details: Record<string, unknown>
}

const keys = {
  all: ['billing'] as const,
  quote: (amount: number) => ['billing', 'quote', amount] as const,
  balance: ['billing', 'balance'] as const,
  orders: (p: object) => ['billing', 'orders', p] as const,
  transactions: (p: object) => ['billing', 'transactions', p] as const,
  affiliate: ['billing', 'affiliate'] as const,
  affiliateList: (what: string) => ['billing', 'affiliate', what] as const,
  admin: (what: string, p: object = {}) => ['billing', 'admin', what, p] as const,
}
export const billingKeys = keys

const PAGE = 50

/** A cursor list as an infinite query (first page, then `fetchNextPage` with `next_cursor`). */
function useCursorList<T>(queryKey: readonly unknown[], path: string, params: QueryParams = {}) {
  return useInfiniteQuery({
    queryKey,
    queryFn: ({ signal, pageParam }) =>
      api.get<CursorPage<T>>(path, { limit: PAGE, ...params, cursor: pageParam ?? undefined }, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  })
}

/** The items of every loaded page of a cursor list. */
export function itemsOf<T>(data: { pages: CursorPage<T>[] } | undefined): T[] {
  return data?.pages.flatMap((p) => p.items) ?? []
}

/** `GET /billing/quote?amount=` — disabled while `amount` is null (nothing valid typed yet). */
export function useQuote(amount: number | null) {
  return useQuery({
    queryKey: keys.quote(amount ?? 0),
    queryFn: ({ signal }) => api.get<Quote>('/billing/quote', { amount: amount ?? 0 }, { signal }),
    enabled: amount !== null,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    retry: false,
  })
}

/**
 * `GET /billing/balance`; `refetchMs` polls it (e.g. while visits are being spent): a delay
 * in ms, or a function of the last balance giving one (false = no polling).
 */
export function useBalance(
  opts: { refetchMs?: number | false | ((b: Balance | undefined) => number | false) } = {},
) {
  const r = opts.refetchMs ?? false
  return useQuery({
    queryKey: keys.balance,
    queryFn: ({ signal }) => api.get<Balance>('/billing/balance', undefined, { signal }),
    refetchInterval: typeof r === 'function' ? (q) => r(q.state.data) : r,
  })
}

export function useOrders(status?: OrderStatus) {
  return useCursorList<Order>(keys.orders({ status }), '/billing/orders', { status })
}

/** `POST /billing/orders {amount}` → 201 Order. */
export function useCreateOrder() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { amount: number }) => api.post<Order>('/billing/orders', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['billing', 'orders'] }),
  })
}

/** `POST /billing/orders/:id/cancel` (pending orders only). */
export function useCancelOrder() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.post<Order>(`/billing/orders/${encodeURIComponent(id)}/cancel`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['billing', 'orders'] }),
  })
}

export function useTransactions(filter: TransactionFilter) {
  return useCursorList<Transaction>(keys.transactions(filter), '/billing/transactions', { ...filter })
}

/** The CSV download URL of the transactions list with `filter` (same-origin, session cookie). */
export function transactionsCsvUrl(filter: TransactionFilter): string {
  return apiUrl('/billing/transactions', { ...filter, format: 'csv' })
}

export function useAffiliate() {
  return useQuery({
    queryKey: keys.affiliate,
    queryFn: ({ signal }) => api.get<AffiliateSummary>('/billing/affiliate', undefined, { signal }),
  })
}

export function useReferrals() {
  return useCursorList<Referral>(keys.affiliateList('referrals'), '/billing/affiliate/referrals')
}

export function useCommissions() {
  return useCursorList<Commission>(keys.affiliateList('commissions'), '/billing/affiliate/commissions')
}

export function usePayouts() {
  return useCursorList<Payout>(keys.affiliateList('payouts'), '/billing/affiliate/payouts')
}

/** `POST /billing/affiliate/payouts {destination, amount_minor?}` (no amount: all available). */
export function useRequestPayout() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { destination: string; amount_minor?: number }) =>
      api.post<Payout>('/billing/affiliate/payouts', body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.affiliate })
      void qc.invalidateQueries({ queryKey: keys.balance })
    },
  })
}

// ---- admin ----

export function useAdminPayments(status: string) {
  return useCursorList<PaymentEvent>(keys.admin('payments', { status }), '/billing/admin/payments', {
    status: status || undefined,
  })
}

/** `POST /billing/admin/payments/:id/assign {order_id}` — applies an unmatched payment. */
export function useAssignPayment() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ id, order_id }: { id: string; order_id: string }) =>
      api.post<unknown>(`/billing/admin/payments/${encodeURIComponent(id)}/assign`, { order_id }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['billing', 'admin'] }),
  })
}

/** `POST /billing/admin/adjustments {workspace_id, visits, reason}` → 201 posting. */
export function useAdjustment() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { workspace_id: string; visits: number; reason: string }) =>
      api.post<{ id: string }>('/billing/admin/adjustments', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.all }),
  })
}

export function useAdminPayouts(status: string) {
  return useCursorList<Payout>(keys.admin('payouts', { status }), '/billing/admin/payouts', {
    status: status || undefined,
  })
}

/** The CSV download URL of the admin payouts list with `status`. */
export function adminPayoutsCsvUrl(status: string): string {
  return apiUrl('/billing/admin/payouts', { status: status || undefined, format: 'csv' })
}

/** `POST /billing/admin/payouts/:id/paid {reference}` or `/reject {reason}`. */
export function useDecidePayout() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (
      d: { id: string; action: 'paid'; reference: string } | { id: string; action: 'reject'; reason: string },
    ) =>
      api.post<Payout>(
        `/billing/admin/payouts/${encodeURIComponent(d.id)}/${d.action}`,
        d.action === 'paid' ? { reference: d.reference } : { reason: d.reason },
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['billing', 'admin'] }),
  })
}

export function useAdminReferrals() {
  return useCursorList<AdminReferral>(
    keys.admin('referrals', { flagged: true }),
    '/billing/admin/referrals',
    {
      flagged: true,
    },
  )
}

export function useAudit() {
  return useCursorList<AuditEntry>(keys.admin('audit'), '/billing/admin/audit')
}
