import { describe, expect, it } from 'vitest'
import { type ChangeRecord, changeCsvRows, changeJson, securityEventCsvRow } from './audit.core.ts'

const base: ChangeRecord = {
  id: 7,
  at: new Date('2026-12-01T10:00:00.000Z'),
  actorType: 'user',
  actorUserId: 'u1',
  actorApiKeyId: null,
  actorLabel: 'a@b.test',
  ip: '203.0.113.7',
  objectType: 'campaign',
  objectId: 'c1',
  objectName: 'Camp',
  action: 'update',
  changes: { status: { before: 'active', after: 'paused' }, name: { before: 'a', after: 'b' } },
}

describe('changeJson', () => {
  it('maps a row to the API shape (id as a string)', () => {
    expect(changeJson(base)).toEqual({
      id: '7',
      at: '2026-12-01T10:00:00.000Z',
      actor: { type: 'user', user_id: 'u1', api_key_id: null, label: 'a@b.test' },
      ip: '203.0.113.7',
      object_type: 'campaign',
      object_id: 'c1',
      object_name: 'Camp',
      action: 'update',
      changes: base.changes,
    })
  })
  it('answers {} for malformed changes', () => {
    expect(changeJson({ ...base, changes: null }).changes).toEqual({})
    expect(changeJson({ ...base, changes: [1] }).changes).toEqual({})
  })
})

describe('changeCsvRows', () => {
  const head = ['2026-12-01T10:00:00.000Z', 'a@b.test', '203.0.113.7', 'campaign', 'c1', 'Camp']
  it.each([
    [
      'update: one line per field, sorted, JSON values',
      base,
      [
        [...head, 'update', 'name', '"a"', '"b"'],
        [...head, 'update', 'status', '"active"', '"paused"'],
      ],
    ],
    [
      'create: no before (empty cell), after JSON',
      { ...base, action: 'create' as const, changes: { n: { after: 3 } } },
      [[...head, 'create', 'n', null, '3']],
    ],
    [
      'delete: before JSON, no after; null stays JSON null',
      { ...base, action: 'delete' as const, changes: { n: { before: null } } },
      [[...head, 'delete', 'n', 'null', null]],
    ],
    [
      'no fields: one line with an empty field',
      { ...base, changes: {} },
      [[...head, 'update', null, null, null]],
    ],
    [
      'a job is `system: <name>`',
      { ...base, actorType: 'system' as const, actorLabel: 'health-check', changes: {} },
      [[head[0], 'system: health-check', ...head.slice(2), 'update', null, null, null]],
    ],
  ])('%s', (_name, row, expected) => {
    expect(changeCsvRows(row)).toEqual(expected)
  })
})

describe('securityEventCsvRow', () => {
  it('JSON-encodes detail', () => {
    expect(
      securityEventCsvRow({
        id: 'e1',
        at: new Date('2026-12-01T10:00:00.000Z'),
        kind: 'sign_in',
        userId: 'u1',
        email: 'a@b.test',
        ip: null,
        userAgent: 'UA',
        detail: { k: 1 },
      }),
    ).toEqual(['2026-12-01T10:00:00.000Z', 'sign_in', 'u1', 'a@b.test', null, 'UA', '{"k":1}'])
  })
})
