import { describe, expect, it } from 'vitest'
import {
  type Candidate,
  MIN_EPC_CLICKS,
  pickBestRoi,
  pickRoundRobin,
  pickWaterfall,
  pickWeighted,
  selectDestination,
} from './strategies.ts'
import { mulberry32 } from './test-fixtures.ts'

const cand = (id: string, weight = 100, position = 0): Candidate => ({ destinationId: id, weight, position })
const list = (...weights: number[]) => weights.map((w, i) => cand(`d${i}`, w, i))

function shares(draws: number, pick: () => number, n: number): number[] {
  const counts = new Array<number>(n).fill(0)
  for (let i = 0; i < draws; i++) counts[pick()]! += 1
  return counts.map((c) => c / draws)
}

describe('waterfall', () => {
  it('takes the first available in configured order', () => {
    expect(pickWaterfall([cand('b', 1, 1), cand('c', 1, 2)])).toBe(0)
    expect(pickWaterfall([])).toBe(-1)
  })
})

describe('round robin', () => {
  it('cycles exactly over the configured list', () => {
    const c = list(1, 1, 1)
    let cursor = 0
    const picked: number[] = []
    for (let i = 0; i < 7; i++) {
      const s = pickRoundRobin(c, cursor, 3)
      picked.push(s.index)
      cursor = s.nextCursor!
    }
    expect(picked).toEqual([0, 1, 2, 0, 1, 2, 0])
  })

  it('skips an unavailable destination without shifting the others', () => {
    const available = [cand('a', 1, 0), cand('c', 1, 2)] // b (position 1) dropped
    expect(pickRoundRobin(available, 1, 3)).toEqual({ index: 1, nextCursor: 0 })
    expect(pickRoundRobin(available, 0, 3)).toEqual({ index: 0, nextCursor: 1 })
  })

  it('sanitises cursors', () => {
    const c = list(1, 1, 1)
    expect(pickRoundRobin(c, -1, 3).index).toBe(2)
    expect(pickRoundRobin(c, 7, 3).index).toBe(1)
    expect(pickRoundRobin(c, Number.NaN, 3).index).toBe(0)
    expect(pickRoundRobin(c, 1e300, 3).index).toBeGreaterThanOrEqual(0)
    expect(pickRoundRobin([], 0, 3).index).toBe(-1)
  })
})

describe('weighted', () => {
  it('70/30 over 20,000 draws within ±2%', () => {
    const random = { random: mulberry32(42) }
    const [a, b] = shares(20_000, () => pickWeighted(list(70, 30), random), 2)
    expect(a).toBeGreaterThan(0.68)
    expect(a).toBeLessThan(0.72)
    expect(b).toBeGreaterThan(0.28)
    expect(b).toBeLessThan(0.32)
  })

  it('never picks zero weights unless all are zero', () => {
    const random = { random: mulberry32(7) }
    const s = shares(5_000, () => pickWeighted(list(0, 50, 0, 50), random), 4)
    expect(s[0]).toBe(0)
    expect(s[2]).toBe(0)
    const uniform = shares(20_000, () => pickWeighted(list(0, 0, 0, 0), random), 4)
    for (const share of uniform) expect(Math.abs(share - 0.25)).toBeLessThan(0.02)
  })

  it('survives broken random sources', () => {
    expect(pickWeighted(list(1, 1), { random: () => 1 })).toBe(1)
    expect(pickWeighted(list(1, 1), { random: () => Number.NaN })).toBe(0)
    expect(pickWeighted(list(1, 1), { random: () => -5 })).toBe(0)
  })
})

describe('best ROI', () => {
  const epcs = new Map([
    ['d0', { epcMicros: 1_000, clicks: 5_000 }],
    ['d1', { epcMicros: 9_000, clicks: 5_000 }],
    ['d2', { epcMicros: 99_000, clicks: MIN_EPC_CLICKS - 1 }], // too little data: explored only
  ])
  const source = (seed: number) => ({ random: mulberry32(seed), epc: (id: string) => epcs.get(id) })

  it('picks the best EPC (1 − e) + e/n of the time', () => {
    const src = source(3)
    const s = shares(20_000, () => pickBestRoi(list(1, 1, 1), 0.1, src), 3)
    expect(Math.abs(s[1]! - (0.9 + 0.1 / 3))).toBeLessThan(0.02)
    expect(Math.abs(s[0]! - 0.1 / 3)).toBeLessThan(0.01)
    expect(Math.abs(s[2]! - 0.1 / 3)).toBeLessThan(0.01)
  })

  it('always exploits with exploration 0 and explores uniformly with 1', () => {
    const src = source(4)
    expect(shares(1_000, () => pickBestRoi(list(1, 1, 1), 0, src), 3)[1]).toBe(1)
    const s = shares(20_000, () => pickBestRoi(list(1, 1, 1), 1, src), 3)
    for (const share of s) expect(Math.abs(share - 1 / 3)).toBeLessThan(0.02)
  })

  it('falls back to weighted when no candidate has data', () => {
    const random = mulberry32(5)
    const none = { random, epc: () => undefined }
    const [a] = shares(20_000, () => pickBestRoi(list(80, 20), 0.1, none), 2)
    expect(Math.abs(a! - 0.8)).toBeLessThan(0.02)
    const few = { random, epc: () => ({ epcMicros: 5, clicks: 10 }) }
    const [b] = shares(20_000, () => pickBestRoi(list(80, 20), 0.1, few), 2)
    expect(Math.abs(b! - 0.8)).toBeLessThan(0.02)
  })
})

describe('selectDestination', () => {
  const base = {
    state: { random: mulberry32(1), epc: () => undefined },
    cursor: 1,
    listLength: 3,
    exploration: 0,
  }
  it('dispatches by strategy', () => {
    const c = list(1, 1, 1)
    expect(selectDestination('waterfall', c, base)).toEqual({ index: 0 })
    expect(selectDestination('round_robin', c, base)).toEqual({ index: 1, nextCursor: 2 })
    expect(selectDestination('weighted', c, base).nextCursor).toBeUndefined()
    expect(selectDestination('best_roi', c, base).index).toBeGreaterThanOrEqual(0)
  })
})
