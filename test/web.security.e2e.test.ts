/**
 * Two-factor authentication in the browser (issue 18): the admin enrols on Settings →
 * Security (reads the key shown on the page, computes codes with otpauth), saves the
 * recovery codes, signs out, signs in with password + code (second step); the Security page
 * has no sideways scroll at 390 px. Then the owner requires 2FA for the workspace and a
 * member without it lands on the Security page with the banner. Real server process,
 * Debian's Chromium. Screenshots at 1280 and 390 px in /tmp/shots-totp/.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { Secret, TOTP } from 'otpauth'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchForUi, PHONE, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'admin@traffoflex.test', password: 'correct horse battery staple' }
const MIA = { email: 'mia@acme.test', password: 'a long enough password', company: 'Acme Media' }
const LAPTOP = { width: 1280, height: 900 }
const SHOTS = '/tmp/shots-totp'

let server: ServerProcess
let browser: Browser
let adminCookie: string
let adminWorkspaceId: string
let secret = ''
const pageErrors: string[] = []
// The session probe before sign-in (401), the wrong codes typed on purpose (400 on the Security
// page, 401 at sign-in), the refused routes of a member who must enrol (403).
const watch = (p: Page) => watchErrors(p, pageErrors, /status of (400|401|403)\b/)
const shot = (p: Page, name: string) =>
  p.screenshot({ path: path.join(SHOTS, `${name}-${p.viewportSize()?.width}.png`), fullPage: true })

/** The code for the next 30-second step: accepted now (window ±1) and newer than any used so far. */
const nextCode = () =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + 30_000 })

async function noSidewaysScroll(p: Page) {
  const wide = await p.evaluate<string[]>(
    `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`,
  )
  expect(wide).toEqual([])
  expect(
    await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
  ).toBeLessThanOrEqual(0)
}

