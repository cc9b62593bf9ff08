/**
 * Conversions in the live feed: the real server (`startServer`, in this process, PGlite +
 * chDB), `GET /api/v1/live` read as Server-Sent Events, a click through `/c/<alias>` and
 * real postbacks over HTTP to `/postback`. An accepted postback reaches its workspace's
 * stream as `event: conversion` (creation, then the status change); a duplicate sends
 * nothing; another workspace's stream never sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { login, tempDataDir } from './helpers/server.ts'
import { openSse } from './helpers/sse.ts'

const ADMIN = { email: 'live-conv@traffoflex.test', password: 'live-admin-password' }
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

let server: RunningServer

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: tempDataDir('tf-live-conv-'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PIPELINE_FLUSH_MS: '50',
    }),
  )
}, 120_000)

afterAll(async () => {
  await server?.close()
})

/** A JSON call to the admin API with `headers` (cookie or bearer); @throws on an unexpected status. */
async function api(
  headers: Record<string, string>,
  method: string,
  path: string,
  body: unknown,
  want: number,
) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...headers, 'x-requested-with': 'traffoflex', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  expect(res.status, text).toBe(want)
  return JSON.parse(text) as { id: string }
}

/** Visits a campaign link (retrying while the routing snapshot catches up) → our click ID. */
async function clickOf(alias: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${server.url}/c/${alias}`, { redirect: 'manual', headers: { 'user-agent': UA } })
    if (res.status === 302) {
      const id = new URL(res.headers.get('location') ?? '').searchParams.get('click_id') ?? ''
      expect(id).toMatch(/^[0-9A-Z]{26}$/)
      return id
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${alias} never redirected`)
}

const postback = (networkId: string, query: string) =>
  fetch(`${server.url}/postback?network=${networkId}&secret=pb-secret&${query}`)

describe('conversion events in GET /api/v1/live', () => {
  it("streams a workspace's accepted conversion changes to that workspace only", async () => {
    const cookie = { cookie: await login(server.url, ADMIN.email, ADMIN.password) }
    const other = await createWorkspaceWithKey(server.db.db)
    const bearer = { authorization: `Bearer ${other.apiKey}` }

    // Mine: the sample campaign and a network. Theirs: a campaign and a network of their own.
    const network = await api(
      cookie,
      'POST',
      '/networks',
      { name: 'Live net', postback_secret: 'pb-secret' },
      201,
    )
    const theirNetwork = await api(
      bearer,
      'POST',
      '/networks',
      { name: 'Their net', postback_secret: 'pb-secret' },
      201,
    )
    const dest = await api(
      bearer,
      'POST',
      '/destinations',
      { name: 'Offer', url: 'https://x.example/?click_id={click_id}' },
      201,
    )
    const theirCampaign = await api(
      bearer,
      'POST',
      '/campaigns',
      { name: 'Theirs', alias: 'their-live-conv' },
      201,
    )
    await api(
      bearer,
      'POST',
      '/streams',
      {
        campaign_id: theirCampaign.id,
        name: 'all',
        kind: 'default',
        destinations: [{ destination_id: dest.id }],
      },
      201,
    )

    const mine = await openSse(`${server.url}/api/v1/live`, cookie)
    const theirs = await openSse(`${server.url}/api/v1/live`, bearer)
    try {
      expect(mine.status).toBe(200)
      expect(theirs.status).toBe(200)
      const clickId = await clickOf('sample')
      const theirClickId = await clickOf('their-live-conv')

      // A lead, then the sale of the same transaction: two events, in order.
      const lead = await postback(network.id, `subid=${clickId}&tid=LIVE-1&payout=2&status=lead`)
      expect(lead.status, await lead.clone().text()).toBe(200)
      const { conversion_id: conversionId } = (await lead.json()) as { conversion_id: string }
      const created = await mine.next((e) => e.event === 'conversion' && e.data.status === 'lead')
      expect(created).toEqual({
        type: 'conversion',
        conversion_id: conversionId,
        click_id: clickId,
        campaign_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        network_id: network.id,
        status: 'lead',
        previous_status: '',
        payout_micros: 2_000_000,
        revenue_delta_micros: 2_000_000,
        currency: 'USD',
        ts: expect.any(String),
      })
      expect(Date.parse(String(created.ts))).toBeGreaterThan(Date.now() - 60_000)

      expect((await postback(network.id, `subid=${clickId}&tid=LIVE-1&payout=10&status=sale`)).status).toBe(
        200,
      )
      const sale = await mine.next((e) => e.event === 'conversion' && e.data.status === 'sale')
      expect(sale).toMatchObject({
        conversion_id: conversionId,
        previous_status: 'lead',
        payout_micros: 10_000_000,
        revenue_delta_micros: 8_000_000,
      })

      // A replay changes nothing and announces nothing; a refused postback neither.
      expect((await postback(network.id, `subid=${clickId}&tid=LIVE-1&payout=10&status=sale`)).status).toBe(
        200,
      )
      expect((await postback(network.id, `subid=${clickId}&tid=LIVE-1&status=nonsense`)).status).toBe(400)

      // Their conversion reaches their stream (so it is live), and only theirs.
      const theirPb = await postback(theirNetwork.id, `subid=${theirClickId}&tid=THEIRS&payout=3&status=sale`)
      expect(theirPb.status, await theirPb.clone().text()).toBe(200)
      const theirEvent = await theirs.next((e) => e.event === 'conversion')
      expect(theirEvent).toMatchObject({ click_id: theirClickId, campaign_id: theirCampaign.id })

      // A marker click per workspace, after all postbacks: the hub fans events out in order
      // (a conversion is published before its postback is answered, a click before its 302),
      // so once a stream has its marker every earlier event meant for it has arrived.
      for (const [alias, stream] of [
        ['sample', mine],
        ['their-live-conv', theirs],
      ] as const) {
        const marker = `marker-${alias}`
        const res = await fetch(`${server.url}/c/${alias}?sub1=${marker}`, {
          redirect: 'manual',
          headers: { 'user-agent': UA },
        })
        expect(res.status).toBe(302)
        await stream.next((e) => e.event === 'click' && e.data.sub1 === marker)
      }
      const conversionsOf = (s: typeof mine) =>
        s.events.filter((e) => e.event === 'conversion').map((e) => e.data)
      expect(conversionsOf(mine).map((c) => c.status)).toEqual(['lead', 'sale'])
      expect(conversionsOf(theirs)).toEqual([theirEvent])
    } finally {
      mine.close()
      theirs.close()
    }
  })
})
