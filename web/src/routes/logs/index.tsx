/**
 * `/logs` — what happened, and why: inbound postback log, conversions, outbound deliveries
 * (with Retry) and the click pipeline's ingestion errors / backpressure (`?tab=`).
 */
import { PageHeader } from '@/components/common/page-header'
import { OpsTabs } from './components/ops-tabs'

const TABS = ['postbacks', 'conversions', 'outbound', 'ingestion'] as const

export function Component() {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Logs" description="Every postback in and out, conversions, and click ingestion." />
      <OpsTabs tabs={TABS} />
    </div>
  )
}
