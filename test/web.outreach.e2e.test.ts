/**
 * Outreach end to end: the real server process (built UI, `OUTREACH_ALLOW_PRIVATE=true` so a
 * mailbox may point at loopback, a fixed `SECRETS_KEY` so the test can sign unsubscribe
 * tokens) and the programmable SMTP server of test/helpers/outreach-smtp.ts, driven by
 * Debian's Chromium through playwright-core.
 *
 * The admin finds the empty Outreach page pointing to "connect a mailbox first", connects one
 * (SMTP on loopback with a password; the connection test runs on its own and signs in), creates
 * a campaign in the form (an unknown merge field is flagged under the subject as typed, the
 * server's preview renders the sample creator with the footer address), sees it in the list
 * and its first run on the campaign page (no creator search is configured here, so run #1
 * fails and says why), pauses, resumes and edits it. The credit day's zone is set in the
 * credits widget. A recipient opens the unsubscribe link of an
 * email without any session, unsubscribes with the button, and the address is on the
 * suppression list. Screenshots at 1366×800 and 390×844 go to test/screenshots/.
 *
 * Helpers are small and named by what they do in the UI (`createMailbox`, `createCampaign`,
 * `unsubscribeUrl`) so tests with the Influencers Club, Clay and IMAP simulators can reuse them.
 */
import { randomUUID } from 'node:crypto'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveUnsubscribeKey, unsubscribeToken } from '../src/modules/outreach/outreach.unsubscribe.core.ts'
import { DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { startOutreachSmtp } from './helpers/outreach-smtp.ts'
import { createCampaign, createMailbox, signIn } from './helpers/outreach-ui.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'outreach-admin@traffoflex.test', password: 'correct horse battery staple' }
/** The server's secret key (64 hex): unsubscribe tokens derive from it. */
const SECRETS_KEY = 'a7'.repeat(32)
const SMTP_AUTH = { user: 'sender', pass: 'smtp-secret' }
const FOOTER = 'Example GmbH, Hauptstraße 1, 10115 Berlin, Germany'

let smtp: Awaited<ReturnType<typeof startOutreachSmtp>>
let server: ServerProcess
let browser: Browser
let ctx: BrowserContext
let page: Page
let cookie = ''
let workspaceId = ''
let mailboxId = ''
let campaignId = ''
const pageErrors: string[] = []
// 400: the bad unsubscribe token (asserted); 401: the session probe of the public page;
// 422: the preview of a template with an unknown merge field (asserted).
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 4(00|01|22)\b/)

const api = (method: string, path: string, body?: unknown) => apiCall(server.url, cookie, method, path, body)

/** The unsubscribe page URL of an email to `email` (the token the sender puts in List-Unsubscribe). */
function unsubscribeUrl(url: string, ws: string, email: string, emailId = randomUUID()): string {
  const key = deriveUnsubscribeKey(Buffer.from(SECRETS_KEY, 'hex'))
  return `${url}/unsubscribe/${unsubscribeToken(key, { workspaceId: ws, email, emailId })}`
}

/** The same URL at phone width (same session), screenshot, close. */
async function phoneShot(url: string, name: string, ready: (p: Page) => Promise<unknown>) {
  const phone = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await ctx.storageState(),
  })
  const p = await phone.newPage()
  watch(p)
  await p.goto(url)
  await ready(p)
  // A string: the test project has no DOM types.
  const overflow = await p.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )
  expect(overflow, `${name}: the page scrolls sideways at ${PHONE.width} px`).toBe(0)
  await shot(p, name)
  await phone.close()
}

beforeAll(async () => {
  smtp = await startOutreachSmtp({ auth: SMTP_AUTH })
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-outreach-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SECRETS_KEY,
      OUTREACH_ALLOW_PRIVATE: 'true',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  workspaceId = (await api('GET', '/auth/me')).body.workspace.id
  ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'Europe/Berlin' })
  page = await ctx.newPage()
  watch(page)
  await signIn(page, server.url, ADMIN)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await smtp?.close()
})

