/**
 * Finding the click a postback names: the click pipeline's recent clicks (this process's
 * clicks it still holds as spooled bytes), then ClickHouse's `clicks` table.
 *
 * Why both: the click pipeline flushes to ClickHouse every `PIPELINE_FLUSH_MS`, and a
 * network may fire its postback within a second of the click (instant lead forms), so a
 * postback on the node that served the click finds it in memory; any other node (or a
 * postback after a restart) finds it in ClickHouse. A click on neither answers
 * `unknown_click` (404), and the network's retry a few seconds later matches.
 */
import type { ClickEvent, LanderClickEvent } from '../analytics/index.ts'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { clickIdTime } from '../routing/index.ts'

/** The click attributes a conversion copies. `ts` epoch ms; `cost_micros` micros of `currency`. */
export interface ClickInfo {
  click_id: string
  ts: number
  workspace_id: string
  campaign_id: string
  stream_id: string
  /**
   * The offer the visitor was sent to. For a click that went through a lander (`lander_id`
   * set) this is the offer its lander's call to action led to (see {@link withLanderOffer}),
   * "" while no CTA click is known.
   */
  destination_id: string
  source_id: string
  /** The lander the visitor saw first; "" = straight to the offer. */
  lander_id: string
  country: string
  device: string
  os: string
  os_version: string
  browser: string
  cost_micros: number
  currency: string
  external_id: string
  sub1: string
  sub2: string
  sub3: string
  sub4: string
  sub5: string
  sub6: string
  sub7: string
  sub8: string
  sub9: string
  sub10: string
}

/**
 * Clicks this process served that ClickHouse may not hold yet, looked up before
 * ClickHouse (synchronous; undefined when not held).
 */
export interface RecentClicks {
  find(clickId: string): ClickInfo | undefined
  /** The first lander CTA click of `clickId` held here (a click that went through a lander). */
  findLanderClick?(clickId: string): LanderOffer | undefined
  /**
   * Clicks other processes served, shared through a cache (click.shared-cache.ts), asked after
   * `find` and before ClickHouse; undefined = not held. Never rejects.
   */
  lookup?(clickId: string): Promise<ClickInfo | undefined>
  /** The shared cache's first lander CTA click of `clickId`. Never rejects. */
  lookupLanderClick?(clickId: string): Promise<LanderOffer | undefined>
}

/** Where a lander's call to action sent a click: its first `lander_clicks` row. */
export interface LanderOffer {
  stream_id: string
  destination_id: string
}

/** What {@link recentClicksOf} needs of the click pipeline (analytics `Pipeline.findRecentClick`). */
export interface RecentClickSource {
  findRecentClick(clickId: string, clickMs: number): ClickEvent | undefined
  /** Analytics `Pipeline.findRecentLanderClick`; absent = none held. */
  findRecentLanderClick?(clickId: string, clickMs: number): LanderClickEvent | undefined
}

/** The conversion's view of a spooled click event. */
export function infoOf(e: ClickEvent): ClickInfo {
  return {
    click_id: e.click_id,
    ts: e.ts,
    workspace_id: e.workspace_id,
    campaign_id: e.campaign_id,
    stream_id: e.stream_id,
    destination_id: e.destination_id,
    source_id: e.source_id,
    // Spool lines written before these fields existed lack them.
    lander_id: e.lander_id ?? '',
    country: e.country,
    device: e.device,
    os: e.os,
    os_version: e.os_version ?? '',
    browser: e.browser,
    cost_micros: e.cost_micros,
    currency: e.currency,
    external_id: e.external_id,
    sub1: e.sub1,
    sub2: e.sub2,
    sub3: e.sub3,
    sub4: e.sub4,
    sub5: e.sub5,
    sub6: e.sub6,
    sub7: e.sub7,
    sub8: e.sub8,
    sub9: e.sub9,
    sub10: e.sub10,
  }
}

/**
 * The recent clicks of this process as the click pipeline holds them: queued for
 * ClickHouse, being inserted, or among the last `PIPELINE_RECENT_MB` of inserted click
 * lines. A postback for such a click needs no ClickHouse query (a chDB lookup costs ~10 ms);
 * older clicks are found in ClickHouse. The pipeline keeps spooled bytes, one entry per
 * group commit, not a click object each: a map of 100,000 click objects fed by the redirect
 * path cost ~5% of its CPU and, promoted to V8's old generation, lengthened its major-GC
 * pauses.
 */
export function recentClicksOf(pipeline: RecentClickSource): RecentClicks {
  return {
    find(clickId) {
      const ms = clickIdTime(clickId)
      if (ms === undefined) return undefined
      const e = pipeline.findRecentClick(clickId, ms)
      return e ? infoOf(e) : undefined
    },
    findLanderClick(clickId) {
      const ms = clickIdTime(clickId)
      if (ms === undefined || !pipeline.findRecentLanderClick) return undefined
      const e = pipeline.findRecentLanderClick(clickId, ms)
      return e ? { stream_id: e.stream_id, destination_id: e.destination_id } : undefined
    },
  }
}

