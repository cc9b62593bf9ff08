/** `/sources` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Cost model (CPC, CPM or none), default cost and currency',
  'Parameter mapping such as {external_id}',
  'Outbound postback templates to report conversions back',
]

export function Component() {
  return <ComingSoon title="Traffic sources" description="Where your clicks come from." features={FEATURES} />
}
