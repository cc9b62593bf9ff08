/**
 * Issue 3's "done when", end to end on the embedded default (the real server process:
 * PGlite + chDB + pg-boss, started like `npm start`):
 *
 * 1. a visitor clicks the sample campaign with the traffic source's click ID
 *    (`external_id=SRC123`, the sample source's `external_id_param`);
 * 2. the affiliate network (created and configured through the admin API: secret, template,
 *    status map) sends its postback for our click ID to `/postback`;
 * 3. the conversion is listed by the API, the reports show clicks, conversions, revenue,
 *    cost (the sample source's CPC model: 20,000 micros per click), profit and ROI, also
 *    broken down by campaign;
 * 4. the outbound postback reaches a loopback receiver once, with `{external_id}` and
 *    `{payout}` filled in;
 * 5. the network's retry of the same postback answers 200 and changes nothing.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Json, type Receiver, startReceiver, until } from './postbacks-out.helpers.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'e2e-conv@traffoflex.test', password: 'correct horse battery staple' }
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const SECRET = 'n3twork-s3cret'
const PAYOUT = '7.5'
/** Sample source: CPC, 20,000 micros per click (src/modules/routing/sample/sample.seed.ts). */
const COST_PER_CLICK = 0.02

let server: ServerProcess | undefined
let rx: Receiver | undefined
let cookie = ''
const dataDir = tempDataDir('tf-e2e-conv-')

