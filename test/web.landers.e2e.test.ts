/**
 * Landers in the admin UI end to end (real server process, built UI, Debian's Chromium):
 * creates a lander through its form (help box with the CTA link), lists it, pauses and
 * resumes it from the row menu, archives it with the bulk bar and brings it back from the
 * archive view, adds it to a stream through the stream form's "Landers" list, and finds the
 * lander click URL on the campaign page; a visitor then goes campaign → lander → CTA → offer,
 * and the landers list and the report grouped by lander show that visit, the LP click and
 * the LP CTR.
 * Screenshots at 1366×800 and 390×844 go to test/screenshots/ (no sideways scrolling at 390).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'landers-ui@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
let cookie = ''
const pageErrors: string[] = []
let campaignId = ''
let streamId = ''
let landerId = ''

const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[013]\b/)

/** The URL at phone width (sharing the desktop session): screenshot, and no sideways scrolling. */
async function phoneShot(url: string, name: string, ready: (p: Page) => Promise<unknown>) {
  const ctx = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    storageState: await desktop.storageState(),
  })
  const p = await ctx.newPage()
  watch(p)
  await p.goto(url)
  await ready(p)
  await shot(p, name)
  const overflow = Number(await p.evaluate('document.documentElement.scrollWidth - window.innerWidth'))
  expect(overflow, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(0)
  // The layout clips sideways overflow, so also check that no form part reaches past the edge.
  const widest = Number(
    await p.evaluate(
      "Math.max(0, ...[...document.querySelectorAll('form, form *')].map((e) => e.getBoundingClientRect().right))",
    ),
  )
  expect(widest, `${name}: a form part reaches past 390 px`).toBeLessThanOrEqual(PHONE.width)
  await ctx.close()
}

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-landers-'),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SEED_SAMPLE: 'false',
      SNAPSHOT_POLL_MS: '100',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
  const offer = await apiCall(server.url, cookie, 'POST', '/offers', {
    name: 'Offer A with a long name that must not widen the stream form',
    url: 'https://offer.example/a?click_id={click_id}',
  })
  const campaign = await apiCall(server.url, cookie, 'POST', '/campaigns', {
    name: 'Quiz DE',
    alias: 'quiz-de',
  })
  campaignId = campaign.body.id
  const stream = await apiCall(server.url, cookie, 'POST', '/streams', {
    campaign_id: campaignId,
    name: 'Everyone',
    kind: 'default',
    destinations: [{ destination_id: offer.body.id }],
  })
  streamId = stream.body.id
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Flanders`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/landers$/)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('landers UI', () => {
  it('creates a lander through the form, with the CTA help', async () => {
    await page.getByText('No landers yet').waitFor()
    await page.getByRole('link', { name: 'New lander' }).first().click()
    await page.getByTestId('lander-help').waitFor()
    expect(await page.getByTestId('lander-help').innerText()).toContain(
      `${server.url}/lp/<campaign alias>/click`,
    )
    await shot(page, 'landers-new')
    await phoneShot(`${server.url}/landers/new`, 'landers-new', (p) => p.getByTestId('lander-help').waitFor())
    await page.fill('#l-name', 'Quiz lander with a rather long name for narrow screens')
    await page.fill('#l-url', 'https://lander.example/quiz?cid={click_id}&s={sub1}')
    await page.fill('#l-tags', 'quiz, de')
    await page.getByRole('button', { name: 'Create lander' }).click()
    await page.waitForURL(/\/landers$/)
    const row = page.getByTestId('lander-row').first()
    await row.getByText('#quiz', { exact: true }).waitFor()
    landerId = (await apiCall(server.url, cookie, 'GET', '/landers')).body.items[0].id
  })

  it('pauses and resumes it from the row menu; archives it in bulk and restores it', async () => {
    const row = page.getByTestId('lander-row').first()
    const menu = async (item: string) => {
      await row.getByRole('button', { name: /^Actions for Quiz lander/ }).click()
      await page.getByRole('menuitem', { name: item }).click()
    }
    await menu('Pause')
    await page.getByText('1 lander paused').waitFor()
    expect((await apiCall(server.url, cookie, 'GET', `/landers/${landerId}`)).body.status).toBe('paused')
    await menu('Resume')
    await page.getByText('1 lander resumed').waitFor()
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: 10_000 }).toContain('active')
    // The figures columns are there (no traffic yet).
    for (const h of ['Visits', 'LP clicks', 'LP CTR', 'ROI'])
      await page.getByTestId('landers-table').getByRole('button', { name: h, exact: true }).waitFor()
    await page.getByLabel(/^Select Quiz lander/).check()
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Archive' }).click()
    await page.getByText('No landers yet').waitFor()
    await page.getByLabel('Status').selectOption('archived')
    await page.getByLabel(/^Select Quiz lander/).check()
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Unarchive' }).click()
    await page.getByText('1 lander restored').waitFor()
    expect((await apiCall(server.url, cookie, 'GET', `/landers/${landerId}`)).body.status).toBe('paused')
    await page.getByLabel('Status').selectOption('')
    await menu('Resume')
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: 10_000 }).toContain('active')
    await shot(page, 'landers-list')
    await phoneShot(`${server.url}/landers`, 'landers-list', (p) => p.getByTestId('landers-table').waitFor())
    await page.goto(`${server.url}/landers/${landerId}`)
    await page.getByTestId('lander-form').waitFor()
    expect(await page.inputValue('#l-tags')).toBe('quiz, de')
    await shot(page, 'landers-edit')
  })

  it("adds the lander to a stream through the stream form's Landers list", async () => {
    await page.goto(`${server.url}/campaigns/${campaignId}/streams/${streamId}`)
    await page.getByTestId('landers-editor').waitFor()
    await page.getByLabel('Lander to add').selectOption(landerId)
    await page.getByRole('button', { name: 'Add lander' }).click()
    await page.getByTestId('stream-lander').waitFor()
    await page.getByLabel('Lander weight').fill('60')
    await shot(page, 'stream-form-landers')
    await page.getByRole('button', { name: /Save/ }).click()
    await page.waitForURL(new RegExp(`/campaigns/${campaignId}$`))
    const s = (await apiCall(server.url, cookie, 'GET', `/streams/${streamId}`)).body
    expect(s.landers).toEqual([{ lander_id: landerId, weight: 60, active: true }])
  })

  it('shows the lander click URL on the campaign page, and a visitor goes through it', async () => {
    await page.getByTestId('lander-click-url').waitFor()
    const url = await page.inputValue('[data-testid=lander-click-url]')
    // PUBLIC_URL's origin (the campaign link's), then the campaign's lander click path.
    const campaign = (await apiCall(server.url, cookie, 'GET', `/campaigns/${campaignId}`)).body
    expect(url).toBe(`${new URL(campaign.url).origin}/lp/quiz-de/click`)
    await shot(page, 'campaign-lander-link')
    await phoneShot(`${server.url}/campaigns/${campaignId}`, 'campaign-lander-link', (p) =>
      p.getByTestId('lander-click-url').waitFor(),
    )
    await phoneShot(`${server.url}/campaigns/${campaignId}/streams/${streamId}`, 'stream-form-landers', (p) =>
      p.getByTestId('stream-lander').waitFor(),
    )
    const visit = await fetch(`${server.url}/c/quiz-de?sub1=z`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    const lander = new URL(visit.headers.get('location')!)
    expect(lander.host).toBe('lander.example')
    const cta = await fetch(`${server.url}${new URL(url).pathname}?cid=${lander.searchParams.get('cid')}`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
    expect(new URL(cta.headers.get('location')!).searchParams.get('click_id')).toBe(
      lander.searchParams.get('cid'),
    )
    // The landers list counts the visit and the CTA click: 1 visit, 1 LP click, LP CTR 100 %
    // (reloaded until the click pipeline has written them).
    const row = page.getByTestId('lander-row').first()
    let headers: string[] = []
    const cell = (id: string) => row.locator('td').nth(headers.indexOf(id))
    await expect
      .poll(
        async () => {
          await page.goto(`${server.url}/landers`)
          await row.getByText(/^\d+$/).first().waitFor()
          headers = await page.getByTestId('landers-table').locator('th').allTextContents()
          return [await cell('Visits').textContent(), await cell('LP clicks').textContent()]
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toEqual(['1', '1'])
    expect(await cell('LP CTR').textContent()).toMatch(/^100(\.0+)?\s?%$/)
    await shot(page, 'landers-list-figures')
    // The report grouped by lander shows the lander metrics columns.
    await page.goto(`${server.url}/reports?range=today&tz=UTC&by=lander`)
    const table = page.getByTestId('report-table')
    await table.getByText('Quiz lander', { exact: false }).first().waitFor()
    const reportHeaders = await table.locator('th').allTextContents()
    expect(reportHeaders).toEqual(expect.arrayContaining(['LP visits', 'LP clicks', 'LP CTR']))
    const reportRow = table.locator('tbody tr').filter({ hasText: 'Quiz lander' })
    const reportCell = (h: string) => reportRow.locator('td').nth(reportHeaders.indexOf(h))
    expect(await reportCell('LP CTR').textContent()).toMatch(/^100(\.0+)?\s?%$/)
    await shot(page, 'report-by-lander')
    await phoneShot(`${server.url}/landers`, 'landers-list-figures', (p) =>
      p.getByTestId('lander-row').first().waitFor(),
    )
    expect(pageErrors).toEqual([])
  })
})
