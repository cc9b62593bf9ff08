import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileUrlTemplate, encodeValue, MACRO_NAMES, type MacroValues, renderUrl } from './macros.ts'

describe('renderUrl', () => {
  it.each([
    [
      'https://o.example/?c={click_id}&s={sub1}',
      { click_id: 'ABC', sub1: 'x' },
      'https://o.example/?c=ABC&s=x',
    ],
    [
      'https://o.example/?s={sub1}',
      { sub1: 'a b&c=d/e?f#g' },
      'https://o.example/?s=a%20b%26c%3Dd%2Fe%3Ff%23g',
    ],
    ['https://o.example/?s={sub1}', {}, 'https://o.example/?s='],
    ['https://o.example/?x={nope}&y={sub2}', { sub2: '2' }, 'https://o.example/?x=&y=2'],
    ['https://o.example/{SUB1}', { sub1: 'up' }, 'https://o.example/up'],
    ['https://o.example/{ not a macro }/{}', {}, 'https://o.example/{ not a macro }/{}'],
    ['https://o.example{sub1}/p', { sub1: '.evil.com' }, 'https://o.example/p'],
    ['https://{sub1}@o.example/', { sub1: 'u' }, 'https://@o.example/'],
    ['https://o.example:{sub1}/', { sub1: '8080' }, 'https://o.example:/'],
    ['HTTP://O.example/p', {}, 'http://O.example/p'],
    ['https://o.example/{sub1}', { sub1: '//evil.com' }, 'https://o.example/%2F%2Fevil.com'],
    ['https://o.example/?u={sub1}', { sub1: '\ud800' }, 'https://o.example/?u=%EF%BF%BD'],
    [
      'https://o.example/?{utm_source}{utm_medium}',
      { utm_source: 'g', utm_medium: 'cpc' },
      'https://o.example/?gcpc',
    ],
    ['ftp://o.example/{sub1}', { sub1: 'x' }, ''],
    ['/relative/{sub1}', { sub1: 'x' }, ''],
    ['https:///path', {}, ''],
    ['https://:80/path', {}, ''],
  ] as [string, MacroValues, string][])('%s', (template, values, expected) => {
    expect(renderUrl(template, values)).toBe(expected)
  })

  it('precompiles into literals and macros', () => {
    const t = compileUrlTemplate('https://o.example/a/{sub1}/b?c={click_id}')
    expect(t).toMatchObject({
      ok: true,
      origin: 'https://o.example',
      literals: ['https://o.example/a/', '/b?c=', ''],
      macros: ['sub1', 'click_id'],
    })
  })

  it('reports macros dropped from the authority', () => {
    expect(compileUrlTemplate('https://a{sub1}.example/').droppedFromAuthority).toEqual(['{sub1}'])
  })

  it('encodeValue never throws', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => typeof encodeValue(s) === 'string'))
  })
})

describe('scheme and host cannot be changed by values (property)', () => {
  const hostile = fc.constantFrom(
    '//evil.com',
    '@evil.com',
    '\\\\evil.com',
    '%2F%2Fevil.com',
    '\n//evil.com',
    'http://evil.com',
    ':443@evil.com',
    '#@evil.com',
    '?x=@evil.com',
    '\u0000\t\r',
    '..\\..',
    '\ud83d',
  )
  const value = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), hostile)
  const values = fc.record(
    Object.fromEntries(MACRO_NAMES.map((n) => [n, value])) as Record<string, typeof value>,
    {
      requiredKeys: [],
    },
  )
  const macro = fc.constantFrom(...MACRO_NAMES, 'unknown', 'SUB1').map((n) => `{${n}}`)
  const literal = fc.string({
    unit: fc.constantFrom('a', 'Z', '0', '/', '?', '=', '&', '#', '%', '.', '-', '~', '@', ':', '\\'),
    maxLength: 6,
  })
  const rest = fc.array(fc.oneof(macro, literal), { maxLength: 8 }).map((parts) => parts.join(''))
  const template = fc.record({
    scheme: fc.constantFrom('http', 'https', 'HTTPS'),
    host: fc.domain(),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    authorityMacro: fc.option(macro, { nil: undefined }),
    terminator: fc.constantFrom('/', '?', '#', '\\'),
    rest,
  })

  it('new URL(rendered) keeps the template protocol and host', () => {
    fc.assert(
      fc.property(template, values, (t, v) => {
        const authority = `${t.host}${t.port === undefined ? '' : `:${t.port}`}`
        const expected = new URL(`${t.scheme}://${authority}/`)
        const tpl = `${t.scheme}://${authority}${t.authorityMacro ?? ''}${t.terminator}${t.rest}`
        const rendered = renderUrl(tpl, v as MacroValues)
        const url = new URL(rendered)
        expect(url.protocol).toBe(expected.protocol)
        expect(url.host).toBe(expected.host)
      }),
      { numRuns: 2000 },
    )
  })
})
