import { describe, expect, it } from 'vitest'
import { compileAllowlist, presentedSecret, redactSecrets, secretMatches } from './network.auth.ts'

describe('secretMatches', () => {
  it('matches only the exact secret', () => {
    expect(secretMatches('s3cret', 's3cret')).toBe(true)
    expect(secretMatches('s3cret', 's3cre')).toBe(false)
    expect(secretMatches('s3cret', 's3cret ')).toBe(false)
    expect(secretMatches('s3cret', 'S3CRET')).toBe(false)
    expect(secretMatches('s3cret', '')).toBe(false)
    expect(secretMatches('s3cret', undefined)).toBe(false)
    expect(secretMatches('', '')).toBe(false)
  })
  it('handles any length and unicode', () => {
    expect(secretMatches('ключ-🔑', 'ключ-🔑')).toBe(true)
    expect(secretMatches('a', 'a'.repeat(10_000))).toBe(false)
  })
})

describe('presentedSecret', () => {
  it('headers first, then secret, then token', () => {
    expect(presentedSecret({ 'x-postback-secret': 'h' }, { secret: 's' })).toBe('h')
    expect(presentedSecret({ 'x-postback-token': 't' }, {})).toBe('t')
    expect(presentedSecret({}, { secret: 's', token: 't' })).toBe('s')
    expect(presentedSecret({}, { token: 't' })).toBe('t')
    expect(presentedSecret({}, { secret: '' })).toBeUndefined()
    expect(presentedSecret({}, Object.create(null))).toBeUndefined()
  })
})

describe('compileAllowlist', () => {
  it('an empty list allows everyone', () => {
    const a = compileAllowlist([])
    expect(a.open).toBe(true)
    expect(a.allows('203.0.113.9')).toBe(true)
  })
  it('IPs and CIDRs, v4 and v6, IPv4-mapped addresses', () => {
    const a = compileAllowlist(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'])
    expect(a.allows('203.0.113.200')).toBe(true)
    expect(a.allows('::ffff:203.0.113.5')).toBe(true)
    expect(a.allows('198.51.100.7')).toBe(true)
    expect(a.allows('198.51.100.8')).toBe(false)
    expect(a.allows('2001:db8:1::5')).toBe(true)
    expect(a.allows('2001:db9::1')).toBe(false)
    expect(a.allows('')).toBe(false)
    expect(a.allows('not an ip')).toBe(false)
  })
  it('invalid entries match nothing (fail closed)', () => {
    const a = compileAllowlist(['10.0.0.0/33', 'bogus'])
    expect(a.open).toBe(false)
    expect(a.invalid).toEqual(['10.0.0.0/33', 'bogus'])
    expect(a.allows('10.0.0.1')).toBe(false)
    const b = compileAllowlist(['bogus', '10.0.0.0/8'])
    expect(b.allows('10.1.2.3')).toBe(true)
  })
})

describe('redactSecrets', () => {
  it('query strings and form bodies', () => {
    expect(redactSecrets('network=n&secret=abc&subid=1&token=zz', 100)).toBe(
      'network=n&secret=***&subid=1&token=***',
    )
    expect(redactSecrets('SECRET=abc', 100)).toBe('SECRET=***')
  })
  it('JSON bodies', () => {
    expect(redactSecrets('{"secret":"a\\"b","x":1,"token":12345}', 100)).toBe(
      '{"secret":"***","x":1,"token":"***"}',
    )
  })
  it("the network's secret anywhere, raw or URL-encoded", () => {
    expect(redactSecrets('a=1&key=p@ss word&b=p%40ss%20word', 200, 'p@ss word')).toBe('a=1&key=***&b=***')
    // Too short to replace blindly.
    expect(redactSecrets('a=1', 100, '1')).toBe('a=1')
  })
  it('truncates after redacting', () => {
    expect(redactSecrets(`secret=${'x'.repeat(50)}&${'y'.repeat(50)}`, 20)).toBe(`secret=***&yyyyyyyyy…`)
  })
})
