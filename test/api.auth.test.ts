/**
 * Admin API auth: login/cookie sessions, API keys, CSRF, rate limit, first admin, and the
 * app-wide error shapes — on PGlite and PostgreSQL.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapAdmin, createLoginLimiter } from '../src/modules/accounts/index.ts'
import { setUserStatus } from '../src/modules/accounts/accounts.repository.ts'
import { authenticateApiKey, login, sha256Hex } from '../src/modules/accounts/accounts.service.ts'
import { listSources } from '../src/modules/routing/routing.api.ts'
import { manualClock } from '../src/platform/clock.ts'
import { schema } from './helpers/schema.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie']
  const first = Array.isArray(raw) ? raw[0] : raw
  const m = /tf_session=([^;]*)/.exec(String(first ?? ''))
  if (!m) throw new Error(`no tf_session cookie in ${String(raw)}`)
  return m[1]!
}

describe.each(['pglite', 'postgres'] as const)('admin API auth on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let a: Awaited<ReturnType<typeof createWorkspaceWithKey>>

  const boom: FastifyPluginAsync = async (p) => {
    p.get('/whoami', { config: { scope: 'read' } }, async (req) => ({
      workspace: req.auth.workspaceId,
      via: req.auth.via,
    }))
    p.get('/boom', { config: { scope: 'read' } }, async () => {
      throw new Error('connection string postgres://secret@db leaked?')
    })
  }

  beforeAll(async () => {
    h = await throwawayDb(kind)
    a = await createWorkspaceWithKey(h.db)
    app = await testApiApp(h.db, {
      plugins: [{ plugin: boom, prefix: '/test' }],
      // The server's limiter: counts in this database.
      loginLimiter: await createLoginLimiter({ sql: h.raw }),
    })
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  const loginAs = async (email: string, password: string, ip = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip })

  it('login sets an HttpOnly SameSite=Lax cookie that authenticates, storing only its SHA-256', async () => {
    const res = await loginAs(a.email.toUpperCase(), a.password)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      user: { id: a.userId, email: a.email },
      workspace: { id: a.workspaceId },
    })
    const setCookie = String(res.headers['set-cookie'])
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Lax/)
    expect(setCookie).toMatch(/Path=\//)
    const token = cookieOf(res)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { tf_session: token } })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      user: { id: a.userId, status: 'active' },
      workspace: { id: a.workspaceId },
      via: 'session',
    })

    const rows = await h.db.select().from(schema.sessions).where(eq(schema.sessions.userId, a.userId))
    expect(rows.map((r) => r.tokenHash)).toContain(sha256Hex(token))
    expect(rows.map((r) => r.tokenHash)).not.toContain(token)

    // Cookie write with the CSRF header works.
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      cookies: { tf_session: token },
      headers: { 'x-requested-with': 'traffoflex' },
      payload: { name: 'via cookie' },
    })
    expect(created.statusCode).toBe(201)
  })

  it('the session cookie is Secure when PUBLIC_URL is https (unless COOKIE_SECURE says otherwise)', async () => {
    expect(String((await loginAs(a.email, a.password)).headers['set-cookie'])).not.toMatch(/Secure/)
    for (const [env, secure] of [
      [{ PUBLIC_URL: 'https://tf.example' }, true],
      [{ PUBLIC_URL: 'https://tf.example', COOKIE_SECURE: 'false' }, false],
    ] as const) {
      const other = await testApiApp(h.db, { config: testConfig(env) })
      try {
        const res = await other.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: a.email, password: a.password },
        })
        expect(res.statusCode).toBe(200)
        expect(/;\s*Secure/i.test(String(res.headers['set-cookie'])), JSON.stringify(env)).toBe(secure)
      } finally {
        await other.close()
      }
    }
  })

  it('passwords are stored as argon2id', async () => {
    const [u] = await h.db.select().from(schema.users).where(eq(schema.users.id, a.userId))
    expect(u?.passwordHash).toMatch(/^\$argon2id\$/)
  })

  it('a bearer API key authenticates', async () => {
    const me = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${a.apiKey}` },
    })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      user: { id: a.userId },
      workspace: { id: a.workspaceId },
      via: 'api_key',
    })
    // Plugins from deps.plugins sit behind the same hook.
    const who = await app.inject({
      method: 'GET',
      url: '/api/v1/test/whoami',
      headers: { authorization: `Bearer ${a.apiKey}` },
    })
    expect(who.json()).toEqual({ workspace: a.workspaceId, via: 'api_key' })
  })

  it('wrong password and unknown email are the same 401', async () => {
    const wrong = await loginAs(a.email, 'not-the-password')
    const unknown = await loginAs('nobody@test.local', 'whatever-password')
    for (const r of [wrong, unknown]) {
      expect(r.statusCode).toBe(401)
      expect(r.json()).toEqual({
        error: { code: 'invalid_credentials', message: 'invalid email or password' },
      })
      expect(r.headers['set-cookie']).toBeUndefined()
    }
  })

  it('no or bad credentials are 401 on every kind of route', async () => {
    for (const url of [
      '/api/v1/auth/me',
      '/api/v1/sources',
      '/api/v1/campaigns',
      '/api/v1/api-keys',
      '/api/v1/test/whoami',
    ]) {
      const r = await app.inject({ method: 'GET', url })
      expect(r.statusCode, url).toBe(401)
      expect(r.json().error.code).toBe('unauthorized')
    }
    const cases: Record<string, string>[] = [
      { authorization: 'Bearer tfk_nope' },
      { authorization: 'Bearer not-a-key' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: `Bearer ${a.apiKey}x` },
    ]
    for (const headers of cases) {
      const r = await app.inject({ method: 'GET', url: '/api/v1/sources', headers })
      expect(r.statusCode, JSON.stringify(headers)).toBe(401)
    }
    const badCookie = await app.inject({
      method: 'GET',
      url: '/api/v1/sources',
      cookies: { tf_session: 'forged' },
    })
    expect(badCookie.statusCode).toBe(401)
    // No auth beats validation: an unauthenticated bad body is 401, not 400.
    const unauthBad = await app.inject({ method: 'POST', url: '/api/v1/sources', payload: { name: 5 } })
    expect(unauthBad.statusCode).toBe(401)
  })

  it('an invalid bearer key is 401 even with a valid cookie (the header wins)', async () => {
    const token = cookieOf(await loginAs(a.email, a.password))
    const r = await app.inject({
      method: 'GET',
      url: '/api/v1/sources',
      cookies: { tf_session: token },
      headers: { authorization: 'Bearer tfk_wrong' },
    })
    expect(r.statusCode).toBe(401)
  })

  it('CSRF: cookie writes without X-Requested-With: traffoflex are 403 and change nothing', async () => {
    const token = cookieOf(await loginAs(a.email, a.password))
    const before = (await listSources(h.db, a.workspaceId)).total
    for (const headers of [{}, { 'x-requested-with': 'XMLHttpRequest' }]) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/sources',
        cookies: { tf_session: token },
        headers,
        payload: { name: 'forged' },
      })
      expect(r.statusCode).toBe(403)
      expect(r.json().error.code).toBe('csrf_failed')
    }
    const src = (await listSources(h.db, a.workspaceId)).items[0]!
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/sources/${src.id}`,
      cookies: { tf_session: token },
    })
    expect(del.statusCode).toBe(403)
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/v1/sources/${src.id}`,
      cookies: { tf_session: token },
      payload: { name: 'x' },
    })
    expect(patch.statusCode).toBe(403)
    const logout = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { tf_session: token },
    })
    expect(logout.statusCode).toBe(403)
    expect((await listSources(h.db, a.workspaceId)).total).toBe(before)
    // Reads need no header; bearer writes need none either.
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/sources', cookies: { tf_session: token } }))
        .statusCode,
    ).toBe(200)
    const bearer = await app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { authorization: `Bearer ${a.apiKey}` },
      payload: { name: 'bearer write' },
    })
    expect(bearer.statusCode).toBe(201)
  })

  it('logout ends the session', async () => {
    const token = cookieOf(await loginAs(a.email, a.password))
    const out = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { tf_session: token },
      headers: { 'x-requested-with': 'traffoflex' },
    })
    expect(out.statusCode).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/tf_session=;/)
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { tf_session: token } })
    expect(me.statusCode).toBe(401)
  })

  it('a session ends SESSION_TTL_HOURS after login (the app clock decides)', async () => {
    const clock = manualClock('2031-03-01T10:00:00Z')
    const timed = await testApiApp(h.db, { clock, config: testConfig({ SESSION_TTL_HOURS: '2' }) })
    try {
      const res = await timed.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: a.email, password: a.password },
      })
      expect(res.json().expires_at).toBe('2031-03-01T12:00:00.000Z')
      const me = async () =>
        (
          await timed.inject({
            method: 'GET',
            url: '/api/v1/auth/me',
            cookies: { tf_session: cookieOf(res) },
          })
        ).statusCode
      clock.advance(2 * 3_600_000 - 1)
      expect(await me()).toBe(200)
      clock.advance(1)
      expect(await me()).toBe(401)
    } finally {
      await timed.close()
    }
  })

  it('expired sessions are 401', async () => {
    const past = new Date('2020-01-01T00:00:00Z')
    const res = await login(h.db, { email: a.email, password: a.password }, { ttlHours: 1, now: past })
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { tf_session: res.token } })
    expect(me.statusCode).toBe(401)
  })

  it('pending and suspended users get 403 on login, cookie and key', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const token = cookieOf(await loginAs(u.email, u.password))
    for (const status of ['suspended', 'pending'] as const) {
      await setUserStatus(h.db, u.userId, status)
      const viaKey = await app.inject({
        method: 'GET',
        url: '/api/v1/sources',
        headers: { authorization: `Bearer ${u.apiKey}` },
      })
      const viaCookie = await app.inject({
        method: 'GET',
        url: '/api/v1/sources',
        cookies: { tf_session: token },
      })
      const viaLogin = await loginAs(u.email, u.password)
      for (const r of [viaKey, viaCookie, viaLogin]) {
        expect(r.statusCode).toBe(403)
        expect(r.json().error.code).toBe(status === 'pending' ? 'pending_approval' : 'suspended')
      }
      // A wrong password still says 401 (no status leak without the password).
      expect((await loginAs(u.email, 'wrong-password')).statusCode).toBe(401)
    }
    await setUserStatus(h.db, u.userId, 'active')
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/sources',
          headers: { authorization: `Bearer ${u.apiKey}` },
        })
      ).statusCode,
    ).toBe(200)
  })

  it('API keys: created once with the secret, listed without it, revocable', async () => {
    const H = { authorization: `Bearer ${a.apiKey}` }
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: H,
      payload: { name: 'ci' },
    })
    expect(created.statusCode).toBe(201)
    const k = created.json()
    expect(k.key).toMatch(/^tfk_[A-Za-z0-9_-]{43}$/)
    expect(k.prefix).toBe(k.key.slice(0, 12))
    const [stored] = await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, k.id))
    expect(stored?.keyHash).toBe(sha256Hex(k.key))

    const list = await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: H })
    expect(list.statusCode).toBe(200)
    const listed = list.json().items.find((x: { id: string }) => x.id === k.id)
    expect(listed).toMatchObject({ name: 'ci', prefix: k.prefix, revoked_at: null, last_used_at: null })
    expect(JSON.stringify(list.json())).not.toContain(k.key)
    expect(JSON.stringify(list.json())).not.toContain(sha256Hex(k.key))

    const K = { authorization: `Bearer ${k.key}` }
    expect((await app.inject({ method: 'GET', url: '/api/v1/sources', headers: K })).statusCode).toBe(200)
    const [used] = await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, k.id))
    expect(used?.lastUsedAt).toBeInstanceOf(Date)

    // Another user's key id is "not found" for us.
    const other = await createWorkspaceWithKey(h.db)
    const [otherKey] = await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.userId, other.userId))
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${otherKey!.id}`, headers: H }))
        .statusCode,
    ).toBe(404)
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/sources',
          headers: { authorization: `Bearer ${other.apiKey}` },
        })
      ).statusCode,
    ).toBe(200)

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: H })
    expect(del.statusCode).toBe(204)
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: H })).statusCode,
    ).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/api/v1/sources', headers: K })).statusCode).toBe(401)
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: '/api/v1/api-keys/00000000-0000-4000-8000-000000000000',
          headers: H,
        })
      ).statusCode,
    ).toBe(404)
  })

  it('last_used_at is written at most once a minute', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const t0 = new Date('2030-01-01T00:00:00Z')
    const read = async () =>
      (
        await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.userId, u.userId))
      )[0]!.lastUsedAt?.getTime()
    await authenticateApiKey(h.db, u.apiKey, t0)
    expect(await read()).toBe(t0.getTime())
    await authenticateApiKey(h.db, u.apiKey, new Date(t0.getTime() + 30_000))
    expect(await read()).toBe(t0.getTime())
    const t2 = new Date(t0.getTime() + 61_000)
    await authenticateApiKey(h.db, u.apiKey, t2)
    expect(await read()).toBe(t2.getTime())
  })

  it('login is rate limited per IP+email (10 per 15 min) → 429 with Retry-After', async () => {
    const u = await createWorkspaceWithKey(h.db)
    for (let i = 0; i < 10; i++) expect((await loginAs(u.email, `wrong-${i}`)).statusCode).toBe(401)
    const blocked = await loginAs(u.email, u.password)
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error.code).toBe('rate_limited')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // Another email from the same IP is unaffected.
    expect((await loginAs(a.email, a.password)).statusCode).toBe(200)
  })

  it('a successful login clears its IP+email count', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const ip = '198.51.100.2'
    for (let i = 0; i < 9; i++) expect((await loginAs(u.email, `wrong-${i}`, ip)).statusCode).toBe(401)
    expect((await loginAs(u.email, u.password, ip)).statusCode).toBe(200)
    for (let i = 0; i < 10; i++) expect((await loginAs(u.email, `wrong-${i}`, ip)).statusCode).toBe(401)
    expect((await loginAs(u.email, u.password, ip)).statusCode).toBe(429)
  })

  it('login is also limited per IP across emails (30 failures per 15 min: password spraying) → 429', async () => {
    const ip = '203.0.113.77'
    const victims = await Promise.all(Array.from({ length: 31 }, () => createWorkspaceWithKey(h.db)))
    // Successful logins from the address do not count against it.
    for (let i = 0; i < 5; i++) expect((await loginAs(a.email, a.password, ip)).statusCode).toBe(200)
    for (const v of victims.slice(0, 30))
      expect((await loginAs(v.email, 'Spring2026!', ip)).statusCode).toBe(401)
    // The 31st email has never been tried: its IP+email count is 0, the address's is spent.
    const blocked = await loginAs(victims[30]!.email, victims[30]!.password, ip)
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json().error.code).toBe('rate_limited')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    // Another address is unaffected.
    expect((await loginAs(victims[30]!.email, victims[30]!.password, '203.0.113.78')).statusCode).toBe(200)
  })

  it('errors have one shape: unknown route 404, bad JSON 400, big body 413, 5xx without leaks', async () => {
    const H = { authorization: `Bearer ${a.apiKey}` }
    const nf = await app.inject({ method: 'GET', url: '/api/v1/nope?x=1', headers: H })
    expect(nf.statusCode).toBe(404)
    expect(nf.json()).toEqual({ error: { code: 'not_found', message: 'route GET /api/v1/nope not found' } })
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...H, 'content-type': 'application/json' },
      payload: '{"name": ',
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('invalid_json')
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...H, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    })
    expect(big.statusCode).toBe(413)
    expect(big.json().error.code).toBe('payload_too_large')
    const boomRes = await app.inject({ method: 'GET', url: '/api/v1/test/boom', headers: H })
    expect(boomRes.statusCode).toBe(500)
    expect(boomRes.json()).toEqual({ error: { code: 'internal', message: 'internal error' } })
    expect(boomRes.body).not.toContain('secret')
    // An empty JSON body on DELETE is "no body", not an error.
    const src = await app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: H,
      payload: { name: 'to delete' },
    })
    const del = await app.inject({
      method: 'DELETE',
      url: `/api/v1/sources/${src.json().id}`,
      headers: { ...H, 'content-type': 'application/json' },
      payload: '',
    })
    expect(del.statusCode).toBe(204)
  })

  it('serves OpenAPI at /api/docs/json and the UI at /api/docs', async () => {
    const doc = await app.inject({ method: 'GET', url: '/api/docs/json' })
    expect(doc.statusCode).toBe(200)
    const paths = Object.keys(doc.json().paths)
    for (const p of [
      '/api/v1/auth/login',
      '/api/v1/api-keys',
      '/api/v1/sources',
      '/api/v1/networks/{id}',
      '/api/v1/campaigns',
      '/api/v1/streams/{id}',
    ]) {
      expect(paths).toContain(p)
    }
    const ui = await app.inject({ method: 'GET', url: '/api/docs/' })
    expect(ui.statusCode).toBe(200)
    expect(ui.headers['content-type']).toMatch(/html/)
  })
})

describe.each(['pglite', 'postgres'] as const)('bootstrapAdmin on %s', (kind) => {
  let h: Handle
  beforeAll(async () => {
    h = await throwawayDb(kind)
  })
  afterAll(async () => {
    await h?.drop()
  })

  it('creates workspace "Default", an active admin and a generated password once', async () => {
    const first = await bootstrapAdmin(h.db, { email: ' Admin@Example.COM ' })
    expect(first.created).toBe(true)
    expect(first.email).toBe('admin@example.com')
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/)
    const [user] = await h.db.select().from(schema.users)
    expect(user).toMatchObject({ email: 'admin@example.com', role: 'admin', status: 'active' })
    const ws = await h.db.select().from(schema.workspaces)
    expect(ws.map((w) => w.name)).toEqual(['Default'])
    const members = await h.db.select().from(schema.workspaceMembers)
    expect(members).toMatchObject([{ userId: user!.id, workspaceId: ws[0]!.id, role: 'owner' }])

    const app = await testApiApp(h.db)
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'admin@example.com', password: first.generatedPassword },
      })
      expect(res.statusCode).toBe(200)
      expect(res.json().user.role).toBe('admin')
    } finally {
      await app.close()
    }

    const again = await bootstrapAdmin(h.db, { email: 'other@example.com', password: 'x'.repeat(12) })
    expect(again).toEqual({ created: false, email: 'other@example.com' })
    expect(await h.db.select().from(schema.users)).toHaveLength(1)
  })

  it('uses the given password and does not return it', async () => {
    const h2 = await throwawayDb(kind)
    try {
      const r = await bootstrapAdmin(h2.db, { email: 'a@b.test', password: 'given-password-1' })
      expect(r.created).toBe(true)
      expect(r.generatedPassword).toBeUndefined()
      const res = await login(
        h2.db,
        { email: 'a@b.test', password: 'given-password-1' },
        { ttlHours: 1, now: new Date() },
      )
      expect(res.user.role).toBe('admin')
    } finally {
      await h2.drop()
    }
  })
})
