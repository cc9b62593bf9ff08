import { Skeleton } from '@/components/ui/skeleton'
import { Card } from '@/components/ui/card'
import type { Overview } from '@/hooks/api/reports'
import { formatMetric, METRIC_META, type MetricKey } from '@/lib/report-meta'
import { cn } from '@/lib/utils'

const CARDS: MetricKey[] = ['clicks', 'conversions', 'revenue', 'cost', 'profit', 'roi']

function tone(key: MetricKey, value: number | null | undefined): string {
  if ((key !== 'profit' && key !== 'roi') || value === null || value === undefined || value === 0) return ''
  return value > 0 ? 'text-success' : 'text-destructive'
}

/**
 * The six headline figures of the selected range, each with the same figure for a
 * comparison period (today, or yesterday when the range is today). Money in `currency`
 * (`dashboardCurrency`: set before the first conversion too); none = plain numbers.
 */
export function StatCards({
  range,
  compare,
  compareLabel,
  currency,
}: {
  range: Overview | undefined
  compare: Overview | undefined
  compareLabel: string
  currency: string | undefined
}) {
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6" data-testid="stat-cards">
      {CARDS.map((key) => (
        <Card key={key} className="gap-1 px-4 py-4" data-testid={`stat-${key}`}>
          <p
            className="text-xs font-medium uppercase tracking-wide text-muted-foreground"
            title={METRIC_META[key].help}
          >
            {METRIC_META[key].label}
          </p>
          {range ? (
            <p
              className={cn('truncate text-2xl font-semibold tabular-nums', tone(key, range[key]))}
              data-testid="stat-value"
            >
              {formatMetric(key, range[key], currency)}
            </p>
          ) : (
            <Skeleton className="my-1 h-7 w-24" />
          )}
          <p className="truncate text-xs text-muted-foreground tabular-nums">
            {compareLabel}: {compare ? formatMetric(key, compare[key], currency) : '…'}
          </p>
        </Card>
      ))}
    </div>
  )
}
