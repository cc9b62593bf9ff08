/**
 * Drizzle tables of the billing module: the double-entry ledger (accounts, postings,
 * transfers, holds), orders with their locked quotes, payment webhook events (the unmatched
 * queue is the events with status `unmatched`), affiliates (codes, referrals, commissions,
 * payouts) and the billing audit log.
 *
 * Ledger invariants (README "Ledger"): transfers are immutable rows, written only inside a
 * posting; `ledger_accounts.balance` is a cache of Σ credits − Σ debits updated in the same
 * transaction, never written otherwise; for every asset the balances sum to 0.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, ms, pk } from '../../platform/db/columns.ts'

/**
 * One ledger account: an owner (a workspace, a user for affiliate money, or the platform),
 * a purpose (`available`, `reserved`, `affiliate_pending`, `payments_in`, …) and an asset
 * (`visits`, or an ISO 4217 currency code for money in minor units). Created on first use.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: pk(),
    ownerType: text('owner_type', { enum: ['workspace', 'user', 'system'] }).notNull(),
    /** Workspace or user ID; null for system accounts. No foreign key: the ledger is append-only. */
    ownerId: uuid('owner_id'),
    purpose: text('purpose').notNull(),
    asset: text('asset').notNull(),
    /** Whether Σ credits − Σ debits may go below 0 (system sources, affiliate debt). */
    allowNegative: boolean('allow_negative').notNull(),
    /** Cached Σ credits − Σ debits (integer units of `asset`), updated with each posting. */
    balance: bigint('balance', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: createdAt(),
  },
  (t) => [
    unique('ledger_accounts_key').on(t.ownerType, t.ownerId, t.purpose, t.asset).nullsNotDistinct(),
    check('ledger_accounts_negative', sql`${t.allowNegative} OR ${t.balance} >= 0`),
  ],
)

/**
 * A posting: several transfers committed atomically, with an idempotency key. The same key
 * with the same content (`digest`) returns the first posting; different content is a 409.
 */
export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    id: pk(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    /** SHA-256 of the canonical content (type, transfers, reference, metadata). */
    digest: text('digest').notNull(),
    /** deposit | spend | bonus | adjustment | commission | commission_release | commission_reversal | refund | payout | hold | hold_commit | hold_release */
    type: text('type').notNull(),
    /** The workspace the posting concerns, for listing and scoping (null for user-only postings). */
    workspaceId: uuid('workspace_id'),
    /** Free reference (order reference, payment event ID, payout ID, hold ID). */
    reference: text('reference'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [index('ledger_postings_workspace').on(t.workspaceId, t.createdAt)],
)

/** An immutable movement of `amount` (> 0) of one asset from the debit to the credit account. */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    postingId: uuid('posting_id')
      .notNull()
      .references(() => ledgerPostings.id),
    debitAccountId: uuid('debit_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    creditAccountId: uuid('credit_account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    asset: text('asset').notNull(),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    check('ledger_transfers_positive', sql`${t.amount} > 0`),
    check('ledger_transfers_two_accounts', sql`${t.debitAccountId} <> ${t.creditAccountId}`),
    index('ledger_transfers_posting').on(t.postingId),
    index('ledger_transfers_debit').on(t.debitAccountId, t.id),
    index('ledger_transfers_credit').on(t.creditAccountId, t.id),
  ],
)

/**
 * A hold for metered spending: `amount` moved from `available` to `reserved` of a workspace;
 * commits move parts of it to spend, the release returns the rest. `committed + released`
 * never exceeds `amount`; a closed hold accepts nothing more.
 */
