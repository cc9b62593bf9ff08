/**
 * The media buyer's day of issue 17, as one journey in the browser: a traffic source made
 * from the TrafficStars template (the picker fills its tokens), a campaign with that source
 * whose page builds the link with the source's tokens; a stream that sends visitors to a
 * lander first; a visitor (a real Chromium page) who opens the campaign link as
 * TrafficStars would call it, lands on the lander (served by a loopback HTTP server) and
 * clicks its button through to the offer; the network's postback sent from the URL the
 * network's settings copy (real secret, network macros filled in); the campaign row showing
 * the profit; a cost update on the campaign page changing the ROI in the list; a clone and a
 * bulk pause from the list; the visitor's click found in the click log by the source's click
 * ID, its page showing the lander and the offer.
 *
 * Real server process (built UI, PGlite + chDB), Debian's Chromium. Screenshots `tracker-*`
 * at 1366×800 and 390×844 in test/screenshots/.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROME_UA, DESKTOP, launchForUi, PHONE, shot, watchErrors } from './helpers/browser.ts'
import { type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'buyer-day@traffoflex.test', password: 'correct horse battery staple' }
/** What TrafficStars puts in place of {click_id} (its own click ID). */
const TS_CLICK = 'ts-9f8e7d6c5b4a'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

let server: ServerProcess
let landerSite: Server
let landerUrl = ''
let browser: Browser
let desktop: BrowserContext
let page: Page
const pageErrors: string[] = []
const ids = { network: '', offer: '', lander: '', campaign: '', other: '' }
let clickId = ''

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
const row = (name: string) => page.getByTestId('campaign-row').filter({ hasText: name })
const overflowOf = (p: Page) =>
  p.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')

/** The campaign list row of `name`, reloaded until its text contains `want`. */
async function rowShows(name: string, want: string | RegExp) {
  await expect
    .poll(
      async () => {
        await page.reload()
        await row(name).waitFor()
        return (await row(name).textContent()) ?? ''
      },
      { timeout: 60_000, interval: 2000 },
    )
    .toMatch(want)
}

beforeAll(async () => {
  browser = await launchForUi()
  server = await startServerProcess({
    dataDir: tempDataDir('tf-web-tracker-'),
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, PIPELINE_FLUSH_MS: '50' },
  })
  // The buyer's lander: its button links to the campaign's lander click URL.
  landerSite = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(
      `<!doctype html><title>Quiz</title><h1>Which plan suits you?</h1>` +
        `<p>Visit ${new URL(req.url ?? '/', 'http://x').searchParams.get('cid') ?? ''}</p>` +
        `<a id="cta" href="${server.url}/lp/ts-day/click">See the offer</a>`,
    )
  })
  await new Promise<void>((ok) => landerSite.listen(0, '127.0.0.1', ok))
  landerUrl = `http://127.0.0.1:${(landerSite.address() as AddressInfo).port}/quiz`

  desktop = await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC', userAgent: CHROME_UA })
  page = await desktop.newPage()
  watch(page)
  await page.goto(`${server.url}/login?next=%2Fsources`)
  await page.fill('#email', ADMIN.email)
  await page.fill('#password', ADMIN.password)
  await page.click('button[type=submit]')
  await page.waitForURL(`${server.url}/sources`)

  // What the buyer set up long ago: a network with a postback secret, an offer ($2.00 a sale)
  // and a lander.
  ids.network = (await post('/networks', { name: 'Day Network', postback_secret: 'day-s3cret' })).id
  ids.offer = (
    await post('/offers', {
      name: 'Day Offer',
      url: `${server.url}/sample/landing?offer=DAY&click_id={click_id}`,
      network_id: ids.network,
      payout_cents: 200,
    })
  ).id
  ids.lander = (await post('/landers', { name: 'Quiz lander', url: `${landerUrl}?cid={click_id}` })).id
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await new Promise((ok) => landerSite?.close(ok))
})

