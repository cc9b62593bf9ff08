import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type BulkInput, bulkInput, type ListKind, tagsSchema } from '../routing.schema.ts'
import {
  type BulkPlan,
  type BulkRow,
  cloneAlias,
  cloneAliasStem,
  cloneName,
  planBulk,
  singleCurrency,
  statsRows,
} from './lists.core.ts'

const A = '00000000-0000-4000-8000-00000000000a'
const B = '00000000-0000-4000-8000-00000000000b'
const C = '00000000-0000-4000-8000-00000000000c'
const S = '00000000-0000-4000-8000-0000000000ee'

const rows: BulkRow[] = [
  { id: A, status: 'active', tags: ['fb', 'de'], groupName: null, sourceId: null },
  { id: B, status: 'archived', tags: [], groupName: 'Tier 1', sourceId: S },
]
const body = (b: Omit<BulkInput, 'ids'> & { ids?: string[] }): BulkInput =>
  bulkInput.parse({ ids: [A, B], ...b })

describe('planBulk', () => {
  const cases: [string, ListKind, BulkInput, BulkPlan][] = [
    [
      'pause sets paused on every row',
      'campaigns',
      body({ action: 'pause' }),
      {
        kind: 'ok',
        updates: [
          { id: A, values: { status: 'paused' } },
          { id: B, values: { status: 'paused' } },
        ],
      },
    ],
    [
      'resume sets active',
      'offers',
      body({ action: 'resume', ids: [A] }),
      { kind: 'ok', updates: [{ id: A, values: { status: 'active' } }] },
    ],
    [
      'archive sets archived',
      'sources',
      body({ action: 'archive', ids: [A] }),
      { kind: 'ok', updates: [{ id: A, values: { status: 'archived' } }] },
    ],
    [
      'unarchive brings a campaign back paused; a live row keeps its status',
      'campaigns',
      body({ action: 'unarchive' }),
      {
        kind: 'ok',
        updates: [
          { id: A, values: { status: 'active' } },
          { id: B, values: { status: 'paused' } },
        ],
      },
    ],
    [
      'unarchive brings a network back active',
      'networks',
      body({ action: 'unarchive', ids: [B] }),
      { kind: 'ok', updates: [{ id: B, values: { status: 'active' } }] },
    ],
    [
      'unarchive brings a lander back paused',
      'landers',
      body({ action: 'unarchive', ids: [B] }),
      { kind: 'ok', updates: [{ id: B, values: { status: 'paused' } }] },
    ],
    [
      'landers pause and resume',
      'landers',
      body({ action: 'pause', ids: [A] }),
      { kind: 'ok', updates: [{ id: A, values: { status: 'paused' } }] },
    ],
    [
      'add_tags on landers',
      'landers',
      body({ action: 'add_tags', tags: ['quiz'], ids: [A] }),
      { kind: 'ok', updates: [{ id: A, values: { tags: ['fb', 'de', 'quiz'] } }] },
    ],
    [
      'move_to_group with a name',
      'campaigns',
      body({ action: 'move_to_group', group_name: ' Tier 2 ' }),
      {
        kind: 'ok',
        updates: [
          { id: A, values: { groupName: 'Tier 2' } },
          { id: B, values: { groupName: 'Tier 2' } },
        ],
      },
    ],
    [
      'move_to_group with "" ungroups',
      'campaigns',
      body({ action: 'move_to_group', group_name: '', ids: [B] }),
      { kind: 'ok', updates: [{ id: B, values: { groupName: null } }] },
    ],
    [
      'set_source null detaches',
      'campaigns',
      body({ action: 'set_source', source_id: null, ids: [B] }),
      { kind: 'ok', updates: [{ id: B, values: { sourceId: null } }] },
    ],
    [
      'add_tags keeps existing order, drops duplicates',
      'campaigns',
      body({ action: 'add_tags', tags: ['de', 'push', 'push'] }),
      {
        kind: 'ok',
        updates: [
          { id: A, values: { tags: ['fb', 'de', 'push'] } },
          { id: B, values: { tags: ['de', 'push'] } },
        ],
      },
    ],
    [
      'remove_tags drops only the named ones',
      'networks',
      body({ action: 'remove_tags', tags: ['fb', 'nope'] }),
      {
        kind: 'ok',
        updates: [
          { id: A, values: { tags: ['de'] } },
          { id: B, values: { tags: [] } },
        ],
      },
    ],
    [
      'duplicate ids count once',
      'campaigns',
      body({ action: 'pause', ids: [A, A] }),
      { kind: 'ok', updates: [{ id: A, values: { status: 'paused' } }] },
    ],
    [
      'an id outside the rows is named (404)',
      'campaigns',
      body({ action: 'pause', ids: [A, C] }),
      { kind: 'not_found', ids: [C] },
    ],
    [
      'sources cannot be paused',
      'sources',
      body({ action: 'pause' }),
      {
        kind: 'invalid',
        details: [{ path: 'action', message: 'sources take archive, unarchive, add_tags, remove_tags' }],
      },
    ],
    [
      'offers cannot change source',
      'offers',
      body({ action: 'set_source', source_id: S }),
      {
        kind: 'invalid',
        details: [
          { path: 'action', message: 'offers take pause, resume, archive, unarchive, add_tags, remove_tags' },
        ],
      },
    ],
    [
      'landers cannot move to a group',
      'landers',
      body({ action: 'move_to_group', group_name: 'x' }),
      {
        kind: 'invalid',
        details: [
          {
            path: 'action',
            message: 'landers take pause, resume, archive, unarchive, add_tags, remove_tags',
          },
        ],
      },
    ],
    [
      'move_to_group without group_name',
      'campaigns',
      body({ action: 'move_to_group' }),
      { kind: 'invalid', details: [{ path: 'group_name', message: 'required by move_to_group' }] },
    ],
    [
      'a field the action does not take',
      'campaigns',
      body({ action: 'pause', tags: ['x'] }),
      { kind: 'invalid', details: [{ path: 'tags', message: 'not taken by pause' }] },
    ],
    [
      'add_tags with no tags',
      'campaigns',
      body({ action: 'add_tags', tags: [] }),
      { kind: 'invalid', details: [{ path: 'tags', message: 'at least one tag' }] },
    ],
    [
      'validation comes before the 404 (a foreign id learns nothing)',
      'sources',
      body({ action: 'pause', ids: [C] }),
      {
        kind: 'invalid',
        details: [{ path: 'action', message: 'sources take archive, unarchive, add_tags, remove_tags' }],
      },
    ],
  ]
  it.each(cases)('%s', (_name, kind, input, expected) => {
    expect(planBulk(kind, input, rows)).toEqual(expected)
  })

  it('refuses a row that would carry more than 20 tags, naming it', () => {
    const full: BulkRow = { id: A, status: 'active', tags: Array.from({ length: 20 }, (_, i) => `t${i}`) }
    expect(planBulk('campaigns', body({ action: 'add_tags', tags: ['new'], ids: [A] }), [full])).toEqual({
      kind: 'invalid',
      details: [{ path: 'tags', message: `${A} would carry more than 20 tags` }],
    })
    // Adding a tag it already has is fine.
    expect(planBulk('campaigns', body({ action: 'add_tags', tags: ['t3'], ids: [A] }), [full]).kind).toBe(
      'ok',
    )
  })

  it('add then remove of the same tags gives back the original tags (property)', () => {
    const tag = fc.stringMatching(/^[a-z]{1,6}$/)
    fc.assert(
      fc.property(
        fc.uniqueArray(tag, { maxLength: 8 }),
        fc.uniqueArray(tag, { minLength: 1, maxLength: 8 }),
        (have, add) => {
          const fresh = add.filter((t) => !have.includes(t))
          if (fresh.length === 0) return
          const row: BulkRow = { id: A, status: 'active', tags: have }
          const p1 = planBulk('campaigns', body({ action: 'add_tags', tags: fresh, ids: [A] }), [row])
          expect(p1.kind).toBe('ok')
          const added = p1.kind === 'ok' ? p1.updates[0]!.values.tags! : []
          const p2 = planBulk('campaigns', body({ action: 'remove_tags', tags: fresh, ids: [A] }), [
            { ...row, tags: added },
          ])
          expect(p2.kind === 'ok' && p2.updates[0]!.values.tags).toEqual(have)
        },
      ),
    )
  })
})

