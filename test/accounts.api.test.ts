/**
 * Accounts API (issue 4): sign-up and approval, profile, password change, admin user
 * management, workspace members and switching, API key last use — on PGlite and PostgreSQL.
 */
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginLimiter } from '../src/modules/accounts/index.ts'
import { setUserStatus } from '../src/modules/accounts/accounts.repository.ts'
import { createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { schema } from './helpers/schema.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

const CSRF = { 'x-requested-with': 'traffoflex' }
/** Credentials of an API-key caller for `call`. */
const bearer = (key: string) => ({ key })
let seq = 0
const uniqueEmail = (tag: string) => `${tag}-${++seq}-${Math.random().toString(36).slice(2, 8)}@Test.Local`

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie']
  const first = Array.isArray(raw) ? raw[0] : raw
  const m = /tf_session=([^;]*)/.exec(String(first ?? ''))
  if (!m) throw new Error(`no tf_session cookie in ${String(raw)}`)
  return m[1]!
}

describe.each(['pglite', 'postgres'] as const)('accounts API on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let admin: Awaited<ReturnType<typeof createWorkspaceWithKey>>

  /** A request with an API key (`key`), a session cookie (`cookie`, CSRF header added) or nothing. */
  const call = async (
    who: { key?: string; cookie?: string },
    method: Method,
    url: string,
    payload?: Json,
  ): Promise<{ status: number; body: Json; headers: Record<string, unknown> }> => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        ...(who.key ? { authorization: `Bearer ${who.key}` } : {}),
        ...(who.cookie ? CSRF : {}),
      },
      ...(who.cookie ? { cookies: { tf_session: who.cookie } } : {}),
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body ? (res.json() as Json) : {}, headers: res.headers }
  }
  const loginAs = (email: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  const sessionOf = async (email: string, password: string) => {
    const res = await loginAs(email, password)
    if (res.statusCode !== 200) throw new Error(`login ${res.statusCode} ${res.body}`)
    return cookieOf(res)
  }
  beforeAll(async () => {
    h = await throwawayDb(kind)
    admin = await createWorkspaceWithKey(h.db, { role: 'admin', workspaceName: 'Admin WS' })
    // Generous limits: this file signs up and logs in many times from one address.
    app = await testApiApp(h.db, { loginLimiter: await createLoginLimiter({ sql: h.raw, max: 1000 }) })
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  describe('sign-up and approval', () => {
    it('creates a pending user with profile and its own workspace; no session until approved', async () => {
      const email = uniqueEmail('signup')
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: {
          email,
          password: 'long-enough-pw',
          name: 'Ada Lovelace',
          phone: '+44 20 7946 0958',
          company: 'Analytical Engines Ltd',
          vat_id: 'GB123456789',
          address: '1 Engine Row',
          city: 'London',
          country: 'gb',
        },
      })
      expect(res.statusCode).toBe(201)
      expect(res.headers['set-cookie']).toBeUndefined()
      const body = res.json()
      expect(body).toEqual({
        user: { id: expect.any(String), email: email.toLowerCase(), status: 'pending' },
      })

      const [u] = await h.db.select().from(schema.users).where(eq(schema.users.id, body.user.id))
      expect(u).toMatchObject({
        email: email.toLowerCase(),
        role: 'user',
        status: 'pending',
        name: 'Ada Lovelace',
        phone: '+44 20 7946 0958',
        company: 'Analytical Engines Ltd',
        vatId: 'GB123456789',
        address: '1 Engine Row',
        city: 'London',
        country: 'GB',
        approvedAt: null,
        approvedBy: null,
      })
      expect(u?.passwordHash).toMatch(/^\$argon2id\$/)
      const members = await h.db
        .select({ role: schema.workspaceMembers.role, name: schema.workspaces.name })
        .from(schema.workspaceMembers)
        .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.workspaceMembers.workspaceId))
        .where(eq(schema.workspaceMembers.userId, body.user.id))
      expect(members).toEqual([{ role: 'owner', name: 'Analytical Engines Ltd' }])

      // Pending: the right password says pending_approval, a wrong one still 401.
      const pending = await loginAs(email, 'long-enough-pw')
      expect(pending.statusCode).toBe(403)
      expect(pending.json().error.code).toBe('pending_approval')
      expect(pending.headers['set-cookie']).toBeUndefined()
      expect((await loginAs(email, 'wrong-password')).statusCode).toBe(401)

      // The admin approves; login works and /auth/me shows the profile.
      const approved = await call(bearer(admin.apiKey), 'POST', `/admin/users/${body.user.id}/approve`)
      expect(approved.status).toBe(200)
      expect(approved.body).toMatchObject({
        id: body.user.id,
        status: 'active',
        approved_by: admin.userId,
        approved_at: expect.any(String),
      })
      const cookie = await sessionOf(email, 'long-enough-pw')
      const me = await call({ cookie }, 'GET', '/auth/me')
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({
        user: {
          id: body.user.id,
          status: 'active',
          name: 'Ada Lovelace',
          vat_id: 'GB123456789',
          country: 'GB',
          approved_at: approved.body.approved_at,
        },
        workspace: { name: 'Analytical Engines Ltd', role: 'owner' },
        via: 'session',
      })
      expect(JSON.stringify(me.body)).not.toMatch(/argon2|password/)

      // Approving again changes nothing (first approval stamp kept).
      const again = await call(bearer(admin.apiKey), 'POST', `/admin/users/${body.user.id}/approve`)
      expect(again.body.approved_at).toBe(approved.body.approved_at)
    })

    it('a taken email (any case) is a 409 with a generic message; concurrent duplicates make one user', async () => {
      const email = uniqueEmail('dup')
      const first = await call({}, 'POST', '/auth/signup', { email, password: 'long-enough-pw' })
      expect(first.status).toBe(201)
      const dup = await call({}, 'POST', '/auth/signup', {
        email: ` ${email.toUpperCase()} `,
        password: 'other-password',
      })
      expect(dup.status).toBe(409)
      expect(dup.body.error).toMatchObject({ code: 'conflict', details: [{ path: 'email' }] })
      expect(dup.body.error.message).not.toMatch(/exist|registered|taken/i)

      const racy = uniqueEmail('race')
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          call({}, 'POST', '/auth/signup', { email: racy, password: 'long-enough-pw' }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409])
      const rows = await h.db.select().from(schema.users).where(eq(schema.users.email, racy.toLowerCase()))
      expect(rows).toHaveLength(1)
    })

    it('validates every field and refuses role/status in the body', async () => {
      const bad = async (payload: Json) => (await call({}, 'POST', '/auth/signup', payload)).body.error
      expect(await bad({ email: uniqueEmail('v'), password: 'short' })).toMatchObject({
        code: 'validation_failed',
        details: [{ path: 'password' }],
      })
      expect(await bad({ email: 'not-an-email', password: 'long-enough-pw' })).toMatchObject({
        details: [{ path: 'email' }],
      })
      expect(await bad({ email: uniqueEmail('v'), password: 'long-enough-pw', country: 'XX' })).toMatchObject(
        {
          details: [{ path: 'country' }],
        },
      )
      expect(
        await bad({ email: uniqueEmail('v'), password: 'long-enough-pw', phone: 'call me' }),
      ).toMatchObject({
        details: [{ path: 'phone' }],
      })
      const escalate = await bad({
        email: uniqueEmail('v'),
        password: 'long-enough-pw',
        role: 'admin',
        status: 'active',
      })
      expect(escalate.details.map((d: Json) => d.path).sort()).toEqual(['role', 'status'])
    })

    it('sign-up is rate limited per client address', async () => {
      const limited = await testApiApp(h.db)
      try {
        const codes: number[] = []
        for (let i = 0; i < 11; i++) {
          const r = await limited.inject({
            method: 'POST',
            url: '/api/v1/auth/signup',
            payload: { email: 'x', password: 'long-enough-pw' }, // invalid: no user is created
          })
          codes.push(r.statusCode)
        }
        // Validation runs first (400 does not consume an attempt), so use valid bodies.
        expect(codes.every((c) => c === 400)).toBe(true)
        const statuses: number[] = []
        for (let i = 0; i < 11; i++) {
          const r = await limited.inject({
            method: 'POST',
            url: '/api/v1/auth/signup',
            payload: { email: uniqueEmail('rl'), password: 'long-enough-pw' },
          })
          statuses.push(r.statusCode)
          if (r.statusCode === 429) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
        }
        expect(statuses.slice(0, 10).every((c) => c === 201)).toBe(true)
        expect(statuses[10]).toBe(429)
      } finally {
        await limited.close()
      }
    })
  })

  describe('profile', () => {
    it('PATCH /auth/me updates and clears profile fields but never email, role or status', async () => {
      const u = await createWorkspaceWithKey(h.db)
      const r1 = await call(bearer(u.apiKey), 'PATCH', '/auth/me', {
        name: '  Grace ',
        city: 'Arlington',
        country: 'us',
      })
      expect(r1.status).toBe(200)
      expect(r1.body.user).toMatchObject({ name: 'Grace', city: 'Arlington', country: 'US', company: null })
      const r2 = await call(bearer(u.apiKey), 'PATCH', '/auth/me', { city: null, name: '' })
      expect(r2.body.user).toMatchObject({ name: null, city: null, country: 'US' })
      for (const field of ['email', 'role', 'status', 'password_hash', 'approved_at']) {
        const r = await call(bearer(u.apiKey), 'PATCH', '/auth/me', { [field]: 'admin' })
        expect(r.status).toBe(400)
        expect(r.body.error.details).toEqual([{ path: field, message: 'unknown field' }])
      }
      const [row] = await h.db.select().from(schema.users).where(eq(schema.users.id, u.userId))
      expect(row).toMatchObject({ role: 'user', status: 'active', email: u.email })
    })
  })

  describe('password change', () => {
    it('checks the current password, keeps this session, ends the others; API keys keep working', async () => {
      const u = await createWorkspaceWithKey(h.db)
      const mine = await sessionOf(u.email, u.password)
      const other = await sessionOf(u.email, u.password)

      const wrong = await call({ cookie: mine }, 'POST', '/auth/password', {
        current_password: 'not-it-at-all',
        new_password: 'brand-new-password',
      })
      expect(wrong.status).toBe(400)
      expect(wrong.body.error).toMatchObject({
        code: 'invalid_credentials',
        details: [{ path: 'current_password' }],
      })
      const short = await call({ cookie: mine }, 'POST', '/auth/password', {
        current_password: u.password,
        new_password: 'short',
      })
      expect(short.body.error.details).toEqual([{ path: 'new_password', message: expect.any(String) }])

      const ok = await call({ cookie: mine }, 'POST', '/auth/password', {
        current_password: u.password,
        new_password: 'brand-new-password',
      })
      expect(ok.status).toBe(204)
      expect((await call({ cookie: mine }, 'GET', '/auth/me')).status).toBe(200)
      expect((await call({ cookie: other }, 'GET', '/auth/me')).status).toBe(401)
      expect((await call(bearer(u.apiKey), 'GET', '/auth/me')).status).toBe(200)
      expect((await loginAs(u.email, u.password)).statusCode).toBe(401)
      expect((await loginAs(u.email, 'brand-new-password')).statusCode).toBe(200)

      // Through an API key every session ends (there is no "current" one).
      const s = await sessionOf(u.email, 'brand-new-password')
      expect(
        (
          await call(bearer(u.apiKey), 'POST', '/auth/password', {
            current_password: 'brand-new-password',
            new_password: 'third-password-1',
          })
        ).status,
      ).toBe(204)
      expect((await call({ cookie: s }, 'GET', '/auth/me')).status).toBe(401)
    })
  })

  describe('admin user management', () => {
    it('lists users with status and text filters and pages', async () => {
      const tag = `zq${Math.random().toString(36).slice(2, 7)}`
      for (let i = 0; i < 3; i++) {
        await call({}, 'POST', '/auth/signup', {
          email: uniqueEmail(`${tag}-p${i}`),
          password: 'long-enough-pw',
          company: `${tag} corp`,
        })
      }
      const all = await call(bearer(admin.apiKey), 'GET', `/admin/users?q=${tag}`)
      expect(all.status).toBe(200)
      expect(all.body).toMatchObject({ total: 3, limit: 50, offset: 0 })
      expect(all.body.items.every((x: Json) => x.status === 'pending')).toBe(true)
      // Newest first.
      const created = all.body.items.map((x: Json) => x.created_at)
      expect([...created].sort().reverse()).toEqual(created)

      const p2 = await call(bearer(admin.apiKey), 'GET', `/admin/users?q=${tag}&page=2&page_size=2`)
      expect(p2.body).toMatchObject({ total: 3, limit: 2, offset: 2 })
      expect(p2.body.items).toHaveLength(1)
      expect(p2.body.items[0].id).toBe(all.body.items[2].id)

      // q matches the company, case-insensitively; LIKE metacharacters match literally.
      expect(
        (await call(bearer(admin.apiKey), 'GET', `/admin/users?q=${tag.toUpperCase()}%20CORP`)).body.total,
      ).toBe(3)
      expect((await call(bearer(admin.apiKey), 'GET', `/admin/users?q=${tag}%25`)).body.total).toBe(0)

      await call(bearer(admin.apiKey), 'POST', `/admin/users/${all.body.items[0].id}/approve`)
      const pending = await call(bearer(admin.apiKey), 'GET', `/admin/users?q=${tag}&status=pending`)
      expect(pending.body.total).toBe(2)
      const active = await call(bearer(admin.apiKey), 'GET', `/admin/users?status=active&q=${tag}`)
      expect(active.body.items.map((x: Json) => x.id)).toEqual([all.body.items[0].id])

      expect((await call(bearer(admin.apiKey), 'GET', '/admin/users?status=nope')).status).toBe(400)
    })

    it('is admin-only: 403 for users (before validation), 404 for unknown ids', async () => {
      const u = await createWorkspaceWithKey(h.db)
      expect((await call(bearer(u.apiKey), 'GET', '/admin/users')).status).toBe(403)
      expect((await call(bearer(u.apiKey), 'POST', `/admin/users/${admin.userId}/suspend`)).status).toBe(403)
      expect((await call(bearer(u.apiKey), 'POST', '/admin/users/not-a-uuid/approve')).status).toBe(403)
      expect(
        (await call(bearer(admin.apiKey), 'POST', `/admin/users/${crypto.randomUUID()}/approve`)).status,
      ).toBe(404)
      expect((await call(bearer(admin.apiKey), 'POST', '/admin/users/not-a-uuid/approve')).status).toBe(400)
    })

    it('suspend ends sessions and refuses keys and login; reactivate restores; never oneself', async () => {
      const u = await createWorkspaceWithKey(h.db)
      const cookie = await sessionOf(u.email, u.password)
      const s = await call(bearer(admin.apiKey), 'POST', `/admin/users/${u.userId}/suspend`)
      expect(s.status).toBe(200)
      expect(s.body.status).toBe('suspended')
      expect((await call({ cookie }, 'GET', '/auth/me')).status).toBe(401)
      const viaKey = await call(bearer(u.apiKey), 'GET', '/auth/me')
      expect(viaKey.status).toBe(403)
      expect(viaKey.body.error.code).toBe('suspended')
      const viaLogin = await loginAs(u.email, u.password)
      expect(viaLogin.statusCode).toBe(403)
      expect(viaLogin.json().error.code).toBe('suspended')
      const rows = await h.db.select().from(schema.sessions).where(eq(schema.sessions.userId, u.userId))
      expect(rows).toHaveLength(0)

      expect((await call(bearer(admin.apiKey), 'POST', `/admin/users/${u.userId}/approve`)).status).toBe(409)
      const r = await call(bearer(admin.apiKey), 'POST', `/admin/users/${u.userId}/reactivate`)
      expect(r.body).toMatchObject({ status: 'active' })
      expect((await call(bearer(u.apiKey), 'GET', '/auth/me')).status).toBe(200)

      const self = await call(bearer(admin.apiKey), 'POST', `/admin/users/${admin.userId}/suspend`)
      expect(self.status).toBe(409)
      expect(self.body.error.code).toBe('cannot_suspend_self')

      const p = await call({}, 'POST', '/auth/signup', {
        email: uniqueEmail('p'),
        password: 'long-enough-pw',
      })
      expect(
        (await call(bearer(admin.apiKey), 'POST', `/admin/users/${p.body.user.id}/reactivate`)).status,
      ).toBe(409)
      // Rejecting a sign-up: suspend the pending account.
      expect(
        (await call(bearer(admin.apiKey), 'POST', `/admin/users/${p.body.user.id}/suspend`)).body.status,
      ).toBe('suspended')
    })
  })

  describe('workspace members', () => {
    it('owners and admins invite, re-role and remove members; the last owner stays', async () => {
      const owner = await createWorkspaceWithKey(h.db, { workspaceName: 'Team' })
      const bob = await createWorkspaceWithKey(h.db)
      const carol = await createWorkspaceWithKey(h.db)
      const O = bearer(owner.apiKey)

      const view = await call(O, 'GET', '/workspace')
      expect(view.body).toMatchObject({
        workspace: { id: owner.workspaceId, name: 'Team' },
        role: 'owner',
        members: [{ user_id: owner.userId, role: 'owner', status: 'active', email: owner.email }],
      })

      // Members join by invitation only: Bob is invited (any case of his email) and accepts.
      const invited = await call(O, 'POST', '/workspace/invitations', {
        email: bob.email.toUpperCase(),
        role: 'admin',
      })
      expect(invited.status).toBe(202)
      expect(invited.body).toMatchObject({ email: bob.email, role: 'admin' })
      expect((await call(bearer(bob.apiKey), 'POST', `/invitations/${invited.body.id}/accept`)).body).toEqual(
        { workspace: { id: owner.workspaceId, name: 'Team' }, role: 'admin' },
      )
      expect(
        (await call(O, 'POST', '/workspace/invitations', { email: bob.email, role: 'member' })).body.error
          .code,
      ).toBe('already_member')
      // An unknown and a pending address are invited alike (nobody learns which exists).
      const unknown = await call(O, 'POST', '/workspace/invitations', {
        email: 'nobody@test.local',
        role: 'member',
      })
      expect(unknown.status).toBe(202)
      const pendingUser = await call({}, 'POST', '/auth/signup', {
        email: uniqueEmail('pm'),
        password: 'long-enough-pw',
      })
      const pend = await call(O, 'POST', '/workspace/invitations', {
        email: pendingUser.body.user.email,
        role: 'member',
      })
      expect(pend.status).toBe(202)
      expect(Object.keys(pend.body)).toEqual(Object.keys(unknown.body))
      expect(
        (await call(O, 'POST', '/workspace/invitations', { email: carol.email, role: 'owner' })).status,
      ).toBe(400)

      // Bob (admin) acts in Team with a session switched to it.
      const bobCookie = await sessionOf(bob.email, bob.password)
      const ws = await call({ cookie: bobCookie }, 'GET', '/auth/workspaces')
      expect(ws.body.items).toEqual([
        { id: bob.workspaceId, name: expect.any(String), role: 'owner', member: true, current: true },
        { id: owner.workspaceId, name: 'Team', role: 'admin', member: true, current: false },
      ])
      const sw = await call({ cookie: bobCookie }, 'POST', '/auth/workspace', {
        workspace_id: owner.workspaceId,
      })
      expect(sw.body).toEqual({ workspace: { id: owner.workspaceId, name: 'Team', role: 'admin' } })
      expect((await call({ cookie: bobCookie }, 'GET', '/auth/me')).body.workspace).toMatchObject({
        id: owner.workspaceId,
        role: 'admin',
      })
      const B = { cookie: bobCookie }
      const carolInv = await call(B, 'POST', '/workspace/invitations', { email: carol.email, role: 'member' })
      expect(carolInv.status).toBe(202)
      expect(
        (await call(bearer(carol.apiKey), 'POST', `/invitations/${carolInv.body.id}/accept`)).status,
      ).toBe(200)
      // An admin cannot touch the owner role.
      expect((await call(B, 'PATCH', `/workspace/members/${carol.userId}`, { role: 'owner' })).status).toBe(
        403,
      )
      expect((await call(B, 'PATCH', `/workspace/members/${owner.userId}`, { role: 'member' })).status).toBe(
        403,
      )
      expect((await call(B, 'DELETE', `/workspace/members/${owner.userId}`)).status).toBe(403)
      expect(
        (await call(B, 'PATCH', `/workspace/members/${carol.userId}`, { role: 'admin' })).body.role,
      ).toBe('admin')

      // A plain member cannot manage, but may leave.
      expect((await call(O, 'PATCH', `/workspace/members/${carol.userId}`, { role: 'member' })).status).toBe(
        200,
      )
      const carolCookie = await sessionOf(carol.email, carol.password)
      await call({ cookie: carolCookie }, 'POST', '/auth/workspace', { workspace_id: owner.workspaceId })
      const C = { cookie: carolCookie }
      expect((await call(C, 'GET', '/workspace')).body.role).toBe('member')
      expect(
        (await call(C, 'POST', '/workspace/invitations', { email: admin.email, role: 'member' })).status,
      ).toBe(403)
      expect((await call(C, 'DELETE', `/workspace/members/${bob.userId}`)).status).toBe(403)

      // The last owner can neither be demoted nor removed — not even by themselves.
      const demote = await call(O, 'PATCH', `/workspace/members/${owner.userId}`, { role: 'admin' })
      expect(demote.status).toBe(409)
      expect(demote.body.error.code).toBe('last_owner')
      expect((await call(O, 'DELETE', `/workspace/members/${owner.userId}`)).status).toBe(409)
      // With a second owner, the first may step down.
      expect((await call(O, 'PATCH', `/workspace/members/${bob.userId}`, { role: 'owner' })).body.role).toBe(
        'owner',
      )
      expect(
        (await call(O, 'PATCH', `/workspace/members/${owner.userId}`, { role: 'admin' })).body.role,
      ).toBe('admin')
      const order = (await call(O, 'GET', '/workspace')).body.members.map((m: Json) => [m.user_id, m.role])
      expect(order).toEqual([
        [bob.userId, 'owner'],
        [owner.userId, 'admin'],
        [carol.userId, 'member'],
      ])

      // Carol leaves: her session in Team stops working at once.
      expect((await call(C, 'DELETE', `/workspace/members/${carol.userId}`)).status).toBe(204)
      expect((await call(C, 'GET', '/auth/me')).status).toBe(401)
      expect((await call(O, 'DELETE', `/workspace/members/${carol.userId}`)).status).toBe(404)
    })

    it('two owners demoting each other at once leave exactly one owner', async () => {
      const o1 = await createWorkspaceWithKey(h.db)
      const o2 = await createWorkspaceWithKey(h.db)
      const inv = await call(bearer(o1.apiKey), 'POST', '/workspace/invitations', {
        email: o2.email,
        role: 'admin',
      })
      await call(bearer(o2.apiKey), 'POST', `/invitations/${inv.body.id}/accept`)
      await call(bearer(o1.apiKey), 'PATCH', `/workspace/members/${o2.userId}`, { role: 'owner' })
      // o2's key is bound to its own workspace; give it one acting in o1's workspace.
      const k2 = (
        await createApiKey(h.db, {
          workspaceId: o1.workspaceId,
          userId: o2.userId,
          name: 't',
          scopes: ['admin'],
        })
      ).key
      const [r1, r2] = await Promise.all([
        call(bearer(o1.apiKey), 'PATCH', `/workspace/members/${o1.userId}`, { role: 'member' }),
        call(bearer(k2), 'PATCH', `/workspace/members/${o2.userId}`, { role: 'member' }),
      ])
      expect([r1.status, r2.status].sort()).toEqual([200, 409])
      const owners = (await call(bearer(o1.apiKey), 'GET', '/workspace')).body.members.filter(
        (m: Json) => m.role === 'owner',
      )
      expect(owners).toHaveLength(1)
    })

    it('switching workspace needs membership and a cookie session', async () => {
      const u = await createWorkspaceWithKey(h.db)
      const other = await createWorkspaceWithKey(h.db)
      const cookie = await sessionOf(u.email, u.password)
      const r = await call({ cookie }, 'POST', '/auth/workspace', { workspace_id: other.workspaceId })
      expect(r.status).toBe(404)
      expect((await call({ cookie }, 'GET', '/auth/me')).body.workspace.id).toBe(u.workspaceId)
      const viaKey = await call(bearer(u.apiKey), 'POST', '/auth/workspace', { workspace_id: u.workspaceId })
      expect(viaKey.status).toBe(400)
      expect(viaKey.body.error.code).toBe('session_required')
    })
  })

  describe('API keys', () => {
    it('list shows last use after the key authenticates', async () => {
      const u = await createWorkspaceWithKey(h.db)
      const before = Date.now()
      await call(bearer(u.apiKey), 'GET', '/auth/me')
      const list = await call(bearer(u.apiKey), 'GET', '/api-keys')
      const k = list.body.items.find((x: Json) => u.apiKey.startsWith(x.prefix))
      expect(k.last_used_at).not.toBeNull()
      expect(Date.parse(k.last_used_at)).toBeGreaterThanOrEqual(before - 1000)
    })
  })

  it('setUserStatus pending on an active user refuses its key with pending_approval', async () => {
    const u = await createWorkspaceWithKey(h.db)
    await setUserStatus(h.db, u.userId, 'pending')
    const r = await call(bearer(u.apiKey), 'GET', '/auth/me')
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('pending_approval')
  })
})
