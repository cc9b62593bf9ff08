/**
 * API keys page in Chromium against the real server (issue 18): create a key with a scope and
 * an expiry day, see its access, expiry, last use and IP in the list, edit it down to read
 * only (the key is then refused on writes), and the page at phone width. Screenshots go to
 * test/screenshots and, for review, to $SHOTS_DIR when set.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'owner@keys.test', password: 'a long owner password' }
const LAPTOP = { width: 1280, height: 800 }

let server: ServerProcess
let browser: Browser
const pageErrors: string[] = []
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 401\b/)
const shots = process.env.SHOTS_DIR
const review = async (p: Page, name: string) => {
  await shot(p, name)
  if (shots) {
    mkdirSync(shots, { recursive: true })
    await p.screenshot({ path: path.join(shots, `${name}-${p.viewportSize()?.width}.png`), fullPage: true })
  }
}

async function signIn(p: Page) {
  await p.goto(`${server.url}/login`)
  await p.fill('#email', ADMIN.email)
  await p.fill('#password', ADMIN.password)
  await p.click('button[type=submit]')
  await p.waitForURL(`${server.url}/`)
}

const bearer = (key: string, method = 'GET', body?: object) =>
  fetch(`${server.url}/api/v1/sources`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-keys-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, SEED_SAMPLE: 'false' },
  })
  // A second, older key made through the API: admin, never used.
  const cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const res = await fetch(`${server.url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', 'x-requested-with': 'traffoflex' },
    body: JSON.stringify({ name: 'Nightly backup of the whole workspace', scopes: ['admin'] }),
  })
  expect(res.status).toBe(201)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('API keys page', () => {
  it('creates a scoped, expiring key, shows its use, and edits it down to read only', async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC' })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p)
      await p.goto(`${server.url}/settings/api-keys`)
      await p.getByTestId('api-key-row').first().waitFor()
      await p.getByRole('button', { name: 'New API key' }).click()
      const dialog = p.getByTestId('api-key-create')
      await dialog.getByLabel('Name').fill('Cost sync')
      // Read is preselected (least privilege); choose Write.
      await expect(dialog.getByTestId('api-key-scope-read').isChecked()).resolves.toBe(true)
      await dialog.getByTestId('api-key-scope-write').check()
      const in30 = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)
      await dialog.getByLabel('Expires').fill(in30)
      await review(p, 'api-key-create')
      await dialog.getByRole('button', { name: 'Create key' }).click()
      const key = await p.getByTestId('api-key-secret').inputValue()
      expect(key).toMatch(/^tfk_/)
      await p.getByRole('button', { name: 'Done' }).click()

      // The key writes, and its use (time and IP) shows in the list.
      expect((await bearer(key, 'POST', { name: 'from the cost sync' })).status).toBe(201)
      await p.reload()
      const row = p.getByTestId('api-key-row').filter({ hasText: 'Cost sync' })
      await row.getByTestId('api-key-ip').waitFor()
      await expect(row.getByTestId('api-key-scope').first().textContent()).resolves.toBe('Write')
      await expect(row.getByTestId('api-key-expires').textContent()).resolves.toMatch(/^in /)
      await expect(row.getByTestId('api-key-ip').textContent()).resolves.toMatch(/127\.0\.0\.1|::1/)
      await review(p, 'api-keys')

      // Edit: read only, no expiry. Writes are refused from the next request.
      await row.getByTestId('row-actions').click()
      await p.getByRole('menuitem', { name: 'Edit' }).click()
      const edit = p.getByTestId('api-key-edit')
      await expect(edit.getByTestId('api-key-scope-write').isChecked()).resolves.toBe(true)
      await edit.getByTestId('api-key-scope-read').check()
      await edit.getByRole('button', { name: 'No expiry' }).click()
      await review(p, 'api-key-edit')
      await edit.getByRole('button', { name: 'Save' }).click()
      await edit.waitFor({ state: 'hidden' })
      await expect.poll(() => row.getByTestId('api-key-scope').first().textContent()).toBe('Read')
      await expect(row.getByTestId('api-key-expires').textContent()).resolves.toBe('Never')
      const refused = await bearer(key, 'POST', { name: 'no longer allowed' })
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope')
      expect((await bearer(key)).status).toBe(200)

      // Revoke from the same menu.
      await row.getByTestId('row-actions').click()
      await p.getByRole('menuitem', { name: 'Revoke' }).click()
      await p.getByTestId('api-key-revoke').getByRole('button', { name: 'Revoke key' }).click()
      await expect.poll(() => row.textContent()).toContain('Revoked')
      expect((await bearer(key)).status).toBe(401)
    } finally {
      await ctx.close()
    }
  })

  it('fits a phone: no sideways scroll, access and last use visible', async () => {
    const ctx = await browser.newContext({
      viewport: PHONE,
      timezoneId: 'UTC',
      isMobile: true,
      hasTouch: true,
    })
    const p = await ctx.newPage()
    watch(p)
    try {
      await signIn(p)
      await p.goto(`${server.url}/settings/api-keys`)
      await p.getByTestId('api-key-row').first().waitFor()
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
      expect(overflow).toBeLessThanOrEqual(0)
      await expect(p.getByTestId('api-key-scope').first().isVisible()).resolves.toBe(true)
      await review(p, 'api-keys')
      await p.getByRole('button', { name: 'New API key' }).click()
      await p.getByTestId('api-key-create').getByLabel('Name').waitFor()
      const dialogOverflow = await p.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      )
      expect(dialogOverflow).toBeLessThanOrEqual(0)
      await review(p, 'api-key-create')
    } finally {
      await ctx.close()
    }
  })

  it('logged no errors in the browser', () => {
    expect(pageErrors.join('\n')).toBe('')
  })
})
