/**
 * The workspace switcher in the browser: a user who belongs to two workspaces switches from
 * one to the other (sidebar on a laptop, top bar on a phone) and the campaign list reloads
 * with the other workspace's campaigns; a platform admin sees every workspace, the foreign
 * ones marked "admin view", and switches into one. And invitations, the only way in: an
 * owner invites on the workspace page and revokes; the invitee accepts in the banner, or
 * through the emailed link after signing up and signing in. Real server process, a real
 * loopback SMTP server, Debian's Chromium. Screenshots at 1366×800 (invitations 1366×900)
 * and 390×844 in test/screenshots/.
 */
import type { Browser, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'
import { startSmtp, waitFor } from './helpers/smtp.ts'

const ADMIN = { email: 'admin@traffoflex.test', password: 'correct horse battery staple' }
const MIA = { email: 'mia@acme.test', password: 'a long enough password', company: 'Acme Media' }
// A long name, to see it truncate in the sidebar and the phone's top bar.
const BEN = {
  email: 'ben@beta.test',
  password: 'another long password',
  company: 'Beta Ads International Group',
}

const LEA = { email: 'lea@gamma.test', password: 'yet another long password', company: 'Gamma Growth' }
const NOAH = { email: 'noah@new.test', password: 'a password for noah' }
const LAPTOP = { width: 1366, height: 900 }

let server: ServerProcess
let browser: Browser
let smtp: Awaited<ReturnType<typeof startSmtp>>
let benCookie: string
let adminCookie: string
const pageErrors: string[] = []
// The browser logs the 401 of the session probe before sign-in, and the 503 and 404 this
// test fakes to see the switcher's error states.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of (401|404|503)\b/)

/** A JSON request to the API as the session `cookie` (`tf_session=…`); throws on a non-2xx answer. */
async function apiAs(
  cookie: string,
  method: string,
  path: string,
  body?: object,
): Promise<Record<string, string>> {
  const res = await apiCall(server.url, cookie, method, path, body)
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

/** Signs up `who` (a workspace named after the company) and has the admin approve it. */
async function approvedUser(admin: string, who: typeof MIA): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  })
  if (res.status !== 201) throw new Error(`signup ${res.status} ${await res.text()}`)
  const { user } = (await res.json()) as { user: { id: string } }
  await apiAs(admin, 'POST', `/admin/users/${user.id}/approve`)
  return login(server.url, who.email, who.password)
}

async function signIn(p: Page, who: { email: string; password: string }) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', who.email)
  await p.fill('#password', who.password)
  await p.click('button[type=submit]')
  await p.waitForURL(`${server.url}/`)
}

/** Opens the switcher, chooses `name`, and waits for the dashboard of that workspace. */
async function switchTo(p: Page, placement: 'sidebar' | 'topbar', name: string) {
  const trigger = p.getByTestId(`workspace-switcher-${placement}`)
  await p
    .getByTestId('workspace-panel')
    .getByRole('button', { name: new RegExp(name) })
    .click()
  await p.waitForURL(`${server.url}/`)
  await expect.poll(() => trigger.getByTestId('current-workspace').textContent()).toBe(name)
  await p.getByRole('heading', { name: 'Dashboard' }).waitFor()
}

/** The names in the campaign list, once it has loaded. */
async function campaignNames(p: Page): Promise<string> {
  await p.goto(`${server.url}/campaigns`)
  await p.getByTestId('campaigns-table').waitFor()
  return (await p.getByTestId('campaigns-table').textContent()) ?? ''
}

beforeAll(async () => {
  browser = await launchForUi()
  smtp = await startSmtp()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-ws-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SEED_SAMPLE: 'false',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'traffoflex <robot@tf.test>',
    },
  })
  const admin = await login(server.url, ADMIN.email, ADMIN.password)
  adminCookie = admin
  const mia = await approvedUser(admin, MIA)
  const ben = await approvedUser(admin, BEN)
  benCookie = ben
  await approvedUser(admin, LEA)
  // Ben invites Mia to Beta Ads and she accepts: she now has two workspaces (Acme Media first).
  const inv = await apiAs(ben, 'POST', '/workspace/invitations', { email: MIA.email, role: 'member' })
  await apiAs(mia, 'POST', `/invitations/${inv.id}/accept`)
  await apiAs(mia, 'POST', '/campaigns', { name: 'Acme spring push', alias: 'acme-spring' })
  await apiAs(ben, 'POST', '/campaigns', { name: 'Beta retargeting', alias: 'beta-retarget' })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await smtp?.close()
})

