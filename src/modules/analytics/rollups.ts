/**
 * Maintenance of the click rollups of migration 005 (`clicks_route_15m`, `clicks_geo_15m`).
 *
 * The materialized views fill the rollups from every insert into `clicks` made after the
 * migration ran. Clicks stored before are only in the raw table, so migration 005 sets
 * the watermark `rollup_state.since` (name `clicks`) past them and reports read the raw
 * table before it. {@link backfillClickRollups} copies the older clicks into the rollups
 * and moves the watermark to 0, after which every report range can use the rollups.
 */
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from './migrate.ts'
import { CLICK_ROLLUPS } from './report-sql.ts'

/** Key columns of each rollup (after workspace_id and bucket), as in 005_click_rollups.sql. */
const ROLLUP_KEYS: Record<(typeof CLICK_ROLLUPS)[number]['table'], string[]> = {
  clicks_route_15m: ['campaign_id', 'stream_id', 'destination_id', 'source_id'],
  clicks_geo_15m: ['campaign_id', 'source_id', 'country', 'device'],
}

/** The current rollup watermark (epoch ms; 0 = the rollups hold every click). */
export async function clickRollupWatermark(handle: ClickHouseHandle): Promise<number> {
  const db = assertIdentifier(handle.database)
  const rs = await handle.client.query({
    query: `SELECT toUnixTimestamp64Milli(argMax(since, set_at)) AS ms FROM ${db}.rollup_state WHERE name = 'clicks'`,
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ ms: string | number }>()
  return Number(row?.ms ?? 0)
}

/**
 * Backfills the click rollups with the clicks before the watermark, then sets the
 * watermark to 0. For each rollup: delete its rows before the watermark (clicks that
 * arrived late through the views), insert the raw clicks before the watermark, summed,
 * with the cost-update deltas of those clicks (`cost_adjustments`, migration 008).
 *
 * Run it once after upgrading a store that had clicks (e.g. `traffoflex` CLI or a script);
 * it is a no-op when the watermark is already 0. A click stamped before the watermark
 * that is inserted while this runs (a spool replay after a crash) may be counted twice in
 * the rollups; run it when the pipelines have no backlog. Re-running after a failure is
 * safe: the delete-then-insert is redone from the raw table.
 * @returns the watermark it replaced (epoch ms), 0 when nothing was done.
 */
export async function backfillClickRollups(handle: ClickHouseHandle): Promise<number> {
  const db = assertIdentifier(handle.database)
  const since = await clickRollupWatermark(handle)
  if (since === 0) return 0
  const w = chDateTime(since)
  for (const { table } of CLICK_ROLLUPS) {
    const keys = ROLLUP_KEYS[table].join(', ')
    await handle.client.command({
      query: `ALTER TABLE ${db}.${table} DELETE WHERE bucket < {w:DateTime64(3, 'UTC')} SETTINGS mutations_sync = 2`,
      query_params: { w },
    })
    // insert_deduplicate = 0: the rollups keep a deduplication window (for the views'
    // retried blocks); a re-run of this backfill must not be dropped as a repeat of the first.
    await handle.client.command({
      query: `INSERT INTO ${db}.${table} SETTINGS insert_deduplicate = 0
        SELECT workspace_id, bucket, ${keys}, sum(c) AS clicks, sum(u) AS unique_clicks, sum(bt) AS bots,
          sum(cost) AS cost_micros
        FROM (
          SELECT workspace_id, toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket, ${keys},
            toUInt64(1) AS c, toUInt64(is_unique) AS u, toUInt64(is_bot) AS bt, cost_micros AS cost
          FROM ${db}.clicks WHERE ts < {w:DateTime64(3, 'UTC')}
          UNION ALL
          SELECT workspace_id, toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket, ${keys},
            toUInt64(0), toUInt64(0), toUInt64(0), delta_micros
          FROM ${db}.cost_adjustments WHERE ts < {w:DateTime64(3, 'UTC')}
        )
        GROUP BY workspace_id, bucket, ${keys}`,
      query_params: { w },
    })
  }
  await handle.client.command({
    query: `INSERT INTO ${db}.rollup_state (name, since, set_at) VALUES ('clicks', toDateTime64(0, 3, 'UTC'), now64(3, 'UTC'))`,
  })
  return since
}
