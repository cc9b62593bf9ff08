/** `/outreach` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Criteria, daily runs and contacted creators',
  'Sending window, replies and suppression list',
  'Daily credits and run history',
]

export function Component() {
  return (
    <ComingSoon
      title="Outreach"
      description="Recurring outreach campaigns to creators."
      features={FEATURES}
    />
  )
}
