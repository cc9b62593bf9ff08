import { describe, expect, it } from 'vitest'
import { hasLanderMetrics, landerTotals } from './lander-metrics.lib'

describe('lander metrics of the report table', () => {
  it('are shown when rows carry lp_clicks', () => {
    expect(hasLanderMetrics([{ lander_visits: 1, lp_clicks: 0, lp_ctr: 0 }])).toBe(true)
    expect(hasLanderMetrics([{}])).toBe(false)
    expect(hasLanderMetrics(undefined)).toBe(false)
  })

  it.each([
    [[], { lander_visits: 0, lp_clicks: 0, lp_ctr: null }],
    [
      [
        { lander_visits: 3, lp_clicks: 2, lp_ctr: 66.6667 },
        { lander_visits: 0, lp_clicks: 0, lp_ctr: null },
        { lander_visits: 1, lp_clicks: 0, lp_ctr: 0 },
      ],
      { lander_visits: 4, lp_clicks: 2, lp_ctr: 50 },
    ],
    [
      [{ lander_visits: 3, lp_clicks: 1, lp_ctr: 33.3333 }],
      { lander_visits: 3, lp_clicks: 1, lp_ctr: 33.3333 },
    ],
  ])('totals of %j', (rows, totals) => expect(landerTotals(rows)).toEqual(totals))
})
