/**
 * Scoped, expiring API keys (issue 18) through the real API app on PGlite and PostgreSQL:
 * creating keys with scopes and an expiry, what each scope may call, expiry (401
 * `api_key_expired`, from the injected clock), editing (PATCH), keys made before scopes
 * (they act as `admin`), `last_used_ip`, the security events and change-log rows of key
 * changes (never the key), and that nobody else sees or edits a user's keys.
 */
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKey, sha256Hex } from '../src/modules/accounts/accounts.service.ts'
import { manualClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { schema } from './helpers/schema.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>

const DAY = 86_400_000

describe.each(['pglite', 'postgres'] as const)('scoped API keys on %s', (kind) => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance
  const clock = manualClock('2026-03-01T12:00:00Z')
  let A: Awaited<ReturnType<typeof createWorkspaceWithKey>>
  let B: Awaited<ReturnType<typeof createWorkspaceWithKey>>

  const call = async (
    key: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Json,
    headers: Record<string, string> = {},
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Json }
  }
  /** Creates a key with A's admin key. */
  const makeKey = async (body: Json) => {
    const r = await call(A.apiKey, 'POST', '/api-keys', body)
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    return r.body
  }
  const keyRow = async (id: string) =>
    (await h.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, id)))[0]!

  beforeAll(async () => {
    h = await throwawayDb(kind)
    // Requests from 127.0.0.1 (inject) are a trusted proxy, so X-Forwarded-For names the client.
    app = await testApiApp(h.db, { clock, config: testConfig({ TRUSTED_PROXIES: '127.0.0.1' }) })
    A = await createWorkspaceWithKey(h.db, { workspaceName: 'A' })
    B = await createWorkspaceWithKey(h.db, { workspaceName: 'B' })
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('creates keys with scopes and an expiry; the default is read only', async () => {
    const plain = await makeKey({ name: 'plain' })
    expect(plain).toMatchObject({ scopes: ['read'], expires_at: null, expired: false, last_used_ip: null })
    const expiresAt = new Date(clock.now().getTime() + 30 * DAY).toISOString()
    const k = await makeKey({ name: 'ci', scopes: ['admin', 'write'], expires_at: expiresAt })
    expect(k).toMatchObject({ name: 'ci', scopes: ['write', 'admin'], expires_at: expiresAt, expired: false })
    expect(k.key).toMatch(/^tfk_/)
    const row = await keyRow(k.id)
    expect(row.scopes.sort()).toEqual(['admin', 'write'])
    expect(row.expiresAt?.toISOString()).toBe(expiresAt)
  })

  it('refuses bad scopes and expiries, naming the field, and creates nothing', async () => {
    const before = (await h.db.select().from(schema.apiKeys)).length
    const far = new Date(clock.now().getTime() + 367 * DAY).toISOString()
    const past = new Date(clock.now().getTime() - 1000).toISOString()
    for (const [body, path] of [
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['read', 'read'] }, 'scopes'],
      [{ name: 'x', scopes: ['owner'] }, 'scopes.0'],
      [{ name: 'x', expires_at: past }, 'expires_at'],
      [{ name: 'x', expires_at: far }, 'expires_at'],
      [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
    ] as const) {
      const r = await call(A.apiKey, 'POST', '/api-keys', body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.body.error.code).toBe('validation_failed')
      expect(r.body.error.details.map((d: Json) => d.path)).toContain(path)
    }
    expect((await h.db.select().from(schema.apiKeys)).length).toBe(before)
  })

  it('a read key reads but cannot write; a write key writes but cannot manage keys', async () => {
    const read = (await makeKey({ name: 'r', scopes: ['read'] })).key
    const write = (await makeKey({ name: 'w', scopes: ['write'] })).key
    expect((await call(read, 'GET', '/sources')).status).toBe(200)
    const sourcesBefore = (await call(A.apiKey, 'GET', '/sources')).body.total
    const refused = await call(read, 'POST', '/sources', { name: 'nope' })
    expect(refused).toEqual({
      status: 403,
      body: {
        error: {
          code: 'insufficient_scope',
          message: 'this API key lacks the "write" scope required by POST /api/v1/sources',
          details: [{ path: 'scope', message: 'write' }],
        },
      },
    })
    expect((await call(A.apiKey, 'GET', '/sources')).body.total).toBe(sourcesBefore)

    expect((await call(write, 'POST', '/sources', { name: 'by write key' })).status).toBe(201)
    expect((await call(write, 'GET', '/sources')).status).toBe(200)
    for (const [method, url] of [
      ['GET', '/api-keys'],
      ['POST', '/api-keys'],
      ['GET', '/workspace'],
      ['GET', '/workspace/invitations'],
    ] as const) {
      const r = await call(
        write,
        method,
        url,
        method === 'POST' ? { name: 'escalate', scopes: ['admin'] } : undefined,
      )
      expect(r.status, `${method} ${url}`).toBe(403)
      expect(r.body.error.code).toBe('insufficient_scope')
      expect(r.body.error.details).toEqual([{ path: 'scope', message: 'admin' }])
    }
  })

  it('an expired key is refused with 401 api_key_expired, and works again once extended', async () => {
    const k = await makeKey({
      name: 'short',
      scopes: ['read'],
      expires_at: new Date(clock.now().getTime() + DAY).toISOString(),
    })
    expect((await call(k.key, 'GET', '/sources')).status).toBe(200)
    clock.advance(DAY)
    try {
      const r = await call(k.key, 'GET', '/sources')
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('api_key_expired')
      const listed = (await call(A.apiKey, 'GET', '/api-keys')).body.items.find((x: Json) => x.id === k.id)
      expect(listed.expired).toBe(true)
      // The owner gives it a new expiry: it works again.
      const later = new Date(clock.now().getTime() + 7 * DAY).toISOString()
      const p = await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { expires_at: later })
      expect(p.status).toBe(200)
      expect(p.body).toMatchObject({ expires_at: later, expired: false })
      expect((await call(k.key, 'GET', '/sources')).status).toBe(200)
    } finally {
      clock.advance(-DAY)
    }
  })

  it('PATCH edits name, scopes and expiry; a narrowed key is refused at once', async () => {
    const k = await makeKey({ name: 'editable', scopes: ['write'] })
    expect((await call(k.key, 'POST', '/sources', { name: 'before narrowing' })).status).toBe(201)
    const p = await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { name: 'renamed', scopes: ['read'] })
    expect(p.status).toBe(200)
    expect(p.body).toMatchObject({ id: k.id, name: 'renamed', scopes: ['read'], expires_at: null })
    expect((await call(k.key, 'POST', '/sources', { name: 'after narrowing' })).status).toBe(403)
    // null removes an expiry; absent fields stay.
    const exp = new Date(clock.now().getTime() + DAY).toISOString()
    expect((await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { expires_at: exp })).body.expires_at).toBe(
      exp,
    )
    const cleared = await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { expires_at: null })
    expect(cleared.body).toMatchObject({ name: 'renamed', scopes: ['read'], expires_at: null })
    // Bad edits change nothing.
    for (const body of [
      { scopes: [] },
      { expires_at: '2020-01-01T00:00:00Z' },
      { name: '' },
      { prefix: 'x' },
    ]) {
      expect((await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, body)).status, JSON.stringify(body)).toBe(
        400,
      )
    }
    const row = await keyRow(k.id)
    expect({ name: row.name, scopes: row.scopes, expiresAt: row.expiresAt }).toEqual({
      name: 'renamed',
      scopes: ['read'],
      expiresAt: null,
    })
    // A revoked key cannot be edited.
    expect((await call(A.apiKey, 'DELETE', `/api-keys/${k.id}`)).status).toBe(204)
    expect((await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { scopes: ['admin'] })).status).toBe(409)
    expect((await keyRow(k.id)).scopes).toEqual(['read'])
  })

  it('a key made before scopes existed (column default) acts as admin', async () => {
    const raw = `tfk_${'L'.repeat(43)}`
    // Inserted without scopes, as rows from before issue 18 are.
    const [row] = await h.db
      .insert(schema.apiKeys)
      .values({
        workspaceId: A.workspaceId,
        userId: A.userId,
        name: 'legacy',
        prefix: raw.slice(0, 12),
        keyHash: sha256Hex(raw),
      })
      .returning()
    expect(row!.scopes).toEqual(['admin'])
    expect((await call(raw, 'GET', '/api-keys')).status).toBe(200)
    expect((await call(raw, 'POST', '/sources', { name: 'legacy write' })).status).toBe(201)
    const listed = (await call(A.apiKey, 'GET', '/api-keys')).body.items.find((x: Json) => x.id === row!.id)
    expect(listed).toMatchObject({ scopes: ['admin'], expires_at: null, expired: false })
  })

  it('records last_used_at and the client IP (via the trusted proxy), at most once a minute', async () => {
    const k = await makeKey({ name: 'ip', scopes: ['read'] })
    await call(k.key, 'GET', '/sources', undefined, { 'x-forwarded-for': '203.0.113.7' })
    let row = await keyRow(k.id)
    expect(row.lastUsedIp).toBe('203.0.113.7')
    expect(row.lastUsedAt?.toISOString()).toBe(clock.now().toISOString())
    // Within the minute: no write, the first use stays.
    clock.advance(30_000)
    await call(k.key, 'GET', '/sources', undefined, { 'x-forwarded-for': '198.51.100.9' })
    row = await keyRow(k.id)
    expect(row.lastUsedIp).toBe('203.0.113.7')
    // After it: both are written together.
    clock.advance(31_000)
    await call(k.key, 'GET', '/sources', undefined, { 'x-forwarded-for': '198.51.100.9' })
    row = await keyRow(k.id)
    expect(row.lastUsedIp).toBe('198.51.100.9')
    expect(row.lastUsedAt?.toISOString()).toBe(clock.now().toISOString())
    const listed = (await call(A.apiKey, 'GET', '/api-keys')).body.items.find((x: Json) => x.id === k.id)
    expect(listed).toMatchObject({ last_used_ip: '198.51.100.9', last_used_at: clock.now().toISOString() })
  })

  it('another user or workspace cannot see, edit or revoke the key', async () => {
    const k = await makeKey({ name: 'private', scopes: ['read'] })
    // A second member of A, with an admin key of their own there.
    const inv = await call(A.apiKey, 'POST', '/workspace/invitations', { email: B.email, role: 'admin' })
    expect(inv.status).toBe(202)
    expect((await call(B.apiKey, 'POST', `/invitations/${inv.body.id}/accept`)).status).toBe(200)
    const bInA = await call(A.apiKey, 'GET', '/workspace')
    expect(bInA.body.members.map((m: Json) => m.user_id)).toContain(B.userId)
    const bKeyInA = (
      await createApiKey(h.db, {
        workspaceId: A.workspaceId,
        userId: B.userId,
        name: 'b in A',
        scopes: ['admin'],
      })
    ).key
    for (const other of [B.apiKey, bKeyInA]) {
      const list = (await call(other, 'GET', '/api-keys')).body.items as Json[]
      expect(list.map((x) => x.id)).not.toContain(k.id)
      expect(
        (await call(other, 'PATCH', `/api-keys/${k.id}`, { scopes: ['admin'], name: 'mine' })).status,
      ).toBe(404)
      expect((await call(other, 'DELETE', `/api-keys/${k.id}`)).status).toBe(404)
    }
    const row = await keyRow(k.id)
    expect({ name: row.name, scopes: row.scopes, revokedAt: row.revokedAt }).toEqual({
      name: 'private',
      scopes: ['read'],
      revokedAt: null,
    })
  })

  it('key changes write security events and change-log rows, never the key', async () => {
    const k = await makeKey({ name: 'audited', scopes: ['read'] })
    await call(A.apiKey, 'PATCH', `/api-keys/${k.id}`, { scopes: ['write'] }, { 'user-agent': 'audit-test' })
    await call(A.apiKey, 'DELETE', `/api-keys/${k.id}`)
    await call(A.apiKey, 'DELETE', `/api-keys/${k.id}`) // idempotent: no second event
    const events = (await h.db.select().from(schema.securityEvents)).filter(
      (e) => (e.detail as Json).key_id === k.id,
    )
    expect(events.map((e) => e.kind).sort()).toEqual([
      'api_key_created',
      'api_key_revoked',
      'api_key_updated',
    ])
    for (const e of events) {
      expect(e.userId).toBe(A.userId)
      expect(e.workspaceId).toBe(A.workspaceId)
      expect(e.email).toBe(A.email)
      expect(e.ip).toBe('127.0.0.1')
      expect(e.detail).toMatchObject({ key_id: k.id, prefix: k.prefix })
    }
    expect(events.find((e) => e.kind === 'api_key_updated')).toMatchObject({
      userAgent: 'audit-test',
      detail: { scopes: ['write'] },
    })
    const changes = await h.db.select().from(schema.changeLog).where(eq(schema.changeLog.objectId, k.id))
    expect(changes.map((c) => c.action)).toEqual(['create', 'update', 'update'])
    expect(changes.every((c) => c.objectType === 'api_key' && c.workspaceId === A.workspaceId)).toBe(true)
    expect(changes[1]!.changes).toMatchObject({ scopes: { before: ['read'], after: ['write'] } })
    expect(changes[2]!.changes).toHaveProperty('revokedAt')
    // The actor is the admin key that made the change.
    expect(changes[0]!.actorType).toBe('api_key')
    const all = JSON.stringify({ events, changes })
    expect(all).not.toContain(k.key)
    expect(all).not.toContain(sha256Hex(k.key))
  })
})
