/**
 * Screenshots of the billing pages against a FAKE billing API — a development aid, not a test
 * and not part of the product. The real server runs (login, session, the built UI), and
 * Playwright's `route()` answers every `/api/v1/billing/**` request with JSON shaped like the
 * billing API contract (`/work/notes/billing-api.md`), so the pages can be built and looked at
 * before the billing endpoints exist in this branch. Once they do, the e2e test should drive
 * the real endpoints instead.
 *
 * Run: `npx tsx test/web.billing.screens.ts` → test/screenshots/billing-*-{1366,390}.png.
 * (Not named *.test.ts on purpose: `npm test` does not run it.)
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import path from 'node:path'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, SHOTS, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'billing-ui@traffoflex.test', password: 'correct horse battery staple' }
const CURRENCY = 'EUR'
const TIERS = [
  { from: 0, rate: 0.58 },
  { from: 129, rate: 0.43 },
  { from: 399, rate: 0.4 },
  { from: 999, rate: 0.33 },
  { from: 1249, rate: 0.25 },
  { from: 2999, rate: 0.2 },
]
const MIN_AMOUNT = 10
const MAX_AMOUNT = 50_000
const WS = '5b8f0c1e-2a7d-4c3e-9f10-7a1b2c3d4e5f'
const USER = '0d6c1f4a-9b2e-4f7a-8c3d-1e2f3a4b5c6d'

const iso = (daysAgo: number, h = 10) => new Date(Date.UTC(2025, 5, 20 - daysAgo, h, 14)).toISOString()
const page = <T>(items: T[]) => ({ items, next_cursor: null })
const validation = (path: string, message: string) => ({
  status: 400,
  body: { error: { code: 'validation_failed', message: 'Invalid request', details: [{ path, message }] } },
})

function quote(amount: number) {
  let tier = 0
  TIERS.forEach((t, i) => {
    if (t.from <= amount) tier = i
  })
  const rate = TIERS[tier]!.rate
  return {
    amount,
    currency: CURRENCY,
    rate,
    rate_minor_per_1000: Math.round(rate * 100),
    estimated_visits: Math.floor((Math.round(amount * 100) * 1000) / Math.round(rate * 100)),
    tier,
    tiers: TIERS,
    min_amount: MIN_AMOUNT,
    max_amount: MAX_AMOUNT,
  }
}

const payment = (reference: string, amount: number) => [
  {
    provider: 'stripe',
    kind: 'link',
    url: `https://buy.stripe.com/test_123?client_reference_id=${reference}&amount=${amount}`,
  },
  { provider: 'revolut', kind: 'link', url: `https://revolut.me/traffoflex/${amount}eur?note=${reference}` },
  {
    provider: 'wise',
    kind: 'link',
    url: `https://wise.com/pay/r/traffoflex?amount=${amount}&reference=${reference}`,
  },
  {
    // The payments branch names the bank-transfer instructions provider `bank`.
    provider: 'bank',
    kind: 'instructions',
    instructions: `Account holder: Traffoflex OÜ\nIBAN: BE68 5390 0754 7034\nBIC: TRWIBEB1XXX\nAmount: €${amount.toFixed(2)}\nReference: ${reference}`,
  },
]

function order(n: number, amount: number, status: string, daysAgo: number) {
  const q = quote(amount)
  const reference = `TF-${(48213 + n).toString(36).toUpperCase()}-${n}Q7`
  return {
    id: `9a3e0c6b-1f2d-4e5a-8b7c-${String(n).padStart(12, '0')}`,
    reference,
    amount,
    amount_minor: Math.round(amount * 100),
    currency: CURRENCY,
    rate: q.rate,
    visits: q.estimated_visits,
    tier: q.tier,
    status,
    expires_at: iso(daysAgo - 3),
    paid_at: status === 'paid' ? iso(daysAgo, 11) : null,
    created_at: iso(daysAgo),
    payment: payment(reference, amount),
  }
}

/** Mutable fake state (orders created through the UI are added). */
function fakeState(empty: boolean) {
  const orders = empty
    ? []
    : [
        order(1, 1500, 'pending', 0),
        order(2, 500, 'paid', 6),
        order(3, 129.9, 'expired', 14),
        order(4, 2999, 'paid', 30),
        order(5, 50, 'cancelled', 41),
      ]
  const transactions = empty
    ? []
    : [
        {
          id: 't1',
          type: 'deposit',
          created_at: iso(6, 11),
          reference: orders[1]!.reference,
          description: 'Order paid via Stripe',
          visits_delta: 1_250_000,
          changes: [{ account: 'available', asset: 'visits', delta: 1_250_000 }],
        },
        {
          id: 't2',
          type: 'hold',
          created_at: iso(5),
          reference: 'project 7f2c…',
          description: 'Reserved for project “Landing load test”',
          visits_delta: -200_000,
          changes: [
            { account: 'available', asset: 'visits', delta: -200_000 },
            { account: 'reserved', asset: 'visits', delta: 200_000 },
          ],
        },
        {
          id: 't3',
          type: 'hold_commit',
          created_at: iso(4),
          reference: 'project 7f2c…',
          description: null,
          visits_delta: 0,
          changes: [{ account: 'reserved', asset: 'visits', delta: -143_877 }],
        },
        {
          id: 't4',
          type: 'adjustment',
          created_at: iso(3),
          reference: null,
          description: 'Goodwill credit after outage on 14 June',
          visits_delta: 25_000,
          changes: [{ account: 'available', asset: 'visits', delta: 25_000 }],
        },
        {
          id: 't5',
          type: 'commission',
          created_at: iso(2),
          reference: 'evt_3PqX…',
          description: 'Commission on a referred payment',
          visits_delta: 0,
          changes: [{ account: 'affiliate_pending', asset: 'EUR', delta: 30_000 }],
        },
      ]
  return { orders, transactions, nextOrder: 6 }
}

