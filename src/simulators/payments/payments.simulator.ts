/**
 * Payment providers simulator: a real HTTP server on loopback that plays Stripe, Revolut
 * Business and Wise towards traffoflex's webhook endpoint (`target`, e.g.
 * `http://127.0.0.1:3000/api/v1/webhooks`). It signs exactly as each provider does —
 * Stripe with the official SDK's `webhooks.generateTestHeaderString` (`t=…,v1=…`), Revolut
 * with `v1=` HMAC-SHA256 of `v1.{timestamp ms}.{body}`, Wise with RSA-SHA256 over the body
 * (a generated key pair whose public key the test or demo configures) — and delivers with
 * retries on non-2xx, optionally out of order.
 *
 * It also serves the payment link: `GET /pay/:provider?reference=…&amount=…` is a small HTML
 * page with a payer email field and a Pay button; submitting it sends the provider's
 * webhook(s) for that payment. Payload shapes: see `src/modules/billing/payments.core.ts`.
 */
import { createHmac, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'

type Provider = 'stripe' | 'revolut' | 'wise'

/** Options of {@link startPaymentsSimulator}. */
export interface PaymentsSimulatorOptions {
  /** Webhook base URL; deliveries go to `${target}/${provider}`. */
  target: string
  stripeSecret: string
  revolutSecret: string
  /** Wise signing key pair; generated (RSA 2048) when absent. */
  wiseKeyPair?: { privateKey: KeyObject; publicKey: KeyObject }
  /** Extra attempts after a non-2xx or network error (default 3), `retryDelayMs` apart (default 50). */
  retries?: number
  retryDelayMs?: number
  /** Port (default 0 = any free one) on 127.0.0.1. */
  port?: number
}

/** One delivery attempt, as logged. */
export interface Delivery {
  provider: Provider
  eventType: string
  eventId: string
  attempt: number
  /** HTTP status, or 0 on a network error. */
  status: number
  at: number
}

/** A webhook ready to send: the raw body and the provider's headers. */
export interface PreparedWebhook {
  provider: Provider
  eventType: string
  eventId: string
  body: string
  headers: Record<string, string>
}

/** What a payment, refund or dispute call produced. */
export interface SimulatedPayment {
  /** The provider's payment ID (PaymentIntent, transaction, balance credit). */
  paymentRef: string
  webhooks: PreparedWebhook[]
  /** HTTP status of the last attempt of each webhook (empty when `send: false`). */
  statuses: number[]
}

/** Options common to pay/refund/dispute. */
export interface SendOptions {
  /** Deliver in reverse order (e.g. payment_intent.succeeded before checkout.session.completed). */
  reverse?: boolean
  /** Prepare and sign only; nothing is sent. */
  send?: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** Starts the simulator. @returns its URL, payment links, programmatic API and `stop()`. */
export async function startPaymentsSimulator(opts: PaymentsSimulatorOptions) {
  const wise = opts.wiseKeyPair ?? generateKeyPairSync('rsa', { modulusLength: 2048 })
  let target = opts.target
  const retries = opts.retries ?? 3
  const retryDelayMs = opts.retryDelayMs ?? 50
  const log: Delivery[] = []
  const stripe = new Stripe('sk_test_simulator')

  /** Signs a raw body as `provider` would (overrides: another secret/key, another timestamp). */
  function signHeaders(
    provider: Provider,
    body: string,
    o: {
      timestampMs?: number
      secret?: string
      secrets?: string[]
      privateKey?: KeyObject
      deliveryId?: string
    } = {},
  ): Record<string, string> {
    const ts = o.timestampMs ?? Date.now()
    if (provider === 'stripe') {
      return {
        'stripe-signature': stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: o.secret ?? opts.stripeSecret,
          timestamp: Math.floor(ts / 1000),
        }),
      }
    }
    if (provider === 'revolut') {
      const secrets = o.secrets ?? [o.secret ?? opts.revolutSecret]
      return {
        'revolut-request-timestamp': String(ts),
        'revolut-signature': secrets
          .map((s) => `v1=${createHmac('sha256', s).update(`v1.${ts}.${body}`).digest('hex')}`)
          .join(','),
      }
    }
    return {
      'x-signature-sha256': sign('sha256', Buffer.from(body), o.privateKey ?? wise.privateKey).toString(
        'base64',
      ),
      'x-delivery-id': o.deliveryId ?? randomUUID(),
    }
  }

  const prepare = (
    provider: Provider,
    eventType: string,
    eventId: string,
    payload: unknown,
  ): PreparedWebhook => {
    const body = JSON.stringify(payload)
    return { provider, eventType, eventId, body, headers: signHeaders(provider, body) }
  }

  /** Sends one prepared webhook with retries; answers the last status (0 = network error). */
  async function deliver(w: PreparedWebhook, headers: Record<string, string> = w.headers): Promise<number> {
    let status = 0
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        const res = await fetch(`${target}/${w.provider}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: w.body,
        })
        status = res.status
        await res.text()
      } catch {
        status = 0
      }
      log.push({
        provider: w.provider,
        eventType: w.eventType,
        eventId: w.eventId,
        attempt,
        status,
        at: Date.now(),
      })
      if (status >= 200 && status < 300) break
      if (attempt <= retries) await sleep(retryDelayMs)
    }
    return status
  }

  /** Every payment, refund and dispute made so far, with its webhooks (for replays). */
  const made: SimulatedPayment[] = []
  async function run(ws: PreparedWebhook[], paymentRef: string, o: SendOptions): Promise<SimulatedPayment> {
    const list = o.reverse ? [...ws].reverse() : ws
    const entry: SimulatedPayment = { paymentRef, webhooks: list, statuses: [] }
    made.push(entry)
    const statuses: number[] = []
    if (o.send !== false) for (const w of list) statuses.push(await deliver(w))
    entry.statuses = statuses
    return entry
  }

  const created = () => Math.floor(Date.now() / 1000)

  /**
   * A payment of `amountMinor` naming `reference`: Stripe sends `checkout.session.completed`
   * then `payment_intent.succeeded`; Revolut `TransactionCreated` (completed, money in);
   * Wise `balances#update` (credit). `reference` may be omitted (an unmatched payment).
   */
  async function pay(
    provider: Provider,
    p: { reference?: string; amountMinor: number; currency?: string; email?: string; paymentRef?: string },
    o: SendOptions = {},
  ): Promise<SimulatedPayment> {
    const currency = p.currency ?? 'EUR'
    const major = (p.amountMinor / 100).toFixed(2)
    if (provider === 'stripe') {
      const pi = p.paymentRef ?? `pi_sim_${randomUUID().replace(/-/g, '').slice(0, 24)}`
      const md = p.reference ? { reference: p.reference } : {}
      return run(
        [
          prepare('stripe', 'checkout.session.completed', `evt_${randomUUID()}`, {
            id: '',
            object: 'event',
            type: 'checkout.session.completed',
            created: created(),
            data: {
              object: {
                id: `cs_sim_${randomUUID().slice(0, 8)}`,
                object: 'checkout.session',
                mode: 'payment',
                payment_status: 'paid',
                status: 'complete',
                amount_total: p.amountMinor,
                currency: currency.toLowerCase(),
                client_reference_id: p.reference ?? null,
                customer_details: { email: p.email ?? null },
                customer_email: null,
                metadata: md,
                payment_intent: pi,
              },
            },
          }),
          prepare('stripe', 'payment_intent.succeeded', `evt_${randomUUID()}`, {
            id: '',
            object: 'event',
            type: 'payment_intent.succeeded',
            created: created(),
            data: {
              object: {
                id: pi,
                object: 'payment_intent',
                amount: p.amountMinor,
                amount_received: p.amountMinor,
                currency: currency.toLowerCase(),
                status: 'succeeded',
                metadata: md,
                receipt_email: p.email ?? null,
              },
            },
          }),
        ].map(fixStripeIds),
        pi,
        o,
      )
    }
    if (provider === 'revolut') {
      const tx = p.paymentRef ?? randomUUID()
      return run(
        [
          prepare('revolut', 'TransactionCreated', `TransactionCreated:${tx}`, {
            event: 'TransactionCreated',
            timestamp: new Date().toISOString(),
            data: {
              id: tx,
              type: 'transfer',
              state: 'completed',
              request_id: randomUUID(),
              created_at: new Date().toISOString(),
              completed_at: new Date().toISOString(),
              reference: p.reference ? `Payment ${p.reference}` : 'Payment',
              legs: [
                {
                  leg_id: randomUUID(),
                  account_id: randomUUID(),
                  counterparty: { account_type: 'external' },
                  amount: Number(major),
                  currency,
                  description: p.email ? `From ${p.email}` : 'Incoming transfer',
                },
              ],
            },
          }),
        ],
        tx,
        o,
      )
    }
    const balanceId = 111_222
    const at = new Date().toISOString()
    const step = p.paymentRef ?? String(Math.floor(Math.random() * 1e12))
    const amount = Number(major)
    return run(
      [
        prepare('wise', 'balances#update', `balances#update:${balanceId}:${step}:${p.amountMinor}`, {
          data: {
            resource: { id: balanceId, profile_id: 333, type: 'balance-account' },
            amount,
            balance_id: balanceId,
            channel_name: 'BANK_TRANSFER',
            currency,
            transaction_type: 'credit',
            occurred_at: at,
            transfer_reference: p.reference ?? '',
            step_id: step,
          },
          subscription_id: randomUUID(),
          event_type: 'balances#update',
          schema_version: '3.0.0',
          sent_at: at,
        }),
      ],
      `balance:${balanceId}:${at}:${p.amountMinor}`,
      o,
    )
  }

  /** Stripe event IDs are `evt_…` without dashes; fills the body's `id` and re-signs. */
  function fixStripeIds(w: PreparedWebhook): PreparedWebhook {
    const id = `evt_sim_${randomUUID().replace(/-/g, '').slice(0, 24)}`
    const body = JSON.stringify({ ...(JSON.parse(w.body) as object), id })
    return { ...w, eventId: id, body, headers: signHeaders('stripe', body) }
  }

  /**
   * A refund of a Stripe payment (`charge.refunded`, `amount_refunded` = `amountMinor`) or a
   * reverted Revolut transaction (`TransactionStateChanged` → `reverted`).
   */
  async function refund(
    provider: 'stripe' | 'revolut',
    r: { paymentRef: string; amountMinor: number; currency?: string },
    o: SendOptions = {},
  ): Promise<SimulatedPayment> {
    if (provider === 'revolut')
      return run(
        [
          prepare('revolut', 'TransactionStateChanged', `TransactionStateChanged:${r.paymentRef}:reverted`, {
            event: 'TransactionStateChanged',
            timestamp: new Date().toISOString(),
            data: {
              id: r.paymentRef,
              request_id: randomUUID(),
              old_state: 'completed',
              new_state: 'reverted',
            },
          }),
        ],
        r.paymentRef,
        o,
      )
    return run(
      [
        fixStripeIds(
          prepare('stripe', 'charge.refunded', '', {
            object: 'event',
            type: 'charge.refunded',
            created: created(),
            data: {
              object: {
                id: `ch_sim_${randomUUID().slice(0, 8)}`,
                object: 'charge',
                payment_intent: r.paymentRef,
                amount: r.amountMinor,
                amount_refunded: r.amountMinor,
                refunded: true,
                currency: (r.currency ?? 'EUR').toLowerCase(),
                billing_details: { email: null },
              },
            },
          }),
        ),
      ],
      r.paymentRef,
      o,
    )
  }

  /** A Stripe chargeback: `charge.dispute.created` for the payment. */
  async function dispute(
    r: { paymentRef: string; amountMinor: number; currency?: string },
    o: SendOptions = {},
  ): Promise<SimulatedPayment> {
    return run(
      [
        fixStripeIds(
          prepare('stripe', 'charge.dispute.created', '', {
            object: 'event',
            type: 'charge.dispute.created',
            created: created(),
            data: {
              object: {
                id: `dp_sim_${randomUUID().slice(0, 8)}`,
                object: 'dispute',
                charge: `ch_sim_${randomUUID().slice(0, 8)}`,
                payment_intent: r.paymentRef,
                amount: r.amountMinor,
                currency: (r.currency ?? 'EUR').toLowerCase(),
                reason: 'fraudulent',
                status: 'needs_response',
              },
            },
          }),
        ),
      ],
      r.paymentRef,
      o,
    )
  }

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => {
      res.statusCode = 500
      res.end('simulator error')
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const u = new URL(req.url ?? '/', 'http://sim')
    const m = /^\/pay\/(stripe|revolut|wise)$/.exec(u.pathname)
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    const provider = m[1] as Provider
    if (req.method === 'GET') {
      const reference = u.searchParams.get('reference') ?? ''
      const amount = u.searchParams.get('amount') ?? ''
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay with ${provider} (simulator)</title></head>
<body><main>
<h1>Pay with ${provider} <small>(simulator)</small></h1>
<p>Reference <strong data-testid="reference">${esc(reference)}</strong>, amount <strong data-testid="amount">${esc(amount)}</strong> EUR</p>
<form method="post" action="/pay/${provider}">
<input type="hidden" name="reference" value="${esc(reference)}">
<input type="hidden" name="amount" value="${esc(amount)}">
<label>Payer email <input type="email" name="email" required></label>
<button type="submit">Pay</button>
</form></main></body></html>`)
      return
    }
    if (req.method === 'POST') {
      let raw = ''
      for await (const chunk of req) raw += chunk
      const f = new URLSearchParams(raw)
      const amountMinor = Math.round(Number(f.get('amount') ?? '0') * 100)
      const r = await pay(provider, {
        reference: f.get('reference') ?? '',
        amountMinor,
        email: f.get('email') ?? '',
      })
      const ok = r.statuses.every((s) => s >= 200 && s < 300)
      res.writeHead(ok ? 200 : 502, { 'content-type': 'text/html; charset=utf-8' }).end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payment ${ok ? 'sent' : 'failed'}</title></head>
<body><main><h1 data-testid="result">${ok ? 'Payment sent' : 'Webhook delivery failed'}</h1>
<p>Payment ${esc(r.paymentRef)}: webhook status ${r.statuses.join(', ')}</p></main></body></html>`,
      )
      return
    }
    res.writeHead(405, { allow: 'GET, POST' }).end()
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    /** Payment link bases to configure as `BILLING_*_LINK`. */
    links: { stripe: `${url}/pay/stripe`, revolut: `${url}/pay/revolut`, wise: `${url}/pay/wise` },
    /** PEM of the Wise public key to configure as `BILLING_WISE_PUBLIC_KEY`. */
    wisePublicKeyPem: wise.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    pay,
    refund,
    dispute,
    /** Sends a prepared webhook again (replays), optionally with other headers (tampering tests). */
    deliver,
    /** Signs a raw body as the provider would, with optional overrides. */
    sign: signHeaders,
    /** Points deliveries at another webhook base URL (e.g. a server started after the simulator). */
    setTarget: (url: string) => {
      target = url
    },
    /** Every payment, refund and dispute so far (also those made on the pay page), oldest first. */
    payments: (): SimulatedPayment[] => [...made],
    /** Every delivery attempt so far. */
    deliveries: (): Delivery[] => [...log],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A running simulator ({@link startPaymentsSimulator}). */
export type PaymentsSimulator = Awaited<ReturnType<typeof startPaymentsSimulator>>