beforeAll(async () => {
  rx = await startReceiver()
  server = await startServerProcess({
    dataDir,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      TRUSTED_PROXIES: '127.0.0.1/32',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      JOBS_POLL_MS: '100',
      PIPELINE_FLUSH_MS: '50',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
}, 120_000)

afterAll(async () => {
  // Both always stopped, even when beforeAll or a test failed halfway.
  await Promise.allSettled([server?.stop(), rx?.close()])
  rmSync(dataDir, { recursive: true, force: true })
})

const api = (method: string, path: string, body?: Json) => apiCall(server!.url, cookie, method, path, body)

/** A date range around now (yesterday … tomorrow, UTC) so a run across midnight still sees everything. */
function around(): string {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
  return `from=${day(-1)}&to=${day(1)}&tz=UTC`
}

// State shared by the steps below (they run in order, in one file).
let sampleCampaignId = ''
let sampleSourceId = ''
let networkId = ''
let clickId = ''
let postbackPath = ''

describe('sample campaign → postback in → conversion, reports, postback out', () => {
  it('configures the sample source postback and an affiliate network through the admin API', async () => {
    const campaigns = await api('GET', '/campaigns?q=sample')
    const sample = (campaigns.body.items as Json[]).find((c) => c.alias === 'sample')
    expect(sample).toBeDefined()
    sampleCampaignId = sample!.id
    sampleSourceId = sample!.source_id
    const source = await api('GET', `/sources/${sampleSourceId}`)
    expect(source.body).toMatchObject({
      cost_model: 'cpc',
      default_cost_micros: 20_000,
      external_id_param: 'external_id',
    })
    const patched = await api('PATCH', `/sources/${sampleSourceId}`, {
      postback_url: `${rx!.base}/ts/postback?clickid={external_id}&payout={payout}&status={status}&cid={campaign_id}`,
    })
    expect(patched.status).toBe(200)

    const net = await api('POST', '/networks', { name: 'E2E network', postback_secret: SECRET })
    expect(net.status).toBe(201)
    networkId = net.body.id
    const settings = await api('PUT', `/networks/${networkId}/postback-settings`, {
      template: 'subid_tid_payout_status',
      status_map: { '1': 'sale' },
    })
    expect(settings.status).toBe(200)
    expect(settings.body.postback_url).toContain(`network=${networkId}&secret={secret}&subid={click_id}`)
  })

  it('routes a click from the source and hands out our click ID', async () => {
    const res = await fetch(`${server!.url}/c/sample?external_id=SRC123&sub1=e2e-conv`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': '8.8.8.8', 'user-agent': CHROME, 'accept-language': 'en-US' },
    })
    expect(res.status).toBe(302)
    const location = new URL(res.headers.get('location')!)
    // US desktop → the "English-speaking desktop" stream → offer A.
    expect(location.searchParams.get('offer')).toBe('A')
    clickId = location.searchParams.get('click_id')!
    expect(clickId).toMatch(/^[0-9A-Z]{26}$/)
  })

  it('accepts the network postback for that click (template parameters, secret, mapped status)', async () => {
    const settings = await api('GET', `/networks/${networkId}/postback-settings`)
    // The ready-to-paste URL, with the network's macros substituted as the network would.
    const url = new URL(
      String(settings.body.postback_url)
        .replace('{secret}', SECRET)
        .replace('{click_id}', clickId)
        .replace('{transaction_id}', 'TX-E2E-1')
        .replace('{payout}', PAYOUT)
        .replace('{status}', '1'),
    )
    postbackPath = `${url.pathname}${url.search}`
    const res = await fetch(`${server!.url}${postbackPath}`)
    const body = (await res.json()) as Json
    expect(res.status).toBe(200)
    expect(body).toMatchObject({ outcome: 'accepted' })
    expect(body.conversion_id).toEqual(expect.any(String))
  })

  it('lists the conversion, enriched from the click', async () => {
    const list = await api('GET', `/conversions?click_id=${clickId}`)
    expect(list.status).toBe(200)
    expect(list.body.total).toBe(1)
    expect(list.body.items[0]).toMatchObject({
      network_id: networkId,
      click_id: clickId,
      transaction_id: 'TX-E2E-1',
      status: 'sale',
      payout_micros: 7_500_000,
      revenue_micros: 7_500_000,
      currency: 'USD',
      campaign_id: sampleCampaignId,
      source_id: sampleSourceId,
      country: 'US',
      device: 'desktop',
      external_id: 'SRC123',
      cost_micros: 20_000,
    })
    expect(list.body.items[0].subs.sub1).toBe('e2e-conv')
  })

  it('shows conversions, revenue, cost, profit and ROI in the overview', async () => {
    let o: Json = {}
    await until(
      'the click and the conversion in ClickHouse',
      async () => {
        o = (await api('GET', `/reports/overview?${around()}`)).body
        return Number(o.clicks) >= 1 && Number(o.conversions) >= 1
      },
      30_000,
    )
    expect(o).toMatchObject({
      clicks: 1,
      unique_clicks: 1,
      bots: 0,
      conversions: 1,
      sales: 1,
      leads: 0,
      revenue: 7.5,
      cost: COST_PER_CLICK,
      profit: 7.48,
      // profit / cost × 100 = 7.48 / 0.02 × 100
      roi: 37_400,
      cr: 100,
      epc: 7.5,
      currencies: ['USD'],
    })
  })

  it('shows them by campaign (and by source, with the conversion attributed to its click day)', async () => {
    const byCampaign = await api('GET', `/reports/breakdown?by=campaign&${around()}`)
    expect(byCampaign.status).toBe(200)
    expect(byCampaign.body.rows).toEqual([
      expect.objectContaining({
        key: sampleCampaignId,
        clicks: 1,
        conversions: 1,
        revenue: 7.5,
        cost: COST_PER_CLICK,
        profit: 7.48,
        roi: 37_400,
      }),
    ])
    const bySource = await api('GET', `/reports/breakdown?by=source&attribution=click&${around()}`)
    expect(bySource.body.rows).toEqual([
      expect.objectContaining({ key: sampleSourceId, clicks: 1, conversions: 1, revenue: 7.5 }),
    ])
  })

  it('delivers the outbound postback to the source with {external_id} and {payout}', async () => {
    await until('the outbound postback at the receiver', () => rx!.delivered() >= 1, 30_000)
    expect(rx!.hits).toHaveLength(1)
    const hit = new URL(rx!.hits[0]!.url, rx!.base)
    expect(hit.pathname).toBe('/ts/postback')
    expect(Object.fromEntries(hit.searchParams)).toEqual({
      clickid: 'SRC123',
      payout: PAYOUT,
      status: 'sale',
      cid: sampleCampaignId,
    })
    expect(rx!.hits[0]!.userAgent).toBe('traffoflex-postback/1')
    await until('recorded as delivered', async () => {
      const list = await api('GET', '/outbound-postbacks?state=delivered')
      return list.body.total === 1
    })
  })

  it('answers a duplicate postback 200 and changes nothing', async () => {
    const res = await fetch(`${server!.url}${postbackPath}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ outcome: 'duplicate' })

    // The log has both requests with their outcomes.
    await until('both requests in the postback log', async () => {
      const logs = await api('GET', `/postback-logs?click_id=${clickId}`)
      return logs.body.total === 2
    })
    const logs = await api('GET', `/postback-logs?click_id=${clickId}`)
    expect((logs.body.items as Json[]).map((l) => l.outcome).sort()).toEqual(['accepted', 'duplicate'])
    // The stored secret never shows in the log.
    expect(JSON.stringify(logs.body)).not.toContain(SECRET)

    expect((await api('GET', '/conversions')).body.total).toBe(1)
    const conv = await api('GET', `/conversions?click_id=${clickId}`)
    const detail = await api('GET', `/conversions/${conv.body.items[0].id}`)
    expect(detail.body.events).toHaveLength(1)
    // Wait until the (only) event is in ClickHouse, then the reports must still say one.
    await until('the conversion event synced', async () => {
      const d = await api('GET', `/conversions/${conv.body.items[0].id}`)
      return d.body.events.every((e: Json) => e.synced_at !== null)
    })
    const o = (await api('GET', `/reports/overview?${around()}`)).body
    expect(o).toMatchObject({ clicks: 1, conversions: 1, revenue: 7.5, profit: 7.48, roi: 37_400 })
    // No second outbound postback was created, so none can be sent.
    expect((await api('GET', '/outbound-postbacks')).body.total).toBe(1)
    expect(rx!.hits).toHaveLength(1)
  })

  it('exports the postback and outbound counters on /metrics', async () => {
    const text = await (await fetch(`${server!.url}/metrics`)).text()
    expect(text).toMatch(/traffoflex_postbacks_total\{outcome="accepted"\} 1\b/)
    expect(text).toMatch(/traffoflex_postbacks_total\{outcome="duplicate"\} 1\b/)
    expect(text).toMatch(/traffoflex_conversion_events_pending 0\b/)
    expect(text).toMatch(/traffoflex_conversion_sync_failures_total 0\b/)
    expect(text).toMatch(/traffoflex_outbound_deliveries_total\{result="delivered"\} 1\b/)
    expect(text).toMatch(/traffoflex_outbound_postbacks\{state="pending"\} 0\b/)
    expect(text).toMatch(/traffoflex_outbound_postbacks\{state="dead"\} 0\b/)
  })

  it('stops cleanly', async () => {
    await server!.stop()
    expect(server!.proc.exitCode).toBe(0)
  })
})
