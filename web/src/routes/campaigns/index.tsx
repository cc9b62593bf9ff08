import { ArrowLeft, Pencil, Plus, Split, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { Link, Route, Routes, useNavigate, useParams } from 'react-router'
import { CopyButton } from '@/components/common/copy-button'
import { WithHistoryTab } from '@/components/common/history-panel'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, ErrorState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import {
  type Campaign,
  useCampaign,
  useCreateCampaign,
  useDeleteCampaign,
  useUpdateCampaign,
} from '@/hooks/api/campaigns'
import { useLanders } from '@/hooks/api/landers'
import { useDestinations } from '@/hooks/api/destinations'
import {
  type Stream,
  useCreateStream,
  useDeleteStream,
  useStream,
  useStreams,
  useUpdateStream,
} from '@/hooks/api/streams'
import { errorMessage } from '@/lib/api'
import { CampaignForm } from './components/campaign-form'
import { CampaignLinkCard } from './components/campaign-link'
import { CostUpdates } from './components/cost-updates'
import { CampaignList } from './components/campaign-list'
import { RoutePreview } from './components/route-preview'
import { ConfirmDialog, StatusBadge } from './components/shared'
import { LanderClickLink } from './components/lander-link'
import { StreamForm } from './components/stream-form'
import { describeConditions, orderStreams } from './components/stream-form.lib'

/** The public link of a campaign (the API's `url`, else this origin). */
const campaignLink = (c: Campaign) => c.url ?? `${window.location.origin}/c/${c.alias}`

function BackLink({ to, label }: { to: string; label: string }) {
  return (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to={to}>
        <ArrowLeft /> {label}
      </Link>
    </Button>
  )
}

function FormSkeleton() {
  return (
    <Card className="p-6">
      <Skeleton className="h-64 w-full" />
    </Card>
  )
}

function NewCampaign() {
  const navigate = useNavigate()
  const create = useCreateCampaign()
  return (
    <div className="flex flex-col gap-4">
      <BackLink to="/campaigns" label="Campaigns" />
      <PageHeader title="New campaign" />
      <CampaignForm
        submitLabel="Create campaign"
        onCancel={() => navigate('/campaigns')}
        onSubmit={async (body) => {
          const c = await create.mutateAsync(body)
          toast.success(`Campaign “${c.name}” created`)
          navigate(`/campaigns/${c.id}`)
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
      <BackLink to={`/campaigns/${id}`} label={campaign.data?.name ?? 'Campaign'} />
      <PageHeader title="Edit campaign" />
      <QueryStates query={campaign} pending={<FormSkeleton />} card>
        {(c) => (
          <CampaignForm
            key={c.updated_at}
            campaign={c}
            submitLabel="Save changes"
            onCancel={() => navigate(`/campaigns/${id}`)}
            onSubmit={async (body) => {
              await update.mutateAsync(body)
              toast.success('Campaign saved')
              navigate(`/campaigns/${id}`)
            }}
          />
        )}
      </QueryStates>
    </div>
  )
}

function StreamsCard({ campaignId }: { campaignId: string }) {
  const streams = useStreams({ campaign_id: campaignId, limit: 500 })
  const destinations = useDestinations({ limit: 500 })
  const landers = useLanders({ limit: 500 })
  const remove = useDeleteStream()
  const [deleting, setDeleting] = useState<Stream | null>(null)
  const names = new Map((destinations.data?.items ?? []).map((d) => [d.id, d.name]))
  const landerNames = new Map((landers.data?.items ?? []).map((l) => [l.id, l.name]))
  const items = orderStreams(streams.data?.items ?? [])
  const addButton = (
    <Button asChild size="sm">
      <Link to="streams/new">
        <Plus /> Add stream
      </Link>
    </Button>
  )
  return (
    <Card data-testid="streams-card">
      <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-2">
        <div>
          <CardTitle>Streams</CardTitle>
          <CardDescription>Tried in this order: forced, regular by priority, then default.</CardDescription>
        </div>
        {items.length > 0 && addButton}
      </CardHeader>
      <CardContent>
        <QueryStates
          query={streams}
          skeleton={{ rows: 2, columns: 3 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={Split}
              title="No streams yet"
              description="Without streams every click goes to trafficback. Add a default stream first."
              action={addButton}
            />
          }
        >
          <ol className="grid gap-2">
            {items.map((s, i) => (
              <li
                key={s.id}
                className="flex flex-wrap items-start gap-3 rounded-md border p-3"
                data-testid="stream-row"
              >
                <span className="w-5 pt-0.5 text-right text-sm text-muted-foreground tabular-nums">
                  {i + 1}.
                </span>
                <div className="grid min-w-0 flex-1 gap-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <Link to={`streams/${s.id}`} className="font-medium hover:underline">
                      {s.name}
                    </Link>
                    <Badge
                      variant={
                        s.kind === 'forced' ? 'warning' : s.kind === 'default' ? 'secondary' : 'outline'
                      }
                      className="capitalize"
                    >
                      {s.kind}
                    </Badge>
                    {s.kind === 'regular' && (
                      <span className="text-xs text-muted-foreground">priority {s.priority}</span>
                    )}
                    {!s.active && <Badge variant="secondary">Inactive</Badge>}
                  </div>
                  <p className="text-sm text-muted-foreground">{describeConditions(s.conditions)}</p>
                  {s.landers.length > 0 && (
                    <p className="text-sm">
                      <span className="text-muted-foreground">landers → </span>
                      {s.landers
                        .map(
                          (l) =>
                            `${landerNames.get(l.lander_id) ?? '…'} (${l.weight})${l.active ? '' : ' [off]'}`,
                        )
                        .join(', ')}
                    </p>
                  )}
                  <p className="text-sm">
                    <span className="text-muted-foreground">
                      {s.landers.length > 0 ? 'then ' : ''}
                      {s.strategy.replaceAll('_', ' ')} →{' '}
                    </span>
                    {s.destinations.length === 0
                      ? 'no offers'
                      : s.destinations
                          .map(
                            (d) =>
                              `${names.get(d.destination_id) ?? '…'}${s.strategy === 'weighted' ? ` (${d.weight})` : ''}${d.active ? '' : ' [off]'}`,
                          )
                          .join(', ')}
                  </p>
                </div>
                <div className="flex">
                  <Button variant="ghost" size="icon" asChild aria-label={`Edit ${s.name}`}>
                    <Link to={`streams/${s.id}`}>
                      <Pencil />
                    </Link>
                  </Button>
                  <Button
                    variant="ghost"
                    size="icon"
                    className="text-destructive hover:text-destructive"
                    aria-label={`Delete ${s.name}`}
                    onClick={() => setDeleting(s)}
                  >
                    <Trash2 />
                  </Button>
                </div>
              </li>
            ))}
          </ol>
        </QueryStates>
      </CardContent>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete stream “${deleting?.name}”?`}
        description="Clicks it took go to the next matching stream."
        confirmLabel="Delete stream"
        pending={remove.isPending}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toast.success('Stream deleted')
              setDeleting(null)
            },
            onError: (e) => toast.error(errorMessage(e)),
          })
        }
      />
    </Card>
  )
}

function CampaignDetail() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const campaign = useCampaign(id)
  const remove = useDeleteCampaign()
  const [deleting, setDeleting] = useState(false)
  if (campaign.isPending)
    return (
      <div className="flex flex-col gap-4">
        <Skeleton className="h-8 w-64" />
        <FormSkeleton />
      </div>
    )
  if (campaign.isError)
    return (
      <Card>
        <ErrorState error={campaign.error} onRetry={() => void campaign.refetch()} />
      </Card>
    )
  const c = campaign.data
  const link = campaignLink(c)
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink to="/campaigns" label="Campaigns" />
        <PageHeader
          title={
            <span className="flex flex-wrap items-center gap-2">
              {c.name} <StatusBadge status={c.status} />
            </span>
          }
          description={`Timezone ${c.timezone ?? 'UTC'} · trafficback ${c.trafficback?.type ?? 'none'}${c.anti_repeat?.enabled ? ' · anti-repeat on' : ''}`}
          actions={
            <>
              <Button variant="outline" asChild>
                <Link to="edit">
                  <Pencil /> Edit
                </Link>
              </Button>
              <Button
                variant="outline"
                className="text-destructive hover:text-destructive"
                onClick={() => setDeleting(true)}
              >
                <Trash2 /> Delete
              </Button>
            </>
          }
        />
      </div>
      <WithHistoryTab objectType="campaign" objectId={c.id}>
        <Card>
          <CardContent className="flex flex-col gap-2 sm:flex-row">
            <Input
              readOnly
              value={link}
              aria-label="Campaign link"
              data-testid="campaign-link"
              className="font-mono text-sm"
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton value={link} label="Copy link" />
          </CardContent>
        </Card>
        <CampaignLinkCard campaign={c} />
        <LanderClickLink campaign={c} />
        <StreamsCard campaignId={c.id} />
        <RoutePreview campaignId={c.id} />
        <CostUpdates campaign={c} />
      </WithHistoryTab>
      <ConfirmDialog
        open={deleting}
        title={`Delete “${c.name}”?`}
        description="Its link stops working and its streams are deleted. Past clicks keep their data."
        confirmLabel="Delete campaign"
        pending={remove.isPending}
        onClose={() => setDeleting(false)}
        onConfirm={() =>
          remove.mutate(c.id, {
            onSuccess: () => {
              toast.success(`Campaign “${c.name}” deleted`)
              navigate('/campaigns')
            },
            onError: (e) => toast.error(errorMessage(e)),
          })
        }
      />
    </div>
  )
}

function NewStream() {
  const { id = '' } = useParams()
  const navigate = useNavigate()
  const create = useCreateStream()
  const campaign = useCampaign(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink to={`/campaigns/${id}`} label={campaign.data?.name ?? 'Campaign'} />
      <PageHeader title="New stream" />
      <StreamForm
        campaignId={id}
        submitLabel="Create stream"
        onCancel={() => navigate(`/campaigns/${id}`)}
        onSubmit={async (body) => {
          await create.mutateAsync(body)
          toast.success(`Stream “${body.name}” created`)
          navigate(`/campaigns/${id}`)
        }}
      />
    </div>
  )
}

function EditStream() {
  const { id = '', streamId = '' } = useParams()
  const navigate = useNavigate()
  const stream = useStream(streamId)
  const update = useUpdateStream(streamId)
  const campaign = useCampaign(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink to={`/campaigns/${id}`} label={campaign.data?.name ?? 'Campaign'} />
      <PageHeader title={stream.data?.name ?? 'Stream'} description="Edit the stream." />
      <QueryStates query={stream} pending={<FormSkeleton />} card>
        {(s) => (
          <StreamForm
            key={s.updated_at}
            campaignId={id}
            stream={s}
            submitLabel="Save changes"
            onCancel={() => navigate(`/campaigns/${id}`)}
            onSubmit={async (body) => {
              await update.mutateAsync(body)
              toast.success('Stream saved')
              navigate(`/campaigns/${id}`)
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
      <Route index element={<CampaignList />} />
      <Route path="new" element={<NewCampaign />} />
      <Route path=":id" element={<CampaignDetail />} />
      <Route path=":id/edit" element={<EditCampaign />} />
      <Route path=":id/streams/new" element={<NewStream />} />
      <Route path=":id/streams/:streamId" element={<EditStream />} />
    </Routes>
  )
}
