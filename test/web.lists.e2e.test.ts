/**
 * The list pages end to end (issue 17, item 4): the real server process (built UI, PGlite +
 * chDB) driven by Debian's Chromium through playwright-core. Real clicks on a campaign link
 * (CPC cost from its source) and a real postback make the campaign row show its profit and
 * ROI; then a clone, a bulk pause of two rows, the archive view, and at 390 px: no
 * page-level sideways scroll and the sources' row actions on screen; the forms' Organize
 * fields (tags, notes) of an offer and a source. Screenshots of the four lists and the offer
 * form at 1366×800 and 390×844 go to test/screenshots/ (`lists-*`, `organize-*`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'lists-ui@traffoflex.test', password: 'correct horse battery staple' }

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

let server: ServerProcess
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []
const ids: Record<'source' | 'network' | 'offer' | 'alpha' | 'beta', string> = {
  source: '',
  network: '',
  offer: '',
  alpha: '',
  beta: '',
}

const watch = (p: Page) => watchErrors(p, pageErrors, /status of 40[013]\b/)

/** A write through the session cookie (with the CSRF header). */
async function post(path: string, body: Json): Promise<Json> {
  const r = await page.request.post(`${server.url}/api/v1${path}`, {
    data: body,
    headers: { 'x-requested-with': 'traffoflex' },
  })
  if (r.status() >= 300) throw new Error(`${path}: ${r.status()} ${await r.text()}`)
  return (await r.json()) as Json
}
async function get(path: string): Promise<Json> {
  return (await (await page.request.get(`${server.url}/api/v1${path}`)).json()) as Json
}

/** A page at phone width sharing the desktop session. */
async function phonePage(pathname: string): Promise<{ p: Page; close: () => Promise<void> }> {
  const ctx = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    timezoneId: 'UTC',
    storageState: await desktop.storageState(),
  })
  const p = await ctx.newPage()
  watch(p)
  await p.goto(`${server.url}${pathname}`)
  return { p, close: () => ctx.close() }
}

const overflowOf = (p: Page) =>
  p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-lists-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Fcampaigns`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/campaigns`)

  // A CPC source ($0.10 a click), a network, an offer of it, two campaigns.
  ids.source = (
    await post('/sources', {
      name: 'PushHouse',
      cost_model: 'cpc',
      default_cost_micros: 100_000,
      tags: ['push'],
      notes: 'Account #4411',
    })
  ).id
  await post('/sources', { name: 'Zeta pops with a rather long name', tags: ['pops'] })
  ids.network = (
    await post('/networks', { name: 'MaxBounty', postback_secret: 's3cret-token', tags: ['cpa'] })
  ).id
  ids.offer = (
    await post('/destinations', {
      name: 'Offer Lists',
      url: `${server.url}/sample/landing?offer=L&c={click_id}`,
      network_id: ids.network,
      payout_cents: 100,
      tags: ['de'],
    })
  ).id
  ids.alpha = (
    await post('/campaigns', {
      name: 'Lists Alpha',
      alias: 'lists-alpha',
      source_id: ids.source,
      tags: ['push', 'de'],
      group_name: 'Tier 1',
      notes: 'Bid 0.10, daily cap 500',
    })
  ).id
  ids.beta = (await post('/campaigns', { name: 'Lists Beta', alias: 'lists-beta', group_name: 'Tier 2' })).id
  await post('/streams', {
    campaign_id: ids.alpha,
    name: 'All',
    kind: 'default',
    destinations: [{ destination_id: ids.offer }],
  })

  // Four clicks (4 × $0.10 cost), one converts for $1.00: profit $0.60, ROI 150 %.
  const clickIds: string[] = []
  const clickOnce = (i: number) =>
    fetch(`${server.url}/c/lists-alpha?sub1=lists-${i}`, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME_UA },
    })
  for (let i = 0; i < 4; i++) {
    let r = await clickOnce(i)
    // The hot path picks the new campaign up within one snapshot poll (an unknown alias is a 404).
    for (let wait = 0; r.status === 404 && wait < 50; wait++) {
      await new Promise((ok) => setTimeout(ok, 200))
      r = await clickOnce(i)
    }
    expect(r.status).toBe(302)
    clickIds.push(new URL(r.headers.get('location') ?? '').searchParams.get('c') ?? '')
  }
  expect(clickIds[0]).toHaveLength(26)
  const pb = await fetch(
    `${server.url}/postback?network=${ids.network}&secret=s3cret-token&subid=${clickIds[0]}&tid=L-1&payout=1.00`,
  )
  expect(pb.status, await pb.clone().text()).toBe(200)
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const row = (name: string) => page.getByTestId('campaign-row').filter({ hasText: name })

