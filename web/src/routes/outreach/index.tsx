/**
 * `/outreach` — recurring email outreach to creators, in sections that are routes:
 * - `/outreach`: credits of today and the last 14 days, the campaigns (`components/campaign-list.tsx`);
 * - `/outreach/campaigns/new`, `/outreach/campaigns/:id/edit`: the campaign form (`components/campaign-form.tsx`);
 * - `/outreach/campaigns/:id`: runs, today's emails, replies (`components/campaign-page.tsx`);
 * - `/outreach/replies`: the inbox with classification evidence and override (`components/replies.tsx`);
 * - `/outreach/mailboxes[/new|/:id]`: SMTP/IMAP mailboxes and their connection test (`components/mailboxes.tsx`);
 * - `/outreach/suppressions`: addresses never emailed (`components/suppressions.tsx`).
 * The public unsubscribe page is `routes/unsubscribe` (outside the admin layout).
 */
import type * as React from 'react'
import { Navigate, Route, Routes, useNavigate, useParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { QueryStates } from '@/components/common/states'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { useCampaign, useCreateCampaign, useUpdateCampaign } from '@/hooks/api/outreach'
import { CampaignForm } from './components/campaign-form'
import { CampaignList } from './components/campaign-list'
import { CampaignPage } from './components/campaign-page'
import { MailboxList, MailboxPage } from './components/mailboxes'
import { RepliesInbox } from './components/replies'
import { BackLink, OutreachNav } from './components/shared'
import { Suppressions } from './components/suppressions'

/** Title and section tabs over a section's page. */
function Section({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Outreach"
        description="Find creators by niche, email them from your mailbox in a daily window, and read their replies."
      />
      <OutreachNav />
      {children}
    </div>
  )
}

function NewCampaign() {
  const navigate = useNavigate()
  const create = useCreateCampaign()
  return (
    <div className="flex flex-col gap-4">
      <BackLink label="Campaigns" />
      <PageHeader title="New campaign" description="Its first run starts as soon as it is created." />
      <CampaignForm
        submitLabel="Create campaign"
        onCancel={() => navigate('/outreach')}
        onSubmit={async (body) => {
          const c = await create.mutateAsync(body)
          toast.success(`Campaign “${c.name}” created: the first run is starting`)
          navigate(`/outreach/campaigns/${c.id}`)
        }}
      />
    </div>
  )
}

function EditCampaign() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const campaign = useCampaign(id)
  const update = useUpdateCampaign(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink to={`/outreach/campaigns/${id}`} label="Campaign" />
      <PageHeader
        title={campaign.data ? `Edit “${campaign.data.name}”` : 'Edit campaign'}
        description="Changes apply from the next run; emails already scheduled keep their text."
      />
      <QueryStates query={campaign} card pending={<Skeleton className="h-96 w-full" />}>
        {(c) => (
          <CampaignForm
            campaign={c}
            submitLabel="Save changes"
            onCancel={() => navigate(`/outreach/campaigns/${id}`)}
            onSubmit={async (body) => {
              await update.mutateAsync(body)
              toast.success('Saved')
              navigate(`/outreach/campaigns/${id}`)
            }}
          />
        )}
      </QueryStates>
    </div>
  )
}

export function Component() {
  return (
    <Routes>
      <Route
        index
        element={
          <Section>
            <CampaignList />
          </Section>
        }
      />
      <Route path="campaigns" element={<Navigate to="/outreach" replace />} />
      <Route path="campaigns/new" element={<NewCampaign />} />
      <Route path="campaigns/:id" element={<CampaignPage />} />
      <Route path="campaigns/:id/edit" element={<EditCampaign />} />
      <Route
        path="replies"
        element={
          <Section>
            <RepliesInbox />
          </Section>
        }
      />
      <Route
        path="mailboxes"
        element={
          <Section>
            <MailboxList />
          </Section>
        }
      />
      <Route path="mailboxes/new" element={<MailboxPage />} />
      <Route path="mailboxes/:id" element={<MailboxPage />} />
      <Route
        path="suppressions"
        element={
          <Section>
            <Suppressions />
          </Section>
        }
      />
      <Route path="*" element={<Navigate to="/outreach" replace />} />
    </Routes>
  )
}