/** Nothing held: the default of a service with no click pipeline in its process. */
export const NO_RECENT_CLICKS: RecentClicks = { find: () => undefined }

/** How far from the time embedded in the click ID the ClickHouse lookup searches (ms). */
export const CLICK_LOOKUP_WINDOW_MS = 24 * 3600_000

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/
const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ')

/**
 * Looks a click up in ClickHouse (`<db>.clicks`), within `workspaceId` only.
 * The click ID embeds the click's time (see routing core `clickIdTime`), so the query is
 * limited to ±{@link CLICK_LOOKUP_WINDOW_MS} around it: the sort key (workspace, hour, …)
 * and the partition (month) prune to a few granules, and the bloom-filter index on
 * `click_id` does the rest. A well-formed but random ID therefore costs a small read, not a
 * scan of the workspace.
 * @returns undefined when `clickId` is not a click ID or no such click exists.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function findClickInClickHouse(
  handle: ClickHouseHandle,
  workspaceId: string,
  clickId: string,
): Promise<ClickInfo | undefined> {
  const t = clickIdTime(clickId)
  if (t === undefined) return undefined
  if (!IDENT.test(handle.database)) throw new Error(`invalid ClickHouse database name ${handle.database}`)
  const rs = await handle.client.query({
    query: `SELECT click_id, toUnixTimestamp64Milli(ts) AS ts_ms, workspace_id, campaign_id, stream_id,
        destination_id, source_id, lander_id, country, device, os, os_version, browser, cost_micros, currency, external_id,
        sub1, sub2, sub3, sub4, sub5, sub6, sub7, sub8, sub9, sub10
      FROM ${handle.database}.clicks
      WHERE workspace_id = {ws:String} AND click_id = {id:String}
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
      ORDER BY ts
      LIMIT 1`,
    format: 'JSONEachRow',
    query_params: {
      ws: workspaceId,
      id: clickId,
      from: chTime(Math.max(0, t - CLICK_LOOKUP_WINDOW_MS)),
      to: chTime(t + CLICK_LOOKUP_WINDOW_MS),
    },
  })
  const [row] = await rs.json<Record<keyof ClickInfo | 'ts_ms', string | number>>()
  if (!row) return undefined
  // Not aliased as `ts`: ClickHouse resolves WHERE names to SELECT aliases first, so the
  // range filter would compare the millisecond number instead of the column.
  const { ts_ms, ...rest } = row
  return { ...(rest as unknown as ClickInfo), ts: Number(ts_ms), cost_micros: Number(row.cost_micros) }
}

/**
 * The first lander CTA click of `clickId` in ClickHouse (`<db>.lander_clicks`, within
 * `workspaceId`, from the click's time `clickMs` to 24 h after it: a lander session lives
 * no longer), or undefined when the visitor never clicked through.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function findLanderClickInClickHouse(
  handle: ClickHouseHandle,
  workspaceId: string,
  clickId: string,
  clickMs: number,
): Promise<LanderOffer | undefined> {
  if (!IDENT.test(handle.database)) throw new Error(`invalid ClickHouse database name ${handle.database}`)
  const rs = await handle.client.query({
    query: `SELECT stream_id, destination_id FROM ${handle.database}.lander_clicks
      WHERE workspace_id = {ws:String} AND click_id = {id:String}
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
      ORDER BY ts
      LIMIT 1`,
    format: 'JSONEachRow',
    query_params: {
      ws: workspaceId,
      id: clickId,
      from: chTime(Math.max(0, clickMs - 60_000)),
      to: chTime(clickMs + CLICK_LOOKUP_WINDOW_MS),
    },
  })
  const [row] = await rs.json<LanderOffer>()
  return row ? { stream_id: String(row.stream_id), destination_id: String(row.destination_id) } : undefined
}

/**
 * A click that went through a lander (`lander_id` set, `destination_id` "") credited to the
 * offer its lander's call to action led to: the first lander click held in memory
 * (`recent.findLanderClick`), else in the shared cache (`recent.lookupLanderClick`), else the
 * first in ClickHouse. Any other click, or one whose
 * visitor never clicked through, is returned as it is.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function withLanderOffer(
  click: ClickInfo,
  recent: RecentClicks,
  handle: ClickHouseHandle,
): Promise<ClickInfo> {
  if (click.lander_id === '' || click.destination_id !== '') return click
  const offer =
    recent.findLanderClick?.(click.click_id) ??
    (await recent.lookupLanderClick?.(click.click_id)) ??
    (await findLanderClickInClickHouse(handle, click.workspace_id, click.click_id, click.ts))
  if (!offer || offer.destination_id === '') return click
  return { ...click, destination_id: offer.destination_id, stream_id: offer.stream_id || click.stream_id }
}
