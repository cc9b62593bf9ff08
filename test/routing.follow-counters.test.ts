/**
 * A process that serves no clicks (`--role=api|worker`) follows the cap counters the traffic
 * nodes persist (`createRoutingRuntime({ capCounters: 'follow' })`), so the autopilot's
 * remaining clicks on a worker see clicks served elsewhere. One PGlite store, two runtimes.
 */
import http from 'node:http'
import type net from 'node:net'
import { describe, expect, it } from 'vitest'
import { createRoutingRuntime, type RoutingRuntime } from '../src/modules/routing/index.ts'
import { createLogger } from '../src/platform/logger.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

describe('cap counters in follow mode', () => {
  it("a non-serving runtime's remaining clicks follow the serving runtime's persisted clicks", async () => {
    const h = await throwawayDb('pglite')
    const config = testConfig({ CAP_PERSIST_MS: '100' })
    const app = await testApiApp(h.db, { config })
    const logger = createLogger('silent')
    const runtimes: RoutingRuntime[] = []
    let server: http.Server | undefined
    try {
      const ws = await createWorkspaceWithKey(h.db)
      const post = async (url: string, payload: Record<string, unknown>) => {
        const res = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${ws.apiKey}` },
          payload,
        })
        expect(res.statusCode, res.body).toBe(201)
        return res.json() as { id: string }
      }
      const dest = await post('/api/v1/destinations', {
        name: 'Capped',
        url: 'https://offer.example/?c={click_id}',
        total_click_cap: 50,
      })
      const camp = await post('/api/v1/campaigns', { name: 'Follow', alias: 'follow-cap' })
      await post('/api/v1/streams', {
        campaign_id: camp.id,
        name: 'S',
        destinations: [{ destination_id: dest.id }],
      })
      const serving = await createRoutingRuntime({
        db: h.db,
        config,
        logger,
        pipeline: { pushMany: () => true },
      })
      const following = await createRoutingRuntime({
        db: h.db,
        config,
        logger,
        pipeline: { pushMany: () => true },
        capCounters: 'follow',
      })
      runtimes.push(serving, following)
      serving.start()
      following.start()
      server = http.createServer((req, res) => serving.redirect(req, res))
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
      const port = (server.address() as net.AddressInfo).port
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/c/follow-cap`, {
          redirect: 'manual',
          headers: { 'user-agent': `ua-${i}` },
        })
        expect(res.status).toBe(302)
      }
      const remaining = () => following.remainingClicks(ws.workspaceId, camp.id)?.[0]?.remaining
      expect(serving.remainingClicks(ws.workspaceId, camp.id)?.[0]?.remaining).toBe(43)
      // Persisted by the serving runtime, reloaded by the following one (each every 100 ms).
      for (let i = 0; i < 100 && remaining() !== 43; i++) await new Promise((r) => setTimeout(r, 50))
      expect(remaining()).toBe(43)
    } finally {
      for (const rt of runtimes) await rt.stop()
      if (server) await new Promise((r) => server!.close(r))
      await app.close()
      await h.drop()
    }
  })
})
