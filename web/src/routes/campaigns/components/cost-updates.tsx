/**
 * "Costs" on the campaign page: set the real cost of a date range (optionally of one sub ID
 * value) with a live preview (clicks, cost and ROI before → after), the history of updates
 * with Revert, and the CSV import dialog (`CostImportDialog`, also meant for the campaign
 * list toolbar). API: `POST /cost-updates/preview`, `POST /cost-updates`, `GET
 * /cost-updates`, `POST /cost-updates/:id/revert`, `POST /cost-updates/import[/preview]`.
 */
import { ArrowRight, CircleAlert, FileUp, Receipt, Undo2 } from 'lucide-react'
import { useEffect, useMemo, useState } from 'react'
import { FormField } from '@/components/common/form-field'
import { EmptyState, ErrorState, TableSkeleton } from '@/components/common/states'
import { Alert, AlertDescription } from '@/components/ui/alert'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card'
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { toast } from '@/components/ui/sonner'
import { Spinner } from '@/components/ui/spinner'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import type { Campaign } from '@/hooks/api/campaigns'
import {
  type CostUpdate,
  type CostUpdateBody,
  useApplyCostUpdate,
  useCostImport,
  useCostImportPreview,
  useCostPreview,
  useCostUpdates,
  useRevertCostUpdate,
} from '@/hooks/api/cost-updates'
import { errorMessage } from '@/lib/api'
import { formatDateTime, formatInt, formatMoney, formatPercent } from '@/lib/format'
import { cn } from '@/lib/utils'
import { ConfirmDialog } from './shared'

const SUB_KEYS = [
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'external_id',
]
const MONEY_RE = /^\d+([.,]\d{1,6})?$/

/** `YYYY-MM-DD` of `date` in zone `tz` (`days` added first). */
export function localDay(tz: string, date = new Date(), days = 0): string {
  const d = new Date(date.getTime() + days * 86_400_000)
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d)
}

/** `value` once it has not changed for `ms`. */
function useDebounced<T>(value: T, ms = 400): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

/** "2024-06-01 → 2024-06-03" of an update, in its zone (the range end is exclusive). */
function rangeText(u: Pick<CostUpdate, 'from' | 'to' | 'timezone'>): string {
  const from = new Date(u.from)
  const to = new Date(Date.parse(u.to) - 1)
  const fmt = (d: Date) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: u.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .format(d)
      .replace(',', '')
  const a = fmt(from)
  const b = fmt(new Date(Date.parse(u.to)))
  // Whole local days: show the dates only.
  if (a.endsWith('00:00') && b.endsWith('00:00')) {
    const da = a.slice(0, 10)
    const db = localDay(u.timezone, to)
    return da === db ? da : `${da} → ${db}`
  }
  return `${a} → ${b}`
}

function RoiChange({ before, after }: { before: number | null; after: number | null }) {
  const cls = (v: number | null) => cn(v !== null && (v < 0 ? 'text-destructive' : 'text-success'))
  return (
    <span className="inline-flex flex-wrap items-center gap-1 tabular-nums">
      <span className={cls(before)}>{formatPercent(before)}</span>
      <ArrowRight className="size-3.5 text-muted-foreground" />
      <span className={cn('font-semibold', cls(after))}>{formatPercent(after)}</span>
    </span>
  )
}