type State = ReturnType<typeof fakeState>

const affiliate = {
  code: 'k7QmR2',
  link: 'https://traffoflex.example.com/r/k7QmR2',
  commission_rate: 0.2,
  hold_days: 30,
  min_payout_minor: 5_000,
  currency: CURRENCY,
  signups: 14,
  paying_referrals: 5,
  earnings: { pending_minor: 30_000, available_minor: 128_450, requested_minor: 0, paid_minor: 1_034_500 },
}

const referrals = [
  { email_masked: 'j***@acme.io', joined_at: iso(40), paying: true, earned_minor: 59_980, flagged: false },
  {
    email_masked: 'm***@growthlab.de',
    joined_at: iso(22),
    paying: true,
    earned_minor: 30_000,
    flagged: false,
  },
  { email_masked: 'p***@gmail.com', joined_at: iso(9), paying: false, earned_minor: 0, flagged: true },
  { email_masked: 's***@shop-42.com', joined_at: iso(3), paying: false, earned_minor: 0, flagged: false },
]
const commissions = [
  {
    id: 'c1',
    amount_minor: 30_000,
    currency: CURRENCY,
    status: 'pending',
    available_at: iso(-28),
    created_at: iso(2),
  },
  {
    id: 'c2',
    amount_minor: 59_980,
    currency: CURRENCY,
    status: 'available',
    available_at: iso(10),
    created_at: iso(40),
  },
  {
    id: 'c3',
    amount_minor: 2_598,
    currency: CURRENCY,
    status: 'reversed',
    available_at: iso(15),
    created_at: iso(45),
  },
]
const payouts = [
  {
    id: 'p1',
    amount_minor: 100_000,
    currency: CURRENCY,
    status: 'paid',
    destination: 'DE89 3704 0044 0532 0130 00, Jane Doe',
    paid_reference: 'SEPA-2025-06-02-0042',
    note: null,
    decided_at: iso(18),
    requested_at: iso(20),
  },
  {
    id: 'p2',
    amount_minor: 34_500,
    currency: CURRENCY,
    status: 'rejected',
    destination: 'jane@paypal.example',
    paid_reference: null,
    note: 'PayPal account could not receive EUR',
    decided_at: iso(50),
    requested_at: iso(52),
  },
]
const adminPayments = [
  {
    id: 'e1',
    provider: 'wise',
    event_id: 'wise_8812',
    event_type: 'transfers#state-change',
    kind: 'payment',
    status: 'unmatched',
    amount_minor: 50_000,
    currency: CURRENCY,
    payer_email: 'accounts@bigclient.example',
    order_reference: 'invoice 2025-117',
    order_id: null,
    workspace_id: null,
    note: 'Reference matched no order',
    received_at: iso(1),
    applied_at: null,
  },
  {
    id: 'e2',
    provider: 'revolut',
    event_id: 'rev_7781',
    event_type: 'ORDER_COMPLETED',
    kind: 'payment',
    status: 'unmatched',
    amount_minor: 12_990,
    currency: CURRENCY,
    payer_email: null,
    order_reference: null,
    order_id: null,
    workspace_id: null,
    note: 'No reference',
    received_at: iso(2),
    applied_at: null,
  },
]
const adminPayouts = [
  {
    id: 'ap1',
    user_id: USER,
    user_email: 'jane@agency.example',
    amount_minor: 128_450,
    currency: CURRENCY,
    status: 'requested',
    destination: 'DE89 3704 0044 0532 0130 00, Jane Doe',
    requested_at: iso(1),
  },
  {
    id: 'ap2',
    user_id: '7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f',
    user_email: 'marketing-team-lead@a-very-long-company-name.example',
    amount_minor: 5_000,
    currency: CURRENCY,
    status: 'requested',
    destination: 'payouts@a-very-long-company-name.example (PayPal)',
    requested_at: iso(2),
  },
]
const adminReferrals = [
  {
    user_id: USER,
    email: 'p.smith@gmail.com',
    referred_by: '7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f',
    referrer_email: 'jane@agency.example',
    referred_at: iso(9),
    flag: 'same_ip',
    signup_ip: '203.0.113.7',
  },
]
const audit = [
  {
    id: 3,
    at: iso(0, 9),
    actor_user_id: USER,
    workspace_id: WS,
    action: 'adjustment',
    reason: 'Goodwill credit after outage on 14 June',
    details: { visits: 25_000, posting_id: 'a1b2c3' },
  },
  {
    id: 2,
    at: iso(18),
    actor_user_id: USER,
    workspace_id: null,
    action: 'payout_paid',
    reason: null,
    details: { payout_id: 'p1', reference: 'SEPA-2025-06-02-0042' },
  },
  {
    id: 1,
    at: iso(50),
    actor_user_id: USER,
    workspace_id: null,
    action: 'payout_rejected',
    reason: 'PayPal account could not receive EUR',
    details: { payout_id: 'p2' },
  },
]

