/**
 * End to end on the embedded default: the real server process (PGlite + chDB), real
 * browser user agents and client IPs through a trusted proxy header, redirects checked
 * against the sample campaign's rules, clicks checked in ClickHouse (through the reports
 * API, then raw rows after shutdown), and the link opened in headless Chromium.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClickHouse } from '../src/platform/clickhouse.ts'
import { launchChromium } from './helpers/browser.ts'
import { login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const UA = {
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  androidTablet:
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
}
const ADMIN = { email: 'e2e@traffoflex.test', password: 'correct horse battery staple' }

let server: ServerProcess
let dataDir: string

beforeAll(async () => {
  dataDir = tempDataDir()
  server = await startServerProcess({
    dataDir,
    env: {
      TRUSTED_PROXIES: '127.0.0.1/32',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PIPELINE_FLUSH_MS: '50',
    },
  })
  // PUBLIC_URL defaults to http://localhost:PORT, which the sample destinations use.
}, 120_000)
afterAll(async () => {
  await server?.stop()
})

const visit = async (ip: string, ua: string, query = '') => {
  const res = await fetch(`${server.url}/c/sample${query}`, {
    redirect: 'manual',
    headers: { 'x-forwarded-for': ip, 'user-agent': ua, 'accept-language': 'en-US,en;q=0.9' },
  })
  return {
    status: res.status,
    location: res.headers.get('location'),
    cacheControl: res.headers.get('cache-control'),
  }
}
const offerOf = (location: string | null) => new URL(location ?? 'http://x/').searchParams.get('offer')

describe('first run', () => {
  it('prints the admin and the sample campaign link', () => {
    expect(server.output()).toContain(`first admin: ${ADMIN.email}`)
    expect(server.output()).toMatch(/sample campaign link: http:\/\/localhost:\d+\/c\/sample/)
  })
})

describe('routing the sample campaign', () => {
  const cases: [string, string, string, string[]][] = [
    ['US desktop Chrome', '8.8.8.8', UA.windowsChrome, ['A']],
    ['GB desktop Safari', '81.2.69.142', UA.macSafari, ['A']],
    ['CA desktop Chrome', '24.48.0.1', UA.windowsChrome, ['A']],
    ['DE desktop Chrome (no stream but default)', '5.9.0.1', UA.windowsChrome, ['D']],
    ['JP iPhone', '133.242.0.1', UA.iphone, ['B', 'C']],
    ['US Android tablet', '8.8.8.8', UA.androidTablet, ['B', 'C']],
    ['Googlebot from the US (forced bot stream)', '8.8.8.8', UA.googlebot, ['D']],
  ]
  it.each(cases)('%s', async (_name, ip, ua, offers) => {
    const r = await visit(ip, ua, '?sub1=e2e&utm_source=test')
    expect(r.status).toBe(302)
    expect(r.cacheControl).toBe('no-store')
    expect(offers).toContain(offerOf(r.location))
    const loc = new URL(r.location!)
    expect(loc.searchParams.get('sub1')).toBe('e2e')
    expect(loc.searchParams.get('click_id')).toMatch(/^[0-9A-Z]{26}$/)
  })

  it('shows the clicks in the reports with the right dimensions', async () => {
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const get = async (p: string) => {
      const res = await fetch(`${server.url}${p}`, { headers: { cookie } })
      expect(res.status).toBe(200)
      return res.json() as Promise<Record<string, unknown>>
    }
    // Clicks reach ClickHouse within a few pipeline flushes (PIPELINE_FLUSH_MS = 50).
    await expect
      .poll(async () => Number((await get('/api/v1/reports/overview?tz=UTC')).clicks), {
        timeout: 5000,
        interval: 100,
      })
      .toBeGreaterThanOrEqual(cases.length)
    const overview = await get('/api/v1/reports/overview?tz=UTC')
    expect(overview).toMatchObject({ clicks: cases.length, bots: 1 })
    const byCountry = (await get('/api/v1/reports/breakdown?by=country&tz=UTC')) as {
      rows: { key: string; clicks: number }[]
    }
    const countries = Object.fromEntries(byCountry.rows.map((r) => [r.key, Number(r.clicks)]))
    expect(countries).toEqual({ US: 3, GB: 1, CA: 1, DE: 1, JP: 1 })
    const byDevice = (await get('/api/v1/reports/breakdown?by=device&tz=UTC')) as {
      rows: { key: string; clicks: number }[]
    }
    const devices = Object.fromEntries(byDevice.rows.map((r) => [r.key, Number(r.clicks)]))
    expect(devices).toEqual({ desktop: 5, mobile: 1, tablet: 1 })
  })

  it('lands on the sample landing page in headless Chromium', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const response = await page.goto(
        `${server.url.replace('127.0.0.1', 'localhost')}/c/sample?sub1=browser`,
      )
      expect(response?.status()).toBe(200)
      expect(page.url()).toContain('/sample/landing?offer=')
      await expect(page.locator('#offer').textContent()).resolves.toMatch(/^Offer [A-D]$/)
      await expect(page.locator('#params').textContent()).resolves.toContain('browser')
      await page.screenshot({ path: path.join(dataDir, 'landing.png') })
    } finally {
      await browser.close()
    }
  })
})

describe('operator endpoints and home page', () => {
  it('serve health, readiness, metrics and the home page', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/traffoflex_redirects_total\{outcome="redirect"\} [1-9]/)
    expect(metrics).toContain('traffoflex_pipeline_queue')
    const home = await fetch(`${server.url}/`)
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('/api/docs')
  })
})

describe('configuration changes', () => {
  it('reach the hot path without a restart (snapshot polled every SNAPSHOT_POLL_MS = 500 ms)', async () => {
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const headers = { cookie, 'content-type': 'application/json', 'x-requested-with': 'traffoflex' }
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${server.url}/api/v1${p}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      })
      expect(res.status).toBe(201)
      return (await res.json()) as { id: string }
    }
    const dest = await post('/destinations', {
      name: 'Fresh offer',
      url: 'https://fresh.example/?c={click_id}',
    })
    const campaign = await post('/campaigns', { name: 'Fresh', alias: 'fresh' })
    await post('/streams', {
      campaign_id: campaign.id,
      name: 'all',
      kind: 'default',
      destinations: [{ destination_id: dest.id }],
    })
    // A loose bound for a loaded CI machine; the poll interval makes it ~0.5 s.
    await expect
      .poll(async () => (await fetch(`${server.url}/c/fresh`, { redirect: 'manual' })).status, {
        timeout: 3000,
        interval: 50,
      })
      .toBe(302)
  })
})

describe('after shutdown', () => {
  it('has every click in ClickHouse exactly once, with its dimensions', async () => {
    await server.stop()
    const ch = await openClickHouse({ chDir: path.join(dataDir, 'ch'), database: 'traffoflex' })
    try {
      const rs = await ch.client.query({
        query:
          'SELECT country, device, os, browser, is_bot, sub1, utm_source FROM traffoflex.clicks ORDER BY click_id',
        format: 'JSONEachRow',
      })
      const rows = (await rs.json()) as Record<string, unknown>[]
      expect(rows.length).toBe(9) // 7 visits, the browser's, the fresh campaign's
      expect(rows[0]).toMatchObject({
        country: 'US',
        device: 'desktop',
        os: 'Windows',
        browser: 'Chrome',
        sub1: 'e2e',
        utm_source: 'test',
      })
      // Googlebot, headless Chromium ("HeadlessChrome") and Node's fetch ("node") are flagged as bots.
      expect(rows.filter((r) => Number(r.is_bot) === 1)).toHaveLength(3)
      const dup = await ch.client.query({
        query: 'SELECT count() c, uniqExact(click_id) u FROM traffoflex.clicks',
        format: 'JSONEachRow',
      })
      const { c, u } = ((await dup.json()) as { c: string; u: string }[])[0]!
      expect(Number(c)).toBe(Number(u))
    } finally {
      await ch.close()
    }
  })
})