/** The cost form with its live preview. */
function CostForm({ campaign }: { campaign: Campaign }) {
  const tz = campaign.timezone ?? 'UTC'
  const currency = campaign.currency ?? 'USD'
  const [from, setFrom] = useState(() => localDay(tz, new Date(), -1))
  const [to, setTo] = useState(() => localDay(tz, new Date(), -1))
  const [subKey, setSubKey] = useState('')
  const [subValue, setSubValue] = useState('')
  const [cost, setCost] = useState('')
  const [submitId, setSubmitId] = useState(() => crypto.randomUUID())
  const apply = useApplyCostUpdate()
  const costOk = MONEY_RE.test(cost.trim())
  const body: CostUpdateBody | null =
    from && to && costOk
      ? {
          campaign_id: campaign.id,
          from,
          to,
          timezone: tz,
          cost: cost.trim().replace(',', '.'),
          ...(subKey ? { sub_key: subKey, sub_value: subValue } : {}),
        }
      : null
  const debounced = useDebounced(body)
  const preview = useCostPreview(debounced)
  const p = preview.data
  const stale = JSON.stringify(body) !== JSON.stringify(debounced) || preview.isFetching
  const submit = (e: React.FormEvent) => {
    e.preventDefault()
    if (!body) return
    apply.mutate(
      { ...body, id: submitId },
      {
        onSuccess: (u) => {
          toast.success(`Cost set: ${formatMoney(u.cost, u.currency)} over ${formatInt(u.clicks)} clicks`)
          setCost('')
          setSubmitId(crypto.randomUUID())
        },
        onError: (err) => toast.error(errorMessage(err)),
      },
    )
  }
  return (
    <form onSubmit={submit} className="grid gap-4" noValidate data-testid="cost-form">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <FormField id="cost-from" label="From" hint={`Whole days in ${tz.replaceAll('_', ' ')}`}>
          <Input id="cost-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </FormField>
        <FormField id="cost-to" label="To (included)">
          <Input id="cost-to" type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        </FormField>
        <FormField id="cost-sub-key" label="Only clicks with" optional>
          <Select id="cost-sub-key" value={subKey} onChange={(e) => setSubKey(e.target.value)}>
            <option value="">All clicks</option>
            {SUB_KEYS.map((k) => (
              <option key={k} value={k}>
                {k === 'external_id' ? 'External ID' : k}
              </option>
            ))}
          </Select>
        </FormField>
        <FormField
          id="cost-sub-value"
          label="Value"
          hint={subKey ? 'Empty = clicks without a value' : undefined}
        >
          <Input
            id="cost-sub-value"
            value={subValue}
            disabled={!subKey}
            placeholder={subKey ? 'e.g. zone id' : '—'}
            onChange={(e) => setSubValue(e.target.value)}
          />
        </FormField>
        <FormField
          id="cost-total"
          label={`Real cost (${currency})`}
          hint="The total the source charged for this range"
          error={cost.trim() && !costOk ? 'An amount such as 12.50 (at most 6 decimals)' : undefined}
          className="sm:col-span-2 lg:col-span-1"
        >
          <Input
            id="cost-total"
            inputMode="decimal"
            value={cost}
            placeholder="0.00"
            onChange={(e) => setCost(e.target.value)}
          />
        </FormField>
        <div
          className={cn(
            'grid content-start gap-1 rounded-md border bg-muted/30 p-3 text-sm sm:col-span-2 lg:col-span-3',
            stale && 'opacity-60',
          )}
          data-testid="cost-preview"
          aria-live="polite"
        >
          {!body ? (
            <p className="text-muted-foreground">Enter the real cost to see its effect.</p>
          ) : preview.isError ? (
            <p className="text-destructive">{errorMessage(preview.error)}</p>
          ) : !p ? (
            <p className="text-muted-foreground">Counting clicks…</p>
          ) : p.clicks === 0 ? (
            <p className="text-destructive">
              No clicks in this range{subKey ? ' with this value' : ''}: there is nothing to spread the cost
              over.
            </p>
          ) : (
            <div className="grid gap-1.5 sm:grid-cols-3">
              <div>
                <p className="text-xs text-muted-foreground">Clicks</p>
                <p className="font-medium tabular-nums">{formatInt(p.clicks)}</p>
              </div>
              <div>
                <p className="text-xs text-muted-foreground">Cost</p>
                <p className="inline-flex flex-wrap items-center gap-1 tabular-nums">
                  {formatMoney(p.current_cost, p.currency)}
                  <ArrowRight className="size-3.5 text-muted-foreground" />
                  <span className="font-semibold">{formatMoney(p.new_cost, p.currency)}</span>
                </p>
              </div>
              <div>
                <p className="text-xs text-muted-foreground">
                  ROI (revenue {formatMoney(p.revenue, p.currency)})
                </p>
                <RoiChange before={p.roi_before} after={p.roi_after} />
              </div>
            </div>
          )}
        </div>
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={!body || apply.isPending || !p || p.clicks === 0 || stale}>
          {apply.isPending ? <Spinner /> : <Receipt />} Apply cost
        </Button>
      </div>
    </form>
  )
}

