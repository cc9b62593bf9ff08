/**
 * Parts shared by the Logs tabs and the conversion / outbound delivery pages: badge colours
 * of outcomes, states and statuses, money in micros, relative times, the back link and
 * label/value lists.
 */
import { ArrowLeft } from 'lucide-react'
import type * as React from 'react'
import { Link, useLocation } from 'react-router'
import { Button } from '@/components/ui/button'
import type { ConversionStatus } from '@/hooks/api/networks'
import type { OutboundAttempt, OutboundState, PostbackOutcome } from '@/hooks/api/postbacks'
import { useNow } from '@/hooks/use-now'
import { formatDateTime, formatMoney, formatRelative } from '@/lib/format'
import { cn } from '@/lib/utils'

export type Variant = 'success' | 'secondary' | 'warning' | 'destructive' | 'outline'

export const OUTCOME_VARIANT: Record<PostbackOutcome, Variant> = {
  accepted: 'success',
  duplicate: 'secondary',
  unknown_click: 'warning',
  bad_secret: 'destructive',
  ip_not_allowed: 'destructive',
  unknown_network: 'destructive',
  malformed: 'destructive',
  bad_status: 'warning',
  rate_limited: 'destructive',
  error: 'destructive',
}

export const STATE_VARIANT: Record<OutboundState, Variant> = {
  pending: 'secondary',
  delivered: 'success',
  failed: 'destructive',
  dead: 'destructive',
}

/** Attempt outcomes: `retry` means another attempt was scheduled. */
export const ATTEMPT_VARIANT: Record<OutboundAttempt['outcome'], Variant> = {
  delivered: 'success',
  retry: 'warning',
  failed: 'destructive',
  dead: 'destructive',
}

export const STATUS_VARIANT: Record<ConversionStatus, Variant> = {
  lead: 'secondary',
  sale: 'success',
  rejected: 'destructive',
  rebill: 'outline',
}

/** Micros of `currency` → "$12.50"; "—" for none. */
export const micros = (m: number | null | undefined, currency?: string) =>
  m === null || m === undefined ? '—' : formatMoney(m / 1_000_000, currency)

/** "5 minutes ago", with the exact time as a tooltip. */
export function When({ iso }: { iso: string }) {
  const now = useNow()
  return (
    <span className="whitespace-nowrap text-muted-foreground" title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </span>
  )
}

/** Router state a list link passes to a detail page, so "back" returns to the same tab. */
export interface FromState {
  from: string
}

/** The current location, as {@link FromState} for links to detail pages. */
export function useFromHere(): FromState {
  const loc = useLocation()
  return { from: `${loc.pathname}${loc.search}` }
}

/** "← label" to where the user came from (the list that linked here), else `fallback`. */
export function BackLink({ fallback, label }: { fallback: string; label: string }) {
  const from = (useLocation().state as Partial<FromState> | null)?.from
  return (
    <Button variant="ghost" size="sm" asChild className="-ml-2 w-fit">
      <Link to={from ?? fallback}>
        <ArrowLeft /> {label}
      </Link>
    </Button>
  )
}

/** A label/value grid in two columns. */
export function Facts({ children, className }: { children: React.ReactNode; className?: string }) {
  return <dl className={cn('grid grid-cols-2 gap-x-6 gap-y-3 text-sm', className)}>{children}</dl>
}

/** One entry of {@link Facts}; `wide` spans both columns (long IDs). */
export function Fact({
  label,
  children,
  mono,
  wide,
}: {
  label: string
  children: React.ReactNode
  mono?: boolean
  wide?: boolean
}) {
  return (
    <div className={cn('min-w-0', wide && 'col-span-2')}>
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className={cn('mt-0.5 break-words', mono && 'font-mono text-xs break-all')}>{children}</dd>
    </div>
  )
}
