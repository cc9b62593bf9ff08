/**
 * The attempt limiter over a real database — PGlite and PostgreSQL: two limiters standing
 * for two processes share one count (on PostgreSQL each has its own connection pool), the
 * count is atomic under concurrent attempts, a reset clears it for both, and the window
 * ends after `windowMs`. The library reads `Date.now()` itself, so the window test moves
 * only `Date` (vitest's fake `Date`; timers and I/O stay real).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createLoginLimiter, createMemoryLoginLimiter } from '../src/modules/accounts/index.ts'
import { type DbHandle, openDb } from '../src/platform/db/client.ts'
import { throwawayDb } from './helpers/pg.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>

describe.each(['pglite', 'postgres'] as const)('login limiter on %s', (kind) => {
  let h: Handle
  /** The "second process": its own pool on PostgreSQL; PGlite is one embedded instance. */
  let other: DbHandle

  beforeAll(async () => {
    h = await throwawayDb(kind)
    other = kind === 'postgres' ? await openDb({ databaseUrl: h.url, pgDir: '' }) : h
  })
  afterAll(async () => {
    if (other && other !== h) await other.close()
    await h?.drop()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('two limiters over one database share the count; a reset clears it for both', async () => {
    const a = await createLoginLimiter({ sql: h.raw, max: 3 })
    const b = await createLoginLimiter({ sql: other.raw, max: 3 })
    const key = '203.0.113.7|victim@example.com'
    expect((await a.consume(key)).allowed).toBe(true)
    expect((await b.consume(key)).allowed).toBe(true)
    expect((await a.consume(key)).allowed).toBe(true)
    const blocked = await b.consume(key)
    expect(blocked.allowed).toBe(false)
    expect(blocked.retryAfterSeconds).toBeGreaterThan(15 * 60 - 5)
    expect(blocked.retryAfterSeconds).toBeLessThanOrEqual(15 * 60)
    expect((await a.consume(key)).allowed).toBe(false)
    // Another email from the same address has its own count.
    expect((await b.consume('203.0.113.7|other@example.com')).allowed).toBe(true)
    await a.reset(key)
    expect((await b.consume(key)).allowed).toBe(true)
  })

  it('counts every one of many concurrent attempts from both', async () => {
    const a = await createLoginLimiter({ sql: h.raw, max: 10 })
    const b = await createLoginLimiter({ sql: other.raw, max: 10 })
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).consume('198.51.100.1|spray@example.com')),
    )
    expect(results.filter((r) => r.allowed)).toHaveLength(10)
  })

  it('stores keys hashed (a 320-character email fits), in a table it creates once', async () => {
    // Several processes starting at once all create the table safely.
    const [lim] = await Promise.all(
      [h.raw, other.raw, h.raw].map((sql) => createLoginLimiter({ sql, tableName: 'limiter_probe' })),
    )
    const email = `${'x'.repeat(300)}@example.com`.padEnd(320, 'm')
    expect((await lim!.consume(`192.0.2.1|${email}`)).allowed).toBe(true)
    const { rows } = await h.raw.executeSql('SELECT key, points FROM limiter_probe', [])
    expect(rows).toEqual([{ key: expect.stringMatching(/^attempts:[0-9a-f]{64}$/), points: 1 }])
  })

  it('the window ends windowMs after its first attempt', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2031-01-01T00:00:00Z') })
    const lim = await createLoginLimiter({ sql: h.raw, max: 2, windowMs: 60_000 })
    expect((await lim.consume('k')).allowed).toBe(true)
    vi.setSystemTime(new Date('2031-01-01T00:00:20Z'))
    expect((await lim.consume('k')).allowed).toBe(true)
    expect(await lim.consume('k')).toEqual({ allowed: false, retryAfterSeconds: 40 })
    vi.setSystemTime(new Date('2031-01-01T00:00:59.999Z'))
    expect((await lim.consume('k')).allowed).toBe(false)
    vi.setSystemTime(new Date('2031-01-01T00:01:00Z'))
    expect((await lim.consume('k')).allowed).toBe(true)
  })
})

describe('login limiter in memory (apps built without one)', () => {
  it('has the same windows, and a reset clears a key', async () => {
    const lim = createMemoryLoginLimiter({ max: 2 })
    expect((await lim.consume('k')).allowed).toBe(true)
    expect((await lim.consume('k')).allowed).toBe(true)
    const blocked = await lim.consume('k')
    expect(blocked.allowed).toBe(false)
    expect(blocked.retryAfterSeconds).toBe(15 * 60)
    await lim.reset('k')
    expect((await lim.consume('k')).allowed).toBe(true)
  })

  it('refuses a window that is not whole seconds', () => {
    expect(() => createMemoryLoginLimiter({ windowMs: 1500 })).toThrow(/multiple of 1000/)
  })
})
