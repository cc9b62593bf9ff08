/** `/logs` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Postback logs with filters',
  'Ingestion errors of the click pipeline',
  'Autopilot audit log',
]

export function Component() {
  return <ComingSoon title="Logs" description="What happened, and why." features={FEATURES} />
}
