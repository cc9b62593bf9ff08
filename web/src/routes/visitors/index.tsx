/** `/visitors` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Projects with speed, device split, geo mix and time on page',
  'Ownership verification by file or DNS record',
  'Live pulse of every hit',
]

export function Component() {
  return (
    <ComingSoon
      title="Visitors"
      description="Verified synthetic traffic to URLs you own."
      features={FEATURES}
    />
  )
}
