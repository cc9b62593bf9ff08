import { Megaphone } from 'lucide-react'
import { Link } from 'react-router'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { type ReportParams, useBreakdown } from '@/hooks/api/reports'
import { useNames } from '@/hooks/use-names'
import { formatInt, formatMoney, formatPercent } from '@/lib/format'
import { cn } from '@/lib/utils'

const TOP = 8

/** The range's campaigns with the most clicks, each linking to its report by country. */
export function TopCampaigns({
  params,
  currency,
  reportSearch,
}: {
  params: ReportParams
  currency?: string | undefined
  /** Range part of the reports link (`range=7d&tz=…`). */
  reportSearch: string
}) {
  const q = useBreakdown(params, ['campaign'], { limit: TOP, refetchInterval: 15_000 })
  const { nameOf } = useNames(['campaign'])
  const rows = q.data?.rows ?? []
  return (
    <Card className="gap-2 pb-2">
      <CardHeader>
        <div>
          <CardTitle>Top campaigns</CardTitle>
          <CardDescription>By clicks in the selected range</CardDescription>
        </div>
        <Button asChild variant="outline" size="sm">
          <Link to={`/reports?${reportSearch}&by=campaign`}>Full report</Link>
        </Button>
      </CardHeader>
      <CardContent className="px-2">
        <QueryStates
          query={q}
          skeleton={{ rows: 4, columns: 5 }}
          isEmpty={rows.length === 0}
          empty={
            <EmptyState
              icon={Megaphone}
              title="No campaign traffic in this range"
              description="Clicks on your campaign links show up here within seconds."
            />
          }
        >
          <Table data-testid="top-campaigns">
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Campaign</TableHead>
                <TableHead className="text-right">Clicks</TableHead>
                <TableHead className="hidden text-right sm:table-cell">Conv.</TableHead>
                <TableHead className="hidden text-right sm:table-cell">Revenue</TableHead>
                <TableHead className="text-right">Profit</TableHead>
                <TableHead className="hidden text-right sm:table-cell">ROI</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map((r) => (
                <TableRow key={r.key}>
                  <TableCell className="font-medium">
                    {/* A long name is cut with an ellipsis (full name in the tooltip): a table
                        cell's own max-width does not bind, a block inside it does. */}
                    <Link
                      className="block max-w-36 truncate hover:text-primary hover:underline sm:max-w-72"
                      title={nameOf('campaign', r.key)}
                      to={`/reports?${reportSearch}&by=country&campaign_id=${encodeURIComponent(r.key)}`}
                    >
                      {nameOf('campaign', r.key)}
                    </Link>
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{formatInt(r.clicks)}</TableCell>
                  <TableCell className="hidden text-right tabular-nums sm:table-cell">
                    {formatInt(r.conversions)}
                  </TableCell>
                  <TableCell className="hidden text-right tabular-nums sm:table-cell">
                    {formatMoney(r.revenue, currency)}
                  </TableCell>
                  <TableCell
                    className={cn(
                      'text-right tabular-nums',
                      r.profit > 0 && 'text-success',
                      r.profit < 0 && 'text-destructive',
                    )}
                  >
                    {formatMoney(r.profit, currency)}
                  </TableCell>
                  <TableCell className="hidden text-right tabular-nums sm:table-cell">
                    {formatPercent(r.roi)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </QueryStates>
      </CardContent>
    </Card>
  )
}
