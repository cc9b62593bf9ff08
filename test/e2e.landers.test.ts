/**
 * Landers end to end on the real server process (PGlite + chDB, started like `npm start`):
 * a stream with a lander sends the visitor to the lander (click ID macro + `tfx_lp` cookie);
 * the lander's CTA (`/lp/:alias/click`) sends them to the offer with the ORIGINAL click ID and
 * sub IDs; a second CTA click goes to the same offer and counts once; a CTA tied only by
 * `?cid=`; a lander opened without any click ID (a fresh click, straight to an offer); a
 * postback credits the offer; the lander report shows lander visits, lp_clicks and lp_ctr.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Json, until } from './postbacks-out.helpers.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'e2e-lp@traffoflex.test', password: 'correct horse battery staple' }
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const SECRET = 'lp-s3cret'

let server: ServerProcess | undefined
let cookie = ''
const dataDir = tempDataDir('tf-e2e-lp-')

beforeAll(async () => {
  server = await startServerProcess({
    dataDir,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      TRUSTED_PROXIES: '127.0.0.1/32',
      SEED_SAMPLE: 'false',
      PIPELINE_FLUSH_MS: '50',
      SNAPSHOT_POLL_MS: '100',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
}, 120_000)

afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const api = (method: string, path: string, body?: Json) => apiCall(server!.url, cookie, method, path, body)
const ok = async (method: string, path: string, body?: Json) => {
  const r = await api(method, path, body)
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}
const get = (path: string, ip: string, headers: Record<string, string> = {}) =>
  fetch(`${server!.url}${path}`, {
    redirect: 'manual',
    headers: { 'x-forwarded-for': ip, 'user-agent': CHROME, ...headers },
  })
function around(): string {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
  return `from=${day(-1)}&to=${day(1)}&tz=UTC`
}

let networkId = ''
let offerId = ''
let landerId = ''
let streamId = ''
let cid1 = ''
let lpCookie = ''
let offerUrl1 = ''

describe('visitor → lander → offer → postback → lander report', () => {
  it('configures an offer, a lander and a campaign whose stream shows the lander first', async () => {
    networkId = (await ok('POST', '/networks', { name: 'LP network', postback_secret: SECRET })).id
    offerId = (
      await ok('POST', '/offers', {
        name: 'Offer A',
        url: 'https://offer.example/a?click_id={click_id}&s1={sub1}&ext={external_id}',
        network_id: networkId,
        payout_cents: 300,
      })
    ).id
    landerId = (
      await ok('POST', '/landers', {
        name: 'Quiz',
        url: 'https://lander.example/quiz?cid={click_id}&s={sub1}',
      })
    ).id
    const campaign = await ok('POST', '/campaigns', { name: 'LP campaign', alias: 'lp-e2e' })
    streamId = (
      await ok('POST', '/streams', {
        campaign_id: campaign.id,
        name: 'All',
        kind: 'default',
        destinations: [{ destination_id: offerId }],
        landers: [{ lander_id: landerId }],
      })
    ).id
    await until('the snapshot has the lander', async () => {
      const r = await get('/c/lp-e2e', '203.0.113.250')
      return (r.headers.get('location') ?? '').startsWith('https://lander.example/')
    })
  })

  it('sends the visit to the lander with the click ID macro and the tfx_lp cookie', async () => {
    const res = await get('/c/lp-e2e?sub1=zone-9&external_id=EXT-1', '8.8.8.8')
    expect(res.status).toBe(302)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const loc = new URL(res.headers.get('location')!)
    expect(loc.origin + loc.pathname).toBe('https://lander.example/quiz')
    cid1 = loc.searchParams.get('cid')!
    expect(cid1).toMatch(/^[0-9A-Z]{26}$/)
    expect(loc.searchParams.get('s')).toBe('zone-9')
    const set = res.headers.getSetCookie()
    expect(set).toHaveLength(1)
    expect(set[0]).toBe(
      `tfx_lp=${cid1}.${streamId}.${landerId}; Path=/lp/lp-e2e/; Max-Age=86400; HttpOnly; SameSite=Lax`,
    )
    lpCookie = set[0]!.split(';')[0]!
  })

  it("the CTA (cookie only) leads to the offer with the original click's ID and sub IDs", async () => {
    const res = await get('/lp/lp-e2e/click', '8.8.8.8', { cookie: lpCookie })
    expect(res.status).toBe(302)
    expect(res.headers.get('cache-control')).toBe('no-store')
    offerUrl1 = res.headers.get('location')!
    const loc = new URL(offerUrl1)
    expect(loc.host).toBe('offer.example')
    expect(loc.searchParams.get('click_id')).toBe(cid1)
    expect(loc.searchParams.get('s1')).toBe('zone-9')
    expect(loc.searchParams.get('ext')).toBe('EXT-1')
  })

  it('a second CTA click goes to the same offer', async () => {
    const res = await get('/lp/lp-e2e/click', '8.8.8.8', { cookie: lpCookie })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(offerUrl1)
  })

  it('a CTA tied by ?cid= alone (no cookie) finds its visit too', async () => {
    const visit = await get('/c/lp-e2e?sub1=zone-2', '8.8.4.4')
    const cid2 = new URL(visit.headers.get('location')!).searchParams.get('cid')!
    const res = await get(`/lp/lp-e2e/click?cid=${cid2}`, '8.8.4.4')
    const loc = new URL(res.headers.get('location')!)
    expect(loc.searchParams.get('click_id')).toBe(cid2)
    expect(loc.searchParams.get('s1')).toBe('zone-2')
  })

  it('a visit that never clicks the CTA (lowers the lander CTR)', async () => {
    const res = await get('/c/lp-e2e', '1.1.1.1')
    expect(res.headers.get('location')).toContain('https://lander.example/')
  })

  it('a lander opened without any click ID routes afresh to an offer under a new click ID', async () => {
    const res = await get('/lp/lp-e2e/click?sub1=direct', '9.9.9.9')
    expect(res.status).toBe(302)
    const loc = new URL(res.headers.get('location')!)
    expect(loc.host).toBe('offer.example')
    const fresh = loc.searchParams.get('click_id')!
    expect(fresh).toMatch(/^[0-9A-Z]{26}$/)
    expect(fresh).not.toBe(cid1)
    expect(loc.searchParams.get('s1')).toBe('direct')
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('an unknown campaign alias is a 404', async () => {
    expect((await get('/lp/nope/click', '9.9.9.9')).status).toBe(404)
  })

  it("a postback on the lander visit's click ID credits the offer (destination and default payout)", async () => {
    const settings = await ok('GET', `/networks/${networkId}/postback-settings`)
    const url = new URL(
      String(settings.postback_url).replaceAll('{secret}', SECRET).replaceAll('{click_id}', cid1),
      server!.url,
    )
    for (const [k, v] of [...url.searchParams]) if (v.includes('{')) url.searchParams.delete(k)
    url.searchParams.set(url.searchParams.has('tid') ? 'tid' : 'transaction_id', 'TX-LP-1')
    const res = await fetch(`${server!.url}${url.pathname}${url.search}`)
    expect(res.status, await res.clone().text()).toBe(200)
    const list = await ok('GET', `/conversions?click_id=${cid1}`)
    expect(list.total).toBe(1)
    expect(list.items[0]).toMatchObject({
      click_id: cid1,
      destination_id: offerId,
      stream_id: streamId,
      payout_micros: 3_000_000,
      external_id: 'EXT-1',
    })
  })

  it('the lander report shows lander visits, unique CTA clicks, lp_ctr and the conversion', async () => {
    let rows: Json[] = []
    await until(
      'lander clicks and the conversion in ClickHouse',
      async () => {
        rows = (await ok('GET', `/reports/breakdown?by=lander&${around()}`)).rows
        const l = rows.find((r) => r.key === landerId)
        return l?.lp_clicks === 2 && l?.conversions === 1
      },
      30_000,
    )
    // The snapshot probe visit in the first step counts as a lander visit too: 4 visits.
    expect(rows.find((r) => r.key === landerId)).toMatchObject({
      clicks: 4,
      lander_visits: 4,
      lp_clicks: 2,
      lp_ctr: 50,
      conversions: 1,
      revenue: 3,
    })
    // The direct lander hit is a click without lander.
    expect(rows.find((r) => r.key === '')).toMatchObject({ clicks: 1, lander_visits: 0, lp_ctr: null })
    const csv = await fetch(`${server!.url}/api/v1/reports/breakdown?by=lander&format=csv&${around()}`, {
      headers: { cookie },
    })
    expect((await csv.text()).split('\n')[0]).toContain('lp_ctr')
    // The offer's own row counts the conversion.
    const byOffer = (await ok('GET', `/reports/breakdown?by=destination&${around()}`)).rows
    expect(byOffer.find((r: Json) => r.key === offerId)).toMatchObject({ conversions: 1, revenue: 3 })
  })
})