/** Answers one billing request from `state` (contract shapes); null = not faked (404). */
function answer(
  state: State,
  method: string,
  path: string,
  q: URLSearchParams,
  body: Record<string, unknown>,
  opts: { empty: boolean; failBalance: boolean },
): { status: number; body: unknown; csv?: string } | null {
  const list = <T>(items: T[]) => ({ status: 200, body: page(opts.empty ? [] : items) })
  if (method === 'GET' && path === '/billing/quote') {
    const raw = q.get('amount') ?? ''
    const amount = Number(raw)
    if (!raw || !(amount > 0)) return validation('amount', 'must be greater than 0')
    if (!/^\d+(\.\d{1,2})?$/.test(raw)) return validation('amount', 'at most 2 decimals')
    if (amount > MAX_AMOUNT) return validation('amount', `must be at most ${MAX_AMOUNT}`)
    return { status: 200, body: quote(amount) }
  }
  if (method === 'GET' && path === '/billing/balance') {
    if (opts.failBalance)
      return { status: 500, body: { error: { code: 'internal', message: 'Database unavailable' } } }
    return {
      status: 200,
      body: opts.empty
        ? {
            visits: { available: 0, reserved: 0 },
            affiliate: { currency: CURRENCY, pending_minor: 0, available_minor: 0, paid_minor: 0 },
          }
        : {
            visits: { available: 1_131_123, reserved: 56_123 },
            affiliate: {
              currency: CURRENCY,
              pending_minor: 30_000,
              available_minor: 128_450,
              paid_minor: 1_034_500,
            },
          },
    }
  }
  if (method === 'POST' && path === '/billing/orders') {
    const amount = Number(body.amount)
    if (amount > MAX_AMOUNT) return validation('amount', `must be at most ${MAX_AMOUNT}`)
    const o = order(state.nextOrder++, amount, 'pending', 0)
    state.orders.unshift(o)
    return { status: 201, body: o }
  }
  if (method === 'GET' && path === '/billing/orders') {
    const status = q.get('status')
    return { status: 200, body: page(state.orders.filter((o) => !status || o.status === status)) }
  }
  const cancel = /^\/billing\/orders\/([^/]+)\/cancel$/.exec(path)
  if (method === 'POST' && cancel) {
    const o = state.orders.find((x) => x.id === cancel[1])
    if (!o) return { status: 404, body: { error: { code: 'not_found', message: 'No such order' } } }
    o.status = 'cancelled'
    return { status: 200, body: o }
  }
  if (method === 'GET' && path === '/billing/transactions') {
    const type = q.get('type')
    const items = state.transactions.filter((t) => !type || t.type === type)
    if (q.get('format') === 'csv') {
      const csv = [
        'id,type,created_at,reference,visits_delta',
        ...items.map((t) => `${t.id},${t.type},${t.created_at},${t.reference ?? ''},${t.visits_delta}`),
      ].join('\n')
      return { status: 200, body: null, csv }
    }
    return { status: 200, body: page(items) }
  }
  if (method === 'GET' && path === '/billing/affiliate')
    return {
      status: 200,
      body: opts.empty
        ? {
            ...affiliate,
            signups: 0,
            paying_referrals: 0,
            earnings: { pending_minor: 0, available_minor: 0, paid_minor: 0 },
          }
        : affiliate,
    }
  if (method === 'GET' && path === '/billing/affiliate/referrals') return list(referrals)
  if (method === 'GET' && path === '/billing/affiliate/commissions') return list(commissions)
  if (method === 'GET' && path === '/billing/affiliate/payouts') return list(payouts)
  if (method === 'POST' && path === '/billing/affiliate/payouts') {
    if (String(body.destination ?? '').includes('@') && !String(body.destination).includes('.'))
      return validation('destination', 'is not a valid IBAN or email')
    if (typeof body.amount_minor === 'number' && body.amount_minor < affiliate.min_payout_minor)
      return validation('amount_minor', 'must be at least 5000 (the minimum payout)')
    return {
      status: 201,
      body: {
        id: 'p9',
        amount_minor: body.amount_minor ?? 128_450,
        currency: CURRENCY,
        status: 'requested',
        destination: body.destination,
        created_at: iso(0),
      },
    }
  }
  if (method === 'GET' && path === '/billing/admin/payments') {
    const status = q.get('status')
    return list(adminPayments.filter((p) => !status || p.status === status))
  }
  const assign = /^\/billing\/admin\/payments\/([^/]+)\/assign$/.exec(path)
  if (method === 'POST' && assign) return validation('order_id', 'no pending order with this ID')
  if (method === 'POST' && path === '/billing/admin/adjustments') {
    if (String(body.reason ?? '').trim().length < 10)
      return validation('reason', 'say more: at least 10 characters here (fake rule)')
    return { status: 201, body: { id: 'posting-1' } }
  }
  if (method === 'GET' && path === '/billing/admin/payouts') {
    if (q.get('format') === 'csv') return { status: 200, body: null, csv: 'id,amount_minor\nap1,128450\n' }
    const status = q.get('status')
    return list(adminPayouts.filter((p) => !status || p.status === status))
  }
  if (method === 'GET' && path === '/billing/admin/referrals') return list(adminReferrals)
  if (method === 'GET' && path === '/billing/admin/audit') return list(audit)
  return null
}

