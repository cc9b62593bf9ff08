import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  cleanValue,
  defaultFooter,
  firstNameOf,
  formatFollowers,
  MERGE_FIELDS,
  PREVIEW_UNSUBSCRIBE_URL,
  platformLabel,
  preview,
  renderTemplate,
  SAMPLE_CREATOR,
  type TemplateCreator,
  TemplateInvalidError,
  templateErrors,
} from './outreach.template.core.ts'

const anna: TemplateCreator = {
  handle: '@anna_fit',
  full_name: 'Anna Berg',
  platform: 'tiktok',
  followers: 48_213,
}
const nameless: TemplateCreator = { handle: 'xq93', full_name: '', platform: 'youtube', followers: null }

describe('renderTemplate (table)', () => {
  it.each([
    ['Hi {{first_name}}!', anna, 'Hi Anna!'],
    ['Hi {{ first_name }}!', anna, 'Hi Anna!'],
    ['Hi {{  FIRST_NAME  }}!', anna, 'Hi Anna!'],
    ['Hi {{first_name|there}},', anna, 'Hi Anna,'],
    ['Hi {{first_name | there }},', nameless, 'Hi there,'],
    ['Hi {{first_name|}},', nameless, 'Hi ,'],
    ['Hi {{first_name}},', nameless, 'Hi ,'],
    ['{{full_name}} (@{{handle}})', anna, 'Anna Berg (@anna_fit)'],
    ['{{platform}} with {{followers}} followers', anna, 'TikTok with 48.2K followers'],
    ['{{followers|lots of}} fans', nameless, 'lots of fans'],
    ['a { single } brace and {{handle}}', anna, 'a { single } brace and anna_fit'],
    ['no tags at all', anna, 'no tags at all'],
    ['', anna, ''],
    ['{{handle}}{{handle}}', anna, 'anna_fitanna_fit'],
    ['line one\n{{first_name}}\n\nline three', anna, 'line one\nAnna\n\nline three'],
  ])('%j', (text, creator, expected) => {
    expect(templateErrors(text)).toEqual([])
    expect(renderTemplate(text, creator)).toBe(expected)
  })

  it('cleans values: no line breaks into a subject, no braces, no control characters', () => {
    const evil: TemplateCreator = {
      handle: '{{x}}',
      full_name: 'Eve\r\nBcc: all@example.com\u0000 {{handle}}',
      platform: 'instagram',
      followers: 1,
    }
    expect(renderTemplate('Hi {{full_name}} / {{handle}}', evil)).toBe(
      'Hi Eve Bcc: all@example.com handle / x',
    )
  })

  it('throws on an invalid template', () => {
    expect(() => renderTemplate('Hi {{name}}', anna)).toThrow(TemplateInvalidError)
  })
})

describe('templateErrors (table)', () => {
  it.each([
    ['Hi {{name}}', [{ field: 'name', index: 3, message: /unknown merge field "name"/ }]],
    ['Hi {{first_name', [{ field: null, index: 3, message: /not closed/ }]],
    ['Hi first_name}}', [{ field: null, index: 13, message: /without a matching/ }]],
    ['{{ {{handle}}', [{ field: null, index: 0, message: /not closed/ }]],
    ['{{}}', [{ field: '', index: 0, message: /not a merge field/ }]],
    ['{{first name}}', [{ field: 'first name', index: 0, message: /not a merge field/ }]],
    ['{{{handle}}}', [{ field: '{handle', index: 0, message: /not a merge field/ }]],
    [
      '{{nope}} and {{handle}} and }} and {{zip|x}}',
      [
        { field: 'nope', index: 0, message: /unknown/ },
        { field: null, index: 28, message: /without/ },
        { field: 'zip', index: 35, message: /unknown/ },
      ],
    ],
  ])('%j', (text, expected) => {
    const errors = templateErrors(text)
    expect(errors).toHaveLength(expected.length)
    errors.forEach((e, i) => {
      expect(e.field).toBe(expected[i]!.field)
      expect(e.index).toBe(expected[i]!.index)
      expect(e.message).toMatch(expected[i]!.message)
    })
  })
})

