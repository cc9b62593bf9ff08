/**
 * Payment decisions (pure): provider events → one normalised {@link Observation}; an
 * observation plus the order's state → what to do (credit, defer, reverse, queue as
 * unmatched, ignore). The service (`payments.service.ts`) verifies signatures, records the
 * event and applies the decision in one transaction through the ledger.
 *
 * Payload shapes handled (checked against the providers' documentation):
 * - Stripe (https://docs.stripe.com/api/events/types, object references of Checkout
 *   Session, PaymentIntent, Charge, Dispute): `{id: "evt_…", type, data: {object}}`;
 *   `checkout.session.completed` / `checkout.session.async_payment_succeeded` → session
 *   `{payment_intent, amount_total, currency: "eur", payment_status: "paid",
 *   client_reference_id, customer_details: {email}, customer_email, metadata}`;
 *   `payment_intent.succeeded` → `{id: "pi_…", amount_received, currency, metadata, receipt_email}`;
 *   `charge.refunded` → charge `{id, payment_intent, amount_refunded, currency, billing_details: {email}}`;
 *   `charge.dispute.created` → dispute `{id: "dp_…", charge, payment_intent, amount, currency}`.
 *   Both payment events of one Checkout payment name the same PaymentIntent, the payment
 *   reference used here, so they credit once.
 * - Revolut Business webhooks v2 (https://developer.revolut.com/docs/guides/manage-accounts/webhooks/about-webhooks):
 *   `{event: "TransactionCreated", timestamp, data: {id, type, state, reference,
 *   legs: [{leg_id, account_id, amount (major units, + for money in), currency, description}]}}`;
 *   `{event: "TransactionStateChanged", timestamp, data: {id, request_id, old_state, new_state}}`.
 *   Events carry no event ID: the dedupe key is the event name + transaction ID (+ new state).
 * - Wise (https://docs.wise.com/api-reference/webhook-event/eventbalancesupdate and
 *   eventbalancescredit): `{data: {resource: {id, profile_id, type}, amount (major units),
 *   currency, transaction_type: "credit"|"debit", transfer_reference?, step_id?, occurred_at},
 *   subscription_id, event_type: "balances#update"|"balances#credit", schema_version, sent_at}`.
 *   `X-Delivery-Id` is per delivery *attempt*, so a redelivery would not dedupe by it: the
 *   event ID is derived from the body (event type, balance, step or time, amount).
 */

/** The payment providers whose webhooks are accepted. */
export const PROVIDERS = ['stripe', 'revolut', 'wise'] as const
export type Provider = (typeof PROVIDERS)[number]

/** What an event means for billing. */
export type EventKind = 'payment' | 'refund' | 'dispute' | 'other'

/** A provider event, normalised. Amounts in minor units (cents); currency upper-case ISO 4217. */
export interface Observation {
  /** Dedupe key, unique per (provider, event). */
  eventId: string
  eventType: string
  kind: EventKind
  /** The provider's payment ID (PaymentIntent, transaction, balance credit): links a refund to its payment. */
  paymentRef: string | null
  /** Paid, refunded or disputed amount; null = unknown (a reverted transaction: the whole payment). */
  amountMinor: number | null
  currency: string | null
  payerEmail: string | null
  /** An order reference (`TF-XXXXXX`) found in the payment's reference or metadata. */
  orderReference: string | null
  /** Why an event of a handled type is not acted on (e.g. a pending transfer). */
  note?: string
}

/** Letters and digits without look-alikes (no 0/O, 1/I/L, U): a reference read over the phone stays unambiguous. */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
const REFERENCE_RE = /\bTF-([2-9A-HJKMNP-TV-Z]{6})\b/i

/**
 * An order reference `TF-XXXXXX` from random bytes (rejection sampling, so every character is
 * equally likely; 30^6 ≈ 7·10^8 references).
 * @param bytes random bytes (crypto.randomBytes); at least 6 usable (< 240) ones, else RangeError.
 */
export function referenceFromBytes(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) {
    if (b >= 240) continue // 240 = 8 × 30: larger bytes would favour the first characters
    out += REFERENCE_ALPHABET[b % 30]
    if (out.length === 6) return `TF-${out}`
  }
  throw new RangeError('not enough random bytes for a reference')
}

