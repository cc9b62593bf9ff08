/**
 * The server wiring end to end (real process, PGlite + chDB, pg-boss in PGlite): a click on
 * the sample campaign from a traffic source with an outbound postback URL, a postback from
 * the network, and the outbound postback reaching a loopback receiver — then a graceful
 * stop (jobs stop before the database closes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Json, type Receiver, startReceiver, until } from './postbacks-out.helpers.ts'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'outbound@traffoflex.test', password: 'correct horse battery staple' }
let server: ServerProcess
let rx: Receiver
let cookie = ''

beforeAll(async () => {
  rx = await startReceiver()
  server = await startServerProcess({
    dataDir: tempDataDir(),
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      OUTBOUND_ALLOW_PRIVATE: 'true',
      JOBS_POLL_MS: '100',
      SNAPSHOT_POLL_MS: '100',
    },
  })
  cookie = await login(server.url, ADMIN.email, ADMIN.password)
}, 120_000)
afterAll(async () => {
  await server?.stop()
  await rx?.close()
})

const api = (method: string, path: string, body?: Json) => apiCall(server.url, cookie, method, path, body)

describe('server: click → postback in → outbound postback out', () => {
  it('delivers the source postback with the click external ID and the payout', async () => {
    const src = await api('POST', '/sources', {
      name: 'TS',
      external_id_param: 'clickid',
      postback_url: `${rx.base}/ts?clickid={external_id}&payout={payout}&status={status}`,
    })
    expect(src.status).toBe(201)
    const campaigns = await api('GET', '/campaigns?q=sample')
    const sample = (campaigns.body.items as Json[]).find((c) => c.alias === 'sample')!
    expect((await api('PATCH', `/campaigns/${sample.id}`, { source_id: src.body.id })).status).toBe(200)
    const net = await api('POST', '/networks', { name: 'Net' })
    expect(net.status).toBe(201)

    // Wait until the redirect uses the new configuration (snapshot poll), then click.
    let clickId = ''
    await until('a click attributed to the source', async () => {
      const res = await fetch(`${server.url}/c/sample?clickid=TS-CLICK-9`, { redirect: 'manual' })
      expect(res.status).toBe(302)
      clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')!
      const q = `network=${net.body.id}&subid=${clickId}&tid=SRV-${clickId}&payout=4.2&status=lead`
      const pb = await fetch(`${server.url}/postback?${q}`)
      expect(pb.status).toBe(200)
      const list = await api('GET', '/outbound-postbacks')
      return list.body.total > 0
    })
    await until('delivered', () => rx.delivered() >= 1)
    expect(rx.hits[0]!.url).toBe('/ts?clickid=TS-CLICK-9&payout=4.2&status=lead')
    await until('listed as delivered', async () => {
      const list = await api('GET', '/outbound-postbacks?state=delivered')
      return list.body.total === 1
    })
  })

  it('stops cleanly', async () => {
    await server.stop()
    expect(server.proc.exitCode).toBe(0)
  })
})