/** Fulfils `/api/v1/billing/**` of every page of `ctx` from a fresh fake state. */
async function installFake(
  ctx: BrowserContext,
  opts: { empty?: boolean; failBalance?: boolean; asUser?: boolean } = {},
) {
  const state = fakeState(opts.empty ?? false)
  const o = { empty: opts.empty ?? false, failBalance: opts.failBalance ?? false }
  await ctx.route('**/api/v1/billing/**', async (route: Route) => {
    const req = route.request()
    const url = new URL(req.url())
    const path = url.pathname.replace(/^\/api\/v1/, '')
    const body = (req.postDataJSON() as Record<string, unknown> | null) ?? {}
    const a = answer(state, req.method(), path, url.searchParams, body, o)
    if (!a)
      return route.fulfill({ status: 404, json: { error: { code: 'not_found', message: `fake: ${path}` } } })
    if (a.csv !== undefined) return route.fulfill({ status: 200, contentType: 'text/csv', body: a.csv })
    // A little latency, so the quote's debounce and loading states behave as they would.
    await new Promise((r) => setTimeout(r, 60))
    return route.fulfill({ status: a.status, json: a.body })
  })
  if (opts.asUser) {
    await ctx.route('**/api/v1/auth/me', async (route) => {
      const res = await route.fetch()
      const me = await res.json()
      me.user.role = 'user'
      await route.fulfill({ response: res, json: me })
    })
  }
}

