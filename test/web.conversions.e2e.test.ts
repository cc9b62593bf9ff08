/**
 * The conversion pages end to end: the real server process (built UI, PGlite + chDB +
 * pg-boss) and Debian's Chromium through playwright-core, with a loopback HTTP receiver as
 * the traffic source's postback target.
 *
 * 1. the network's sub mapping is edited in the postback settings (client and API field
 *    errors at their fields), saved, and shows in the postback URL preview;
 * 2. with the dashboard open, a click on the sample campaign and real postbacks for it
 *    (lead, then sale) appear in the live feed as conversions, and the counters follow;
 * 3. the conversion opens from the logs and shows its history (click, creation, status
 *    change, a duplicate) and the sub value the postback filled through the mapping;
 * 4. the source refused the outbound postback (HTTP 400): its delivery page shows the
 *    redacted URL, the parameters and the attempt log; Retry delivers it.
 *
 * Screenshots at 1366×800 and 390×844 go to test/screenshots/ (gitignored).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'
import { type Json, type Receiver, startReceiver } from './postbacks-out.helpers.ts'

const ADMIN = { email: 'conv-ui@traffoflex.test', password: 'correct horse battery staple' }
const SECRET = 'net-s3cret'
/** The source's postback carries a token the UI must never show. */
const SOURCE_TOKEN = 'src-t0ken-value'

let server: ServerProcess
let rx: Receiver
let browser: Browser
let desktop: BrowserContext
let page: Page
let cookie = ''
const pageErrors: string[] = []
/** The receiver refuses (400) until a test lets it through. */
let receiverStatus = 400

let networkId = ''
let clickId = ''
let conversionId = ''

// 401 before sign-in and the 400 of the deliberate invalid settings are expected.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[01]\b/)

async function api(method: string, path: string, body?: Json): Promise<Json> {
  const res = await apiCall(server.url, cookie, method, path, body)
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
  return res.body
}

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

const statValue = async (key: string) =>
  Number(
    (await page.getByTestId(`stat-${key}`).getByTestId('stat-value').textContent())?.replace(/\D/g, '') ??
      NaN,
  )

beforeAll(async () => {
  rx = await startReceiver(() => receiverStatus)
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-conv-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      OUTBOUND_ALLOW_PRIVATE: 'true',
      JOBS_POLL_MS: '100',
      PIPELINE_FLUSH_MS: '50',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  // The sample campaign's source posts back to the receiver; a network with a secret.
  const campaigns = await api('GET', '/campaigns?q=sample')
  const sample = (campaigns.items as Json[]).find((c) => c.alias === 'sample')!
  await api('PATCH', `/sources/${sample.source_id}`, {
    postback_url: `${rx.base}/pb?clickid={external_id}&payout={payout}&status={status}&token=${SOURCE_TOKEN}`,
  })
  networkId = (await api('POST', '/networks', { name: 'CPA Net', postback_secret: SECRET })).id

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
  await Promise.allSettled([server?.stop(), rx?.close()])
})

