import { ChevronRight } from 'lucide-react'
import { Select } from '@/components/ui/select'
import { useNames } from '@/hooks/use-names'
import { DIMENSION_GROUPS, dimensionLabel, FILTER_PARAMS, type ReportDimension } from '@/lib/report-meta'

/**
 * The drill-down path above the breakdown: "All › Campaign: Summer › Stream: EU › by
 * [Country ▾]". A step goes back to that level (its deeper filters removed, grouped by the
 * dimension that followed it); the select at the end asks for the dimension to group the
 * current level by. Any depth: each row click adds a step.
 */
export function DrillPath({
  drill,
  filters,
  by,
  onBack,
  onBy,
}: {
  drill: ReportDimension[]
  filters: Record<string, string[]>
  by: ReportDimension
  /** Go back to level `n` (0 = all: no drill filters). */
  onBack: (n: number) => void
  onBy: (d: ReportDimension) => void
}) {
  const { nameOf } = useNames(drill)
  if (drill.length === 0) return null
  const used = new Set<string>(drill)
  return (
    <nav
      aria-label="Drill-down"
      data-testid="drill-path"
      className="flex min-w-0 flex-wrap items-center gap-1 text-sm"
    >
      <button
        type="button"
        className="text-muted-foreground hover:text-primary hover:underline"
        onClick={() => onBack(0)}
      >
        All
      </button>
      {drill.map((d, i) => {
        const value = filters[FILTER_PARAMS[d]]?.[0] ?? ''
        const last = i === drill.length - 1
        return (
          <span key={d} className="flex min-w-0 items-center gap-1">
            <ChevronRight className="size-3.5 shrink-0 text-muted-foreground" />
            {last ? (
              <span className="max-w-48 truncate font-medium">
                {dimensionLabel(d)}: {nameOf(d, value)}
              </span>
            ) : (
              <button
                type="button"
                className="max-w-48 truncate hover:text-primary hover:underline"
                onClick={() => onBack(i + 1)}
              >
                {dimensionLabel(d)}: {nameOf(d, value)}
              </button>
            )}
          </span>
        )
      })}
      <span className="flex items-center gap-1">
        <ChevronRight className="size-3.5 shrink-0 text-muted-foreground" />
        <label htmlFor="drill-by" className="text-muted-foreground">
          by
        </label>
        <Select
          id="drill-by"
          className="w-40"
          value={by}
          onChange={(e) => onBy(e.target.value as ReportDimension)}
          aria-label="Group this level by"
        >
          {DIMENSION_GROUPS.map((g) => (
            <optgroup key={g.label} label={g.label}>
              {g.dims
                .filter((d) => !used.has(d))
                .map((d) => (
                  <option key={d} value={d}>
                    {dimensionLabel(d)}
                  </option>
                ))}
            </optgroup>
          ))}
        </Select>
      </span>
    </nav>
  )
}
