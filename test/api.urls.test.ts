/**
 * Configured URLs at save time (issue 13, defect 6): every URL is http(s), refused with a
 * 400 naming the field; URLs the platform fetches (health checks, outbound postbacks) are
 * also refused when their host is private unless the operator allows it. Nothing is saved
 * on a 400. Redirect targets (destination URL, trafficback URL) may name any host.
 */
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
type Json = Record<string, any>

describe('configured URLs', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let strict: FastifyInstance
  let lenient: FastifyInstance
  let key: string

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    strict = await testApiApp(h.db)
    lenient = await testApiApp(h.db, {
      config: testConfig({ HEALTHCHECK_ALLOW_PRIVATE: 'true', OUTBOUND_ALLOW_PRIVATE: 'true' }),
    })
    key = (await createWorkspaceWithKey(h.db)).apiKey
  })
  afterAll(async () => {
    await strict?.close()
    await lenient?.close()
    await h?.drop()
  })

  const call = async (app: FastifyInstance, method: string, url: string, payload?: Json) => {
    const res = await app.inject({
      method: method as 'POST',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.json() as Json }
  }
  const count = async (what: string) => (await call(strict, 'GET', `/${what}?limit=500`)).body.total as number
  const refused = async (r: { status: number; body: Json }, path: string) => {
    expect(r.status, JSON.stringify(r.body)).toBe(400)
    expect(r.body.error.code).toBe('validation_failed')
    expect(r.body.error.details.map((d: Json) => d.path)).toContain(path)
  }

  it('a javascript: (or data:, file:) trafficback URL is a 400 naming trafficback.url; nothing is saved', async () => {
    const before = await count('campaigns')
    for (const url of ['javascript:alert(document.domain)', 'data:text/html,hi', 'file:///etc/passwd']) {
      await refused(
        await call(strict, 'POST', '/campaigns', {
          name: 'c',
          alias: 'js-tb',
          trafficback: { type: 'url', url },
        }),
        'trafficback.url',
      )
    }
    expect(await count('campaigns')).toBe(before)
    // A redirect target may be any http(s) host, private included: the browser goes there, not the server.
    const ok = await call(strict, 'POST', '/campaigns', {
      name: 'c',
      alias: 'tb-ok',
      trafficback: { type: 'url', url: 'http://10.1.2.3/landing' },
    })
    expect(ok.status).toBe(201)
    await refused(
      await call(strict, 'PATCH', `/campaigns/${ok.body.id}`, {
        trafficback: { type: 'url', url: 'javascript:alert(1)' },
      }),
      'trafficback.url',
    )
  })

  it('health-check URLs: http(s) only, and no private host unless HEALTHCHECK_ALLOW_PRIVATE', async () => {
    const dest = { name: 'd', url: 'https://offer.example/?c={click_id}' }
    const before = await count('destinations')
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      'http://127.0.0.1:8080/health',
      'http://[::ffff:169.254.169.254]/',
      'http://2130706433/',
    ]) {
      await refused(
        await call(strict, 'POST', '/destinations', { ...dest, health_check: { enabled: true, url } }),
        'health_check.url',
      )
    }
    // An enabled check without its own URL probes the destination URL: that is checked too.
    await refused(
      await call(strict, 'POST', '/destinations', {
        ...dest,
        url: 'http://192.168.1.10/offer',
        health_check: { enabled: true },
      }),
      'url',
    )
    expect(await count('destinations')).toBe(before)
    // Without a health check a private destination is only a redirect target: fine.
    const plain = await call(strict, 'POST', '/destinations', { ...dest, url: 'http://192.168.1.10/offer' })
    expect(plain.status).toBe(201)
    // Turning the check on later is refused the same way.
    await refused(
      await call(strict, 'PATCH', `/destinations/${plain.body.id}`, { health_check: { enabled: true } }),
      'health_check.enabled',
    )
    // A host that does not resolve (yet) is accepted: the fetch-time guard still applies.
    const later = await call(strict, 'POST', '/destinations', {
      ...dest,
      health_check: { enabled: true, url: 'https://health.invalid/ping' },
    })
    expect(later.status).toBe(201)
    // The operator may allow private targets; the scheme rule stays.
    const allowed = await call(lenient, 'POST', '/destinations', {
      ...dest,
      health_check: { enabled: true, url: 'http://127.0.0.1:8080/health' },
    })
    expect(allowed.status).toBe(201)
    await refused(
      await call(lenient, 'POST', '/destinations', {
        ...dest,
        health_check: { enabled: true, url: 'gopher://127.0.0.1/' },
      }),
      'health_check.url',
    )
  })

  it('outbound postback URLs: http(s) only, and no private host unless OUTBOUND_ALLOW_PRIVATE', async () => {
    const before = await count('sources')
    for (const url of [
      'file:///etc/passwd',
      'gopher://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data?c={external_id}',
      'http://localhost:9000/pb',
    ]) {
      await refused(await call(strict, 'POST', '/sources', { name: 's', postback_url: url }), 'postback_url')
    }
    expect(await count('sources')).toBe(before)
    const src = await call(strict, 'POST', '/sources', {
      name: 's',
      postback_url: 'https://ts.invalid/pb?c={external_id}',
    })
    expect(src.status).toBe(201)
    await refused(
      await call(strict, 'PATCH', `/sources/${src.body.id}`, { postback_url: 'http://10.0.0.7/pb' }),
      'postback_url',
    )
    expect((await call(strict, 'GET', `/sources/${src.body.id}`)).body.postback_url).toBe(
      'https://ts.invalid/pb?c={external_id}',
    )
    const allowed = await call(lenient, 'PATCH', `/sources/${src.body.id}`, {
      postback_url: 'http://10.0.0.7/pb',
    })
    expect(allowed.status).toBe(200)
  })
})
