import { describe, expect, it } from 'vitest'
import { parseSuppressionCsv } from './outreach.routes.ts'

describe('parseSuppressionCsv', () => {
  it('takes the email column of a header, skips blank lines, keeps quoted commas, names bad lines', () => {
    expect(parseSuppressionCsv('name,email\nA,a@x.test\n\n"B, Jr",not-an-email\n"C","C@Y.test"\n')).toEqual({
      valid: ['a@x.test', 'c@y.test'],
      invalid: [{ line: 4, value: 'not-an-email' }],
    })
  })
  it('takes the first column without a header; semicolons and tabs separate too', () => {
    expect(parseSuppressionCsv('a@x.test;Alice\nb@y.test\tBob').valid).toEqual(['a@x.test', 'b@y.test'])
  })
  it('refuses text that is not CSV (an unclosed quote) with a 400 naming the field', () => {
    expect(() => parseSuppressionCsv('"a@x.test\nb@y.test')).toThrow(/csv/)
  })
})
