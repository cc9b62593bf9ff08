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
 * Scopes (issue 18): every non-public route declares one (`read` only on GET/HEAD); a `read`
 * key gets 403 `insufficient_scope` on every other method and changes nothing, a `write` key
 * gets it on every `admin` route, an `admin` key never gets it. A small test proves the API
 * app refuses to start with a route that declares no scope.
 *
 * The isolation part (PGlite and PostgreSQL) checks that members, API keys and admin routes
 * never reach across workspaces or users.
 */
import { randomUUID } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { rmSync } from 'node:fs'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify'
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
  // The second sign-in step (2FA): no session yet; it needs the short-lived tf_2fa challenge
  // cookie of a correct password, and a wrong code is refused (5 tries, rate-limited).
  'POST /api/v1/auth/login/2fa',
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
  scope?: string
}

describe('security sweep over every /api/v1 route of the real server', () => {
  const seen: SeenRoute[] = []
  const onInit = (msg: unknown) => {
    const { fastify } = msg as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (r: RouteOptions) => {
      for (const method of [r.method].flat()) {
        seen.push({
          method: String(method),
          url: r.url,
          public: r.config?.public === true,
          ...(r.config?.scope ? { scope: r.config.scope } : {}),
        })
      }
    })
  }
  let server: RunningServer
  let dataDir: string
  let routes: SeenRoute[]
  const creds: Record<'active' | 'pending' | 'suspended', { key: string; cookie: string }> = {} as never
  /** Keys of the active user with exactly one scope each. */
  const scoped: Record<'read' | 'write' | 'admin', string> = {} as never
  /** Row counts and last updates of every table, to prove a refused request changed nothing. */
  let snapshotSql: string
  const snapshot = async (): Promise<string> => {
    const rows = (await server.db.db.execute(sql.raw(snapshotSql))) as unknown as { rows: Json[] } | Json[]
    return JSON.stringify(Array.isArray(rows) ? rows : rows.rows)
  }

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
      if (status === 'active')
        for (const scope of ['read', 'write', 'admin'] as const)
          scoped[scope] = (
            await createApiKey(server.db.db, {
              workspaceId: u.workspaceId,
              userId: u.userId,
              name: scope,
              scopes: [scope],
            })
          ).key
    }
    const tables = (await server.db.db.execute(
      sql`SELECT t.table_name AS name,
            EXISTS (SELECT 1 FROM information_schema.columns c
                    WHERE c.table_schema = 'public' AND c.table_name = t.table_name AND c.column_name = 'updated_at') AS upd
          FROM information_schema.tables t
          WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1`,
    )) as unknown as { rows: { name: string; upd: boolean }[] } | { name: string; upd: boolean }[]
    snapshotSql = (Array.isArray(tables) ? tables : tables.rows)
      .map(
        (t) =>
          `SELECT '${t.name}' AS t, count(*)::text AS n, ${t.upd ? 'max(updated_at)::text' : "''"} AS u FROM "${t.name}"`,
      )
      .join(' UNION ALL ')
  }, 180_000)
  afterAll(async () => {
    await server?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const send = async (
    r: SeenRoute,
    who: { key?: string; cookie?: string; csrf?: boolean },
  ): Promise<{ status: number; code?: string; error?: Json }> => {
    const path = r.url.replace(/:[A-Za-z0-9_]+/g, randomUUID()).replace(/\*/g, 'x')
    const headers: Record<string, string> = {}
    if (who.key) headers.authorization = `Bearer ${who.key}`
    if (who.cookie) headers.cookie = `tf_session=${who.cookie}`
    if (who.csrf) headers['x-requested-with'] = 'traffoflex'
    const res = await fetch(`${server.url}${path}`, { method: r.method, headers, redirect: 'manual' })
    // A live stream that was let in never ends: its status is all we need.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel()
      return { status: res.status }
    }
    const text = r.method === 'HEAD' ? '' : await res.text()
    let error: Json | undefined
    try {
      error = (JSON.parse(text) as Json).error
    } catch {
      error = undefined
    }
    const code = error?.code as string | undefined
    return { status: res.status, ...(code ? { code } : {}), ...(error ? { error } : {}) }
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
  it('every non-public route declares a scope, and read routes are GET/HEAD', () => {
    const bad = routes
      .filter((r) => !r.public)
      .filter(
        (r) =>
          !['read', 'write', 'admin'].includes(r.scope ?? '') ||
          (r.scope === 'read' && r.method !== 'GET' && r.method !== 'HEAD'),
      )
      .map((r) => `${r.method} ${r.url} → ${r.scope ?? 'no scope'}`)
    expect(bad).toEqual([])
    // Sanity: all three scopes are in use, and the admin ones include keys and membership.
    const byScope = (s: string) => routes.filter((r) => r.scope === s).map((r) => `${r.method} ${r.url}`)
    expect(byScope('read')).toContain('GET /api/v1/sources')
    expect(byScope('write')).toContain('POST /api/v1/sources')
    for (const k of [
      'GET /api/v1/api-keys',
      'PATCH /api/v1/api-keys/:id',
      'GET /api/v1/workspace',
      'GET /api/v1/networks/:id/postback-secret',
      'GET /api/v1/admin/users',
      'POST /api/v1/billing/admin/adjustments',
    ])
      expect(byScope('admin'), k).toContain(k)
  })

  it('a read key gets 403 insufficient_scope on every non-GET route, naming the scope, and changes nothing', async () => {
    const before = await snapshot()
    const bad: string[] = []
    let writes = 0
    for (const r of routes) {
      if (r.public || r.method === 'GET' || r.method === 'HEAD') continue
      writes++
      const res = await send(r, { key: scoped.read })
      const e = res.error
      const ok =
        res.status === 403 &&
        e?.code === 'insufficient_scope' &&
        e.message === `this API key lacks the "${r.scope}" scope required by ${r.method} ${r.url}` &&
        JSON.stringify(e.details) === JSON.stringify([{ path: 'scope', message: r.scope }])
      if (!ok) bad.push(`${r.method} ${r.url} → ${res.status} ${JSON.stringify(e)}`)
    }
    expect(bad).toEqual([])
    expect(writes).toBeGreaterThan(50)
    expect(await snapshot()).toBe(before)
  })

  it('a write key gets 403 insufficient_scope on every admin route and changes nothing', async () => {
    const before = await snapshot()
    const bad: string[] = []
    const admin = routes.filter((r) => !r.public && r.scope === 'admin')
    for (const r of admin) {
      const res = await send(r, { key: scoped.write })
      const ok = res.status === 403 && (r.method === 'HEAD' || res.code === 'insufficient_scope')
      if (!ok) bad.push(`${r.method} ${r.url} → ${res.status} ${res.code ?? ''}`)
    }
    expect(bad).toEqual([])
    expect(admin.length).toBeGreaterThan(30)
    expect(await snapshot()).toBe(before)
  })

  it('an admin key passes the scope check everywhere (and a read key on every GET)', async () => {
    const bad: string[] = []
    for (const r of routes) {
      if (r.public) continue
      for (const [name, key] of [
        ['admin', scoped.admin],
        ...(r.method === 'GET' && r.scope === 'read' ? [['read', scoped.read] as const] : []),
      ] as const) {
        const res = await send(r, { key })
        if (res.code === 'insufficient_scope' || res.status === 401 || res.status >= 500)
          bad.push(`${name}: ${r.method} ${r.url} → ${res.status} ${res.code ?? ''}`)
      }
    }
    expect(bad).toEqual([])
  })
})

