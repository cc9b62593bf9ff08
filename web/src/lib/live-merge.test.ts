import { describe, expect, it } from 'vitest'
import { mergeLiveItems } from './live-merge'

type Item = { id: string; ts: string; via?: string }
const at = (id: string, sec: number, via = 'stream'): Item => ({
  id,
  ts: new Date(Date.UTC(2026, 0, 1, 12, 0, sec)).toISOString(),
  via,
})
const key = (i: Item) => i.id
const ids = (items: Item[]) => items.map((i) => i.id)

describe('mergeLiveItems', () => {
  it('shows the backfill before the stream has anything (the feed after a reload)', () => {
    const backfill = [at('c3', 30, 'backfill'), at('c2', 20, 'backfill')]
    expect(ids(mergeLiveItems([], backfill, key, 50))).toEqual(['c3', 'c2'])
  })

  it('puts streamed items on top, newest first, one per key (the stream’s copy wins)', () => {
    const streamed = [at('c5', 50), at('c3', 30)]
    const backfill = [at('c4', 40, 'backfill'), at('c3', 30, 'backfill'), at('c1', 10, 'backfill')]
    const out = mergeLiveItems(streamed, backfill, key, 50)
    expect(ids(out)).toEqual(['c5', 'c4', 'c3', 'c1'])
    expect(out.find((i) => i.id === 'c3')?.via).toBe('stream')
  })

  it('keeps at most max, dropping the oldest', () => {
    const backfill = [at('b', 20, 'backfill'), at('a', 10, 'backfill')]
    expect(ids(mergeLiveItems([at('c', 30)], backfill, key, 2))).toEqual(['c', 'b'])
  })

  it('keeps the given order for equal times', () => {
    expect(ids(mergeLiveItems([at('x', 5), at('y', 5)], [at('z', 5, 'backfill')], key, 10))).toEqual([
      'x',
      'y',
      'z',
    ])
  })
})
