/**
 * `/autopilot` — TrafficStars campaigns run from the router's remaining clicks and today's
 * spend (rules: `src/modules/autopilot/README.md`): the accounts, and a live panel per autopilot campaign (refreshed every 2 s).
 */
import { Plus, Rocket } from 'lucide-react'
import { useState } from 'react'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { useAutopilotCampaigns, useTsAccounts } from '@/hooks/api/autopilot'
import { AccountsCard } from './components/accounts-card'
import { AddCampaignDialog } from './components/add-campaign-dialog'
import { CampaignPanel } from './components/campaign-panel'

export function Component() {
  const campaigns = useAutopilotCampaigns()
  const accounts = useTsAccounts()
  const [adding, setAdding] = useState(false)
  const accountList = accounts.data?.items ?? []
  const items = campaigns.data?.items ?? []
  const addButton = (
    <Button onClick={() => setAdding(true)} disabled={accountList.length === 0}>
      <Plus /> Add campaign
    </Button>
  )
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Autopilot"
        description="Runs TrafficStars campaigns by remaining clicks and today's spend, every minute."
        actions={items.length > 0 ? addButton : undefined}
      />
      <QueryStates
        query={campaigns}
        pending={
          <Card className="px-5">
            <Skeleton className="h-6 w-48" />
            <div className="grid grid-cols-2 gap-2 md:grid-cols-3 xl:grid-cols-6">
              {Array.from({ length: 6 }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
                <Skeleton key={i} className="h-16" />
              ))}
            </div>
            <Skeleton className="h-32" />
          </Card>
        }
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={Rocket}
            title="No campaign under autopilot"
            description={
              accountList.length === 0
                ? 'Add a TrafficStars account below, then put a router campaign under autopilot.'
                : 'Pick a router campaign and its TrafficStars campaign to start.'
            }
            action={addButton}
          />
        }
        card
      >
        {items.map((c) => (
          <CampaignPanel key={c.id} campaign={c} account={accountList.find((a) => a.id === c.account_id)} />
        ))}
      </QueryStates>
      <AccountsCard />
      <AddCampaignDialog open={adding} onOpenChange={setAdding} accounts={accountList} />
    </div>
  )
}
