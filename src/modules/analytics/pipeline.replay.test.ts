import { describe, expect, it } from 'vitest'
import { replayKeyValues, unstoredLines } from './pipeline.replay.ts'

const line = (o: Record<string, unknown>) => Buffer.from(`${JSON.stringify(o)}\n`)

describe('unstoredLines', () => {
  it.each([
    { name: 'none stored', stored: [], keep: ['a', 'b'] },
    {
      name: 'all stored',
      stored: [
        ['a', 1],
        ['b', 1],
      ],
      keep: [],
    },
    { name: 'one stored', stored: [['b', 1]], keep: ['a'] },
  ] as const)('clicks: $name', ({ stored, keep }) => {
    const lines = [line({ click_id: 'a', ts: 1 }), line({ click_id: 'b', ts: 2 })]
    const out = unstoredLines('clicks', lines, new Map(stored as unknown as [string, number][]))
    expect(out.map((b) => JSON.parse(b.toString()).click_id)).toEqual(keep)
  })

  it('lander clicks: each stored row accounts for one line of its click and time', () => {
    const lines = [
      line({ click_id: 'a', ts: 1 }),
      line({ click_id: 'a', ts: 1 }),
      line({ click_id: 'a', ts: 5 }),
    ]
    const out = unstoredLines('lander_clicks', lines, new Map([['a|1', 1]]))
    expect(out.map((b) => JSON.parse(b.toString()).ts)).toEqual([1, 5])
    expect(replayKeyValues('lander_clicks', lines)).toEqual(['a'])
  })

  it('visits are keyed by visit_id; unreadable lines are kept for the insert to report', () => {
    const lines = [line({ visit_id: 'v1' }), Buffer.from('{oops\n')]
    expect(unstoredLines('visits', lines, new Map([['v1', 1]]))).toHaveLength(1)
  })
})
