/**
 * Visitor projects and ownership verification through the real API on PGlite (and a subset
 * on PostgreSQL): CRUD, the "saved = returned" round trip of hybrid settings (fast-check),
 * field-level errors, the size bound, workspace isolation, start refused until verified,
 * verification by a token file on a real loopback `node:http` server (VISITORS_ALLOW_PRIVATE)
 * and by DNS TXT through an injected resolver.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_PRICE_TIERS } from '../src/modules/billing/index.ts'
import { deriveVerifyKey, recheckHosts, visitorProjectRoutes } from '../src/modules/visitors/index.ts'
import { storableJson, validEngine } from '../src/modules/visitors/test-fixtures.ts'
import { verificationToken } from '../src/modules/visitors/visitors.verify.core.ts'
import { manualClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = any

const KEY = deriveVerifyKey(Buffer.alloc(32, 3))
const clock = manualClock('2026-03-01T10:00:00Z')

/** A loopback site: serves `files[path]` (200) and 404 otherwise; `hits` counts requests. */
async function startSite() {
  const files = new Map<string, string>()
  const seen: { path: string; ua: string | undefined }[] = []
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', ua: req.headers['user-agent'] })
    const body = files.get(req.url ?? '')
    if (body === undefined) res.writeHead(404).end('not found')
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return { host, files, seen, close: () => new Promise<void>((r) => server.close(() => r())) }
}

type Site = Awaited<ReturnType<typeof startSite>>

/** TXT records by name, for the injected resolver. */
const txt = new Map<string, string[][]>()
const resolveTxt = async (name: string) => {
  const r = txt.get(name)
  if (!r) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
  return r
}

async function makeApp(db: Parameters<typeof testApiApp>[0], allowPrivate: boolean) {
  return testApiApp(db, {
    clock,
    plugins: [
      {
        plugin: visitorProjectRoutes({
          db,
          clock,
          verify: {
            key: KEY,
            allowPrivate,
            resolveTxt,
            // Names in these tests exist only as TXT records of the injected resolver.
            resolveAddresses: async (name) => {
              throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
            },
            timeoutMs: 2_000,
          },
          priceTiers: DEFAULT_PRICE_TIERS,
          staleHours: 24,
        }),
      },
    ],
  })
}

