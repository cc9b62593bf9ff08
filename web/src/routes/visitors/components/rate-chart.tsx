/**
 * The live page's moving rate chart (Recharts; loaded with React.lazy so Recharts stays in
 * its own chunk): achieved visits per second and the target, or hits per second while the
 * server sends no `visit_rate` samples.
 */
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import { hasSamples, type RatePoint } from './live.lib'

const clock = (t: number) =>
  new Date(t * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

export default function RateChart({ series }: { series: RatePoint[] }) {
  const samples = hasSamples(series)
  const data = series.map((p) => ({ ...p, label: clock(p.t) }))
  return (
    <ResponsiveContainer width="100%" height="100%">
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        <XAxis
          dataKey="label"
          tickLine={false}
          axisLine={false}
          minTickGap={32}
          tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
        />
        <YAxis
          tickLine={false}
          axisLine={false}
          width={36}
          allowDecimals={false}
          tick={{ fontSize: 12, fill: 'var(--muted-foreground)' }}
        />
        <Tooltip contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Area
          type="monotone"
          dataKey={samples ? 'rate' : 'hits'}
          name={samples ? 'Visits/s' : 'Hits/s'}
          stroke="var(--chart-1)"
          fill="var(--chart-1)"
          fillOpacity={0.15}
          strokeWidth={2}
          connectNulls
          isAnimationActive={false}
        />
        {samples && (
          <Line
            type="stepAfter"
            dataKey="target"
            name="Target/s"
            stroke="var(--chart-2)"
            strokeDasharray="4 4"
            strokeWidth={2}
            dot={false}
            connectNulls
            isAnimationActive={false}
          />
        )}
      </ComposedChart>
    </ResponsiveContainer>
  )
}
