/** `/networks` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Postback templates and presets (subid/tid/payout/status …)',
  'Secrets, IP allowlists and status names',
  'Your postback URL, ready to paste into the network',
]

export function Component() {
  return (
    <ComingSoon
      title="Affiliate networks"
      description="Networks that send you conversions."
      features={FEATURES}
    />
  )
}