async function passwordStep(p: Page, who: { email: string; password: string }) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', who.email)
  await p.fill('#password', who.password)
  await p.click('button[type=submit]')
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-2fa-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SEED_SAMPLE: 'false' },
  })
  adminCookie = await login(server.url, ADMIN.email, ADMIN.password)
  const me = await apiCall(server.url, adminCookie, 'GET', '/auth/me')
  adminWorkspaceId = me.body.workspace.id
  // Mia: her own workspace, and a member of the admin's.
  const res = await fetch(`${server.url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(MIA),
  })
  const { user } = (await res.json()) as { user: { id: string } }
  await apiCall(server.url, adminCookie, 'POST', `/admin/users/${user.id}/approve`)
  const mia = await login(server.url, MIA.email, MIA.password)
  const inv = await apiCall(server.url, adminCookie, 'POST', '/workspace/invitations', {
    email: MIA.email,
    role: 'member',
  })
  expect((await apiCall(server.url, mia, 'POST', `/invitations/${inv.body.id}/accept`)).status).toBe(200)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('two-factor authentication in the browser', () => {
  it('enrols on the Security page, then signs in with password + code', async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await passwordStep(p, ADMIN)
      await p.waitForURL(`${server.url}/`)
      // Linked from the settings navigation.
      await p.getByRole('link', { name: 'Security' }).first().click()
      await p.waitForURL(`${server.url}/settings/security`)
      await p.getByRole('button', { name: 'Enable' }).click()
      await p.getByRole('button', { name: 'Start set-up' }).click()
      const key = p.getByTestId('totp-secret')
      await key.waitFor()
      secret = ((await key.textContent()) ?? '').trim()
      expect(secret).toMatch(/^[A-Z2-7]{32}$/)
      await expect(p.getByRole('img', { name: /QR code/ }).getAttribute('src')).resolves.toMatch(
        /^data:image\/svg\+xml;base64,/,
      )
      await shot(p, 'security-enrol')
      // A wrong code is refused on the page.
      await p.fill('#enable-code', '000000')
      await p.getByRole('button', { name: 'Turn on' }).click()
      await p.getByText('That code is not right').waitFor()
      await p.fill('#enable-code', nextCode())
      await p.getByRole('button', { name: 'Turn on' }).click()
      const codes = p.getByTestId('recovery-codes')
      await codes.waitFor()
      expect(await codes.locator('li').count()).toBe(10)
      await expect(p.getByRole('button', { name: 'Download' }).isVisible()).resolves.toBe(true)
      await shot(p, 'security-recovery-codes')
      await p.getByRole('button', { name: 'I have saved them' }).click()
      await p.getByText('of 10 recovery codes left').waitFor()
      await shot(p, 'security-on')

      // Sign out, sign in again: the second step asks for the code.
      await p.getByRole('button', { name: 'Sign out' }).first().click()
      await p.waitForURL(/\/login/)
      await passwordStep(p, ADMIN)
      await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor()
      await expect(p.getByText('Remember this device for 30 days').isVisible()).resolves.toBe(true)
      await shot(p, 'login-second-step')
      // The recovery-code toggle switches the field and back.
      await p.getByRole('button', { name: 'Use a recovery code' }).click()
      await p.locator('#recovery-code').waitFor()
      await p.getByRole('button', { name: 'Use the authenticator app' }).click()
      await p.fill('#totp-code', '000000')
      await p.getByRole('button', { name: 'Verify' }).click()
      await p.getByText('That code is not right').waitFor()
      // The code of the next step: never used yet (enrolment used an earlier one).
      await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200))
      await p.fill('#totp-code', nextCode())
      await p.getByRole('button', { name: 'Verify' }).click()
      await p.waitForURL(`${server.url}/`)
      await p.getByRole('heading', { name: 'Dashboard' }).waitFor()
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it('at 390 px: the second step and the Security page fit the width', async () => {
    const ctx = await browser.newContext({ viewport: PHONE, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await passwordStep(p, ADMIN)
      await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor()
      await shot(p, 'login-second-step')
      await noSidewaysScroll(p)
      await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200))
      await p.fill('#totp-code', nextCode())
      await p.getByText(/Remember this device/).click()
      await p.getByRole('button', { name: 'Verify' }).click()
      await p.waitForURL(`${server.url}/`)
      await p.goto(`${server.url}/settings/security`)
      await p.getByText('of 10 recovery codes left').waitFor()
      await p.getByTestId('trusted-devices').waitFor()
      await noSidewaysScroll(p)
      await shot(p, 'security-on')
    } finally {
      await ctx.close()
    }
  }, 120_000)

  it("the owner requires 2FA; a member without it is sent to Security with the workspace's banner", async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      // A new browser (the phone's remembered device is another one): password + code.
      await passwordStep(p, ADMIN)
      await p.getByRole('heading', { name: 'Two-factor authentication' }).waitFor()
      await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200))
      await p.fill('#totp-code', nextCode())
      await p.getByRole('button', { name: 'Verify' }).click()
      await p.waitForURL(`${server.url}/`)
      await p.goto(`${server.url}/settings/workspace`)
      const box = p.getByTestId('require-2fa')
      // Controlled by the server's answer: it turns checked once the change is saved.
      await box.click()
      await expect.poll(() => box.isChecked()).toBe(true)
      await p.getByText('now required').waitFor()
      await shot(p, 'workspace-require-2fa')

      const m = await browser.newContext({ viewport: PHONE, timezoneId: 'UTC' })
      const mp = await m.newPage()
      watch(mp)
      await passwordStep(mp, MIA)
      await mp.waitForURL(`${server.url}/`)
      // Into the admin's workspace, which requires 2FA: any page sends her to Security.
      const sw = await mp.evaluate(async (id) => {
        const r = await fetch('/api/v1/auth/workspace', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-requested-with': 'traffoflex' },
          body: JSON.stringify({ workspace_id: id }),
        })
        return r.status
      }, adminWorkspaceId)
      expect(sw).toBe(200)
      await mp.goto(`${server.url}/campaigns`)
      await mp.waitForURL(`${server.url}/settings/security`)
      await mp.getByTestId('two-factor-required-banner').waitFor()
      await mp.getByRole('button', { name: 'Enable' }).click()
      await mp.getByRole('button', { name: 'Start set-up' }).click()
      await mp.getByTestId('totp-secret').waitFor()
      await noSidewaysScroll(mp)
      await shot(mp, 'security-required-enrol')
      const miaSecret = ((await mp.getByTestId('totp-secret').textContent()) ?? '').trim()
      await mp.fill(
        '#enable-code',
        new TOTP({ secret: Secret.fromBase32(miaSecret) }).generate({ timestamp: Date.now() }),
      )
      await mp.getByRole('button', { name: 'Turn on' }).click()
      await mp.getByTestId('recovery-codes').waitFor()
      await mp.getByRole('button', { name: 'I have saved them' }).click()
      await mp.goto(`${server.url}/campaigns`)
      await mp.waitForURL(`${server.url}/campaigns`)
      await expect(mp.getByTestId('two-factor-required-banner').count()).resolves.toBe(0)
      await m.close()
    } finally {
      await ctx.close()
    }
    expect(pageErrors).toEqual([])
  }, 150_000)
})
