/**
 * The operations pages end to end: the real server process (built UI, PGlite + chDB) and
 * Debian's Chromium through playwright-core. Creates a traffic source and an affiliate
 * network through their forms (with a field error from the form), sends a real postback for
 * a click of the sample campaign with the network's postback URL, and finds it in the
 * postback log and the conversions tab; opens the outbound, ingestion and health views.
 *
 * Screenshots at 1366×800 and 390×844 go to test/screenshots/ (gitignored).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { CHROME_UA, DESKTOP, PHONE, shot, launchForUi, watchErrors } from './helpers/browser.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'ops@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []
let networkId = ''
/** The postback URL the network settings' Copy button gave (secret included). */
let copiedUrl = ''

// 401 before sign-in and the 400 of the deliberate invalid form submission are expected.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[01]\b/)

/** The same path at phone width, with the desktop session. */
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
    // Nothing may overflow the phone's width (tables scroll inside their card).
    const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    expect(overflow, `${name} overflows at 390 px`).toBeLessThanOrEqual(1)
  } finally {
    await ctx.close()
  }
}

beforeAll(async () => {
  // Builds the UI first when web/dist is missing or stale (what `npm start` does).
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-ops-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
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

describe('operations pages', () => {
  it('creates and edits a traffic source through the form, with field errors', async () => {
    await page.goto(`${server.url}/sources`)
    await page.getByRole('heading', { name: 'Traffic sources' }).waitFor()
    // The sample campaign's seed may already have a source: a table or the empty state.
    await page.locator('[data-testid=sources-table], [data-testid=empty-state]').first().waitFor()

    await page.getByRole('button', { name: 'New source' }).first().click()
    const form = page.getByTestId('source-form')
    await form.waitFor()
    // Client-side checks: empty name, bad currency.
    await page.fill('#source-currency', 'u1')
    await form.getByRole('button', { name: 'Create source' }).click()
    await form.getByText('Name the source').waitFor()
    await form.getByText('ISO 4217 code, e.g. USD').waitFor()

    await page.fill('#source-name', 'PropellerAds')
    await page.selectOption('#source-cost-model', 'cpc')
    await page.fill('#source-cost', '0.05')
    await page.fill('#source-currency', 'usd')
    await page.fill('#source-external-id', 'clickid')
    await page.fill('#source-postback', 'https://source.example/pb?cid=')
    await form.getByRole('button', { name: '{external_id}' }).click()
    await expect(page.inputValue('#source-postback')).resolves.toBe(
      'https://source.example/pb?cid={external_id}',
    )
    await shot(page, 'source-form')
    await form.getByRole('button', { name: 'Create source' }).click()
    await form.waitFor({ state: 'detached' })
    const row = page.getByTestId('source-row').filter({ hasText: 'PropellerAds' })
    await row.waitFor()
    await expect(row.textContent()).resolves.toContain('$0.05')

    // The API's own field error lands under its field: a name over 200 characters.
    // Row actions sit in a menu (the list toolkit's ⋮ button).
    await row.getByRole('button', { name: 'Actions for PropellerAds' }).click()
    await page.getByRole('menuitem', { name: 'Edit' }).click()
    await form.waitFor()
    await expect(page.inputValue('#source-cost')).resolves.toBe('0.05')
    await page.fill('#source-name', 'x'.repeat(201))
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    await page.locator('#source-name-error').waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()

    // Search.
    await page.fill('input[aria-label="Search sources"]', 'nothing-like-this')
    await page.getByText('No source matches').waitFor()
    await page.fill('input[aria-label="Search sources"]', 'propeller')
    await page.getByTestId('source-row').first().waitFor()
    await shot(page, 'sources')
    await phoneShot('/sources', 'sources', '[data-testid=source-row]')
  })

  it('creates an affiliate network and shows its postback URL', async () => {
    await page.goto(`${server.url}/networks`)
    await page.getByRole('heading', { name: 'Affiliate networks' }).waitFor()
    await page.getByRole('button', { name: 'New network' }).first().click()
    await page.fill('#network-name', 'MaxBounty')
    await page.fill('#network-secret', 's3cret-token')
    await page.getByRole('button', { name: 'Create network' }).click()
    await page.waitForURL(/\/networks\/[0-9a-f-]{36}$/)
    networkId = page.url().split('/').at(-1) ?? ''
    const url = page.getByTestId('postback-url')
    await url.waitFor()
    // On screen the secret is masked until "Reveal"; the owner's copy carries it.
    await expect.poll(() => url.inputValue()).toContain('&secret=••••••••&')
    const value = await url.inputValue()
    // PUBLIC_URL's host may differ from the loopback address the test talks to.
    expect(value).toMatch(
      new RegExp(
        `^http://[^/]+:${server.port}/postback\\?network=${networkId}&secret=••••••••&subid=\\{click_id\\}&tid=\\{transaction_id\\}&payout=\\{payout\\}&status=\\{status\\}$`,
      ),
    )
    await page.getByTestId('postback-secret-reveal').click()
    await expect.poll(() => url.inputValue()).toContain('&secret=s3cret-token&')
    await page.getByTestId('postback-secret-reveal').click()
    await expect.poll(() => url.inputValue()).toContain('&secret=••••••••&')
    await desktop.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    await page.getByTestId('postback-url-copy').click()
    await page.getByTestId('postback-url-copy').getByText('Copied').waitFor()
    copiedUrl = await page.evaluate('navigator.clipboard.readText()')
    // Only the network's macros are left as {…}: the secret is the real one.
    expect(copiedUrl).toMatch(
      new RegExp(
        `/postback\\?network=${networkId}&secret=s3cret-token&subid=\\{click_id\\}&tid=\\{transaction_id\\}&payout=\\{payout\\}&status=\\{status\\}$`,
      ),
    )

    // A bad status map line is a field error; a good one is saved.
    await page.fill('#pb-status-map', 'nonsense')
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await page.locator('#pb-status-map-error').waitFor()
    await page.fill('#pb-status-map', '1 = sale\n2 = rejected')
    await page.getByRole('button', { name: 'Save postback settings' }).click()
    await page.getByText('Postback settings saved').waitFor()
    await shot(page, 'network')
    await phoneShot(`/networks/${networkId}`, 'network', '[data-testid=postback-url]')

    await page.getByRole('link', { name: 'Networks' }).first().click()
    await page.getByTestId('network-row').filter({ hasText: 'MaxBounty' }).waitFor()
    await shot(page, 'networks')
    await phoneShot('/networks', 'networks', '[data-testid=network-row]')
  })

  it('logs a real postback and its conversion', async () => {
    // A click of the sample campaign: its landing URL carries the click ID.
    const click = await fetch(`${server.url}/c/sample?sub1=ops`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    expect(click.status).toBe(302)
    const clickId = new URL(click.headers.get('location') ?? '').searchParams.get('click_id') ?? ''
    expect(clickId).toHaveLength(26)
    // The copied postback URL, pasted as is with the network's macros filled in.
    const pasted = new URL(
      copiedUrl
        .replace('{click_id}', clickId)
        .replace('{transaction_id}', 'T-1')
        .replace('{payout}', '12.5')
        .replace('{status}', '1'),
    )
    expect(pasted.search).not.toMatch(/[{}]/)
    // PUBLIC_URL's host may differ from the loopback address the test talks to.
    const pb = await fetch(`${server.url}/postback${pasted.search}`)
    expect(pb.status, await pb.clone().text()).toBe(200)
    // And a refused one (wrong secret), which the log shows too.
    expect(
      (await fetch(`${server.url}/postback?network=${networkId}&secret=nope&subid=${clickId}`)).status,
    ).toBe(403)

    await page.goto(`${server.url}/logs`)
    await page.getByRole('heading', { name: 'Logs' }).waitFor()
    const rows = page.getByTestId('postback-log-row')
    await rows.nth(1).waitFor()
    await expect(rows.nth(0).textContent()).resolves.toContain('403 bad secret')
    const accepted = rows.nth(1)
    await expect(accepted.textContent()).resolves.toContain('200 accepted')
    await expect(accepted.textContent()).resolves.toContain('12.50')
    await expect(accepted.textContent()).resolves.toContain(clickId)
    await shot(page, 'logs-postbacks')
    await phoneShot('/logs', 'logs-postbacks', '[data-testid=postback-log-row]')

    // Filter by outcome.
    await page.selectOption('select[aria-label="Outcome"]', 'accepted')
    // A locator, not waitForFunction: the UI's CSP forbids the eval that a string predicate needs.
    await expect
      .poll(() => page.locator('[data-testid=postback-log-row]').count(), { timeout: 10_000 })
      .toBe(1)

    await page.getByRole('tab', { name: 'Conversions' }).click()
    await page.waitForURL(/tab=conversions/)
    const conv = page.getByTestId('conversion-row').first()
    await conv.waitFor()
    const text = await conv.textContent()
    expect(text).toContain('sale')
    expect(text).toContain('$12.50')
    expect(text).toContain('MaxBounty')
    await shot(page, 'logs-conversions')
    await phoneShot('/logs?tab=conversions', 'logs-conversions', '[data-testid=conversion-row]')
  })

  it('shows outbound deliveries and ingestion status', async () => {
    await page.goto(`${server.url}/logs?tab=outbound`)
    // The sample campaign has no source with a postback URL: nothing was sent.
    await page.getByText('No outbound postbacks yet').waitFor()
    await shot(page, 'logs-outbound')

    await page.getByRole('tab', { name: 'Ingestion' }).click()
    await page.getByTestId('ingestion-status').waitFor()
    await page.getByText('Click pipeline').waitFor()
    await shot(page, 'logs-ingestion')
    await phoneShot('/logs?tab=ingestion', 'logs-ingestion', '[data-testid=ingestion-status]')

    // Postbacks were merged into Logs: old links land on the same tab there.
    await page.goto(`${server.url}/postbacks`)
    await page.waitForURL(`${server.url}/logs`)
    await page.getByRole('heading', { name: 'Logs' }).waitFor()
    await page.getByTestId('postback-log-row').first().waitFor()
    await page.goto(`${server.url}/postbacks?tab=outbound`)
    await page.waitForURL(`${server.url}/logs?tab=outbound`)
    await expect(
      page.getByRole('tab', { name: 'Postbacks out' }).getAttribute('aria-selected'),
    ).resolves.toBe('true')
    // One entry in the navigation: Logs.
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link', { name: 'Postbacks' }).count()).toBe(0)
    expect(await nav.getByRole('link', { name: 'Logs' }).count()).toBe(1)
  })

  it('shows every Logs tab whole at 390 px', async () => {
    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      await p.goto(`${server.url}/logs`)
      const tabs = p.getByTestId('logs-tabs').getByRole('tab')
      // Postbacks in/out, Conversions, Changes; Security (workspace owner); Ingestion (platform admin).
      await expect.poll(() => tabs.count()).toBe(6)
      for (let i = 0; i < 6; i++) {
        const box = await tabs.nth(i).boundingBox()
        expect(box, `tab ${i}`).not.toBeNull()
        expect(box!.x, `tab ${i} starts on screen`).toBeGreaterThanOrEqual(0)
        expect(box!.x + box!.width, `tab ${i} ends on screen`).toBeLessThanOrEqual(PHONE.width)
      }
      // Nothing hidden behind a scroll inside the tab list, and no sideways page scroll.
      expect(
        await p.evaluate<number>(
          "(() => { const l = document.querySelector('[data-testid=logs-tabs]'); return l.scrollWidth - l.clientWidth })()",
        ),
      ).toBeLessThanOrEqual(1)
      expect(await p.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
        PHONE.width,
      )
      await shot(p, 'logs-tabs')
    } finally {
      await ctx.close()
    }
  })

  it('opens the health page', async () => {
    await page.goto(`${server.url}/health`)
    await page.getByRole('heading', { name: 'Health', exact: true }).waitFor()
    await page.getByTestId('health-current-row').first().waitFor()
    await page.getByRole('button', { name: 'Check now' }).first().click()
    // The sample destinations are served by this server: the check says healthy.
    await page
      .getByText(/healthy/)
      .first()
      .waitFor()
    await page.selectOption('select[aria-label="Period"]', 'all')
    await shot(page, 'health')
    await phoneShot('/health', 'health', '[data-testid=health-current-row]')
  })

  it('had no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
