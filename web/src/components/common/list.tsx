/**
 * Building blocks of the searchable, paged list pages: the list state (search + offset), the
 * search box, the pager and the card with its loading, error and empty states.
 */
import type { UseQueryResult } from '@tanstack/react-query'
import { ChevronLeft, ChevronRight, Search } from 'lucide-react'
import type * as React from 'react'
import { useDeferredValue, useState } from 'react'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { formatInt } from '@/lib/format'
import { EmptyState, QueryStates } from './states'

/** Rows per page of the list pages. */
export const PAGE_SIZE = 20

/** Search text and page offset of a list page; the query sent lags typing (deferred). */
export function useListState(limit: number = PAGE_SIZE) {
  const [q, setQ] = useState('')
  const [offset, setOffset] = useState(0)
  const deferredQ = useDeferredValue(q.trim())
  return {
    q,
    setQ: (next: string) => {
      setQ(next)
      setOffset(0)
    },
    offset,
    setOffset,
    params: { limit, offset, ...(deferredQ ? { q: deferredQ } : {}) },
  }
}

/** What {@link useListState} returns. */
export type ListState = ReturnType<typeof useListState>

/** Search input with a magnifier icon; the placeholder is its accessible label too. */
function SearchBox({
  value,
  onChange,
  placeholder,
}: {
  value: string
  onChange: (v: string) => void
  placeholder: string
}) {
  return (
    <div className="relative w-full sm:w-72">
      <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" />
      <Input
        type="search"
        aria-label={placeholder}
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="pl-8"
      />
    </div>
  )
}

/** "1–20 of 57" with previous/next buttons; nothing when everything fits on one page. */
export function Pager({
  offset,
  limit,
  total,
  onOffset,
}: {
  offset: number
  limit: number
  total: number
  onOffset: (offset: number) => void
}) {
  if (total <= limit && offset === 0) return null
  const last = Math.min(offset + limit, total)
  return (
    <div className="flex items-center justify-between gap-2 border-t px-4 pt-3 pb-1 text-sm text-muted-foreground">
      <span className="tabular-nums" data-testid="pager-range">
        {total === 0 ? 0 : formatInt(offset + 1)}–{formatInt(last)} of {formatInt(total)}
      </span>
      <div className="flex gap-2">
        <Button
          variant="outline"
          size="sm"
          disabled={offset === 0}
          onClick={() => onOffset(Math.max(0, offset - limit))}
          aria-label="Previous page"
        >
          <ChevronLeft /> Previous
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={last >= total}
          onClick={() => onOffset(offset + limit)}
          aria-label="Next page"
        >
          Next <ChevronRight />
        </Button>
      </div>
    </div>
  )
}

/**
 * The card of a searchable list page: the search box, then the query's loading, error, "no
 * matches" or "nothing yet" state, or `children` with the items (the table) and the pager.
 * Every list page designs these states the same way.
 */
export function ListCard<T>({
  query,
  list,
  searchPlaceholder,
  icon,
  empty,
  noMatch,
  skeletonColumns = 5,
  children,
}: {
  query: UseQueryResult<{ items: T[]; total: number }>
  /** Search and paging state ({@link useListState}); the query must use its `params`. */
  list: ListState
  searchPlaceholder: string
  icon: React.ComponentType<{ className?: string }>
  /** Nothing yet: what the list holds and how to add the first (`action`, e.g. the New button). */
  empty: { title: string; description: string; action?: React.ReactNode }
  /** Shown instead of `empty` while a search term is applied. */
  noMatch: { title: string; description: string }
  skeletonColumns?: number
  children: (items: T[]) => React.ReactNode
}) {
  const items = query.data?.items ?? []
  return (
    <Card className="gap-0 py-2">
      <div className="flex flex-wrap items-center gap-2 border-b px-4 pt-1 pb-3">
        <SearchBox value={list.q} onChange={list.setQ} placeholder={searchPlaceholder} />
      </div>
      <QueryStates
        query={query}
        skeleton={{ rows: 4, columns: skeletonColumns }}
        isEmpty={items.length === 0}
        empty={<EmptyState icon={icon} {...(list.q ? noMatch : empty)} />}
      >
        {(data) => (
          <>
            {children(data.items)}
            <Pager
              offset={list.offset}
              limit={list.params.limit}
              total={data.total}
              onOffset={list.setOffset}
            />
          </>
        )}
      </QueryStates>
    </Card>
  )
}