describe('workspace switcher', () => {
  it('on a laptop, a member of two workspaces switches in the sidebar and sees the other campaigns', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, MIA)
      const trigger = p.getByTestId('workspace-switcher-sidebar')
      await expect(trigger.getByTestId('current-workspace').textContent()).resolves.toBe('Acme Media')
      const acme = await campaignNames(p)
      expect(acme).toContain('Acme spring push')
      expect(acme).not.toContain('Beta retargeting')

      // The list loads on first open; while the API fails the panel says so and offers a retry.
      const fail = (status: number, message: string) => (r: Route) =>
        r.fulfill({
          status,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'x', message } }),
        })
      await p.route('**/api/v1/auth/workspaces', fail(503, 'database is restarting'))
      await trigger.click()
      const panel = p.getByTestId('workspace-panel')
      await panel.getByTestId('workspaces-loading').waitFor()
      await shot(p, 'workspace-switcher-loading')
      await panel.getByText('Could not load your workspaces').waitFor({ timeout: 15_000 })
      await shot(p, 'workspace-switcher-error')
      await p.unroute('**/api/v1/auth/workspaces')
      await panel.getByRole('button', { name: 'Try again' }).click()
      await panel.getByRole('button', { name: /Beta Ads/ }).waitFor()
      await expect(panel.locator('[data-ws-item]').count()).resolves.toBe(2)
      // A refused switch changes nothing and says why.
      await p.route('**/api/v1/auth/workspace', fail(404, 'workspace not found'))
      await panel.getByRole('button', { name: /Beta Ads/ }).click()
      await panel.getByRole('alert').getByText('workspace not found').waitFor()
      await shot(p, 'workspace-switch-failed')
      await p.unroute('**/api/v1/auth/workspace')
      await expect(trigger.getByTestId('current-workspace').textContent()).resolves.toBe('Acme Media')
      await expect(panel.locator('[aria-current="true"]').textContent()).resolves.toContain('Acme Media')
      await expect(panel.getByText('admin view', { exact: true }).count()).resolves.toBe(0)
      await shot(p, 'workspace-switcher-open')
      // Escape closes the panel and gives focus back to the button.
      await p.keyboard.press('Escape')
      await panel.waitFor({ state: 'detached' })
      await expect(trigger.evaluate((el) => el.contains(el.ownerDocument.activeElement))).resolves.toBe(true)

      await trigger.click()
      await switchTo(p, 'sidebar', BEN.company)
      const beta = await campaignNames(p)
      expect(beta).toContain('Beta retargeting')
      expect(beta).not.toContain('Acme spring push')
      await shot(p, 'workspace-switched-campaigns')
      // The switch is the session's: a reload stays in Beta Ads.
      await p.reload()
      await expect.poll(() => trigger.getByTestId('current-workspace').textContent()).toBe(BEN.company)
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('on a phone, the switcher sits in the top bar', async () => {
    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'UTC',
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, MIA)
      const trigger = p.getByTestId('workspace-switcher-topbar')
      await trigger.waitFor()
      await expect(p.getByTestId('workspace-switcher-sidebar').isVisible()).resolves.toBe(false)
      await expect(trigger.getByTestId('current-workspace').textContent()).resolves.toBe('Acme Media')
      await shot(p, 'workspace-topbar')
      await trigger.click()
      await p
        .getByTestId('workspace-panel')
        .getByRole('button', { name: /Beta Ads/ })
        .waitFor()
      await shot(p, 'workspace-switcher-open')
      await switchTo(p, 'topbar', BEN.company)
      const beta = await campaignNames(p)
      expect(beta).toContain('Beta retargeting')
      expect(beta).not.toContain('Acme spring push')
      await shot(p, 'workspace-switched-campaigns')
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('a platform admin sees every workspace, enters one in admin view, and returns', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, ADMIN)
      const trigger = p.getByTestId('workspace-switcher-sidebar')
      await trigger.click()
      const panel = p.getByTestId('workspace-panel')
      await panel.getByRole('button', { name: /Beta Ads/ }).waitFor()
      // Default, Acme Media, Beta Ads and Gamma Growth; three of them in admin view.
      await expect(panel.locator('[data-ws-item]').count()).resolves.toBe(4)
      await expect(panel.getByText('admin view', { exact: true }).count()).resolves.toBe(3)
      await expect(panel.getByText('Other workspaces · admin view').isVisible()).resolves.toBe(true)
      await shot(p, 'workspace-switcher-admin')

      await switchTo(p, 'sidebar', BEN.company)
      await p.getByTestId('admin-view-banner').waitFor()
      await expect(trigger.textContent()).resolves.toContain('Admin view')
      expect(await campaignNames(p)).toContain('Beta retargeting')
      await shot(p, 'workspace-admin-view')

      await trigger.click()
      await switchTo(p, 'sidebar', 'Default')
      await expect(p.getByTestId('admin-view-banner').count()).resolves.toBe(0)
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('admin view on a phone: the top bar and the banner say so', async () => {
    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'UTC',
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, ADMIN)
      await p.getByTestId('workspace-switcher-topbar').click()
      await p
        .getByTestId('workspace-panel')
        .getByRole('button', { name: /Acme Media/ })
        .waitFor()
      await shot(p, 'workspace-switcher-admin')
      await switchTo(p, 'topbar', 'Acme Media')
      await p.getByTestId('admin-view-banner').waitFor()
      expect(await campaignNames(p)).toContain('Acme spring push')
      await shot(p, 'workspace-admin-view')
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('on a laptop, an owner invites and revokes; the invitee accepts in the banner', async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, BEN)
      await p.goto(`${server.url}/settings/workspace`)
      const form = p.getByTestId('invite-member')
      for (const email of [LEA.email, 'ghost@nowhere.test']) {
        await form.getByLabel('Email').fill(email)
        await form.getByRole('button', { name: 'Invite' }).click()
        await p.locator(`[data-testid="invitation-row"][data-email="${email}"]`).waitFor()
      }
      // Nobody joined yet: the members are still Ben and Mia.
      await expect(p.getByTestId('member-row').count()).resolves.toBe(2)
      await shot(p, 'workspace-invitations')
      const ghost = p.locator('[data-testid="invitation-row"][data-email="ghost@nowhere.test"]')
      await ghost.getByRole('button', { name: 'Revoke' }).click()
      await ghost.waitFor({ state: 'detached' })
      await waitFor(() => smtp.inbox.find((m) => m.to.includes(LEA.email)), 'the mail to Lea')
      await ctx.clearCookies()

      // Lea sees the invitation above every page and accepts it.
      await signIn(p, LEA)
      const banner = p.getByTestId('invitation-banner')
      await banner.getByText(`invited you to ${BEN.company}`).waitFor()
      await shot(p, 'invitation-banner')
      await banner.getByRole('button', { name: 'Accept' }).click()
      await banner.waitFor({ state: 'detached' })
      const trigger = p.getByTestId('workspace-switcher-sidebar')
      await trigger.click()
      await switchTo(p, 'sidebar', BEN.company)
      await p.goto(`${server.url}/settings/workspace`)
      await p.locator(`[data-testid="member-row"][data-email="${LEA.email}"]`).waitFor()
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('on a phone, a person without an account signs up, signs in from the emailed link and accepts', async () => {
    await apiAs(benCookie, 'POST', '/workspace/invitations', { email: NOAH.email, role: 'member' })
    const mail = await waitFor(() => smtp.inbox.find((m) => m.to.includes(NOAH.email)), 'the mail to Noah')
    const link = /http:\/\/\S+\/invitations\/accept#token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0]
    expect(link).toBeDefined()
    const res = await fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(NOAH),
    })
    const { user } = (await res.json()) as { user: { id: string } }
    await apiAs(adminCookie, 'POST', `/admin/users/${user.id}/approve`)

    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'UTC',
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      // The link's origin is PUBLIC_URL; open its path and fragment on the test server.
      await p.goto(`${server.url}${new URL(link!).pathname}${new URL(link!).hash}`)
      await p.waitForURL(/\/login\?next=/)
      expect(p.url()).not.toContain('token')
      await p.fill('#email', NOAH.email)
      await p.fill('#password', NOAH.password)
      await p.click('button[type=submit]')
      await p.waitForURL(`${server.url}/invitations/accept`)
      const card = p.getByTestId('invitation-accept')
      await card.getByRole('button', { name: 'Accept invitation' }).waitFor()
      await shot(p, 'invitation-accept')
      await card.getByRole('button', { name: 'Accept invitation' }).click()
      await card.getByText(`You joined ${BEN.company} as member.`).waitFor()
      await shot(p, 'invitation-accepted')
      await card.getByRole('button', { name: `Open ${BEN.company}` }).click()
      await p.waitForURL(`${server.url}/`)
      await expect
        .poll(() => p.getByTestId('workspace-switcher-topbar').getByTestId('current-workspace').textContent())
        .toBe(BEN.company)
      // Ben's workspace page on a phone: Noah is a member; one more invitation is pending.
      await apiAs(benCookie, 'POST', '/workspace/invitations', { email: 'later@new.test', role: 'admin' })
      await ctx.clearCookies()
      await signIn(p, BEN)
      await p.goto(`${server.url}/settings/workspace`)
      await p.locator(`[data-testid="member-row"][data-email="${NOAH.email}"]`).waitFor()
      await p.locator('[data-testid="invitation-row"][data-email="later@new.test"]').waitFor()
      await shot(p, 'workspace-invitations')
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
