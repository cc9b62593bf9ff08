/** `/billing` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Balance and transactions (append-only ledger)',
  'Price quote for visitor credits',
  'Affiliate link and 20% lifetime earnings',
]

export function Component() {
  return <ComingSoon title="Billing" description="Balance, credits and payouts." features={FEATURES} />
}