describe('outreach from the first mailbox to an unsubscribe', () => {
  it('the empty campaigns page explains campaigns and sends to the mailbox form first', async () => {
    await page.goto(`${server.url}/outreach`)
    await page.getByTestId('credits-widget').getByTestId('credits-resets').waitFor()
    await expect(page.getByTestId('credits-resets').textContent()).resolves.toMatch(/^resets at \d\d:\d\d /)
    // The credit day follows the zone chosen for it.
    await page.getByTestId('credits-settings').click()
    await page.fill('#o-tz', 'Europe/Berlin')
    await page.getByTestId('settings-dialog').getByRole('button', { name: 'Save' }).click()
    await expect
      .poll(() => page.getByTestId('credits-resets').textContent())
      .toBe('resets at 00:00 Europe/Berlin')
    expect((await api('GET', '/outreach/settings')).body.timezone).toBe('Europe/Berlin')
    await page.getByTestId('empty-state').getByText('No campaigns yet').waitFor()
    await shot(page, 'outreach-e2e-empty')
    await page.getByTestId('connect-mailbox-first').click()
    await page.waitForURL(`${server.url}/outreach/mailboxes/new`)
  })

  it('connects a mailbox; the connection test signs in to its SMTP server', async () => {
    mailboxId = await createMailbox(page, server.url, {
      name: 'Sales',
      from: 'sales@brand.example',
      smtp: { host: '127.0.0.1', port: smtp.port, ...SMTP_AUTH },
    })
    const test = page.getByTestId('mailbox-test')
    await test.locator('[data-testid="test-smtp"][data-ok="true"]').waitFor({ timeout: 15_000 })
    await expect(test.getByTestId('test-imap').textContent()).resolves.toMatch(/not configured/)
    // Write-only: never returned, the field says "unchanged".
    const saved = (await api('GET', '/outreach/mailboxes')).body.items[0]
    expect(saved).toMatchObject({ id: mailboxId, has_smtp_password: true, status: 'ok' })
    expect(saved).not.toHaveProperty('smtp_password')
    await expect(page.locator('#m-smtp-password').getAttribute('placeholder')).resolves.toBe('unchanged')
    await expect(page.locator('#m-smtp-password').inputValue()).resolves.toBe('')
    await shot(page, 'outreach-e2e-mailbox')
    await phoneShot(`${server.url}/outreach/mailboxes/${mailboxId}`, 'outreach-e2e-mailbox', (p) =>
      p.getByTestId('mailbox-form').waitFor(),
    )
  })

  it('creates a campaign: live validation, the server preview, then its first run', async () => {
    await page.goto(`${server.url}/outreach/campaigns/new`)
    await page.getByTestId('campaign-form').waitFor()
    // An unknown merge field is flagged under the field as typed.
    await page.fill('#c-subject', 'Hello {{nme}}')
    await page.locator('#c-subject-error').waitFor()
    await expect(page.locator('#c-subject-error').textContent()).resolves.toMatch(
      /unknown merge field "nme"/i,
    )
    await page.fill('#c-subject', 'Collaboration with {{full_name|you}}?')
    await page.locator('#c-subject-error').waitFor({ state: 'detached' })
    // The merge-field buttons insert at the caret of the body.
    await page.fill('#c-body', 'Hi , loved your posts.\n')
    await page.focus('#c-body')
    await page.evaluate("document.querySelector('#c-body').setSelectionRange(3, 3)")
    await page.getByTestId('merge-fields').getByRole('button', { name: '{{first_name}}' }).click()
    await expect(page.locator('#c-body').inputValue()).resolves.toBe(
      'Hi {{first_name|there}}, loved your posts.\n',
    )
    await page.fill('#c-footer', FOOTER)
    // The server renders the preview (debounced): merge fields filled, the footer under it.
    await expect
      .poll(() => page.getByTestId('preview-text').textContent(), { timeout: 10_000 })
      .toContain(FOOTER)
    const previewText = (await page.getByTestId('preview-text').textContent()) ?? ''
    expect(previewText).not.toContain('{{')
    expect(previewText).toMatch(/^Hi \S+, loved your posts\./)
    await shot(page, 'outreach-e2e-form')
    await phoneShot(`${server.url}/outreach/campaigns/new`, 'outreach-e2e-form', (p) =>
      p.getByTestId('campaign-form').waitFor(),
    )
    campaignId = await createCampaign(page, {
      name: 'Fitness creators DE',
      keywords: ['fitness', 'home workout'],
      footer: FOOTER,
    })
    const saved = (await api('GET', `/outreach/campaigns/${campaignId}`)).body
    expect(saved).toMatchObject({
      name: 'Fitness creators DE',
      criteria: { platform: 'instagram', keywords: ['fitness', 'home workout'] },
      recurring: true,
      max_runs: 30,
      mailbox_id: mailboxId,
      timezone: 'Europe/Berlin',
      window_start: '09:00',
      window_end: '17:00',
      daily_quota: 50,
      subject: 'Collaboration with {{full_name|you}}?',
      footer_address: FOOTER,
      is_active: true,
    })
    // The first run starts at once; without a creator search configured it fails and says so.
    const run = page.locator('[data-testid="run-row"][data-run="1"]')
    await run.waitFor({ timeout: 15_000 })
    // The run job picks it up, finds no creator search configured, and the row says why.
    await expect
      .poll(() => run.getByTestId('run-status').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('failed')
    await expect(run.getByTestId('run-error').textContent()).resolves.toMatch(/not configured/)
    await shot(page, 'outreach-e2e-campaign')
    await phoneShot(`${server.url}/outreach/campaigns/${campaignId}`, 'outreach-e2e-campaign', (p) =>
      p.locator('[data-testid="run-row"][data-run="1"]').waitFor(),
    )
  })

  it('lists the campaign with its status and runs; pauses, resumes and edits it', async () => {
    await page.goto(`${server.url}/outreach`)
    const row = page.getByTestId('campaigns-table').locator('tr', { hasText: 'Fitness creators DE' })
    await row.waitFor()
    await expect(row.getByTestId('campaign-status').getAttribute('data-status')).resolves.toBe('active')
    await expect(row.textContent()).resolves.toContain('1 / 30')
    await shot(page, 'outreach-e2e-list')
    await phoneShot(`${server.url}/outreach`, 'outreach-e2e-list', (p) =>
      p.getByTestId('campaigns-table').waitFor(),
    )
    await row.getByTestId('campaign-link').click()
    await page.getByTestId('toggle-active').click()
    await page.locator('[data-testid="campaign-status"][data-status="paused"]').waitFor()
    expect((await api('GET', `/outreach/campaigns/${campaignId}`)).body.is_active).toBe(false)
    await page.getByTestId('toggle-active').click()
    await page.locator('[data-testid="campaign-status"][data-status="active"]').waitFor()
    // Edit: the form opens with the saved values; the change is saved.
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.getByTestId('campaign-form').waitFor()
    await expect(page.locator('#c-name').inputValue()).resolves.toBe('Fitness creators DE')
    await expect(page.getByTestId('keyword-chip').allTextContents()).resolves.toEqual([
      'fitness',
      'home workout',
    ])
    await page.fill('#c-quota', '20')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.waitForURL(`${server.url}/outreach/campaigns/${campaignId}`)
    expect((await api('GET', `/outreach/campaigns/${campaignId}`)).body.daily_quota).toBe(20)
  })

  it('a recipient unsubscribes with one click, without any session', async () => {
    const link = unsubscribeUrl(server.url, workspaceId, 'jane.creator@mail.example')
    const anon = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })
    const p = await anon.newPage()
    watch(p)
    await p.goto(link)
    await expect(p.getByTestId('masked-email').textContent()).resolves.toMatch(/^j\S*@\S+$/)
    expect(p.url()).toBe(link) // not sent to the login page
    await shot(p, 'outreach-e2e-unsubscribe')
    await p.getByTestId('unsubscribe-button').click()
    await p.getByTestId('unsubscribed').waitFor()
    await shot(p, 'outreach-e2e-unsubscribed')
    const list = (await api('GET', '/outreach/suppressions?q=jane.creator')).body.items
    expect(list).toEqual([
      expect.objectContaining({ email: 'jane.creator@mail.example', reason: 'unsubscribe' }),
    ])
    // Opening the link again says it is done; a forged token is refused.
    await p.reload()
    await p
      .getByTestId('unsubscribed')
      .getByText(/already unsubscribed/)
      .waitFor()
    await p.goto(`${link.slice(0, -2)}xx`)
    await p.getByText('This link is not valid').waitFor()
    await anon.close()
    // The owner sees it on the suppression list.
    await page.goto(`${server.url}/outreach/suppressions`)
    await page.getByTestId('suppression-row').getByText('jane.creator@mail.example').waitFor()
    await shot(page, 'outreach-e2e-suppressions')
  })

  it('logged no unexpected errors in the page', () => {
    expect(pageErrors).toEqual([])
  })
})
