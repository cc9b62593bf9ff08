/**
 * Controls shared by the report pages: date range (presets or custom dates), time zone and
 * attribution. They edit the URL state of `useReportUrlState`.
 */
import { Calendar, Globe } from 'lucide-react'
import { useMemo } from 'react'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { RANGE_PRESETS, timeZones } from '@/lib/date-range'
import type { ReportPatch, ReportUrlState } from '@/lib/report-url'
import { cn } from '@/lib/utils'

export function DateRangeControl({
  state,
  onChange,
  className,
}: {
  state: ReportUrlState
  onChange: (patch: ReportPatch) => void
  className?: string
}) {
  return (
    <div className={cn('flex w-full flex-wrap items-center gap-2 sm:w-auto', className)}>
      <div className="relative w-full sm:w-44">
        <Calendar className="pointer-events-none absolute top-1/2 left-2.5 z-10 size-4 -translate-y-1/2 text-muted-foreground" />
        <Select
          aria-label="Date range"
          value={state.preset}
          onChange={(e) => {
            const preset = e.target.value as ReportUrlState['preset']
            onChange(preset === 'custom' ? { range: state.range } : { preset })
          }}
          className="[&_select]:pl-8"
        >
          {RANGE_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </Select>
      </div>
      {state.preset === 'custom' && (
        <div className="flex w-full items-center gap-2 sm:w-auto">
          <Input
            type="date"
            aria-label="From"
            value={state.range.from}
            max={state.range.to}
            onChange={(e) => e.target.value && onChange({ range: { ...state.range, from: e.target.value } })}
            className="sm:w-40"
          />
          <span className="text-muted-foreground">–</span>
          <Input
            type="date"
            aria-label="To"
            value={state.range.to}
            min={state.range.from}
            onChange={(e) => e.target.value && onChange({ range: { ...state.range, to: e.target.value } })}
            className="sm:w-40"
          />
        </div>
      )}
    </div>
  )
}

export function TimeZoneControl({
  state,
  onChange,
  className,
}: {
  state: ReportUrlState
  onChange: (patch: ReportPatch) => void
  className?: string
}) {
  const zones = useMemo(() => timeZones(state.tz), [state.tz])
  return (
    <div className={cn('relative w-full sm:w-56', className)}>
      <Globe className="pointer-events-none absolute top-1/2 left-2.5 z-10 size-4 -translate-y-1/2 text-muted-foreground" />
      <Select
        aria-label="Time zone"
        value={state.tz}
        onChange={(e) => onChange({ tz: e.target.value })}
        className="[&_select]:pl-8"
      >
        {zones.map((z) => (
          <option key={z} value={z}>
            {z.replaceAll('_', ' ')}
          </option>
        ))}
      </Select>
    </div>
  )
}

export function AttributionControl({
  state,
  onChange,
  className,
}: {
  state: ReportUrlState
  onChange: (patch: ReportPatch) => void
  className?: string
}) {
  return (
    <Select
      aria-label="Attribution"
      title="Count conversions and revenue at the conversion time, or at the time of their click"
      value={state.attribution}
      onChange={(e) => onChange({ attribution: e.target.value as ReportUrlState['attribution'] })}
      className={cn('w-full sm:w-52', className)}
    >
      <option value="conversion">By conversion time</option>
      <option value="click">By click time</option>
    </Select>
  )
}
