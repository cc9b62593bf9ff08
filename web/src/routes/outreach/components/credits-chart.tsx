/**
 * The credits history chart (Recharts; loaded with React.lazy so Recharts stays in its own
 * chunk): emails sent and replies per credit day, side by side.
 */
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { CreditDay } from '@/hooks/api/outreach'
import { shortDay } from './outreach.lib'

export default function CreditsChart({ days }: { days: CreditDay[] }) {
  const data = days.map((d) => ({ ...d, label: shortDay(d.date) }))
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={data} margin={{ top: 8, right: 4, bottom: 0, left: 0 }} barGap={1}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        <XAxis
          dataKey="label"
          tickLine={false}
          axisLine={false}
          minTickGap={16}
          tick={{ fontSize: 11, fill: 'var(--muted-foreground)' }}
        />
        <YAxis
          tickLine={false}
          axisLine={false}
          width={32}
          allowDecimals={false}
          tick={{ fontSize: 11, fill: 'var(--muted-foreground)' }}
        />
        <Tooltip
          cursor={{ fill: 'var(--muted)' }}
          contentStyle={{ borderRadius: 8, borderColor: 'var(--border)', fontSize: 13 }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar
          dataKey="sent"
          name="Sent"
          fill="var(--chart-1)"
          radius={[3, 3, 0, 0]}
          isAnimationActive={false}
        />
        <Bar
          dataKey="replies"
          name="Replies"
          fill="var(--chart-2)"
          radius={[3, 3, 0, 0]}
          isAnimationActive={false}
        />
      </BarChart>
    </ResponsiveContainer>
  )
}
