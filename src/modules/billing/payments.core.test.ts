import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decidePayment,
  decideReversal,
  findReference,
  majorToMinor,
  type OrderState,
  paymentLink,
  proportional,
  REFERENCE_ALPHABET,
  referenceFromBytes,
  revolutObservation,
  stripeObservation,
  wiseObservation,
} from './payments.core.ts'

const NOW = new Date('2026-12-06T12:00:00Z')
const order = (o: Partial<OrderState> = {}): OrderState => ({
  id: 'o1',
  amountMinor: 50_000,
  currency: 'EUR',
  visits: 1_250_000,
  status: 'pending',
  expiresAt: new Date('2026-12-06T13:00:00Z'),
  paidBy: null,
  ...o,
})
const pay = (
  amountMinor: number | null,
  currency: string | null = 'EUR',
  paymentRef: string | null = 'pi_1',
) => ({
  amountMinor,
  currency,
  paymentRef,
})

describe('decidePayment', () => {
  it.each([
    ['no order', pay(50_000), null, 'unmatched'],
    ['exact', pay(50_000), order(), 'credit'],
    ['overpaid', pay(60_000), order(), 'credit'],
    ['underpaid', pay(49_999), order(), 'unmatched'],
    ['unknown amount', pay(null), order(), 'unmatched'],
    ['other currency', pay(50_000, 'USD'), order(), 'unmatched'],
    ['expired still credits', pay(50_000), order({ status: 'expired' }), 'credit'],
    ['cancelled', pay(50_000), order({ status: 'cancelled' }), 'unmatched'],
    [
      'paid by this payment',
      pay(50_000),
      order({ status: 'paid', paidBy: { provider: 'stripe', paymentRef: 'pi_1' } }),
      'ignore',
    ],
    [
      'paid by another payment',
      pay(50_000),
      order({ status: 'paid', paidBy: { provider: 'stripe', paymentRef: 'pi_2' } }),
      'unmatched',
    ],
    [
      'refunded',
      pay(50_000),
      order({ status: 'refunded', paidBy: { provider: 'revolut', paymentRef: 'pi_1' } }),
      'unmatched',
    ],
  ] as const)('%s → %s', (_n, obs, o, action) => {
    expect(decidePayment(obs, 'stripe', o, NOW).action).toBe(action)
  })
  it('notes a late payment and an overpayment', () => {
    const d = decidePayment(
      pay(60_000),
      'stripe',
      order({ expiresAt: new Date('2026-12-06T11:00:00Z') }),
      NOW,
    )
    expect(d).toMatchObject({ action: 'credit', note: expect.stringMatching(/expired.*overpaid by 10000/) })
  })
})

describe('decideReversal', () => {
  const paid = order({ status: 'paid', paidBy: { provider: 'stripe', paymentRef: 'pi_1' } })
  it.each([
    ['payment not applied yet', { kind: 'refund', amountMinor: 50_000 }, null, 0, { action: 'defer' }],
    [
      'full refund, all available',
      { kind: 'refund', amountMinor: 50_000 },
      paid,
      2_000_000,
      {
        action: 'reverse',
        status: 'refunded',
        refundMinor: 50_000,
        clawVisits: 1_250_000,
        unrecoveredVisits: 0,
      },
    ],
    [
      'half refund',
      { kind: 'refund', amountMinor: 25_000 },
      paid,
      2_000_000,
      { action: 'reverse', refundMinor: 25_000, clawVisits: 625_000, unrecoveredVisits: 0 },
    ],
    [
      'dispute, visits partly spent',
      { kind: 'dispute', amountMinor: 50_000 },
      paid,
      250_000,
      { action: 'reverse', status: 'disputed', clawVisits: 250_000, unrecoveredVisits: 1_000_000 },
    ],
    [
      'unknown amount = the whole order',
      { kind: 'refund', amountMinor: null },
      paid,
      5,
      { action: 'reverse', refundMinor: 50_000, clawVisits: 5, unrecoveredVisits: 1_249_995 },
    ],
    [
      'refund larger than the order is capped',
      { kind: 'refund', amountMinor: 90_000 },
      paid,
      0,
      { refundMinor: 50_000 },
    ],
    [
      'already refunded',
      { kind: 'refund', amountMinor: 1 },
      { ...paid, status: 'refunded' },
      0,
      { action: 'ignore' },
    ],
  ] as const)('%s', (_n, obs, o, avail, want) => {
    expect(decideReversal(obs, o as OrderState | null, avail)).toMatchObject(want)
  })
  it('property: clawed + unrecovered = the proportional visits; clawed ≤ available', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 20_000_000 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (amount, refund, visits, avail) => {
          const d = decideReversal(
            { kind: 'refund', amountMinor: refund },
            order({ status: 'paid', amountMinor: amount, visits }),
            avail,
          )
          if (d.action !== 'reverse') throw new Error('expected reverse')
          expect(d.clawVisits).toBeLessThanOrEqual(avail)
          expect(d.clawVisits + d.unrecoveredVisits).toBe(
            proportional(visits, Math.min(refund, amount), amount),
          )
          expect(d.clawVisits + d.unrecoveredVisits).toBeLessThanOrEqual(visits)
        },
      ),
    )
  })
})

