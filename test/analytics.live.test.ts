/**
 * Live feed end to end: the real server (`startServer`, in this process, PGlite + chDB),
 * `GET /api/v1/live` read with `fetch` as a Server-Sent Events stream, clicks made through
 * `/c/<alias>`. Each workspace's stream carries its own clicks and nobody else's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { createWorkspaceWithKey } from './helpers/auth.ts'
import { openSse } from './helpers/sse.ts'
import { login, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'live@traffoflex.test', password: 'live-admin-password' }
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

let server: RunningServer

/** Opens the live stream of the caller named by `headers`. */
const openStream = (headers: Record<string, string>) => openSse(`${server.url}/api/v1/live`, headers)

const visit = (alias: string, query = '') =>
  fetch(`${server.url}/c/${alias}${query}`, { redirect: 'manual', headers: { 'user-agent': UA } })

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: tempDataDir('tf-live-'),
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

describe('GET /api/v1/live', () => {
  it('needs credentials', async () => {
    const res = await fetch(`${server.url}/api/v1/live`)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it("streams each workspace's clicks to that workspace only", async () => {
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const other = await createWorkspaceWithKey(server.db.db)
    const bearer = { authorization: `Bearer ${other.apiKey}` }

    // The other workspace gets a campaign of its own.
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${server.url}/api/v1${p}`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(res.status).toBe(201)
      return (await res.json()) as { id: string }
    }
    const dest = await post('/destinations', {
      name: 'Other offer',
      url: 'https://other.example/?c={click_id}',
    })
    const campaign = await post('/campaigns', { name: 'Other', alias: 'other-live' })
    await post('/streams', {
      campaign_id: campaign.id,
      name: 'all',
      kind: 'default',
      destinations: [{ destination_id: dest.id }],
    })

    const mine = await openStream({ cookie })
    const theirs = await openStream(bearer)
    try {
      expect(mine.status).toBe(200)
      expect(mine.contentType).toBe('text/event-stream; charset=utf-8')
      expect(theirs.status).toBe(200)

      // The admin's sample campaign.
      expect((await visit('sample', '?sub1=live-test')).status).toBe(302)
      const click = await mine.next((e) => e.event === 'click' && e.data.sub1 === 'live-test')
      expect(click).toMatchObject({ type: 'click', is_bot: false, device: 'desktop', sub1: 'live-test' })
      expect(click.click_id).toMatch(/^[0-9A-Z]{26}$/)
      expect(Date.parse(String(click.ts))).toBeGreaterThan(Date.now() - 60_000)
      // Nothing a visitor could be identified by.
      expect(click).not.toHaveProperty('ip')
      expect(click).not.toHaveProperty('user_agent')

      // The other workspace's campaign (the snapshot picks it up within SNAPSHOT_POLL_MS).
      let status = 0
      for (let i = 0; i < 100 && status !== 302; i++) {
        status = (await visit('other-live', '?sub1=theirs')).status
        if (status !== 302) await new Promise((r) => setTimeout(r, 50))
      }
      expect(status).toBe(302)
      const theirClick = await theirs.next((e) => e.event === 'click' && e.data.sub1 === 'theirs')
      expect(theirClick.campaign_id).toBe(campaign.id)

      // A marker click per workspace, after both: the hub fans events out in order, so once
      // a stream has its marker every earlier event meant for it has arrived.
      expect((await visit('sample', '?sub1=marker-mine')).status).toBe(302)
      expect((await visit('other-live', '?sub1=marker-theirs')).status).toBe(302)
      await mine.next((e) => e.event === 'click' && e.data.sub1 === 'marker-mine')
      await theirs.next((e) => e.event === 'click' && e.data.sub1 === 'marker-theirs')
      expect(theirs.events.some((e) => e.data.sub1 === 'marker-mine')).toBe(false)
      expect(mine.events.some((e) => e.data.sub1 === 'marker-theirs')).toBe(false)
      expect(theirs.events.some((e) => e.data.sub1 === 'live-test')).toBe(false)
      expect(mine.events.some((e) => e.data.sub1 === 'theirs')).toBe(false)
    } finally {
      mine.close()
      theirs.close()
    }
  })

  it('lets the server shut down with streams open', async () => {
    const cookie = await login(server.url, ADMIN.email, ADMIN.password)
    const s = await openStream({ cookie })
    expect(s.status).toBe(200)
    const started = Date.now()
    await server.close()
    expect(Date.now() - started).toBeLessThan(15_000)
    // The hub ended the stream itself (preClose), it was not cut by a timeout.
    await expect.poll(() => s.ended, { timeout: 2000 }).toBe(true)
  })
})
