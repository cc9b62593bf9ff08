/**
 * Switching workspace and "admins see all" (accounts README, "Admin view"): every query stays scoped to the
 * workspace a request acts in; a platform admin may list every workspace and switch a cookie
 * session into any of them (admin view, acting as an owner), a user only into their own;
 * API keys stay bound to their workspace — on PGlite and PostgreSQL.
 */
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginLimiter } from '../src/modules/accounts/index.ts'
import { schema } from './helpers/schema.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Who = { key: string } | { cookie: string }
type Account = Awaited<ReturnType<typeof createWorkspaceWithKey>>

describe.each(['pglite', 'postgres'] as const)('workspace switching on %s', (kind) => {
  let h: Handle
  let app: FastifyInstance
  let admin: Account
  let alice: Account
  let bob: Account
  /** Bob's source and campaign, created with his key in his workspace. */
  let bobSource: Json
  let bobCampaign: Json

  /** A request with an API key or a session cookie (the CSRF header added). */
  const call = async (who: Who, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: 'key' in who ? { authorization: `Bearer ${who.key}` } : { 'x-requested-with': 'traffoflex' },
      ...('cookie' in who ? { cookies: { tf_session: who.cookie } } : {}),
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Json }
  }
  const sessionOf = async (a: Account): Promise<Who> => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: a.email, password: a.password },
    })
    const m = /tf_session=([^;]*)/.exec(String(res.headers['set-cookie']))
    if (res.statusCode !== 200 || !m) throw new Error(`login ${res.statusCode} ${res.body}`)
    return { cookie: m[1]! }
  }
  const ids = (r: { body: Json }) => (r.body.items as Json[]).map((i) => i.id)

  beforeAll(async () => {
    h = await throwawayDb(kind)
    admin = await createWorkspaceWithKey(h.db, { role: 'admin', workspaceName: 'Admin HQ' })
    alice = await createWorkspaceWithKey(h.db, { workspaceName: 'Alice Media' })
    bob = await createWorkspaceWithKey(h.db, { workspaceName: 'bob traffic' })
    app = await testApiApp(h.db, { loginLimiter: await createLoginLimiter({ sql: h.raw, max: 1000 }) })
    bobSource = (await call({ key: bob.apiKey }, 'POST', '/sources', { name: 'Bob push source' })).body
    bobCampaign = (
      await call({ key: bob.apiKey }, 'POST', '/campaigns', {
        name: 'Bob campaign',
        alias: `bob-${kind}`,
        source_id: bobSource.id,
      })
    ).body
    expect(bobCampaign.id).toBeTypeOf('string')
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('a user lists only their own workspaces and cannot switch into another (nothing changes)', async () => {
    const A = await sessionOf(alice)
    const list = await call(A, 'GET', '/auth/workspaces')
    expect(list.status).toBe(200)
    expect(list.body.items).toEqual([
      { id: alice.workspaceId, name: 'Alice Media', role: 'owner', member: true, current: true },
    ])

    const sw = await call(A, 'POST', '/auth/workspace', { workspace_id: bob.workspaceId })
    expect(sw.status).toBe(404)
    expect(sw.body.error.code).toBe('not_found')
    const me = await call(A, 'GET', '/auth/me')
    expect(me.body.workspace).toEqual({
      id: alice.workspaceId,
      name: 'Alice Media',
      role: 'owner',
      member: true,
    })
    expect(ids(await call(A, 'GET', '/sources'))).not.toContain(bobSource.id)
    expect((await call(A, 'GET', `/campaigns/${bobCampaign.id}`)).status).toBe(404)
  })

  it('an admin lists every workspace, own first, the others in admin view by name', async () => {
    const S = await sessionOf(admin)
    const items = (await call(S, 'GET', '/auth/workspaces')).body.items as Json[]
    expect(items[0]).toEqual({
      id: admin.workspaceId,
      name: 'Admin HQ',
      role: 'owner',
      member: true,
      current: true,
    })
    const others = items.slice(1)
    expect(others).toContainEqual({
      id: bob.workspaceId,
      name: 'bob traffic',
      role: 'owner',
      member: false,
      current: false,
    })
    expect(others.every((w) => w.member === false && w.current === false)).toBe(true)
    const names = others.map((w) => (w.name as string).toLowerCase())
    expect(names).toEqual([...names].sort())
    expect(items.map((w) => w.id)).toContain(alice.workspaceId)
  })

  it("an admin sees a workspace's objects only after switching into it, and back", async () => {
    const S = await sessionOf(admin)
    // Before switching: scoped to the admin's own workspace like everyone else.
    expect(ids(await call(S, 'GET', '/sources'))).not.toContain(bobSource.id)
    expect(ids(await call(S, 'GET', '/campaigns'))).not.toContain(bobCampaign.id)
    expect((await call(S, 'GET', `/sources/${bobSource.id}`)).status).toBe(404)

    const sw = await call(S, 'POST', '/auth/workspace', { workspace_id: bob.workspaceId })
    expect(sw.status).toBe(200)
    expect(sw.body).toEqual({ workspace: { id: bob.workspaceId, name: 'bob traffic', role: 'owner' } })
    expect((await call(S, 'GET', '/auth/me')).body.workspace).toEqual({
      id: bob.workspaceId,
      name: 'bob traffic',
      role: 'owner',
      member: false,
    })
    expect(ids(await call(S, 'GET', '/sources'))).toEqual([bobSource.id])
    expect(ids(await call(S, 'GET', '/campaigns'))).toEqual([bobCampaign.id])
    expect((await call(S, 'GET', `/campaigns/${bobCampaign.id}`)).body.name).toBe('Bob campaign')
    const current = (await call(S, 'GET', '/auth/workspaces')).body.items.filter((w: Json) => w.current)
    expect(current.map((w: Json) => w.id)).toEqual([bob.workspaceId])

    // The workspace page shows Bob's members; the admin is not one of them.
    const view = await call(S, 'GET', '/workspace')
    expect(view.body).toMatchObject({ role: 'owner', member: false, workspace: { id: bob.workspaceId } })
    expect(view.body.members.map((m: Json) => m.user_id)).toEqual([bob.userId])
    // Admin view acts as an owner: may invite a member (who joins on accepting) …
    const invited = await call(S, 'POST', '/workspace/invitations', { email: alice.email, role: 'member' })
    expect(invited.status).toBe(202)
    expect((await call({ key: alice.apiKey }, 'POST', `/invitations/${invited.body.id}/accept`)).status).toBe(
      200,
    )
    expect((await call(S, 'DELETE', `/workspace/members/${alice.userId}`)).status).toBe(204)
    // … but makes no API key (keys belong to members and would outlive the session).
    const key = await call(S, 'POST', '/api-keys', { name: 'backdoor' })
    expect(key.status).toBe(403)
    expect(key.body.error.code).toBe('membership_required')

    // Bob's own view is unchanged, and the admin's API key still acts in the admin's workspace.
    expect(ids(await call({ key: admin.apiKey }, 'GET', '/sources'))).not.toContain(bobSource.id)

    expect((await call(S, 'POST', '/auth/workspace', { workspace_id: admin.workspaceId })).status).toBe(200)
    expect(ids(await call(S, 'GET', '/sources'))).not.toContain(bobSource.id)
    expect((await call(S, 'GET', '/auth/me')).body.workspace).toMatchObject({
      id: admin.workspaceId,
      member: true,
    })
  })

  it('API keys cannot switch, not even an admin’s', async () => {
    for (const key of [admin.apiKey, alice.apiKey]) {
      const r = await call({ key }, 'POST', '/auth/workspace', { workspace_id: bob.workspaceId })
      expect(r.status).toBe(400)
      expect(r.body.error.code).toBe('session_required')
    }
    expect((await call({ key: admin.apiKey }, 'GET', '/auth/me')).body.workspace.id).toBe(admin.workspaceId)
  })

  it('an admin-view session stops working at once when the user is no longer an admin', async () => {
    const other = await createWorkspaceWithKey(h.db, { role: 'admin' })
    const S = await sessionOf(other)
    expect((await call(S, 'POST', '/auth/workspace', { workspace_id: bob.workspaceId })).status).toBe(200)
    expect((await call(S, 'GET', '/sources')).status).toBe(200)
    await h.db.update(schema.users).set({ role: 'user' }).where(eq(schema.users.id, other.userId))
    expect((await call(S, 'GET', '/sources')).status).toBe(401)
    expect((await call(S, 'GET', '/auth/me')).status).toBe(401)
  })
})