describe('references', () => {
  it('draws TF- + 6 unambiguous characters, skipping biased bytes', () => {
    expect(referenceFromBytes(Uint8Array.from([0, 1, 2, 3, 4, 5]))).toBe('TF-234567')
    expect(referenceFromBytes(Uint8Array.from([255, 240, 29, 29, 29, 29, 29, 29]))).toBe('TF-ZZZZZZ')
    expect(() => referenceFromBytes(Uint8Array.from([250, 1]))).toThrow(RangeError)
    expect(REFERENCE_ALPHABET).not.toMatch(/[01ILOU]/)
  })
  it('finds a reference in free text, case-insensitive', () => {
    expect(findReference('Payment tf-7k3qx9 thanks')).toBe('TF-7K3QX9')
    expect(findReference('TF-7K3QX0')).toBeNull()
    expect(findReference(42)).toBeNull()
  })
  it('payment links carry reference and amount', () => {
    const u = new URL(paymentLink('https://buy.stripe.com/x?a=1', 'stripe', 'TF-7K3QX9', 39_850))
    expect(u.searchParams.get('reference')).toBe('TF-7K3QX9')
    expect(u.searchParams.get('amount')).toBe('398.50')
    expect(u.searchParams.get('client_reference_id')).toBe('TF-7K3QX9')
    expect(u.searchParams.get('a')).toBe('1')
  })
  it('majorToMinor', () => {
    expect(majorToMinor(123.11)).toBe(12_311)
    expect(majorToMinor('0.1')).toBe(10)
    expect(majorToMinor(10.005)).toBeNull()
    expect(majorToMinor('x')).toBeNull()
  })
})

describe('provider events → observations', () => {
  it('Stripe checkout.session.completed (fixture shape of stripe-ruby-mock / Stripe docs)', () => {
    expect(
      stripeObservation({
        id: 'evt_1',
        type: 'checkout.session.completed',
        data: {
          object: {
            id: 'cs_1',
            amount_total: 25_000,
            currency: 'eur',
            client_reference_id: 'TF-7K3QX9',
            customer_details: { email: 'A@B.example' },
            metadata: {},
            payment_intent: 'pi_1',
            payment_status: 'paid',
          },
        },
      }),
    ).toEqual({
      eventId: 'evt_1',
      eventType: 'checkout.session.completed',
      kind: 'payment',
      paymentRef: 'pi_1',
      amountMinor: 25_000,
      currency: 'EUR',
      payerEmail: 'a@b.example',
      orderReference: 'TF-7K3QX9',
    })
  })
  it('Stripe unpaid session, refund, dispute, other, malformed', () => {
    expect(
      stripeObservation({
        id: 'e',
        type: 'checkout.session.completed',
        data: { object: { payment_status: 'unpaid' } },
      })?.kind,
    ).toBe('other')
    expect(
      stripeObservation({
        id: 'e',
        type: 'charge.refunded',
        data: { object: { id: 'ch', payment_intent: 'pi_9', amount_refunded: 100, currency: 'eur' } },
      }),
    ).toMatchObject({ kind: 'refund', paymentRef: 'pi_9', amountMinor: 100 })
    expect(
      stripeObservation({
        id: 'e',
        type: 'charge.dispute.created',
        data: { object: { charge: 'ch_1', amount: 5, currency: 'eur' } },
      }),
    ).toMatchObject({ kind: 'dispute', paymentRef: 'ch_1' })
    expect(stripeObservation({ id: 'e', type: 'customer.created', data: {} })?.kind).toBe('other')
    expect(stripeObservation({ type: 'x' })).toBeUndefined()
  })
  it('Revolut TransactionCreated (money in, completed / pending) and TransactionStateChanged', () => {
    const tx = (state: string, amount: number) => ({
      event: 'TransactionCreated',
      timestamp: '2026-12-06T12:00:00Z',
      data: {
        id: 't1',
        type: 'transfer',
        state,
        reference: 'Invoice TF-7K3QX9',
        legs: [{ leg_id: 'l', account_id: 'a', amount, currency: 'EUR', description: 'x' }],
      },
    })
    expect(revolutObservation(tx('completed', 500))).toMatchObject({
      eventId: 'TransactionCreated:t1',
      kind: 'payment',
      amountMinor: 50_000,
      orderReference: 'TF-7K3QX9',
      paymentRef: 't1',
    })
    expect(revolutObservation(tx('pending', 500))).toMatchObject({ kind: 'other', note: expect.any(String) })
    expect(revolutObservation(tx('completed', -500))?.kind).toBe('other')
    expect(
      revolutObservation({
        event: 'TransactionStateChanged',
        data: { id: 't1', old_state: 'completed', new_state: 'reverted' },
      }),
    ).toMatchObject({ kind: 'refund', paymentRef: 't1', eventId: 'TransactionStateChanged:t1:reverted' })
    expect(revolutObservation({ event: 'TransactionCreated', data: {} })).toBeUndefined()
  })
  it('Wise balances#update credit / debit', () => {
    const ev = (type: string) => ({
      data: {
        resource: { id: 5, profile_id: 6, type: 'balance-account' },
        amount: 398.5,
        currency: 'EUR',
        transaction_type: type,
        transfer_reference: 'TF-7K3QX9',
        step_id: 99,
        occurred_at: '2026-12-06T12:00:00Z',
      },
      event_type: 'balances#update',
      schema_version: '3.0.0',
    })
    expect(wiseObservation(ev('credit'))).toMatchObject({
      kind: 'payment',
      amountMinor: 39_850,
      orderReference: 'TF-7K3QX9',
      eventId: 'balances#update:5:99:39850',
    })
    expect(wiseObservation(ev('debit'))?.kind).toBe('other')
    expect(wiseObservation({ data: {} })).toBeUndefined()
  })
})
