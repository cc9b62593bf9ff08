/**
 * Postbacks that fail authentication, and the other hostile-probe cases of `/postback`
 * (issue 13): refusals are counted but only sampled into the postback log, per-IP and
 * per-network refusal budgets answer 429, HEAD changes nothing, a far-future click ID is a
 * 400 and not a failed lookup (503). Through Fastify inject on PGlite, with embedded chDB.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateClickHouse } from '../src/modules/analytics/index.ts'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { removeTempDirs, tempDir } from './analytics.helpers.ts'
import { type Fixture, fixture, type Json } from './conversions.helpers.ts'

let ch: ClickHouseHandle
const SECRET = 'n3twork-s3cret'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

beforeAll(async () => {
  ch = await openClickHouse({ chDir: path.join(tempDir('conv-refusals-ch'), 'ch'), database: 'tf_refusals' })
  await migrateClickHouse(ch)
})
afterAll(async () => {
  await ch?.close()
  removeTempDirs()
})

describe('unauthenticated refusals are counted, and only sampled into the log', () => {
  let f: Fixture
  let net: Json
  beforeAll(async () => {
    // No rate limit here: only the sampling is under test.
    f = await fixture('pglite', ch, {}, { perIpPerMinute: 0, perNetworkPerMinute: 0, logPerMinute: 3 })
    net = await f.network(f.A.apiKey, { postback_secret: SECRET })
  })
  afterAll(async () => {
    await f?.close()
  })

  it('N refused postbacks write at most the sampled rows per (outcome, network) and are all counted', async () => {
    const N = 60
    const before = f.service.stats().outcomes
    for (let i = 0; i < N; i++) {
      const unknown = await f.get(
        `network=${UNKNOWN.slice(0, -3)}${String(i).padStart(3, '0')}&secret=x&subid=a${i}`,
      )
      expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'unknown_network' } } })
      const wrong = await f.get(`network=${net.id}&secret=wrong-${i}&subid=b${i}`)
      expect(wrong).toMatchObject({ status: 403, body: { error: { code: 'bad_secret' } } })
    }
    const after = f.service.stats().outcomes
    expect(after.unknown_network - before.unknown_network).toBe(N)
    expect(after.bad_secret - before.bad_secret).toBe(N)

    const unknownRows = (await f.logs(null)).filter((r) => r.outcome === 'unknown_network')
    const badSecretRows = (await f.logs(f.A.workspaceId)).filter((r) => r.outcome === 'bad_secret')
    expect(unknownRows.length).toBe(3)
    expect(badSecretRows.length).toBe(3)
    // Logged rows are still redacted.
    for (const r of badSecretRows) expect(r.query).toContain('secret=***')
  })

  it('a NUL behind a wrong secret is a 400 malformed, counted, and sampled like the other refusals', async () => {
    const N = 20
    const before = f.service.stats().outcomes
    const rowsBefore = (await f.logs(f.A.workspaceId)).filter((r) => r.outcome === 'malformed').length
    for (let i = 0; i < N; i++) {
      const r = await f.get(`network=${net.id}&secret=wrong-${i}&subid=n${i}%00`)
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } })
    }
    expect(f.service.stats().outcomes.malformed - before.malformed).toBe(N)
    const rows = (await f.logs(f.A.workspaceId)).filter((r) => r.outcome === 'malformed')
    expect(rows.length - rowsBefore).toBe(3)
  })

  it('an authenticated postback is still logged every time', async () => {
    const c = f.click(f.A.workspaceId)
    for (let i = 0; i < 5; i++) {
      const r = await f.get(
        `network=${net.id}&secret=${SECRET}&subid=${c.click_id}&tid=T${i}&status=bogus${i}`,
      )
      expect(r.status).toBe(400)
    }
    const rows = (await f.logs(f.A.workspaceId)).filter((r) => r.outcome === 'bad_status')
    expect(rows.length).toBe(5)
  })
})

describe('refusal budgets answer 429 per IP and per network', () => {
  let f: Fixture
  let net: Json
  let other: Json
  beforeAll(async () => {
    f = await fixture('pglite', ch, {}, { perIpPerMinute: 5, perNetworkPerMinute: 8, logPerMinute: 100 })
    net = await f.network(f.A.apiKey, { postback_secret: SECRET })
    other = await f.network(f.A.apiKey, { postback_secret: SECRET })
  })
  afterAll(async () => {
    await f?.close()
  })

  it('an IP past its budget is answered 429 in the error shape, for everything, and counted', async () => {
    const ip = { remoteAddress: '198.51.100.7' }
    for (let i = 0; i < 5; i++) {
      const r = await f.get(`network=${other.id}&secret=wrong&subid=x${i}`, ip)
      expect(r.status).toBe(403)
    }
    const limited = await f.get(`network=${UNKNOWN}&secret=wrong`, ip)
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } })
    expect(limited.body.error.message).toMatch(/this IP/)
    // Retry-After says when the budget refills (per minute: 1..60 s).
    const wait = Number(limited.headers['retry-after'])
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(60)
    // Even a valid postback from that IP waits for the window to end.
    const c = f.click(f.A.workspaceId)
    const valid = await f.get(`network=${other.id}&secret=${SECRET}&subid=${c.click_id}`, ip)
    expect(valid.status).toBe(429)
    expect(await f.conversions(f.A.workspaceId)).toEqual([])
    // Another IP is not affected.
    const elsewhere = await f.get(`network=${UNKNOWN}&secret=wrong`, { remoteAddress: '198.51.100.8' })
    expect(elsewhere.status).toBe(404)
    expect(f.service.stats().outcomes.rate_limited).toBe(2)
    // Neither request got as far as a network: logged without a workspace.
    const logged = (await f.logs(null)).filter((r) => r.outcome === 'rate_limited')
    expect(logged.length).toBe(2)
    expect(logged[0]).toMatchObject({ http_status: 429, ip: '198.51.100.7' })
  })

  it('a network past its budget answers its refusals 429, but its valid postbacks still pass', async () => {
    // One refusal per IP: only the network's budget (8) is used up.
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const r = await f.get(`network=${net.id}&secret=wrong&subid=y${i}`, {
        remoteAddress: `203.0.113.${i + 1}`,
      })
      statuses.push(r.status)
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403, 403, 429, 429])
    const limited = await f.get(`network=${net.id}&secret=wrong`, { remoteAddress: '203.0.113.100' })
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } })
    expect(limited.body.error.message).toMatch(/this network/)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    // A refusal within budget carries no Retry-After.
    expect(statuses[0]).toBe(403)
    const c = f.click(f.A.workspaceId)
    const valid = await f.get(`network=${net.id}&secret=${SECRET}&subid=${c.click_id}`, {
      remoteAddress: '203.0.113.101',
    })
    expect(valid).toMatchObject({ status: 200, body: { outcome: 'accepted' } })
  })
})

describe('HEAD and far-future click IDs', () => {
  let f: Fixture
  let net: Json
  beforeAll(async () => {
    f = await fixture('pglite', ch)
    net = await f.network(f.A.apiKey, { postback_secret: SECRET })
  })
  afterAll(async () => {
    await f?.close()
  })

  it('HEAD /postback answers 405 and changes nothing (no conversion, no log row)', async () => {
    const c = f.click(f.A.workspaceId)
    const res = await f.app.inject({
      method: 'HEAD',
      url: `/postback?network=${net.id}&secret=${SECRET}&subid=${c.click_id}&tid=H1&payout=5`,
    })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, POST')
    expect(await f.conversions(f.A.workspaceId)).toEqual([])
    expect(await f.logs(f.A.workspaceId)).toEqual([])
    expect(f.service.stats().outcomes.accepted).toBe(0)
    // The same URL as GET does convert.
    const get = await f.get(`network=${net.id}&secret=${SECRET}&subid=${c.click_id}&tid=H1&payout=5`)
    expect(get.body.outcome).toBe('accepted')
  })

  it('a far-future click ID (7ZZZ…) answers 400 malformed with a log row, not 503', async () => {
    const id = '7ZZZZZZZZZZZZZZZZZZZZZZZZZ'
    const r = await f.get(`network=${net.id}&secret=${SECRET}&subid=${id}&tid=F1`)
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } })
    expect(r.body.error.message).toMatch(/future/)
    const rows = (await f.logs(f.A.workspaceId)).filter((x) => x.transaction_id === 'F1')
    expect(rows).toMatchObject([{ outcome: 'malformed', http_status: 400, click_id: id }])
  })
})
