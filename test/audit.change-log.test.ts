/**
 * The change log end to end on a real database (PGlite and PostgreSQL) through the real
 * admin API: every configuration object type writes one row per create/update/delete with
 * the right actor, IP and only the changed fields; failed writes leave no row; a failing
 * change-log insert rolls the change back; secrets are redacted; another workspace sees
 * nothing; CSV, filters, security events and retention.
 */
import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pruneAudit } from '../src/modules/audit/index.ts'
import { recordSecurityEvent } from '../src/modules/accounts/accounts.security-events.ts'
import { changeLog } from '../src/platform/changelog/index.ts'
import { rowsOf } from '../src/platform/db/client.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
// biome-ignore lint/suspicious/noExplicitAny: rows of a log read loosely (index access without checks)
type Rows = any
const IP = '203.0.113.7'
const CSRF = { 'x-requested-with': 'traffoflex' }

describe.each(['pglite', 'postgres'] as const)('change log on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let cookieA: string

  const call = async (auth: string, method: string, url: string, payload?: unknown) => {
    const headers: Record<string, string> =
      auth.startsWith('tf_session=') || auth.includes('=')
        ? { cookie: auth, ...CSRF }
        : { authorization: `Bearer ${auth}` }
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers,
      remoteAddress: IP,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    })
    const isJson = (res.headers['content-type'] ?? '').toString().includes('json')
    return {
      status: res.statusCode,
      body: (isJson && res.body ? res.json() : {}) as Json,
      text: res.body,
      res,
    }
  }
  const ok = async (auth: string, method: string, url: string, payload?: unknown) => {
    const r = await call(auth, method, url, payload)
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`)
    return r.body
  }
  /** The change log of object `id` (oldest first) as workspace A's key sees it. */
  const logOf = async (id: string, auth = A.apiKey): Promise<Rows> => {
    const r = await ok(auth, 'GET', `/change-log?object_id=${id}&limit=500`)
    return (r.items as Json[]).reverse()
  }
  const rawRows = async () => rowsOf<Json>(await h.db.execute(sql`select * from change_log order by id`))

  beforeAll(async () => {
    h = await throwawayDb(kind)
    A = await createWorkspaceWithKey(h.db, { workspaceName: 'A' })
    B = await createWorkspaceWithKey(h.db, { workspaceName: 'B' })
    app = await testApiApp(h.db)
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: A.email, password: A.password },
    })
    expect(login.statusCode).toBe(200)
    cookieA = String(login.headers['set-cookie']).split(';')[0]!
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('records create, update and delete of every routing object type, with actor, IP and only changed fields', async () => {
    const src = await ok(A.apiKey, 'POST', '/sources', { name: 'src one' })
    const net = await ok(A.apiKey, 'POST', '/networks', {
      name: 'net one',
      postback_secret: 'sekrit-value-123',
    })
    const off = await ok(A.apiKey, 'POST', '/destinations', {
      name: 'offer one',
      url: 'https://o.test/',
      network_id: net.id,
    })
    const off2 = await ok(A.apiKey, 'POST', '/destinations', { name: 'offer two', url: 'https://o2.test/' })
    const lan = await ok(A.apiKey, 'POST', '/landers', { name: 'lander one', url: 'https://l.test/' })
    const camp = await ok(cookieA, 'POST', '/campaigns', {
      name: 'camp one',
      alias: `cl-${kind}`,
      source_id: src.id,
    })
    const str = await ok(A.apiKey, 'POST', '/streams', {
      campaign_id: camp.id,
      name: 'stream one',
      destinations: [{ destination_id: off.id }],
    })

    for (const [obj, type] of [
      [src, 'source'],
      [net, 'network'],
      [off, 'offer'],
      [lan, 'lander'],
      [camp, 'campaign'],
      [str, 'stream'],
    ] as const) {
      const log = await logOf(obj.id)
      expect(log, type).toHaveLength(1)
      expect(log[0]).toMatchObject({ object_type: type, object_id: obj.id, action: 'create', ip: IP })
      expect(log[0].object_name).toBe(obj.name)
      expect(log[0].changes.name).toEqual({ after: obj.name })
      expect(log[0].changes.workspaceId).toBeUndefined()
    }
    // Actors: the session is the user's email; the key is `key <prefix> (<email>)`.
    const [campCreate] = await logOf(camp.id)
    expect(campCreate.actor).toEqual({ type: 'user', user_id: A.userId, api_key_id: null, label: A.email })
    const [srcCreate] = await logOf(src.id)
    expect(srcCreate.actor.type).toBe('api_key')
    expect(srcCreate.actor.user_id).toBe(A.userId)
    expect(srcCreate.actor.api_key_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(srcCreate.actor.label).toMatch(new RegExp(`^key \\S+ \\(${A.email.replace(/[.]/g, '\\.')}\\)$`))

    // Updates: only the changed field; a no-op update writes nothing.
    await ok(A.apiKey, 'PATCH', `/campaigns/${camp.id}`, { name: 'camp renamed' })
    await ok(A.apiKey, 'PATCH', `/campaigns/${camp.id}`, { name: 'camp renamed' })
    let log = await logOf(camp.id)
    expect(log).toHaveLength(2)
    expect(log[1].action).toBe('update')
    expect(log[1].changes).toEqual({ name: { before: 'camp one', after: 'camp renamed' } })

    // A stream's offer and lander lists are part of it.
    await ok(A.apiKey, 'PATCH', `/streams/${str.id}`, {
      destinations: [{ destination_id: off2.id }],
      landers: [{ lander_id: lan.id }],
    })
    log = await logOf(str.id)
    expect(log).toHaveLength(2)
    expect(Object.keys(log[1].changes).sort()).toEqual(['destinations', 'landers'])
    expect(log[1].changes.destinations.before[0].destinationId).toBe(off.id)
    expect(log[1].changes.destinations.after[0].destinationId).toBe(off2.id)

    // Deletes.
    await ok(A.apiKey, 'DELETE', `/streams/${str.id}`)
    await ok(A.apiKey, 'DELETE', `/landers/${lan.id}`)
    for (const id of [str.id, lan.id]) {
      const l = await logOf(id)
      expect(l.at(-1)).toMatchObject({ action: 'delete' })
      expect(l.at(-1).changes.name).toEqual({ before: id === str.id ? 'stream one' : 'lander one' })
    }
  })

  it('redacts the network postback secret: set, changed and cleared, never its value', async () => {
    const net = await ok(A.apiKey, 'POST', '/networks', {
      name: 'secret net',
      postback_secret: 'first-SECRET-aaa',
    })
    await ok(A.apiKey, 'PATCH', `/networks/${net.id}`, { postback_secret: 'second-SECRET-bbb' })
    await ok(A.apiKey, 'PATCH', `/networks/${net.id}`, { postback_secret: null })
    const log = await logOf(net.id)
    expect(log.map((l: Json) => l.changes.postbackSecret)).toEqual([
      { after: '[redacted]' },
      { before: '[redacted]', after: '[redacted]' },
      { before: '[redacted]', after: null },
    ])
    const all = JSON.stringify(await rawRows())
    expect(all).not.toContain('first-SECRET')
    expect(all).not.toContain('second-SECRET')
    expect(all).not.toContain('sekrit-value')
  })

  it('list toolkit: bulk actions, clone and tags each log their rows', async () => {
    const c1 = await ok(A.apiKey, 'POST', '/campaigns', { name: 'bulk one', alias: `b1-${kind}` })
    const c2 = await ok(A.apiKey, 'POST', '/campaigns', { name: 'bulk two', alias: `b2-${kind}` })
    const off = await ok(A.apiKey, 'POST', '/destinations', { name: 'clone offer', url: 'https://c.test/' })
    await ok(A.apiKey, 'POST', '/streams', {
      campaign_id: c1.id,
      name: 'to clone',
      destinations: [{ destination_id: off.id }],
    })
    await ok(A.apiKey, 'POST', '/campaigns/bulk', { ids: [c1.id, c2.id], action: 'pause' })
    for (const c of [c1, c2]) {
      const l = await logOf(c.id)
      expect(l.at(-1)).toMatchObject({
        action: 'update',
        changes: { status: { before: 'active', after: 'paused' } },
      })
    }
    await ok(A.apiKey, 'PATCH', `/campaigns/${c2.id}`, { tags: ['vip'] })
    expect((await logOf(c2.id)).at(-1).changes).toEqual({ tags: { before: [], after: ['vip'] } })
    const clone = await ok(A.apiKey, 'POST', `/campaigns/${c1.id}/clone`, {})
    const cl = await logOf(clone.id)
    expect(cl).toHaveLength(1)
    expect(cl[0]).toMatchObject({ action: 'create', object_type: 'campaign', object_name: 'bulk one (copy)' })
    const streams = await ok(A.apiKey, 'GET', `/change-log?object_type=stream&q=to%20clone&action=create`)
    expect(streams.total).toBe(2)
    // A saved source template.
    const src = await ok(A.apiKey, 'POST', '/sources', { name: 'tpl src' })
    const tpl = await ok(A.apiKey, 'POST', `/sources/${src.id}/save-as-template`, { name: 'my template' })
    const tid = tpl.id ?? tpl.key
    await ok(A.apiKey, 'DELETE', `/source-templates/${tid}`)
    const tl = await logOf(tid)
    expect(tl.map((l: Json) => [l.object_type, l.action])).toEqual([
      ['source_template', 'create'],
      ['source_template', 'delete'],
    ])
  })

  it('a refused write (bad reference, conflict) changes nothing and logs nothing', async () => {
    const camp = await ok(A.apiKey, 'POST', '/campaigns', { name: 'atomic', alias: `at-${kind}` })
    const before = (await rawRows()).length
    const bad = await call(A.apiKey, 'PATCH', `/campaigns/${camp.id}`, {
      name: 'should not stick',
      source_id: '00000000-0000-4000-8000-000000000000',
    })
    expect(bad.status).toBe(400)
    const taken = await call(A.apiKey, 'PATCH', `/campaigns/${camp.id}`, {
      name: 'nope',
      alias: `cl-${kind}`,
    })
    expect(taken.status).toBe(409)
    expect((await rawRows()).length).toBe(before)
    expect((await ok(A.apiKey, 'GET', `/campaigns/${camp.id}`)).name).toBe('atomic')
  })

  it('a change whose change-log row fails is rolled back', async () => {
    // A trigger refuses change-log rows of objects named "boom": the write must fail whole.
    await h.db.execute(sql`
      create or replace function refuse_boom() returns trigger language plpgsql as $$
      begin if new.object_name = 'boom' then raise exception 'change log refused'; end if; return new; end $$`)
    await h.db.execute(
      sql`create trigger change_log_refuse before insert on change_log for each row execute function refuse_boom()`,
    )
    try {
      const r = await call(A.apiKey, 'POST', '/sources', { name: 'boom' })
      expect(r.status).toBe(500)
      const list = await ok(A.apiKey, 'GET', '/sources?q=boom')
      expect(list.total).toBe(0)
      const src = await ok(A.apiKey, 'POST', '/sources', { name: 'fine' })
      const upd = await call(A.apiKey, 'PATCH', `/sources/${src.id}`, { name: 'boom' })
      expect(upd.status).toBe(500)
      expect((await ok(A.apiKey, 'GET', `/sources/${src.id}`)).name).toBe('fine')
    } finally {
      await h.db.execute(sql`drop trigger change_log_refuse on change_log`)
    }
  })

  it('members and invitations: invite, accept, role change, removal', async () => {
    const C = await createWorkspaceWithKey(h.db)
    const inv = await ok(cookieA, 'POST', '/workspace/invitations', { email: C.email, role: 'member' })
    const invId = inv.id ?? inv.invitation?.id
    const loginC = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: C.email, password: C.password },
    })
    const cookieC = String(loginC.headers['set-cookie']).split(';')[0]!
    await ok(cookieC, 'POST', `/invitations/${invId}/accept`)
    await ok(cookieA, 'PATCH', `/workspace/members/${C.userId}`, { role: 'admin' })
    await ok(cookieA, 'DELETE', `/workspace/members/${C.userId}`)
    const il = await logOf(invId)
    expect(il[0]).toMatchObject({ object_type: 'invitation', action: 'create', object_name: C.email })
    expect(JSON.stringify(il)).not.toMatch(/token/i)
    const ml = await logOf(C.userId)
    expect(ml.map((l: Json) => [l.object_type, l.action, l.object_name])).toEqual([
      ['member', 'create', C.email],
      ['member', 'update', C.email],
      ['member', 'delete', C.email],
    ])
    expect(ml[0].actor.label).toBe(C.email)
    expect(ml[1].changes).toEqual({ role: { before: 'member', after: 'admin' } })
    expect(ml[2].actor.label).toBe(A.email)
  })

  it("workspace isolation: B cannot list or export A's rows, not even by object id", async () => {
    const src = await ok(A.apiKey, 'POST', '/sources', { name: 'A private source' })
    const byId = await ok(B.apiKey, 'GET', `/change-log?object_id=${src.id}`)
    expect(byId).toEqual({ items: [], total: 0 })
    const all = await ok(B.apiKey, 'GET', '/change-log?limit=500')
    expect(JSON.stringify(all)).not.toContain('A private source')
    const csv = await call(B.apiKey, 'GET', `/change-log.csv?object_id=${src.id}`)
    expect(csv.status).toBe(200)
    expect(csv.text.trim().split('\r\n')).toHaveLength(1)
    expect(csv.text).not.toContain('A private source')
  })

  it('CSV: one line per changed field, values JSON-encoded', async () => {
    const src = await ok(A.apiKey, 'POST', '/sources', { name: 'csv src' })
    await ok(A.apiKey, 'PATCH', `/sources/${src.id}`, { name: 'csv, "quoted"', notes: 'n' })
    const r = await call(A.apiKey, 'GET', `/change-log.csv?object_id=${src.id}&action=update`)
    expect(r.status).toBe(200)
    expect(r.res.headers['content-type']).toMatch(/^text\/csv/)
    expect(r.res.headers['content-disposition']).toMatch(/^attachment; filename="traffoflex-change-log-/)
    const lines = r.text.trim().split('\r\n')
    expect(lines[0]).toBe('at,actor,ip,object_type,object_id,object_name,action,field,before,after')
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain(`,${IP},source,${src.id},`)
    expect(lines[1]).toContain(',update,name,"""csv src""","""csv, \\""quoted\\""""')
    expect(lines[2]).toContain(',notes,"""""","""n"""')
  })

  it('filters: actor, action, object type, q, time range, paging; bad input is a 400', async () => {
    const all = await ok(A.apiKey, 'GET', '/change-log?limit=500')
    expect(all.total).toBeGreaterThan(10)
    const newestFirst = (all.items as Json[]).map((i) => i.at)
    expect([...newestFirst].sort().reverse()).toEqual(newestFirst)
    const byUser = await ok(A.apiKey, 'GET', `/change-log?actor=${encodeURIComponent(A.email)}&limit=500`)
    expect(byUser.items.every((i: Json) => i.actor.label.includes(A.email))).toBe(true)
    const sessions = await ok(A.apiKey, 'GET', `/change-log?actor=${A.userId}&limit=500`)
    expect(sessions.total).toBe(
      all.total - 0 - (all.items as Json[]).filter((i) => i.actor.user_id !== A.userId).length,
    )
    const deletes = await ok(A.apiKey, 'GET', '/change-log?action=delete&limit=500')
    expect(deletes.items.every((i: Json) => i.action === 'delete')).toBe(true)
    const nets = await ok(A.apiKey, 'GET', '/change-log?object_type=network&limit=500')
    expect(nets.items.every((i: Json) => i.object_type === 'network')).toBe(true)
    const page = await ok(A.apiKey, 'GET', '/change-log?limit=2&offset=1')
    expect(page.items.map((i: Json) => i.id)).toEqual(all.items.slice(1, 3).map((i: Json) => i.id))
    const future = await ok(A.apiKey, 'GET', '/change-log?from=2999-01-01T00:00:00Z')
    expect(future.total).toBe(0)
    const past = await ok(A.apiKey, 'GET', '/change-log?to=2000-01-01T00:00:00Z')
    expect(past.total).toBe(0)
    expect((await call(A.apiKey, 'GET', '/change-log?limit=501')).status).toBe(400)
    expect((await call(A.apiKey, 'GET', '/change-log?nope=1')).status).toBe(400)
    expect((await call(A.apiKey, 'GET', '/change-log?from=yesterday')).status).toBe(400)
  })

  it('security events: the workspace and its members, owners and admins only', async () => {
    // Keys created through the API by earlier tests recorded their own api_key_created events.
    const keysBefore = Number((await ok(A.apiKey, 'GET', '/security-events?kind=api_key_created')).total)
    await recordSecurityEvent(h.db, { kind: 'sign_in', userId: A.userId, email: A.email, ip: IP })
    await recordSecurityEvent(h.db, { kind: 'api_key_created', userId: A.userId, workspaceId: A.workspaceId })
    await recordSecurityEvent(h.db, { kind: 'sign_in', userId: B.userId, email: B.email })
    const r = await ok(A.apiKey, 'GET', '/security-events')
    const kinds = (r.items as Json[]).map((i) => [i.kind, i.email])
    expect(kinds).toContainEqual(['sign_in', A.email])
    expect(kinds).toContainEqual(['api_key_created', null])
    expect(JSON.stringify(r)).not.toContain(B.email)
    const f = await ok(A.apiKey, 'GET', '/security-events?kind=api_key_created')
    expect(f.total).toBe(keysBefore + 1)
    expect((f.items as Json[]).every((i) => i.kind === 'api_key_created')).toBe(true)
    const csv = await call(A.apiKey, 'GET', '/security-events.csv')
    expect(csv.status).toBe(200)
    expect(csv.text.split('\r\n')[0]).toBe('at,kind,user_id,email,ip,user_agent,detail')
    expect(csv.text).toContain(A.email)
    // A plain member of A gets 403.
    const D = await createWorkspaceWithKey(h.db)
    await h.db.execute(
      sql`insert into workspace_members (workspace_id, user_id, role) values (${A.workspaceId}, ${D.userId}, 'member')`,
    )
    const loginD = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: D.email, password: D.password },
    })
    const cookieD = String(loginD.headers['set-cookie']).split(';')[0]!
    await ok(cookieD, 'POST', '/auth/workspace', { workspace_id: A.workspaceId })
    expect((await call(cookieD, 'GET', '/security-events')).status).toBe(403)
    expect((await call(cookieD, 'GET', '/security-events.csv')).status).toBe(403)
    // …who may still read the change log.
    expect((await call(cookieD, 'GET', '/change-log')).status).toBe(200)
  })

  it('retention deletes old rows only, in batches; 0 keeps them', async () => {
    const old = new Date(Date.now() - 400 * 86_400_000)
    await h.db.insert(changeLog).values(
      Array.from({ length: 7 }, (_, i) => ({
        workspaceId: A.workspaceId,
        at: old,
        actorType: 'system' as const,
        actorLabel: 'test',
        objectType: 'source',
        objectId: `old-${i}`,
        action: 'create' as const,
        changes: {},
      })),
    )
    await h.db.execute(
      sql`insert into security_events (kind, user_id, workspace_id, at) values ('sign_in', ${A.userId}, ${A.workspaceId}, ${old.toISOString()})`,
    )
    const before = (await rawRows()).length
    const kept = await pruneAudit({ db: h.db, changeLogDays: 0, securityEventsDays: 0 })
    expect(kept).toEqual({ changeLog: 0, securityEvents: 0 })
    const r = await pruneAudit({ db: h.db, changeLogDays: 365, securityEventsDays: 365, batchSize: 3 })
    expect(r).toEqual({ changeLog: 7, securityEvents: 1 })
    expect((await rawRows()).length).toBe(before - 7)
    expect((await ok(A.apiKey, 'GET', '/change-log?q=old-')).total).toBe(0)
  })
})