describe('campaign list', () => {
  it("shows today's clicks, revenue, cost, profit and ROI per row, with group, tags and note", async () => {
    await page.goto(`${server.url}/campaigns`)
    await page.getByRole('heading', { name: 'Campaigns' }).waitFor()
    // The conversion reaches ClickHouse through the conversions outbox: reload until it shows.
    await expect
      .poll(
        async () => {
          await page.reload()
          await row('Lists Alpha').waitFor()
          return (await row('Lists Alpha').textContent()) ?? ''
        },
        { timeout: 60_000, interval: 2000 },
      )
      .toContain('$0.60')
    const text = (await row('Lists Alpha').textContent()) ?? ''
    expect(text).toContain('$1.00') // revenue
    expect(text).toContain('$0.40') // cost
    expect(text).toMatch(/150(\.0+)?\s?%/) // ROI
    expect(text).toContain('Tier 1')
    expect(text).toContain('#push')
    // The source's name comes with the sources list.
    await expect
      .poll(async () => (await row('Lists Alpha').textContent()) ?? '', { timeout: 15_000 })
      .toContain('PushHouse')
    await expect(row('Lists Alpha').getByTestId('row-note').getAttribute('title')).resolves.toBe(
      'Bid 0.10, daily cap 500',
    )
    // Sorting by profit puts Alpha first (descending first).
    await page.getByRole('button', { name: 'Profit' }).click()
    await expect(page.getByTestId('campaign-row').first().textContent()).resolves.toContain('Lists Alpha')
    // The tag filter.
    await page.getByLabel('Tag').selectOption('push')
    await expect.poll(() => page.getByTestId('campaign-row').count(), { timeout: 10_000 }).toBe(1)
    await page.getByLabel('Tag').selectOption('')
    await shot(page, 'lists-campaigns')
  })

  it('clones a campaign from its row menu: a paused copy with its stream', async () => {
    await row('Lists Alpha').getByRole('button', { name: 'Actions for Lists Alpha' }).click()
    await page.getByRole('menuitem', { name: 'Clone' }).click()
    await page.getByText('Cloned as “Lists Alpha (copy)”').waitFor()
    const copy = row('Lists Alpha (copy)')
    await copy.waitFor()
    await expect(copy.textContent()).resolves.toContain('paused')
    await expect(copy.textContent()).resolves.toContain('/c/lists-alpha-copy')
    const c = (await get('/campaigns?q=Lists%20Alpha%20(copy)')).items[0] as Json
    expect((await get(`/streams?campaign_id=${c.id}`)).items[0].destinations[0].destination_id).toBe(
      ids.offer,
    )
  })

  it('pauses two checked rows with the bulk bar', async () => {
    await page.getByLabel('Select Lists Alpha', { exact: true }).check()
    await page.getByLabel('Select Lists Beta').check()
    const bar = page.getByTestId('bulk-bar')
    await expect(bar.textContent()).resolves.toContain('2 selected')
    await shot(page, 'lists-campaigns-bulk')
    await bar.getByRole('button', { name: 'Pause' }).click()
    await page.getByText('2 campaigns paused').waitFor()
    await bar.waitFor({ state: 'detached' })
    await expect
      .poll(async () => (await row('Lists Beta').textContent()) ?? '', { timeout: 10_000 })
      .toContain('paused')
    const all = (await get('/campaigns?status=all&limit=500')).items as Json[]
    expect(all.filter((c) => c.id === ids.alpha || c.id === ids.beta).map((c) => c.status)).toEqual([
      'paused',
      'paused',
    ])
  })

  it('archives a row: it leaves the list and shows in the archive view', async () => {
    await row('Lists Beta').getByRole('button', { name: 'Actions for Lists Beta' }).click()
    await page.getByRole('menuitem', { name: 'Archive' }).click()
    await row('Lists Beta').waitFor({ state: 'detached' })
    await page.getByLabel('Status').selectOption('archived')
    await row('Lists Beta').waitFor()
    await expect.poll(() => page.getByTestId('campaign-row').count(), { timeout: 10_000 }).toBe(1)
    await shot(page, 'lists-campaigns-archived')
    await page.getByLabel('Status').selectOption('')
  })

  it('at 390 px: no sideways page scroll, the table scrolls inside its card', async () => {
    const { p, close } = await phonePage('/campaigns')
    await p.getByTestId('campaign-row').first().waitFor()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'lists-campaigns')
    await close()
  })
})

