/**
 * A test stand-in for "clicks this process served that ClickHouse does not hold yet": the
 * conversions service's `recentClicks` dependency fed directly, so a test decides which of
 * its clicks the service finds without ClickHouse (the server wires the click pipeline's
 * queue, `recentClicksOf(pipeline)`, tested in test/conversions.wiring.test.ts).
 */
import type { ClickEvent } from '../../src/modules/analytics/index.ts'
import type { ClickInfo, RecentClicks } from '../../src/modules/conversions/click.lookup.ts'

export interface TestRecentClicks extends RecentClicks {
  remember(event: ClickEvent): void
}

export function testRecentClicks(): TestRecentClicks {
  const map = new Map<string, ClickInfo>()
  return {
    remember: (e) => map.set(e.click_id, e),
    find: (clickId) => map.get(clickId),
  }
}
