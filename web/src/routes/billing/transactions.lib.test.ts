import { describe, expect, it } from 'vitest'
import { dayStartIso, describeChange, transactionFilter } from './transactions.lib'

// The test process runs in the machine's zone; compare against the same local computation.
const local = (y: number, m: number, d: number) => new Date(y, m - 1, d).toISOString()

describe('transactionFilter', () => {
  it('leaves out what is not set', () => {
    expect(transactionFilter({ type: '', from: '', to: '' })).toEqual({})
  })

  it('sends the type and the days as a half-open range of instants', () => {
    expect(transactionFilter({ type: 'deposit', from: '2025-05-01', to: '2025-05-31' })).toEqual({
      type: 'deposit',
      from: local(2025, 5, 1),
      to: local(2025, 6, 1),
    })
  })

  it('includes the whole last day, across month and year ends', () => {
    expect(transactionFilter({ type: '', from: '', to: '2025-12-31' })).toEqual({ to: local(2026, 1, 1) })
  })

  it('ignores a day it cannot read', () => {
    expect(transactionFilter({ type: '', from: 'yesterday', to: '' })).toEqual({})
    expect(dayStartIso('2025-5-1')).toBeNull()
  })
})

describe('describeChange', () => {
  it('gives every change its unit', () => {
    expect(describeChange({ account: 'available', asset: 'visits', delta: 1000 }, 'en')).toBe(
      'available +1,000 visits',
    )
    expect(describeChange({ account: 'reserved', asset: 'visits', delta: -1 }, 'en')).toBe(
      'reserved −1 visit',
    )
    expect(describeChange({ account: 'affiliate_pending', asset: 'EUR', delta: 1200 }, 'en')).toBe(
      'affiliate pending +€12.00',
    )
  })
})
