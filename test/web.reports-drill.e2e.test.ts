/**
 * Reports in the browser (real server, built UI, Chromium): drill-down through several
 * levels by clicking rows (campaign → stream → destination → sub1 → …) with the path shown
 * and walked back, the new groupings in the picker, and a column preset saved, changed
 * and applied. Screenshots at 1366 and 390 px.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'reports-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[0139]\b/)

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-reports-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  const cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const dest = await apiCall(server.url, cookie, 'POST', '/destinations', {
    name: 'Offer Alpha',
    url: 'https://offer.example.com/?c={click_id}',
  })
  const camp = await apiCall(server.url, cookie, 'POST', '/campaigns', {
    name: 'Drill campaign',
    alias: 'drill-me',
    cost_micros: 20_000,
  })
  await apiCall(server.url, cookie, 'POST', '/streams', {
    campaign_id: camp.body.id,
    name: 'Main stream',
    kind: 'default',
    destinations: [{ destination_id: dest.body.id }],
  })
  const deadline = Date.now() + 20_000
  let sent = 0
  while (sent < 3 && Date.now() < deadline) {
    const r = await fetch(`${server.url}/c/drill-me?sub1=zone-${sent % 2}`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA, 'accept-language': 'de-DE,de;q=0.9' },
    })
    if (r.status === 302) sent++
    else await new Promise((res) => setTimeout(res, 200))
  }
  expect(sent).toBe(3)
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Freports%3Frange%3Dtoday%26tz%3DUTC%26by%3Dcampaign`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/reports/)
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('reports', () => {
  it('drills down through several levels and back', async () => {
    const table = page.getByTestId('report-table')
    const firstKey = () => table.locator('tbody tr').first().locator('td').first().getByRole('button')
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0)
    await expect.poll(() => firstKey().textContent(), { timeout: 20_000 }).toBe('Drill campaign')
    await firstKey().click()
    const path = page.getByTestId('drill-path')
    await path.getByText('Campaign: Drill campaign').waitFor()
    await expect.poll(() => firstKey().textContent()).toBe('Main stream')
    await firstKey().click()
    await path.getByText('Stream: Main stream').waitFor()
    await expect.poll(() => firstKey().textContent()).toBe('Offer Alpha')
    await firstKey().click()
    await path.getByText('Destination: Offer Alpha').waitFor()
    // Next level asked in the path: group this level by sub1, then drill into a zone.
    await page.selectOption('#drill-by', 'sub1')
    await expect.poll(() => firstKey().textContent()).toMatch(/^zone-/)
    await firstKey().click()
    await path.getByText(/Sub 1: zone-/).waitFor()
    await page.selectOption('#drill-by', 'language')
    await expect.poll(() => firstKey().textContent()).toBe('de')
    expect(new URL(page.url()).searchParams.get('drill')).toBe('campaign,stream,destination,sub1')
    await shot(page, 'reports-drill')

    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    })
    const p = await ctx.newPage()
    watch(p)
    await p.goto(page.url())
    await p.getByTestId('drill-path').waitFor()
    await p.getByTestId('report-table').locator('tbody tr').first().waitFor()
    expect(
      await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0)
    await shot(p, 'reports-drill')
    await ctx.close()

    // Back to the stream level: deeper filters gone, grouped by destination again.
    await path.getByRole('button', { name: 'Stream: Main stream' }).click()
    await expect.poll(() => firstKey().textContent()).toBe('Offer Alpha')
    const url = new URL(page.url())
    expect(url.searchParams.get('drill')).toBe('campaign,stream')
    expect(url.searchParams.has('sub1')).toBe(false)
    await path.getByRole('button', { name: 'All' }).click()
    await expect.poll(() => firstKey().textContent()).toBe('Drill campaign')
  })

  it('saves a column preset and applies it', async () => {
    await page.getByRole('button', { name: 'Columns' }).click()
    const dlg = page.getByRole('dialog')
    await dlg.getByLabel('Preset name').fill('Buyer view')
    await dlg.getByRole('button', { name: 'Save as preset' }).click()
    await dlg.getByTestId('report-presets').getByRole('button', { name: 'Buyer view', exact: true }).waitFor()
    await shot(page, 'reports-presets')
    // Hide ROI, then apply the preset: ROI is back.
    await dlg.getByLabel(/^ROI/).uncheck()
    await page.keyboard.press('Escape')
    const table = page.getByTestId('report-table')
    await expect.poll(() => table.locator('th', { hasText: /^ROI/ }).count()).toBe(0)
    await page.getByRole('button', { name: 'Columns' }).click()
    await page
      .getByRole('dialog')
      .getByTestId('report-presets')
      .getByRole('button', { name: 'Buyer view', exact: true })
      .click()
    await page.keyboard.press('Escape')
    await expect.poll(() => table.locator('th', { hasText: /^ROI/ }).count()).toBe(1)
    expect(pageErrors).toEqual([])
  })
})
