/**
 * The whole journey of issue 4 in the browser, as one test: a new user signs up and waits
 * for approval; a platform admin (another browser context) approves them on the Users page;
 * the user signs in, creates a CPC traffic source, an affiliate network, two destinations
 * and a campaign with a Germany stream and a default stream through the forms; visitors from
 * Germany and the US open the campaign link (real HTTP through the server; the country comes
 * from X-Forwarded-For, trusted from the loopback proxy); the clicks show on the dashboard
 * and in the reports; the network posts a conversion back for the German click, with the
 * postback URL copied from the network's settings; the reports then show revenue above cost
 * and a positive profit and ROI for the campaign.
 *
 * Real server process (PGlite + chDB), Debian's Chromium. Screenshots `journey-*` at
 * 1366×800 (and 390×844 for a few) in test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { freePort, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'admin@journey.test', password: 'correct horse battery staple' }
const BUYER = { email: 'buyer@journey.test', password: 'a long enough password', name: 'Jo Buyer' }
/** Client IPs the DB-IP Lite database places in Germany and the United States. */
const IP = { DE: '85.214.132.117', US: '8.8.8.8' }
const CPC = 0.05
const PAYOUT = 12.5

let server: ServerProcess
let browser: Browser
const pageErrors: string[] = []
// 401: the session probe before sign-in; 403: the pending account's probe.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[13]\b/)

async function signIn(p: Page, email: string, password: string) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', email)
  await p.fill('#password', password)
  await p.click('button[type=submit]')
  await p.waitForURL(`${server.url}/`)
}

/** Opens `url` at phone width with `ctx`'s session, waits for `ready`, takes a screenshot. */
async function phoneShot(ctx: BrowserContext, url: string, name: string, ready: string) {
  const phone = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    timezoneId: 'UTC',
    storageState: await ctx.storageState(),
  })
  const p = await phone.newPage()
  watch(p)
  try {
    await p.goto(url)
    await p.locator(ready).first().waitFor()
    await shot(p, name)
  } finally {
    await phone.close()
  }
}

/**
 * A visitor from `ip` opens the campaign link in a fresh browser context (the UI's trusted
 * proxy header carries the client IP) and lands on a sample offer.
 * @returns the offer's heading and the click ID the destination received in `c`.
 */
async function visit(link: string, ip: string): Promise<{ offer: string; clickId: string }> {
  const ctx = await browser.newContext({
    viewport: DESKTOP,
    userAgent: CHROME_UA,
    extraHTTPHeaders: { 'x-forwarded-for': ip },
  })
  try {
    const p = await ctx.newPage()
    await p.goto(`${link}?sub1=journey`)
    // Until the routing snapshot has the new campaign, the link answers 404.
    if (!p.url().includes('/sample/landing')) return { offer: '', clickId: '' }
    const param = p.locator('#params tr').filter({ has: p.locator('th', { hasText: /^c$/ }) })
    return {
      offer: (await p.locator('#offer').textContent()) ?? '',
      clickId: (await param.locator('td').textContent()) ?? '',
    }
  } finally {
    await ctx.close()
  }
}

/** The report table's figures of the row whose first cell is `key`, by column header. */
async function reportRow(p: Page, key: string): Promise<Record<string, string>> {
  const table = p.getByTestId('report-table')
  const headers = await table.locator('thead th').allTextContents()
  const row = table.locator('tbody tr').filter({ has: p.locator('td:first-child', { hasText: key }) })
  if ((await row.count()) !== 1) return {}
  const cells = await row.locator('td').allTextContents()
  return Object.fromEntries(headers.map((h, i) => [h.trim(), (cells[i] ?? '').trim()]))
}

/** "$1,234.50" / "−$0.10" / "12.5%" → number (NaN for "—"). */
const num = (s: string | undefined) =>
  Number((s ?? '').replace(/[−–]/g, '-').replace(/[^0-9.-]/g, '') || Number.NaN)

