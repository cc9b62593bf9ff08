/**
 * Outreach from mailbox to reply, end to end with every part real: the server process
 * (built UI, PGlite, its own pg-boss jobs, send loop and IMAP watchers) configured with the
 * Influencers Club and Clay simulators, a loopback SMTP server and Debian's Dovecot, driven by
 * Chromium. The user connects a mailbox (SMTP + IMAP), creates a recurring campaign whose
 * window covers now; the first run finds, enriches and schedules creators; the first email
 * arrives at the SMTP server inside the window; a reply to it put into Dovecot's Maildir shows
 * up in the replies inbox as a charged reply, and that creator's email reads "replied".
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startClaySimulator } from '../src/simulators/clay/clay.simulator.ts'
import { startInfluencersClubSimulator } from '../src/simulators/influencers-club/influencers-club.simulator.ts'
import { DESKTOP, launchForUi, shot, watchErrors } from './helpers/browser.ts'
import { startDovecot, type TestDovecot } from './helpers/dovecot.ts'
import { startOutreachSmtp } from './helpers/outreach-smtp.ts'
import { createCampaign, createMailbox, signIn } from './helpers/outreach-ui.ts'
import {
  apiCall,
  freePort,
  login,
  type ServerProcess,
  startServerProcess,
  tempDataDir,
} from './helpers/server.ts'

const ADMIN = { email: 'reach-admin@traffoflex.test', password: 'correct horse battery staple' }

let smtp: Awaited<ReturnType<typeof startOutreachSmtp>>
let ic: Awaited<ReturnType<typeof startInfluencersClubSimulator>>
let clay: Awaited<ReturnType<typeof startClaySimulator>>
let dovecot: TestDovecot
let server: ServerProcess
let browser: Browser
let ctx: BrowserContext
let page: Page
let cookie = ''
let campaignId = ''
const pageErrors: string[] = []

const api = (method: string, path: string, body?: unknown) => apiCall(server.url, cookie, method, path, body)

beforeAll(async () => {
  smtp = await startOutreachSmtp()
  ic = await startInfluencersClubSimulator({ apiKey: 'ic-e2e', creatorsPerPlatform: 300 })
  clay = await startClaySimulator({ emailShare: 1, duplicateShare: 0, dropShare: 0, delayMs: [50, 200] })
  dovecot = await startDovecot()
  browser = await launchForUi()
  const port = await freePort()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-reach-'),
    port,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OUTREACH_ALLOW_PRIVATE: 'true',
      OUTREACH_IC_URL: ic.url,
      OUTREACH_IC_API_KEY: 'ic-e2e',
      OUTREACH_CLAY_WEBHOOK_URL: clay.url,
      OUTREACH_SEND_EVERY_MS: '500',
      // IDLE tells the watcher at once; the watchdog's check is the fallback on a busy machine.
      OUTREACH_IMAP_CHECK_SECONDS: '2',
      JOBS_POLL_MS: '500',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
  page = await ctx.newPage()
  watchErrors(page, pageErrors, /status of 401\b/)
  await signIn(page, server.url, ADMIN)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await Promise.all([smtp?.close(), ic?.stop(), clay?.stop(), dovecot?.stop()])
})

describe('outreach: mailbox → campaign → first run → email → reply', () => {
  it('connects a mailbox with SMTP and IMAP; both connection tests pass', async () => {
    await createMailbox(page, server.url, {
      name: 'Reach',
      from: 'reach@brand.example',
      smtp: { host: '127.0.0.1', port: smtp.port },
      imap: { host: dovecot.host, port: dovecot.port, user: dovecot.user, pass: dovecot.pass, secure: false },
    })
    const test = page.getByTestId('mailbox-test')
    await test.locator('[data-testid="test-smtp"][data-ok="true"]').waitFor({ timeout: 15_000 })
    await test.locator('[data-testid="test-imap"][data-ok="true"]').waitFor({ timeout: 15_000 })
  })

  it('creates a recurring campaign; the first run finds, enriches and schedules creators', async () => {
    await page.goto(`${server.url}/outreach/campaigns/new`)
    campaignId = await createCampaign(page, {
      name: 'Fitness creators',
      keywords: ['fitness'],
      subject: 'Collab, {{first_name|there}}?',
      body: 'Hi {{first_name|there}}, we love your {{platform}} posts.',
      footer: 'Brand Ltd, 1 Main St, Springfield',
      quota: 3,
      timezone: 'UTC',
      // The whole day: whatever the time, the window is open now.
      window: ['00:00', '24:00'],
    })
    const run = page.locator('[data-testid="run-row"][data-run="1"]')
    await run.waitFor({ timeout: 30_000 })
    // Found 3, 3 emails (the simulator finds every one), then scheduled.
    await expect
      .poll(async () => (await api('GET', `/outreach/campaigns/${campaignId}/runs`)).body.items[0], {
        timeout: 30_000,
      })
      .toMatchObject({ run_number: 1, creators_found: 3, emails_found: 3 })
    await expect
      .poll(async () => (await api('GET', `/outreach/campaigns/${campaignId}/emails`)).body.items.length, {
        timeout: 30_000,
      })
      .toBe(3)
    await page.reload()
    await page.locator('[data-testid="email-row"]').first().waitFor()
    await shot(page, 'outreach-flow-campaign')
  })

  it('sends the first email inside the window, with its Message-ID and unsubscribe link', async () => {
    await expect.poll(() => smtp.messages.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
    const m = smtp.messages[0]!
    expect(m.accepted).toBe(true)
    expect(m.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click')
    expect(m.text).toContain('Brand Ltd, 1 Main St, Springfield')
    const emails = (await api('GET', `/outreach/campaigns/${campaignId}/emails`)).body.items
    const sent = emails.find((e: { to_email: string }) => e.to_email === m.envelope.to[0])
    expect(sent).toMatchObject({ status: 'sent', charged: true })
  })

  it('a reply put into Dovecot shows up as a charged reply and stops that creator', async () => {
    const m = smtp.messages[0]!
    const creator = m.envelope.to[0]!
    dovecot.deliver(
      [
        `From: Creator <${creator}>`,
        'To: reach@brand.example',
        'Subject: Re: Collab',
        'Message-ID: <reply-1@creator.example>',
        `In-Reply-To: ${m.messageId}`,
        `References: ${m.messageId}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hi! Yes, I am interested. What do you have in mind?',
        '',
      ].join('\r\n'),
    )
    await page.goto(`${server.url}/outreach/replies`)
    const row = page.getByTestId('reply-row').first()
    await expect
      .poll(
        async () => {
          await page.reload()
          return (await page.getByTestId('reply-row').count()) > 0
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(true)
    await expect(row.textContent()).resolves.toContain('charged 1 credit')
    await row.click()
    await expect(page.getByTestId('reply-charge').textContent()).resolves.toContain('Charged 1 credit')
    await expect(page.getByTestId('reply-detail').textContent()).resolves.toContain('interested')
    await shot(page, 'outreach-flow-reply')
    const emails = (await api('GET', `/outreach/campaigns/${campaignId}/emails`)).body.items
    expect(emails.find((e: { to_email: string }) => e.to_email === creator)).toMatchObject({
      status: 'replied',
    })
    const credits = (await api('GET', '/outreach/credits')).body
    expect(credits.replies).toBe(1)
    expect(credits.used).toBe(credits.sent + 1)
  }, 120_000)

  it('logged no unexpected errors in the page', () => {
    expect(pageErrors).toEqual([])
  })
})
