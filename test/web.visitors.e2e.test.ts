/**
 * Visitors end to end: the real server process (built UI, `VISITORS_ALLOW_PRIVATE=true` so
 * the engine may visit loopback) and the target-site simulator, driven by Debian's Chromium
 * through playwright-core.
 *
 * The admin gets 1,000 visit credits (billing's admin adjustment), creates a project for the
 * local site in the UI (a bad time on page is flagged under its field as typed; the estimate
 * follows the speed), places the verification token the page shows on the site, checks it
 * ("check now"), starts the project, watches the run panel's numbers move, opens the live
 * page, stops, and finds the credits fell by exactly the visits made — which are exactly the
 * labelled page loads the site received. Screenshots at 1366×800 and 390×844 go to
 * test/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTargetSite, type TargetSite } from '../src/simulators/target-site/target-site.simulator.ts'
import { DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'visitors-admin@traffoflex.test', password: 'correct horse battery staple' }
const CREDITS = 1_000
/** Speed 20 → 1 + 599 × 0.2 = 120.8 visits/min ≈ 2/s with the default range. */
const SPEED = 20

let site: TargetSite
let server: ServerProcess
let browser: Browser
let ctx: BrowserContext
let page: Page
let cookie = ''
let projectId = ''
const pageErrors: string[] = []
// 409: the start refused while unverified (asserted).
const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[01349]\b/)

const api = (method: string, path: string, body?: unknown) => apiCall(server.url, cookie, method, path, body)
const visitsOf = async () => (await api('GET', `/projects/${projectId}`)).body.visits_done as number
const balance = async () =>
  (await api('GET', '/billing/balance')).body.visits as { available: number; reserved: number }
const num = async (p: Page, testId: string) =>
  Number(((await p.getByTestId(testId).textContent()) ?? '').replace(/[^\d]/g, ''))

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
  await shot(p, name)
  await phone.close()
}

beforeAll(async () => {
  site = await startTargetSite()
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-visitors-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      VISITORS_ALLOW_PRIVATE: 'true',
      // Not the default 1..600: the form's live estimate must use the server's range (GET /visitors/config).
      VISITORS_MAX_PER_MINUTE: '1201',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const me = await api('GET', '/auth/me')
  const adj = await api('POST', '/billing/admin/adjustments', {
    workspace_id: me.body.workspace.id,
    visits: CREDITS,
    reason: 'visitors e2e credits',
  })
  expect(adj.status).toBe(201)
  ctx = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
  page = await ctx.newPage()
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
  await site?.stop()
})

