/**
 * The lander clicks (calls to action on a lander) of one click, from the `lander_clicks`
 * table of migration `007_landers.sql`. Until that migration exists the table is absent and
 * the answer is null ("not recorded by this version"), never an error.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'

/** How long after its click a lander click is looked for. */
export const LANDER_CLICK_WINDOW_MS = 30 * 86_400_000
/** Most lander clicks returned for one click. */
export const LANDER_CLICKS_LIMIT = 100

/** One lander click: `ts` as epoch ms, every other column as stored (strings, flags as numbers). */
export interface LanderClickRow {
  tsMs: number
  [column: string]: string | number
}

/**
 * Lander clicks of `clickId` in `workspaceId`, oldest first, from one hour before
 * `clickMs` to {@link LANDER_CLICK_WINDOW_MS} after it (at most {@link LANDER_CLICKS_LIMIT}).
 * @returns null when the store has no `lander_clicks` table.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function landerClicksOf(
  handle: ClickHouseHandle,
  workspaceId: string,
  clickId: string,
  clickMs: number,
): Promise<LanderClickRow[] | null> {
  const db = assertIdentifier(handle.database)
  const exists = await handle.client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}',
    format: 'JSONEachRow',
    query_params: { db, t: 'lander_clicks' },
  })
  const [e] = await exists.json<{ n: string | number }>()
  if (Number(e?.n ?? 0) === 0) return null
  const rs = await handle.client.query({
    query: `SELECT * EXCEPT (workspace_id) FROM ${db}.lander_clicks
      WHERE workspace_id = {ws:String} AND click_id = {id:String}
        AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
      ORDER BY ts ASC LIMIT {limit:UInt32}`,
    format: 'JSONEachRow',
    query_params: {
      ws: workspaceId,
      id: clickId,
      from: chDateTime(clickMs - 3_600_000),
      to: chDateTime(clickMs + LANDER_CLICK_WINDOW_MS),
      limit: LANDER_CLICKS_LIMIT,
    },
  })
  const rows = await rs.json<Record<string, unknown>>()
  return rows.map((r) => {
    const out: LanderClickRow = { tsMs: Date.parse(`${String(r.ts).replace(' ', 'T')}Z`) }
    for (const [k, v] of Object.entries(r)) {
      if (k !== 'ts') out[k] = typeof v === 'number' ? v : String(v ?? '')
    }
    return out
  })
}