describe('the API app refuses to start with a route that declares no scope', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  beforeAll(async () => {
    h = await throwawayDb('pglite')
  })
  afterAll(async () => {
    await h?.drop()
  })
  const withRoute = (register: FastifyPluginAsync) =>
    testApiApp(h.db, { plugins: [{ plugin: register, prefix: '/t' }] })

  it('names the route without a scope, and the read route that is not GET', async () => {
    await expect(withRoute(async (p) => void p.get('/forgot', async () => ({})))).rejects.toThrow(
      'API route GET /api/v1/t/forgot declares no scope',
    )
    await expect(
      withRoute(async (p) => void p.post('/sneaky', { config: { scope: 'read' } }, async () => ({}))),
    ).rejects.toThrow('API route POST /api/v1/t/sneaky declares scope "read" but is not GET/HEAD')
  })

  it('starts with declared scopes and with public routes', async () => {
    const app = await withRoute(async (p) => {
      p.get('/fine', { config: { scope: 'read' } }, async () => ({}))
      p.post('/open', { config: { public: true } }, async () => ({}))
    })
    await app.close()
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
      await createApiKey(h.db, {
        workspaceId: A.workspaceId,
        userId: aMember.userId,
        name: 'in A',
        scopes: ['admin'],
      })
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
    const k = (
      await createApiKey(h.db, {
        workspaceId: A.workspaceId,
        userId: extra.userId,
        name: 'x',
        scopes: ['admin'],
      })
    ).key
    expect((await call(k, 'GET', '/workspace')).status).toBe(200)
    expect((await call(A.apiKey, 'DELETE', `/workspace/members/${extra.userId}`)).status).toBe(204)
    expect((await call(k, 'GET', '/workspace')).status).toBe(401)
    expect((await call(extra.apiKey, 'GET', '/workspace')).status).toBe(200)
  })
})