let server: ServerProcess | undefined
let browser: Browser | undefined
const errors: string[] = []

async function newContext(
  viewport: typeof DESKTOP,
  storageState?: Awaited<ReturnType<BrowserContext['storageState']>>,
) {
  const ctx = await browser!.newContext({
    viewport,
    timezoneId: 'UTC',
    locale: 'en-GB',
    userAgent: CHROME_UA,
    ...(viewport === PHONE ? { isMobile: true, hasTouch: true } : {}),
    ...(storageState ? { storageState } : {}),
  })
  return ctx
}

const watch = (p: Page) => watchErrors(p, errors, /status of (40[01345]|500)\b/)

async function main() {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-billing-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  })
  const base = server.url
  const login = await newContext(DESKTOP)
  const lp = await login.newPage()
  await lp.goto(`${base}/login`)
  await lp.fill('#email', ADMIN.email)
  await lp.fill('#password', ADMIN.password)
  await lp.click('button[type=submit]')
  await lp.waitForURL(`${base}/`)
  const session = await login.storageState()
  await login.close()

  for (const viewport of [DESKTOP, PHONE]) {
    const ctx = await newContext(viewport, session)
    await installFake(ctx)
    const p = await ctx.newPage()
    watch(p)

    // Overview: balances, quote for the default amount, tier table, orders.
    await p.goto(`${base}/billing`)
    await p.getByTestId('quote-visits').filter({ hasText: '1,250,000' }).waitFor()
    await p.getByTestId('orders-table').waitFor()
    await shot(p, 'billing-overview')

    // Typing debounces into one quote; a bad amount is refused under the field.
    await p.fill('#buy-amount', '12.345')
    await p.locator('#buy-amount-error').waitFor()
    await shot(p, 'billing-quote-error')
    await p.fill('#buy-amount', '1500')
    await p.getByTestId('quote-visits').filter({ hasText: '6,000,000' }).waitFor()
    await p.getByRole('button', { name: 'Create order' }).click()
    await p.getByTestId('order-panel').waitFor()
    // The panel scrolls itself into view; full-page shots are easier to read from the top.
    await p.waitForTimeout(600)
    await p.evaluate('window.scrollTo(0, 0)')
    await shot(p, 'billing-order')

    await p.goto(`${base}/billing/transactions`)
    await p.getByTestId('transactions-table').waitFor()
    await shot(p, 'billing-transactions')

    await p.goto(`${base}/billing/affiliate`)
    await p.getByTestId('referrals-table').waitFor()
    await p.getByTestId('payouts-table').waitFor()
    await shot(p, 'billing-affiliate')
    // A server field error on the amount (API path amount_minor) shows under the amount field.
    await p.fill('#payout-destination', 'DE89 3704 0044 0532 0130 00')
    await p.fill('#payout-amount', '12')
    await p.getByRole('button', { name: 'Request payout' }).click()
    await p.locator('#payout-amount-error').waitFor()
    await p
      .getByTestId('payout-form')
      .screenshot({ path: path.join(SHOTS, `billing-payout-error-${viewport.width}.png`) })

    await p.goto(`${base}/billing/admin`)
    await p.getByTestId('admin-payments-table').waitFor()
    await shot(p, 'billing-admin-payments')
    await p.getByRole('button', { name: 'Assign' }).first().click()
    await p.fill('#assign-order', '9a3e0c6b-1f2d-4e5a-8b7c-000000000099')
    await p.getByRole('button', { name: 'Assign and apply' }).click()
    await p.locator('#assign-order-error').waitFor()
    await shot(p, 'billing-admin-assign')
    await p.keyboard.press('Escape')

    await p.goto(`${base}/billing/admin?tab=adjust`)
    await p.fill('#adj-workspace', WS)
    await p.fill('#adj-visits', '0')
    await p.fill('#adj-reason', 'ok')
    await p.getByRole('button', { name: 'Book adjustment' }).click()
    await p.locator('#adj-visits-error').waitFor()
    await p.fill('#adj-visits', '-5000')
    await p.fill('#adj-reason', 'short')
    await p.getByRole('button', { name: 'Book adjustment' }).click()
    await p.locator('#adj-reason-error').filter({ hasText: 'fake rule' }).waitFor()
    await shot(p, 'billing-admin-adjust')

    await p.goto(`${base}/billing/admin?tab=payouts`)
    await p.getByTestId('admin-payouts-table').waitFor()
    await shot(p, 'billing-admin-payouts')
    await p.getByRole('button', { name: 'Reject' }).first().click()
    await p.getByRole('button', { name: 'Reject payout' }).click()
    await p.locator('#decide-text-error').waitFor()
    await shot(p, 'billing-admin-reject')
    await p.keyboard.press('Escape')

    await p.goto(`${base}/billing/admin?tab=referrals`)
    await p.getByTestId('admin-referrals-table').waitFor()
    await shot(p, 'billing-admin-referrals')
    await p.goto(`${base}/billing/admin?tab=audit`)
    await p.getByTestId('admin-audit-table').waitFor()
    await shot(p, 'billing-admin-audit')
    await ctx.close()

    // Empty lists and a failing balance.
    const empty = await newContext(viewport, session)
    await installFake(empty, { empty: true, failBalance: true })
    const e = await empty.newPage()
    watch(e)
    await e.goto(`${base}/billing`)
    await e.getByTestId('orders').getByTestId('empty-state').waitFor()
    await e.getByText('Could not load the balance').waitFor()
    await shot(e, 'billing-empty')
    await e.goto(`${base}/billing/affiliate`)
    await e.getByTestId('referrals').getByTestId('empty-state').waitFor()
    await shot(e, 'billing-affiliate-empty')
    await empty.close()

    // A non-admin: no Admin tab, and /billing/admin says it is for administrators.
    const user = await newContext(viewport, session)
    await installFake(user, { asUser: true })
    const u = await user.newPage()
    watch(u)
    await u.goto(`${base}/billing/admin`)
    await u.getByText('For administrators').waitFor()
    const tabs = await u.getByTestId('billing-nav').getByRole('tab').allTextContents()
    if (tabs.includes('Admin')) throw new Error(`non-admin sees the Admin tab: ${tabs.join(', ')}`)
    await shot(u, 'billing-non-admin')
    await user.close()
  }
  const unexpected = errors.filter((e) => !/Failed to load resource/.test(e))
  if (unexpected.length) throw new Error(`page errors:\n${unexpected.join('\n')}`)
  console.log('screenshots in test/screenshots/billing-*.png')
}

main()
  .catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
  .finally(async () => {
    await browser?.close()
    await server?.stop()
  })