describe('a visitor project from creation to stop', () => {
  it('creates a project in the form, with live validation and the estimate', async () => {
    await page.goto(`${server.url}/visitors`)
    await page.getByTestId('empty-state').getByText('No projects yet').waitFor()
    await shot(page, 'visitors-e2e-empty')
    await page.getByRole('link', { name: 'New project' }).first().click()
    await page.getByTestId('project-form').waitFor()
    await page.fill('#p-name', 'Local shop')
    await page.fill('#p-url-0', `${site.url}/`)
    // Speed by keyboard (a range input cannot be filled): Home = 0, then → per step.
    await page.focus('#p-speed')
    await page.keyboard.press('Home')
    for (let i = 0; i < SPEED; i++) await page.keyboard.press('ArrowRight')
    // 1 + (1201 − 1) × 0.2 = 241/min → 347,040/day (the default range would say 121 and 173,952).
    await expect.poll(() => page.getByTestId('estimate-per-minute').textContent()).toBe('≈ 241')
    await expect(page.getByTestId('estimate-visits-day').textContent()).resolves.toBe('347,040')
    // A bare number is ambiguous: the server's rule, shown under the field as typed.
    await page.fill('#p-top', '10')
    await page.locator('#p-top-error').waitFor()
    await expect(page.locator('#p-top-error').textContent()).resolves.toMatch(/duration/i)
    await page.fill('#p-top', '1m 30s')
    await page.locator('#p-top-error').waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'Add country' }).click()
    await shot(page, 'visitors-e2e-form')
    await phoneShot(`${server.url}/visitors/new`, 'visitors-e2e-form', (p) =>
      p.getByTestId('project-form').waitFor(),
    )
    await page.getByRole('button', { name: 'Remove country 1' }).click()
    await page.getByRole('button', { name: 'Create project' }).click()
    await page.waitForURL(/\/visitors\/[0-9a-f-]{36}$/)
    projectId = page.url().split('/').at(-1)!
    await page.getByTestId('run-panel').waitFor()
    const saved = (await api('GET', `/projects/${projectId}`)).body
    expect(saved.settings).toEqual({
      urls: [`${site.url}/`],
      trafficSpeed: SPEED,
      deviceSplit: 50,
      geoTargets: [],
      timeOnPage: '1m 30s',
      referrer: 'none',
      mode: 'http',
    })
    expect(saved.estimate.visits_per_day).toBe(347_040) // the form showed what the server computes
  })

  it('refuses to start unverified; verifies with the token the page shows ("check now")', async () => {
    await page.getByTestId('start-project').click()
    await page
      .getByTestId('run-error')
      .getByText(/not verified/i)
      .waitFor()
    const host = page.getByTestId('host-row')
    await expect(host.getByTestId('host-status').getAttribute('data-status')).resolves.toBe('pending')
    const content = ((await host.getByTestId('host-token').textContent()) ?? '').trim()
    const view = (await api('GET', `/projects/${projectId}/verification`)).body
    expect(content).toBe(`traffoflex-verify=${view.hosts[0].token}`)
    // Wrong file first: the reason shows under the host.
    site.setVerifyBody('nope')
    await page.getByTestId('check-now').click()
    await host.locator('[data-testid="host-status"][data-status="failed"]').waitFor()
    await host.getByTestId('host-error').waitFor()
    await shot(page, 'visitors-e2e-verify-failed')
    site.setVerifyBody(`${content}\n`)
    await page.getByTestId('check-now').click()
    await host.locator('[data-testid="host-status"][data-status="verified"]').waitFor()
    await page.getByTestId('verified-badge').getByText('Verified').waitFor()
  })

  it('starts; the run panel numbers move', async () => {
    await page.getByTestId('start-project').click()
    await page.locator('[data-testid="project-status"][data-status="active"]').waitFor()
    // The engine picks it up at its next poll (≤ 5 s); the panel refreshes every 2 s.
    await expect.poll(() => num(page, 'run-visits-done'), { timeout: 20_000 }).toBeGreaterThan(0)
    const first = await num(page, 'run-visits-done')
    await expect.poll(() => num(page, 'run-visits-done'), { timeout: 10_000 }).toBeGreaterThan(first)
    // Credits left: reserved by the engine's hold, so below what was given.
    await expect.poll(() => num(page, 'run-credits'), { timeout: 10_000 }).toBeLessThan(CREDITS)
    await page.getByTestId('run-stats').waitFor()
    const started = await num(page, 'run-started')
    await expect.poll(() => num(page, 'run-started'), { timeout: 10_000 }).toBeGreaterThan(started)
    expect(await num(page, 'run-target')).toBeGreaterThan(0)
    await expect(page.getByTestId('run-dropped').textContent()).resolves.toBe('0')
    await shot(page, 'visitors-e2e-running')
    await phoneShot(`${server.url}/visitors/${projectId}`, 'visitors-e2e-running', (p) =>
      p.locator('[data-testid="project-status"][data-status="active"]').waitFor(),
    )
  })

  it('the live page shows the hits, the rate and the countries', async () => {
    await page.goto(`${server.url}/visitors/live?project=${projectId}`)
    await page.getByTestId('live-status').getByText('Live').waitFor({ timeout: 10_000 })
    await expect(page.getByTestId('live-project').inputValue()).resolves.toBe(projectId)
    await page.getByTestId('hit-row').first().waitFor({ timeout: 10_000 })
    await page.getByTestId('rate-chart').waitFor()
    await page.getByTestId('country-bars').waitFor()
    await expect(page.getByTestId('hit-row').first().textContent()).resolves.toMatch(/200/)
    await shot(page, 'visitors-e2e-live')
    await phoneShot(`${server.url}/visitors/live?project=${projectId}`, 'visitors-e2e-live', (p) =>
      p.getByTestId('live-status').getByText('Live').waitFor({ timeout: 10_000 }),
    )
  })

  it('stops; credits fell by exactly the visits made, each a labelled page load', async () => {
    await page.goto(`${server.url}/visitors/${projectId}`)
    await page.getByTestId('stop-project').click()
    await page.locator('[data-testid="project-status"][data-status="stopped"]').waitFor()
    // The engine ends the run at its next poll, lets the visits in flight settle and releases the hold.
    await expect.poll(async () => (await balance()).reserved, { timeout: 20_000, interval: 500 }).toBe(0)
    const done = await visitsOf()
    expect(done).toBeGreaterThan(0)
    expect((await balance()).available).toBe(CREDITS - done)
    const pageLoads = site.requests().filter((r) => r.path === '/' && r.ua.includes('traffoflex-visit/'))
    expect(pageLoads).toHaveLength(done)
    // No visits after the stop settled.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await visitsOf()).toBe(done)
    await page.reload()
    await expect.poll(() => num(page, 'run-visits-done')).toBe(done)
    await expect.poll(() => num(page, 'run-credits')).toBe(CREDITS - done)
    const stats = (await api('GET', `/projects/${projectId}/stats`)).body
    const charged = (stats.runs as { charged: number }[]).reduce((a, r) => a + r.charged, 0)
    expect(charged).toBe(done)
    expect(stats.credits.available).toBe(CREDITS - done)
    await shot(page, 'visitors-e2e-stopped')

    await page.goto(`${server.url}/visitors`)
    const row = page.getByTestId('projects-table').locator('tbody tr', { hasText: 'Local shop' })
    await row.waitFor()
    await expect(row.textContent()).resolves.toContain(String(done))
    await shot(page, 'visitors-e2e-list')
    await phoneShot(`${server.url}/visitors`, 'visitors-e2e-list', (p) =>
      p.getByTestId('projects-table').waitFor(),
    )
  })

  it('the page logged no errors', () => {
    expect(pageErrors).toEqual([])
  })
})
