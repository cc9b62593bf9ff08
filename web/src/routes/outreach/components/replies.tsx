/**
 * `/outreach/replies` — the inbox: every message read back from the mailboxes that answers
 * one of our emails (reply, auto-reply or bounce), filtered by campaign and kind (`?campaign=`,
 * `?kind=`). `?reply=` opens one: the thread (our email, their answer), whether it was charged,
 * the headers that decided its kind, and a one-click correction of the kind.
 */
import { ArrowLeft, CircleCheck, Inbox, Mail, Reply as ReplyIcon, ShieldQuestion } from 'lucide-react'
import type * as React from 'react'
import { useSearchParams } from 'react-router'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import {
  REPLY_KINDS,
  type Reply,
  type ReplyKind,
  useCampaigns,
  useClassifyReply,
  useReplies,
} from '@/hooks/api/outreach'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatRelative } from '@/lib/format'
import { cn } from '@/lib/utils'
import { unchargedText } from './outreach.lib'
import { kindLabel, ReplyKindBadge } from './shared'

export function RepliesInbox() {
  const [search, setSearch] = useSearchParams()
  const campaignId = search.get('campaign') ?? ''
  const kind = (REPLY_KINDS as readonly string[]).includes(search.get('kind') ?? '')
    ? (search.get('kind') as ReplyKind)
    : undefined
  const selectedId = search.get('reply')
  const campaigns = useCampaigns()
  const replies = useReplies({
    ...(campaignId ? { campaign_id: campaignId } : {}),
    ...(kind ? { kind } : {}),
  })
  const set = (k: string, v: string | null) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (v) next.set(k, v)
        else next.delete(k)
        return next
      },
      { replace: k !== 'reply' },
    )
  const items = replies.data ?? []
  const selected = items.find((r) => r.id === selectedId) ?? null
  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
      <Card
        className={cn('min-w-0 gap-0 self-start py-2', selected && 'hidden lg:flex')}
        data-testid="replies-list"
      >
        <div className="grid grid-cols-2 gap-2 border-b px-4 pt-1 pb-3">
          <Select
            aria-label="Campaign"
            value={campaignId}
            onChange={(e) => set('campaign', e.target.value || null)}
          >
            <option value="">All campaigns</option>
            {campaigns.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </Select>
          <Select aria-label="Kind" value={kind ?? ''} onChange={(e) => set('kind', e.target.value || null)}>
            <option value="">All kinds</option>
            {REPLY_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </Select>
        </div>
        <QueryStates
          query={replies}
          skeleton={{ rows: 4, columns: 2 }}
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={Inbox}
              title={campaignId || kind ? 'Nothing matches' : 'No replies yet'}
              description="Each mailbox’s inbox is read over IMAP; answers to your emails, auto-replies and bounces show here, classified from their headers."
            />
          }
        >
          <ul className="divide-y">
            {items.map((r) => (
              <li key={r.id}>
                <button
                  type="button"
                  onClick={() => set('reply', r.id)}
                  aria-current={r.id === selectedId || undefined}
                  className={cn(
                    'grid w-full min-w-0 gap-1 px-4 py-3 text-left hover:bg-muted/50',
                    r.id === selectedId && 'bg-muted',
                  )}
                  data-testid="reply-row"
                >
                  <span className="flex min-w-0 items-center gap-2">
                    <ReplyKindBadge kind={r.effective_kind} overridden={!!r.override_kind} />
                    <span className="min-w-0 flex-1 truncate text-sm font-medium">{r.from_email}</span>
                    <span className="shrink-0 text-xs text-muted-foreground">
                      {formatRelative(r.received_at)}
                    </span>
                  </span>
                  <span className="truncate text-sm">{r.subject || '(no subject)'}</span>
                  <span className="truncate text-xs text-muted-foreground">
                    {r.campaign_name ?? 'No campaign'} ·{' '}
                    {r.charged ? 'charged 1 credit' : unchargedText(r.uncharged_reason)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </QueryStates>
      </Card>
      {selected ? (
        <ReplyDetail reply={selected} onClose={() => set('reply', null)} />
      ) : (
        <Card className="hidden min-w-0 self-start lg:flex">
          <EmptyState
            icon={Mail}
            title="Choose a message"
            description="Its thread, the headers that decided its kind and the correction buttons show here."
          />
        </Card>
      )}
    </div>
  )
}

function ReplyDetail({ reply: r, onClose }: { reply: Reply; onClose: () => void }) {
  const classify = useClassifyReply()
  const setKind = (kind: ReplyKind) =>
    classify.mutate(
      { id: r.id, kind },
      {
        onSuccess: () => toast.success(`Marked as ${kindLabel(kind)}`),
        onError: (e) => toast.error(errorMessage(e)),
      },
    )
  return (
    <Card className="min-w-0 self-start" data-testid="reply-detail">
      <CardHeader>
        <div className="grid min-w-0 gap-1">
          <Button variant="ghost" size="sm" className="-ml-2 w-fit lg:hidden" onClick={onClose}>
            <ArrowLeft /> Inbox
          </Button>
          <CardTitle className="flex flex-wrap items-center gap-2">
            <ReplyKindBadge kind={r.effective_kind} overridden={!!r.override_kind} />
            <span className="min-w-0 break-words">{r.subject || '(no subject)'}</span>
          </CardTitle>
          <CardDescription className="break-words">
            From {r.from_email} · {formatDateTime(r.received_at)}
            {r.campaign_name && ` · ${r.campaign_name}`}
          </CardDescription>
          <p className="text-sm" data-testid="reply-charge">
            {r.charged ? (
              <span className="inline-flex items-center gap-1 text-muted-foreground">
                <CircleCheck className="size-3.5" /> Charged 1 credit
              </span>
            ) : (
              <span className="text-muted-foreground">{unchargedText(r.uncharged_reason)}</span>
            )}
          </p>
        </div>
      </CardHeader>
      <CardContent className="grid gap-4">
        <div className="grid gap-2">
          {r.thread && (
            <Message
              label="Our email"
              icon={Mail}
              who={`To ${r.thread.to_email}`}
              when={r.thread.sent_at}
              subject={r.thread.subject}
              body={r.thread.body_text}
              muted
            />
          )}
          <Message
            label={
              kindLabel(r.effective_kind) === 'reply' ? 'Their reply' : `Their ${kindLabel(r.effective_kind)}`
            }
            icon={ReplyIcon}
            who={`From ${r.from_email}`}
            when={r.received_at}
            subject={r.subject}
            body={r.body_text}
          />
        </div>
        <section className="grid gap-2" data-testid="reply-evidence">
          <h4 className="flex items-center gap-1.5 text-sm font-medium">
            <ShieldQuestion className="size-4" /> Why “{kindLabel(r.kind)}”
          </h4>
          {r.evidence.length === 0 ? (
            <p className="text-sm text-muted-foreground">
              No header pointed elsewhere: a person’s answer is the default.
            </p>
          ) : (
            <ul className="grid gap-1.5">
              {r.evidence.map((e) => (
                <li
                  key={`${e.header}:${e.value}:${e.rule}`}
                  className="rounded-md border bg-muted/40 px-3 py-2 text-xs"
                >
                  <code className="font-medium break-all">
                    {e.header}: {e.value}
                  </code>
                  <p className="text-muted-foreground">{e.rule}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="grid gap-2">
          <h4 className="text-sm font-medium">Wrong kind? Correct it</h4>
          <div className="flex flex-wrap gap-2" data-testid="reply-override">
            {REPLY_KINDS.map((k) => (
              <Button
                key={k}
                variant={r.effective_kind === k ? 'default' : 'outline'}
                size="sm"
                aria-pressed={r.effective_kind === k}
                disabled={classify.isPending}
                onClick={() => r.effective_kind !== k && setKind(k)}
                data-kind={k}
              >
                {classify.isPending && classify.variables?.kind === k && <Spinner />}
                {kindLabel(k)}
              </Button>
            ))}
          </div>
          <p className="text-xs text-muted-foreground">
            A reply stops further emails to the creator; a bounce adds the address to the suppression list.
          </p>
        </section>
      </CardContent>
    </Card>
  )
}

function Message({
  label,
  icon: Icon,
  who,
  when,
  subject,
  body,
  muted,
}: {
  label: string
  icon: React.ComponentType<{ className?: string }>
  who: string
  when: string | null
  subject: string
  body: string
  muted?: boolean
}) {
  return (
    <article className={cn('grid min-w-0 gap-1 rounded-lg border p-3', muted && 'bg-muted/40')}>
      <p className="flex flex-wrap items-center gap-x-2 text-xs text-muted-foreground">
        <Icon className="size-3.5" />
        <span className="font-medium text-foreground">{label}</span>
        <span className="break-all">{who}</span>
        {when && <span>· {formatDateTime(when)}</span>}
      </p>
      <p className="text-sm font-medium break-words">{subject}</p>
      <pre className="max-h-80 overflow-auto font-sans text-sm whitespace-pre-wrap break-words">{body}</pre>
    </article>
  )
}
