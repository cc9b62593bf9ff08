import { describe, expect, it } from 'vitest'
import { loadConfig, parsePlans } from './config.ts'

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

describe('VISITORS_EGRESS', () => {
  it.each([
    ['', {}],
    [' US=http://127.0.0.1:8001 , ', { US: 'http://127.0.0.1:8001' }],
    [
      'US=http://127.0.0.1:8001,DE=http://user:p%2Css@proxy.de:3128/',
      { US: 'http://127.0.0.1:8001', DE: 'http://user:p%2Css@proxy.de:3128' },
    ],
    ['FR=https://fr.proxy.example', { FR: 'https://fr.proxy.example' }],
    ['JP=socks5://u:p@10.0.0.5:1080', { JP: 'socks5://u:p@10.0.0.5:1080' }],
  ])('%j → %j', (v, expected) => {
    expect(loadConfig({ VISITORS_EGRESS: v }).VISITORS_EGRESS).toEqual(expected)
  })

  it.each([
    ['us=http://127.0.0.1:8001', /VISITORS_EGRESS: bad entry "us"/],
    ['USA=http://127.0.0.1:8001', /VISITORS_EGRESS: bad entry/],
    ['http://127.0.0.1:8001', /VISITORS_EGRESS: bad entry/],
    ['US=http://a:1,US=http://b:2', /VISITORS_EGRESS: US is listed twice/],
    ['US=ftp://127.0.0.1:21', /VISITORS_EGRESS: US: want an http/],
    ['US=not a url', /VISITORS_EGRESS: US: want an http/],
    ['US=http://127.0.0.1:8001/path', /VISITORS_EGRESS: US: a proxy URL has no path/],
  ])('refuses %j, naming the variable', (v, re) => {
    expect(() => loadConfig({ VISITORS_EGRESS: v })).toThrow(re)
  })

  it('never repeats a password in its message', () => {
    let msg = ''
    try {
      loadConfig({ VISITORS_EGRESS: 'DE=http://user:s3cret@proxy.de:3128/x' })
    } catch (e) {
      msg = (e as Error).message
    }
    expect(msg).toMatch(/VISITORS_EGRESS/)
    expect(msg).not.toContain('s3cret')
  })
})

describe('parsePlans', () => {
  it('parses the default list, in order', () => {
    expect(loadConfig({}).OUTREACH_PLANS).toEqual([
      { name: 'free', dailyLimit: 20 },
      { name: 'starter', dailyLimit: 200 },
      { name: 'pro', dailyLimit: 1000 },
    ])
    expect(parsePlans(' trial : 0 , big_one:1000000')).toEqual([
      { name: 'trial', dailyLimit: 0 },
      { name: 'big_one', dailyLimit: 1_000_000 },
    ])
  })

  it.each([
    ['', /no outreach plans/],
    ['free:20,', /plan entry 2 "": write name:daily_limit/],
    ['free', /plan entry 1 "free": write name:daily_limit/],
    ['free:20,Pro:100', /plan entry 2 "Pro:100": name must be lower-case/],
    ['free:abc', /plan entry 1 "free:abc": daily limit must be a whole number/],
    ['free:-1', /plan entry 1 "free:-1": daily limit/],
    ['free:1.5', /daily limit/],
    ['free:1000001', /daily limit must be a whole number from 0 to 1000000/],
    ['free:20,free:30', /plan entry 2 "free:30": plan free is listed twice/],
  ])('refuses %j naming the entry', (text, message) => {
    expect(() => parsePlans(text)).toThrow(message)
  })

  it('stops the process naming OUTREACH_PLANS and OUTREACH_DEFAULT_PLAN', () => {
    expect(() => loadConfig({ OUTREACH_PLANS: 'free:x' })).toThrow(/OUTREACH_PLANS: plan entry 1/)
    expect(() => loadConfig({ OUTREACH_DEFAULT_PLAN: 'gold' })).toThrow(
      /OUTREACH_DEFAULT_PLAN: must name one of/,
    )
  })
})
