/** `/settings/workspace` — placeholder until the page is built (replace this folder's index.tsx). */
import { ComingSoon } from '@/components/common/coming-soon'

const FEATURES = [
  'Workspace name and members with roles',
  'Invite and remove members',
  'Switch between your workspaces',
]

export function Component() {
  return <ComingSoon title="Workspace" description="Your workspace and its members." features={FEATURES} />
}
