/** `/autopilot` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Enable per campaign, wait minutes, price per 1000 clicks',
  'State and condition indicator, remaining clicks, spent, daily budget',
  'Pending budgets, recent actions and live updates',
]

export function Component() {
  return (
    <ComingSoon
      title="Autopilot"
      description="TrafficStars campaigns run from remaining clicks and spend."
      features={FEATURES}
    />
  )
}
