/**
 * Billing API on PGlite through the real app (`app.inject`): quote (and its 400s), orders,
 * balance, transactions (JSON and CSV), admin assign/adjust with audit rows, workspace
 * isolation and the admin role check.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  billingRoutes,
  billingSettingsFromEnv,
  createBillingService,
  webhookRoutes,
} from '../src/modules/billing/index.ts'
import {
  startPaymentsSimulator,
  type PaymentsSimulator,
} from '../src/simulators/payments/payments.simulator.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

describe('billing API (PGlite)', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let sim: PaymentsSimulator
  type User = Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let A: User
  let B: User
  let admin: User

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    const wise = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const config = testConfig({
      STRIPE_WEBHOOK_SECRET: 'whsec_api',
      REVOLUT_WEBHOOK_SECRET: 'rev_api',
      BILLING_WISE_PUBLIC_KEY: wise.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      BILLING_STRIPE_LINK: 'https://pay.example/stripe?x=1',
      BILLING_BANK_INSTRUCTIONS: 'IBAN XX00 0000, reference {reference}, {amount}',
    })
    const service = createBillingService({
      db: h.db,
      clock: { now: () => new Date() },
      settings: billingSettingsFromEnv(config),
    })
    app = await testApiApp(h.db, {
      config,
      plugins: [{ plugin: billingRoutes({ service }) }, { plugin: webhookRoutes({ service }) }],
    })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    sim = await startPaymentsSimulator({
      target: `${base}/api/v1/webhooks`,
      stripeSecret: 'whsec_api',
      revolutSecret: 'rev_api',
      wiseKeyPair: wise,
    })
    A = await createWorkspaceWithKey(h.db)
    B = await createWorkspaceWithKey(h.db)
    admin = await createWorkspaceWithKey(h.db, { role: 'admin' })
  }, 120_000)
  afterAll(async () => {
    await sim?.stop()
    await app?.close()
    await h?.drop()
  })

  const call = async (who: User, method: string, url: string, body?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${who.apiKey}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    })
    let json: Json = {}
    try {
      json = res.json() as Json
    } catch {
      json = {}
    }
    return { status: res.statusCode, json, text: res.body, headers: res.headers }
  }

  it('quote: the seed example and the curve', async () => {
    const r = await call(A, 'GET', '/billing/quote?amount=500')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({
      amount: 500,
      currency: 'EUR',
      rate: 0.4,
      rate_minor_per_1000: 40,
      estimated_visits: 1_250_000,
      tier: 2,
      min_amount: 1,
      max_amount: 100_000,
    })
    expect(r.json.tiers).toEqual([
      { from: 0, rate: 0.58 },
      { from: 129, rate: 0.43 },
      { from: 399, rate: 0.4 },
      { from: 999, rate: 0.33 },
      { from: 1249, rate: 0.25 },
      { from: 2999, rate: 0.2 },
    ])
    expect((await call(A, 'GET', '/billing/quote?amount=398.50')).json).toMatchObject({ tier: 1, rate: 0.43 })
  })

  it.each([
    '',
    '?amount=',
    '?amount=0',
    '?amount=-5',
    '?amount=1.234',
    '?amount=abc',
    '?amount=100001',
    '?amount=1e3',
  ])('quote %s → 400', async (q) => {
    const r = await call(A, 'GET', `/billing/quote${q}`)
    expect(r.status).toBe(400)
    expect(r.json.error.code).toBe('validation_failed')
  })

  it('orders: create (201, links, instructions), list, get, cancel; 400 for bad amounts', async () => {
    const r = await call(A, 'POST', '/billing/orders', { amount: 129 })
    expect(r.status).toBe(201)
    expect(r.json).toMatchObject({
      amount: 129,
      amount_minor: 12_900,
      rate: 0.43,
      visits: 300_000,
      tier: 1,
      status: 'pending',
      paid_at: null,
    })
    expect(r.json.payment[0]).toMatchObject({ provider: 'stripe', kind: 'link' })
    const link = new URL(r.json.payment[0].url)
    expect(link.searchParams.get('reference')).toBe(r.json.reference)
    expect(link.searchParams.get('amount')).toBe('129.00')
    expect(r.json.payment[1].instructions).toContain(r.json.reference)
    expect(new Date(r.json.expires_at).getTime() - new Date(r.json.created_at).getTime()).toBe(3_600_000)
    for (const bad of [
      { amount: 0 },
      { amount: 1.001 },
      { amount: '5' },
      {},
      { amount: 5, extra: 1 },
      { amount: 10_000_000 },
    ])
      expect((await call(A, 'POST', '/billing/orders', bad)).status, JSON.stringify(bad)).toBe(400)
    const list = await call(A, 'GET', '/billing/orders?status=pending')
    expect(list.json.items.map((o: Json) => o.id)).toContain(r.json.id)
    expect(list.json.next_cursor).toBeNull()
    expect((await call(A, 'GET', `/billing/orders/${r.json.id}`)).json.reference).toBe(r.json.reference)
    const c = await call(A, 'POST', `/billing/orders/${r.json.id}/cancel`)
    expect(c.json.status).toBe('cancelled')
    expect((await call(A, 'POST', `/billing/orders/${r.json.id}/cancel`)).status).toBe(409)
  })

  it('paging with next_cursor', async () => {
    const u = await createWorkspaceWithKey(h.db)
    for (let i = 0; i < 3; i++) await call(u, 'POST', '/billing/orders', { amount: 10 + i })
    const p1 = await call(u, 'GET', '/billing/orders?limit=2')
    expect(p1.json.items).toHaveLength(2)
    const p2 = await call(u, 'GET', `/billing/orders?limit=2&cursor=${p1.json.next_cursor}`)
    expect(p2.json.items).toHaveLength(1)
    expect(p2.json.next_cursor).toBeNull()
    expect((await call(u, 'GET', '/billing/orders?cursor=zzz')).status).toBe(400)
  })

  it('workspace isolation: B cannot see or cancel A’s orders or transactions', async () => {
    const o = (await call(A, 'POST', '/billing/orders', { amount: 500 })).json
    await sim.pay('stripe', { reference: o.reference, amountMinor: 50_000 })
    expect((await call(B, 'GET', `/billing/orders/${o.id}`)).status).toBe(404)
    expect((await call(B, 'POST', `/billing/orders/${o.id}/cancel`)).status).toBe(404)
    expect((await call(B, 'GET', '/billing/orders')).json.items).toEqual([])
    expect((await call(B, 'GET', '/billing/transactions')).json.items).toEqual([])
    expect((await call(B, 'GET', '/billing/balance')).json.visits).toEqual({ available: 0, reserved: 0 })
    expect((await call(A, 'GET', '/billing/balance')).json.visits.available).toBe(1_250_000)
  })

  it('transactions: JSON with changes, type filter, CSV', async () => {
    const t = await call(A, 'GET', '/billing/transactions')
    expect(t.status).toBe(200)
    const dep = t.json.items.find((x: Json) => x.type === 'deposit')
    expect(dep).toMatchObject({
      visits_delta: 1_250_000,
      changes: [{ account: 'available', asset: 'visits', delta: 1_250_000 }],
    })
    expect(dep.description).toContain('TF-')
    expect((await call(A, 'GET', '/billing/transactions?type=refund')).json.items).toEqual([])
    expect((await call(A, 'GET', '/billing/transactions?type=bogus')).status).toBe(400)
    expect(
      (await call(A, 'GET', '/billing/transactions?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z')).json
        .items,
    ).toEqual([])
    const csv = await call(A, 'GET', '/billing/transactions?format=csv')
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe('id,type,created_at,reference,description,visits_delta,changes')
    expect(lines[1]).toContain('deposit')
  })

  it('admin routes: 403 for a non-admin', async () => {
    for (const [m, u, b] of [
      ['GET', '/billing/admin/payments', undefined],
      ['GET', '/billing/admin/audit', undefined],
      ['POST', '/billing/admin/adjustments', { workspace_id: A.workspaceId, visits: 5, reason: 'nope' }],
      ['POST', `/billing/admin/payments/${A.workspaceId}/assign`, { order_id: A.workspaceId }],
    ] as const)
      expect((await call(A, m, u, b)).status, u).toBe(403)
  })

  it('admin: unmatched queue → assign to an order or a workspace; adjustments with reason; audit rows', async () => {
    const o = (await call(B, 'POST', '/billing/orders', { amount: 129 })).json
    const lost = await sim.pay('revolut', { amountMinor: 12_900 })
    const q = await call(admin, 'GET', '/billing/admin/payments?status=unmatched')
    const ev = q.json.items.find((e: Json) => e.event_id === lost.webhooks[0]!.eventId)
    expect(ev).toMatchObject({
      provider: 'revolut',
      status: 'unmatched',
      amount_minor: 12_900,
      currency: 'EUR',
    })
    const assigned = await call(admin, 'POST', `/billing/admin/payments/${ev.id}/assign`, {
      order_id: o.id,
      reason: 'bank ref typo',
    })
    expect(assigned.status).toBe(200)
    expect(assigned.json.order.status).toBe('paid')
    expect(assigned.json.payment.status).toBe('applied')
    expect(
      (await call(admin, 'POST', `/billing/admin/payments/${ev.id}/assign`, { order_id: o.id })).status,
    ).toBe(409)
    expect((await call(B, 'GET', '/billing/balance')).json.visits.available).toBe(300_000)

    const lost2 = await sim.pay('wise', { amountMinor: 50_000 })
    const q2 = await call(admin, 'GET', '/billing/admin/payments?status=unmatched')
    const ev2 = q2.json.items.find((e: Json) => e.event_id === lost2.webhooks[0]!.eventId)
    const toWs = await call(admin, 'POST', `/billing/admin/payments/${ev2.id}/assign`, {
      workspace_id: B.workspaceId,
      user_id: B.userId,
    })
    expect(toWs.json.order).toMatchObject({ status: 'paid', visits: 1_250_000 })
    expect(
      (
        await call(admin, 'POST', `/billing/admin/payments/${ev2.id}/assign`, {
          workspace_id: A.workspaceId,
          user_id: B.userId,
        })
      ).status,
    ).toBe(409)

    expect(
      (
        await call(admin, 'POST', '/billing/admin/adjustments', {
          workspace_id: B.workspaceId,
          visits: 5,
          reason: '',
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await call(admin, 'POST', '/billing/admin/adjustments', {
          workspace_id: B.workspaceId,
          visits: 0,
          reason: 'zero',
        })
      ).status,
    ).toBe(400)
    const adj = await call(admin, 'POST', '/billing/admin/adjustments', {
      workspace_id: B.workspaceId,
      visits: -50,
      reason: 'goodwill correction',
    })
    expect(adj.status).toBe(201)
    expect(adj.json).toMatchObject({ visits_delta: -50, reason: 'goodwill correction' })
    const tooMuch = await call(admin, 'POST', '/billing/admin/adjustments', {
      workspace_id: A.workspaceId,
      visits: -10_000_000,
      reason: 'too much',
    })
    expect(tooMuch.status).toBe(422)
    expect((await call(B, 'GET', '/billing/balance')).json.visits.available).toBe(300_000 + 1_250_000 - 50)
    const tx = await call(B, 'GET', '/billing/transactions?type=adjustment')
    expect(tx.json.items[0]).toMatchObject({
      visits_delta: -50,
      description: expect.stringContaining('goodwill correction'),
    })

    const audit = await call(admin, 'GET', `/billing/admin/audit?workspace_id=${B.workspaceId}`)
    expect(audit.json.items.map((a: Json) => a.action)).toEqual([
      'adjustment',
      'assign_payment',
      'assign_payment',
    ])
    expect(audit.json.items[0]).toMatchObject({ actor_user_id: admin.userId, reason: 'goodwill correction' })
  })
})
