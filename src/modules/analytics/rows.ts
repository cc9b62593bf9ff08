/**
 * Pipeline event → ClickHouse row. Every value is coerced to its column type here so a
 * batch can never be rejected by ClickHouse for bad data: the only insert failures left
 * are infrastructure ones, which the pipeline retries. (A row ClickHouse cannot parse
 * would otherwise block the spool forever or force a lossy split of the batch.)
 */
import type { ClickEvent, PipelineEvent, TrafficbackEvent } from './events.ts'
import { chDateTime } from './migrate.ts'

/** Latest timestamp accepted (2200-01-01), well inside DateTime64(3)'s range. */
const MAX_TS = 7_258_118_400_000

const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v))
const flag = (v: unknown): 0 | 1 => (v === 1 || v === true || v === '1' ? 1 : 0)
const int = (v: unknown, min: number, max: number): number => {
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isFinite(n)) return 0
  return Math.min(max, Math.max(min, Math.trunc(n)))
}

/** String columns of `clicks` copied verbatim (after coercion to string). */
const CLICK_STRINGS = [
  'click_id',
  'workspace_id',
  'campaign_id',
  'stream_id',
  'destination_id',
  'source_id',
  'ip',
  'country',
  'language',
  'device',
  'os',
  'browser',
  'user_agent',
  'referrer',
  'user_key',
  'currency',
  'external_id',
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
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'source',
  'destination_url',
] as const satisfies readonly (keyof ClickEvent)[]

const TRAFFICBACK_STRINGS = [
  'click_id',
  'workspace_id',
  'campaign_id',
  'reason',
  'target_type',
  'target',
  'ip',
  'country',
  'device',
  'user_agent',
  'referrer',
  'source',
] as const satisfies readonly (keyof TrafficbackEvent)[]

/** A row ready for `JSONEachRow` (column name → value). */
export type Row = Record<string, string | number>

/**
 * Checks that a parsed spool line is a pipeline event the pipeline can store: `type` is
 * `click` or `trafficback` and `ts` is a finite number. Anything else is a corrupt line.
 */
export function isStorableEvent(v: unknown): v is PipelineEvent {
  if (typeof v !== 'object' || v === null) return false
  const e = v as { type?: unknown; ts?: unknown }
  return (e.type === 'click' || e.type === 'trafficback') && typeof e.ts === 'number' && Number.isFinite(e.ts)
}

/** Row for `<db>.clicks`. `ts` is clamped to [1970, 2200) and rendered as UTC text. */
export function clickRow(e: ClickEvent): Row {
  const row: Row = {}
  for (const k of CLICK_STRINGS) row[k] = str(e[k])
  row.ts = chDateTime(int(e.ts, 0, MAX_TS))
  row.is_unique = flag(e.is_unique)
  row.is_bot = flag(e.is_bot)
  row.cost_micros = int(e.cost_micros, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  return row
}

/** Row for `<db>.trafficback`. */
export function trafficbackRow(e: TrafficbackEvent): Row {
  const row: Row = {}
  for (const k of TRAFFICBACK_STRINGS) row[k] = str(e[k])
  row.ts = chDateTime(int(e.ts, 0, MAX_TS))
  row.hops = int(e.hops, 0, 255)
  row.is_bot = flag(e.is_bot)
  return row
}
