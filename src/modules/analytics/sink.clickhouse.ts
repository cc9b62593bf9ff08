/**
 * The default {@link EventSink}: event lines straight into ClickHouse. This is the insert
 * half of the pipeline's commit protocol (moved out of `pipeline.ts` unchanged), shared with
 * the event-log consumers (`eventlog/`), which insert what they read from NATS or Kafka the
 * same way: a plain insert under the range's `insert_deduplication_token`, or — for a range
 * that may already be partly stored — only the rows ClickHouse does not hold yet.
 */
import { randomBytes } from 'node:crypto'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { assertIdentifier } from './migrate.ts'
import { REPLAY_KEYS, replayKeyValues, unstoredLines } from './pipeline.replay.ts'
import { EVENT_TABLES, type EventSink, type EventTable, type TableLines } from './pipeline.types.ts'

/**
 * One buffer reused for every insert payload. A fresh `Buffer.concat` of a second's clicks
 * (~7 MB at 10,000 clicks/s) touched every page of a new allocation: ~4 ms of page faults
 * on the event loop once per flush, which showed in the redirect's p99. Safe because a sink
 * has one insert in flight at a time (its caller commits one range at a time) and the engine
 * is done with the bytes when the insert resolves.
 */
function insertBuffer(): { fill(pieces: readonly Buffer[]): Buffer } {
  let buf = Buffer.allocUnsafeSlow(0)
  return {
    fill(pieces) {
      let size = 0
      for (const p of pieces) size += p.length
      if (size > buf.length) buf = Buffer.allocUnsafeSlow(Math.max(size, Math.ceil(buf.length * 1.5)))
      let at = 0
      for (const p of pieces) at += p.copy(buf, at)
      return buf.subarray(0, size)
    },
  }
}

/**
 * A sink inserting into `<handle.database>.<table>`. `commit(token, tables, replay)` runs one
 * insert per non-empty table in the order clicks, trafficback, visits, lander_clicks, all
 * with `insert_deduplication_token = token` (deduplication is per table); with `replay` each
 * table gets only its unstored rows under `<token>:r<random>` (see `insertUnstored`).
 * Not safe for concurrent commits (one reused payload buffer): give each committer its own.
 * @throws Error when the database name is not a plain identifier.
 */
export function createClickHouseSink(handle: ClickHouseHandle): EventSink {
  const db = assertIdentifier(handle.database)
  const payload = insertBuffer()

  async function insertLines(table: EventTable, lines: readonly Buffer[], token: string): Promise<void> {
    // The spool lines are already JSONEachRow rows (the event's `type` is skipped as an
    // unknown field), so they are sent as they are, as bytes: no second serialization and
    // no SQL text to build. The token is a per-statement setting, never a session one (the
    // chDB connection would turn `clickhouse_settings` into a session-wide SET and silently
    // deduplicate every later insert of the process).
    await handle.insertJsonEachRow(`${db}.${table}`, payload.fill(lines), {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      input_format_skip_unknown_fields: 1,
    })
  }

  /**
   * Re-inserts a range that may be partly stored: only the rows ClickHouse does not hold
   * yet, under a fresh token. Re-sending with the range's own token is not enough: a kill
   * inside ClickHouse's insert, after the table's deduplication log recorded the token but
   * before the part was committed, leaves the token without its rows, and the retry would
   * be dropped as a duplicate (seen once in the kill -9 test: a batch's trafficback rows
   * were lost while its clicks survived). One query per table. Exact as long as nothing
   * else inserts the same keys meanwhile (the pipeline holds its spool's lock; for the
   * event-log consumers see README "Event log").
   */
  async function insertUnstored(table: EventTable, lines: readonly Buffer[], token: string): Promise<void> {
    const rs = await handle.client.query({
      query: `SELECT ${REPLAY_KEYS[table].expr} AS k, count() AS n FROM ${db}.${table}
              WHERE ${REPLAY_KEYS[table].column} IN {ids:Array(String)} GROUP BY k`,
      query_params: { ids: replayKeyValues(table, lines) },
      format: 'JSONEachRow',
    })
    const stored = new Map<string, number>()
    for (const r of await rs.json<{ k: string; n: string | number }>()) stored.set(r.k, Number(r.n))
    const missing = unstoredLines(table, lines, stored)
    if (missing.length > 0) await insertLines(table, missing, `${token}:r${randomBytes(6).toString('hex')}`)
  }

  return {
    kind: 'clickhouse',
    async commit(token: string, tables: TableLines, replay: boolean): Promise<void> {
      for (const table of EVENT_TABLES) {
        const lines = tables[table]
        if (!lines || lines.length === 0) continue
        if (replay) await insertUnstored(table, lines, token)
        else await insertLines(table, lines, token)
      }
    },
    async close() {
      // The handle belongs to the caller.
    },
  }
}
