/**
 * Campaign and destination pages end to end: the real server process (built UI, PGlite +
 * chDB) driven by Debian's Chromium through playwright-core. Creates two destinations and a
 * campaign with two streams (a country-conditioned one and a default one) through the
 * forms, previews the route, opens the campaign link like a visitor, and finds the click on
 * the dashboard. Screenshots at 1366×800 and 390×844 go to test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { CHROME_UA, DESKTOP, PHONE, shot, launchForUi, watchErrors } from './helpers/browser.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'campaigns-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []
let campaignPath = ''

const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[013]\b/)

/** The same URL at phone width (sharing the desktop session), screenshot, close. */
async function phoneShot(url: string, name: string, ready: (p: Page) => Promise<unknown>) {
  const ctx = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await desktop.storageState(),
  })
  const p = await ctx.newPage()
  watch(p)
  await p.goto(url)
  await ready(p)
  await shot(p, name)
  await ctx.close()
}

beforeAll(async () => {
  // Builds the UI first when web/dist is missing or stale (what `npm start` does).
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-campaigns-'),
    // The destinations point at this server's own sample landing on loopback, with a health
    // check: private health-check targets are refused at save time unless allowed.
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PIPELINE_FLUSH_MS: '50',
      HEALTHCHECK_ALLOW_PRIVATE: 'true',
    },
  })
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  // Old /destinations links land on /offers, the page's canonical path.
  await page.goto(`${server.url}/login?next=%2Fdestinations`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/offers`)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('destinations', () => {
  it('creates two destinations through the form, with field errors from validation', async () => {
    await page.getByRole('heading', { name: 'Offers' }).waitFor()
    await page.getByRole('link', { name: 'New offer' }).first().click()
    await page.getByTestId('destination-form').waitFor()

    // An invalid URL is shown under its field.
    await page.fill('#d-name', 'Offer US')
    await page.fill('#d-url', 'not a url')
    await page.getByRole('button', { name: 'Create offer' }).click()
    await page.locator('#d-url-error').waitFor()

    await page.fill('#d-url', `${server.url}/sample/landing?offer=US&c={click_id}`)
    await page.fill('#d-payout', '1.50')
    await page.fill('#d-daily', '1000')
    await page.getByLabel('Limit to a weekly schedule').check()
    await page.getByTestId('schedule-editor').waitFor()
    await page.getByLabel("Check this destination's health").check()
    await shot(page, 'destination-form')
    await phoneShot(`${server.url}/offers/new`, 'destination-form', (p) =>
      p.getByTestId('destination-form').waitFor(),
    )
    await page.getByRole('button', { name: 'Create offer' }).click()
    await page.getByTestId('destinations-table').getByText('Offer US').waitFor()

    await page.getByRole('link', { name: 'New offer' }).first().click()
    await page.fill('#d-name', 'Offer World')
    await page.fill('#d-url', `${server.url}/sample/landing?offer=WORLD&c={click_id}`)
    await page.getByRole('button', { name: 'Create offer' }).click()
    await page.getByTestId('destinations-table').getByText('Offer World').waitFor()

    // Search narrows the list.
    await page.getByLabel('Search offers').fill('world')
    await expect.poll(() => page.getByTestId('destinations-table').locator('tbody tr').count()).toBe(1)
    // Clearing it shows them all again (the server also seeds sample destinations).
    await page.getByLabel('Search offers').fill('')
    await expect
      .poll(() => page.getByTestId('destinations-table').locator('tbody tr').count())
      .toBeGreaterThanOrEqual(2)
    await page.getByTestId('destinations-table').getByText('Offer US').waitFor()
    await shot(page, 'destinations')
    await phoneShot(`${server.url}/offers`, 'destinations', (p) =>
      p.getByTestId('destinations-table').waitFor(),
    )
  })
})

describe('campaigns', () => {
  it('creates a campaign with a country stream and a default stream', async () => {
    await page.goto(`${server.url}/campaigns`)
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor()
    await page.getByRole('link', { name: 'New campaign' }).first().click()
    await page.fill('#c-name', 'UI Split Test')
    await expect(page.inputValue('#c-alias')).resolves.toBe('ui-split-test')
    await shot(page, 'campaign-form')
    await page.getByRole('button', { name: 'Create campaign' }).click()
    await page.getByTestId('campaign-link').waitFor()
    campaignPath = new URL(page.url()).pathname
    await expect(page.inputValue('[data-testid=campaign-link]')).resolves.toMatch(/\/c\/ui-split-test$/)

    // Stream 1: country IS US → Offer US.
    await page.getByRole('link', { name: 'Add stream' }).first().click()
    await page.getByTestId('stream-form').waitFor()
    await page.fill('#s-name', 'US traffic')
    await page.fill('#s-priority', '10')
    await page.getByRole('button', { name: 'Add condition group' }).click()
    const rule = page.getByTestId('rule-0-0')
    await rule.getByLabel('Rule type').selectOption('country')
    await rule.getByLabel('Operator').selectOption('is')
    await rule.getByLabel('Values').fill('us, ca')
    await page.getByLabel('Destination to add').selectOption({ label: 'Offer US' })
    await page.getByRole('button', { name: 'Add destination' }).click()
    await page.getByLabel('Destination to add').selectOption({ label: 'Offer World' })
    await page.getByRole('button', { name: 'Add destination' }).click()
    await page.getByRole('button', { name: 'Move up' }).nth(1).click()
    await expect(page.getByTestId('stream-destination').first().textContent()).resolves.toContain(
      'Offer World',
    )
    await page.getByRole('button', { name: 'Move down' }).first().click()
    await page.getByRole('button', { name: 'Remove destination' }).nth(1).click()
    await shot(page, 'stream-form')
    await phoneShot(page.url(), 'stream-form', (p) => p.getByTestId('stream-form').waitFor())
    await page.getByRole('button', { name: 'Create stream' }).click()
    await page.getByTestId('stream-row').first().waitFor()

    // Stream 2: default → Offer World.
    await page.getByRole('link', { name: 'Add stream' }).first().click()
    await page.fill('#s-name', 'Everyone else')
    await page.selectOption('#s-kind', 'default')
    await page.getByLabel('Destination to add').selectOption({ label: 'Offer World' })
    await page.getByRole('button', { name: 'Add destination' }).click()
    await page.getByRole('button', { name: 'Create stream' }).click()
    await expect.poll(() => page.getByTestId('stream-row').count()).toBe(2)
    const rows = page.getByTestId('stream-row')
    await expect(rows.nth(0).textContent()).resolves.toContain('Country is US, CA')
    await expect(rows.nth(1).textContent()).resolves.toContain('Everyone else')
  })

  it('edit shows the campaign’s traffic source (not "None")', async () => {
    const headers = { 'x-requested-with': 'traffoflex' }
    const src = await page.request.post(`${server.url}/api/v1/sources`, {
      headers,
      data: { name: 'Edit Test Source', cost_model: 'cpc', default_cost_micros: 50_000, currency: 'EUR' },
    })
    expect(src.status(), await src.text()).toBe(201)
    const sourceId = ((await src.json()) as { id: string }).id
    const id = campaignPath.split('/').at(-1)
    const patch = await page.request.patch(`${server.url}/api/v1/campaigns/${id}`, {
      headers,
      data: { source_id: sourceId },
    })
    expect(patch.status(), await patch.text()).toBe(200)

    // A fresh load of the edit page: the sources list arrives after the form mounts.
    await page.goto(`${server.url}${campaignPath}/edit`)
    await page.getByTestId('campaign-form').waitFor()
    await expect.poll(() => page.locator('#c-source option:checked').textContent()).toBe('Edit Test Source')
    await expect(page.inputValue('#c-source')).resolves.toBe(sourceId)
    // Saving without touching it keeps the source.
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.waitForURL(`${server.url}${campaignPath}`)
    const after = await page.request.get(`${server.url}/api/v1/campaigns/${id}`)
    expect(((await after.json()) as { source_id: string }).source_id).toBe(sourceId)
    await page.getByTestId('stream-row').first().waitFor()
  })

  it('previews the route: a US visitor goes to Offer US, others to the default stream', async () => {
    const preview = page.getByTestId('route-preview')
    await preview.getByLabel('IP address').fill('8.8.8.8')
    await preview.getByRole('button', { name: 'Preview route' }).click()
    await preview.getByTestId('preview-result').waitFor()
    const url = await preview.getByTestId('preview-url').textContent()
    await expect(preview.getByTestId('trace-stream').count()).resolves.toBeGreaterThanOrEqual(1)
    // Whatever the IP database says about 8.8.8.8, a private address has no country.
    await preview.getByLabel('IP address').fill('10.1.2.3')
    await preview.getByRole('button', { name: 'Preview route' }).click()
    await expect.poll(() => preview.getByTestId('preview-url').textContent()).toContain('offer=WORLD')
    expect(url).toMatch(/offer=(US|WORLD)/)
    await shot(page, 'campaign-detail')
    await phoneShot(page.url(), 'campaign-detail', (p) => p.getByTestId('stream-row').first().waitFor())
  })

  it('lists the campaign, and its link lands on the destination and counts on the dashboard', async () => {
    await page.goto(`${server.url}/campaigns`)
    await page.getByTestId('campaigns-table').getByText('UI Split Test').waitFor()
    await shot(page, 'campaigns')
    await phoneShot(`${server.url}/campaigns`, 'campaigns', (p) => p.getByTestId('campaigns-table').waitFor())

    const visitor = await desktop.newPage()
    await visitor.goto(`${server.url.replace('127.0.0.1', 'localhost')}/c/ui-split-test?sub1=campaigns-e2e`)
    expect(visitor.url()).toContain('/sample/landing?offer=WORLD')
    await visitor.close()

    await page.goto(`${server.url}/`)
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    await expect
      .poll(async () => (await page.getByTestId('top-campaigns').textContent()) ?? '', {
        timeout: 30_000,
        interval: 1000,
      })
      .toContain('UI Split Test')
    // The cost CSV import opens from the list's toolbar and previews a file of this campaign
    // (whose click above gives the cost something to spread over).
    await page.goto(`${server.url}/campaigns`)
    await page.getByTestId('cost-import-open').click()
    const dlg = page.getByTestId('cost-import')
    const day = new Date().toISOString().slice(0, 10)
    await dlg
      .getByLabel('CSV text')
      .fill(`campaign,from,to,sub_key,sub_value,cost\nui-split-test,${day},${day},,,2.5`)
    await dlg.getByRole('button', { name: 'Check' }).click()
    await expect.poll(() => dlg.getByTestId('cost-import-preview').textContent()).toContain('1 valid row')
    await shot(page, 'campaigns-cost-import')
    await page.keyboard.press('Escape')
    await dlg.waitFor({ state: 'detached' })
    expect(campaignPath).toMatch(/^\/campaigns\/[0-9a-f-]{36}$/)
    expect(pageErrors).toEqual([])
  })
})
