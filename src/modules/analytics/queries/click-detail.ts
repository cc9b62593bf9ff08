/**
 * One click of the click log with every stored column (user agent, referrer, destination
 * URL and user key included), looked up by ID within a time window around the time the
 * caller derived from the ID, so the scan stays within a few hours of one workspace.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'
import { type ClickLogRow, clickRowOf } from './click-search.ts'

/** Half-width of the window searched around the click ID's time. */
export const CLICK_LOOKUP_SLACK_MS = 3_600_000

/**
 * The click `clickId` of `workspaceId` stored within ±{@link CLICK_LOOKUP_SLACK_MS} of
 * `aroundMs` (the time encoded in the click ID), or null (unknown, or another workspace's).
 * @returns every column of `clicks` (`ts` as `tsMs`, see {@link ClickLogRow}).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function clickDetail(
  handle: ClickHouseHandle,
  workspaceId: string,
  clickId: string,
  aroundMs: number,
): Promise<ClickLogRow | null> {
  const db = assertIdentifier(handle.database)
  const rs = await handle.client.query({
    query: `SELECT * EXCEPT (workspace_id) FROM ${db}.clicks
      WHERE workspace_id = {ws:String} AND click_id = {id:String}
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
      ORDER BY ts ASC LIMIT 1`,
    format: 'JSONEachRow',
    query_params: {
      ws: workspaceId,
      id: clickId,
      from: chDateTime(aroundMs - CLICK_LOOKUP_SLACK_MS),
      to: chDateTime(aroundMs + CLICK_LOOKUP_SLACK_MS),
    },
  })
  const [row] = await rs.json<Record<string, unknown>>()
  return row ? clickRowOf(row) : null
}
