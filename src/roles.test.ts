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
  it('all runs on the embedded default', () => {
    expect(
      roleProblems('all', {
        DATABASE_URL: undefined,
        CLICKHOUSE_URL: undefined,
        EVENT_LOG: 'none',
        SECRETS_KEY: undefined,
      }),
    ).toEqual([])
  })
  it('other roles need PostgreSQL and one SECRETS_KEY', () => {
    for (const role of ['traffic', 'api', 'worker'] as const) {
      const p = roleProblems(role, {
        DATABASE_URL: undefined,
        CLICKHOUSE_URL: undefined,
        EVENT_LOG: 'nats',
        SECRETS_KEY: undefined,
      })
      expect(p.join('\n')).toMatch(/DATABASE_URL/)
      expect(p.join('\n')).toMatch(/SECRETS_KEY/)
      expect(
        roleProblems(role, {
          DATABASE_URL: pg,
          CLICKHOUSE_URL: undefined,
          EVENT_LOG: 'nats',
          SECRETS_KEY: key,
        }),
      ).toEqual([])
    }
  })
  it('traffic needs an event log or a ClickHouse server', () => {
    expect(
      roleProblems('traffic', {
        DATABASE_URL: pg,
        CLICKHOUSE_URL: undefined,
        EVENT_LOG: 'none',
        SECRETS_KEY: key,
      })[0],
    ).toMatch(/EVENT_LOG=nats/)
    expect(
      roleProblems('traffic', {
        DATABASE_URL: pg,
        CLICKHOUSE_URL: undefined,
        EVENT_LOG: 'nats',
        SECRETS_KEY: key,
      }),
    ).toEqual([])
    expect(
      roleProblems('traffic', {
        DATABASE_URL: pg,
        CLICKHOUSE_URL: 'http://ch:8123',
        EVENT_LOG: 'none',
        SECRETS_KEY: key,
      }),
    ).toEqual([])
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
