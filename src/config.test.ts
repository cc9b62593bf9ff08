import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('THREAD_PRIORITY', () => {
  it.each([
    { env: {}, expected: 'idle' },
    { env: { CLICKHOUSE_URL: '' }, expected: 'idle' },
    { env: { CLICKHOUSE_URL: 'http://127.0.0.1:8123' }, expected: 'off' },
    { env: { CLICKHOUSE_URL: 'http://127.0.0.1:8123', THREAD_PRIORITY: 'idle' }, expected: 'idle' },
    { env: { CLICKHOUSE_URL: 'http://127.0.0.1:8123', THREAD_PRIORITY: 'engine' }, expected: 'engine' },
    { env: { THREAD_PRIORITY: 'off' }, expected: 'off' },
  ])('$env → $expected', ({ env, expected }) => {
    expect(loadConfig(env).THREAD_PRIORITY).toBe(expected)
  })

  it('refuses an unknown mode, naming the variable', () => {
    expect(() => loadConfig({ THREAD_PRIORITY: 'low' })).toThrow(/THREAD_PRIORITY/)
  })
})

describe('COOKIE_SECURE', () => {
  it.each([
    { env: {}, expected: false },
    { env: { PUBLIC_URL: 'http://tf.example' }, expected: false },
    { env: { PUBLIC_URL: 'https://tf.example' }, expected: true },
    { env: { PUBLIC_URL: 'https://tf.example', COOKIE_SECURE: '' }, expected: true },
    { env: { PUBLIC_URL: 'https://tf.example', COOKIE_SECURE: 'false' }, expected: false },
    { env: { PUBLIC_URL: 'http://tf.example', COOKIE_SECURE: 'true' }, expected: true },
  ])('$env → $expected (https PUBLIC_URL turns it on; an explicit value wins)', ({ env, expected }) => {
    expect(loadConfig(env).COOKIE_SECURE).toBe(expected)
  })

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => loadConfig({ COOKIE_SECURE: 'maybe' })).toThrow(/COOKIE_SECURE/)
  })
})

describe('URL settings', () => {
  it.each([
    ['PUBLIC_URL', 'javascript:alert(1)'],
    ['PUBLIC_URL', 'ftp://tf.example'],
    ['CLICKHOUSE_URL', 'file:///etc/passwd'],
    ['CLICKHOUSE_URL', 'gopher://127.0.0.1:8123'],
  ])('%s=%s is refused, naming the variable (only http(s))', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name))
  })

  it('accepts http(s) and treats empty as unset', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://tf.example/' }).publicUrl).toBe('https://tf.example')
    expect(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123' }).CLICKHOUSE_URL).toBe(
      'http://127.0.0.1:8123',
    )
    expect(loadConfig({ CLICKHOUSE_URL: '' }).CLICKHOUSE_URL).toBeUndefined()
  })
})