describe('conversion pages', () => {
  it('edits the sub mapping of a network, with field errors, and previews the postback URL', async () => {
    await page.goto(`${server.url}/networks/${networkId}`)
    const url = page.getByTestId('postback-url')
    await url.waitFor()
    const editor = page.getByTestId('subs-editor')
    await editor.getByText('None mapped').waitFor()

    // Two rows for the same sub, and a bad parameter name.
    await editor.getByRole('button', { name: 'Add sub' }).click()
    await page.getByLabel('Our sub, row 1').selectOption('sub2')
    await page.getByLabel('Network parameter, row 1').fill('aff_sub2')
    await expect(url.inputValue()).resolves.toContain('&aff_sub2={sub2}')
    await page.getByTestId('postback-url-unsaved').waitFor()
    await editor.getByRole('button', { name: 'Add sub' }).click()
    await page.getByLabel('Our sub, row 2').selectOption('sub2')
    await page.getByLabel('Network parameter, row 2').fill('bad name!')
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await editor.getByText('sub2 is mapped twice').waitFor()
    await page.getByLabel('Our sub, row 2').selectOption('sub3')
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await editor.getByText('1–64 chars of A–Z a–z 0–9 _ . - [ ]').waitFor()
    await page.getByLabel('Network parameter, row 2').fill('aff_sub3')

    // The API's own field error lands at its field: a custom template needs a click ID name.
    await page.selectOption('#pb-template', 'custom')
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await page.locator('#pb-click_id-error').getByText('required for the custom template').waitFor()
    await shot(page, 'network-subs-errors')
    await page.selectOption('#pb-template', 'subid_tid_payout_status')

    // A third row, removed again; then save.
    await editor.getByRole('button', { name: 'Add sub' }).click()
    expect(await page.getByTestId('sub-row').count()).toBe(3)
    await page.getByRole('button', { name: 'Remove row 3' }).click()
    expect(await page.getByTestId('sub-row').count()).toBe(2)
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await page.getByText('Postback settings saved').waitFor()
    await page.getByTestId('postback-url-unsaved').waitFor({ state: 'detached' })
    await expect.poll(() => url.inputValue()).toContain('&secret=••••••••&')
    const saved = await url.inputValue()
    expect(saved).toMatch(
      new RegExp(
        `/postback\\?network=${networkId}&secret=••••••••&subid=\\{click_id\\}.*&aff_sub2=\\{sub2\\}&aff_sub3=\\{sub3\\}$`,
      ),
    )
    expect((await api('GET', `/networks/${networkId}/postback-settings`)).params.subs).toEqual({
      sub2: 'aff_sub2',
      sub3: 'aff_sub3',
    })

    // After a reload the rows come back from the API.
    await page.reload()
    await page.getByTestId('sub-row').nth(1).waitFor()
    await expect(page.getByLabel('Our sub, row 1').inputValue()).resolves.toBe('sub2')
    await expect(page.getByLabel('Network parameter, row 2').inputValue()).resolves.toBe('aff_sub3')
    await expect.poll(() => url.inputValue()).toBe(saved)
    await shot(page, 'network-subs')
    await phoneShot(`/networks/${networkId}`, 'network-subs', '[data-testid=sub-row]')
  })

  it('shows conversions in the dashboard live feed as their postbacks arrive', async () => {
    await page.goto(`${server.url}/`)
    await page.getByTestId('live-status').getByText('Live').waitFor({ timeout: 10_000 })
    await page.getByTestId('stat-conversions').getByTestId('stat-value').waitFor()
    const before = await statValue('conversions')

    const click = await fetch(`${server.url}/c/sample?external_id=SRC-UI-1&sub1=conv-ui`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    expect(click.status).toBe(302)
    clickId = new URL(click.headers.get('location') ?? '').searchParams.get('click_id') ?? ''
    expect(clickId).toHaveLength(26)

    // The network's postbacks: a lead, then the sale (its sub2 comes through the mapping).
    const postback = (query: string) =>
      fetch(
        `${server.url}/postback?network=${networkId}&secret=${SECRET}&subid=${clickId}&tid=TX-UI-1&${query}`,
      )
    const lead = await postback('payout=2&status=lead&aff_sub2=from-network')
    expect(lead.status, await lead.clone().text()).toBe(200)
    conversionId = ((await lead.json()) as Json).conversion_id
    expect((await postback('payout=12.5&status=sale')).status).toBe(200)
    // A replay: a duplicate, shown in the conversion's history but not in the feed.
    expect((await postback('payout=12.5&status=sale')).status).toBe(200)

    const conversions = page.locator('[data-testid=live-item][data-type=conversion]')
    await conversions.nth(1).waitFor({ timeout: 10_000 })
    await expect(conversions.nth(0).textContent()).resolves.toContain('lead → sale')
    await expect(conversions.nth(0).textContent()).resolves.toContain('conversion $12.50')
    await expect(conversions.nth(1).textContent()).resolves.toContain('conversion $2.00')
    expect(await conversions.count()).toBe(2)
    await expect(conversions.nth(0).textContent()).resolves.toContain('[Sample]')

    // The counters follow within seconds (not the 15 s poll).
    await expect.poll(() => statValue('conversions'), { timeout: 10_000, interval: 250 }).toBe(before + 1)
    await shot(page, 'dashboard-live-conversion')
  })

  it('opens the conversion from the logs and shows its history', async () => {
    await page.goto(`${server.url}/logs?tab=conversions`)
    const row = page.getByTestId('conversion-row').filter({ hasText: 'sale' }).first()
    await row.waitFor()
    await row.getByRole('link').click()
    await page.waitForURL(`${server.url}/logs/conversions/${conversionId}`)
    await expect(page.getByTestId('conversion-status').textContent()).resolves.toBe('sale')
    await expect(page.getByTestId('conversion-click-id').textContent()).resolves.toBe(clickId)
    const details = page.getByTestId('conversion-details')
    await expect(details.textContent()).resolves.toContain('TX-UI-1')
    await expect(details.textContent()).resolves.toContain('$12.50')
    await expect(details.textContent()).resolves.toContain('CPA Net')
    // sub1 from the click, sub2 from the postback through the mapping.
    const subs = await page.getByTestId('conversion-subs').textContent()
    expect(subs).toContain('conv-ui')
    expect(subs).toContain('from-network')

    const entries = page.getByTestId('timeline-entry')
    await entries.nth(3).waitFor()
    const kinds = await entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))
    expect(kinds).toEqual(['click', 'change', 'change', 'postback'])
    await expect(entries.nth(1).textContent()).resolves.toContain('Created as lead')
    await expect(entries.nth(2).textContent()).resolves.toContain('lead → sale')
    await expect(entries.nth(2).textContent()).resolves.toContain('+$10.50')
    await expect(entries.nth(3).textContent()).resolves.toContain('200 duplicate')
    // The secret never shows: the log has it redacted.
    expect(await page.getByTestId('conversion-history').textContent()).not.toContain(SECRET)
    // Both changes reach the reports.
    await expect
      .poll(() => page.getByTestId('conversion-history').getByText('In the reports since').count(), {
        timeout: 20_000,
      })
      .toBe(2)
    // The outbound postbacks it caused (the source refused them: 400 → failed).
    const out = page.getByTestId('conversion-outbound-row')
    await out.nth(1).waitFor()
    await expect.poll(() => out.filter({ hasText: 'failed' }).count(), { timeout: 15_000 }).toBe(2)
    await shot(page, 'conversion')
    await phoneShot(`/logs/conversions/${conversionId}`, 'conversion', '[data-testid=timeline-entry]')

    // The back link returns to the tab it came from.
    await page.getByRole('link', { name: 'Conversions' }).first().click()
    await page.waitForURL(/\/logs\?tab=conversions$/)
  })

  it('opens a refused outbound delivery, shows its attempt log and retries it', async () => {
    await page.goto(`${server.url}/logs?tab=outbound`)
    const row = page.getByTestId('outbound-row').filter({ hasText: 'sale' }).first()
    await row.waitFor()
    await row.getByRole('link').click()
    await page.waitForURL(/\/logs\/outbound\/[0-9a-f-]{36}$/)
    await expect(page.getByTestId('outbound-state').textContent()).resolves.toBe('failed')

    // The URL as the API shows it: the token is redacted; the parameters listed.
    const target = page.getByTestId('outbound-url')
    await expect(target.textContent()).resolves.toBe(
      `${rx.base}/pb?clickid=SRC-UI-1&payout=12.5&status=sale&token=***`,
    )
    expect(await page.locator('body').textContent()).not.toContain(SOURCE_TOKEN)
    const payload = await page.getByTestId('outbound-payload').textContent()
    expect(payload).toContain('SRC-UI-1')
    expect(payload).toContain('12.5')

    const attempts = page.getByTestId('attempt-row')
    await expect(attempts.count()).resolves.toBe(1)
    const first = await attempts.first().textContent()
    expect(first).toContain('#1')
    expect(first).toContain('failed')
    expect(first).toContain('400')
    expect(first).toMatch(/\d+ ms/)
    await shot(page, 'outbound-failed')

    // The source is fixed: retry delivers.
    receiverStatus = 200
    await page.getByRole('button', { name: 'Retry delivery' }).click()
    await page.getByText('Delivery restarted').waitFor()
    await expect
      .poll(() => page.getByTestId('outbound-state').textContent(), { timeout: 20_000 })
      .toBe('delivered')
    await expect.poll(() => attempts.count(), { timeout: 10_000 }).toBe(2)
    const retried = await attempts.first().textContent()
    expect(retried).toContain('retry 1 · #1')
    expect(retried).toContain('delivered')
    expect(retried).toContain('200')
    expect(await page.getByRole('button', { name: 'Retry delivery' }).count()).toBe(0)
    expect(rx.delivered()).toBe(1)
    await shot(page, 'outbound')
    await phoneShot(page.url().replace(server.url, ''), 'outbound', '[data-testid=attempt-row]')
  })

  it('had no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
