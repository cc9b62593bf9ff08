/**
 * The change log in the browser (issue 18): a campaign is created and then edited through
 * the form (name and status); its History tab shows the change with who made it, and "View
 * old values" the values before it; Logs → Changes lists the same entry, and its CSV export
 * holds it. The History tab fits a 390 px phone (no sideways scroll). Real server process,
 * Debian's Chromium. Screenshots `changelog-*` at 1280×800 and 390×844 in test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'admin@traffoflex.test', password: 'correct horse battery staple' }
const LAPTOP = { width: 1280, height: 800 }
const OLD_NAME = 'Changelog Spring'
const NEW_NAME = 'Changelog Spring renamed'

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
let campaignPath = ''
const pageErrors: string[] = []
// The session probe before sign-in answers 401.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 401\b/)

/** True when the page is wider than its viewport (sideways scroll). */
const scrollsSideways = async (p: Page) =>
  (await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')) > 0

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-changelog-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SEED_SAMPLE: 'false' },
  })
  desktop = await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC', acceptDownloads: true })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Fcampaigns%2Fnew`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/campaigns/new`)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('change log', () => {
  it('shows a campaign edit in its History tab, with who made it and the old values', async () => {
    await page.fill('#c-name', OLD_NAME)
    await page.getByRole('button', { name: 'Create campaign' }).click()
    await page.getByTestId('campaign-link').waitFor()
    campaignPath = new URL(page.url()).pathname

    // Edit the name and the status through the form.
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.getByTestId('campaign-form').waitFor()
    await page.fill('#c-name', NEW_NAME)
    await page.selectOption('#c-status', 'paused')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.waitForURL(`${server.url}${campaignPath}`)
    await page.getByRole('heading', { name: NEW_NAME }).waitFor()

    await page.getByTestId('history-tab').click()
    await expect.poll(() => new URL(page.url()).search).toBe('?tab=history')
    const entries = page.getByTestId('history-entry')
    // Newest first: the update, then the create.
    await expect.poll(() => entries.count()).toBeGreaterThanOrEqual(2)
    const update = entries.first()
    await expect(update.textContent()).resolves.toContain('Changed')
    await expect(update.getByTestId('change-actor').textContent()).resolves.toContain(ADMIN.email)
    const name = update.locator('[data-field=name]')
    await expect(name.textContent()).resolves.toBe(`Name: ${OLD_NAME} → ${NEW_NAME}`)
    await expect(update.locator('[data-field=status]').textContent()).resolves.toBe('Status: active → paused')
    await expect(entries.last().textContent()).resolves.toContain('Created')
    await shot(page, 'changelog-history')

    await update.getByRole('button', { name: 'View old values' }).click()
    const dialog = page.getByTestId('old-values-dialog')
    await dialog.waitFor()
    await expect(dialog.locator('[data-field=name]').textContent()).resolves.toBe(OLD_NAME)
    await expect(dialog.locator('[data-field=status]').textContent()).resolves.toBe('active')
    await shot(page, 'changelog-old-values')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
  })

  it('fits a phone: the History tab has no sideways scroll', async () => {
    const phone = await browser.newContext({ viewport: PHONE, timezoneId: 'UTC' })
    await phone.addCookies(await desktop.cookies())
    const p = await phone.newPage()
    watch(p)
    await p.goto(`${server.url}${campaignPath}?tab=history`)
    await p.getByTestId('history-entry').first().waitFor()
    expect(await scrollsSideways(p)).toBe(false)
    await shot(p, 'changelog-history')
    await p.goto(`${server.url}/logs?tab=changes`)
    await p.getByTestId('change-row').first().waitFor()
    expect(await scrollsSideways(p)).toBe(false)
    await shot(p, 'changelog-logs-changes')
    await phone.close()
  })

  it('lists the same change in Logs → Changes, and exports it as CSV', async () => {
    await page.goto(`${server.url}/logs`)
    // The older tabs keep their URLs; Changes is one more.
    await page.getByRole('tab', { name: 'Changes' }).click()
    await expect.poll(() => new URL(page.url()).search).toBe('?tab=changes')
    await page.selectOption('#changes-type', 'campaign')
    await page.selectOption('#changes-action', 'update')
    const row = page.getByTestId('change-row').filter({ hasText: NEW_NAME }).first()
    await row.waitFor()
    await expect(row.locator('[data-field=name]').textContent()).resolves.toBe(
      `Name: ${OLD_NAME} → ${NEW_NAME}`,
    )
    await expect(row.getByTestId('change-actor').textContent()).resolves.toContain(ADMIN.email)
    await shot(page, 'changelog-logs-changes')

    // The CSV of the same filters holds the change.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('changes-csv').click(),
    ])
    const stream = await download.createReadStream()
    let csv = ''
    for await (const chunk of stream) csv += String(chunk)
    expect(csv).toContain(NEW_NAME)
    expect(csv).toContain(OLD_NAME)
    expect(csv).toContain(campaignPath.split('/').pop())

    // The row links to the campaign's page.
    await row.getByRole('link', { name: NEW_NAME }).click()
    await page.waitForURL(`${server.url}${campaignPath}`)

    // The Security tab is there for the workspace's owner.
    await page.goto(`${server.url}/logs?tab=security`)
    await page.getByTestId('security-tab').waitFor()
    expect(pageErrors).toEqual([])
  })
})
