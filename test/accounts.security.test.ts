/**
 * Security sweep and account isolation.
 *
 * The sweep starts the real server in this process (`startServer`, everything `src/server.ts`
 * mounts) and learns every route from Fastify itself: a `node:diagnostics_channel`
 * subscription to `fastify.initialization` adds an `onRoute` hook to each Fastify instance
 * as it is created. Every `/api/v1` route — including ones added later by other modules —
 * must then answer 401 without credentials (except the known public auth routes), 403 to a
 * pending or suspended user's API key or session, and 403 `csrf_failed` to a cookie write
 * without `X-Requested-With: traffoflex`.
 *
 * The isolation part (PGlite and PostgreSQL) checks that members, API keys and admin routes
 * never reach across workspaces or users.
 */
import { randomUUID } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { rmSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { setUserStatus } from '../src/modules/accounts/accounts.repository.ts'
import { createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { schema } from './helpers/schema.ts'
import { type RunningServer, startServer } from '../src/server.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { login as loginCookie, tempDataDir } from './helpers/server.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

/** The only `/api/v1` routes reachable without credentials. Adding one here is a security decision. */
const PUBLIC_ROUTES = new Set([
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/signup',
  'POST /api/v1/auth/password-reset/request',
  'POST /api/v1/auth/password-reset/confirm',
  // Payment providers cannot log in: each delivery is verified by its signature instead
  // (Stripe/Revolut HMAC, Wise RSA); an unsigned request is refused and changes nothing.
  'POST /api/v1/webhooks/:provider',
  // Outreach: mail clients unsubscribe without logging in (RFC 8058 one-click), each link
  // carrying an HMAC'd token; Clay calls back with an HMAC of our correlation ID. A wrong
  // token is refused and changes nothing.
  'POST /api/v1/outreach/unsubscribe/:token',
  'GET /api/v1/outreach/unsubscribe/:token',
  'HEAD /api/v1/outreach/unsubscribe/:token',
  'POST /api/v1/outreach/clay/callback/:correlationId',
])
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

interface SeenRoute {
  method: string
  url: string
  public: boolean
}

describe('security sweep over every /api/v1 route of the real server', () => {
  const seen: SeenRoute[] = []
  const onInit = (msg: unknown) => {
    const { fastify } = msg as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (r: RouteOptions) => {
      for (const method of [r.method].flat()) {
        seen.push({ method: String(method), url: r.url, public: r.config?.public === true })
      }
    })
  }
  let server: RunningServer
  let dataDir: string
  let routes: SeenRoute[]
  const creds: Record<'active' | 'pending' | 'suspended', { key: string; cookie: string }> = {} as never

  beforeAll(async () => {
    dataDir = tempDataDir('tf-sweep-')
    diagnostics.subscribe('fastify.initialization', onInit)
    try {
      server = await startServer(
        loadConfig({
          NODE_ENV: 'test',
          DATA_DIR: dataDir,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          SEED_SAMPLE: 'false',
          ADMIN_PASSWORD: 'sweep-admin-password',
        }),
      )
    } finally {
      diagnostics.unsubscribe('fastify.initialization', onInit)
    }
    const byKey = new Map(
      seen.filter((r) => r.url.startsWith('/api/v1/')).map((r) => [`${r.method} ${r.url}`, r]),
    )
    routes = [...byKey.values()].sort((a, b) => `${a.url} ${a.method}`.localeCompare(`${b.url} ${b.method}`))

    for (const status of ['active', 'pending', 'suspended'] as const) {
      const u = await createWorkspaceWithKey(server.db.db)
      const cookie = await loginCookie(server.url, u.email, u.password)
      // Set directly (not through the admin route, which would also end the sessions), so
      // the sweep proves that every request checks the status.
      if (status !== 'active') await setUserStatus(server.db.db, u.userId, status)
      creds[status] = { key: u.apiKey, cookie: cookie.replace(/^tf_session=/, '') }
    }
  }, 180_000)
  afterAll(async () => {
    await server?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const send = async (
    r: SeenRoute,
    who: { key?: string; cookie?: string; csrf?: boolean },
  ): Promise<{ status: number; code?: string }> => {
    const path = r.url.replace(/:[A-Za-z0-9_]+/g, randomUUID()).replace(/\*/g, 'x')
    const headers: Record<string, string> = {}
    if (who.key) headers.authorization = `Bearer ${who.key}`
    if (who.cookie) headers.cookie = `tf_session=${who.cookie}`
    if (who.csrf) headers['x-requested-with'] = 'traffoflex'
    const res = await fetch(`${server.url}${path}`, { method: r.method, headers, redirect: 'manual' })
    const text = r.method === 'HEAD' ? '' : await res.text()
    let code: string | undefined
    try {
      code = (JSON.parse(text) as Json).error?.code
    } catch {
      code = undefined
    }
    return { status: res.status, ...(code ? { code } : {}) }
  }

  it('found the routes of every module, including the accounts routes', () => {
    const keys = new Set(routes.map((r) => `${r.method} ${r.url}`))
    for (const k of [
      'GET /api/v1/auth/me',
      'PATCH /api/v1/auth/me',
      'GET /api/v1/admin/users',
      'POST /api/v1/admin/users/:id/suspend',
      'DELETE /api/v1/workspace/members/:userId',
      'GET /api/v1/sources',
      'GET /api/v1/reports/overview',
      'GET /api/v1/outbound-postbacks',
    ]) {
      expect(keys, k).toContain(k)
    }
    expect(routes.length).toBeGreaterThan(40)
  })

  it('only the known auth routes are public', () => {
    const declaredPublic = routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`)
    expect(declaredPublic.sort()).toEqual([...PUBLIC_ROUTES].sort())
  })

  it('without credentials every non-public route answers 401', async () => {
    const bad: string[] = []
    for (const r of routes) {
      const res = await send(r, {})
      const isPublic = PUBLIC_ROUTES.has(`${r.method} ${r.url}`)
      if (isPublic ? res.status === 401 || res.status === 403 : res.status !== 401)
        bad.push(`${r.method} ${r.url} → ${res.status}`)
    }
    expect(bad).toEqual([])
  })

  it("a pending or suspended user's API key and session get 403 everywhere", async () => {
    const bad: string[] = []
    for (const r of routes) {
      if (PUBLIC_ROUTES.has(`${r.method} ${r.url}`)) continue
      for (const [status, code] of [
        ['pending', 'pending_approval'],
        ['suspended', 'suspended'],
      ] as const) {
        const c = creds[status]
        for (const [via, who] of [
          ['key', { key: c.key }],
          ['session', { cookie: c.cookie, csrf: true }],
        ] as const) {
          const res = await send(r, who)
          const ok = res.status === 403 && (r.method === 'HEAD' || res.code === code)
          if (!ok) bad.push(`${r.method} ${r.url} ${status} ${via} → ${res.status} ${res.code ?? ''}`)
        }
      }
    }
    expect(bad).toEqual([])
  })

  it('every cookie-authenticated write without X-Requested-With is 403 csrf_failed', async () => {
    const bad: string[] = []
    let writes = 0
    for (const r of routes) {
      if (!UNSAFE.has(r.method) || PUBLIC_ROUTES.has(`${r.method} ${r.url}`)) continue
      writes++
      const res = await send(r, { cookie: creds.active.cookie })
      if (res.status !== 403 || res.code !== 'csrf_failed')
        bad.push(`${r.method} ${r.url} → ${res.status} ${res.code}`)
    }
    expect(bad).toEqual([])
    expect(writes).toBeGreaterThan(15)
    // The active session itself is fine: with the header the same session passes the guard.
    const me = await send(
      { method: 'GET', url: '/api/v1/auth/me', public: false },
      { cookie: creds.active.cookie },
    )
    expect(me.status).toBe(200)
  })
})

describe.each(['pglite', 'postgres'] as const)('account isolation on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let aMember: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let aMemberKeyInA: string

  const call = async (
    key: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Json,
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : {} }
  }

  beforeAll(async () => {
    h = await throwawayDb(kind)
    app = await testApiApp(h.db)
    A = await createWorkspaceWithKey(h.db, { workspaceName: 'A' })
    B = await createWorkspaceWithKey(h.db, { workspaceName: 'B' })
    aMember = await createWorkspaceWithKey(h.db)
    const inv = await call(A.apiKey, 'POST', '/workspace/invitations', {
      email: aMember.email,
      role: 'admin',
    })
    expect(inv.status).toBe(202)
    expect((await call(aMember.apiKey, 'POST', `/invitations/${inv.body.id}/accept`)).status).toBe(200)
    aMemberKeyInA = (
      await createApiKey(h.db, { workspaceId: A.workspaceId, userId: aMember.userId, name: 'in A', scopes: ['admin'] })
    ).key
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it("members: B sees only B's members and cannot change or remove A's", async () => {
    const view = await call(B.apiKey, 'GET', '/workspace')
    expect(view.body.workspace.id).toBe(B.workspaceId)
    expect(view.body.members.map((m: Json) => m.user_id)).toEqual([B.userId])
    expect(JSON.stringify(view.body)).not.toContain(A.email)

    for (const target of [A.userId, aMember.userId]) {
      expect((await call(B.apiKey, 'PATCH', `/workspace/members/${target}`, { role: 'member' })).status).toBe(
        404,
      )
      expect((await call(B.apiKey, 'DELETE', `/workspace/members/${target}`)).status).toBe(404)
    }
    const rows = await h.db
      .select({ userId: schema.workspaceMembers.userId, role: schema.workspaceMembers.role })
      .from(schema.workspaceMembers)
      .where(eq(schema.workspaceMembers.workspaceId, A.workspaceId))
    expect(rows.sort((x, y) => x.role.localeCompare(y.role))).toEqual([
      { userId: aMember.userId, role: 'admin' },
      { userId: A.userId, role: 'owner' },
    ])
    // A key acts only in its own workspace: aMember's own key sees its own workspace, not A.
    expect((await call(aMember.apiKey, 'GET', '/workspace')).body.workspace.id).toBe(aMember.workspaceId)
    expect((await call(aMemberKeyInA, 'GET', '/workspace')).body.workspace.id).toBe(A.workspaceId)
  })

  it('B cannot switch into A, and its workspace list shows only its own', async () => {
    const ws = await call(B.apiKey, 'GET', '/auth/workspaces')
    expect(ws.body.items.map((w: Json) => w.id)).toEqual([B.workspaceId])
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: B.email, password: B.password },
    })
    const cookie = /tf_session=([^;]*)/.exec(String(login.headers['set-cookie']))![1]!
    const sw = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/workspace',
      cookies: { tf_session: cookie },
      headers: { 'x-requested-with': 'traffoflex' },
      payload: { workspace_id: A.workspaceId },
    })
    expect(sw.statusCode).toBe(404)
  })

  it("API keys: nobody lists or revokes another user's keys, even in the same workspace", async () => {
    const aKeys = (await call(A.apiKey, 'GET', '/api-keys')).body.items as Json[]
    expect(aKeys).toHaveLength(1)
    const aKeyId = aKeys[0]!.id
    for (const key of [B.apiKey, aMemberKeyInA]) {
      const list = (await call(key, 'GET', '/api-keys')).body.items as Json[]
      expect(list.map((k) => k.id)).not.toContain(aKeyId)
      expect((await call(key, 'DELETE', `/api-keys/${aKeyId}`)).status).toBe(404)
    }
    expect((await call(A.apiKey, 'GET', '/auth/me')).status).toBe(200)
    const [row] = await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, aKeyId))
    expect(row?.revokedAt).toBeNull()
  })

  it('admin routes are refused to workspace owners and admins who are not global admins', async () => {
    for (const key of [A.apiKey, B.apiKey, aMemberKeyInA]) {
      const routes: ['GET' | 'POST', string][] = [
        ['GET', '/admin/users'],
        ['POST', `/admin/users/${B.userId}/approve`],
        ['POST', `/admin/users/${B.userId}/suspend`],
        ['POST', `/admin/users/${B.userId}/reactivate`],
      ]
      for (const [method, url] of routes) {
        const r = await call(key, method, url)
        expect(r.status, `${method} ${url}`).toBe(403)
      }
    }
    const [b] = await h.db.select().from(schema.users).where(eq(schema.users.id, B.userId))
    expect(b?.status).toBe('active')
  })

  it("a removed member's key stops working in that workspace at once", async () => {
    const extra = await createWorkspaceWithKey(h.db)
    const inv = await call(A.apiKey, 'POST', '/workspace/invitations', { email: extra.email, role: 'member' })
    await call(extra.apiKey, 'POST', `/invitations/${inv.body.id}/accept`)
    const k = (await createApiKey(h.db, { workspaceId: A.workspaceId, userId: extra.userId, name: 'x', scopes: ['admin'] })).key
    expect((await call(k, 'GET', '/workspace')).status).toBe(200)
    expect((await call(A.apiKey, 'DELETE', `/workspace/members/${extra.userId}`)).status).toBe(204)
    expect((await call(k, 'GET', '/workspace')).status).toBe(401)
    expect((await call(extra.apiKey, 'GET', '/workspace')).status).toBe(200)
  })
})
