/**
 * Payment webhooks through the real HTTP app (listening on loopback) with the payments
 * simulator signing as Stripe, Revolut and Wise do: valid, wrong secret, tampered body,
 * stale timestamp, key rotation, replays, concurrent duplicates, out-of-order refunds,
 * commissions — and the ledger's invariants after each (`audit()` → []).
 * PGlite runs everything; PostgreSQL runs the concurrency and ordering subset.
 */
import { generateKeyPairSync, verify } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accounts } from '../src/modules/billing/ledger.core.ts'
import {
  billingRoutes,
  billingSettingsFromEnv,
  createBillingService,
  webhookRoutes,
} from '../src/modules/billing/index.ts'
import { affiliateCommissions, affiliates, paymentEvents } from '../src/modules/billing/billing.tables.ts'
import { WISE_SANDBOX_PUBLIC_KEY, wisePublicKey } from '../src/modules/billing/payments.verify.ts'
import {
  type PaymentsSimulator,
  startPaymentsSimulator,
} from '../src/simulators/payments/payments.simulator.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

const STRIPE_SECRET = 'whsec_test_current'
const STRIPE_OLD = 'whsec_test_old'
const REVOLUT_SECRET = 'wsk_current'
const REVOLUT_OLD = 'wsk_old'

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`payment webhooks on ${kind}`, () => {
    let h: Awaited<ReturnType<typeof throwawayDb>>
    let app: FastifyInstance
    let sim: PaymentsSimulator
    let base: string
    let service: ReturnType<typeof createBillingService>
    const wiseKeys = generateKeyPairSync('rsa', { modulusLength: 2048 })

    beforeAll(async () => {
      h = await throwawayDb(kind)
      const config = testConfig({
        STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${STRIPE_OLD}`,
        REVOLUT_WEBHOOK_SECRET: `${REVOLUT_SECRET},${REVOLUT_OLD}`,
        BILLING_WISE_PUBLIC_KEY: wiseKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        BILLING_STRIPE_LINK: 'https://pay.example/stripe',
      })
      service = createBillingService({
        db: h.db,
        clock: { now: () => new Date() },
        settings: billingSettingsFromEnv(config),
      })
      app = await testApiApp(h.db, {
        config,
        plugins: [{ plugin: billingRoutes({ service }) }, { plugin: webhookRoutes({ service }) }],
      })
      base = await app.listen({ port: 0, host: '127.0.0.1' })
      sim = await startPaymentsSimulator({
        target: `${base}/api/v1/webhooks`,
        stripeSecret: STRIPE_SECRET,
        revolutSecret: REVOLUT_SECRET,
        wiseKeyPair: wiseKeys,
        retries: 1,
        retryDelayMs: 10,
      })
    }, 120_000)
    afterAll(async () => {
      await sim?.stop()
      await app?.close()
      await h?.drop()
    })

    const customer = async () => {
      const u = await createWorkspaceWithKey(h.db)
      const api = async (method: string, url: string, body?: unknown) => {
        const res = await app.inject({
          method: method as 'GET',
          url: `/api/v1${url}`,
          headers: { authorization: `Bearer ${u.apiKey}` },
          ...(body ? { payload: body as object } : {}),
        })
        return { status: res.statusCode, json: res.json() as Json }
      }
      return { ...u, api }
    }
    const order = async (c: Awaited<ReturnType<typeof customer>>, amount = 500) => {
      const r = await c.api('POST', '/billing/orders', { amount })
      expect(r.status).toBe(201)
      return r.json
    }
    const available = (ws: string) => service.ledger.balance(accounts.visitsAvailable(ws))
    const events = (eventId: string) =>
      h.db.select().from(paymentEvents).where(eq(paymentEvents.eventId, eventId))
    const countPostings = async (key: string) => {
      const r = (await h.db.execute(
        sql`SELECT count(*)::int AS n FROM ledger_postings WHERE idempotency_key = ${key}`,
      )) as unknown as { rows?: { n: number }[] } & { n: number }[]
      return (r.rows ?? r)[0]!.n
    }

    it.runIf(kind === 'pglite')(
      'Stripe: valid payment credits once across both events; order paid',
      async () => {
        const c = await customer()
        const o = await order(c)
        expect(o).toMatchObject({
          reference: expect.stringMatching(/^TF-[2-9A-HJKMNP-TV-Z]{6}$/),
          visits: 1_250_000,
        })
        expect(o.payment[0].url).toContain(`reference=${o.reference}`)
        const r = await sim.pay('stripe', { reference: o.reference, amountMinor: 50_000, email: c.email })
        expect(r.statuses).toEqual([200, 200])
        expect(await available(c.workspaceId)).toBe(1_250_000n)
        expect((await c.api('GET', `/billing/orders/${o.id}`)).json.status).toBe('paid')
        const [second] = await events(r.webhooks[1]!.eventId)
        expect(second).toMatchObject({ status: 'ignored', verification: 'ok' })
        expect(await countPostings(`order:${o.id}:paid`)).toBe(1)
        expect(await service.ledger.audit()).toEqual([])
      },
    )

    it.runIf(kind === 'pglite')(
      'Stripe: wrong secret, tampered body, stale timestamp → 4xx, recorded, nothing applied; old secret (rotation) works',
      async () => {
        const c = await customer()
        const o = await order(c)
        const r = await sim.pay('stripe', { reference: o.reference, amountMinor: 50_000 }, { send: false })
        const w = r.webhooks[0]!
        expect(await sim.deliver(w, sim.sign('stripe', w.body, { secret: 'whsec_wrong' }))).toBe(401)
        expect(await sim.deliver({ ...w, body: w.body.replace('50000', '99999') })).toBe(401)
        expect(await sim.deliver(w, sim.sign('stripe', w.body, { timestampMs: Date.now() - 301_000 }))).toBe(
          401,
        )
        expect(await sim.deliver(w, {})).toBe(400)
        expect(await available(c.workspaceId)).toBe(0n)
        const rejected = await h.db.select().from(paymentEvents).where(eq(paymentEvents.status, 'rejected'))
        expect(rejected.map((e) => e.verification)).toEqual(
          expect.arrayContaining(['bad_signature', 'stale', 'missing_signature']),
        )
        expect(await sim.deliver(w, sim.sign('stripe', w.body, { secret: STRIPE_OLD }))).toBe(200)
        expect(await available(c.workspaceId)).toBe(1_250_000n)
      },
    )

    it('replay ×5 and 5 concurrent duplicates apply once (Stripe, Revolut, Wise)', async () => {
      for (const provider of ['stripe', 'revolut', 'wise'] as const) {
        const c = await customer()
        const o = await order(c, 129)
        const r = await sim.pay(provider, { reference: o.reference, amountMinor: 12_900 }, { send: false })
        const w = r.webhooks[0]!
        const statuses = await Promise.all(Array.from({ length: 5 }, () => sim.deliver(w)))
        expect(statuses).toEqual([200, 200, 200, 200, 200])
        for (let i = 0; i < 5; i++) expect(await sim.deliver(w)).toBe(200)
        expect(await available(c.workspaceId), provider).toBe(300_000n)
        expect(await events(w.eventId)).toHaveLength(1)
        expect(await countPostings(`order:${o.id}:paid`)).toBe(1)
      }
      expect(await service.ledger.audit()).toEqual([])
    })

    it('out of order: a Stripe refund before its payment is deferred, then applied right after', async () => {
      const c = await customer()
      const o = await order(c)
      const pay = await sim.pay('stripe', { reference: o.reference, amountMinor: 50_000 }, { send: false })
      const ref = await sim.refund('stripe', { paymentRef: pay.paymentRef, amountMinor: 50_000 })
      expect(ref.statuses).toEqual([200])
      expect((await events(ref.webhooks[0]!.eventId))[0]!.status).toBe('deferred')
      // payment_intent.succeeded first, then checkout.session.completed (reverse order).
      for (const w of [...pay.webhooks].reverse()) expect(await sim.deliver(w)).toBe(200)
      expect((await events(ref.webhooks[0]!.eventId))[0]!.status).toBe('applied')
      expect(await available(c.workspaceId)).toBe(0n)
      expect((await c.api('GET', `/billing/orders/${o.id}`)).json.status).toBe('refunded')
      expect(await service.ledger.balance(accounts.revenue('EUR'))).toBeGreaterThanOrEqual(0n)
      expect(await service.ledger.audit()).toEqual([])
    })

    it.runIf(kind === 'pglite')(
      'Revolut: bad signature, stale (5 min, ms), rotation with two v1 values',
      async () => {
        const c = await customer()
        const o = await order(c)
        const r = await sim.pay('revolut', { reference: o.reference, amountMinor: 50_000 }, { send: false })
        const w = r.webhooks[0]!
        expect(await sim.deliver(w, sim.sign('revolut', w.body, { secret: 'nope' }))).toBe(401)
        expect(await sim.deliver({ ...w, body: w.body.replace('500', '900') })).toBe(401)
        expect(await sim.deliver(w, sim.sign('revolut', w.body, { timestampMs: Date.now() - 301_000 }))).toBe(
          401,
        )
        expect(await available(c.workspaceId)).toBe(0n)
        // During rotation the header carries one v1= per active secret; one known is enough.
        expect(
          await sim.deliver(w, sim.sign('revolut', w.body, { secrets: ['unknown-new', REVOLUT_OLD] })),
        ).toBe(200)
        expect(await available(c.workspaceId)).toBe(1_250_000n)
        // A reverted transaction claws the visits back.
        const back = await sim.refund('revolut', { paymentRef: r.paymentRef, amountMinor: 50_000 })
        expect(back.statuses).toEqual([200])
        expect(await available(c.workspaceId)).toBe(0n)
        expect(await service.ledger.audit()).toEqual([])
      },
    )

    it.runIf(kind === 'pglite')(
      'Wise: RSA signature, wrong key and tampering refused; the official sandbox key verifies Wise’s published example',
      async () => {
        const c = await customer()
        const o = await order(c)
        const r = await sim.pay('wise', { reference: o.reference, amountMinor: 50_000 }, { send: false })
        const w = r.webhooks[0]!
        const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
        expect(await sim.deliver(w, sim.sign('wise', w.body, { privateKey: other.privateKey }))).toBe(401)
        expect(await sim.deliver({ ...w, body: w.body.replace('500', '600') })).toBe(401)
        expect(await available(c.workspaceId)).toBe(0n)
        // A new delivery ID on a redelivery still dedupes (the event ID comes from the body).
        expect(await sim.deliver(w, sim.sign('wise', w.body, { deliveryId: 'a' }))).toBe(200)
        expect(await sim.deliver(w, sim.sign('wise', w.body, { deliveryId: 'b' }))).toBe(200)
        expect(await available(c.workspaceId)).toBe(1_250_000n)
        // Test vector of Wise's examples repository (transferwise/digital-signatures-examples).
        const body =
          '{"data":{"resource":{"id":49983981,"profile_id":16055450,"account_id":14124090,"type":"transfer"},"current_state":"incoming_payment_waiting","previous_state":null,"occurred_at":"2021-08-23T10:12:50Z"},"subscription_id":"90aa8e14-4ef1-4a56-861c-f3c9cde097ea","event_type":"transfers#state-change","schema_version":"2.0.0","sent_at":"2021-08-23T10:12:50Z"}'
        const signature =
          'wKcKCYXAzxNgiu7xmoDm943NUni7Rz33QN8JkEA9dWSGebgndonabgSj18Y4C08OrwVmueGsED2s00M7DtJVcYKOS1i3G4TMVx+mgM3aL9djMBkQtiYNBFUd6wrPI7ZUNHv/TrlKSjTMc+6JFvUvJ7owY3z85e3I4jLRLJowMFvO8kvCJ60+1pY9wDwZvtZ//WS93LrwGjk9Dvwzpmu0w+P4J75tETT5qC3Uv0y5G2yO8SEoO3yNP/tg/BOli02niHb53vEOUWUb9bly6thnfMoXoiV/osoGxgF20R58RlvkAmezyyl1Sv542TfS2DpiwVnmjjjkCyXeSUcKookYLQ=='
        expect(
          verify(
            'sha256',
            Buffer.from(body),
            wisePublicKey(WISE_SANDBOX_PUBLIC_KEY),
            Buffer.from(signature, 'base64'),
          ),
        ).toBe(true)
      },
    )

    it.runIf(kind === 'pglite')(
      'unmatched (no reference, underpaid) queue; payer email matches the latest pending order of that amount',
      async () => {
        const c = await customer()
        const o = await order(c)
        const under = await sim.pay('stripe', { reference: o.reference, amountMinor: 49_999 })
        expect((await events(under.webhooks[0]!.eventId))[0]!.status).toBe('unmatched')
        const none = await sim.pay('revolut', { amountMinor: 77_700 })
        expect((await events(none.webhooks[0]!.eventId))[0]).toMatchObject({
          status: 'unmatched',
          amountMinor: 77_700,
        })
        expect(await available(c.workspaceId)).toBe(0n)
        const byEmail = await sim.pay('stripe', { amountMinor: 50_000, email: c.email.toUpperCase() })
        expect((await events(byEmail.webhooks[0]!.eventId))[0]).toMatchObject({
          status: 'applied',
          orderId: o.id,
        })
        expect(await available(c.workspaceId)).toBe(1_250_000n)
      },
    )

    it('commission: 20% pending to the referrer in the deposit posting; a refund reverses it', async () => {
      const referrer = await customer()
      const c = await customer()
      await h.db.insert(affiliates).values([
        { userId: referrer.userId, code: `r${Date.now()}${kind}`, createdAt: new Date() },
        {
          userId: c.userId,
          code: `c${Date.now()}${kind}`,
          referredBy: referrer.userId,
          createdAt: new Date(),
        },
      ])
      const o = await order(c, 1005)
      const pay = await sim.pay('stripe', { reference: o.reference, amountMinor: 100_500 })
      expect(pay.statuses).toEqual([200, 200])
      expect(await service.ledger.balance(accounts.affiliatePending(referrer.userId, 'EUR'))).toBe(20_100n)
      const [comm] = await h.db
        .select()
        .from(affiliateCommissions)
        .where(eq(affiliateCommissions.orderId, o.id))
      expect(comm).toMatchObject({ status: 'pending', amountMinor: 20_100, referrerId: referrer.userId })
      expect(comm!.availableAt.getTime() - comm!.createdAt.getTime()).toBe(30 * 86_400_000)
      const posting = (await service.ledger.postings({ workspaceId: c.workspaceId, limit: 5 })).find(
        (p) => p.type === 'deposit',
      )!
      expect(posting.transfers.map((t) => t.credit.purpose).sort()).toEqual([
        'affiliate_pending',
        'available',
        'revenue',
      ])
      // Half refunded: half the commission back, half the visits back.
      await sim.refund('stripe', { paymentRef: pay.paymentRef, amountMinor: 50_250 })
      expect(await service.ledger.balance(accounts.affiliatePending(referrer.userId, 'EUR'))).toBe(10_050n)
      expect(await available(c.workspaceId)).toBe(BigInt(o.visits - Math.floor(o.visits / 2)))
      expect((await c.api('GET', '/billing/balance')).json.visits.available).toBe(
        o.visits - Math.floor(o.visits / 2),
      )
      expect((await referrer.api('GET', '/billing/balance')).json.affiliate.pending_minor).toBe(10_050)
      expect(await service.ledger.audit()).toEqual([])
    })

    it.runIf(kind === 'pglite')(
      'a chargeback after visits were spent claws back what is left and records the rest',
      async () => {
        const c = await customer()
        const o = await order(c)
        const pay = await sim.pay('stripe', { reference: o.reference, amountMinor: 50_000 })
        await service.ledger.post(
          {
            idempotencyKey: `spend-${o.id}`,
            type: 'spend',
            workspaceId: c.workspaceId,
            transfers: [
              {
                debit: accounts.visitsAvailable(c.workspaceId),
                credit: accounts.visitsSpent(),
                amount: 1_000_000n,
              },
            ],
          },
          new Date(),
        )
        await sim.dispute({ paymentRef: pay.paymentRef, amountMinor: 50_000 })
        expect(await available(c.workspaceId)).toBe(0n)
        expect((await c.api('GET', `/billing/orders/${o.id}`)).json.status).toBe('disputed')
        const rev = (
          await service.ledger.postings({ workspaceId: c.workspaceId, types: ['refund'], limit: 1 })
        )[0]!
        expect(rev.metadata).toMatchObject({ clawed_visits: 250_000, unrecovered_visits: 1_000_000 })
        expect(await service.ledger.audit()).toEqual([])
      },
    )

    it.runIf(kind === 'pglite')('the pay page sends the signed webhooks', async () => {
      const c = await customer()
      const o = await order(c)
      const page = await fetch(`${sim.links.stripe}?reference=${o.reference}&amount=500.00`)
      expect(await page.text()).toContain(o.reference)
      const res = await fetch(`${sim.url}/pay/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ reference: o.reference, amount: '500.00', email: c.email }).toString(),
      })
      expect(res.status).toBe(200)
      expect(await available(c.workspaceId)).toBe(1_250_000n)
      expect(sim.deliveries().length).toBeGreaterThan(0)
    })

    it.runIf(kind === 'pglite')('unknown provider 404', async () => {
      const res = await fetch(`${base}/api/v1/webhooks/paypal`, { method: 'POST', body: '{}' })
      expect(res.status).toBe(404)
    })
  })
}