/** The first order reference in a free text (payment reference, description), upper-cased; null when none. */
export function findReference(text: unknown): string | null {
  if (typeof text !== 'string') return null
  const m = REFERENCE_RE.exec(text)
  return m ? `TF-${m[1]!.toUpperCase()}` : null
}

/**
 * A decimal amount in major units (number or string, as Revolut and Wise send them) → minor
 * units of a two-decimal currency; null when it is not a finite number with ≤ 2 decimals.
 */
export function majorToMinor(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
  if (!Number.isFinite(n)) return null
  const minor = Math.round(n * 100)
  // 10.005 is not an amount of a two-decimal currency: refuse rather than guess.
  if (Math.abs(minor - n * 100) > 1e-6 * Math.max(1, Math.abs(n))) return null
  return Number.isSafeInteger(minor) ? minor : null
}

type J = Record<string, unknown>
const obj = (v: unknown): J => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {})
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null
const cur = (v: unknown): string | null =>
  typeof v === 'string' && /^[a-z]{3}$/i.test(v) ? v.toUpperCase() : null
const email = (v: unknown): string | null =>
  typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v) && v.length <= 320 ? v.toLowerCase() : null
const refOf = (...vs: unknown[]): string | null => {
  for (const v of vs) {
    const r = findReference(v)
    if (r) return r
  }
  return null
}

/**
 * A verified Stripe event (as `stripe.webhooks.constructEvent` returns it) → observation.
 * @returns undefined when it lacks an `id` or `type` (malformed).
 */
export function stripeObservation(event: unknown): Observation | undefined {
  const e = obj(event)
  const id = str(e.id)
  const type = str(e.type)
  if (!id || !type) return undefined
  const o = obj(obj(e.data).object)
  const md = obj(o.metadata)
  const base = { eventId: id, eventType: type }
  switch (type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const paid = o.payment_status === 'paid' || o.payment_status === 'no_payment_required'
      return {
        ...base,
        kind: paid ? 'payment' : 'other',
        paymentRef: str(o.payment_intent) ?? str(o.id),
        amountMinor: int(o.amount_total),
        currency: cur(o.currency),
        payerEmail: email(obj(o.customer_details).email) ?? email(o.customer_email),
        orderReference: refOf(o.client_reference_id, md.reference, md.order_reference),
        ...(paid
          ? {}
          : { note: `payment_status ${String(o.payment_status)}: credited on async_payment_succeeded` }),
      }
    }
    case 'payment_intent.succeeded':
      return {
        ...base,
        kind: 'payment',
        paymentRef: str(o.id),
        amountMinor: int(o.amount_received) ?? int(o.amount),
        currency: cur(o.currency),
        payerEmail: email(o.receipt_email),
        orderReference: refOf(md.reference, md.order_reference, o.description),
      }
    case 'charge.refunded':
      return {
        ...base,
        kind: 'refund',
        paymentRef: str(o.payment_intent) ?? str(o.id),
        amountMinor: int(o.amount_refunded),
        currency: cur(o.currency),
        payerEmail: email(obj(o.billing_details).email) ?? email(o.receipt_email),
        orderReference: refOf(md.reference, md.order_reference),
      }
    case 'charge.dispute.created':
      return {
        ...base,
        kind: 'dispute',
        paymentRef: str(o.payment_intent) ?? str(o.charge),
        amountMinor: int(o.amount),
        currency: cur(o.currency),
        payerEmail: null,
        orderReference: refOf(md.reference),
      }
    default:
      return {
        ...base,
        kind: 'other',
        paymentRef: null,
        amountMinor: null,
        currency: null,
        payerEmail: null,
        orderReference: null,
      }
  }
}

