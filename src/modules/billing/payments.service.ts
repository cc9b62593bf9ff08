/**
 * Orders, payment webhooks and admin money actions (the imperative shell around
 * `pricing.core.ts` and `payments.core.ts`). Money and visits move only through the ledger
 * repository, inside the same transaction as the rows they belong to.
 *
 * Webhook flow: verify (raw body) → record in `payment_events` (unique per provider +
 * event ID, so a replay or a concurrent duplicate finds the row) → apply in one transaction
 * (the event row is locked and applied only from status `received`) → answer 2xx. A failed
 * apply leaves the event `received`; its redelivery (or {@link BillingService.retryReceived})
 * applies it. Ledger idempotency keys (`order:<id>:paid`, `order:<id>:reversal`,
 * `order:<id>:commission_reversal`) make the effect once per order whatever the events.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { and, desc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Clock } from '../../platform/clock.ts'
import { recordChange } from '../../platform/changelog/index.ts'
import { type Db, rowsOf } from '../../platform/db/client.ts'
import { badRequest, conflict, notFound } from '../../platform/errors.ts'
import type { Logger } from '../../platform/logger.ts'
import { users, workspaceMembers } from '../accounts/index.ts'
import { commissionMinor } from './affiliates.core.ts'
import {
  affiliateCommissions,
  affiliates,
  billingAudit,
  billingOrders,
  paymentEvents,
} from './billing.tables.ts'
import { type AccountRef, accounts, type PostingType, type TransferSpec, VISITS } from './ledger.core.ts'
import { createLedgerRepository, type PostingRow } from './ledger.repository.ts'
import {
  decidePayment,
  decideReversal,
  type Observation,
  type OrderState,
  PROVIDERS,
  type Provider,
  paymentLink,
  proportional,
  referenceFromBytes,
  revolutObservation,
  stripeObservation,
  wiseObservation,
} from './payments.core.ts'
import {
  type Headers,
  verifyRevolut,
  verifyStripe,
  verifyWise,
  WISE_PRODUCTION_PUBLIC_KEY,
  WISE_SANDBOX_PUBLIC_KEY,
  wisePublicKey,
} from './payments.verify.ts'
import { type PriceTier, quote, toMajor } from './pricing.core.ts'

/** Operator settings of billing (src/server.ts maps them from src/config.ts). */
export interface BillingSettings {
  /** ISO 4217, two decimals. */
  currency: string
  tiers: readonly PriceTier[]
  minAmountMinor: number
  maxAmountMinor: number
  quoteTtlMs: number
  links: Partial<Record<Provider, string>>
  bankInstructions?: string | undefined
  stripeSecrets: readonly string[]
  revolutSecrets: readonly string[]
  /** Wise public key PEM (default the official production key). */
  wisePublicKeyPem?: string | undefined
  /** 0..1 */
  commissionRate: number
  holdDays: number
}

/** {@link BillingSettings} from the parsed environment (the `BILLING_*`, `STRIPE_*`, `REVOLUT_*`, `AFFILIATE_*` variables). */
export function billingSettingsFromEnv(env: {
  BILLING_CURRENCY: string
  BILLING_PRICE_TIERS: PriceTier[]
  BILLING_MIN_AMOUNT: number
  BILLING_MAX_AMOUNT: number
  BILLING_QUOTE_TTL_MINUTES: number
  BILLING_STRIPE_LINK?: string | undefined
  BILLING_REVOLUT_LINK?: string | undefined
  BILLING_WISE_LINK?: string | undefined
  BILLING_BANK_INSTRUCTIONS?: string | undefined
  STRIPE_WEBHOOK_SECRET: string[]
  REVOLUT_WEBHOOK_SECRET: string[]
  BILLING_WISE_PUBLIC_KEY?: string | undefined
  BILLING_WISE_ENV: 'production' | 'sandbox'
  AFFILIATE_COMMISSION_RATE: number
  AFFILIATE_HOLD_DAYS: number
}): BillingSettings {
  const links: Partial<Record<Provider, string>> = {}
  if (env.BILLING_STRIPE_LINK) links.stripe = env.BILLING_STRIPE_LINK
  if (env.BILLING_REVOLUT_LINK) links.revolut = env.BILLING_REVOLUT_LINK
  if (env.BILLING_WISE_LINK) links.wise = env.BILLING_WISE_LINK
  return {
    currency: env.BILLING_CURRENCY,
    tiers: env.BILLING_PRICE_TIERS,
    minAmountMinor: env.BILLING_MIN_AMOUNT * 100,
    maxAmountMinor: env.BILLING_MAX_AMOUNT * 100,
    quoteTtlMs: env.BILLING_QUOTE_TTL_MINUTES * 60_000,
    links,
    bankInstructions: env.BILLING_BANK_INSTRUCTIONS || undefined,
    stripeSecrets: env.STRIPE_WEBHOOK_SECRET,
    revolutSecrets: env.REVOLUT_WEBHOOK_SECRET,
    wisePublicKeyPem:
      env.BILLING_WISE_PUBLIC_KEY ||
      (env.BILLING_WISE_ENV === 'sandbox' ? WISE_SANDBOX_PUBLIC_KEY : WISE_PRODUCTION_PUBLIC_KEY),
    commissionRate: env.AFFILIATE_COMMISSION_RATE,
    holdDays: env.AFFILIATE_HOLD_DAYS,
  }
}

