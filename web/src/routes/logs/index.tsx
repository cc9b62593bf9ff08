/**
 * `/logs` — what happened, and why: inbound postback log, conversions, outbound deliveries
 * (with Retry), the change log (who changed what), security events (workspace owners and
 * admins: the API answers 403 to members, so they get no tab) and, for platform admins, the
 * click pipeline's ingestion errors / backpressure (`?tab=`; the ingestion status is
 * platform-wide, so the API answers it to admins only).
 */
import { PageHeader } from '@/components/common/page-header'
import { useMe } from '@/hooks/api/auth'
import { type OpsTab, OpsTabs } from './components/ops-tabs'

const TABS: OpsTab[] = ['postbacks', 'conversions', 'outbound', 'changes']

export function Component() {
  const me = useMe()
  const admin = me.data?.user.role === 'admin'
  // Security events are for the workspace's owners and admins (members get 403).
  const role = me.data?.workspace.role
  const security = role === 'owner' || role === 'admin'
  const tabs: OpsTab[] = [
    ...TABS,
    ...(security ? ['security' as const] : []),
    ...(admin ? ['ingestion' as const] : []),
  ]
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Logs"
        description={
          admin
            ? 'Every postback in and out, conversions, configuration changes, and click ingestion.'
            : 'Every postback in and out, conversions, and configuration changes.'
        }
      />
      <OpsTabs tabs={tabs} />
    </div>
  )
}