/** History of a campaign's updates with Revert. */
function CostHistory({ campaignId }: { campaignId: string }) {
  const list = useCostUpdates(campaignId)
  const revert = useRevertCostUpdate()
  const [target, setTarget] = useState<CostUpdate | null>(null)
  if (list.isPending) return <TableSkeleton rows={3} columns={5} />
  if (list.isError) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />
  const items = list.data.items
  if (items.length === 0)
    return (
      <EmptyState
        icon={Receipt}
        title="No cost updates yet"
        description="Costs come from the click's cost parameter or the source's cost model until you set the real cost here."
      />
    )
  return (
    <>
      <div className="overflow-x-auto">
        <Table data-testid="cost-history">
          <TableHeader>
            <TableRow>
              <TableHead>Range</TableHead>
              <TableHead className="text-right">Cost</TableHead>
              <TableHead className="hidden text-right sm:table-cell">Before</TableHead>
              <TableHead className="hidden text-right sm:table-cell">Clicks</TableHead>
              <TableHead className="hidden md:table-cell">Added</TableHead>
              <TableHead className="text-right">
                <span className="sr-only">Actions</span>
              </TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((u) => (
              <TableRow key={u.id} className={cn(u.status === 'reverted' && 'text-muted-foreground')}>
                <TableCell>
                  <div className="grid gap-0.5">
                    <span className="font-medium tabular-nums">{rangeText(u)}</span>
                    <span className="flex flex-wrap gap-1 text-xs text-muted-foreground">
                      {u.sub_key && (
                        <Badge variant="outline" className="max-w-40 truncate">
                          {u.sub_key}={u.sub_value || '∅'}
                        </Badge>
                      )}
                      {u.origin.startsWith('csv:') && <Badge variant="secondary">CSV</Badge>}
                      {u.status === 'reverted' && <Badge variant="warning">Reverted</Badge>}
                    </span>
                  </div>
                </TableCell>
                <TableCell
                  className={cn('text-right tabular-nums', u.status === 'reverted' && 'line-through')}
                >
                  {formatMoney(u.cost, u.currency)}
                </TableCell>
                <TableCell className="hidden text-right tabular-nums sm:table-cell">
                  {formatMoney(u.previous_cost, u.currency)}
                </TableCell>
                <TableCell className="hidden text-right tabular-nums sm:table-cell">
                  {formatInt(u.clicks)}
                </TableCell>
                <TableCell className="hidden text-xs md:table-cell">{formatDateTime(u.created_at)}</TableCell>
                <TableCell className="text-right">
                  {u.status === 'applied' && (
                    <Button variant="ghost" size="sm" onClick={() => setTarget(u)} aria-label="Revert">
                      <Undo2 /> <span className="hidden sm:inline">Revert</span>
                    </Button>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </div>
      <ConfirmDialog
        open={target !== null}
        title="Revert this cost update?"
        description={
          target
            ? `${rangeText(target)}: the clicks go back to the cost they had without it (${formatMoney(target.previous_cost, target.currency)} before, unless a newer update covers them).`
            : ''
        }
        confirmLabel="Revert"
        pending={revert.isPending}
        onClose={() => setTarget(null)}
        onConfirm={() =>
          target &&
          revert.mutate(target.id, {
            onSuccess: () => {
              toast.success('Cost update reverted')
              setTarget(null)
            },
            onError: (e) => toast.error(errorMessage(e)),
          })
        }
      />
    </>
  )
}

const CSV_EXAMPLE = `campaign,from,to,sub_key,sub_value,cost
my-campaign,2024-06-01,2024-06-01,,,125.40
my-campaign,2024-06-02,2024-06-02,sub1,zone-123,12.5`

/**
 * CSV import of cost updates: paste or choose a file, preview (errors per line, figures per
 * valid line), then import all rows (or none). Usable anywhere (campaign page, campaign list).
 */
export function CostImportDialog({ trigger }: { trigger?: React.ReactNode }) {
  const [open, setOpen] = useState(false)
  const [csv, setCsv] = useState('')
  const [batchId, setBatchId] = useState(() => crypto.randomUUID())
  const check = useCostImportPreview()
  const run = useCostImport()
  const r = check.data
  const checkedText = check.variables
  const canImport = !!r && r.errors.length === 0 && r.rows.length > 0 && checkedText === csv
  const readFile = async (f: File | undefined) => {
    if (!f) return
    setCsv(await f.text())
    check.reset()
  }
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o)
        if (!o) {
          check.reset()
          setBatchId(crypto.randomUUID())
        }
      }}
    >
      <DialogTrigger asChild>
        {trigger ?? (
          <Button variant="outline">
            <FileUp /> Import CSV
          </Button>
        )}
      </DialogTrigger>
      <DialogContent className="max-h-[90dvh] overflow-y-auto sm:max-w-3xl" data-testid="cost-import">
        <DialogHeader>
          <DialogTitle>Import costs from CSV</DialogTitle>
          <DialogDescription>
            Columns: campaign (id or alias), from, to, cost — optional timezone (default the campaign's),
            sub_key (sub1…sub10, external_id), sub_value. Dates are whole days; every row is applied, or none.
          </DialogDescription>
        </DialogHeader>
        <div className="grid gap-3">
          <Input
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={(e) => void readFile(e.target.files?.[0])}
          />
          <textarea
            aria-label="CSV text"
            className="min-h-32 w-full rounded-md border border-input bg-card px-3 py-2 font-mono text-xs shadow-xs outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40"
            placeholder={CSV_EXAMPLE}
            value={csv}
            onChange={(e) => setCsv(e.target.value)}
          />
          {check.isError && (
            <Alert variant="destructive">
              <CircleAlert />
              <AlertDescription>{errorMessage(check.error)}</AlertDescription>
            </Alert>
          )}
          {r && (
            <div className="grid gap-2" data-testid="cost-import-preview">
              <p className="text-sm">
                <span className="font-medium">{r.valid}</span> valid row{r.valid === 1 ? '' : 's'}
                {r.invalid > 0 && (
                  <span className="text-destructive">
                    , {r.invalid} with errors — fix them to import (nothing is imported while any row is
                    wrong)
                  </span>
                )}
              </p>
              {r.errors.length > 0 && (
                <ul className="grid gap-1 rounded-md border border-destructive/30 bg-destructive/5 p-2 text-xs">
                  {r.errors.map((e) => (
                    <li key={e.line}>
                      <span className="font-medium">Line {e.line}:</span>{' '}
                      {e.issues.map((i) => `${i.path} ${i.message}`).join('; ')}
                    </li>
                  ))}
                </ul>
              )}
              {r.rows.length > 0 && (
                <div className="overflow-x-auto">
                  <Table>
                    <TableHeader>
                      <TableRow>
                        <TableHead>Line</TableHead>
                        <TableHead>Campaign</TableHead>
                        <TableHead>Range</TableHead>
                        <TableHead className="text-right">Clicks</TableHead>
                        <TableHead className="text-right">Cost</TableHead>
                        <TableHead className="text-right">ROI</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {r.rows.map((row) => (
                        <TableRow key={row.line}>
                          <TableCell className="tabular-nums">{row.line}</TableCell>
                          <TableCell className="max-w-40 truncate">
                            {row.campaign_name}
                            {row.sub_key && (
                              <span className="block text-xs text-muted-foreground">
                                {row.sub_key}={row.sub_value || '∅'}
                              </span>
                            )}
                          </TableCell>
                          <TableCell className="text-xs tabular-nums">{rangeText(row)}</TableCell>
                          <TableCell className="text-right tabular-nums">{formatInt(row.clicks)}</TableCell>
                          <TableCell className="text-right text-xs tabular-nums">
                            {formatMoney(row.current_cost, row.currency)} →{' '}
                            <span className="font-semibold">{formatMoney(row.new_cost, row.currency)}</span>
                          </TableCell>
                          <TableCell className="text-right text-xs">
                            <RoiChange before={row.roi_before} after={row.roi_after} />
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </div>
              )}
            </div>
          )}
        </div>
        <DialogFooter>
          <Button
            variant="outline"
            disabled={!csv.trim() || check.isPending}
            onClick={() => check.mutate(csv)}
          >
            {check.isPending && <Spinner />} Check
          </Button>
          <Button
            disabled={!canImport || run.isPending}
            onClick={() =>
              run.mutate(
                { csv, batch_id: batchId },
                {
                  onSuccess: (res) => {
                    toast.success(
                      `Imported ${res.items.length} cost update${res.items.length === 1 ? '' : 's'}`,
                    )
                    setOpen(false)
                    setCsv('')
                    check.reset()
                    setBatchId(crypto.randomUUID())
                  },
                  onError: (e) => toast.error(errorMessage(e)),
                },
              )
            }
          >
            {run.isPending && <Spinner />} Import{' '}
            {r && r.valid > 0 ? `${r.valid} row${r.valid === 1 ? '' : 's'}` : ''}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}

/** The campaign page's "Costs" card. */
export function CostUpdates({ campaign }: { campaign: Campaign }) {
  const tz = useMemo(() => (campaign.timezone ?? 'UTC').replaceAll('_', ' '), [campaign.timezone])
  return (
    <Card data-testid="cost-updates">
      <CardHeader className="sm:flex-nowrap">
        <div className="grid min-w-0 flex-1 gap-1.5">
          <CardTitle>Costs</CardTitle>
          <CardDescription>
            Set the real cost of a range (from the source's stats): it is spread over that range's clicks, so
            reports show it exactly. Times in {tz}. Every update can be reverted.
          </CardDescription>
        </div>
        <CostImportDialog />
      </CardHeader>
      <CardContent className="grid gap-6">
        <CostForm campaign={campaign} />
        <CostHistory campaignId={campaign.id} />
      </CardContent>
    </Card>
  )
}
