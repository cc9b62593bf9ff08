/**
 * Parts shared by the Visitors pages: status badges of projects and hosts, a figure tile,
 * and the back link.
 */
import { ArrowLeft } from 'lucide-react'
import type * as React from 'react'
import { Link } from 'react-router'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import type { HostStatus, ProjectStatus } from '@/hooks/api/visitors'
import { cn } from '@/lib/utils'

const PROJECT_VARIANT = {
  active: 'success',
  paused: 'warning',
  stopped: 'secondary',
  completed: 'outline',
} as const

/** active (green) / paused (amber, with the reason as title) / stopped / completed. */
export function ProjectStatusBadge({ status, reason }: { status: ProjectStatus; reason?: string | null }) {
  return (
    <Badge
      variant={PROJECT_VARIANT[status]}
      className="capitalize"
      title={reason ?? undefined}
      data-testid="project-status"
      data-status={status}
    >
      {status === 'active' ? 'running' : status}
    </Badge>
  )
}

const HOST_VARIANT = {
  verified: 'success',
  pending: 'outline',
  failed: 'destructive',
  stale: 'warning',
} as const

export function HostStatusBadge({ status }: { status: HostStatus }) {
  return (
    <Badge
      variant={HOST_VARIANT[status]}
      className="capitalize"
      data-testid="host-status"
      data-status={status}
    >
      {status}
    </Badge>
  )
}

/** A labelled figure; `value` undefined shows a dash. */
export function Tile({
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

export function BackLink({ to = '/visitors', label = 'Visitors' }: { to?: string; label?: string }) {
  return (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to={to}>
        <ArrowLeft /> {label}
      </Link>
    </Button>
  )
}

/** Why the engine paused a project, in words. */
export function pauseReasonText(reason: string | null): string | null {
  if (!reason) return null
  const known: Record<string, string> = {
    credits_exhausted: 'Out of visit credits — buy credits, then start again.',
    daily_limit: 'Daily limit reached — it resumes when the day turns over.',
    verification_failed: 'Ownership check failed — check the host again, then start.',
  }
  return known[reason] ?? reason
}
