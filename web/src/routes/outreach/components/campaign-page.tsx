/**
 * `/outreach/campaigns/:id` — one campaign: status with pause/resume, today's figures, the
 * runs history, one day's emails (scheduled times in the campaign's zone, statuses with what
 * they mean) and the replies it received. Refreshed every 15 s.
 */
import { CalendarDays, CircleAlert, History, Inbox, Pause, Pencil, Play, Trash2 } from 'lucide-react'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { WithHistoryTab } from '@/components/common/history-panel'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Button } from '@/components/ui/button'
import { Card, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Skeleton } from '@/components/ui/skeleton'
import { toast } from '@/components/ui/sonner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import {
  type Campaign,
  useCampaign,
  useCampaignEmails,
  useCampaignRuns,
  useDeleteCampaign,
  useMailboxes,
  useReplies,
  useUpdateCampaign,
} from '@/hooks/api/outreach'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatInt, formatRelative } from '@/lib/format'
import { ConfirmDialog } from '../../campaigns/components/shared'
import { campaignState, clockIn, runsText } from './outreach.lib'
import {
  BackLink,
  CampaignStateBadge,
  EmailStatusBadge,
  Figure,
  PLATFORM_LABEL,
  ReplyKindBadge,
  RunStatusBadge,
} from './shared'

export function CampaignPage() {
  const { id = '' } = useParams()
  const campaign = useCampaign(id)
  return (
    <div className="flex flex-col gap-4">
      <BackLink label="Campaigns" />
      <QueryStates query={campaign} card pending={<Skeleton className="h-64 w-full" />}>
        {(c) => <CampaignView campaign={c} />}
      </QueryStates>
    </div>
  )
}

function CampaignView({ campaign: c }: { campaign: Campaign }) {
  const navigate = useNavigate()
  const update = useUpdateCampaign(c.id)
  const remove = useDeleteCampaign()
  const mailboxes = useMailboxes()
  const [deleting, setDeleting] = useState(false)
  const state = campaignState(c)
  const mailbox = mailboxes.data?.find((m) => m.id === c.mailbox_id)
  const toggle = () =>
    update.mutate(
      { is_active: !c.is_active },
      {
        onSuccess: (n) =>
          toast.success(n.is_active ? 'Resumed: the next run follows' : 'Paused: nothing more is sent'),
        onError: (e) => toast.error(errorMessage(e)),
      },
    )
  const criteria = [
    c.criteria.keywords.join(', '),
    c.criteria.min_followers !== undefined || c.criteria.max_followers !== undefined
      ? `${formatInt(c.criteria.min_followers ?? 0)}–${c.criteria.max_followers !== undefined ? formatInt(c.criteria.max_followers) : '∞'} followers`
      : null,
    c.criteria.location ? `in ${c.criteria.location}` : null,
    c.criteria.language ? `language ${c.criteria.language}` : null,
  ].filter(Boolean)
  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <span className="break-all">{c.name}</span>
            <CampaignStateBadge state={state} />
          </span>
        }
        description={
          <>
            {PLATFORM_LABEL[c.criteria.platform] ?? c.criteria.platform} · {criteria.join(' · ')}
          </>
        }
        actions={
          <>
            {state !== 'completed' && (
              <Button
                variant={c.is_active ? 'outline' : 'default'}
                onClick={toggle}
                disabled={update.isPending}
                data-testid="toggle-active"
              >
                {c.is_active ? (
                  <>
                    <Pause /> Pause
                  </>
                ) : (
                  <>
                    <Play /> Resume
                  </>
                )}
              </Button>
            )}
            <Button variant="outline" asChild>
              <Link to="edit">
                <Pencil /> Edit
              </Link>
            </Button>
            <Button
              variant="ghost"
              size="icon"
              className="text-destructive hover:text-destructive"
              aria-label="Delete campaign"
              onClick={() => setDeleting(true)}
            >
              <Trash2 />
            </Button>
          </>
        }
      />
      <WithHistoryTab objectType="outreach_campaign" objectId={c.id} detailsLabel="Overview">
        <div className="grid grid-cols-3 gap-2 sm:gap-3 lg:grid-cols-6" data-testid="campaign-figures">
          <Figure
            label="Runs"
            value={runsText(c)}
            hint={c.last_run_at ? `last ${formatRelative(c.last_run_at)}` : 'none yet'}
          />
          <Figure label="Found today" value={formatInt(c.today?.found ?? 0)} testId="today-found" />
          <Figure label="Emails found" value={formatInt(c.today?.emails_found ?? 0)} />
          <Figure label="Scheduled" value={formatInt(c.today?.scheduled ?? 0)} />
          <Figure label="Sent" value={formatInt(c.today?.sent ?? 0)} testId="today-sent" />
          <Figure label="Replies" value={formatInt(c.today?.replies ?? 0)} />
        </div>
        <p className="text-sm text-muted-foreground">
          Sends {c.window_start}–{c.window_end} {c.timezone}, up to {formatInt(c.daily_quota)} creators a run,
          from {mailbox ? `${mailbox.name} (${mailbox.from_email})` : 'its mailbox'}.
          {c.stop_on_auto_reply && ' Auto-replies stop the contact.'}
        </p>
        <RunsCard campaignId={c.id} />
        <EmailsCard campaign={c} />
        <RepliesCard campaignId={c.id} />
      </WithHistoryTab>
      <ConfirmDialog
        open={deleting}
        title={`Delete “${c.name}”?`}
        description="The campaign, its runs and its scheduled emails are removed; nothing more is sent. Creators it contacted stay contacted, and credits used stay used."
        confirmLabel="Delete campaign"
        pending={remove.isPending}
        onClose={() => setDeleting(false)}
        onConfirm={() =>
          remove.mutate(c.id, {
            onSuccess: () => {
              toast.success(`Campaign “${c.name}” deleted`)
              navigate('/outreach')
            },
            onError: (e) => {
              toast.error(errorMessage(e))
              setDeleting(false)
            },
          })
        }
      />
    </>
  )
}

