/**
 * The start of the issue-4 journey in the browser: a visitor signs up and lands on the
 * pending page; a platform admin (a second browser context) approves them on the Users page;
 * the new user signs in and sees the dashboard. Real server process, Debian's Chromium.
 * Screenshots at 1366×800 and 390×844 in test/screenshots/.
 */
import type { Browser, Page } from 'playwright-core'
import { DESKTOP, PHONE, shot, launchForUi, watchErrors } from './helpers/browser.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'admin@traffoflex.test', password: 'correct horse battery staple' }
const BUYER = { email: 'media.buyer@traffoflex.test', password: 'a long enough password', name: 'Mia Buyer' }
const NEW_PASSWORD = 'an even longer new password'

let server: ServerProcess
let browser: Browser
const pageErrors: string[] = []

// The browser logs every 4xx answer: 401 (session probe), 403 (pending approval), and the
// 400 (wrong current password) and 404 (unknown member email) this test provokes.
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[0134]\b/)

async function signIn(p: Page, email: string, password: string) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', email)
  await p.fill('#password', password)
  await p.click('button[type=submit]')
}

beforeAll(async () => {
  // Builds the UI first when web/dist is missing or stale (what `npm start` does).
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-users-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('sign-up, approval, first sign-in', () => {
  it('a visitor signs up, an admin approves them, they sign in to the dashboard', async () => {
    const visitor = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
    const admin = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
    const v = await visitor.newPage()
    const a = await admin.newPage()
    watch(v)
    watch(a)
    try {
      await v.goto(`${server.url}/signup`)
      await v.fill('#name', BUYER.name)
      await v.fill('#email', BUYER.email)
      await v.fill('#password', BUYER.password)
      await v.fill('#company', 'Acme Media')
      await v.fill('#country', 'de')
      await v.click('button[type=submit]')
      await v.waitForURL(/\/pending$/)
      await v.getByText(BUYER.email).waitFor()
      await shot(v, 'users-journey-pending')

      await signIn(a, ADMIN.email, ADMIN.password)
      await a.waitForURL(`${server.url}/`)
      await a.goto(`${server.url}/users`)
      const row = a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"]`)
      await row.waitFor()
      await expect(row.getAttribute('data-status')).resolves.toBe('pending')
      // The status filter and the search narrow the list.
      await a.getByLabel('Status').selectOption('pending')
      await a
        .locator('[data-testid="user-row"]:not([data-status="pending"])')
        .first()
        .waitFor({ state: 'detached' })
      await expect.poll(() => a.locator('[data-testid="user-row"]').count()).toBe(1)
      await a.getByLabel('Status').selectOption('')
      await a.getByLabel('Search users').fill('acme')
      await expect.poll(() => a.locator('[data-testid="user-row"]').count()).toBe(1)
      await a.getByLabel('Search users').fill('')
      await expect.poll(() => a.locator('[data-testid="user-row"]').count()).toBe(2)
      await shot(a, 'users')
      await row.getByRole('button', { name: 'Approve' }).click()
      await a.locator(`[data-testid="user-row"][data-email="${BUYER.email}"][data-status="active"]`).waitFor()
      await expect(row.getByRole('button', { name: 'Suspend' }).isVisible()).resolves.toBe(true)
      await shot(a, 'users-approved')

      await signIn(v, BUYER.email, BUYER.password)
      await v.waitForURL(`${server.url}/`)
      await v.getByRole('heading', { name: 'Dashboard' }).waitFor()
      await shot(v, 'users-journey-dashboard')
      // A regular user has no Users entry in the sidebar.
      await expect(v.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0)
    } finally {
      await visitor.close()
      await admin.close()
    }
  }, 120_000)

  it('the Users page reads on a phone; suspend and reactivate', async () => {
    const ctx = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'UTC',
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p, ADMIN.email, ADMIN.password)
      await p.waitForURL(`${server.url}/`)
      await p.goto(`${server.url}/users`)
      const row = p.locator(`[data-testid="user-row"][data-email="${BUYER.email}"]`)
      await row.getByRole('button', { name: 'Suspend' }).click()
      await p
        .locator(`[data-testid="user-row"][data-email="${BUYER.email}"][data-status="suspended"]`)
        .waitFor()
      await shot(p, 'users')
      await row.getByRole('button', { name: 'Reactivate' }).click()
      await row.getByRole('button', { name: 'Suspend' }).waitFor()
      // Nobody suspends themselves: the admin's own row has no action.
      await expect(
        p.locator(`[data-testid="user-row"][data-email="${ADMIN.email}"]`).getByRole('button').count(),
      ).resolves.toBe(0)
    } finally {
      await ctx.close()
    }
  }, 60_000)

  it('the new user edits their profile, changes their password and manages their workspace', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const phone = viewport === PHONE
      const ctx = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone, timezoneId: 'UTC' })
      const p = await ctx.newPage()
      watch(p)
      try {
        await signIn(p, BUYER.email, phone ? NEW_PASSWORD : BUYER.password)
        await p.waitForURL(`${server.url}/`)
        await p.goto(`${server.url}/settings/profile`)
        await expect(p.locator('#profile-company').inputValue()).resolves.toBe('Acme Media')
        if (phone) {
          await shot(p, 'profile')
          await p.goto(`${server.url}/settings/workspace`)
          await p.getByTestId('member-row').first().waitFor()
          await shot(p, 'workspace')
          continue
        }
        // Profile: a field error from the form, then a save that clears a field.
        await p.fill('#profile-country', 'Germany')
        await p.getByRole('button', { name: 'Save profile' }).click()
        await p.getByText('Two-letter country code, e.g. DE').waitFor()
        await p.fill('#profile-country', '')
        await p.fill('#profile-city', 'Berlin')
        await p.getByRole('button', { name: 'Save profile' }).click()
        await p.getByText('Profile saved').waitFor()
        const me = (await (await p.request.get(`${server.url}/api/v1/auth/me`)).json()) as {
          user: Record<string, unknown>
        }
        expect(me.user).toMatchObject({ city: 'Berlin', country: null, company: 'Acme Media' })
        // Password: a wrong current password lands under its field.
        await p.fill('#pw-current_password', 'not my password at all')
        await p.fill('#pw-new_password', NEW_PASSWORD)
        await p.fill('#pw-confirm', NEW_PASSWORD)
        await p.getByRole('button', { name: 'Change password' }).click()
        await p.getByText('This is not your current password').waitFor()
        await shot(p, 'profile')
        await p.fill('#pw-current_password', BUYER.password)
        await p.getByRole('button', { name: 'Change password' }).click()
        await p.getByText('Password changed').waitFor()

        // Workspace: members join by invitation (test/web.workspaces.e2e.test.ts accepts one);
        // here the new owner invites the admin, sees it pending, and revokes it.
        await p.goto(`${server.url}/settings/workspace`)
        await p.getByTestId('member-row').first().waitFor()
        const form = p.getByTestId('invite-member')
        await form.getByLabel('Email').fill(ADMIN.email)
        await form.getByRole('button', { name: 'Invite' }).click()
        const row = p.locator(`[data-testid="invitation-row"][data-email="${ADMIN.email}"]`)
        await row.waitFor()
        await expect(p.getByTestId('member-row').count()).resolves.toBe(1)
        await shot(p, 'workspace')
        await row.getByRole('button', { name: 'Revoke' }).click()
        await row.waitFor({ state: 'detached' })
      } finally {
        await ctx.close()
      }
    }
  }, 120_000)

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
