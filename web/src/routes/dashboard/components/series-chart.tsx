/**
 * The dashboard's time series (Recharts). Loaded with React.lazy so Recharts is its own
 * chunk, fetched after the counters are on screen. Bars for clicks and conversions, straight
 * (linear) lines for money — no smoothing that invents traffic between two points — and
 * nothing drawn for the buckets still to come (`chartRows`): the axis spans the range, the
 * figures stop at the current hour or day.
 */
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import type { SeriesBucket } from '@/hooks/api/reports'
import { formatCompact, formatInt, formatMoney } from '@/lib/format'
import { chartRows } from './dashboard.lib'

/** The axis label of a bucket: `14:00` for hours, `12 May` for days. */
export function bucketLabel(local: string): string {
  if (local.length > 10) return local.slice(11, 16)
  const d = new Date(`${local}T00:00:00Z`)
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' })
}

export default function SeriesChart({
  buckets,
  view,
  currency,
  nowMs,
}: {
  buckets: SeriesBucket[]
  view: 'traffic' | 'money'
  currency?: string | undefined
  /** Buckets starting after this time (epoch ms) are not drawn. */
  nowMs: number
}) {
  const data = chartRows(buckets, nowMs).map((b) => ({ ...b, label: bucketLabel(b.local) }))
  const money = (v: number) => formatMoney(v, currency)
  const count = (v: unknown) => (v === null || v === undefined ? '—' : formatInt(Number(v)))
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barGap={2}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        <XAxis
          dataKey="label"
          tickLine={false}
          axisLine={false}
          tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
          minTickGap={16}
        />
        {view === 'traffic' ? (
          <>
            <YAxis
              yAxisId="clicks"
              tickLine={false}
              axisLine={false}
              width={44}
              allowDecimals={false}
              tickFormatter={(v: number) => formatCompact(v)}
              tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
            />
            <YAxis
              yAxisId="conversions"
              orientation="right"
              tickLine={false}
              axisLine={false}
              width={36}
              allowDecimals={false}
              tickFormatter={(v: number) => formatCompact(v)}
              tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
            />
            <Tooltip
              formatter={(v, name) => [count(v), name]}
              contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }}
            />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            <Bar
              yAxisId="clicks"
              dataKey="clicks"
              name="Clicks"
              fill="var(--chart-1)"
              radius={[3, 3, 0, 0]}
              maxBarSize={28}
              isAnimationActive={false}
            />
            <Bar
              yAxisId="conversions"
              dataKey="conversions"
              name="Conversions"
              fill="var(--chart-2)"
              radius={[3, 3, 0, 0]}
              maxBarSize={18}
              isAnimationActive={false}
            />
          </>
        ) : (
          <>
            <YAxis
              tickLine={false}
              axisLine={false}
              width={56}
              tickFormatter={(v: number) => formatCompact(v)}
              tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
            />
            <Tooltip
              formatter={(v, name) => [v === null || v === undefined ? '—' : money(Number(v)), name]}
              contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }}
            />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            <Line
              type="linear"
              dataKey="revenue"
              name="Revenue"
              stroke="var(--chart-2)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="cost"
              name="Cost"
              stroke="var(--chart-4)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="linear"
              dataKey="profit"
              name="Profit"
              stroke="var(--chart-1)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </>
        )}
      </ComposedChart>
    </ResponsiveContainer>
  )
}
