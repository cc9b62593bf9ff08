/**
 * `/clicks` — the click log: find clicks by click ID, IP (exact, or a prefix with `*`),
 * campaign, country and a sub ID / external ID value in a date range (the report pages'
 * range and zone controls), newest first, 50 at a time ("Load more"), and download the
 * same search as CSV. The filters live in the URL, so a search is a link.
 */
import { Download, MousePointerClick, Search, X } from 'lucide-react'
import { type FormEvent, useEffect, useMemo, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { DateRangeControl, TimeZoneControl } from '@/components/common/report-controls'
import { EmptyState, QueryStates } from '@/components/common/states'
import { Badge } from '@/components/ui/badge'
import { Button } from '@/components/ui/button'
import { Card } from '@/components/ui/card'
import { Input } from '@/components/ui/input'
import { Select } from '@/components/ui/select'
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table'
import { useCampaigns } from '@/hooks/api/campaigns'
import { type ClickItem, type ClickSearchParams, clicksCsvUrl, useClickSearch } from '@/hooks/api/clicks'
import { useReportUrlState } from '@/hooks/use-report-url-state'
import { formatDateTime, formatMoney } from '@/lib/format'

/** Sub ID keys a value can be searched in. */
const VALUE_KEYS = [
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
/** Text filters kept in the URL besides the report state. */
const TEXT_KEYS = ['click_id', 'ip'] as const

const keyLabel = (k: string) => (k === 'external_id' ? 'Source click ID' : k)

/** The value filter of the URL: the first sub/external key present. */
function valueFilter(sp: URLSearchParams): { key: string; value: string } {
  for (const k of VALUE_KEYS) {
    const v = sp.get(k)
    if (v) return { key: k, value: v }
  }
  return { key: 'sub1', value: '' }
}

function FilterBar() {
  const [state, update] = useReportUrlState({ preset: 'today' })
  const [sp, setSp] = useSearchParams()
  const campaigns = useCampaigns({ limit: 500 })
  const current = valueFilter(sp)
  const [clickId, setClickId] = useState(sp.get('click_id') ?? '')
  const [ip, setIp] = useState(sp.get('ip') ?? '')
  const [country, setCountry] = useState(sp.get('country') ?? '')
  const [subKey, setSubKey] = useState(current.key)
  const [subValue, setSubValue] = useState(current.value)
  const key = sp.toString()
  // The URL is the truth: back/forward (or a link) refills the inputs.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the query string
  useEffect(() => {
    const v = valueFilter(sp)
    setClickId(sp.get('click_id') ?? '')
    setIp(sp.get('ip') ?? '')
    setCountry(sp.get('country') ?? '')
    setSubKey(v.key)
    setSubValue(v.value)
  }, [key])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    setSp((prev) => {
      const next = new URLSearchParams(prev)
      for (const k of [...TEXT_KEYS, ...VALUE_KEYS, 'country']) next.delete(k)
      if (clickId.trim()) next.set('click_id', clickId.trim())
      if (ip.trim()) next.set('ip', ip.trim())
      if (country.trim()) next.set('country', country.trim().toUpperCase())
      if (subValue.trim()) next.set(subKey, subValue.trim())
      return next
    })
  }
  const clear = () =>
    setSp((prev) => {
      const next = new URLSearchParams(prev)
      for (const k of [...TEXT_KEYS, ...VALUE_KEYS, 'country', 'campaign_id']) next.delete(k)
      return next
    })
  const campaignId = sp.get('campaign_id') ?? ''

  return (
    <Card className="gap-3 p-4" data-testid="click-filters">
      <div className="flex flex-wrap items-center gap-2">
        <DateRangeControl state={state} onChange={update} />
        <TimeZoneControl state={state} onChange={update} />
        <Select
          aria-label="Campaign"
          value={campaignId}
          className="sm:w-56"
          onChange={(e) =>
            setSp((prev) => {
              const next = new URLSearchParams(prev)
              if (e.target.value) next.set('campaign_id', e.target.value)
              else next.delete('campaign_id')
              return next
            })
          }
        >
          <option value="">All campaigns</option>
          {(campaigns.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </Select>
      </div>
      <form
        onSubmit={submit}
        className="grid gap-2 sm:grid-cols-2 lg:grid-cols-[minmax(0,1.2fr)_minmax(0,1fr)_5.5rem_minmax(0,1.6fr)_auto]"
      >
        <Input
          aria-label="Click ID"
          placeholder="Click ID"
          value={clickId}
          onChange={(e) => setClickId(e.target.value)}
          className="font-mono"
        />
        <Input
          aria-label="IP"
          placeholder="IP, or 203.0.113.*"
          value={ip}
          onChange={(e) => setIp(e.target.value)}
        />
        <Input
          aria-label="Country"
          placeholder="Country"
          maxLength={2}
          value={country}
          onChange={(e) => setCountry(e.target.value)}
        />
        <div className="flex min-w-0 gap-2">
          <Select
            aria-label="Sub ID"
            value={subKey}
            onChange={(e) => setSubKey(e.target.value)}
            className="w-32 shrink-0"
          >
            {VALUE_KEYS.map((k) => (
              <option key={k} value={k}>
                {keyLabel(k)}
              </option>
            ))}
          </Select>
          <Input
            aria-label="Sub ID value"
            placeholder="exact value"
            value={subValue}
            onChange={(e) => setSubValue(e.target.value)}
          />
        </div>
        <div className="flex gap-2">
          <Button type="submit" className="flex-1 sm:flex-none">
            <Search /> Search
          </Button>
          <Button type="button" variant="outline" onClick={clear} aria-label="Clear filters">
            <X />
          </Button>
        </div>
      </form>
    </Card>
  )
}

/** The API parameters of the current URL. */
function useSearchParamsForApi(): ClickSearchParams {
  const [state] = useReportUrlState({ preset: 'today' })
  const [sp] = useSearchParams()
  const key = sp.toString()
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the query string
  return useMemo(() => {
    const p: ClickSearchParams = { tz: state.tz }
    const clickId = sp.get('click_id')
    // A click ID alone searches around its own time; otherwise the chosen range.
    if (!clickId) {
      p.from = state.range.from
      p.to = state.range.to
    }
    for (const k of [...TEXT_KEYS, ...VALUE_KEYS, 'country', 'campaign_id']) {
      const v = sp.get(k)
      if (v) p[k] = v
    }
    return p
  }, [key, state.range.from, state.range.to, state.tz])
}

function Subs({ c }: { c: ClickItem }) {
  const subs = Object.entries(c.subs).filter(([, v]) => v)
  if (subs.length === 0) return <span className="text-muted-foreground">—</span>
  return (
    <span className="flex gap-1 whitespace-nowrap">
      {subs.slice(0, 2).map(([k, v]) => (
        <Badge
          key={k}
          variant="outline"
          className="max-w-40 truncate font-mono font-normal"
          title={`${k}=${v}`}
        >
          {k}={v}
        </Badge>
      ))}
      {subs.length > 2 && <span className="text-xs text-muted-foreground">+{subs.length - 2}</span>}
    </span>
  )
}

function ClickTable({ items }: { items: ClickItem[] }) {
  return (
    <Table data-testid="click-table">
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead>Time</TableHead>
          <TableHead>Click ID</TableHead>
          <TableHead>Campaign</TableHead>
          <TableHead>Stream</TableHead>
          <TableHead>Offer</TableHead>
          <TableHead>Country</TableHead>
          <TableHead>Device</TableHead>
          <TableHead>IP</TableHead>
          <TableHead>Sub IDs</TableHead>
          <TableHead className="text-right">Cost</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {items.map((c) => (
          <TableRow key={c.click_id} data-testid="click-row">
            <TableCell className="whitespace-nowrap tabular-nums">{formatDateTime(c.ts)}</TableCell>
            <TableCell>
              <Link
                to={`/clicks/${c.click_id}`}
                className="font-mono text-xs text-primary underline-offset-4 hover:underline"
              >
                {c.click_id}
              </Link>
              {c.is_bot && (
                <Badge variant="warning" className="ml-1">
                  bot
                </Badge>
              )}
            </TableCell>
            <TableCell className="max-w-40 truncate" title={c.campaign_name ?? undefined}>
              {c.campaign_name ?? c.campaign_id}
            </TableCell>
            <TableCell className="max-w-36 truncate">{c.stream_name ?? (c.stream_id || '—')}</TableCell>
            <TableCell className="max-w-40 truncate">
              {c.destination_id
                ? (c.destination_name ?? c.destination_id)
                : c.lander_id
                  ? `Lander: ${c.lander_name ?? c.lander_id}`
                  : '—'}
            </TableCell>
            <TableCell>{c.country || '—'}</TableCell>
            <TableCell className="whitespace-nowrap">
              {[c.device, c.os].filter(Boolean).join(' · ') || '—'}
            </TableCell>
            <TableCell className="font-mono text-xs">{c.ip}</TableCell>
            <TableCell>
              <Subs c={c} />
            </TableCell>
            <TableCell className="text-right tabular-nums">
              {formatMoney(c.cost_micros / 1_000_000, c.currency)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  )
}

export function Component() {
  const params = useSearchParamsForApi()
  const search = useClickSearch(params)
  const items = useMemo(() => search.data?.pages.flatMap((p) => p.items) ?? [], [search.data])
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Click log"
        description="Look up any click: by its ID, the visitor's IP, a sub ID or the source's click ID."
        actions={
          <Button variant="outline" asChild>
            <a href={clicksCsvUrl(params)} download data-testid="clicks-csv">
              <Download /> Download CSV
            </a>
          </Button>
        }
      />
      <FilterBar />
      <Card className="gap-0 py-0">
        <QueryStates
          query={search}
          skeleton={{ rows: 8, columns: 6 }}
          errorTitle="Could not search the clicks"
          isEmpty={items.length === 0}
          empty={
            <EmptyState
              icon={MousePointerClick}
              title="No clicks found"
              description="Nothing matches these filters in this range. A click ID alone is searched around its own time."
            />
          }
        >
          <ClickTable items={items} />
          <div className="flex flex-wrap items-center justify-between gap-2 border-t px-4 py-3 text-sm text-muted-foreground">
            <span data-testid="click-count">
              {items.length} click{items.length === 1 ? '' : 's'}
              {search.hasNextPage ? ' shown, more in range' : ''}
            </span>
            {search.hasNextPage && (
              <Button
                variant="outline"
                size="sm"
                disabled={search.isFetchingNextPage}
                onClick={() => void search.fetchNextPage()}
              >
                {search.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </Button>
            )}
          </div>
        </QueryStates>
      </Card>
    </div>
  )
}