function RunsCard({ campaignId }: { campaignId: string }) {
  const runs = useCampaignRuns(campaignId)
  return (
    <Card className="min-w-0 gap-0 pb-2" data-testid="runs-card">
      <CardHeader className="pb-3">
        <div>
          <CardTitle>Runs</CardTitle>
          <CardDescription>
            One a day: find creators, look up their emails, schedule the sends.
          </CardDescription>
        </div>
      </CardHeader>
      <QueryStates
        query={runs}
        skeleton={{ rows: 3, columns: 6 }}
        isEmpty={(runs.data?.length ?? 0) === 0}
        empty={
          <EmptyState
            icon={History}
            className="py-6"
            title="No run yet"
            description="The first run starts when the campaign is created, the next ones daily."
          />
        }
      >
        {(items) => (
          <>
            {items[0]?.status === 'failed' && items[0].error && (
              <div className="px-5 pb-3">
                <Alert variant="destructive" data-testid="last-run-error">
                  <CircleAlert />
                  <AlertDescription>
                    Run #{items[0].run_number} failed: {items[0].error}
                  </AlertDescription>
                </Alert>
              </div>
            )}
            <Table data-testid="runs-table">
              <TableHeader>
                <TableRow className="hover:bg-transparent">
                  <TableHead>Run</TableHead>
                  <TableHead>Date</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead className="text-right">Found</TableHead>
                  <TableHead className="text-right">Emails</TableHead>
                  <TableHead className="text-right">Sent</TableHead>
                  <TableHead className="text-right">Credits</TableHead>
                  <TableHead>Error</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {items.map((r) => (
                  <TableRow key={r.id} data-testid="run-row" data-run={r.run_number}>
                    <TableCell className="font-medium tabular-nums">#{r.run_number}</TableCell>
                    <TableCell
                      className="whitespace-nowrap"
                      title={`Started ${formatDateTime(r.started_at)}`}
                    >
                      {r.run_date}
                    </TableCell>
                    <TableCell>
                      <RunStatusBadge status={r.status} />
                    </TableCell>
                    <TableCell className="text-right tabular-nums">{formatInt(r.creators_found)}</TableCell>
                    <TableCell className="text-right tabular-nums">{formatInt(r.emails_found)}</TableCell>
                    <TableCell className="text-right tabular-nums">{formatInt(r.emails_sent)}</TableCell>
                    <TableCell className="text-right tabular-nums">{formatInt(r.credits_used)}</TableCell>
                    <TableCell
                      className="max-w-72 min-w-48 text-xs whitespace-normal break-words text-destructive"
                      data-testid="run-error"
                    >
                      {r.error ?? <span className="text-muted-foreground">—</span>}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </>
        )}
      </QueryStates>
    </Card>
  )
}

function EmailsCard({ campaign: c }: { campaign: Campaign }) {
  const [date, setDate] = useState('')
  const emails = useCampaignEmails(c.id, date || undefined)
  const items = emails.data ?? []
  const unknown = items.filter((e) => e.status === 'unknown').length
  const unpaid = items.filter((e) => e.status === 'unpaid').length
  return (
    <Card className="min-w-0 gap-0 pb-2" data-testid="emails-card">
      <CardHeader className="pb-3">
        <div className="min-w-0">
          <CardTitle>{date ? `Emails of ${date}` : 'Today’s schedule and sent emails'}</CardTitle>
          <CardDescription>Times in {c.timezone}. Hover a status for what it means.</CardDescription>
        </div>
        <div className="flex items-center gap-2">
          <CalendarDays className="size-4 text-muted-foreground" aria-hidden="true" />
          <Input
            type="date"
            aria-label="Day"
            className="w-40"
            value={date}
            onChange={(e) => setDate(e.target.value)}
            data-testid="emails-date"
          />
          {date && (
            <Button variant="ghost" size="sm" onClick={() => setDate('')}>
              Today
            </Button>
          )}
        </div>
      </CardHeader>
      {(unknown > 0 || unpaid > 0) && (
        <div className="grid gap-2 px-5 pb-3">
          {unknown > 0 && (
            <Alert>
              <CircleAlert />
              <AlertDescription>
                {formatInt(unknown)} email{unknown > 1 ? 's' : ''} in state unknown: the server may or may not
                have delivered {unknown > 1 ? 'them' : 'it'}; never retried automatically, so nobody gets it
                twice.
              </AlertDescription>
            </Alert>
          )}
          {unpaid > 0 && (
            <Alert>
              <CircleAlert />
              <AlertDescription>
                {formatInt(unpaid)} unpaid: no credit left today; {unpaid > 1 ? 'they wait' : 'it waits'} for
                the next run.
              </AlertDescription>
            </Alert>
          )}
        </div>
      )}
      <QueryStates
        query={emails}
        skeleton={{ rows: 3, columns: 5 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={CalendarDays}
            className="py-6"
            title={date ? 'No emails that day' : 'Nothing scheduled today'}
            description="A run schedules one email per creator whose address was found, spread over the sending window."
          />
        }
      >
        {() => (
          <Table data-testid="emails-table">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead className="hidden md:table-cell">To</TableHead>
                <TableHead>Creator</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Scheduled</TableHead>
                <TableHead>Details</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((e) => (
                <TableRow key={e.id} data-testid="email-row">
                  <TableCell
                    className="hidden max-w-56 truncate font-mono text-xs md:table-cell"
                    title={e.to_email}
                  >
                    {e.to_email}
                  </TableCell>
                  <TableCell className="max-w-36 sm:max-w-48">
                    <div className="truncate text-sm">@{e.creator.handle}</div>
                    <div className="truncate font-mono text-xs md:hidden" title={e.to_email}>
                      {e.to_email}
                    </div>
                    <div className="truncate text-xs text-muted-foreground">
                      {e.creator.full_name}
                      {e.creator.followers !== null && ` · ${formatInt(e.creator.followers)}`}
                    </div>
                  </TableCell>
                  <TableCell>
                    <EmailStatusBadge status={e.status} />
                    {!e.charged && e.status === 'sent' && (
                      <div className="text-xs text-muted-foreground">not charged</div>
                    )}
                  </TableCell>
                  <TableCell className="whitespace-nowrap tabular-nums">
                    {clockIn(e.scheduled_at, c.timezone)}
                    {e.sent_at && (
                      <div className="text-xs text-muted-foreground">
                        sent {clockIn(e.sent_at, c.timezone)}
                      </div>
                    )}
                  </TableCell>
                  <TableCell className="max-w-72 min-w-48 text-xs whitespace-normal break-words text-muted-foreground">
                    {e.error ? <span className="text-destructive">{e.error}</span> : (e.smtp_response ?? '—')}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </QueryStates>
    </Card>
  )
}

function RepliesCard({ campaignId }: { campaignId: string }) {
  const replies = useReplies({ campaign_id: campaignId })
  return (
    <Card className="min-w-0 gap-0 pb-2" data-testid="campaign-replies">
      <CardHeader className="pb-3">
        <div>
          <CardTitle>Replies</CardTitle>
          <CardDescription>Answers, auto-replies and bounces to this campaign’s emails.</CardDescription>
        </div>
        <Button variant="outline" size="sm" asChild>
          <Link to={`/outreach/replies?campaign=${campaignId}`}>Open in inbox</Link>
        </Button>
      </CardHeader>
      <QueryStates
        query={replies}
        skeleton={{ rows: 2, columns: 3 }}
        isEmpty={(replies.data?.length ?? 0) === 0}
        empty={
          <EmptyState
            icon={Inbox}
            className="py-6"
            title="No replies yet"
            description="Replies are read from the mailbox’s inbox (IMAP) and matched to the emails sent."
          />
        }
      >
        {(items) => (
          <ul className="divide-y">
            {items.slice(0, 20).map((r) => (
              <li key={r.id}>
                <Link
                  to={`/outreach/replies?campaign=${campaignId}&reply=${r.id}`}
                  className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 px-5 py-2.5 hover:bg-muted/50"
                  data-testid="campaign-reply"
                >
                  <ReplyKindBadge kind={r.effective_kind} overridden={!!r.override_kind} />
                  <span className="min-w-0 flex-1 truncate text-sm">
                    <span className="font-medium">{r.from_email}</span>{' '}
                    <span className="text-muted-foreground">{r.subject}</span>
                  </span>
                  <span className="text-xs text-muted-foreground">{formatRelative(r.received_at)}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </QueryStates>
    </Card>
  )
}