beforeAll(async () => {
  // Builds the UI first when web/dist is missing or stale (what `npm start` does).
  browser = await launchForUi()
  const port = await freePort()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-journey-'),
    port,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      // The test's browser is the visitors' proxy: X-Forwarded-For from loopback is trusted.
      TRUSTED_PROXIES: '127.0.0.1/32',
      PIPELINE_FLUSH_MS: '50',
    },
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('the journey of a new media buyer', () => {
  it('signs up, is approved, builds a campaign, gets clicks and a conversion, and sees the profit', async () => {
    const buyer = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
    const admin = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
    const b = await buyer.newPage()
    const a = await admin.newPage()
    watch(b)
    watch(a)
    try {
      // 1. Sign-up → pending.
      await b.goto(`${server.url}/signup`)
      await b.fill('#name', BUYER.name)
      await b.fill('#email', BUYER.email)
      await b.fill('#password', BUYER.password)
      await b.click('button[type=submit]')
      await b.waitForURL(/\/pending$/)
      await b.getByTestId('pending-page').getByText(BUYER.email).waitFor()
      await shot(b, 'journey-1-pending')
      // Signing in before the approval lands on the pending page too.
      await b.goto(`${server.url}/login`)
      await b.fill('#email', BUYER.email)
      await b.fill('#password', BUYER.password)
      await b.click('button[type=submit]')
      await b.getByTestId('pending-page').waitFor()

      // 2. The admin approves the account.
      await signIn(a, ADMIN.email, ADMIN.password)
      await a.goto(`${server.url}/users`)
      const userRow = a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"]`)
      await userRow.getByRole('button', { name: 'Approve' }).click()
      await a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"][data-status="active"]`).waitFor()
      await shot(a, 'journey-2-approved')

      // 3. The buyer signs in to an empty workspace.
      await signIn(b, BUYER.email, BUYER.password)
      await b.getByRole('heading', { name: 'Dashboard' }).waitFor()
      await shot(b, 'journey-3-dashboard-empty')

      // 4a. A traffic source paid per click.
      await b.getByRole('link', { name: 'Sources' }).first().click()
      await b.getByRole('heading', { name: 'Traffic sources' }).waitFor()
      await b.getByRole('button', { name: 'New source' }).first().click()
      const sourceForm = b.getByTestId('source-form')
      await b.fill('#source-name', 'PushHouse')
      await b.selectOption('#source-cost-model', 'cpc')
      await b.fill('#source-cost', String(CPC))
      await b.fill('#source-currency', 'USD')
      await sourceForm.getByRole('button', { name: 'Create source' }).click()
      await sourceForm.waitFor({ state: 'detached' })
      await b.getByTestId('source-row').filter({ hasText: 'PushHouse' }).getByText('$0.05').waitFor()
      await shot(b, 'journey-4a-sources')

      // 4b. An affiliate network; its postback URL is what the network will call.
      await b.getByRole('link', { name: 'Networks' }).first().click()
      await b.getByRole('button', { name: 'New network' }).first().click()
      await b.fill('#network-name', 'OfferVault')
      await b.fill('#network-secret', 'journey-secret')
      await b.getByRole('button', { name: 'Create network' }).click()
      await b.waitForURL(/\/networks\/[0-9a-f-]{36}$/)
      // The owner reveals the secret: the URL then carries it, only the macros stay {…}.
      await b.getByTestId('postback-secret-reveal').click()
      await expect.poll(() => b.getByTestId('postback-url').inputValue()).toContain('secret=journey-secret')
      const postbackTemplate = await b.getByTestId('postback-url').inputValue()
      expect(postbackTemplate).toContain('{click_id}')
      await shot(b, 'journey-4b-network')

      // 4c. Two destinations of that network, served by the app's sample landing page.
      for (const [name, offer] of [
        ['Offer DE', 'DE'],
        ['Offer World', 'WORLD'],
      ] as const) {
        await b.getByRole('link', { name: 'Offers' }).first().click()
        await b.getByRole('link', { name: 'New offer' }).first().click()
        await b.getByTestId('destination-form').waitFor()
        await b.fill('#d-name', name)
        await b.fill('#d-url', `${server.url}/sample/landing?offer=${offer}&c={click_id}`)
        await b.getByLabel('Affiliate network').selectOption({ label: 'OfferVault' })
        await b.fill('#d-payout', String(PAYOUT))
        if (offer === 'DE') await shot(b, 'journey-4c-destination-form')
        await b.getByRole('button', { name: 'Create offer' }).click()
        await b.getByTestId('destinations-table').getByText(name).waitFor()
      }
      await shot(b, 'journey-4c-destinations')

      // 4d. The campaign, bought from the source, with a Germany stream and a default stream.
      await b.getByRole('link', { name: 'Campaigns' }).first().click()
      await b.getByRole('link', { name: 'New campaign' }).first().click()
      await b.fill('#c-name', 'Journey DE')
      await b.getByLabel('Traffic source').selectOption({ label: 'PushHouse' })
      await b.getByRole('button', { name: 'Create campaign' }).click()
      const link = await b.getByTestId('campaign-link').inputValue()
      expect(link).toBe(`${server.url}/c/journey-de`)

      await b.getByRole('link', { name: 'Add stream' }).first().click()
      await b.fill('#s-name', 'Germany')
      await b.getByRole('button', { name: 'Add condition group' }).click()
      const rule = b.getByTestId('rule-0-0')
      await rule.getByLabel('Rule type').selectOption('country')
      await rule.getByLabel('Operator').selectOption('is')
      await rule.getByLabel('Values').fill('de')
      await b.getByLabel('Destination to add').selectOption({ label: 'Offer DE' })
      await b.getByRole('button', { name: 'Add destination' }).click()
      await shot(b, 'journey-4d-stream-form')
      await b.getByRole('button', { name: 'Create stream' }).click()
      await b.getByTestId('stream-row').first().waitFor()

      await b.getByRole('link', { name: 'Add stream' }).first().click()
      await b.fill('#s-name', 'Everyone else')
      await b.selectOption('#s-kind', 'default')
      await b.getByLabel('Destination to add').selectOption({ label: 'Offer World' })
      await b.getByRole('button', { name: 'Add destination' }).click()
      await b.getByRole('button', { name: 'Create stream' }).click()
      await expect.poll(() => b.getByTestId('stream-row').count()).toBe(2)
      await expect(b.getByTestId('stream-row').first().textContent()).resolves.toContain('Country is DE')
      await shot(b, 'journey-4d-campaign')
      await phoneShot(buyer, b.url(), 'journey-4d-campaign', '[data-testid=stream-row]')

      // 5. Visitors: two from Germany, one from the US. The routing snapshot follows the
      // configuration within SNAPSHOT_POLL_MS, so the first visit may still 404: poll.
      let de = { offer: '', clickId: '' }
      await expect
        .poll(
          async () => {
            de = await visit(link, IP.DE)
            return de.offer
          },
          { timeout: 20_000 },
        )
        .toBe('Offer DE')
      const de2 = await visit(link, IP.DE)
      const us = await visit(link, IP.US)
      expect(de2.offer).toBe('Offer DE')
      expect(us.offer).toBe('Offer WORLD')
      expect(de.clickId).toMatch(/^[0-9A-Z]{26}$/)

      await b.getByRole('link', { name: 'Dashboard' }).first().click()
      await expect
        .poll(async () => b.getByTestId('stat-clicks').getByTestId('stat-value').textContent(), {
          timeout: 30_000,
          interval: 1000,
        })
        .toBe('3')
      await b.getByTestId('top-campaigns').getByText('Journey DE').waitFor()
      await shot(b, 'journey-5-dashboard')
      await phoneShot(buyer, `${server.url}/`, 'journey-5-dashboard', '[data-testid=top-campaigns]')

      await b.getByRole('link', { name: 'Reports' }).first().click()
      await b.getByTestId('report-table').getByText('Journey DE').waitFor()
      const before = await reportRow(b, 'Journey DE')
      expect(before).toMatchObject({ Clicks: '3', 'Conv.': '0' })
      // No currency sign yet: the reports name the currencies of conversions only.
      expect([num(before.Cost), num(before.Revenue), num(before.Profit)]).toEqual([0.15, 0, -0.15])
      // Then by country: Germany 2, United States 1.
      await b.selectOption('#by-2', 'country')
      await expect.poll(() => b.getByTestId('report-table').locator('tbody tr').count()).toBe(2)
      const germany = b.getByTestId('report-table').locator('tbody tr').filter({ hasText: 'Germany (DE)' })
      await expect(germany.locator('td').nth(2).textContent()).resolves.toBe('2')
      await shot(b, 'journey-5-reports-country')

      // 6. The network posts the German sale back, on the URL from its settings page.
      const postback = postbackTemplate
        .replace('{click_id}', de.clickId)
        .replace('{transaction_id}', 'JOURNEY-1')
        .replace('{payout}', String(PAYOUT))
        .replace('{status}', 'sale')
      const pb = await fetch(postback)
      expect(pb.status, await pb.clone().text()).toBe(200)

      // The conversion reaches ClickHouse through the outbox a moment after the answer.
      await expect
        .poll(async () => {
          const res = await b.request.get(`${server.url}/api/v1/reports/overview?tz=UTC`)
          return ((await res.json()) as { conversions: number }).conversions
        })
        .toBe(1)

      // 7. The reports, reached through the sidebar (their figures were cached a minute
      // ago: they must refetch, not show the old ones), show the profit.
      await b.getByRole('link', { name: 'Dashboard' }).first().click()
      await b.getByRole('link', { name: 'Reports' }).first().click()
      await b.selectOption('#by-2', '')
      let after: Record<string, string> = {}
      await expect
        .poll(
          async () => {
            after = await reportRow(b, 'Journey DE')
            return after['Conv.']
          },
          { timeout: 5_000 },
        )
        .toBe('1')
      await b.getByRole('button', { name: 'Refresh' }).click()
      await b.getByRole('button', { name: 'Refresh' }).and(b.locator(':enabled')).waitFor()
      // Money in the conversion's currency (the destination's USD) once the totals know it.
      await expect
        .poll(async () => {
          after = await reportRow(b, 'Journey DE')
          return after.Revenue
        })
        .toBe('$12.50')
      expect(after).toMatchObject({ Clicks: '3', 'Conv.': '1', Cost: '$0.15', Profit: '$12.35' })
      expect(num(after.Revenue)).toBeGreaterThan(num(after.Cost))
      expect(num(after.ROI)).toBeGreaterThan(0)
      await shot(b, 'journey-7-reports-profit')
      await phoneShot(buyer, b.url(), 'journey-7-reports-profit', '[data-testid=report-table]')
    } finally {
      await buyer.close()
      await admin.close()
    }
    expect(pageErrors).toEqual([])
  }, 240_000)
})
