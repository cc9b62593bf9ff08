/**
 * `/billing/transactions` — the workspace's ledger postings, newest first: type and date
 * filters, "Load more", and a "Download CSV" link of the same filter (`?format=csv`).
 */
import { Download, History } from 'lucide-react'
import { useState } from 'react'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { itemsOf, TRANSACTION_TYPES, transactionsCsvUrl, useTransactions } from '@/hooks/api/billing'
import { cn } from '@/lib/utils'
import { formatVisitsDelta } from '../money.lib'
import { describeChange, type TransactionForm, transactionFilter } from '../transactions.lib'
import { DateCell, LoadMore } from './shared'

const typeLabel = (t: string) => t.replace(/_/g, ' ')

export function Transactions() {
  const [form, setForm] = useState<TransactionForm>({ type: '', from: '', to: '' })
  const filter = transactionFilter(form)
  const tx = useTransactions(filter)
  const items = itemsOf(tx.data)
  const filtered = form.type !== '' || form.from !== '' || form.to !== ''
  const set = (patch: Partial<TransactionForm>) => setForm((f) => ({ ...f, ...patch }))
  return (
    <Card className="gap-0 py-2" data-testid="transactions">
      <div className="flex flex-wrap items-end gap-2 px-4 pt-2 pb-3">
        <Select
          aria-label="Transaction type"
          value={form.type}
          onChange={(e) => set({ type: e.target.value })}
          className="w-full sm:w-48"
        >
          <option value="">All types</option>
          {TRANSACTION_TYPES.map((t) => (
            <option key={t} value={t}>
              {typeLabel(t)}
            </option>
          ))}
        </Select>
        <div className="grid w-full grid-cols-1 gap-2 sm:flex sm:w-auto sm:items-center">
          <div className="grid gap-1">
            <label htmlFor="tx-from" className="text-xs text-muted-foreground sm:sr-only">
              From
            </label>
            <Input
              id="tx-from"
              type="date"
              value={form.from}
              max={form.to || undefined}
              onChange={(e) => set({ from: e.target.value })}
              className="min-w-0 sm:w-40"
            />
          </div>
          <span className="hidden text-muted-foreground sm:inline">–</span>
          <div className="grid gap-1">
            <label htmlFor="tx-to" className="text-xs text-muted-foreground sm:sr-only">
              To
            </label>
            <Input
              id="tx-to"
              type="date"
              value={form.to}
              min={form.from || undefined}
              onChange={(e) => set({ to: e.target.value })}
              className="min-w-0 sm:w-40"
            />
          </div>
        </div>
        {filtered && (
          <Button variant="ghost" onClick={() => setForm({ type: '', from: '', to: '' })}>
            Clear
          </Button>
        )}
        <Button variant="outline" asChild className="w-full sm:ml-auto sm:w-auto">
          <a href={transactionsCsvUrl(filter)} download data-testid="transactions-csv">
            <Download /> Download CSV
          </a>
        </Button>
      </div>
      <QueryStates
        query={tx}
        skeleton={{ rows: 5, columns: 4 }}
        isEmpty={items.length === 0}
        empty={
          <EmptyState
            icon={History}
            title={filtered ? 'No matching transactions' : 'No transactions yet'}
            description={
              filtered
                ? 'Change or clear the filters to see more.'
                : 'Paid orders, spending, adjustments and affiliate earnings are booked here.'
            }
          />
        }
      >
        <Table data-testid="transactions-table">
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead>Date</TableHead>
              <TableHead className="hidden sm:table-cell">Type</TableHead>
              <TableHead className="hidden md:table-cell">Reference</TableHead>
              <TableHead className="text-right">Visits</TableHead>
              <TableHead className="hidden lg:table-cell">Changes</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((t) => (
              <TableRow key={t.id} data-testid="transaction-row">
                <TableCell>
                  <DateCell iso={t.created_at} />
                  {/* Phones: the type and description under the date (the columns are hidden). */}
                  <div className="mt-1 sm:hidden">
                    <Badge variant="outline">{typeLabel(t.type)}</Badge>
                  </div>
                  {t.description && (
                    <p
                      className="mt-1 max-w-40 truncate text-xs text-muted-foreground md:hidden"
                      title={t.description}
                    >
                      {t.description}
                    </p>
                  )}
                </TableCell>
                <TableCell className="hidden sm:table-cell">
                  <Badge variant="outline">{typeLabel(t.type)}</Badge>
                </TableCell>
                <TableCell className="hidden max-w-64 md:table-cell">
                  {t.reference && <div className="truncate font-mono text-xs">{t.reference}</div>}
                  {t.description && (
                    <div className="truncate text-xs text-muted-foreground" title={t.description}>
                      {t.description}
                    </div>
                  )}
                  {!t.reference && !t.description && <span className="text-muted-foreground">—</span>}
                </TableCell>
                <TableCell
                  className={cn(
                    'text-right whitespace-nowrap tabular-nums',
                    t.visits_delta > 0 && 'text-success',
                    t.visits_delta < 0 && 'text-destructive',
                  )}
                >
                  {formatVisitsDelta(t.visits_delta)}
                </TableCell>
                <TableCell className="hidden lg:table-cell">
                  <ul className="grid gap-0.5 text-xs text-muted-foreground tabular-nums">
                    {t.changes.map((c) => (
                      <li key={`${c.account}:${c.asset}`} className="whitespace-nowrap">
                        {describeChange(c)}
                      </li>
                    ))}
                  </ul>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <LoadMore query={tx} />
      </QueryStates>
    </Card>
  )
}
