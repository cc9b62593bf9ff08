/**
 * The live feed's backfill: `GET /api/v1/live/recent?minutes=10&limit=50`, the workspace's
 * latest clicks, trafficback requests and conversion changes of the last minutes, newest
 * first, in the shapes the live stream sends (`event: click` / `trafficback` /
 * `conversion`). The dashboard reads it when it opens, so a reload does not empty the feed,
 * then keeps the stream's events on top (one item per `liveKey`, see
 * web/src/hooks/api/live.ts).
 *
 * Read from ClickHouse (`clicks`, `trafficback`, `conversions`): clicks the pipeline has not
 * inserted yet (its flush period, `PIPELINE_FLUSH_MS`) come through the stream instead.
 */
import { z } from 'zod'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import type { LiveClick, LiveTrafficback } from './live.types.ts'
import { assertIdentifier, chDateTime } from './migrate.ts'

/** A conversion change as the stream sends it (`LiveConversion` of the conversions module). */
export interface RecentConversion {
  type: 'conversion'
  conversion_id: string
  click_id: string
  campaign_id: string
  network_id: string
  status: string
  /** '' when the change created the conversion. */
  previous_status: string
  /** Payout on record after the change, micros. */
  payout_micros: number
  /** Revenue the change added (negative for a rejected sale), micros. */
  revenue_delta_micros: number
  currency: string
  /** Time of the change, ISO 8601 UTC. */
  ts: string
}

/** One backfilled item. */
export type RecentLiveItem = LiveClick | LiveTrafficback | RecentConversion

/** Longest look-back, minutes. */
export const RECENT_MAX_MINUTES = 60
/** Most items in one answer. */
export const RECENT_MAX_LIMIT = 200

/** Query of `GET /live/recent` (strict: unknown parameters are refused). */
export const recentQuery = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(RECENT_MAX_MINUTES).default(10),
  limit: z.coerce.number().int().min(1).max(RECENT_MAX_LIMIT).default(50),
})

const clickOut = z.object({
  type: z.literal('click'),
  click_id: z.string(),
  ts: z.string(),
  campaign_id: z.string(),
  stream_id: z.string(),
  destination_id: z.string(),
  source_id: z.string(),
  country: z.string(),
  device: z.string(),
  os: z.string(),
  browser: z.string(),
  is_bot: z.boolean(),
  is_unique: z.boolean(),
  cost: z.number().describe('currency units'),
  currency: z.string(),
  sub1: z.string(),
})
const trafficbackOut = z.object({
  type: z.literal('trafficback'),
  click_id: z.string(),
  ts: z.string(),
  campaign_id: z.string(),
  reason: z.string(),
  target_type: z.string(),
  country: z.string(),
  device: z.string(),
  is_bot: z.boolean(),
})
const conversionOut = z.object({
  type: z.literal('conversion'),
  conversion_id: z.string(),
  click_id: z.string(),
  campaign_id: z.string(),
  network_id: z.string(),
  status: z.string(),
  previous_status: z.string(),
  payout_micros: z.number(),
  revenue_delta_micros: z.number(),
  currency: z.string(),
  ts: z.string(),
})

/** Answer of `GET /live/recent`. */
export const recentOut = z.object({
  items: z.array(z.discriminatedUnion('type', [clickOut, trafficbackOut, conversionOut])),
})

type Row = Record<string, string | number>

/**
 * The workspace's items with `ts` in `[nowMs - minutes, nowMs]`, newest first (ties by
 * kind then ID, so the order is stable), at most `limit`. The caller reads the time.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function recentLiveItems(
  handle: ClickHouseHandle,
  workspaceId: string,
  opts: { nowMs: number; minutes: number; limit: number },
): Promise<RecentLiveItem[]> {
  const db = assertIdentifier(handle.database)
  const params = {
    ws: workspaceId,
    from: chDateTime(opts.nowMs - opts.minutes * 60_000),
    to: chDateTime(opts.nowMs),
    limit: opts.limit,
  }
  const where = `workspace_id = {ws:String} AND ts >= {from:DateTime64(3, 'UTC')} AND ts <= {to:DateTime64(3, 'UTC')}`
  const read = async (query: string): Promise<Row[]> => {
    const rs = await handle.client.query({ query, format: 'JSONEachRow', query_params: params })
    return rs.json<Row>()
  }
  const [clicks, trafficback, conversions] = await Promise.all([
    read(`SELECT click_id, toUnixTimestamp64Milli(ts) AS ms, campaign_id, stream_id, destination_id,
        source_id, country, device, os, browser, is_bot, is_unique, cost_micros, currency, sub1
      FROM ${db}.clicks WHERE ${where} ORDER BY ts DESC LIMIT 1 BY click_id LIMIT {limit:UInt32}`),
    read(`SELECT click_id, toUnixTimestamp64Milli(ts) AS ms, campaign_id, reason, target_type, country,
        device, is_bot
      FROM ${db}.trafficback WHERE ${where} ORDER BY ts DESC LIMIT 1 BY click_id LIMIT {limit:UInt32}`),
    read(`SELECT conversion_id, seq, click_id, toUnixTimestamp64Milli(ts) AS ms, campaign_id, network_id,
        status, previous_status, payout_micros, revenue_delta_micros, currency
      FROM ${db}.conversions WHERE ${where}
      ORDER BY ts DESC LIMIT 1 BY conversion_id, seq LIMIT {limit:UInt32}`),
  ])
  const items: { ms: number; key: string; item: RecentLiveItem }[] = []
  const iso = (ms: number) => new Date(ms).toISOString()
  for (const r of clicks) {
    const ms = Number(r.ms)
    items.push({
      ms,
      key: `a${r.click_id}`,
      item: {
        type: 'click',
        click_id: String(r.click_id),
        ts: iso(ms),
        campaign_id: String(r.campaign_id),
        stream_id: String(r.stream_id),
        destination_id: String(r.destination_id),
        source_id: String(r.source_id),
        country: String(r.country),
        device: String(r.device),
        os: String(r.os),
        browser: String(r.browser),
        is_bot: Number(r.is_bot) === 1,
        is_unique: Number(r.is_unique) === 1,
        cost: Number(r.cost_micros) / 1_000_000,
        currency: String(r.currency),
        sub1: String(r.sub1),
      },
    })
  }
  for (const r of trafficback) {
    const ms = Number(r.ms)
    items.push({
      ms,
      key: `b${r.click_id}`,
      item: {
        type: 'trafficback',
        click_id: String(r.click_id),
        ts: iso(ms),
        campaign_id: String(r.campaign_id),
        reason: String(r.reason),
        target_type: String(r.target_type),
        country: String(r.country),
        device: String(r.device),
        is_bot: Number(r.is_bot) === 1,
      },
    })
  }
  for (const r of conversions) {
    const ms = Number(r.ms)
    items.push({
      ms,
      key: `c${r.conversion_id}:${String(r.seq).padStart(10, '0')}`,
      item: {
        type: 'conversion',
        conversion_id: String(r.conversion_id),
        click_id: String(r.click_id),
        campaign_id: String(r.campaign_id),
        network_id: String(r.network_id),
        status: String(r.status),
        previous_status: String(r.previous_status),
        payout_micros: Number(r.payout_micros),
        revenue_delta_micros: Number(r.revenue_delta_micros),
        currency: String(r.currency),
        ts: iso(ms),
      },
    })
  }
  items.sort((a, b) => b.ms - a.ms || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
  return items.slice(0, opts.limit).map((i) => i.item)
}