describe('formatFollowers / platformLabel / firstNameOf', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [999, '999'],
    [1000, '1K'],
    [1050, '1K'],
    [1099, '1K'],
    [1100, '1.1K'],
    [12_345, '12.3K'],
    [999_999, '999.9K'],
    [1_000_000, '1M'],
    [1_250_000, '1.2M'],
    [3_400_000_000, '3.4B'],
    [null, ''],
    [-5, ''],
    [Number.NaN, ''],
  ])('%d → %j', (n, s) => {
    expect(formatFollowers(n)).toBe(s)
  })

  it('labels platforms', () => {
    expect(platformLabel('tiktok')).toBe('TikTok')
    expect(platformLabel('YouTube')).toBe('YouTube')
    expect(platformLabel('myspace')).toBe('myspace')
  })

  it.each([
    ['Jane Doe', 'x', 'Jane'],
    ['  jane   doe ', 'x', 'Jane'],
    ['ANNA BERG', 'x', 'Anna'],
    ['DeShawn Smith', 'x', 'DeShawn'],
    ["O'Brien Kate", 'x', "O'Brien"],
    ['Mary-Jane Watson', 'x', 'Mary-Jane'],
    ['🌸 Lena 🌸', 'x', 'Lena'],
    ['Dr. Mike Varshavski', 'x', 'Mike'],
    ['José Álvarez', 'x', 'José'],
    ['J. Smith', 'x', ''],
    ['J.R. Smith', 'x', ''],
    ['123 456', 'x', ''],
    ['', '@jane.doe', 'Jane'],
    [null, 'jane_doe', 'Jane'],
    ['', 'janedoe99', ''],
    ['', 'x_doe', ''],
    ['', '', ''],
  ])('firstNameOf(%j, %j) → %j', (full, handle, expected) => {
    expect(firstNameOf(full, handle)).toBe(expected)
  })
})

describe('preview', () => {
  it('renders the sample creator with the footer', () => {
    const p = preview({
      subject: 'Hey {{first_name|there}}',
      body: 'Loved @{{handle}}!',
      footer_address: '1 Main St',
    })
    expect(p.subject).toBe('Hey Jane')
    expect(p.text).toBe(`Loved @jane.doe!\n\n--\n1 Main St\nUnsubscribe: ${PREVIEW_UNSUBSCRIBE_URL}`)
    expect(p.sample).toEqual({ ...SAMPLE_CREATOR, first_name: 'Jane' })
    expect(defaultFooter('', 'u')).toBe('\n\n--\nUnsubscribe: u')
  })

  it('takes another footer builder and refuses invalid templates', () => {
    expect(preview({ subject: 's', body: 'b' }, (a) => `|${a}|`).text).toBe('b||')
    expect(() => preview({ subject: '{{nope}}', body: 'b' })).toThrow(TemplateInvalidError)
  })
})

describe('template properties', () => {
  const tag = fc
    .record({
      field: fc.constantFrom(...MERGE_FIELDS),
      pad1: fc.constantFrom('', ' ', '  '),
      pad2: fc.constantFrom('', ' ', '\t'),
      fallback: fc.option(
        fc.string({ maxLength: 10 }).map((s) => s.replace(/[{}|]/g, '')),
        { nil: undefined },
      ),
    })
    .map(({ field, pad1, pad2, fallback }) =>
      fallback === undefined ? `{{${pad1}${field}${pad2}}}` : `{{${pad1}${field}${pad2}|${fallback}}}`,
    )
  // Literal text without `{{` or `}}` (single braces are fine).
  const literal = fc.string({ maxLength: 20 }).map((s) => s.replace(/\{\{|\}\}/g, '').replace(/\{$|^\}/, ''))
  const template = fc.array(fc.oneof(tag, literal), { maxLength: 12 }).map((xs) => xs.join(''))
  const creator: fc.Arbitrary<TemplateCreator> = fc.record({
    handle: fc.string({ maxLength: 30 }),
    full_name: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
    platform: fc.constantFrom('instagram', 'tiktok', 'youtube', 'twitch', 'twitter', 'onlyfans'),
    followers: fc.option(fc.integer({ min: 0, max: 5e9 }), { nil: null }),
  })

  it('a valid template renders without leaving "{{" or "}}" that its text did not hold', () => {
    fc.assert(
      fc.property(template, creator, (t, c) => {
        const errors = templateErrors(t)
        // Joining pieces may create `{{` (`{` + `{{`) — then the template is invalid, skip it.
        fc.pre(errors.length === 0)
        const out = renderTemplate(t, c)
        const literalText = t.replace(/\{\{[\s\S]*?\}\}/g, '')
        if (!literalText.includes('{{')) expect(out).not.toContain('{{')
        if (!literalText.includes('}}')) expect(out).not.toContain('}}')
      }),
      { numRuns: 500 },
    )
  })

  it('merged values never add a line break', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MERGE_FIELDS), creator, (field, c) => {
        expect(renderTemplate(`{{${field}}}`, c)).not.toMatch(/[\r\n]/)
      }),
    )
  })

  it('templateErrors never throws and cleanValue is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        expect(Array.isArray(templateErrors(s))).toBe(true)
        expect(cleanValue(cleanValue(s))).toBe(cleanValue(s))
      }),
    )
  })
})
