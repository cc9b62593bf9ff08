/**
 * Recent click-pipeline failures from `<db>.ingestion_errors` (all nodes), newest first.
 * Not workspace-scoped: ingestion is shared infrastructure; callers hide `sample` from
 * non-admins because it can hold another workspace's visitor data.
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { assertIdentifier } from '../migrate.ts'

/** One row of `ingestion_errors`. */
export interface IngestionErrorRow {
  /** ISO time (UTC) of the first failure of the episode. */
  ts: string
  /** `<hostname>:<pid>` of the pipeline that failed. */
  node: string
  /** `insert` | `spool_write` | `spool_read` | `serialize` | `pipeline` */
  stage: string
  error: string
  /** Events affected (the batch size for insert failures). */
  events: number
  /** Consecutive identical failures folded into this row. */
  attempts: number
  /** First event line of the batch (truncated), '' when none. */
  sample: string
}

/**
 * The `limit` (1..500) most recent ingestion errors at or after `sinceMs` (epoch ms).
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function recentIngestionErrors(
  handle: ClickHouseHandle,
  opts: { limit: number; sinceMs?: number },
): Promise<IngestionErrorRow[]> {
  const db = assertIdentifier(handle.database)
  const rs = await handle.client.query({
    query: `SELECT toUnixTimestamp64Milli(ts) AS ms, node, stage, error, events, attempts, sample
      FROM ${db}.ingestion_errors
      WHERE ts >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
      ORDER BY ts DESC LIMIT {limit:UInt32}`,
    format: 'JSONEachRow',
    query_params: {
      since: Math.trunc(opts.sinceMs ?? 0),
      limit: Math.max(1, Math.min(500, Math.trunc(opts.limit))),
    },
  })
  const rows = await rs.json<Record<string, string | number>>()
  return rows.map((r) => ({
    ts: new Date(Number(r.ms)).toISOString(),
    node: String(r.node),
    stage: String(r.stage),
    error: String(r.error),
    events: Number(r.events),
    attempts: Number(r.attempts),
    sample: String(r.sample),
  }))
}