describe('tags schema', () => {
  it.each([
    [
      [' a ', 'a', 'b'],
      ['a', 'b'],
    ],
    [[], []],
  ])('%j → %j', (input, out) => expect(tagsSchema.parse(input)).toEqual(out))
  it.each([[['']], [['x'.repeat(41)]], [Array.from({ length: 21 }, (_, i) => `t${i}`)]])(
    'refuses %j',
    (input) => expect(tagsSchema.safeParse(input).success).toBe(false),
  )
})

describe('clone naming', () => {
  it.each([
    ['Main', 'Main (copy)'],
    ['x'.repeat(200), `${'x'.repeat(193)} (copy)`],
  ])('cloneName(%s)', (name, out) => {
    expect(cloneName(name)).toBe(out)
    expect(cloneName(name).length).toBeLessThanOrEqual(200)
  })

  it.each([
    ['main', [], 'main-copy'],
    ['main', ['main-copy'], 'main-copy-2'],
    ['main', ['main-copy', 'main-copy-2', 'main-copy-3'], 'main-copy-4'],
    ['a'.repeat(64), [], `${'a'.repeat(59)}-copy`],
    ['a'.repeat(64), [`${'a'.repeat(59)}-copy`], `${'a'.repeat(57)}-copy-2`],
  ])('cloneAlias(%s, %j) = %s', (alias, taken, out) => {
    const got = cloneAlias(alias, new Set(taken))
    expect(got).toBe(out)
    expect(got).toMatch(/^[A-Za-z0-9_-]{2,64}$/)
    expect(got.startsWith(cloneAliasStem(alias))).toBe(true)
  })
})