/** A Revolut Business webhook body (parsed JSON) → observation; undefined when malformed. */
export function revolutObservation(body: unknown): Observation | undefined {
  const b = obj(body)
  const event = str(b.event)
  const d = obj(b.data)
  const txId = str(d.id)
  if (!event || !txId) return undefined
  if (event === 'TransactionCreated') {
    const legs = Array.isArray(d.legs) ? d.legs.map(obj) : []
    // Money in: the positive legs (a transfer between own accounts has one of each sign).
    const inLegs = legs.filter((l) => (majorToMinor(l.amount) ?? 0) > 0)
    const currency = cur(inLegs[0]?.currency)
    const amount = inLegs.reduce((s, l) => s + (majorToMinor(l.amount) ?? 0), 0)
    const completed = d.state === 'completed'
    const isIn = inLegs.length > 0 && legs.length === inLegs.length
    return {
      eventId: `${event}:${txId}`,
      eventType: event,
      kind: isIn && completed ? 'payment' : 'other',
      paymentRef: txId,
      amountMinor: isIn ? amount : null,
      currency,
      payerEmail: null,
      orderReference: refOf(d.reference, ...inLegs.map((l) => l.description)),
      ...(isIn && !completed ? { note: `transaction ${String(d.state)}: not credited until completed` } : {}),
    }
  }
  if (event === 'TransactionStateChanged') {
    const to = str(d.new_state)
    const reversed = to === 'reverted' || to === 'declined' || to === 'failed'
    return {
      eventId: `${event}:${txId}:${to ?? '-'}`,
      eventType: event,
      kind: reversed ? 'refund' : 'other',
      paymentRef: txId,
      amountMinor: null,
      currency: null,
      payerEmail: null,
      orderReference: null,
    }
  }
  return {
    eventId: `${event}:${txId}`,
    eventType: event,
    kind: 'other',
    paymentRef: null,
    amountMinor: null,
    currency: null,
    payerEmail: null,
    orderReference: null,
  }
}

/** A Wise webhook body (parsed JSON) → observation; undefined when malformed. */
export function wiseObservation(body: unknown): Observation | undefined {
  const b = obj(body)
  const type = str(b.event_type)
  const d = obj(b.data)
  if (!type) return undefined
  if (type === 'balances#update' || type === 'balances#credit') {
    const balanceId = obj(d.resource).id
    const at = str(d.occurred_at)
    const amount = majorToMinor(d.amount)
    if ((typeof balanceId !== 'number' && typeof balanceId !== 'string') || !at || amount === null)
      return undefined
    const credit = (d.transaction_type ?? 'credit') === 'credit' && amount > 0
    const paymentRef = `balance:${balanceId}:${at}:${amount}`
    return {
      eventId: `${type}:${balanceId}:${str(d.step_id) ?? String(d.step_id ?? at)}:${amount}`,
      eventType: type,
      kind: credit ? 'payment' : 'other',
      paymentRef,
      amountMinor: amount,
      currency: cur(d.currency),
      payerEmail: null,
      orderReference: refOf(d.transfer_reference, d.reference),
    }
  }
  const id = str(obj(d.resource).id) ?? String(obj(d.resource).id ?? '')
  return {
    eventId: `${type}:${id}:${str(d.occurred_at) ?? str(b.sent_at) ?? ''}`,
    eventType: type,
    kind: 'other',
    paymentRef: null,
    amountMinor: null,
    currency: null,
    payerEmail: null,
    orderReference: null,
  }
}

/** What the decisions need of an order. */
export interface OrderState {
  id: string
  amountMinor: number
  currency: string
  visits: number
  status: 'pending' | 'paid' | 'expired' | 'cancelled' | 'refunded' | 'disputed'
  expiresAt: Date
  /** The provider payment that paid it (null while unpaid). */
  paidBy: { provider: Provider; paymentRef: string | null } | null
}

/** The outcome of a payment event. */
export type PaymentDecision =
  | { action: 'credit'; note: string | null }
  | { action: 'unmatched'; note: string }
  | { action: 'ignore'; note: string }

/**
 * Decides a payment event against the order it matched (or none).
 * - no order → unmatched (an admin assigns it);
 * - the order already paid by this same provider payment (another event of it, e.g.
 *   `payment_intent.succeeded` after `checkout.session.completed`) → ignore;
 * - any other state than pending/expired, another currency, or less than the order → unmatched;
 * - otherwise credit; a late payment (after `expiresAt`) or an overpayment still credits the
 *   locked quote, with a note.
 */
