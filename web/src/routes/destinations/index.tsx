/** `/destinations` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'URL templates with safe macros, network and default payout',
  'Daily and total click caps, schedules and remaining clicks',
  'Health checks and their history',
]

export function Component() {
  return (
    <ComingSoon
      title="Destinations"
      description="Offers and landing pages your streams send visitors to."
      features={FEATURES}
    />
  )
}
