/**
 * The transactions list's pure parts: turning the filter form (type, from/to calendar days in
 * the browser's zone) into the API's query (`GET /billing/transactions?type=&from=&to=`, ISO
 * 8601 UTC instants, `from` inclusive and `to` exclusive), and describing a posting's account
 * changes with their units.
 */
import type { TransactionChange, TransactionFilter } from '@/hooks/api/billing'
import { formatMinorDelta, formatVisitsDelta } from './money.lib'

/** The filter form: a posting type ('' = all) and calendar days `YYYY-MM-DD` ('' = open). */
export interface TransactionForm {
  type: string
  from: string
  to: string
}

/** Local midnight of a `YYYY-MM-DD` day plus `addDays`, as an ISO instant; null when not a day. */
export function dayStartIso(day: string, addDays = 0): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
  if (!m) return null
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays)
  if (Number.isNaN(d.getTime())) return null
  return d.toISOString()
}

/**
 * The API query of the filter form: `from` = the start of the first day, `to` = the start of
 * the day after the last one (so the last day is included whole); empty parts left out.
 */
export function transactionFilter(form: TransactionForm): TransactionFilter {
  const out: TransactionFilter = {}
  if (form.type) out.type = form.type
  const from = form.from ? dayStartIso(form.from) : null
  const to = form.to ? dayStartIso(form.to, 1) : null
  if (from) out.from = from
  if (to) out.to = to
  return out
}

/** "available", "affiliate_pending" → "available", "affiliate pending". */
export const accountLabel = (account: string) => account.replace(/_/g, ' ')

/** One account change with its unit: "available +1,000 visits", "affiliate pending +€12.00". */
export function describeChange(c: TransactionChange, locale?: string): string {
  const amount =
    c.asset === 'visits' ? formatVisitsDelta(c.delta, locale) : formatMinorDelta(c.delta, c.asset, locale)
  return `${accountLabel(c.account)} ${amount}`
}
