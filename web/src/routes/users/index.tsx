/** `/users` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = ['Approve or suspend sign-ups', 'Search users by email, name or company', 'Promote to admin']

export function Component() {
  return (
    <ComingSoon
      title="Users"
      description="Accounts on this installation (admins only)."
      features={FEATURES}
    />
  )
}
