import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { formToOrganize, organizeFormFields, organizeToForm, splitTags } from './organize-fields.lib'

const schema = z.object(organizeFormFields)

describe('organize fields', () => {
  it.each([
    ['', []],
    ['fb, de ,push', ['fb', 'de', 'push']],
    [' a,,b, a ', ['a', 'b']],
  ])('splitTags(%j) = %j', (text, tags) => expect(splitTags(text)).toEqual(tags))

  it('round-trips a row: tags as comma-separated text, notes as is; absent = empty', () => {
    expect(organizeToForm({ tags: ['de', 'push'], notes: 'Bid 0.02' })).toEqual({
      tags: 'de, push',
      notes: 'Bid 0.02',
    })
    expect(organizeToForm(undefined)).toEqual({ tags: '', notes: '' })
    expect(formToOrganize({ tags: 'de, push, de', notes: 'n' })).toEqual({ tags: ['de', 'push'], notes: 'n' })
  })

  it.each([
    [{ tags: Array.from({ length: 20 }, (_, i) => `t${i}`).join(','), notes: '' }, true],
    [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(','), notes: '' }, false],
    [{ tags: 'x'.repeat(40), notes: '' }, true],
    [{ tags: 'x'.repeat(41), notes: '' }, false],
    [{ tags: '', notes: 'n'.repeat(2000) }, true],
    [{ tags: '', notes: 'n'.repeat(2001) }, false],
  ])('the API limits (20 tags of ≤ 40 chars, notes ≤ 2000): case %#', (v, ok) =>
    expect(schema.safeParse(v).success).toBe(ok),
  )
})