describe('offers, sources and networks lists', () => {
  it('offers: figures per row and the row menu', async () => {
    await page.goto(`${server.url}/destinations`)
    await page.getByRole('heading', { name: 'Offers' }).waitFor()
    const offer = page.getByTestId('offer-row').filter({ hasText: 'Offer Lists' })
    await expect.poll(async () => (await offer.textContent()) ?? '', { timeout: 30_000 }).toContain('$0.60')
    await shot(page, 'lists-offers')
    const { p, close } = await phonePage('/destinations')
    await p.getByTestId('offer-row').first().waitFor()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'lists-offers')
    await close()
  })

  it('sources: at 390 px every row action button is on screen and its menu works', async () => {
    await page.goto(`${server.url}/sources`)
    const src = page.getByTestId('source-row').filter({ hasText: 'PushHouse' })
    await expect.poll(async () => (await src.textContent()) ?? '', { timeout: 30_000 }).toContain('$0.40')
    await shot(page, 'lists-sources')

    const { p, close } = await phonePage('/sources')
    // Once the figures are in, the rows stop re-rendering.
    await expect
      .poll(
        async () => (await p.getByTestId('source-row').filter({ hasText: 'PushHouse' }).textContent()) ?? '',
        { timeout: 15_000 },
      )
      .toContain('$0.40')
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    const buttons = p.getByTestId('source-row').getByTestId('row-actions')
    const n = await buttons.count()
    expect(n).toBeGreaterThanOrEqual(2)
    for (let i = 0; i < n; i++) {
      const box = await buttons.nth(i).boundingBox()
      expect(box, `row ${i} actions`).not.toBeNull()
      expect(box!.x).toBeGreaterThanOrEqual(0)
      expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width)
    }
    await shot(p, 'lists-sources')
    // The menu opens and archives the source (it leaves the default view).
    const zeta = p.getByTestId('source-row').filter({ hasText: 'Zeta pops' })
    await zeta.getByTestId('row-actions').click()
    await p.getByRole('menuitem', { name: 'Archive' }).click()
    await zeta.waitFor({ state: 'detached' })
    await close()
  })

  it('networks: figures per row; bulk add tag', async () => {
    await page.goto(`${server.url}/networks`)
    const net = page.getByTestId('network-row').filter({ hasText: 'MaxBounty' })
    await expect.poll(async () => (await net.textContent()) ?? '', { timeout: 30_000 }).toContain('$1.00')
    await page.getByLabel('Select MaxBounty').check()
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Add tag' }).click()
    const dialog = page.getByTestId('prompt-dialog')
    await dialog.getByLabel('Tag').fill('eu')
    await dialog.getByRole('button', { name: 'Add tag' }).click()
    await expect.poll(async () => (await net.textContent()) ?? '', { timeout: 10_000 }).toContain('#eu')
    await shot(page, 'lists-networks')
    const { p, close } = await phonePage('/networks')
    await p.getByTestId('network-row').first().waitFor()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'lists-networks')
    await close()
  })

  it("the forms' Organize fields: an offer's and a source's tags and notes are shown and saved", async () => {
    await page.goto(`${server.url}/destinations/${ids.offer}`)
    await page.getByTestId('destination-form').waitFor()
    expect(await page.inputValue('#d-tags')).toBe('de')
    // The network select keeps the offer's network (it once showed "None" and saved it).
    await expect.poll(() => page.locator('#d-network option:checked').textContent()).toBe('MaxBounty')
    await page.fill('#d-tags', 'de, sweeps')
    await page.fill('#d-notes', 'Payout net 30')
    await page.locator('#d-notes').scrollIntoViewIfNeeded()
    await shot(page, 'organize-offer-form')
    const { p, close } = await phonePage(`/destinations/${ids.offer}`)
    await p.getByTestId('destination-form').waitFor()
    await p.locator('#d-notes').scrollIntoViewIfNeeded()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'organize-offer-form')
    await close()
    await page.getByRole('button', { name: 'Save changes' }).click()
    await page.getByText('Offer saved').waitFor()
    expect(await get(`/destinations/${ids.offer}`)).toMatchObject({
      tags: ['de', 'sweeps'],
      notes: 'Payout net 30',
      network_id: ids.network,
    })

    await page.goto(`${server.url}/sources`)
    const src = page.getByTestId('source-row').filter({ hasText: 'PushHouse' })
    await src.getByTestId('row-actions').click()
    await page.getByRole('menuitem', { name: 'Edit' }).click()
    const form = page.getByTestId('source-form')
    await form.waitFor()
    expect(await page.inputValue('#source-notes')).toBe('Account #4411')
    await page.fill('#source-tags', 'push, tier1')
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    await form.waitFor({ state: 'detached' })
    expect((await get(`/sources/${ids.source}`)).tags).toEqual(['push', 'tier1'])
  })

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
