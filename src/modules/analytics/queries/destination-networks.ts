/**
 * Destination → affiliate network map of one workspace, derived from its conversions (each
 * conversion records the network that reported it and the click's destination). Used to
 * put clicks under a network in reports when the caller has no configured map (clicks do
 * not record a network). A destination that never converted has no network here; pass the
 * configured map (`networks` option of the reports) for exact figures.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier } from '../migrate.ts'
import type { NetworkMap } from '../report-sql.ts'

/**
 * The network that most recently reported a conversion for each destination of
 * `workspaceId` (all time).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function destinationNetworks(
  handle: ClickHouseHandle,
  workspaceId: string,
): Promise<NetworkMap> {
  const db = assertIdentifier(handle.database)
  const rs = await handle.client.query({
    query: `SELECT destination_id AS d, argMax(network_id, ts) AS n FROM ${db}.conversions
      WHERE workspace_id = {ws:String} AND destination_id != '' AND network_id != ''
      GROUP BY d ORDER BY d`,
    format: 'JSONEachRow',
    query_params: { ws: workspaceId },
  })
  const rows = await rs.json<{ d: string; n: string }>()
  return { destinationIds: rows.map((r) => r.d), networkIds: rows.map((r) => r.n) }
}
