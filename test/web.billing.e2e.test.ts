/**
 * Billing end to end: the real server process (built UI, PGlite + chDB) with the payments
 * simulator behind its payment links, driven by Debian's Chromium through playwright-core.
 *
 * The admin copies their affiliate link; a visitor follows it, signs up, is approved, opens
 * Billing, reads the quote for €500 (0.40 per 1,000 → 1,250,000 visits), creates an order and
 * pays it on the simulator's Stripe page (two signed webhooks); the balance shows the quoted
 * visits, the order is paid and the transaction listed; a replay of the webhooks changes
 * nothing; an admin assigns an unmatched payment to an order and books an adjustment (a
 * reason is required); the referrer sees 20 % of both payments (€125.80) pending. Screenshots at 1366×800 and 390×844 go
 * to test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type PaymentsSimulator,
  startPaymentsSimulator,
} from '../src/simulators/payments/payments.simulator.ts'
import { DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'billing-admin@traffoflex.test', password: 'correct horse battery staple' }
const BUYER = { name: 'Bea Buyer', email: 'bea.buyer@traffoflex.test', password: 'buyer password 12345' }
const STRIPE_SECRET = 'whsec_e2e_billing'
const REVOLUT_SECRET = 'e2e-revolut-secret'

let sim: PaymentsSimulator
let server: ServerProcess
let browser: Browser
let admin: BrowserContext
let buyer: BrowserContext
const pageErrors: string[] = []
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[0134]\b/)

async function signIn(p: Page, email: string, password: string) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', email)
  await p.fill('#password', password)
  await p.click('button[type=submit]')
  await p.waitForURL(`${server.url}/`)
}

/** The same URL at phone width (sharing `ctx`'s session), screenshot, close. */
async function phoneShot(
  ctx: BrowserContext,
  url: string,
  name: string,
  ready: (p: Page) => Promise<unknown>,
) {
  const phone = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await ctx.storageState(),
  })
  const p = await phone.newPage()
  watch(p)
  await p.goto(url)
  await ready(p)
  await shot(p, name)
  await phone.close()
}

beforeAll(async () => {
  // The server's port is known after it starts: the simulator's webhook target is set then.
  sim = await startPaymentsSimulator({
    target: 'http://127.0.0.1:9/api/v1/webhooks',
    stripeSecret: STRIPE_SECRET,
    revolutSecret: REVOLUT_SECRET,
    retries: 1,
    retryDelayMs: 20,
  })
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-billing-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      BILLING_STRIPE_LINK: sim.links.stripe,
      BILLING_REVOLUT_LINK: sim.links.revolut,
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      REVOLUT_WEBHOOK_SECRET: REVOLUT_SECRET,
    },
  })
  sim.setTarget(`${server.url}/api/v1/webhooks`)
  admin = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
  buyer = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await sim?.stop()
})

