import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { droppedKeys, MIN_NORMAL_REAL, unsafeInput } from './input.ts'

describe('unsafeInput', () => {
  it.each([
    ['NUL in a nested string', { a: { b: ['ok', 'x\0y'] } }, 'a.b.1', /NUL/],
    ['lone high surrogate', { name: 'a\uD800' }, 'name', /surrogate/],
    ['lone low surrogate', { name: '\uDC00b' }, 'name', /surrogate/],
    ['reversed pair', { name: '\uDC00\uD800' }, 'name', /surrogate/],
    ['denormal number', { exploration: 1e-320 }, 'exploration', /zero/],
    ['negative denormal', { x: [-5e-324] }, 'x.0', /zero/],
    ['NUL in a key', { 'a\0': 1 }, '"a\\u0000"', /field name/],
    ['top-level string', 'x\0', '', /NUL/],
  ])('%s', (_name, value, path, message) => {
    const errs = unsafeInput(value)
    expect(errs).toHaveLength(1)
    expect(errs[0]!.path).toBe(path)
    expect(errs[0]!.message).toMatch(message)
  })

  it('accepts valid text, surrogate pairs, zero, -0 and normal floats', () => {
    expect(unsafeInput({ a: 'é😀', b: 0, c: -0, d: MIN_NORMAL_REAL, e: 1e308, f: [null, true] })).toEqual([])
  })

  it('property: well-formed text without NUL is always accepted, any NUL is always named', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(20), (s, at) => {
        const clean = s.replaceAll('\0', '')
        expect(unsafeInput({ v: clean })).toEqual([])
        const dirty = clean.slice(0, at) + '\0' + clean.slice(at)
        expect(unsafeInput({ v: dirty }).map((e) => e.path)).toEqual(['v'])
      }),
    )
  })
})

describe('droppedKeys', () => {
  const schema = z.strictObject({
    health_check: z.object({ enabled: z.boolean().default(false) }).optional(),
    tags: z.array(z.object({ name: z.string() })).default([]),
    query: z.record(z.string(), z.string()).default({}),
    list: z.string().transform((s) => s.split(',')),
  })

  it('names keys a nested non-strict object stripped, at any depth', () => {
    const input = {
      health_check: { enabeld: true },
      tags: [{ name: 'a' }, { name: 'b', colour: 'red' }],
      query: { any: 'kept' },
      list: 'a,b',
    }
    expect(droppedKeys(input, schema.parse(input))).toEqual([
      { path: 'health_check.enabeld', message: 'unknown field' },
      { path: 'tags.1.colour', message: 'unknown field' },
    ])
  })

  it('no keys are reported for input the schema keeps whole (defaults added are not an issue)', () => {
    const input = { tags: [{ name: 'a' }], list: 'x' }
    expect(droppedKeys(input, schema.parse(input))).toEqual([])
  })
})
