/**
 * What the reports API offers, with UI labels. The dimension, filter and metric lists are
 * imported from the API's own modules (browser-safe files without Node imports), so the UI
 * cannot drift from the API.
 */
import { METRIC_COLUMNS, type ReportMetrics } from '../../../src/modules/analytics/metrics.ts'
import {
  FILTER_PARAMS,
  REPORT_DIMENSIONS,
  type ReportDimension,
} from '../../../src/modules/analytics/report-sql.ts'
import { formatEpc, formatInt, formatMoney, formatPercent } from './format'

export { FILTER_PARAMS, METRIC_COLUMNS, REPORT_DIMENSIONS, type ReportDimension, type ReportMetrics }

/** One of the report metrics (`clicks`, `revenue`, `roi`, …). */
export type MetricKey = (typeof METRIC_COLUMNS)[number]

/** How a metric is written. */
export type MetricKind = 'count' | 'money' | 'percent' | 'epc'

/** Label, kind and meaning of each metric (see src/modules/analytics/REPORTS.md). */
export const METRIC_META: Record<
  MetricKey,
  { label: string; short: string; kind: MetricKind; help: string }
> = {
  clicks: { label: 'Clicks', short: 'Clicks', kind: 'count', help: 'Routed clicks, bots included' },
  unique_clicks: {
    label: 'Unique clicks',
    short: 'Unique',
    kind: 'count',
    help: 'Clicks flagged unique for their campaign',
  },
  bots: { label: 'Bots', short: 'Bots', kind: 'count', help: 'Clicks flagged as bots' },
  conversions: { label: 'Conversions', short: 'Conv.', kind: 'count', help: 'Conversions created' },
  leads: { label: 'Leads', short: 'Leads', kind: 'count', help: 'Net conversions moved into lead' },
  sales: { label: 'Sales', short: 'Sales', kind: 'count', help: 'Net conversions moved into sale' },
  rejected: { label: 'Rejected', short: 'Rej.', kind: 'count', help: 'Net conversions moved into rejected' },
  rebills: { label: 'Rebills', short: 'Rebills', kind: 'count', help: 'Net conversions moved into rebill' },
  revenue: { label: 'Revenue', short: 'Revenue', kind: 'money', help: 'Payouts reported by networks' },
  cost: { label: 'Cost', short: 'Cost', kind: 'money', help: 'Traffic cost of the clicks' },
  profit: { label: 'Profit', short: 'Profit', kind: 'money', help: 'Revenue − cost' },
  cr: { label: 'CR', short: 'CR', kind: 'percent', help: 'Conversions ÷ clicks' },
  roi: { label: 'ROI', short: 'ROI', kind: 'percent', help: 'Profit ÷ cost' },
  epc: { label: 'EPC', short: 'EPC', kind: 'epc', help: 'Revenue per click' },
}

/** A metric value as text. */
export function formatMetric(key: MetricKey, value: number | null | undefined, currency?: string): string {
  switch (METRIC_META[key].kind) {
    case 'count':
      return formatInt(value)
    case 'money':
      return formatMoney(value, currency)
    case 'percent':
      return formatPercent(value)
    case 'epc':
      return formatEpc(value, currency)
  }
}

/** Dimensions whose keys are ids of configured objects (shown by name). */
export const ID_DIMENSIONS = ['campaign', 'stream', 'destination', 'lander', 'source', 'network'] as const
/** One of {@link ID_DIMENSIONS}. */
export type IdDimension = (typeof ID_DIMENSIONS)[number]

/** True when the dimension's keys are ids. */
export const isIdDimension = (d: string): d is IdDimension => (ID_DIMENSIONS as readonly string[]).includes(d)

/** UI label of a dimension. */
export function dimensionLabel(d: ReportDimension): string {
  const fixed: Partial<Record<ReportDimension, string>> = {
    campaign: 'Campaign',
    stream: 'Stream',
    destination: 'Destination',
    lander: 'Lander',
    source: 'Traffic source',
    network: 'Affiliate network',
    country: 'Country',
    device: 'Device',
    os: 'OS',
    browser: 'Browser',
    os_version: 'OS version',
    language: 'Language',
    hour: 'Hour of day',
  }
  if (fixed[d]) return fixed[d]
  if (d.startsWith('sub')) return `Sub ${d.slice(3)}`
  return `UTM ${d.slice(4)}`
}

/** Dimension groups for the pickers. */
export const DIMENSION_GROUPS: { label: string; dims: ReportDimension[] }[] = [
  { label: 'Setup', dims: ['campaign', 'stream', 'destination', 'lander', 'source', 'network'] },
  { label: 'Visitor', dims: ['country', 'language', 'device', 'os', 'os_version', 'browser'] },
  { label: 'Time', dims: ['hour'] },
  { label: 'Sub IDs', dims: REPORT_DIMENSIONS.filter((d) => /^sub\d+$/.test(d)) },
  { label: 'UTM', dims: REPORT_DIMENSIONS.filter((d) => d.startsWith('utm_')) },
]

/** Report rows key a missing value (nothing recorded) as `''`. */
export const EMPTY_KEY_LABEL = '(none)'

/**
 * Lander metrics of a breakdown grouped by lander (`lander_visits`, `lp_clicks`, `lp_ctr`;
 * see src/modules/analytics/REPORTS.md): present on the rows only then.
 */
export const LANDER_METRIC_META = {
  lander_visits: {
    label: 'Lander visits',
    short: 'LP visits',
    kind: 'count',
    help: 'Clicks sent to a lander first',
  },
  lp_clicks: {
    label: 'Lander clicks',
    short: 'LP clicks',
    kind: 'count',
    help: "Visitors who clicked the lander's button (once per visit)",
  },
  lp_ctr: { label: 'Lander CTR', short: 'LP CTR', kind: 'percent', help: 'Lander clicks ÷ lander visits' },
} as const satisfies Record<string, { label: string; short: string; kind: MetricKind; help: string }>

/** One of the lander metrics. */
export type LanderMetricKey = keyof typeof LANDER_METRIC_META

/** A lander metric value as text. */
export function formatLanderMetric(key: LanderMetricKey, value: number | null | undefined): string {
  return LANDER_METRIC_META[key].kind === 'percent' ? formatPercent(value) : formatInt(value)
}
