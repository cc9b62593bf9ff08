/**
 * The three designed states every data view has besides "data": loading (skeletons in the
 * shape of the content), empty (what is missing and what to do), error (what failed, retry),
 * and `QueryStates`, which picks the one a TanStack query is in.
 */
import { CircleAlert, Inbox, RefreshCw } from 'lucide-react'
import type * as React from 'react'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Skeleton } from '@/components/ui/skeleton'
import { ApiError, errorMessage } from '@/lib/api'
import { cn } from '@/lib/utils'

/** Nothing to show: an icon, a title, a hint and an optional action. */
export function EmptyState({
  icon: Icon = Inbox,
  title,
  description,
  action,
  className,
}: {
  icon?: React.ComponentType<{ className?: string }>
  title: React.ReactNode
  description?: React.ReactNode
  action?: React.ReactNode
  className?: string
}) {
  return (
    <div
      data-testid="empty-state"
      className={cn('flex flex-col items-center justify-center gap-2 px-6 py-10 text-center', className)}
    >
      <div className="mb-1 flex size-11 items-center justify-center rounded-full bg-muted">
        <Icon className="size-5 text-muted-foreground" />
      </div>
      <p className="font-medium">{title}</p>
      {description && <p className="max-w-md text-sm text-muted-foreground">{description}</p>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  )
}

/** A failed request: its message (and field problems), with a retry button. */
export function ErrorState({
  error,
  onRetry,
  title = 'Could not load this',
  className,
}: {
  error: unknown
  onRetry?: () => void
  title?: React.ReactNode
  className?: string
}) {
  const fields = error instanceof ApiError ? error.fieldErrors : []
  return (
    <div
      data-testid="error-state"
      role="alert"
      className={cn('flex flex-col items-center justify-center gap-2 px-6 py-10 text-center', className)}
    >
      <div className="mb-1 flex size-11 items-center justify-center rounded-full bg-destructive/10">
        <CircleAlert className="size-5 text-destructive" />
      </div>
      <p className="font-medium">{title}</p>
      <p className="max-w-md text-sm text-muted-foreground">{errorMessage(error)}</p>
      {fields.length > 0 && (
        <ul className="max-w-md text-left text-sm text-muted-foreground">
          {fields.map((f) => (
            <li key={`${f.path}:${f.message}`}>
              <code className="text-foreground">{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <Button variant="outline" size="sm" className="mt-2" onClick={onRetry}>
          <RefreshCw /> Try again
        </Button>
      )}
    </div>
  )
}

/** Skeleton rows for a table that is loading. */
export function TableSkeleton({ rows = 6, columns = 5 }: { rows?: number; columns?: number }) {
  return (
    <div data-testid="loading" className="flex flex-col gap-3 px-3 py-2" aria-busy="true">
      {Array.from({ length: rows }, (_, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholder rows
        <div key={r} className="flex gap-4">
          {Array.from({ length: columns }, (_, c) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: static placeholder cells
            <Skeleton key={c} className={cn('h-5', c === 0 ? 'w-40' : 'flex-1')} />
          ))}
        </div>
      ))}
    </div>
  )
}

/** What `QueryStates` reads of a TanStack query (`UseQueryResult` fits). */
export interface StatesQuery<T> {
  isPending: boolean
  isError: boolean
  error: unknown
  data: T | undefined
  refetch: () => unknown
}

/**
 * A query's designed states in one place. Renders, in this order:
 * - pending: `pending` if given, else a `TableSkeleton` of `skeleton` size;
 * - error: an `ErrorState` (with `errorTitle`) whose retry refetches the query;
 * - `isEmpty` and an `empty` node given: `empty` (e.g. an `EmptyState`);
 * - else `children`, a node or a function of the loaded data (omit it when the caller renders
 *   the loaded state itself, e.g. after an early return of the other states).
 * `card` wraps the error and empty states in a `Card`, for places whose loaded content brings
 * its own card (a form, a list of cards).
 */
export function QueryStates<T>({
  query,
  skeleton,
  pending,
  errorTitle,
  empty,
  isEmpty = false,
  card = false,
  children,
}: {
  query: StatesQuery<T>
  skeleton?: { rows?: number; columns?: number }
  pending?: React.ReactNode
  errorTitle?: React.ReactNode
  empty?: React.ReactNode
  isEmpty?: boolean
  card?: boolean
  children?: React.ReactNode | ((data: T) => React.ReactNode)
}) {
  const framed = (node: React.ReactNode) => (card ? <Card>{node}</Card> : node)
  if (query.isPending) return pending ?? <TableSkeleton {...skeleton} />
  if (query.isError)
    return framed(<ErrorState title={errorTitle} error={query.error} onRetry={() => void query.refetch()} />)
  if (isEmpty && empty) return framed(empty)
  // Neither pending nor failed: TanStack Query has the data.
  return typeof children === 'function' ? children(query.data as T) : children
}
