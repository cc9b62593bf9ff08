/**
 * Membership by invitation only (issue 13, defect 4), on PGlite and PostgreSQL, with the
 * emails going through a real loopback SMTP server and expiry on the app's manual clock:
 * nobody is added without accepting; inviting answers the same whether or not the address
 * has an account; a link works once, for its address only, for 7 days; workspaces see only
 * their own invitations.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { startSmtp, waitFor } from './helpers/smtp.ts'

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any
type User = Awaited<ReturnType<typeof createWorkspaceWithKey>>

const SEVEN_DAYS_MS = 7 * 24 * 3_600_000

describe.each(['pglite', 'postgres'] as const)('workspace invitations on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let app: FastifyInstance
  const clock = manualClock('2031-06-01T08:00:00Z')

  const call = async (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as Json }
  }
  const tokenIn = (text: string): string => {
    const m = /http:\/\/tf\.test\/invitations\/accept#token=([A-Za-z0-9_-]+)/.exec(text)
    if (!m) throw new Error(`no invitation link in: ${text}`)
    return m[1]!
  }
  /** The token of the `nth` (0-based) invitation mailed to `email` since the test began. */
  const mailedToken = async (email: string, nth: number) =>
    tokenIn(
      (await waitFor(() => smtp.inbox.filter((m) => m.to.includes(email))[nth], `mail ${nth} to ${email}`))
        .text,
    )
  const members = async (key: string) =>
    ((await call(key, 'GET', '/workspace')).body.members as Json[]).map((m) => m.email)

  let owner: User
  let bob: User
  beforeAll(async () => {
    h = await throwawayDb(kind)
    smtp = await startSmtp()
    app = await testApiApp(h.db, {
      config: testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'TF Test <robot@tf.test>' }),
      clock,
    })
    owner = await createWorkspaceWithKey(h.db, { workspaceName: 'Acme' })
    bob = await createWorkspaceWithKey(h.db)
    await h.db.execute(`update users set name = 'Bob Secret' where id = '${bob.userId}'`)
  })
  afterAll(async () => {
    await app?.close()
    await smtp?.close()
    await h?.drop()
  })
  beforeEach(() => {
    smtp.inbox.length = 0
  })

  it('adding an existing user directly is gone: nobody joins, nothing about the account is told', async () => {
    const res = await call(owner.apiKey, 'POST', '/workspace/members', { email: bob.email, role: 'member' })
    expect(res.status).not.toBe(201)
    expect(JSON.stringify(res.body)).not.toContain(bob.userId)
    expect(JSON.stringify(res.body)).not.toContain('Bob Secret')
    expect(await members(owner.apiKey)).not.toContain(bob.email)
  })

  it('inviting answers the same for an address with an account and one without', async () => {
    const nobody = `nobody-${kind}@nowhere.test`
    const a = await call(owner.apiKey, 'POST', '/workspace/invitations', { email: bob.email, role: 'member' })
    const b = await call(owner.apiKey, 'POST', '/workspace/invitations', { email: nobody, role: 'member' })
    expect([a.status, b.status]).toEqual([202, 202])
    const shape = (j: Json, email: string) =>
      JSON.parse(
        JSON.stringify(j)
          .replaceAll(email, '<email>')
          .replace(/"id":"[^"]+"/, '"id":"<id>"'),
      )
    expect(shape(a.body, bob.email)).toEqual(shape(b.body, nobody))
    expect(JSON.stringify(a.body)).not.toContain(bob.userId)
    expect(JSON.stringify(a.body)).not.toContain('Bob Secret')
    expect(a.body).toMatchObject({ role: 'member', expired: false, workspace: { name: 'Acme' } })
    expect(Date.parse(a.body.expires_at) - clock.now().getTime()).toBe(SEVEN_DAYS_MS)
    // Both addresses get the link; nobody has joined.
    await mailedToken(bob.email, 0)
    const mail = await waitFor(() => smtp.inbox.find((m) => m.to.includes(nobody)), 'mail to nobody')
    expect(mail.subject).toBe('You are invited to Acme on traffoflex')
    expect(mail.text).toContain('Sign up with this email address')
    expect(await members(owner.apiKey)).toEqual([owner.email])
    const pending = (await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items as Json[]
    expect(pending.map((i) => i.email).sort()).toEqual([bob.email, nobody].sort())
    for (const i of pending) await call(owner.apiKey, 'DELETE', `/workspace/invitations/${i.id}`)
  })

  it('the invitee accepts once with the emailed token; a second use, another account and expiry are refused', async () => {
    const carol = await createWorkspaceWithKey(h.db)
    await call(owner.apiKey, 'POST', '/workspace/invitations', { email: bob.email, role: 'admin' })
    const token = await mailedToken(bob.email, 0)
    // Bob sees it in his own list; Carol does not.
    const mine = (await call(bob.apiKey, 'GET', '/invitations')).body.items as Json[]
    expect(mine).toMatchObject([{ email: bob.email, role: 'admin', workspace: { name: 'Acme' } }])
    expect((await call(carol.apiKey, 'GET', '/invitations')).body.items).toEqual([])
    // Carol holds the link but is not its address: refused, and the link stays Bob's.
    const wrong = await call(carol.apiKey, 'POST', '/invitations/accept', { token })
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'wrong_account'])
    expect((await call(carol.apiKey, 'POST', `/invitations/${mine[0].id}/accept`)).status).toBe(404)
    expect(await members(owner.apiKey)).not.toContain(carol.email)

    const ok = await call(bob.apiKey, 'POST', '/invitations/accept', { token })
    expect(ok).toEqual({
      status: 200,
      body: { workspace: { id: owner.workspaceId, name: 'Acme' }, role: 'admin' },
    })
    expect(await members(owner.apiKey)).toContain(bob.email)
    const again = await call(bob.apiKey, 'POST', '/invitations/accept', { token })
    expect([again.status, again.body.error.code]).toEqual([400, 'invalid_token'])
    expect((await call(bob.apiKey, 'GET', '/invitations')).body.items).toEqual([])
    expect((await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items).toEqual([])
    // A member cannot be invited again.
    const dup = await call(owner.apiKey, 'POST', '/workspace/invitations', {
      email: bob.email,
      role: 'member',
    })
    expect([dup.status, dup.body.error.code]).toEqual([409, 'already_member'])

    // Expiry on the manual clock: 7 days later the link is refused (410) and shows expired.
    await call(owner.apiKey, 'POST', '/workspace/invitations', { email: carol.email, role: 'member' })
    const late = await mailedToken(carol.email, 0)
    clock.advance(SEVEN_DAYS_MS)
    const expired = await call(carol.apiKey, 'POST', '/invitations/accept', { token: late })
    expect([expired.status, expired.body.error.code]).toEqual([410, 'invitation_expired'])
    expect((await call(carol.apiKey, 'GET', '/invitations')).body.items).toEqual([])
    const listed = (await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items as Json[]
    expect(listed).toMatchObject([{ email: carol.email, expired: true }])
    // Inviting again replaces it: a new link that works, the old one is dead.
    await call(owner.apiKey, 'POST', '/workspace/invitations', { email: carol.email, role: 'member' })
    const fresh = await mailedToken(carol.email, 1)
    expect((await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items).toHaveLength(1)
    expect((await call(carol.apiKey, 'POST', '/invitations/accept', { token: late })).status).toBe(400)
    expect((await call(carol.apiKey, 'POST', '/invitations/accept', { token: fresh })).status).toBe(200)
    expect(await members(owner.apiKey)).toContain(carol.email)
  })

  it('declining, revoking, and who may invite', async () => {
    const dan = await createWorkspaceWithKey(h.db)
    const inv = (await call(owner.apiKey, 'POST', '/workspace/invitations', { email: dan.email })).body
    expect(inv.role).toBe('member')
    await mailedToken(dan.email, 0)
    expect((await call(dan.apiKey, 'POST', `/invitations/${inv.id}/decline`)).status).toBe(204)
    expect((await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items).toEqual([])
    expect(await members(owner.apiKey)).not.toContain(dan.email)

    // Declining by the link's token; then the token is used up.
    await call(owner.apiKey, 'POST', '/workspace/invitations', { email: dan.email })
    const token = await mailedToken(dan.email, 1)
    expect((await call(dan.apiKey, 'POST', '/invitations/decline', { token })).status).toBe(204)
    expect((await call(dan.apiKey, 'POST', '/invitations/accept', { token })).status).toBe(400)

    // Revoked: the link stops working.
    const rev = (await call(owner.apiKey, 'POST', '/workspace/invitations', { email: dan.email })).body
    const revoked = await mailedToken(dan.email, 2)
    expect((await call(owner.apiKey, 'DELETE', `/workspace/invitations/${rev.id}`)).status).toBe(204)
    expect((await call(owner.apiKey, 'DELETE', `/workspace/invitations/${rev.id}`)).status).toBe(404)
    expect((await call(dan.apiKey, 'POST', '/invitations/accept', { token: revoked })).status).toBe(400)

    // Bad input is a 400 naming the field.
    const bad = await call(owner.apiKey, 'POST', '/workspace/invitations', { email: 'not-an-email' })
    expect([bad.status, bad.body.error.details[0].path]).toEqual([400, 'email'])
    const owners = await call(owner.apiKey, 'POST', '/workspace/invitations', {
      email: dan.email,
      role: 'owner',
    })
    expect(owners.status).toBe(400)

    // Bob (admin since the previous test) may invite; a plain member may not, nor list.
    const eve = await createWorkspaceWithKey(h.db)
    await h.db.execute(
      `insert into workspace_members (workspace_id, user_id, role) values ('${owner.workspaceId}', '${eve.userId}', 'member')`,
    )
    const eveKey = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: eve.email, password: eve.password },
      })
    ).cookies.find((c) => c.name === 'tf_session')!.value
    const asEve = async (method: 'GET' | 'POST', url: string, payload?: object) =>
      (
        await app.inject({
          method,
          url: `/api/v1${url}`,
          cookies: { tf_session: eveKey },
          headers: { 'x-requested-with': 'traffoflex' },
          ...(payload ? { payload } : {}),
        })
      ).statusCode
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/workspace',
      cookies: { tf_session: eveKey },
      headers: { 'x-requested-with': 'traffoflex' },
      payload: { workspace_id: owner.workspaceId },
    })
    expect(await asEve('POST', '/workspace/invitations', { email: 'x@y.test' })).toBe(403)
    expect(await asEve('GET', '/workspace/invitations')).toBe(403)
  })

  it('workspaces see and revoke only their own invitations', async () => {
    const other = await createWorkspaceWithKey(h.db, { workspaceName: 'Other' })
    const inv = (await call(owner.apiKey, 'POST', '/workspace/invitations', { email: 'iso@x.test' })).body
    expect((await call(other.apiKey, 'GET', '/workspace/invitations')).body.items).toEqual([])
    expect((await call(other.apiKey, 'DELETE', `/workspace/invitations/${inv.id}`)).status).toBe(404)
    const still = (await call(owner.apiKey, 'GET', '/workspace/invitations')).body.items as Json[]
    expect(still.map((i) => i.id)).toContain(inv.id)
  })

  it('a person without an account signs up, is approved, and accepts with the link', async () => {
    const admin = await createWorkspaceWithKey(h.db, { role: 'admin' })
    const email = `new-${kind}@later.test`
    await call(owner.apiKey, 'POST', '/workspace/invitations', { email, role: 'member' })
    const token = await mailedToken(email, 0)
    const signup = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: email.toUpperCase(), password: 'a long enough password' },
    })
    expect(signup.statusCode).toBe(201)
    await call(admin.apiKey, 'POST', `/admin/users/${signup.json().user.id}/approve`)
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: 'a long enough password' },
    })
    const cookie = login.cookies.find((c) => c.name === 'tf_session')!.value
    const accept = await app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      cookies: { tf_session: cookie },
      headers: { 'x-requested-with': 'traffoflex' },
      payload: { token },
    })
    expect(accept.json()).toMatchObject({ workspace: { name: 'Acme' }, role: 'member' })
    expect(await members(owner.apiKey)).toContain(email)
  })
})
