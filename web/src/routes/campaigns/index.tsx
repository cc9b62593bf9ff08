/** `/campaigns` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'List, create, edit and pause campaigns (alias, source, cost, timezone, anti-repeat)',
  'Streams editor inside each campaign: forced, regular and default streams with conditions',
  'Weighted or ordered destinations per stream, selection strategy, route preview',
]

export function Component() {
  return (
    <ComingSoon
      title="Campaigns"
      description="Campaign links, their streams and trafficback."
      features={FEATURES}
    />
  )
}