export const ledgerHolds = pgTable(
  'ledger_holds',
  {
    id: pk(),
    workspaceId: uuid('workspace_id').notNull(),
    asset: text('asset').notNull(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    committed: bigint('committed', { mode: 'bigint' }).notNull().default(sql`0`),
    released: bigint('released', { mode: 'bigint' }).notNull().default(sql`0`),
    status: text('status', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    /** Free reference of the holder (e.g. a visitor project ID). */
    reference: text('reference'),
    expiresAt: ms('expires_at'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    check(
      'ledger_holds_bounds',
      sql`${t.committed} >= 0 AND ${t.released} >= 0 AND ${t.committed} + ${t.released} <= ${t.amount}`,
    ),
    index('ledger_holds_workspace').on(t.workspaceId, t.status),
  ],
)

/**
 * An order: a locked quote (rate and visits) awaiting payment. `reference` is what the payer
 * puts in the payment's reference/metadata; a paid order credits its visits once.
 */
export const billingOrders = pgTable(
  'billing_orders',
  {
    id: pk(),
    workspaceId: uuid('workspace_id').notNull(),
    /** The user who placed it (whose referrer earns the commission). */
    userId: uuid('user_id').notNull(),
    reference: text('reference').notNull().unique(),
    /** Amount in minor units of `currency` (cents). */
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** Locked CPM: minor units per 1,000 visits (43 = €0.43). */
    rateMinorPer1000: integer('rate_minor_per_1000').notNull(),
    /** 0-based index of the quote tier. */
    tier: integer('tier').notNull(),
    visits: bigint('visits', { mode: 'number' }).notNull(),
    status: text('status', {
      enum: ['pending', 'paid', 'expired', 'cancelled', 'refunded', 'disputed'],
    })
      .notNull()
      .default('pending'),
    /** The quote is honoured until then (a later payment still credits; see README). */
    expiresAt: ms('expires_at').notNull(),
    paidAt: ms('paid_at'),
    /** The payment event that paid it. */
    paymentEventId: uuid('payment_event_id'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [index('billing_orders_workspace').on(t.workspaceId, t.createdAt)],
)

/**
 * Every webhook delivery, with its verification outcome. Verified events are unique per
 * (provider, event ID): a replay or a concurrent duplicate finds the row and changes nothing.
 * Unverified deliveries are stored without an event ID (and never applied).
 */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: pk(),
    provider: text('provider', { enum: ['stripe', 'revolut', 'wise'] }).notNull(),
    /** The provider's event/delivery ID; null when the signature failed. */
    eventId: text('event_id'),
    /** ok | bad_signature | stale | malformed */
    verification: text('verification').notNull(),
    /** Provider event type (checkout.session.completed, TransactionStateChanged, …). */
    eventType: text('event_type'),
    /** payment | refund | dispute | other */
    kind: text('kind'),
    /** received | applied | ignored | unmatched | rejected */
    status: text('status').notNull(),
    /** The provider's payment ID (charge, payment intent, transaction, transfer). */
    paymentRef: text('payment_ref'),
    amountMinor: bigint('amount_minor', { mode: 'number' }),
    currency: text('currency'),
    payerEmail: text('payer_email'),
    /** The order reference found in the payment (reference text or metadata). */
    orderReference: text('order_reference'),
    orderId: uuid('order_id'),
    workspaceId: uuid('workspace_id'),
    /** Raw body as received (for audit and re-verification). */
    body: text('body').notNull(),
    note: text('note'),
    receivedAt: ms('received_at').notNull(),
    appliedAt: ms('applied_at'),
  },
  (t) => [
    uniqueIndex('payment_events_provider_event')
      .on(t.provider, t.eventId)
      .where(sql`${t.eventId} IS NOT NULL`),
    index('payment_events_status').on(t.status, t.receivedAt),
    index('payment_events_payment').on(t.provider, t.paymentRef),
  ],
)

/**
 * A user's affiliate record: the code of their link and, set once at sign-up, who referred
 * them (first touch). `flag` marks a referral for review (e.g. same IP as the referrer).
 */
export const affiliates = pgTable(
  'affiliates',
  {
    userId: uuid('user_id').primaryKey(),
    code: text('code').notNull().unique(),
    referredBy: uuid('referred_by'),
    referredAt: ms('referred_at'),
    /** Client IP at sign-up (for the same-IP check). */
    signupIp: text('signup_ip'),
    /** Why the referral needs review (null = none). */
    flag: text('flag'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [index('affiliates_referred_by').on(t.referredBy)],
)

/**
 * One commission per credited payment of a referred user (unique per payment event), pending
 * until `available_at` (the hold), then available; a refund books a reversal.
 */
export const affiliateCommissions = pgTable(
  'affiliate_commissions',
  {
    id: pk(),
    referrerId: uuid('referrer_id').notNull(),
    refereeId: uuid('referee_id').notNull(),
    orderId: uuid('order_id'),
    paymentEventId: uuid('payment_event_id').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** pending | available | reversed */
    status: text('status').notNull(),
    availableAt: ms('available_at').notNull(),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [
    unique('affiliate_commissions_payment').on(t.paymentEventId),
    index('affiliate_commissions_referrer').on(t.referrerId, t.createdAt),
    index('affiliate_commissions_due').on(t.status, t.availableAt),
  ],
)

/** A payout request of available affiliate money; an admin marks it paid with a reference. */
export const affiliatePayouts = pgTable(
  'affiliate_payouts',
  {
    id: pk(),
    userId: uuid('user_id').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** requested | paid | rejected */
    status: text('status').notNull(),
    /** Where to pay (IBAN, PayPal, … as the affiliate typed it). */
    destination: text('destination').notNull(),
    paidReference: text('paid_reference'),
    decidedBy: uuid('decided_by'),
    decidedAt: ms('decided_at'),
    note: text('note'),
    createdAt: ms('created_at').notNull(),
  },
  (t) => [index('affiliate_payouts_status').on(t.status, t.createdAt)],
)

/** Admin and money actions: who, what, on which workspace/user, with the reason. */
export const billingAudit = pgTable(
  'billing_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ms('at').notNull(),
    actorUserId: uuid('actor_user_id'),
    workspaceId: uuid('workspace_id'),
    /** adjustment | assign_payment | payout_paid | payout_rejected | order_cancelled | … */
    action: text('action').notNull(),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('billing_audit_at').on(t.at)],
)
