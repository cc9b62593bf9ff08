/**
 * Spool lines for pipeline events, compiled with fast-json-stringify (one serializer per
 * event type; faster than JSON.stringify on the redirect hot path). A line is at once the
 * durable spool record and a ClickHouse JSONEachRow row: the pipeline inserts lines as they
 * are (`type` is skipped as an unknown field; `ts` in epoch ms is read by DateTime64(3)).
 *
 * The schema coerces every field to its column's JSON type, so ClickHouse never rejects a
 * batch for bad data (which would block the spool); value ranges are the producer's job
 * (the redirect handler clamps cost and hops).
 */
import fastJson from 'fast-json-stringify'
import type { ClickEvent, LanderClickEvent, PipelineEvent, TrafficbackEvent, VisitEvent } from './events.ts'

type Props<T> = Record<keyof T, { type: 'string' | 'number' | 'integer' }>

const s = { type: 'string' } as const
const n = { type: 'number' } as const
const i = { type: 'integer' } as const

const clickProps: Props<ClickEvent> = {
  type: s,
  click_id: s,
  ts: n,
  workspace_id: s,
  campaign_id: s,
  stream_id: s,
  destination_id: s,
  source_id: s,
  is_unique: i,
  is_bot: i,
  ip: s,
  country: s,
  language: s,
  device: s,
  os: s,
  os_version: s,
  browser: s,
  user_agent: s,
  referrer: s,
  user_key: s,
  cost_micros: n,
  currency: s,
  external_id: s,
  sub1: s,
  sub2: s,
  sub3: s,
  sub4: s,
  sub5: s,
  sub6: s,
  sub7: s,
  sub8: s,
  sub9: s,
  sub10: s,
  utm_source: s,
  utm_medium: s,
  utm_campaign: s,
  utm_term: s,
  utm_content: s,
  source: s,
  destination_url: s,
  lander_id: s,
}

const landerClickProps: Props<LanderClickEvent> = {
  type: s,
  click_id: s,
  ts: n,
  workspace_id: s,
  campaign_id: s,
  stream_id: s,
  lander_id: s,
  destination_id: s,
  source_id: s,
  is_unique: i,
  country: s,
  device: s,
  destination_url: s,
}

const trafficbackProps: Props<TrafficbackEvent> = {
  type: s,
  click_id: s,
  ts: n,
  workspace_id: s,
  campaign_id: s,
  reason: s,
  target_type: s,
  target: s,
  hops: i,
  is_bot: i,
  ip: s,
  country: s,
  device: s,
  user_agent: s,
  referrer: s,
  source: s,
}

const visitProps: Props<VisitEvent> = {
  type: s,
  visit_id: s,
  ts: n,
  started_at: n,
  settled_at: n,
  workspace_id: s,
  project_id: s,
  run_id: s,
  url: s,
  country: s,
  device: s,
  mode: s,
  answered: i,
  status: i,
  latency_ms: n,
  bytes: i,
  error: s,
  charged: i,
}

const schema = (properties: Record<string, { type: 'string' | 'number' | 'integer' }>) => ({
  type: 'object' as const,
  properties,
  // Every field is required so a missing one fails loudly instead of being dropped.
  required: Object.keys(properties),
  additionalProperties: false,
})

const clickJson = fastJson(schema(clickProps))
const trafficbackJson = fastJson(schema(trafficbackProps))
const visitJson = fastJson(schema(visitProps))
const landerClickJson = fastJson(schema(landerClickProps))

/**
 * One event as a JSON string (no trailing newline).
 * @throws Error when a required field is missing (a bug in the producer).
 */
export function serializeEvent(event: PipelineEvent): string {
  switch (event.type) {
    case 'click':
      return clickJson(event)
    case 'trafficback':
      return trafficbackJson(event)
    case 'visit':
      return visitJson(event)
    case 'lander_click':
      return landerClickJson(event)
  }
}

/** Latest timestamp accepted on replay (2200-01-01), well inside DateTime64(3)'s range. */
const MAX_TS = 7_258_118_400_000

/**
 * Checks that a parsed spool line is an event the pipeline can store: `type` is `click` or
 * `trafficback`, `visit` or `lander_click` and `ts` is epoch ms in [1970, 2200). Anything else is a corrupt line.
 */
export function isStorableEvent(v: unknown): v is PipelineEvent {
  if (typeof v !== 'object' || v === null) return false
  const e = v as { type?: unknown; ts?: unknown }
  return (
    (e.type === 'click' || e.type === 'trafficback' || e.type === 'visit' || e.type === 'lander_click') &&
    typeof e.ts === 'number' &&
    Number.isFinite(e.ts) &&
    e.ts >= 0 &&
    e.ts < MAX_TS
  )
}
