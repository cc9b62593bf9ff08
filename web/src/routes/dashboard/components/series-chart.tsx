/**
 * The dashboard's time series (Recharts). Loaded with React.lazy so Recharts is its own
 * chunk, fetched after the counters are on screen.
 */
import {
  Area,
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
}: {
  buckets: SeriesBucket[]
  view: 'traffic' | 'money'
  currency?: string | undefined
}) {
  const data = buckets.map((b) => ({ ...b, label: bucketLabel(b.local) }))
  const money = (v: number) => formatMoney(v, currency)
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
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
              formatter={(v, name) => [formatInt(Number(v)), name]}
              contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }}
            />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            <Area
              yAxisId="clicks"
              type="monotone"
              dataKey="clicks"
              name="Clicks"
              stroke="var(--chart-1)"
              fill="var(--chart-1)"
              fillOpacity={0.15}
              strokeWidth={2}
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
              formatter={(v, name) => [money(Number(v)), name]}
              contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }}
            />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            <Line
              type="monotone"
              dataKey="revenue"
              name="Revenue"
              stroke="var(--chart-2)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Line
              type="monotone"
              dataKey="cost"
              name="Cost"
              stroke="var(--chart-4)"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
            <Area
              type="monotone"
              dataKey="profit"
              name="Profit"
              stroke="var(--chart-1)"
              fill="var(--chart-1)"
              fillOpacity={0.12}
              strokeWidth={2}
              isAnimationActive={false}
            />
          </>
        )}
      </ComposedChart>
    </ResponsiveContainer>
  )
}