/** Dependencies of {@link createBillingService}. */
export interface BillingServiceDeps {
  db: Db
  clock: Clock
  settings: BillingSettings
  logger?: Logger
}

type OrderRow = typeof billingOrders.$inferSelect
type EventRow = typeof paymentEvents.$inferSelect

/** An order as the API answers it (module README "API"). */
export interface OrderJson {
  id: string
  reference: string
  amount: number
  amount_minor: number
  currency: string
  rate: number
  visits: number
  tier: number
  status: OrderRow['status']
  expires_at: string
  paid_at: string | null
  created_at: string
  payment: {
    provider: Provider | 'bank'
    kind: 'link' | 'instructions'
    url?: string
    instructions?: string
  }[]
}

/** A page of a list: `next_cursor` continues it (null = last page). */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** A webhook answer: HTTP status and JSON body. */
export interface WebhookAnswer {
  status: number
  body: Record<string, unknown>
}

const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url')
/** Decodes a list cursor; 400 when it is not one of ours. */
export function decodeCursor(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString().split('|')
  const d = new Date(at ?? '')
  if (!id || Number.isNaN(d.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw badRequest('bad cursor')
  return { at: d, id }
}

/** Builds the billing service (orders, webhooks, balances, transactions, admin). */
export function createBillingService(deps: BillingServiceDeps) {
  const { db, clock, settings } = deps
  const ledger = createLedgerRepository(db)
  const wiseKey = settings.wisePublicKeyPem ? wisePublicKey(settings.wisePublicKeyPem) : undefined
  const tx = <T>(fn: (t: Db) => Promise<T>): Promise<T> => db.transaction((t) => fn(t as unknown as Db))

  // ---- orders -----------------------------------------------------------------------

  /** The displayed status: a pending order past its quote's validity shows as expired (a payment still credits it). */
  const shownStatus = (o: OrderRow, now: Date): OrderRow['status'] =>
    o.status === 'pending' && o.expiresAt.getTime() < now.getTime() ? 'expired' : o.status

  function orderJson(o: OrderRow, now: Date): OrderJson {
    const payment: OrderJson['payment'] = []
    for (const p of PROVIDERS) {
      const base = settings.links[p]
      if (base)
        payment.push({ provider: p, kind: 'link', url: paymentLink(base, p, o.reference, o.amountMinor) })
    }
    if (settings.bankInstructions)
      payment.push({
        provider: 'bank',
        kind: 'instructions',
        instructions: settings.bankInstructions
          .replaceAll('{reference}', o.reference)
          .replaceAll('{amount}', `${(o.amountMinor / 100).toFixed(2)} ${o.currency}`),
      })
    return {
      id: o.id,
      reference: o.reference,
      amount: toMajor(o.amountMinor),
      amount_minor: o.amountMinor,
      currency: o.currency,
      rate: toMajor(o.rateMinorPer1000),
      visits: o.visits,
      tier: o.tier,
      status: shownStatus(o, now),
      expires_at: o.expiresAt.toISOString(),
      paid_at: o.paidAt?.toISOString() ?? null,
      created_at: o.createdAt.toISOString(),
      payment,
    }
  }

  /** 400 unless `amountMinor` is within the configured bounds. */
  function checkAmount(amountMinor: number): void {
    if (amountMinor < settings.minAmountMinor || amountMinor > settings.maxAmountMinor)
      throw badRequest(
        `amount must be between ${toMajor(settings.minAmountMinor)} and ${toMajor(settings.maxAmountMinor)}`,
        [{ path: 'amount', message: 'out of range' }],
      )
  }

  /** Inserts a pending order with a fresh reference (retried on the rare reference collision). */
  async function insertOrder(
    t: Db,
    o: { workspaceId: string; userId: string; amountMinor: number },
    now: Date,
  ) {
    const q = quote(o.amountMinor, settings.tiers)
    for (let attempt = 0; ; attempt++) {
      const reference = referenceFromBytes(randomBytes(16))
      const rows = await t
        .insert(billingOrders)
        .values({
          workspaceId: o.workspaceId,
          userId: o.userId,
          reference,
          amountMinor: q.amountMinor,
          currency: settings.currency,
          rateMinorPer1000: q.rateMinorPer1000,
          tier: q.tier,
          visits: q.visits,
          expiresAt: new Date(now.getTime() + settings.quoteTtlMs),
          createdAt: now,
        })
        .onConflictDoNothing({ target: billingOrders.reference })
        .returning()
      if (rows[0]) return rows[0]
      if (attempt > 5) throw new Error('could not draw a free order reference')
    }
  }

  // ---- applying payments -------------------------------------------------------------

  async function orderState(t: Db, o: OrderRow): Promise<OrderState> {
    let paidBy: OrderState['paidBy'] = null
    if (o.paymentEventId) {
      const [e] = await t
        .select({ provider: paymentEvents.provider, paymentRef: paymentEvents.paymentRef })
        .from(paymentEvents)
        .where(eq(paymentEvents.id, o.paymentEventId))
      if (e) paidBy = { provider: e.provider, paymentRef: e.paymentRef }
    }
    return {
      id: o.id,
      amountMinor: o.amountMinor,
      currency: o.currency,
      visits: o.visits,
      status: o.status,
      expiresAt: o.expiresAt,
      paidBy,
    }
  }

  const lockOrder = async (t: Db, cond: SQL | undefined): Promise<OrderRow | undefined> =>
    (
      await t
        .select()
        .from(billingOrders)
        .where(cond)
        .orderBy(desc(billingOrders.createdAt))
        .limit(1)
        .for('update')
    )[0]

  /** The order a payment names: its reference, else the payer's latest pending order of that amount. */
  async function matchOrder(t: Db, ev: EventRow): Promise<OrderRow | undefined> {
    if (ev.orderReference) {
      const o = await lockOrder(t, eq(billingOrders.reference, ev.orderReference))
      if (o) return o
    }
    if (ev.payerEmail && ev.amountMinor !== null) {
      const [u] = await t
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.email}) = ${ev.payerEmail.toLowerCase()}`)
      if (u) {
        const wsOf = t
          .select({ id: workspaceMembers.workspaceId })
          .from(workspaceMembers)
          .where(eq(workspaceMembers.userId, u.id))
        return lockOrder(
          t,
          and(
            or(eq(billingOrders.userId, u.id), inArray(billingOrders.workspaceId, wsOf)),
            eq(billingOrders.status, 'pending'),
            eq(billingOrders.amountMinor, ev.amountMinor),
            eq(billingOrders.currency, ev.currency ?? ''),
          ),
        )
      }
    }
    return undefined
  }

  const setEvent = (t: Db, id: string, v: Partial<typeof paymentEvents.$inferInsert>) =>
    t.update(paymentEvents).set(v).where(eq(paymentEvents.id, id))

  /** Credits an order's visits (and money, and the referrer's commission) once, marking it paid by `ev`. */
  async function creditOrder(t: Db, order: OrderRow, ev: EventRow, note: string | null, now: Date) {
    const paidMinor = ev.amountMinor ?? order.amountMinor
    const [aff] = await t
      .select({ referredBy: affiliates.referredBy })
      .from(affiliates)
      .where(eq(affiliates.userId, order.userId))
    // Self-referral earns nothing (module README "Affiliates").
    const referrer = aff?.referredBy && aff.referredBy !== order.userId ? aff.referredBy : null
    const commission = referrer ? commissionMinor(paidMinor, settings.commissionRate) : 0
    const transfers: TransferSpec[] = []
    if (order.visits > 0)
      transfers.push({
        debit: accounts.visitsIssued(),
        credit: accounts.visitsAvailable(order.workspaceId),
        amount: BigInt(order.visits),
      })
    if (paidMinor > 0)
      transfers.push({
        debit: accounts.paymentsIn(order.currency),
        credit: accounts.revenue(order.currency),
        amount: BigInt(paidMinor),
      })
    if (referrer && commission > 0)
      transfers.push({
        debit: accounts.commissionExpense(order.currency),
        credit: accounts.affiliatePending(referrer, order.currency),
        amount: BigInt(commission),
      })
    if (transfers.length > 0)
      await ledger.post(
        {
          idempotencyKey: `order:${order.id}:paid`,
          type: 'deposit',
          workspaceId: order.workspaceId,
          reference: order.reference,
          metadata: {
            order_id: order.id,
            payment_event_id: ev.id,
            provider: ev.provider,
            visits: order.visits,
            paid_minor: paidMinor,
            commission_minor: commission,
            referrer_id: referrer,
          },
          transfers,
        },
        now,
        t,
      )
    if (referrer && commission > 0)
      await t
        .insert(affiliateCommissions)
        .values({
          referrerId: referrer,
          refereeId: order.userId,
          orderId: order.id,
          paymentEventId: ev.id,
          amountMinor: commission,
          currency: order.currency,
          status: 'pending',
          availableAt: new Date(now.getTime() + settings.holdDays * 86_400_000),
          createdAt: now,
        })
        .onConflictDoNothing()
    await t
      .update(billingOrders)
      .set({ status: 'paid', paidAt: now, paymentEventId: ev.id })
      .where(eq(billingOrders.id, order.id))
    await setEvent(t, ev.id, {
      status: 'applied',
      orderId: order.id,
      workspaceId: order.workspaceId,
      appliedAt: now,
      note,
    })
    // A refund that arrived before its payment is applied right after it.
    if (ev.paymentRef) {
      const deferred = await t
        .select()
        .from(paymentEvents)
        .where(
          and(
            eq(paymentEvents.provider, ev.provider),
            eq(paymentEvents.paymentRef, ev.paymentRef),
            eq(paymentEvents.status, 'deferred'),
          ),
        )
        .orderBy(paymentEvents.receivedAt)
        .for('update')
      for (const d of deferred) await applyReversal(t, d, now)
    }
  }

  async function applyPayment(t: Db, ev: EventRow, now: Date) {
    const order = await matchOrder(t, ev)
    const state = order ? await orderState(t, order) : null
    const d = decidePayment(ev, ev.provider, state, now)
    if (d.action === 'credit' && order) return creditOrder(t, order, ev, d.note, now)
    await setEvent(t, ev.id, {
      status: d.action === 'ignore' ? 'ignored' : 'unmatched',
      orderId: order?.id ?? null,
      workspaceId: order?.workspaceId ?? null,
      note: d.note,
    })
  }

  async function applyReversal(t: Db, ev: EventRow, now: Date) {
    if (!ev.paymentRef)
      return setEvent(t, ev.id, {
        status: 'unmatched',
        note: 'a refund or dispute without a payment reference',
      })
    const [paid] = await t
      .select({ orderId: paymentEvents.orderId })
      .from(paymentEvents)
      .where(
        and(
          eq(paymentEvents.provider, ev.provider),
          eq(paymentEvents.paymentRef, ev.paymentRef),
          eq(paymentEvents.kind, 'payment'),
          eq(paymentEvents.status, 'applied'),
        ),
      )
      .limit(1)
    const order = paid?.orderId ? await lockOrder(t, eq(billingOrders.id, paid.orderId)) : undefined
    const available = order ? await ledger.balance(accounts.visitsAvailable(order.workspaceId), t) : 0n
    const d = decideReversal(
      { kind: ev.kind === 'dispute' ? 'dispute' : 'refund', amountMinor: ev.amountMinor },
      order ? await orderState(t, order) : null,
      Number(available),
    )
    if (d.action === 'defer') return setEvent(t, ev.id, { status: 'deferred', note: d.note })
    if (d.action === 'ignore' || !order)
      return setEvent(t, ev.id, {
        status: 'ignored',
        note: d.action === 'ignore' ? d.note : null,
        orderId: order?.id ?? null,
        workspaceId: order?.workspaceId ?? null,
      })
    const transfers: TransferSpec[] = []
    if (d.clawVisits > 0)
      transfers.push({
        debit: accounts.visitsAvailable(order.workspaceId),
        credit: accounts.visitsIssued(),
        amount: BigInt(d.clawVisits),
      })
    if (d.refundMinor > 0)
      transfers.push({
        debit: accounts.revenue(order.currency),
        credit: accounts.paymentsIn(order.currency),
        amount: BigInt(d.refundMinor),
      })
    if (transfers.length > 0)
      await ledger.post(
        {
          idempotencyKey: `order:${order.id}:reversal`,
          type: 'refund',
          workspaceId: order.workspaceId,
          reference: order.reference,
          metadata: {
            order_id: order.id,
            payment_event_id: ev.id,
            kind: d.status,
            refund_minor: d.refundMinor,
            clawed_visits: d.clawVisits,
            unrecovered_visits: d.unrecoveredVisits,
          },
          transfers,
        },
        now,
        t,
      )
    const [c] = await t
      .select()
      .from(affiliateCommissions)
      .where(
        and(eq(affiliateCommissions.orderId, order.id), sql`${affiliateCommissions.status} <> 'reversed'`),
      )
      .for('update')
    if (c) {
      const back = proportional(c.amountMinor, d.refundMinor, order.amountMinor)
      if (back > 0) {
        // Still in its hold: taken from pending; already released: from available (may go negative).
        const from: AccountRef =
          c.status === 'pending'
            ? accounts.affiliatePending(c.referrerId, c.currency)
            : accounts.affiliateAvailable(c.referrerId, c.currency)
        await ledger.post(
          {
            idempotencyKey: `order:${order.id}:commission_reversal`,
            type: 'commission_reversal',
            workspaceId: null,
            reference: order.reference,
            metadata: {
              order_id: order.id,
              commission_id: c.id,
              payment_event_id: ev.id,
              from: from.purpose,
            },
            transfers: [
              { debit: from, credit: accounts.commissionExpense(c.currency), amount: BigInt(back) },
            ],
          },
          now,
          t,
        )
        if (back >= c.amountMinor)
          await t
            .update(affiliateCommissions)
            .set({ status: 'reversed' })
            .where(eq(affiliateCommissions.id, c.id))
      }
    }
    await t.update(billingOrders).set({ status: d.status }).where(eq(billingOrders.id, order.id))
    await setEvent(t, ev.id, {
      status: 'applied',
      orderId: order.id,
      workspaceId: order.workspaceId,
      appliedAt: now,
      note:
        d.unrecoveredVisits > 0 ? `${d.unrecoveredVisits} visits already spent could not be recovered` : null,
    })
  }

  /** Applies a recorded event if it is still `received` (locks it: concurrent duplicates apply once). */
  async function applyEvent(eventRowId: string): Promise<void> {
    await tx(async (t) => {
      const [ev] = await t.select().from(paymentEvents).where(eq(paymentEvents.id, eventRowId)).for('update')
      if (ev?.status !== 'received') return
      const now = clock.now()
      if (ev.kind === 'payment') await applyPayment(t, ev, now)
      else if (ev.kind === 'refund' || ev.kind === 'dispute') await applyReversal(t, ev, now)
      else await setEvent(t, ev.id, { status: 'ignored' })
    })
  }

  function verifyAndParse(
    provider: Provider,
    raw: string,
    headers: Headers,
    nowMs: number,
  ): { ok: true; obs: Observation } | { ok: false; reason: string } {
    const v =
      provider === 'stripe'
        ? verifyStripe(raw, headers, settings.stripeSecrets, nowMs)
        : provider === 'revolut'
          ? verifyRevolut(raw, headers, settings.revolutSecrets, nowMs)
          : verifyWise(raw, headers, wiseKey)
    if (!v.ok) return v
    const obs =
      provider === 'stripe'
        ? stripeObservation(v.body)
        : provider === 'revolut'
          ? revolutObservation(v.body)
          : wiseObservation(v.body)
    return obs ? { ok: true, obs } : { ok: false, reason: 'malformed' }
  }

  const REFUSAL_STATUS: Record<string, number> = {
    missing_signature: 400,
    malformed: 400,
    not_configured: 400,
    bad_signature: 401,
    stale: 401,
  }

  // ---- transactions -------------------------------------------------------------------

  const DESCRIPTIONS: Record<string, string> = {
    deposit: 'Order paid',
    refund: 'Refund or chargeback',
    adjustment: 'Manual adjustment',
    bonus: 'Bonus',
    spend: 'Visits spent',
    hold: 'Visits reserved',
    hold_commit: 'Reserved visits spent',
    hold_release: 'Reservation released',
  }

  function transactionJson(p: PostingRow, workspaceId: string) {
    const net = new Map<string, { account: string; asset: string; delta: bigint }>()
    const touch = (a: AccountRef, d: bigint) => {
      if (a.ownerType !== 'workspace' || a.ownerId !== workspaceId) return
      const k = `${a.purpose}:${a.asset}`
      const cur = net.get(k) ?? { account: a.purpose, asset: a.asset, delta: 0n }
      cur.delta += d
      net.set(k, cur)
    }
    for (const t of p.transfers) {
      touch(t.debit, -t.amount)
      touch(t.credit, t.amount)
    }
    const changes = [...net.values()].filter((c) => c.delta !== 0n)
    const visitsDelta = changes
      .filter((c) => c.asset === VISITS && c.account === 'available')
      .reduce((s, c) => s + c.delta, 0n)
    const reason = typeof p.metadata.reason === 'string' ? `: ${p.metadata.reason}` : ''
    return {
      id: p.id,
      type: p.type,
      created_at: p.createdAt.toISOString(),
      reference: p.reference,
      description: `${DESCRIPTIONS[p.type] ?? p.type}${p.reference && p.type !== 'adjustment' ? ` ${p.reference}` : ''}${reason}`,
      visits_delta: Number(visitsDelta),
      changes: changes.map((c) => ({ account: c.account, asset: c.asset, delta: Number(c.delta) })),
    }
  }

  async function audit(
    t: Db,
    a: {
      actorUserId: string
      workspaceId: string | null
      action: string
      reason?: string | null
      details: Record<string, unknown>
    },
    now: Date,
  ) {
    await t.insert(billingAudit).values({
      at: now,
      actorUserId: a.actorUserId,
      workspaceId: a.workspaceId,
      action: a.action,
      reason: a.reason ?? null,
      details: a.details,
    })
  }

  function eventJson(e: EventRow) {
    return {
      id: e.id,
      provider: e.provider,
      event_id: e.eventId,
      event_type: e.eventType,
      kind: e.kind,
      status: e.status,
      verification: e.verification,
      amount_minor: e.amountMinor,
      currency: e.currency,
      payer_email: e.payerEmail,
      order_reference: e.orderReference,
      order_id: e.orderId,
      workspace_id: e.workspaceId,
      note: e.note,
      received_at: e.receivedAt.toISOString(),
      applied_at: e.appliedAt?.toISOString() ?? null,
    }
  }

  return {
    settings,
    ledger,

    /**
     * The quote for `amountMinor` (cents): contract `GET /billing/quote`.
     * @throws AppError 400 outside the configured min/max.
     */
    quote(amountMinor: number) {
      checkAmount(amountMinor)
      const q = quote(amountMinor, settings.tiers)
      return {
        amount: toMajor(amountMinor),
        currency: settings.currency,
        rate: toMajor(q.rateMinorPer1000),
        rate_minor_per_1000: q.rateMinorPer1000,
        estimated_visits: q.visits,
        tier: q.tier,
        tiers: settings.tiers.map((t) => ({ from: toMajor(t.fromMinor), rate: toMajor(t.rateMinorPer1000) })),
        min_amount: toMajor(settings.minAmountMinor),
        max_amount: toMajor(settings.maxAmountMinor),
      }
    },

    /** Places an order locking the current quote for `quoteTtlMs`. @throws AppError 400 amount out of range. */
    async createOrder(o: { workspaceId: string; userId: string; amountMinor: number }): Promise<OrderJson> {
      checkAmount(o.amountMinor)
      const now = clock.now()
      return orderJson(await insertOrder(db, o, now), now)
    },

    /** The workspace's orders, newest first (`status` filter as displayed, `expired` included). */
    async listOrders(
      workspaceId: string,
      q: { status?: OrderRow['status'] | undefined; limit: number; cursor?: string | undefined },
    ): Promise<Page<OrderJson>> {
      const now = clock.now()
      const conds: (SQL | undefined)[] = [eq(billingOrders.workspaceId, workspaceId)]
      if (q.status === 'expired')
        conds.push(eq(billingOrders.status, 'pending'), lt(billingOrders.expiresAt, now))
      else if (q.status === 'pending')
        conds.push(
          eq(billingOrders.status, 'pending'),
          sql`${billingOrders.expiresAt} >= ${now.toISOString()}`,
        )
      else if (q.status) conds.push(eq(billingOrders.status, q.status))
      if (q.cursor) {
        const c = decodeCursor(q.cursor)
        conds.push(
          sql`(${billingOrders.createdAt}, ${billingOrders.id}) < (${c.at.toISOString()}::timestamptz, ${c.id}::uuid)`,
        )
      }
      const rows = await db
        .select()
        .from(billingOrders)
        .where(and(...conds))
        .orderBy(desc(billingOrders.createdAt), desc(billingOrders.id))
        .limit(q.limit + 1)
      const items = rows.slice(0, q.limit)
      const last = items.at(-1)
      return {
        items: items.map((o) => orderJson(o, now)),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      }
    },

    /** One order of the workspace. @throws AppError 404 (also for another workspace's order). */
    async getOrder(workspaceId: string, id: string): Promise<OrderJson> {
      const [o] = await db
        .select()
        .from(billingOrders)
        .where(and(eq(billingOrders.id, id), eq(billingOrders.workspaceId, workspaceId)))
      if (!o) throw notFound('order')
      return orderJson(o, clock.now())
    },

    /** Cancels a pending order of the workspace. @throws AppError 404, 409 when not pending. */
    async cancelOrder(workspaceId: string, id: string, actorUserId: string): Promise<OrderJson> {
      const now = clock.now()
      return tx(async (t) => {
        const o = await lockOrder(
          t,
          and(eq(billingOrders.id, id), eq(billingOrders.workspaceId, workspaceId)),
        )
        if (!o) throw notFound('order')
        if (o.status !== 'pending')
          throw conflict(`only a pending order can be cancelled (this one is ${o.status})`)
        const [u] = await t
          .update(billingOrders)
          .set({ status: 'cancelled' })
          .where(eq(billingOrders.id, id))
          .returning()
        await audit(
          t,
          {
            actorUserId,
            workspaceId,
            action: 'order_cancelled',
            details: { order_id: id, reference: o.reference },
          },
          now,
        )
        return orderJson(u!, now)
      })
    },

    /** Visits of the workspace and the caller's affiliate money (minor units). */
    async balance(workspaceId: string, userId: string) {
      const ws = await ledger.balances('workspace', workspaceId)
      const us = await ledger.balances('user', userId)
      const of = (rows: typeof ws, purpose: string, asset: string) =>
        Number(rows.find((r) => r.purpose === purpose && r.asset === asset)?.balance ?? 0n)
      return {
        visits: { available: of(ws, 'available', VISITS), reserved: of(ws, 'reserved', VISITS) },
        affiliate: {
          currency: settings.currency,
          pending_minor: of(us, 'affiliate_pending', settings.currency),
          available_minor: of(us, 'affiliate_available', settings.currency),
          paid_minor: of(us, 'affiliate_paid', settings.currency),
        },
      }
    },

    /** Postings that touched the workspace's accounts, newest first. */
    async transactions(
      workspaceId: string,
      q: { types?: PostingType[]; from?: Date; to?: Date; limit: number; cursor?: string | undefined },
    ) {
      const before = q.cursor ? decodeCursor(q.cursor) : undefined
      const rows = await ledger.postings({
        workspaceId,
        ...(q.types ? { types: q.types } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        limit: q.limit + 1,
        ...(before ? { before: { createdAt: before.at, id: before.id } } : {}),
      })
      const items = rows.slice(0, q.limit)
      const last = items.at(-1)
      return {
        items: items.map((p) => transactionJson(p, workspaceId)),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      }
    },

    /**
     * Handles one webhook delivery: 404 unknown provider; 400 (missing signature, malformed,
     * provider not configured) or 401 (bad signature, stale) with nothing applied; else 200
     * once the event is recorded (and, normally, applied). Every delivery is stored.
     */
    async receiveWebhook(providerName: string, raw: string, headers: Headers): Promise<WebhookAnswer> {
      if (!(PROVIDERS as readonly string[]).includes(providerName))
        return { status: 404, body: { error: { code: 'not_found', message: 'unknown payment provider' } } }
      const provider = providerName as Provider
      const now = clock.now()
      const r = verifyAndParse(provider, raw, headers, now.getTime())
      if (!r.ok) {
        await db.insert(paymentEvents).values({
          provider,
          eventId: null,
          verification: r.reason,
          status: 'rejected',
          body: raw,
          receivedAt: now,
        })
        return {
          status: REFUSAL_STATUS[r.reason] ?? 400,
          body: { error: { code: r.reason, message: `webhook refused: ${r.reason.replace(/_/g, ' ')}` } },
        }
      }
      const o = r.obs
      const inserted = rowsOf<{ id: string }>(
        await db.execute(sql`
          INSERT INTO payment_events (provider, event_id, verification, event_type, kind, status, payment_ref,
            amount_minor, currency, payer_email, order_reference, body, note, received_at)
          VALUES (${provider}, ${o.eventId}, 'ok', ${o.eventType}, ${o.kind},
            ${o.kind === 'other' ? 'ignored' : 'received'}, ${o.paymentRef}, ${o.amountMinor}, ${o.currency},
            ${o.payerEmail}, ${o.orderReference}, ${raw}, ${o.note ?? null}, ${now.toISOString()})
          ON CONFLICT (provider, event_id) WHERE event_id IS NOT NULL DO NOTHING
          RETURNING id`),
      )
      let id = inserted[0]?.id
      const duplicate = !id
      if (!id) {
        const [ex] = await db
          .select({ id: paymentEvents.id })
          .from(paymentEvents)
          .where(and(eq(paymentEvents.provider, provider), eq(paymentEvents.eventId, o.eventId)))
        id = ex?.id
      }
      if (id && o.kind !== 'other') {
        try {
          await applyEvent(id)
        } catch (err) {
          // Recorded: a redelivery or retryReceived() applies it. The provider still gets 2xx.
          deps.logger?.error({ err, provider, eventId: o.eventId }, 'payment event recorded but not applied')
        }
      }
      return { status: 200, body: { received: true, duplicate, event_id: o.eventId } }
    },

    /** Applies every event still `received` (a failed apply); answers how many were tried. */
    async retryReceived(): Promise<number> {
      const rows = await db
        .select({ id: paymentEvents.id })
        .from(paymentEvents)
        .where(eq(paymentEvents.status, 'received'))
      for (const r of rows) await applyEvent(r.id)
      return rows.length
    },

    /** Admin: payment events by status (default all), newest first. */
    async adminPayments(q: { status?: string | undefined; limit: number; cursor?: string | undefined }) {
      const conds: (SQL | undefined)[] = []
      if (q.status) conds.push(eq(paymentEvents.status, q.status))
      if (q.cursor) {
        const c = decodeCursor(q.cursor)
        conds.push(
          sql`(${paymentEvents.receivedAt}, ${paymentEvents.id}) < (${c.at.toISOString()}::timestamptz, ${c.id}::uuid)`,
        )
      }
      const rows = await db
        .select()
        .from(paymentEvents)
        .where(and(...conds))
        .orderBy(desc(paymentEvents.receivedAt), desc(paymentEvents.id))
        .limit(q.limit + 1)
      const items = rows.slice(0, q.limit)
      const last = items.at(-1)
      return {
        items: items.map(eventJson),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last.receivedAt, last.id) : null,
      }
    },

    /**
     * Admin: applies an unmatched payment to an order (`orderId`, pending or expired) or to a
     * workspace (`workspaceId` + `userId`: an order is created at the current curve for the
     * paid amount, then credited). Audited.
     * @throws AppError 404 unknown event/order/member, 409 not an unmatched payment or order not payable.
     */
    async assignPayment(
      actorUserId: string,
      eventRowId: string,
      target: { orderId: string } | { workspaceId: string; userId: string },
      reason?: string,
    ) {
      return tx(async (t) => {
        const now = clock.now()
        const [ev] = await t
          .select()
          .from(paymentEvents)
          .where(eq(paymentEvents.id, eventRowId))
          .for('update')
        if (!ev) throw notFound('payment event')
        if (ev.status !== 'unmatched' || ev.kind !== 'payment')
          throw conflict(
            `only an unmatched payment can be assigned (this event is ${ev.kind ?? '?'} ${ev.status})`,
          )
        let order: OrderRow | undefined
        if ('orderId' in target) {
          order = await lockOrder(t, eq(billingOrders.id, target.orderId))
          if (!order) throw notFound('order')
          if (order.status !== 'pending') throw conflict(`the order is ${order.status}`)
        } else {
          const [m] = await t
            .select()
            .from(workspaceMembers)
            .where(
              and(
                eq(workspaceMembers.workspaceId, target.workspaceId),
                eq(workspaceMembers.userId, target.userId),
              ),
            )
          if (!m) throw notFound('workspace member')
          if (!ev.amountMinor || ev.amountMinor < 1) throw conflict('the payment has no amount')
          if (ev.currency !== settings.currency)
            throw conflict(`the payment is in ${ev.currency}, billing in ${settings.currency}`)
          order = await insertOrder(
            t,
            { workspaceId: target.workspaceId, userId: target.userId, amountMinor: ev.amountMinor },
            now,
          )
        }
        await creditOrder(t, order, ev, `assigned by an admin${reason ? `: ${reason}` : ''}`, now)
        await audit(
          t,
          {
            actorUserId,
            workspaceId: order.workspaceId,
            action: 'assign_payment',
            reason: reason ?? null,
            details: {
              payment_event_id: ev.id,
              order_id: order.id,
              reference: order.reference,
              visits: order.visits,
            },
          },
          now,
        )
        const [after] = await t.select().from(paymentEvents).where(eq(paymentEvents.id, ev.id))
        return {
          payment: eventJson(after!),
          order: orderJson((await lockOrder(t, eq(billingOrders.id, order.id)))!, now),
        }
      })
    },

    /**
     * Admin: adds (visits > 0) or removes (< 0) visit credits of a workspace with a reason. Audited.
     * @throws AppError 422 `insufficient_funds` when removing more than available.
     */
    async adjust(actorUserId: string, a: { workspaceId: string; visits: number; reason: string }) {
      return tx(async (t) => {
        const now = clock.now()
        const amount = BigInt(Math.abs(a.visits))
        const up = a.visits > 0
        const r = await ledger.post(
          {
            idempotencyKey: `adjustment:${randomUUID()}`,
            type: 'adjustment',
            workspaceId: a.workspaceId,
            metadata: { reason: a.reason, actor_user_id: actorUserId },
            transfers: [
              up
                ? { debit: accounts.visitsGranted(), credit: accounts.visitsAvailable(a.workspaceId), amount }
                : {
                    debit: accounts.visitsAvailable(a.workspaceId),
                    credit: accounts.visitsGranted(),
                    amount,
                  },
            ],
          },
          now,
          t,
        )
        await audit(
          t,
          {
            actorUserId,
            workspaceId: a.workspaceId,
            action: 'adjustment',
            reason: a.reason,
            details: { visits: a.visits, posting_id: r.postingId },
          },
          now,
        )
        // The adjusted workspace's change log shows the grant (the platform admin's act).
        await recordChange(t as unknown as Db, {
          workspaceId: a.workspaceId,
          objectType: 'billing_adjustment',
          objectId: String(r.postingId),
          objectName: `${a.visits > 0 ? '+' : ''}${a.visits} visits`,
          action: 'create',
          before: null,
          after: { visits: a.visits, reason: a.reason },
        })
        return {
          id: r.postingId,
          type: 'adjustment' as const,
          workspace_id: a.workspaceId,
          visits_delta: a.visits,
          reason: a.reason,
          created_at: r.createdAt.toISOString(),
        }
      })
    },

    /** Admin: the billing audit log, newest first (`cursor` = the last row's id). */
    async auditLog(q: { workspaceId?: string | undefined; limit: number; cursor?: string | undefined }) {
      const conds: (SQL | undefined)[] = []
      if (q.workspaceId) conds.push(eq(billingAudit.workspaceId, q.workspaceId))
      if (q.cursor) {
        if (!/^\d{1,15}$/.test(q.cursor)) throw badRequest('bad cursor')
        conds.push(lt(billingAudit.id, Number(q.cursor)))
      }
      const rows = await db
        .select()
        .from(billingAudit)
        .where(and(...conds))
        .orderBy(desc(billingAudit.id))
        .limit(q.limit + 1)
      const items = rows.slice(0, q.limit)
      return {
        items: items.map((r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor_user_id: r.actorUserId,
          workspace_id: r.workspaceId,
          action: r.action,
          reason: r.reason,
          details: r.details,
        })),
        next_cursor: rows.length > q.limit && items.length ? String(items.at(-1)!.id) : null,
      }
    },
  }
}

/** The billing service ({@link createBillingService}). */
export type BillingService = ReturnType<typeof createBillingService>
