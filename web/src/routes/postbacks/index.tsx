/** `/postbacks` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Inbound postback log with outcome and reason',
  'Conversions with status history',
  'Outbound deliveries, attempts, retries and dead letters',
]

export function Component() {
  return <ComingSoon title="Postbacks" description="Conversions in and out." features={FEATURES} />
}