function suite(kind: 'pglite' | 'postgres', full: boolean) {
  describe(`visitor projects on ${kind}`, () => {
    let h: Awaited<ReturnType<typeof throwawayDb>>
    let app: FastifyInstance
    let appNoPrivate: FastifyInstance
    let site: Site
    let A: { apiKey: string; workspaceId: string }
    let B: { apiKey: string; workspaceId: string }

    const call = (method: string, url: string, key: string, payload?: unknown, a = app) =>
      a
        .inject({
          method: method as 'GET',
          url: `/api/v1${url}`,
          headers: { authorization: `Bearer ${key}` },
          ...(payload !== undefined ? { payload: payload as object } : {}),
        })
        .then((r) => ({
          status: r.statusCode,
          body: r.body === '' ? undefined : (JSON.parse(r.body) as Json),
        }))

    beforeAll(async () => {
      h = await throwawayDb(kind)
      app = await makeApp(h.db, true)
      appNoPrivate = await makeApp(h.db, false)
      site = await startSite()
      A = await createWorkspaceWithKey(h.db)
      B = await createWorkspaceWithKey(h.db)
    }, 60_000)
    afterAll(async () => {
      await app?.close()
      await appNoPrivate?.close()
      await site?.close()
      await h?.drop()
    })

    const siteUrl = (p = '/') => `http://${site.host}${p}`

    it('creates, reads, lists, patches and deletes a project; settings come back deep-equal', async () => {
      const settings = {
        urls: [siteUrl('/a'), { url: siteUrl('/b'), weight: 2, label: 'kept' }],
        trafficSpeed: 50,
        deviceSplit: 70,
        geoTargets: [
          { cc: 'DE', w: 3 },
          { cc: 'US', w: 1 },
        ],
        timeOnPage: '1m 30s',
        referrer: siteUrl('/a'),
        mode: 'http',
        ui: { collapsed: [true, false], note: 'unknown to the server', n: 1.5, nothing: null },
      }
      const c = await call('POST', '/projects', A.apiKey, {
        name: 'Launch',
        daily_limit: 1000,
        total_target: 50_000,
        expires_at: '2026-12-31T00:00:00Z',
        timezone: 'Europe/Berlin',
        settings,
      })
      expect(c.status).toBe(201)
      expect(c.body).toMatchObject({
        name: 'Launch',
        status: 'stopped',
        pause_reason: null,
        plan_type: 'Custom',
        daily_limit: 1000,
        total_target: 50_000,
        expires_at: '2026-12-31T00:00:00.000Z',
        timezone: 'Europe/Berlin',
        visits_done: 0,
        // 300.5/min × 1440 = 432,720, capped by the daily limit; 1,000 visits at €0.58/1000.
        estimate: {
          visits_per_minute: 300.5,
          visits_per_day: 1000,
          credits_per_day: 1000,
          rate_minor_per_1000: 58,
          cost_minor_per_day: 58,
        },
      })
      expect(c.body.settings).toEqual(settings)
      const id = c.body.id

      const g = await call('GET', `/projects/${id}`, A.apiKey)
      expect(g.status).toBe(200)
      expect(g.body.settings).toEqual(settings)

      const l = await call('GET', '/projects?limit=10', A.apiKey)
      expect(l.body.items.map((p: Json) => p.id)).toContain(id)

      const newSettings = { urls: [siteUrl('/c')], extra: { deep: [1, [2, [3]]] } }
      const p = await call('PATCH', `/projects/${id}`, A.apiKey, { name: 'Renamed', settings: newSettings })
      expect(p.status).toBe(200)
      expect(p.body).toMatchObject({ name: 'Renamed', daily_limit: 1000 })
      expect(p.body.settings).toEqual(newSettings)

      expect((await call('DELETE', `/projects/${id}`, A.apiKey)).status).toBe(204)
      expect((await call('GET', `/projects/${id}`, A.apiKey)).status).toBe(404)
    })

    it('names each bad field, and refuses oversized and too deep settings', async () => {
      const bad = await call('POST', '/projects', A.apiKey, {
        name: 'x',
        settings: {
          urls: ['ftp://nope.example/'],
          trafficSpeed: 101,
          geoTargets: [{ cc: 'de', w: 1 }],
          timeOnPage: 'forever',
        },
      })
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('validation_failed')
      expect(bad.body.error.details.map((d: Json) => d.path)).toEqual(
        expect.arrayContaining([
          'settings.urls.0.url',
          'settings.trafficSpeed',
          'settings.geoTargets.0.cc',
          'settings.timeOnPage',
        ]),
      )

      const tz = await call('POST', '/projects', A.apiKey, {
        name: 'x',
        timezone: 'Mars/Base',
        settings: { urls: [siteUrl()] },
      })
      expect(tz.status).toBe(400)
      expect(tz.body.error.details[0].path).toBe('timezone')

      const ref = await call('POST', '/projects', A.apiKey, {
        name: 'x',
        settings: { urls: [siteUrl()], referrer: 'https://www.google.com/' },
      })
      expect(ref.status).toBe(400)
      expect(ref.body.error.details[0].path).toBe('settings.referrer')

      const big = await call('POST', '/projects', A.apiKey, {
        name: 'x',
        settings: { urls: [siteUrl()], blob: 'x'.repeat(70_000) },
      })
      expect(big.status).toBe(413)
      expect(big.body.error.message).toMatch(/at most 65536 bytes/)

      let deep: unknown = 1
      for (let i = 0; i < 12; i++) deep = [deep]
      const d = await call('POST', '/projects', A.apiKey, {
        name: 'x',
        settings: { urls: [siteUrl()], deep },
      })
      expect(d.status).toBe(400)
      expect(d.body.error.details[0].path).toBe('settings')
    })

    if (full) {
      it('returns arbitrary storable settings deep-equal (property, real API)', async () => {
        await fc.assert(
          fc.asyncProperty(storableJson, validEngine, async (extra, engine) => {
            const settings = { ...(extra as object), ...engine }
            const c = await call('POST', '/projects', A.apiKey, { name: 'prop', settings })
            expect(c.status).toBe(201)
            const g = await call('GET', `/projects/${c.body.id}`, A.apiKey)
            expect(g.body.settings).toEqual(settings)
            await call('DELETE', `/projects/${c.body.id}`, A.apiKey)
          }),
          { numRuns: 25 },
        )
      })
    }

    it("keeps workspaces apart: another workspace's key gets 404", async () => {
      const c = await call('POST', '/projects', A.apiKey, { name: 'mine', settings: { urls: [siteUrl()] } })
      const id = c.body.id
      for (const [m, u, body] of [
        ['GET', `/projects/${id}`],
        ['PATCH', `/projects/${id}`, { name: 'theirs' }],
        ['DELETE', `/projects/${id}`],
        ['POST', `/projects/${id}/start`],
        ['POST', `/projects/${id}/stop`],
        ['GET', `/projects/${id}/verification`],
        ['POST', `/projects/${id}/verification/check`],
      ] as const) {
        expect((await call(m, u, B.apiKey, body)).status, `${m} ${u}`).toBe(404)
      }
      const list = await call('GET', '/projects', B.apiKey)
      expect(list.body.items.map((p: Json) => p.id)).not.toContain(id)
      expect((await call('GET', `/projects/${id}`, A.apiKey)).body.name).toBe('mine')
    })

    it('refuses start until the host is verified by its token file, then starts; delete refused while active', async () => {
      const c = await call('POST', '/projects', A.apiKey, {
        name: 'verify',
        settings: { urls: [siteUrl('/landing')] },
      })
      const id = c.body.id

      const s1 = await call('POST', `/projects/${id}/start`, A.apiKey)
      expect(s1.status).toBe(409)
      expect(s1.body.error.code).toBe('host_not_verified')
      expect(s1.body.error.message).toContain(site.host)
      expect(site.seen).toHaveLength(0) // never checked: refused without a network call

      const v = await call('GET', `/projects/${id}/verification`, A.apiKey)
      expect(v.status).toBe(200)
      const token = verificationToken(KEY, A.workspaceId, site.host)
      expect(v.body).toMatchObject({ verified: false, stale_after_hours: 24 })
      expect(v.body.hosts).toEqual([
        expect.objectContaining({
          host: site.host,
          status: 'pending',
          token,
          instructions: {
            file: {
              url: `http://${site.host}/.well-known/traffoflex-verify.txt`,
              content: `traffoflex-verify=${token}`,
            },
            dns: null,
          },
        }),
      ])

      // Wrong token → failed with the reason.
      site.files.set('/.well-known/traffoflex-verify.txt', 'traffoflex-verify=not-the-token\n')
      const f = await call('POST', `/projects/${id}/verification/check`, A.apiKey)
      expect(f.status).toBe(200)
      expect(f.body.hosts[0]).toMatchObject({ status: 'failed', method: null })
      expect(f.body.hosts[0].last_error).toMatch(/does not contain this workspace's token/)
      expect(site.seen.at(-1)?.ua).toMatch(/^traffoflex-verify\//)

      // B's token on the same host does not verify A.
      site.files.set(
        '/.well-known/traffoflex-verify.txt',
        `traffoflex-verify=${verificationToken(KEY, B.workspaceId, site.host)}`,
      )
      const fb = await call('POST', `/projects/${id}/verification/check`, A.apiKey)
      expect(fb.body.hosts[0].status).toBe('failed')

      site.files.set('/.well-known/traffoflex-verify.txt', `traffoflex-verify=${token}\n`)
      const ok = await call('POST', `/projects/${id}/verification/check`, A.apiKey)
      expect(ok.body).toMatchObject({ verified: true })
      expect(ok.body.hosts[0]).toMatchObject({ status: 'verified', method: 'http', last_error: null })

      const before = site.seen.length
      const s2 = await call('POST', `/projects/${id}/start`, A.apiKey)
      expect(s2.status).toBe(200)
      expect(s2.body.status).toBe('active')
      expect(site.seen.length).toBe(before + 1) // re-checked at start

      expect((await call('DELETE', `/projects/${id}`, A.apiKey)).status).toBe(409)

      // An active project may not gain an unverified host.
      const p = await call('PATCH', `/projects/${id}`, A.apiKey, {
        settings: { urls: ['https://other.example/'] },
      })
      expect(p.status).toBe(409)
      expect(p.body.error.code).toBe('host_not_verified')

      const st = await call('POST', `/projects/${id}/stop`, A.apiKey)
      expect(st.body.status).toBe('stopped')

      // The proof is withdrawn: start re-checks and refuses.
      site.files.delete('/.well-known/traffoflex-verify.txt')
      const s3 = await call('POST', `/projects/${id}/start`, A.apiKey)
      expect(s3.status).toBe(409)
      expect(s3.body.error.details[0]).toMatchObject({ path: 'settings.urls.0' })
      expect(s3.body.error.details[0].message).toMatch(/answered 404/)

      // Stale: a verification older than 24 h counts as not verified.
      site.files.set('/.well-known/traffoflex-verify.txt', token)
      await call('POST', `/projects/${id}/verification/check`, A.apiKey)
      clock.advance(25 * 3_600_000)
      const stale = await call('GET', `/projects/${id}/verification`, A.apiKey)
      expect(stale.body.hosts[0].status).toBe('stale')
      expect((await call('POST', `/projects/${id}/start`, A.apiKey)).status).toBe(200) // re-checked, fresh again
      await call('POST', `/projects/${id}/stop`, A.apiKey)
      expect((await call('DELETE', `/projects/${id}`, A.apiKey)).status).toBe(204)
    })

    if (full) {
      it('refuses a private target unless VISITORS_ALLOW_PRIVATE', async () => {
        site.files.set('/.well-known/traffoflex-verify.txt', verificationToken(KEY, A.workspaceId, site.host))
        const c = await call(
          'POST',
          '/projects',
          A.apiKey,
          { name: 'private', settings: { urls: [siteUrl()] } },
          appNoPrivate,
        )
        const r = await call(
          'POST',
          `/projects/${c.body.id}/verification/check`,
          A.apiKey,
          undefined,
          appNoPrivate,
        )
        expect(r.body.hosts[0].status).toBe('failed')
        expect(r.body.hosts[0].last_error).toMatch(
          /private or loopback address \(127\.0\.0\.1\).*VISITORS_ALLOW_PRIVATE/,
        )
      })

      it('verifies by DNS TXT record (injected resolver), and fails without it', async () => {
        const host = 'dns-only.example'
        const token = verificationToken(KEY, A.workspaceId, host)
        const c = await call('POST', '/projects', A.apiKey, {
          name: 'dns',
          settings: { urls: [`https://${host}/`] },
        })
        const v = await call('GET', `/projects/${c.body.id}/verification`, A.apiKey)
        expect(v.body.hosts[0].instructions.dns).toEqual({
          name: `_traffoflex.${host}`,
          type: 'TXT',
          value: `traffoflex-verify=${token}`,
        })

        // No TXT record and no token file (the name has no address).
        const f = await call('POST', `/projects/${c.body.id}/verification/check`, A.apiKey)
        expect(f.body.hosts[0].status).toBe('failed')
        expect(f.body.hosts[0].last_error).toMatch(/dns: _traffoflex\.dns-only\.example: .*ENOTFOUND/)

        txt.set(`_traffoflex.${host}`, [['v=spf1 -all'], ['traffoflex-verify=wrong']])
        const w = await call('POST', `/projects/${c.body.id}/verification/check`, A.apiKey)
        expect(w.body.hosts[0].last_error).toMatch(/no TXT record .* holds this workspace's token/)

        txt.set(`_traffoflex.${host}`, [['traffoflex-verify=', token]])
        const ok = await call('POST', `/projects/${c.body.id}/verification/check`, A.apiKey)
        expect(ok.body.hosts[0]).toMatchObject({ status: 'verified', method: 'dns' })

        // The engine's entry point: ok while the record stands, failed (with the reason) once gone.
        const deps = {
          db: h.db,
          key: KEY,
          allowPrivate: false,
          resolveTxt,
          resolveAddresses: async () => [],
          timeoutMs: 1_000,
        }
        const targets = [{ host, schemes: ['https' as const] }]
        expect(await recheckHosts(deps, A.workspaceId, targets, clock.now())).toEqual({
          ok: true,
          failed: [],
        })
        txt.delete(`_traffoflex.${host}`)
        const r = await recheckHosts(deps, A.workspaceId, targets, clock.now())
        expect(r.ok).toBe(false)
        expect(r.failed).toEqual([{ host, error: expect.stringMatching(/ENOTFOUND/) }])
      })
    }
  })
}

suite('pglite', true)
suite('postgres', false)
