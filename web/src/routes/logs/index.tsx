/**
 * `/logs` — what happened, and why: inbound postback log, conversions, outbound deliveries
 * (with Retry) and, for admins, the click pipeline's ingestion errors / backpressure (`?tab=`;
 * the ingestion status is platform-wide, so the API answers it to admins only).
 */
import { PageHeader } from '@/components/common/page-header'
import { useMe } from '@/hooks/api/auth'
import { OpsTabs } from './components/ops-tabs'

const TABS = ['postbacks', 'conversions', 'outbound'] as const
const ADMIN_TABS = [...TABS, 'ingestion'] as const

export function Component() {
  const me = useMe()
  const admin = me.data?.user.role === 'admin'
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Logs"
        description={
          admin
            ? 'Every postback in and out, conversions, and click ingestion.'
            : 'Every postback in and out, and conversions.'
        }
      />
      <OpsTabs tabs={admin ? ADMIN_TABS : TABS} />
    </div>
  )
}
