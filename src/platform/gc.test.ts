import { describe, expect, it } from 'vitest'
import { setHeapGrowingPercent } from './gc.ts'

describe('setHeapGrowingPercent', () => {
  it('refuses values outside 0–1000 and non-integers', () => {
    for (const bad of [-1, 1001, 1.5, Number.NaN])
      expect(() => setHeapGrowingPercent(bad)).toThrow(RangeError)
  })

  it('accepts a factor and 0 (V8 heuristics) at the ends of the range', () => {
    for (const ok of [0, 200, 1000]) expect(() => setHeapGrowingPercent(ok)).not.toThrow()
    setHeapGrowingPercent(0)
  })
})
