/**
 * The autopilot panel end to end: the real demo (`src/main.ts demo`: the server plus a
 * TrafficStars simulator whose minute lasts DEMO_MINUTE_MS real ms, with a disabled autopilot
 * seeded on the sample campaign) as a child process, Debian's Chromium through playwright-core.
 * Signs in, opens /autopilot, enables the autopilot with the toggle and watches the simulated
 * day drive the campaign: the state reaches CONDITION 1 or 2 with a `run` call that went
 * through, then a `patch` of the daily budget. Also the dry run and the settings form's field
 * errors. Screenshots at 1366×800 and 390×844 in test/screenshots/.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { DESKTOP, PHONE, shot, launchForUi, watchErrors } from './helpers/browser.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, ROOT, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'pilot@traffoflex.test', password: 'correct horse battery staple' }

interface DemoProcess {
  url: string
  proc: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** `node --import tsx src/main.ts demo` on a free port; waits for `/readyz` and the demo banner. */
async function startDemoProcess(env: Record<string, string>): Promise<DemoProcess> {
  const port = await freePort()
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'demo'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d) => {
    out += d
  })
  proc.stderr!.on('data', (d) => {
    out += d
  })
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  // The banner is printed after the seed: the autopilot entry exists from then on.
  while (!out.includes('traffoflex demo')) {
    if (proc.exitCode !== null) throw new Error(`demo exited (${proc.exitCode}):\n${out}`)
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`demo did not start:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  expect((await fetch(`${url}/readyz`)).status).toBe(200)
  return {
    url,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM')
      await exited
    },
  }
}

let demo: DemoProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []

const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[13]\b/)

beforeAll(async () => {
  // Builds the UI first when web/dist is missing or stale (what `npm start` does).
  browser = await launchForUi()
  demo = await startDemoProcess({
    DATA_DIR: tempDataDir('tf-web-autopilot-'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DEMO_MINUTE_MS: '100',
    PIPELINE_FLUSH_MS: '50',
  })
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' })
  page = await desktop.newPage()
  watch(page)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
})

describe('autopilot panel on the demo', () => {
  it('signs in and shows the seeded, disabled autopilot with its account', async () => {
    await page.goto(`${demo.url}/login?next=%2Fautopilot`)
    await page.fill('#email', ADMIN.email)
    await page.fill('#password', ADMIN.password)
    await page.click('button[type=submit]')
    await page.waitForURL(/\/autopilot$/)
    const panel = page.getByTestId('autopilot-campaign')
    await panel.waitFor()
    await expect(panel.getAttribute('data-enabled')).resolves.toBe('false')
    await expect(page.getByTestId('autopilot-toggle').getAttribute('aria-checked')).resolves.toBe('false')
    await expect(page.getByTestId('autopilot-phase').textContent()).resolves.toBe('IDLE')
    const account = page.getByTestId('ts-account-row')
    await expect(account.textContent()).resolves.toContain('[Demo] TrafficStars simulator')
    await expect(account.textContent()).resolves.toContain('…0001')
    await shot(page, 'autopilot-disabled')
  }, 60_000)

  it('the dry run lists the calls the autopilot would make, with reasons', async () => {
    await page.getByTestId('autopilot-dry-run').click()
    const dialog = page.getByTestId('autopilot-plan')
    await dialog.getByText('Calls (').waitFor()
    await expect(dialog.textContent()).resolves.toMatch(/State:.*→/)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
  }, 30_000)

  it('the settings form shows field errors and saves dollars as micros', async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByTestId('autopilot-settings')
    await expect(dialog.getByLabel('Price per 1,000 clicks ($)').inputValue()).resolves.toBe('2')
    await dialog.getByLabel('Pause at (clicks)').fill('20000')
    await dialog.getByLabel('Price per 1,000 clicks ($)').fill('')
    await dialog.getByRole('button', { name: 'Save settings' }).click()
    await dialog.getByText('Enter the price in dollars').waitFor()
    await shot(page, 'autopilot-settings-errors')
    // The two-field rule is checked once every field is valid.
    await dialog.getByLabel('Price per 1,000 clicks ($)').fill('2')
    await dialog.getByRole('button', { name: 'Save settings' }).click()
    await dialog.getByText('Must be below “start above”').waitFor()
    await dialog.getByLabel('Pause at (clicks)').fill('5000')
    await dialog.getByLabel('Wait (minutes)').fill('3')
    await dialog.getByRole('button', { name: 'Save settings' }).click()
    await dialog.waitFor({ state: 'hidden' })
    const res = await page.request.get(`${demo.url}/api/v1/autopilot/campaigns`)
    const body = (await res.json()) as { items: Array<{ settings: Record<string, number> }> }
    expect(body.items[0]!.settings).toMatchObject({ price_per_1000_micros: 2_000_000, wait_minutes: 3 })
  }, 30_000)

  it('enabling with the toggle lets the simulated day drive the campaign', async () => {
    await page.getByTestId('autopilot-toggle').click()
    await page.locator('[data-testid="autopilot-toggle"][aria-checked="true"]').waitFor()
    // Within a minute of real time (≈ 600 simulated minutes): a condition and a run call that went through.
    await page
      .locator('[data-testid="autopilot-phase"][data-phase^="CONDITION_"]')
      .waitFor({ timeout: 60_000 })
    await page
      .locator('[data-testid="autopilot-action"][data-kind="run"][data-outcome="ok"]')
      .first()
      .waitFor({ timeout: 60_000 })
    await expect(page.getByTestId('autopilot-phase').textContent()).resolves.toMatch(/^CONDITION [12]/)
    await shot(page, 'autopilot-running')
    // Then spend crosses $10: condition 2 raises the daily budget (a PATCH of max_daily).
    await page
      .locator('[data-testid="autopilot-action"][data-kind="patch"][data-outcome="ok"]')
      .filter({ has: page.getByTestId('autopilot-action-text').filter({ hasText: 'daily budget' }) })
      .first()
      .waitFor({ timeout: 60_000 })
    await expect(page.getByTestId('autopilot-phase').getAttribute('data-phase')).resolves.toBe(
      'CONDITION_TWO',
    )
    await expect(page.getByTestId('autopilot-spent').textContent()).resolves.toMatch(/\$\d/)
    await expect(page.getByTestId('autopilot-spent').textContent()).resolves.toMatch(/from /)
    await shot(page, 'autopilot-budget')
    // The inputs of an action expand.
    const row = page.locator('[data-testid="autopilot-action"][data-kind="patch"]').first()
    await row.locator('summary').click()
    await expect(row.locator('pre').textContent()).resolves.toContain('{')
  }, 150_000)

  it('reads on a phone', async () => {
    const phone = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      timezoneId: 'UTC',
      storageState: await desktop.storageState(),
    })
    const p = await phone.newPage()
    watch(p)
    await p.goto(`${demo.url}/autopilot`)
    await p.getByTestId('autopilot-action').first().waitFor()
    await shot(p, 'autopilot')
    await phone.close()
    await shot(page, 'autopilot')
  }, 60_000)

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
