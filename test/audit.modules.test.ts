/**
 * Change-log rows of the other modules' configuration, on PGlite with their real routes:
 * the autopilot account (its TrafficStars API key redacted), outreach mailboxes (SMTP/IMAP
 * passwords redacted) and campaigns, a platform admin's credit adjustment, and a scheduled
 * health check changing an offer's health as `system: health-check`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { autopilotRoutes, createAutopilotService } from '../src/modules/autopilot/index.ts'
import { billingRoutes, billingSettingsFromEnv, createBillingService } from '../src/modules/billing/index.ts'
import { createHealthChecker } from '../src/modules/routing/health/index.ts'
import { manualClock } from '../src/platform/clock.ts'
import { rowsOf } from '../src/platform/db/client.ts'
import { createLogger } from '../src/platform/logger.ts'
import {
  startTrafficStarsSimulator,
  type TrafficStarsSimulator,
} from '../src/simulators/trafficstars/trafficstars.simulator.ts'
import { box, KEY } from './autopilot.helpers.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { startOutreachWorld } from './helpers/outreach.ts'
import { throwawayDb } from './helpers/pg.ts'
import { schema } from './helpers/schema.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Handle = Awaited<ReturnType<typeof throwawayDb>>

const rawLog = async (h: Handle) =>
  rowsOf<Json>(await h.db.execute(sql`select * from change_log order by id`))

describe('change log of the other modules (pglite)', () => {
  let h: Handle
  beforeAll(async () => {
    h = await throwawayDb('pglite')
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('autopilot account: the TrafficStars API key never reaches the log', async () => {
    const sim: TrafficStarsSimulator = await startTrafficStarsSimulator({
      refreshTokens: [KEY],
      campaigns: [],
    })
    const A = await createWorkspaceWithKey(h.db)
    const service = createAutopilotService({
      db: h.db,
      box,
      remaining: () => [],
      allowPrivate: true,
      clock: sim.clock,
      logger: createLogger('silent'),
    })
    const app = await testApiApp(h.db, {
      plugins: [
        {
          plugin: autopilotRoutes({
            db: h.db,
            box,
            service,
            remaining: () => [],
            campaignName: () => 'name',
            tickMs: 60_000,
            allowPrivate: true,
            clock: sim.clock,
          }),
        },
      ],
    })
    try {
      const call = (method: string, url: string, payload?: object) =>
        app.inject({
          method: method as 'GET',
          url: `/api/v1${url}`,
          headers: { authorization: `Bearer ${A.apiKey}` },
          ...(payload ? { payload } : {}),
        })
      const created = await call('POST', '/autopilot/accounts', {
        name: 'main',
        base_url: sim.url,
        api_key: KEY,
      })
      expect(created.statusCode).toBe(201)
      const id = created.json().id
      const upd = await call('PATCH', `/autopilot/accounts/${id}`, { api_key: `${KEY}-rotated` })
      expect(upd.statusCode).toBe(200)
      const log = (await call('GET', `/change-log?object_id=${id}`)).json().items.reverse()
      expect(log.map((l: Json) => [l.object_type, l.action])).toEqual([
        ['autopilot_account', 'create'],
        ['autopilot_account', 'update'],
      ])
      expect(log[1].changes.apiKeyCiphertext).toEqual({ before: '[redacted]', after: '[redacted]' })
      const raw = JSON.stringify(await rawLog(h))
      expect(raw).not.toContain(KEY)
      expect(raw).not.toContain(KEY.slice(-4))
    } finally {
      await app.close()
      await sim.stop()
    }
  })

  it('outreach: mailbox passwords are redacted; campaigns and mailboxes log create/update/delete', async () => {
    const w = await startOutreachWorld(h.db, { start: '2026-12-01T08:00:00Z' })
    try {
      const mb = await w.api('POST', '/outreach/mailboxes', {
        name: 'second',
        from_email: 'two@brand.test',
        smtp_host: '127.0.0.1',
        smtp_port: w.smtp.port,
        smtp_user: 'u',
        smtp_password: 'SMTP-PASS-xyz',
        imap_host: '127.0.0.1',
        imap_port: 1993,
        imap_user: 'u',
        imap_password: 'IMAP-PASS-xyz',
      })
      expect(mb.statusCode).toBe(201)
      const id = mb.json().id
      expect(
        (await w.api('PATCH', `/outreach/mailboxes/${id}`, { smtp_password: 'SMTP-PASS-2' })).statusCode,
      ).toBe(200)
      expect((await w.api('PATCH', `/outreach/mailboxes/${id}`, { daily_cap: 10 })).statusCode).toBe(200)
      expect((await w.api('DELETE', `/outreach/mailboxes/${id}`)).statusCode).toBe(204)
      const log = (await w.api('GET', `/change-log?object_id=${id}`)).json().items.reverse()
      expect(log.map((l: Json) => l.action)).toEqual(['create', 'update', 'update', 'delete'])
      expect(log[0].changes.smtpPasswordSealed).toEqual({ after: '[redacted]' })
      expect(log[0].changes.imapPasswordSealed).toEqual({ after: '[redacted]' })
      expect(log[1].changes).toEqual({ smtpPasswordSealed: { before: '[redacted]', after: '[redacted]' } })
      expect(log[2].changes).toEqual({ dailyCap: { before: 200, after: 10 } })
      const raw = JSON.stringify(await rawLog(h))
      expect(raw).not.toContain('PASS')
      expect(raw).not.toMatch(/v1\.[A-Za-z0-9_-]{8,}/) // no sealed value either
    } finally {
      await w.close()
    }
  })

  it("a platform admin's credit adjustment shows in the workspace's log", async () => {
    const config = testConfig()
    const service = createBillingService({
      db: h.db,
      clock: { now: () => new Date() },
      settings: billingSettingsFromEnv(config),
    })
    const app = await testApiApp(h.db, { config, plugins: [{ plugin: billingRoutes({ service }) }] })
    try {
      const admin = await createWorkspaceWithKey(h.db, { role: 'admin' })
      const W = await createWorkspaceWithKey(h.db)
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/billing/admin/adjustments',
        headers: { authorization: `Bearer ${admin.apiKey}` },
        payload: { workspace_id: W.workspaceId, visits: 500, reason: 'goodwill credit' },
      })
      expect(r.statusCode).toBe(201)
      const log = await app.inject({
        method: 'GET',
        url: '/api/v1/change-log?object_type=billing_adjustment',
        headers: { authorization: `Bearer ${W.apiKey}` },
      })
      const items = log.json().items
      expect(items).toHaveLength(1)
      expect(items[0]).toMatchObject({
        action: 'create',
        object_name: '+500 visits',
        changes: { visits: { after: 500 }, reason: { after: 'goodwill credit' } },
      })
      expect(items[0].actor.label).toContain(admin.email)
    } finally {
      await app.close()
    }
  })

  it('a scheduled health check logs the offer health change as system: health-check', async () => {
    const server = http.createServer((_req, res) => res.writeHead(200).end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const W = await createWorkspaceWithKey(h.db)
      const [d] = await h.db
        .insert(schema.destinations)
        .values({
          workspaceId: W.workspaceId,
          name: 'Checked offer',
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
          healthCheck: {
            enabled: true,
            method: 'GET',
            expected_statuses: [200],
            interval_seconds: 10,
            timeout_ms: 2000,
            failure_threshold: 2,
          },
        })
        .returning()
      const checker = createHealthChecker({
        db: h.db,
        clock: manualClock('2026-12-01T00:00:00Z'),
        logger: createLogger('silent'),
        allowPrivate: true,
      })
      await checker.tick()
      const rows = (await rawLog(h)).filter((r) => r.object_id === d!.id)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({
        actor_type: 'system',
        actor_label: 'health-check',
        object_type: 'offer',
        object_name: 'Checked offer',
        action: 'update',
        changes: { health: { before: 'unknown', after: 'healthy' } },
      })
    } finally {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})
