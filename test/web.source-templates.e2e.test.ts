/**
 * Source templates in the UI end to end: the real server process (built UI, PGlite + chDB)
 * driven by Debian's Chromium. Creates a source from the TrafficStars template (the picker
 * fills the name, postback and the parameter table), saves it as a template, finds that
 * template in the picker, makes a campaign with the source and reads the campaign link with
 * the source's tokens and its "token → our field" table, and opens that link with the tokens
 * substituted (where the click ID lands is checked in test/api.source-templates.test.ts).
 * Screenshots at 1366×800 and 390×844 go to test/screenshots/.
 */
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, SHOTS, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'templates-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []

const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[013]\b/)

/** A phone-sized page sharing the desktop session. */
async function phonePage(): Promise<{ p: Page; close: () => Promise<void> }> {
  const ctx = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await desktop.storageState(),
  })
  const p = await ctx.newPage()
  watch(p)
  return { p, close: () => ctx.close() }
}

/** No sideways scrolling: the document is no wider than the viewport. */
async function noOverflow(p: Page) {
  const overflow = await p.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )
  expect(overflow).toBeLessThanOrEqual(0)
}

/** The dialog scrolls: the parameter table on its own, `source-template-params-<width>.png`. */
const paramsShot = (p: Page) =>
  p
    .getByTestId('source-params')
    .screenshot({ path: path.join(SHOTS, `source-template-params-${p.viewportSize()?.width}.png`) })

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-templates-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Fsources`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/sources`)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('traffic source templates', () => {
  it('creates a source from the TrafficStars template', async () => {
    await page.getByRole('button', { name: 'New source' }).first().click()
    const form = page.getByTestId('source-form')
    await form.waitFor()
    await form.getByTestId('source-template').selectOption('trafficstars')
    await expect.poll(() => page.inputValue('#source-name')).toBe('TrafficStars')
    await expect
      .poll(() => page.inputValue('#source-postback'))
      .toBe('https://tsyndicate.com/api/v1/cpa/action/{external_id}')
    await expect.poll(() => form.getByTestId('param-row').count()).toBe(8)
    await expect(page.inputValue('[aria-label="Token of parameter 1"]')).resolves.toBe('{click_id}')
    await expect(page.inputValue('[aria-label="Field of parameter 1"]')).resolves.toBe('external_id')
    await form.getByTestId('template-docs').waitFor()
    await page.fill('#source-name', 'TS Europe')
    // Two rows on one field are flagged before anything is sent.
    await page.selectOption('[aria-label="Field of parameter 3"]', 'sub1')
    await form.getByText('Another parameter lands here too').first().waitFor()
    await page.selectOption('[aria-label="Field of parameter 3"]', 'sub2')
    await shot(page, 'source-template-form')
    await paramsShot(page)

    const phone = await phonePage()
    await phone.p.goto(`${server.url}/sources`)
    await phone.p.getByRole('button', { name: 'New source' }).first().click()
    await phone.p.getByTestId('source-template').selectOption('exoclick')
    await expect.poll(() => phone.p.getByTestId('param-row').count()).toBe(7)
    await noOverflow(phone.p)
    await shot(phone.p, 'source-template-form')
    await paramsShot(phone.p)
    await phone.close()

    await form.getByRole('button', { name: 'Create source' }).click()
    await form.waitFor({ state: 'hidden' })
    await page.getByText('TS Europe').first().waitFor()
  })

  it('saves the source as a template and offers it in the picker', async () => {
    // Row actions sit in the list toolkit's ⋮ menu.
    await page
      .getByTestId('source-row')
      .filter({ hasText: 'TS Europe' })
      .getByRole('button', { name: 'Actions for TS Europe' })
      .click()
    await page.getByRole('menuitem', { name: 'Edit' }).click()
    const form = page.getByTestId('source-form')
    await form.waitFor()
    await expect(form.getByTestId('source-template').inputValue()).resolves.toBe('trafficstars')
    await expect.poll(() => form.getByTestId('param-row').count()).toBe(8)
    await form.getByRole('button', { name: 'Save as template' }).click()
    await form.getByLabel('Template name').fill('TS preset')
    await form.getByTestId('save-as-template').getByRole('button', { name: 'Save' }).click()
    await page.getByText('Template “TS preset” saved').waitFor()
    await form.getByRole('button', { name: 'Cancel' }).click()

    await page.getByRole('button', { name: 'New source' }).first().click()
    const options = await form
      .getByTestId('source-template')
      .locator('optgroup[label="Saved templates"] option')
      .allTextContents()
    expect(options).toEqual(['TS preset'])
    await form.getByRole('button', { name: 'Cancel' }).click()
  })

  it('shows the campaign link with the source’s tokens and where each lands', async () => {
    await page.goto(`${server.url}/campaigns/new`)
    await page.fill('#c-name', 'TS summer')
    await page.fill('#c-alias', 'ts-summer')
    await page.getByLabel('Traffic source').selectOption({ label: 'TS Europe' })
    await page.getByRole('button', { name: 'Create campaign' }).click()
    const card = page.getByTestId('campaign-link-card')
    await card.waitFor()
    const link = page.getByTestId('campaign-source-link')
    await expect
      .poll(() => link.textContent())
      .toBe(
        // PUBLIC_URL defaults to http://localhost:PORT.
        `http://localhost:${server.port}/c/ts-summer?external_id={click_id}&sub1={site_id}&sub2={adspot_id}&sub3={campaign_id}&sub4={creative_id}&sub5={format}&sub6={category}&sub7={price}`,
      )
    const table = page.getByTestId('campaign-link-params')
    await table.getByRole('row', { name: /\{click_id\}.*external_id/ }).waitFor()
    await table.getByRole('row', { name: /\{adspot_id\}.*sub2/ }).waitFor()
    await shot(page, 'campaign-link')

    const phone = await phonePage()
    await phone.p.goto(page.url())
    await phone.p.getByTestId('campaign-link-params').waitFor()
    await noOverflow(phone.p)
    await shot(phone.p, 'campaign-link')
    await phone.close()

    // The link works as TrafficStars would call it (no stream yet: trafficback answers).
    const url = (await link.textContent())!
      .replace(`http://localhost:${server.port}`, server.url)
      .replace('{click_id}', 'c86b8a88b91228911e723b93c65a5900bb49bc99')
      .replace(/\{[a-z_]+\}/g, '1')
    const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': CHROME_UA } })
    expect(res.status).toBeLessThan(500)
    expect(pageErrors).toEqual([])
  })
})
