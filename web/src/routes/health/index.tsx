/** `/health` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Current state of every checked destination',
  'Health events (state changes) with filters',
  'Run a check now',
]

export function Component() {
  return <ComingSoon title="Health" description="Destination health checks." features={FEATURES} />
}
