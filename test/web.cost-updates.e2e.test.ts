/**
 * Cost updates in the browser: the real server process (built UI, PGlite + chDB) and
 * Debian's Chromium. A campaign with $0.01 CPC gets 4 clicks through its link; on the
 * campaign page the buyer enters today's real cost ($2), sees the live preview (4 clicks,
 * $0.04 → $2.00), applies it, finds it in the history, checks the reports' cost, reverts it,
 * and imports a CSV whose bad line is shown by number. Screenshots at 1366 and 390 px.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'costs-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
let cookie = ''
let campaignId = ''
const pageErrors: string[] = []
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[0139]\b/)
const today = () => new Date().toISOString().slice(0, 10)

async function todayCost(): Promise<number> {
  const r = await apiCall(
    server.url,
    cookie,
    'GET',
    `/reports/overview?from=${today()}&to=${today()}&tz=UTC&campaign_id=${campaignId}`,
  )
  return r.body.cost
}

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-costs-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const dest = await apiCall(server.url, cookie, 'POST', '/destinations', {
    name: 'Offer',
    url: 'https://offer.example.com/?c={click_id}',
  })
  expect(dest.status).toBe(201)
  const camp = await apiCall(server.url, cookie, 'POST', '/campaigns', {
    name: 'Push DE — costs',
    alias: 'push-costs',
    timezone: 'UTC',
    currency: 'USD',
    cost_micros: 10_000,
  })
  expect(camp.status).toBe(201)
  campaignId = camp.body.id
  const stream = await apiCall(server.url, cookie, 'POST', '/streams', {
    campaign_id: campaignId,
    name: 'All',
    kind: 'default',
    destinations: [{ destination_id: dest.body.id }],
  })
  expect(stream.status).toBe(201)
  // The redirect picks the new campaign up within the snapshot poll.
  const deadline = Date.now() + 20_000
  let sent = 0
  while (sent < 4 && Date.now() < deadline) {
    const r = await fetch(`${server.url}/c/push-costs?sub1=zone-${sent % 2}`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    if (r.status === 302) sent++
    else await new Promise((res) => setTimeout(res, 200))
  }
  expect(sent).toBe(4)
  for (let i = 0; i < 50 && (await todayCost()) !== 0.04; i++) await new Promise((r) => setTimeout(r, 200))
  expect(await todayCost()).toBe(0.04)

  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Fcampaigns%2F${campaignId}`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/campaigns/${campaignId}`)
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('costs on the campaign page', () => {
  it('previews, applies, shows in history and reports, reverts', async () => {
    const card = page.getByTestId('cost-updates')
    await card.scrollIntoViewIfNeeded()
    await page.fill('#cost-from', today())
    await page.fill('#cost-to', today())
    await page.fill('#cost-total', '2')
    const preview = page.getByTestId('cost-preview')
    await expect.poll(() => preview.textContent(), { timeout: 15_000 }).toContain('$2.00')
    const text = (await preview.textContent()) ?? ''
    expect(text).toContain('4')
    expect(text).toContain('$0.04')
    await shot(page, 'cost-updates-preview')
    await page.getByRole('button', { name: 'Apply cost' }).click()
    await page.getByTestId('cost-history').waitFor()
    await expect.poll(() => page.getByTestId('cost-history').textContent()).toContain('$2.00')
    expect(await todayCost()).toBe(2)
    await shot(page, 'cost-updates-history')

    // Phone width: same page, no sideways scrolling.
    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    })
    const p = await ctx.newPage()
    watch(p)
    await p.goto(`${server.url}/campaigns/${campaignId}`)
    await p.getByTestId('cost-history').waitFor()
    expect(
      await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0)
    await shot(p, 'cost-updates')
    await ctx.close()

    await page.getByRole('button', { name: 'Revert' }).click()
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Revert' }).click()
    await expect.poll(() => page.getByTestId('cost-history').textContent()).toContain('Reverted')
    expect(await todayCost()).toBe(0.04)
  })

  it('CSV import: a bad line is named, a good file imports', async () => {
    await page.getByRole('button', { name: 'Import CSV' }).click()
    const dlg = page.getByTestId('cost-import')
    await dlg
      .getByLabel('CSV text')
      .fill(
        `campaign,from,to,sub_key,sub_value,cost\npush-costs,${today()},${today()},sub1,zone-0,1.5\nnope,${today()},${today()},,,1`,
      )
    await dlg.getByRole('button', { name: 'Check' }).click()
    await dlg.getByTestId('cost-import-preview').waitFor()
    expect(await dlg.getByTestId('cost-import-preview').textContent()).toContain('Line 3')
    await shot(page, 'cost-import-errors')
    await dlg
      .getByLabel('CSV text')
      .fill(`campaign,from,to,sub_key,sub_value,cost\npush-costs,${today()},${today()},sub1,zone-0,1.5`)
    await dlg.getByRole('button', { name: 'Check' }).click()
    await expect.poll(() => dlg.getByTestId('cost-import-preview').textContent()).toContain('1 valid row')
    await dlg.getByRole('button', { name: /^Import 1 row/ }).click()
    await dlg.waitFor({ state: 'detached' })
    // zone-0 had 2 clicks at $0.01: now $1.50; zone-1 keeps $0.02.
    await expect.poll(todayCost).toBe(1.52)
    expect(pageErrors).toEqual([])
  })
})
