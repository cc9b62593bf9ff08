/**
 * Parts shared by the Outreach pages: the section tabs (`/outreach`, `/outreach/replies`,
 * `/outreach/mailboxes`, `/outreach/suppressions`), status and kind badges, the back link, a
 * textarea with the input's look and a small labelled figure.
 */
import { ArrowLeft, Info } from 'lucide-react'
import type * as React from 'react'
import { Link, useLocation, useNavigate } from 'react-router'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Tabs, TabsList, TabsTrigger } from '@/components/ui/tabs'
import type { ReplyKind } from '@/hooks/api/outreach'
import { cn } from '@/lib/utils'
import { type CampaignState, EMAIL_STATUS_HELP } from './outreach.lib'

/** The Outreach sections; each is a route, so it can be linked and reloaded. */
export const SECTIONS = [
  { path: '', label: 'Campaigns' },
  { path: 'replies', label: 'Replies' },
  { path: 'mailboxes', label: 'Mailboxes' },
  { path: 'suppressions', label: 'Suppressions' },
] as const

/** The section tabs under the page title. */
export function OutreachNav() {
  const { pathname } = useLocation()
  const navigate = useNavigate()
  const first = pathname.replace(/^\/outreach\/?/, '').split('/')[0] ?? ''
  const current = SECTIONS.some((s) => s.path === first) ? first : ''
  return (
    <Tabs value={current} onValueChange={(v) => navigate(v ? `/outreach/${v}` : '/outreach')}>
      <TabsList aria-label="Outreach sections" data-testid="outreach-nav">
        {SECTIONS.map((s) => (
          <TabsTrigger key={s.path} value={s.path} className="px-2 sm:px-3">
            {s.label}
          </TabsTrigger>
        ))}
      </TabsList>
    </Tabs>
  )
}

/** Platform names as the platforms write them. */
export const PLATFORM_LABEL: Record<string, string> = {
  instagram: 'Instagram',
  tiktok: 'TikTok',
  youtube: 'YouTube',
  twitch: 'Twitch',
  twitter: 'X (Twitter)',
  onlyfans: 'OnlyFans',
}

const STATE_VARIANT = { active: 'success', paused: 'warning', completed: 'outline' } as const

export function CampaignStateBadge({ state }: { state: CampaignState }) {
  return (
    <Badge
      variant={STATE_VARIANT[state]}
      className="capitalize"
      data-testid="campaign-status"
      data-status={state}
    >
      {state}
    </Badge>
  )
}

type Variant = 'success' | 'warning' | 'secondary' | 'destructive' | 'outline' | 'default'

const RUN_VARIANT: Record<string, Variant> = {
  discovering: 'secondary',
  enriching: 'secondary',
  scheduled: 'outline',
  completed: 'success',
  failed: 'destructive',
}

export function RunStatusBadge({ status }: { status: string }) {
  return (
    <Badge variant={RUN_VARIANT[status] ?? 'secondary'} data-testid="run-status" data-status={status}>
      {status.replace(/_/g, ' ')}
    </Badge>
  )
}

const EMAIL_VARIANT: Record<string, Variant> = {
  scheduled: 'outline',
  claimed: 'secondary',
  sent: 'success',
  replied: 'success',
  unknown: 'warning',
  deferred: 'warning',
  unpaid: 'warning',
  failed: 'destructive',
  suppressed: 'secondary',
  cancelled: 'secondary',
  expired: 'secondary',
}

/** An email's status; its meaning is the tooltip (an info mark on the ones that need it). */
export function EmailStatusBadge({ status }: { status: string }) {
  const help = EMAIL_STATUS_HELP[status]
  const notable = status === 'unknown' || status === 'unpaid' || status === 'deferred' || status === 'expired'
  return (
    <Badge
      variant={EMAIL_VARIANT[status] ?? 'secondary'}
      title={help}
      aria-label={help ? `${status}: ${help}` : status}
      data-testid="email-status"
      data-status={status}
    >
      {status}
      {notable && <Info aria-hidden="true" />}
    </Badge>
  )
}

const KIND_LABEL: Record<ReplyKind, string> = { reply: 'reply', auto_reply: 'auto-reply', bounce: 'bounce' }
const KIND_VARIANT: Record<ReplyKind, Variant> = {
  reply: 'success',
  auto_reply: 'secondary',
  bounce: 'destructive',
}

/** reply (green) / auto-reply / bounce (red); "corrected" when the owner overrode it. */
export function ReplyKindBadge({ kind, overridden }: { kind: ReplyKind; overridden?: boolean }) {
  return (
    <Badge
      variant={KIND_VARIANT[kind]}
      data-testid="reply-kind"
      data-kind={kind}
      title={overridden ? 'Classified by you (override)' : 'Classified from the headers'}
    >
      {KIND_LABEL[kind]}
      {overridden && <span className="font-normal opacity-70">· corrected</span>}
    </Badge>
  )
}

export const kindLabel = (k: ReplyKind) => KIND_LABEL[k]

export function BackLink({ to = '/outreach', label = 'Outreach' }: { to?: string; label?: string }) {
  return (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to={to}>
        <ArrowLeft /> {label}
      </Link>
    </Button>
  )
}

/** A textarea with the input's look. */
export function Textarea({ className, ...props }: React.ComponentProps<'textarea'>) {
  return (
    <textarea
      data-slot="textarea"
      className={cn(
        'min-h-20 w-full min-w-0 rounded-md border border-input bg-card px-3 py-2 text-base shadow-xs outline-none placeholder:text-muted-foreground md:text-sm',
        'focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40 aria-invalid:border-destructive',
        className,
      )}
      {...props}
    />
  )
}

/** A labelled figure; `value` undefined shows a dash. */
export function Figure({
  label,
  value,
  hint,
  testId,
  className,
}: {
  label: React.ReactNode
  value: React.ReactNode
  hint?: React.ReactNode
  testId?: string
  className?: string
}) {
  return (
    <div className={cn('min-w-0 rounded-lg border bg-card p-3', className)}>
      <p className="truncate text-xs text-muted-foreground">{label}</p>
      <p className="truncate text-lg font-semibold tabular-nums" data-testid={testId}>
        {value ?? '—'}
      </p>
      {hint && <p className="truncate text-xs text-muted-foreground">{hint}</p>}
    </div>
  )
}
