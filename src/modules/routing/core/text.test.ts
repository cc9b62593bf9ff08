import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compilePatterns, matchPatterns, queryValue } from './text.ts'

const matches = (pattern: string, input: string) =>
  matchPatterns(compilePatterns([pattern]), input.toLowerCase())

describe('wildcard patterns', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['a*', 'a', true],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['a*c', 'abbbc', true],
    ['a*c', 'ac', true],
    ['a*c', 'acb', false],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aba', false],
    ['ab*ba', 'aba', false],
    ['a**b', 'ab', true],
    ['*.*', 'a.b', true],
    ['*.*', 'ab', false],
    ['[x]?', '[X]?', true],
    ['^$', '^$', true],
  ])('%j matches %j → %s', (pattern, input, expected) => {
    expect(matches(pattern, input)).toBe(expected)
  })

  it('agrees with an escaped regular expression', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '.', '?', '(', '\n')
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: alphabet, maxLength: 12 }),
        (p, s) => {
          const source = p
            .split('*')
            .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')
          const re = new RegExp(`^${source}$`, 's')
          expect(matches(p, s)).toBe(re.test(s))
        },
      ),
    )
  })

  it('is linear enough for hostile inputs', () => {
    const set = compilePatterns(['*a*a*a*a*a*a*a*a*a*a*c*b'])
    const started = performance.now()
    expect(matchPatterns(set, `${'a'.repeat(20_000)}b`)).toBe(false)
    expect(performance.now() - started).toBeLessThan(200)
  })
})

describe('queryValue', () => {
  it('reads only own string properties', () => {
    expect(queryValue({ a: '1' }, 'a')).toBe('1')
    expect(queryValue({}, 'toString')).toBe('')
    expect(queryValue({}, '__proto__')).toBe('')
    expect(queryValue({ n: 5 } as unknown as Record<string, string>, 'n')).toBe('')
    expect(queryValue(undefined, 'a')).toBe('')
    expect(queryValue(Object.create(null), 'a')).toBe('')
  })
})