describe('buy credits through the simulated provider, with a referrer', () => {
  let link = ''

  it('the admin finds their affiliate link', async () => {
    const a = await admin.newPage()
    watch(a)
    await signIn(a, ADMIN.email, ADMIN.password)
    await a.goto(`${server.url}/billing/affiliate`)
    const url = a.getByTestId('affiliate-link-url')
    await url.waitFor()
    link = (await url.inputValue().catch(() => null)) ?? (await url.textContent()) ?? ''
    expect(link).toMatch(/\/r\/[A-Za-z0-9]{8}$/)
    await shot(a, 'billing-e2e-affiliate-empty')
  })

  it('a visitor follows the link, signs up and is approved', async () => {
    const v = await buyer.newPage()
    watch(v)
    // The printed link names PUBLIC_URL; the path is what matters here.
    await v.goto(`${server.url}${new URL(link).pathname}`)
    await v.waitForURL(/\/signup$/)
    await v.fill('#name', BUYER.name)
    await v.fill('#email', BUYER.email)
    await v.fill('#password', BUYER.password)
    await v.click('button[type=submit]')
    await v.waitForURL(/\/pending$/)

    const a = await admin.newPage()
    watch(a)
    await a.goto(`${server.url}/users`)
    const row = a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"]`)
    await row.getByRole('button', { name: 'Approve' }).click()
    await a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"][data-status="active"]`).waitFor()
    await a.close()
    await signIn(v, BUYER.email, BUYER.password)
  })

  let reference = ''
  it('quotes €500 at 0.40 per 1,000 → 1,250,000 visits and creates the order', async () => {
    const v = buyer.pages()[0]!
    await v.goto(`${server.url}/billing`)
    await v.getByTestId('buy-credits').waitFor()
    await v.fill('#buy-amount', '500')
    await expect.poll(() => v.getByTestId('quote-visits').textContent()).toMatch(/1,250,000/)
    await expect(v.getByTestId('quote-rate').textContent()).resolves.toMatch(/0\.40/)
    await shot(v, 'billing-e2e-quote')
    await v.getByRole('button', { name: /create order/i }).click()
    await v.getByTestId('order-panel').waitFor()
    reference = ((await v.getByTestId('order-reference').textContent()) ?? '').trim()
    expect(reference).toMatch(/^TF-[A-Z0-9]{6}$/)
    await expect(v.getByTestId('order-visits').textContent()).resolves.toMatch(/1,250,000/)
    await shot(v, 'billing-e2e-order')
  })

  it('pays on the simulated Stripe page; the balance shows the quoted visits', async () => {
    const v = buyer.pages()[0]!
    const [pay] = await Promise.all([buyer.waitForEvent('page'), v.getByTestId('pay-stripe').click()])
    await pay.waitForLoadState()
    await expect(pay.getByTestId('reference').textContent()).resolves.toBe(reference)
    await pay.fill('input[name=email]', BUYER.email)
    await pay.click('button[type=submit]')
    await expect(pay.getByTestId('result').textContent()).resolves.toBe('Payment sent')
    await pay.close()

    await v.reload()
    await expect
      .poll(() => v.getByTestId('balance-visits-available').textContent(), { timeout: 15_000 })
      .toMatch(/1,250,000/)
    await v.locator('[data-testid="order-row"]', { hasText: reference }).getByText(/paid/i).waitFor()
    await shot(v, 'billing-e2e-paid')
    await phoneShot(buyer, `${server.url}/billing`, 'billing-e2e-paid', (p) =>
      p
        .getByTestId('balance-visits-available')
        .getByText(/1,250,000/)
        .waitFor(),
    )

    await v.goto(`${server.url}/billing/transactions`)
    const row = v.getByTestId('transactions-table').locator('tbody tr', { hasText: reference }).first()
    await row.waitFor()
    await expect(row.textContent()).resolves.toMatch(/deposit/i)
    await expect(row.textContent()).resolves.toMatch(/1,250,000/)
    await shot(v, 'billing-e2e-transactions')
  })

  it('replayed webhooks change nothing', async () => {
    const v = buyer.pages()[0]!
    const balance = async () =>
      (
        (await (await v.request.get(`${server.url}/api/v1/billing/balance`)).json()) as {
          visits: { available: number }
        }
      ).visits.available
    expect(await balance()).toBe(1_250_000)
    // The pay page's payment: its two signed Stripe events, delivered again, three times.
    const paid = sim.payments().at(-1)!
    expect(paid.webhooks.map((w) => w.eventType)).toEqual([
      'checkout.session.completed',
      'payment_intent.succeeded',
    ])
    for (let i = 0; i < 3; i++) for (const w of paid.webhooks) expect(await sim.deliver(w)).toBe(200)
    expect(await balance()).toBe(1_250_000)
  })

  it('an admin assigns an unmatched payment and books an adjustment', async () => {
    const v = buyer.pages()[0]!
    const me = (await (await v.request.get(`${server.url}/api/v1/auth/me`)).json()) as {
      workspace: { id: string }
    }
    const order = (await (
      await v.request.post(`${server.url}/api/v1/billing/orders`, {
        data: { amount: 129 },
        headers: { 'x-requested-with': 'traffoflex' }, // the UI's CSRF header
      })
    ).json()) as { id: string; visits: number }
    expect(order.visits).toBe(300_000) // €129 at 0.43
    // A Revolut payment without the reference, from an address nobody has: unmatched.
    const stray = await sim.pay('revolut', { amountMinor: 12_900, email: 'stranger@elsewhere.test' })
    expect(stray.statuses).toEqual([200])

    const a = await admin.newPage()
    watch(a)
    await a.goto(`${server.url}/billing/admin?tab=payments`)
    const row = a.getByTestId('admin-payment-row').filter({ hasText: 'unmatched' }).first()
    await row.waitFor()
    await shot(a, 'billing-e2e-admin-unmatched')
    await row.getByRole('button', { name: 'Assign' }).click()
    await a.fill('#assign-order', order.id)
    await a.getByRole('button', { name: 'Assign and apply' }).click()
    await a.getByTestId('assign-dialog').waitFor({ state: 'detached' })
    const balance = async () =>
      (
        (await (await v.request.get(`${server.url}/api/v1/billing/balance`)).json()) as {
          visits: { available: number }
        }
      ).visits.available
    await expect.poll(balance).toBe(1_550_000)

    await a.goto(`${server.url}/billing/admin?tab=adjust`)
    await a.fill('#adj-workspace', me.workspace.id)
    await a.fill('#adj-visits', '-50000')
    await a.getByRole('button', { name: 'Book adjustment' }).click()
    // The reason is required: the form says so under its field and books nothing.
    await a.locator('#adj-reason-error').waitFor()
    expect(await balance()).toBe(1_550_000)
    await a.fill('#adj-reason', 'Goodwill correction after a support ticket')
    await a.getByRole('button', { name: 'Book adjustment' }).click()
    await expect.poll(balance).toBe(1_500_000)
    await shot(a, 'billing-e2e-admin-adjust')

    await a.goto(`${server.url}/billing/admin?tab=audit`)
    await expect.poll(() => a.getByTestId('admin-audit-row').count()).toBeGreaterThanOrEqual(2)
    await shot(a, 'billing-e2e-admin-audit')
    await phoneShot(admin, `${server.url}/billing/admin?tab=audit`, 'billing-e2e-admin-audit', (p) =>
      p.getByTestId('admin-audit-row').first().waitFor(),
    )
    await a.close()
  })

  it('the referrer sees 20 % of each payment pending (€100.00 + €25.80)', async () => {
    const a = await admin.newPage()
    watch(a)
    await a.goto(`${server.url}/billing/affiliate`)
    const stats = a.getByTestId('affiliate-stats')
    await expect.poll(() => stats.textContent(), { timeout: 15_000 }).toMatch(/€125\.80/)
    await expect(stats.textContent()).resolves.toMatch(/Paying referrals\s*1/)
    await a.getByTestId('referrals-table').waitFor()
    await expect.poll(() => a.getByTestId('commissions-table').locator('tbody tr').count()).toBe(2)
    await shot(a, 'billing-e2e-referrer')
    await phoneShot(admin, `${server.url}/billing/affiliate`, 'billing-e2e-referrer', (p) =>
      p.getByTestId('affiliate-stats').getByText('€125.80').first().waitFor(),
    )
    expect(pageErrors).toEqual([])
  })
})