describe("a media buyer's day", () => {
  it('makes a traffic source from the TrafficStars template', async () => {
    await page.getByRole('button', { name: 'New source' }).first().click()
    const form = page.getByTestId('source-form')
    await form.getByTestId('source-template').selectOption('trafficstars')
    await expect.poll(() => page.inputValue('#source-name')).toBe('TrafficStars')
    await expect.poll(() => form.getByTestId('param-row').count()).toBeGreaterThan(3)
    await page.fill('#source-name', 'TS Day')
    // The buyer's bid: $0.10 a click.
    await page.selectOption('#source-cost-model', 'cpc')
    await page.fill('#source-cost', '0.10')
    await form.getByRole('button', { name: 'Create source' }).click()
    await form.waitFor({ state: 'hidden' })
    await page.getByText('TS Day').first().waitFor()
  })

  it('creates a campaign with that source: its page builds the link with the source’s tokens', async () => {
    await page.goto(`${server.url}/campaigns/new`)
    await page.fill('#c-name', 'TS Day Quiz')
    await page.fill('#c-alias', 'ts-day')
    await page.getByLabel('Traffic source').selectOption({ label: 'TS Day' })
    await page.getByRole('button', { name: 'Create campaign' }).click()
    await page.getByTestId('campaign-link-card').waitFor()
    ids.campaign = page.url().split('/').pop() ?? ''
    const link = (await page.getByTestId('campaign-source-link').textContent()) ?? ''
    expect(link).toContain('/c/ts-day?external_id={click_id}')
    // A stream that shows the lander first, then the offer.
    await post('/streams', {
      campaign_id: ids.campaign,
      name: 'Everyone',
      kind: 'default',
      destinations: [{ destination_id: ids.offer }],
      landers: [{ lander_id: ids.lander }],
    })
    // The lander's button link is on the campaign page once a stream has a lander.
    await page.reload()
    await expect
      .poll(() => page.getByTestId('lander-click-url').inputValue(), { timeout: 15_000 })
      .toContain('/lp/ts-day/click')
    await shot(page, 'tracker-campaign')
  })

  it('a visitor goes through the lander to the offer', async () => {
    const link = ((await page.getByTestId('campaign-source-link').textContent()) ?? '')
      .replace(/^https?:\/\/[^/]+/, server.url)
      .replace('{click_id}', TS_CLICK)
      .replace(/\{[a-z_]+\}/g, '77')
    const visitor = await browser.newContext({ viewport: DESKTOP, userAgent: CHROME_UA })
    const v = await visitor.newPage()
    try {
      // The hot path picks the new configuration up within one snapshot poll.
      await expect
        .poll(
          async () => {
            await v.goto(link)
            return v.url()
          },
          { timeout: 20_000, interval: 500 },
        )
        .toContain(landerUrl)
      clickId = new URL(v.url()).searchParams.get('cid') ?? ''
      expect(clickId).toHaveLength(26)
      await v.getByRole('heading', { name: 'Which plan suits you?' }).waitFor()
      await v.click('#cta')
      await v.waitForURL(/\/sample\/landing\?offer=DAY/)
      // The offer gets the click ID of the visit (the one the network posts back).
      expect(new URL(v.url()).searchParams.get('click_id')).toBe(clickId)
    } finally {
      await visitor.close()
    }
  })

  it('the network posts the sale back to the copied postback URL; the campaign row shows the profit', async () => {
    const { postback_url } = await get(`/networks/${ids.network}/postback-secret`)
    expect(postback_url).not.toContain('{secret}')
    const url = (postback_url as string)
      .replace(/^https?:\/\/[^/]+/, server.url)
      .replace('{subid}', clickId)
      .replace('{click_id}', clickId)
      .replace('{tid}', 'DAY-1')
      .replace('{transaction_id}', 'DAY-1')
      .replace('{payout}', '2.00')
      .replace('{status}', 'sale')
      .replace(/\{[a-z_]+\}/g, '')
    const res = await fetch(url)
    expect(res.status, await res.clone().text()).toBe(200)
    // One click at $0.10, a $2.00 sale: profit $1.90, ROI 1,900 %.
    await page.goto(`${server.url}/campaigns`)
    await rowShows('TS Day Quiz', '$1.90')
    expect((await row('TS Day Quiz').textContent()) ?? '').toMatch(/1,?900(\.0+)?\s?%/)
    await shot(page, 'tracker-list')
  })

  it('a cost update with the source’s real figure changes the ROI', async () => {
    await page.goto(`${server.url}/campaigns/${ids.campaign}`)
    await page.getByTestId('cost-updates').scrollIntoViewIfNeeded()
    const today = new Date().toISOString().slice(0, 10)
    await page.fill('#cost-from', today)
    await page.fill('#cost-to', today)
    await page.fill('#cost-total', '1')
    await expect
      .poll(() => page.getByTestId('cost-preview').textContent(), { timeout: 15_000 })
      .toContain('$1.00')
    await page.getByRole('button', { name: 'Apply cost' }).click()
    await expect.poll(() => page.getByTestId('cost-history').textContent()).toContain('$1.00')
    // $2.00 revenue on $1.00 real cost: profit $1.00, ROI 100 %.
    await page.goto(`${server.url}/campaigns`)
    await rowShows('TS Day Quiz', /100(\.0+)?\s?%/)
    expect((await row('TS Day Quiz').textContent()) ?? '').not.toMatch(/1,?900/)
  })

  it('clones the campaign and pauses both with the bulk bar', async () => {
    await row('TS Day Quiz').getByRole('button', { name: 'Actions for TS Day Quiz' }).click()
    await page.getByRole('menuitem', { name: 'Clone' }).click()
    await row('TS Day Quiz (copy)').waitFor()
    const copy = (await get('/campaigns?q=TS%20Day%20Quiz%20(copy)')).items[0] as Json
    const streams = (await get(`/streams?campaign_id=${copy.id}`)).items as Json[]
    expect(streams[0]?.landers.map((l: Json) => l.lander_id)).toEqual([ids.lander])
    // The copy starts paused; resume it so the bulk pause has two running campaigns.
    await post('/campaigns/bulk', { ids: [copy.id], action: 'resume' })
    await page.reload()
    await page.getByLabel('Select TS Day Quiz', { exact: true }).check()
    await page.getByLabel('Select TS Day Quiz (copy)').check()
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Pause' }).click()
    await page.getByText('2 campaigns paused').waitFor()
    const all = (await get('/campaigns?status=all&limit=500')).items as Json[]
    expect(all.filter((c) => c.name.startsWith('TS Day Quiz')).map((c) => c.status)).toEqual([
      'paused',
      'paused',
    ])
  })

  it('finds the visitor’s click in the click log by the source’s click ID', async () => {
    await page.goto(`${server.url}/clicks`)
    await page.getByLabel('Sub ID', { exact: true }).selectOption('external_id')
    await page.getByLabel('Sub ID value').fill(TS_CLICK)
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.getByTestId('click-row').count(), { timeout: 20_000 }).toBe(1)
    await page.getByRole('link', { name: clickId }).click()
    await page.getByTestId('route-decision').waitFor()
    const decision = (await page.getByTestId('route-decision').textContent()) ?? ''
    expect(decision).toContain('Quiz lander')
    expect(decision).toContain('Day Offer')
    await shot(page, 'tracker-click')

    const phone = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      storageState: await desktop.storageState(),
    })
    const p = await phone.newPage()
    watch(p)
    await p.goto(page.url())
    await p.getByTestId('route-decision').waitFor()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'tracker-click')
    await p.goto(`${server.url}/campaigns`)
    await p.getByTestId('campaign-row').first().waitFor()
    expect(await overflowOf(p)).toBeLessThanOrEqual(0)
    await shot(p, 'tracker-list')
    await phone.close()
  })

  it('logged no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
