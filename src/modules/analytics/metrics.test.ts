import { describe, expect, it } from 'vitest'
import { emptySums, finalizeMetrics, microsToUnits, sumsOf } from './metrics.ts'

describe('finalizeMetrics', () => {
  it('derives revenue, cost, profit, CR, ROI and EPC from the sums', () => {
    const m = finalizeMetrics({
      ...emptySums(),
      clicks: 3,
      conversions: 2,
      cost_micros: 1_500_000,
      revenue_micros: 7_000_000,
    })
    expect(m).toMatchObject({
      revenue: 7,
      cost: 1.5,
      profit: 5.5,
      cr: 66.6667, // 2 / 3 × 100
      roi: 366.6667, // 5.5 / 1.5 × 100
      epc: 2.333333, // 7 / 3
    })
  })

  it('has no ratio without a denominator, and never -0', () => {
    expect(finalizeMetrics(emptySums())).toMatchObject({ cr: null, roi: null, epc: null, profit: 0 })
    const noCost = finalizeMetrics({ ...emptySums(), clicks: 2, revenue_micros: 1 })
    expect(noCost).toMatchObject({ roi: null, cr: 0, epc: 0.000001 })
    const loss = finalizeMetrics({
      ...emptySums(),
      clicks: 1,
      cost_micros: 1_000_000,
      revenue_micros: -3_000_000,
    })
    expect(loss).toMatchObject({ revenue: -3, profit: -4, roi: -400, epc: -3 })
    expect(Object.is(finalizeMetrics({ ...emptySums(), clicks: 1, revenue_micros: -1 }).epc, -0)).toBe(false)
  })

  it('converts micros exactly and reads ClickHouse Int64 strings', () => {
    expect(microsToUnits(1)).toBe(0.000001)
    expect(microsToUnits(123_456_789_012)).toBe(123456.789012)
    expect(sumsOf({ clicks: '5', revenue_micros: '-2500000' })).toMatchObject({
      clicks: 5,
      revenue_micros: -2_500_000,
      bots: 0,
    })
  })
})
