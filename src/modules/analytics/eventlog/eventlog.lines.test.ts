import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PipelineEvent } from '../events.ts'
import { REPLAY_KEYS } from '../pipeline.replay.ts'
import { EVENT_FIELDS, type FieldKind, serializeEvent } from '../serialize.ts'
import { eventKey, messageId, outMessages, prepareBatch, splitRows } from './eventlog.lines.ts'

type EventType = keyof typeof EVENT_FIELDS

/** An event of `type` with every field at its empty value, then `over`. */
function event(type: EventType, over: Record<string, unknown>): PipelineEvent {
  const fields = EVENT_FIELDS[type] as Record<string, FieldKind>
  const e: Record<string, unknown> = {}
  for (const [k, kind] of Object.entries(fields)) e[k] = kind === 's' ? '' : 0
  return { ...e, type, ts: 1_717_243_200_000, ...over } as PipelineEvent
}
const row = (e: PipelineEvent) => Buffer.from(`${serializeEvent(e)}\n`)
const rec = (e: PipelineEvent | string, mayBeStored = false) => ({
  data: typeof e === 'string' ? Buffer.from(e) : row(e),
  mayBeStored,
})

describe('splitRows', () => {
  it.each([
    { name: 'empty', text: '', rows: [] },
    { name: 'one row', text: 'a\n', rows: ['a\n'] },
    { name: 'three rows', text: 'a\nbb\nccc\n', rows: ['a\n', 'bb\n', 'ccc\n'] },
    { name: 'unterminated tail kept', text: 'a\nb', rows: ['a\n', 'b'] },
  ])('$name', ({ text, rows }) => {
    expect(splitRows(Buffer.from(text)).map(String)).toEqual(rows)
  })

  it('property: the rows concatenate back to the input and each ends with its only newline', () => {
    fc.assert(
      fc.property(fc.array(fc.string().filter((s) => !s.includes('\n'))), (parts) => {
        const buf = Buffer.from(parts.map((p) => `${p}\n`).join(''))
        const rows = splitRows(buf)
        expect(Buffer.concat(rows).equals(buf)).toBe(true)
        expect(rows).toHaveLength(parts.length)
      }),
    )
  })
})

describe('eventKey / messageId', () => {
  it.each([
    { type: 'click' as const, over: { click_id: 'c1' }, id: 'clicks:c1' },
    { type: 'trafficback' as const, over: { click_id: 't1' }, id: 'trafficback:t1' },
    { type: 'visit' as const, over: { visit_id: 'v1' }, id: 'visits:v1' },
    { type: 'lander_click' as const, over: { click_id: 'c1', ts: 5 }, id: 'lander_clicks:c1|5' },
  ])('$type → $id (the replay lookup key)', ({ type, over, id }) => {
    const [m] = outMessages({ [tableOfType[type]]: [row(event(type, over))] })
    expect(messageId(m!)).toBe(id)
    expect(m!.key).toBe(REPLAY_KEYS[m!.table].of(JSON.parse(m!.row.toString())))
  })
})

const tableOfType = {
  click: 'clicks',
  trafficback: 'trafficback',
  visit: 'visits',
  lander_click: 'lander_clicks',
} as const

describe('outMessages', () => {
  it('splits group-commit runs into one message per event, tables in commit order', () => {
    const run = Buffer.concat([
      row(event('click', { click_id: 'a' })),
      row(event('click', { click_id: 'b' })),
    ])
    const msgs = outMessages({
      trafficback: [row(event('trafficback', { click_id: 't' }))],
      clicks: [run, row(event('click', { click_id: 'c' }))],
    })
    expect(msgs.map(messageId)).toEqual(['clicks:a', 'clicks:b', 'clicks:c', 'trafficback:t'])
    expect(eventKey('clicks', msgs[0]!.row)).toBe('a')
  })
})

describe('prepareBatch', () => {
  it('groups by table, keeps order, marks a table replay when any of its records may be stored', () => {
    const b = prepareBatch([
      rec(event('click', { click_id: 'a' })),
      rec(event('trafficback', { click_id: 't' }), true),
      rec(event('click', { click_id: 'b' })),
    ])
    expect(b.tables.map((t) => [t.table, t.lines.map((l) => eventKey(t.table, l)), t.replay])).toEqual([
      ['clicks', ['a', 'b'], false],
      ['trafficback', ['t'], true],
    ])
    expect(b.corrupt).toEqual([])
  })

  it('reports records that are not storable events and never inserts them', () => {
    const b = prepareBatch([rec('{oops'), rec(event('click', { click_id: 'a' })), rec('{"type":"nope"}')])
    expect(b.corrupt).toEqual([0, 2])
    expect(b.tables).toHaveLength(1)
  })

  it('drops a second copy of one event within the batch (a republish after the dedupe window)', () => {
    const a = event('click', { click_id: 'a' })
    const b = prepareBatch([rec(a), rec(event('click', { click_id: 'b' })), rec(a, true)])
    expect(b.duplicates).toEqual([2])
    expect(b.tables[0]!.lines).toHaveLength(2)
    expect(b.tables[0]!.replay).toBe(false)
  })

  it('property: every storable record is inserted once per key, each line a normalised row', () => {
    const ids = fc.constantFrom('a', 'b', 'c', 'd')
    const arb = fc.array(
      fc.record({
        type: fc.constantFrom<EventType>('click', 'trafficback', 'visit'),
        id: ids,
        s: fc.boolean(),
      }),
    )
    fc.assert(
      fc.property(arb, (xs) => {
        const records = xs.map((x) =>
          rec(event(x.type, x.type === 'visit' ? { visit_id: x.id } : { click_id: x.id }), x.s),
        )
        const b = prepareBatch(records)
        const distinct = new Set(xs.map((x) => `${tableOfType[x.type]}:${x.id}`))
        const lines = b.tables.flatMap((t) => t.lines.map((l) => `${t.table}:${eventKey(t.table, l)}`))
        expect(lines.sort()).toEqual([...distinct].sort())
        expect(b.duplicates.length).toBe(xs.length - distinct.size)
      }),
    )
  })
})
