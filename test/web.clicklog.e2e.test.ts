/**
 * The click log end to end: the real server process (built UI, PGlite + chDB) and Debian's
 * Chromium through playwright-core. A visitor clicks the sample campaign with sub IDs; the
 * buyer finds the click in the log by its ID and by its sub value, opens its page and sees
 * the context, the route decision (the stream that served it, replayed the same today) and
 * no conversions yet. Screenshots at 1366×800 and 390×844 go to test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'clicklog-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
let cookie = ''
let clickId = ''
const pageErrors: string[] = []
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 401\b/)

/** The same path at phone width, with the desktop session; nothing may overflow. */
async function phoneShot(pathname: string, name: string, ready: string) {
  const ctx = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await desktop.storageState(),
  })
  const p = await ctx.newPage()
  watch(p)
  try {
    await p.goto(`${server.url}${pathname}`)
    await p.locator(ready).first().waitFor()
    await shot(p, name)
    const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    expect(overflow, `${name} overflows at 390 px`).toBeLessThanOrEqual(1)
  } finally {
    await ctx.close()
  }
}

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-clicklog-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  for (const sub of ['zone-a', 'zone-b', 'zone-ui-42']) {
    const res = await fetch(`${server.url}/c/sample?external_id=SRC-${sub}&sub1=${sub}&sub2=banner-300`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    expect(res.status).toBe(302)
    clickId = new URL(res.headers.get('location') ?? '').searchParams.get('click_id') ?? ''
  }
  expect(clickId).toMatch(/^[0-9A-Z]{26}$/)
  // Wait until the last click is in ClickHouse.
  for (let i = 0; i < 100; i++) {
    const r = await apiCall(server.url, cookie, 'GET', `/clicks?click_id=${clickId}`)
    if (r.status === 200 && r.body.items.length === 1) break
    await new Promise((r) => setTimeout(r, 100))
  }
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/`)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('click log', () => {
  it("lists today's clicks and finds one by its sub value and by its ID", async () => {
    await page.goto(`${server.url}/clicks`)
    await expect.poll(() => page.getByTestId('click-row').count(), { timeout: 20_000 }).toBe(3)
    await shot(page, 'clicklog-list')

    await page.getByLabel('Sub ID value').fill('zone-ui-42')
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.getByTestId('click-row').count(), { timeout: 20_000 }).toBe(1)
    await expect(page.getByTestId('click-row').first().textContent()).resolves.toContain(clickId)

    await page.getByRole('button', { name: 'Clear filters' }).click()
    await page.getByLabel('Click ID').fill(clickId)
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.getByTestId('click-row').count(), { timeout: 20_000 }).toBe(1)
    expect(page.url()).toContain(`click_id=${clickId}`)
    const csv = await page.getByTestId('clicks-csv').getAttribute('href')
    expect(csv).toContain(`/api/v1/clicks.csv?tz=UTC&click_id=${clickId}`)
    const body = await (await fetch(`${server.url}${csv}`, { headers: { cookie } })).text()
    expect(body).toContain('[Sample]')
    expect(body).toContain(clickId)
    await phoneShot('/clicks', 'clicklog-list', '[data-testid=click-row]')
  })

  it('opens the click page: context, route decision, conversions', async () => {
    await page.getByRole('link', { name: clickId }).click()
    await page.waitForURL(`${server.url}/clicks/${clickId}`)
    await page.getByTestId('route-decision').waitFor()
    await expect(page.getByTestId('click-id').textContent()).resolves.toBe(clickId)
    const context = await page.getByTestId('click-context').textContent()
    expect(context).toContain('zone-ui-42')
    expect(context).toContain('SRC-zone-ui-42')
    await page.getByTestId('replay-same').waitFor()
    expect(await page.getByTestId('trace-stream').count()).toBeGreaterThan(0)
    await page.getByTestId('click-conversions').getByText('No conversions').waitFor()
    await shot(page, 'clicklog-click')
    await phoneShot(`/clicks/${clickId}`, 'clicklog-click', '[data-testid=route-decision]')
    expect(pageErrors).toEqual([])
  })
})
