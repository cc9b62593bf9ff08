/**
 * The live feed ends with the access behind it (issue 13, defect 1): an open
 * `GET /api/v1/live` stream is ended within a re-check interval once its credential stops
 * working — API key revoked, user suspended, member removed from the workspace, session
 * logged out or moved to another workspace, admin view after the admin role is gone — and
 * receives nothing after. Two API apps ("nodes", each with its own live hub, listening on
 * loopback) share one database: every change is made through node A (or in the database),
 * the stream is open on node B, so no in-process notification can be what ends it. On
 * PGlite and PostgreSQL.
 */
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { insertMember } from '../src/modules/accounts/accounts.repository.ts'
import { createLoginLimiter, credentialStillValid } from '../src/modules/accounts/index.ts'
import { createLiveHub, liveRoutes } from '../src/modules/analytics/index.ts'
import type { LiveHub } from '../src/modules/analytics/live.ts'
import { systemClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { schema } from './helpers/schema.ts'
import { openSse, type SseStream } from './helpers/sse.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>
type Account = Awaited<ReturnType<typeof createWorkspaceWithKey>>
type Who = { key: string } | { cookie: string }

/** The re-check interval of the test hubs (ms); the server's default is 3 000. */
const RECHECK_MS = 100
/** How long a stream may outlive its access here: a few re-checks. */
const WITHIN_MS = 3_000

describe.each(['pglite', 'postgres'] as const)('live streams and revoked access on %s', (kind) => {
  let h: Handle
  const nodes: { app: FastifyInstance; hub: LiveHub; url: string }[] = []
  let admin: Account
  let alice: Account
  let bob: Account
  const open: SseStream[] = []

  async function startNode() {
    const hub = createLiveHub({ flushMs: 10, recheckMs: RECHECK_MS })
    const app = await testApiApp(h.db, {
      loginLimiter: await createLoginLimiter({ sql: h.raw, max: 1000 }),
      plugins: [{ plugin: liveRoutes(hub, { stillAllowed: credentialStillValid(h.db, systemClock) }) }],
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    nodes.push({ app, hub, url: `http://127.0.0.1:${port}` })
  }
  const nodeA = () => nodes[0]!
  const nodeB = () => nodes[1]!

  const headersOf = (who: Who): Record<string, string> =>
    'key' in who ? { authorization: `Bearer ${who.key}` } : { cookie: `tf_session=${who.cookie}` }

  /** A JSON call to node A (the CSRF header added); returns the status. */
  const callA = async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${nodeA().url}/api/v1${path}`, {
      method,
      headers: {
        ...headersOf(who),
        'x-requested-with': 'traffoflex',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    // biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> }
  }

  const sessionOf = async (a: Account): Promise<{ cookie: string }> => {
    const res = await fetch(`${nodeA().url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: a.email, password: a.password }),
    })
    const m = /tf_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')
    if (res.status !== 200 || !m) throw new Error(`login ${res.status} ${await res.text()}`)
    return { cookie: m[1]! }
  }

  /** Opens `who`'s stream on node B and checks it carries `workspaceId`'s events. */
  async function streamOnB(who: Who, workspaceId: string): Promise<SseStream> {
    const s = await openSse(`${nodeB().url}/api/v1/live`, headersOf(who))
    open.push(s)
    expect(s.status).toBe(200)
    const marker = `before-${open.length}`
    nodeB().hub.publish(workspaceId, { type: 'probe', marker })
    await s.next((e) => e.event === 'probe' && e.data.marker === marker)
    return s
  }

  let afterSeq = 0
  /** Waits until node B ended `s`; then an event for `workspaceId` no longer reaches it. */
  async function expectEnded(s: SseStream, workspaceId: string): Promise<void> {
    const deadline = Date.now() + WITHIN_MS
    while (!s.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(s.ended, `stream still open ${WITHIN_MS} ms after its access was gone`).toBe(true)
    // A marker of its own: another stream's check may have published one to this workspace
    // while this stream was still open (and rightly received it).
    const marker = `after-${++afterSeq}`
    nodeB().hub.publish(workspaceId, { type: 'probe', marker })
    await new Promise((r) => setTimeout(r, 50))
    expect(s.events.filter((e) => e.data.marker === marker)).toEqual([])
  }

  /** `s` is still open after several re-checks and still receives `workspaceId`'s events. */
  async function expectOpen(s: SseStream, workspaceId: string): Promise<void> {
    await new Promise((r) => setTimeout(r, RECHECK_MS * 5))
    expect(s.ended).toBe(false)
    const marker = `still-${Math.random()}`
    nodeB().hub.publish(workspaceId, { type: 'probe', marker })
    await s.next((e) => e.data.marker === marker)
  }

  beforeAll(async () => {
    h = await throwawayDb(kind)
    await startNode()
    await startNode()
  })
  afterAll(async () => {
    for (const s of open) s.close()
    for (const n of nodes) await n.app.close()
    await h?.drop()
  })

  // Fresh accounts per case, so one case's revocation does not end another's streams.
  const fresh = async () => {
    admin = await createWorkspaceWithKey(h.db, { role: 'admin', workspaceName: 'Admin HQ' })
    alice = await createWorkspaceWithKey(h.db, { workspaceName: 'Alice Media' })
    bob = await createWorkspaceWithKey(h.db, { workspaceName: 'Bob Traffic' })
  }

  it('keeps a stream whose access holds open', async () => {
    await fresh()
    const key = await streamOnB({ key: alice.apiKey }, alice.workspaceId)
    const session = await streamOnB(await sessionOf(alice), alice.workspaceId)
    await expectOpen(key, alice.workspaceId)
    await expectOpen(session, alice.workspaceId)
  })

  it('ends the stream of a revoked API key', async () => {
    await fresh()
    const other = await createApiKey(h.db, {
      workspaceId: alice.workspaceId,
      userId: alice.userId,
      name: 'other',
      scopes: ['admin'],
    })
    const revoked = await streamOnB({ key: alice.apiKey }, alice.workspaceId)
    const kept = await streamOnB({ key: other.key }, alice.workspaceId)
    const keys = await callA({ key: other.key }, 'GET', '/api-keys')
    const id = (keys.body.items as { id: string; name: string }[]).find((k) => k.name === 'test')!.id
    expect((await callA({ key: other.key }, 'DELETE', `/api-keys/${id}`)).status).toBe(204)
    expect((await callA({ key: alice.apiKey }, 'GET', '/auth/me')).status).toBe(401)
    await expectEnded(revoked, alice.workspaceId)
    await expectOpen(kept, alice.workspaceId)
  })

  it('ends the stream of an API key that expires, and keeps a key with a later expiry', async () => {
    await fresh()
    const now = systemClock.now()
    const mk = async (name: string) =>
      createApiKey(h.db, {
        workspaceId: alice.workspaceId,
        userId: alice.userId,
        name,
        scopes: ['read'],
        expiresAt: new Date(now.getTime() + 3_600_000),
        now,
      })
    const [soon, later] = [await mk('soon'), await mk('later')]
    const ending = await streamOnB({ key: soon.key }, alice.workspaceId)
    const kept = await streamOnB({ key: later.key }, alice.workspaceId)
    // Expiry reached (set in the database, as time passing would).
    await h.db
      .update(schema.apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(schema.apiKeys.id, soon.id))
    const me = await callA({ key: soon.key }, 'GET', '/auth/me')
    expect([me.status, me.body.error?.code]).toEqual([401, 'api_key_expired'])
    await expectEnded(ending, alice.workspaceId)
    await expectOpen(kept, alice.workspaceId)
  })

  it("ends a suspended user's streams (API key and session)", async () => {
    await fresh()
    const key = await streamOnB({ key: bob.apiKey }, bob.workspaceId)
    const session = await streamOnB(await sessionOf(bob), bob.workspaceId)
    const kept = await streamOnB({ key: alice.apiKey }, alice.workspaceId)
    expect((await callA({ key: admin.apiKey }, 'POST', `/admin/users/${bob.userId}/suspend`)).status).toBe(
      200,
    )
    expect((await callA({ key: bob.apiKey }, 'GET', '/auth/me')).status).toBe(403)
    await expectEnded(key, bob.workspaceId)
    await expectEnded(session, bob.workspaceId)
    await expectOpen(kept, alice.workspaceId)
  })

  it("ends a removed member's streams in that workspace only", async () => {
    await fresh()
    // Bob joins Alice's workspace (directly: how members join is not this test's concern).
    await insertMember(h.db, alice.workspaceId, bob.userId, 'member')
    const bobKeyInAlice = await createApiKey(h.db, {
      workspaceId: alice.workspaceId,
      userId: bob.userId,
      name: 'in alice',
      scopes: ['admin'],
    })
    const bobSession = await sessionOf(bob)
    expect(
      (await callA(bobSession, 'POST', '/auth/workspace', { workspace_id: alice.workspaceId })).status,
    ).toBe(200)
    const key = await streamOnB({ key: bobKeyInAlice.key }, alice.workspaceId)
    const session = await streamOnB(bobSession, alice.workspaceId)
    const ownKey = await streamOnB({ key: bob.apiKey }, bob.workspaceId)
    const owner = await streamOnB({ key: alice.apiKey }, alice.workspaceId)
    expect((await callA({ key: alice.apiKey }, 'DELETE', `/workspace/members/${bob.userId}`)).status).toBe(
      204,
    )
    expect((await callA({ key: bobKeyInAlice.key }, 'GET', '/auth/me')).status).toBe(401)
    await expectEnded(key, alice.workspaceId)
    await expectEnded(session, alice.workspaceId)
    await expectOpen(ownKey, bob.workspaceId)
    await expectOpen(owner, alice.workspaceId)
  })

  it('ends the stream of a session that logged out', async () => {
    await fresh()
    const gone = await sessionOf(alice)
    const stays = await sessionOf(alice)
    const s = await streamOnB(gone, alice.workspaceId)
    const kept = await streamOnB(stays, alice.workspaceId)
    expect((await callA(gone, 'POST', '/auth/logout')).status).toBe(204)
    await expectEnded(s, alice.workspaceId)
    await expectOpen(kept, alice.workspaceId)
  })

  it('ends the stream of a session that moved to another workspace', async () => {
    await fresh()
    const session = await sessionOf(admin)
    const s = await streamOnB(session, admin.workspaceId)
    expect(
      (await callA(session, 'POST', '/auth/workspace', { workspace_id: alice.workspaceId })).status,
    ).toBe(200)
    await expectEnded(s, admin.workspaceId)
  })

  it('ends an admin-view stream of a foreign workspace when the admin role goes', async () => {
    await fresh()
    const session = await sessionOf(admin)
    expect((await callA(session, 'POST', '/auth/workspace', { workspace_id: bob.workspaceId })).status).toBe(
      200,
    )
    const s = await streamOnB(session, bob.workspaceId)
    const kept = await streamOnB({ key: bob.apiKey }, bob.workspaceId)
    await expectOpen(s, bob.workspaceId)
    // No route demotes an admin; an operator does it in the database.
    await h.db.update(schema.users).set({ role: 'user' }).where(eq(schema.users.id, admin.userId))
    expect((await callA(session, 'GET', '/auth/me')).status).toBe(401)
    await expectEnded(s, bob.workspaceId)
    await expectOpen(kept, bob.workspaceId)
  })
})
