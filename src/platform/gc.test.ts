import v8 from 'node:v8'
import { describe, expect, it } from 'vitest'
import { setHeapGrowingPercent } from './gc.ts'

describe('setHeapGrowingPercent', () => {
  it('refuses values outside 0–1000 and non-integers', () => {
    for (const bad of [-1, 1001, 1.5, Number.NaN])
      expect(() => setHeapGrowingPercent(bad)).toThrow(RangeError)
  })

  it('sets a factor and goes back to V8 heuristics with 0', () => {
    expect(() => setHeapGrowingPercent(200)).not.toThrow()
    // Allocation and collection go on as usual under the fixed factor.
    const garbage = Array.from({ length: 100_000 }, (_, i) => ({ i }))
    expect(garbage).toHaveLength(100_000)
    expect(v8.getHeapStatistics().total_heap_size).toBeGreaterThan(0)
    expect(() => setHeapGrowingPercent(0)).not.toThrow()
  })
})