describe('statsRows', () => {
  const m = {
    clicks: 4,
    unique_clicks: 3,
    conversions: 1,
    revenue: 2,
    cost: 1,
    profit: 1,
    roi: 100,
    cr: 25,
    epc: 0.5,
  }
  it('joins report rows to the entities in their order, zeros without traffic, drops unknown keys', () => {
    expect(
      statsRows(
        [
          { id: A, currency: 'USD' },
          { id: B, currency: null },
        ],
        [
          { key: B, ...m },
          { key: 'deleted', ...m },
        ],
      ),
    ).toEqual([
      {
        id: A,
        currency: 'USD',
        clicks: 0,
        unique_clicks: 0,
        conversions: 0,
        revenue: 0,
        cost: 0,
        profit: 0,
        roi: null,
        cr: null,
        epc: null,
      },
      { id: B, currency: null, ...m },
    ])
  })
  it('landers: lander visits, LP clicks and LP CTR from the report row, else 0, 0, null', () => {
    const got = statsRows(
      [
        { id: A, currency: 'EUR' },
        { id: B, currency: null },
      ],
      [{ key: A, ...m, lander_visits: 4, lp_clicks: 1, lp_ctr: 25 }],
      { landers: true },
    )
    expect(got.map((r) => [r.id, r.clicks, r.lander_visits, r.lp_clicks, r.lp_ctr])).toEqual([
      [A, 4, 4, 1, 25],
      [B, 0, 0, 0, null],
    ])
    // Other lists carry no lander fields, even when the report row has them.
    expect(statsRows([{ id: A, currency: null }], [{ key: A, ...m, lp_clicks: 1 }])[0]).not.toHaveProperty(
      'lp_clicks',
    )
  })
  it.each([
    [[], null],
    [['USD', 'USD'], 'USD'],
    [['USD', 'EUR'], null],
  ])('singleCurrency(%j) = %s', (v, out) => expect(singleCurrency(v)).toBe(out))
})
