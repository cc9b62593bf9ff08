/** Previous/next paging of an offset-paged list, with "1–50 of 120". */
import { ChevronLeft, ChevronRight } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { formatInt } from '@/lib/format'

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
  if (total === 0) return null
  const last = Math.min(offset + limit, total)
  return (
    <div className="flex items-center justify-between gap-2 border-t px-4 pt-2 text-sm text-muted-foreground">
      <span className="tabular-nums" data-testid="pager-range">
        {formatInt(offset + 1)}–{formatInt(last)} of {formatInt(total)}
      </span>
      <div className="flex gap-1">
        <Button
          variant="outline"
          size="sm"
          disabled={offset === 0}
          onClick={() => onOffset(Math.max(0, offset - limit))}
          aria-label="Previous page"
        >
          <ChevronLeft />
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={last >= total}
          onClick={() => onOffset(offset + limit)}
          aria-label="Next page"
        >
          <ChevronRight />
        </Button>
      </div>
    </div>
  )
}
