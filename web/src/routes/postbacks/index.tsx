/**
 * `/postbacks` — conversions in and out: inbound postback log, conversions, outbound
 * deliveries to traffic sources with Retry (the same panels as `/logs`, without ingestion).
 */
import { PageHeader } from '@/components/common/page-header'
import { OpsTabs } from '../logs/components/ops-tabs'

const TABS = ['postbacks', 'conversions', 'outbound'] as const

export function Component() {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader title="Postbacks" description="Conversions in from networks, and out to traffic sources." />
      <OpsTabs tabs={TABS} />
    </div>
  )
}
