/**
 * `/outreach` — the campaigns: the credits of today and their 14-day history on top, then
 * every campaign with its platform, status, runs done of the maximum and today's progress
 * (creators found → emails found → sent / scheduled, replies). With no campaign, the empty
 * state says what one does, and sends to the mailbox form first when there is no mailbox.
 */
import type { ColumnDef } from '@tanstack/react-table'
import { ArrowRight, Mail, Megaphone, Plus } from 'lucide-react'
import { useMemo } from 'react'
import { Link } from 'react-router'
import { DataTable } from '@/components/common/data-table'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { type Campaign, useCampaigns, useMailboxes } from '@/hooks/api/outreach'
import { formatInt } from '@/lib/format'
import { CreditsHistory, CreditsWidget } from './credits'
import { campaignState, runsText } from './outreach.lib'
import { CampaignStateBadge, PLATFORM_LABEL } from './shared'

/** Today's funnel of a campaign: found → emails → sent / scheduled. */
function TodayCell({ c }: { c: Campaign }) {
  const t = c.today
  if (!t) return <span className="text-muted-foreground">no run today</span>
  return (
    <span
      className="inline-flex items-center gap-1 whitespace-nowrap tabular-nums"
      data-testid="today-progress"
    >
      <span title="Creators found">{formatInt(t.found)}</span>
      <ArrowRight className="size-3 text-muted-foreground" aria-label="then" />
      <span title="Emails found">{formatInt(t.emails_found)}</span>
      <ArrowRight className="size-3 text-muted-foreground" aria-label="then" />
      <span title="Sent / scheduled">
        <span className="font-medium">{formatInt(t.sent)}</span>
        <span className="text-muted-foreground"> / {formatInt(t.scheduled)}</span>
      </span>
    </span>
  )
}

export function CampaignList() {
  const campaigns = useCampaigns()
  const mailboxes = useMailboxes()
  const noMailbox = mailboxes.data?.length === 0
  const columns = useMemo<ColumnDef<Campaign, unknown>[]>(
    () => [
      {
        accessorKey: 'name',
        header: 'Campaign',
        cell: ({ row }) => (
          <div className="min-w-0 max-w-44 sm:max-w-72">
            <Link
              to={`campaigns/${row.original.id}`}
              className="block truncate font-medium hover:underline"
              data-testid="campaign-link"
            >
              {row.original.name}
            </Link>
            <p className="truncate text-xs text-muted-foreground">
              {PLATFORM_LABEL[row.original.criteria.platform] ?? row.original.criteria.platform}
              {row.original.criteria.keywords.length > 0 && ` · ${row.original.criteria.keywords.join(', ')}`}
            </p>
          </div>
        ),
      },
      {
        id: 'status',
        header: 'Status',
        accessorFn: (c) => campaignState(c),
        cell: ({ row }) => <CampaignStateBadge state={campaignState(row.original)} />,
      },
      {
        id: 'runs',
        header: 'Runs',
        accessorFn: (c) => c.run_count,
        meta: { align: 'right', className: 'hidden sm:table-cell' },
        cell: ({ row }) => <span className="whitespace-nowrap">{runsText(row.original)}</span>,
      },
      {
        id: 'today',
        header: 'Today: found → emails → sent / scheduled',
        enableSorting: false,
        cell: ({ row }) => <TodayCell c={row.original} />,
      },
      {
        id: 'replies',
        header: 'Replies',
        accessorFn: (c) => c.today?.replies ?? 0,
        meta: { align: 'right' },
        cell: ({ row }) => formatInt(row.original.today?.replies ?? 0),
      },
    ],
    [],
  )
  const newButton = (
    <Button asChild>
      <Link to="campaigns/new">
        <Plus /> New campaign
      </Link>
    </Button>
  )
  return (
    <div className="flex flex-col gap-4">
      <div className="grid gap-4 lg:grid-cols-[2fr_3fr]">
        <CreditsWidget />
        <CreditsHistory />
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-lg font-semibold">Campaigns</h2>
        {(campaigns.data?.length ?? 0) > 0 && newButton}
      </div>
      <Card className="gap-0 py-2">
        <QueryStates
          query={campaigns}
          skeleton={{ rows: 4, columns: 5 }}
          isEmpty={(campaigns.data?.length ?? 0) === 0}
          empty={
            <EmptyState
              icon={Megaphone}
              title="No campaigns yet"
              description="A campaign finds creators on a platform by niche, followers, location and language, looks up their email, and sends your message in a daily window from your mailbox — every day for as many runs as you choose. Replies and bounces are read back and stop further emails."
              action={
                noMailbox ? (
                  <div className="flex flex-col items-center gap-2">
                    <Button asChild>
                      <Link to="mailboxes/new" data-testid="connect-mailbox-first">
                        <Mail /> Connect a mailbox first
                      </Link>
                    </Button>
                    <p className="text-xs text-muted-foreground">
                      Campaigns send from one of your mailboxes.
                    </p>
                  </div>
                ) : (
                  newButton
                )
              }
            />
          }
        >
          {(items) => (
            <DataTable columns={columns} data={items} getRowId={(c) => c.id} data-testid="campaigns-table" />
          )}
        </QueryStates>
      </Card>
    </div>
  )
}
