import { describe, expect, it } from 'vitest'
import { opensClickHouse, roleFromArgs, roleParts, roleProblems } from './roles.ts'

describe('roleParts', () => {
  it.each([
    ['all', { redirects: true, api: true, background: true, bootstrap: true }],
    ['traffic', { redirects: true, api: false, background: false, bootstrap: false }],
    ['api', { redirects: false, api: true, background: false, bootstrap: true }],
    ['worker', { redirects: false, api: false, background: true, bootstrap: false }],
  ] as const)('%s', (role, parts) => {
    expect(roleParts(role)).toEqual(parts)
  })
})

describe('roleProblems', () => {
  const pg = 'postgres://127.0.0.1/x'
  const key = 'a'.repeat(64)
  const shared = {
    DATABASE_URL: pg,
    CLICKHOUSE_URL: undefined,
    CLICKHOUSE_EMBEDDED: true,
    EVENT_LOG: 'nats' as const,
    SECRETS_KEY: key,
  }
  it('all runs on the embedded default', () => {
    expect(
      roleProblems('all', { ...shared, DATABASE_URL: undefined, SECRETS_KEY: undefined, EVENT_LOG: 'none' }),
    ).toEqual([])
  })
  it('other roles need PostgreSQL and one SECRETS_KEY', () => {
    for (const role of ['traffic', 'api', 'worker'] as const) {
      const p = roleProblems(role, { ...shared, DATABASE_URL: undefined, SECRETS_KEY: undefined }).join('\n')
      expect(p).toMatch(/DATABASE_URL/)
      expect(p).toMatch(/SECRETS_KEY/)
      expect(roleProblems(role, shared)).toEqual([])
    }
  })
  it('a process without ClickHouse needs an event log (or a ClickHouse server)', () => {
    const none = { ...shared, EVENT_LOG: 'none' as const }
    expect(roleProblems('traffic', none)[0]).toMatch(/--role=traffic .*EVENT_LOG=nats/)
    expect(roleProblems('api', none)[0]).toMatch(/EVENT_LOG=nats/)
    expect(roleProblems('worker', { ...none, CLICKHOUSE_EMBEDDED: false })[0]).toMatch(/EVENT_LOG=nats/)
    expect(roleProblems('worker', none)).toEqual([])
    expect(roleProblems('traffic', { ...none, CLICKHOUSE_URL: 'http://ch:8123' })).toEqual([])
  })
})

describe('opensClickHouse', () => {
  const embedded = { CLICKHOUSE_URL: undefined, CLICKHOUSE_EMBEDDED: true }
  it('traffic and api only with a server', () => {
    expect(opensClickHouse('traffic', embedded)).toBe(false)
    expect(opensClickHouse('api', embedded)).toBe(false)
    expect(opensClickHouse('api', { ...embedded, CLICKHOUSE_URL: 'http://ch:8123' })).toBe(true)
  })
  it('a worker opens chDB unless told not to; all always', () => {
    expect(opensClickHouse('worker', embedded)).toBe(true)
    expect(opensClickHouse('worker', { ...embedded, CLICKHOUSE_EMBEDDED: false })).toBe(false)
    expect(opensClickHouse('worker', { CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_EMBEDDED: false })).toBe(
      true,
    )
    expect(opensClickHouse('all', { ...embedded, CLICKHOUSE_EMBEDDED: false })).toBe(true)
  })
})

describe('roleFromArgs', () => {
  it('reads --role=x and --role x; absent → undefined', () => {
    expect(roleFromArgs(['serve'])).toBeUndefined()
    expect(roleFromArgs(['serve', '--role=traffic'])).toBe('traffic')
    expect(roleFromArgs(['serve', '--role', 'worker'])).toBe('worker')
  })
  it('names the flag on a bad value', () => {
    expect(() => roleFromArgs(['--role=web'])).toThrow(
      /--role: "web" is not a role; use one of all, traffic, api, worker/,
    )
    expect(() => roleFromArgs(['--role'])).toThrow(/--role: "" is not a role/)
  })
})