export function decidePayment(
  obs: Pick<Observation, 'amountMinor' | 'currency' | 'paymentRef'>,
  provider: Provider,
  order: OrderState | null,
  now: Date,
): PaymentDecision {
  if (!order) return { action: 'unmatched', note: 'no order matches the reference or the payer' }
  if (
    order.paidBy &&
    order.paidBy.provider === provider &&
    obs.paymentRef !== null &&
    order.paidBy.paymentRef === obs.paymentRef
  )
    return { action: 'ignore', note: 'another event of the payment that paid the order' }
  if (order.status !== 'pending' && order.status !== 'expired')
    return { action: 'unmatched', note: `order is ${order.status}` }
  if (obs.currency !== order.currency)
    return {
      action: 'unmatched',
      note: `paid in ${obs.currency ?? 'an unknown currency'}, order is in ${order.currency}`,
    }
  if (obs.amountMinor === null || obs.amountMinor < order.amountMinor)
    return {
      action: 'unmatched',
      note: `paid ${obs.amountMinor ?? '?'} of ${order.amountMinor} (minor units)`,
    }
  const notes: string[] = []
  if (now.getTime() > order.expiresAt.getTime())
    notes.push('paid after the quote expired; the locked quote was honoured')
  if (obs.amountMinor > order.amountMinor)
    notes.push(`overpaid by ${obs.amountMinor - order.amountMinor} (minor units)`)
  return { action: 'credit', note: notes.length ? notes.join('; ') : null }
}

/** The outcome of a refund or dispute event. */
export type ReversalDecision =
  | { action: 'defer'; note: string }
  | { action: 'ignore'; note: string }
  | {
      action: 'reverse'
      status: 'refunded' | 'disputed'
      /** Money returned to the payer (minor units), ≤ the order amount. */
      refundMinor: number
      /** Visits taken back from the workspace's available balance. */
      clawVisits: number
      /** Visits that should have been taken back but were already spent or reserved. */
      unrecoveredVisits: number
    }

/**
 * Decides a refund or dispute against the order its payment paid (null: that payment has
 * not been applied yet → defer, applied right after the payment is).
 * Visits taken back are proportional to the refunded share (`floor(visits × refund / amount)`;
 * an unknown amount = the whole order), at most what the workspace still has available.
 * An order already refunded or disputed is not reversed twice.
 */
export function decideReversal(
  obs: Pick<Observation, 'kind' | 'amountMinor'>,
  order: OrderState | null,
  availableVisits: number,
): ReversalDecision {
  if (!order) return { action: 'defer', note: 'its payment has not been applied yet' }
  if (order.status === 'refunded' || order.status === 'disputed')
    return { action: 'ignore', note: `order already ${order.status}` }
  if (order.status !== 'paid') return { action: 'ignore', note: `order is ${order.status}` }
  const refundMinor = Math.min(obs.amountMinor ?? order.amountMinor, order.amountMinor)
  const target = proportional(order.visits, refundMinor, order.amountMinor)
  const clawVisits = Math.max(0, Math.min(availableVisits, target))
  return {
    action: 'reverse',
    status: obs.kind === 'dispute' ? 'disputed' : 'refunded',
    refundMinor,
    clawVisits,
    unrecoveredVisits: target - clawVisits,
  }
}

/** `floor(total × part / whole)` exactly (BigInt); 0 when `whole` is 0. */
export function proportional(total: number, part: number, whole: number): number {
  if (whole <= 0) return 0
  return Number((BigInt(total) * BigInt(part)) / BigInt(whole))
}

/**
 * The payment link of an order: the configured provider link with `reference` and `amount`
 * (major units, two decimals) query parameters — and, for Stripe Payment Links, the
 * `client_reference_id` they carry into the Checkout Session.
 */
export function paymentLink(
  base: string,
  provider: Provider,
  reference: string,
  amountMinor: number,
): string {
  const u = new URL(base)
  u.searchParams.set('reference', reference)
  u.searchParams.set('amount', (amountMinor / 100).toFixed(2))
  if (provider === 'stripe') u.searchParams.set('client_reference_id', reference)
  return u.toString()
}
