/**
 * Analytics store client: `@clickhouse/client` over embedded chDB (DATA_DIR/ch) by default,
 * or a ClickHouse server when CLICKHOUSE_URL is set. Callers write plain ClickHouse SQL and
 * qualify tables with the configured database.
 */
import { mkdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../config.ts'
import { AppError } from './errors.ts'

export type { ClickHouseClient }

export interface ClickHouseHandle {
  client: ClickHouseClient
  kind: 'chdb' | 'server'
  /** Database holding traffoflex tables. */
  database: string
  /**
   * Inserts newline-terminated JSONEachRow rows into `table` (qualified, e.g. `db.clicks`)
   * with per-statement `settings`. The payload is handed over as bytes: on chDB it goes to
   * the engine without being turned into SQL text on the JS thread (a 1 MB INSERT as text
   * blocked the event loop for ~10 ms); on a server it is the request body.
   * @throws the ClickHouse error when the insert fails.
   */
  insertJsonEachRow(table: string, rows: Buffer, settings: Record<string, string | number>): Promise<void>
  close(): Promise<void>
}

/** Settings of every insert into embedded chDB (see insertJsonEachRow). */
const EMBEDDED_INSERT_SETTINGS = { input_format_parallel_parsing: 0, max_insert_threads: 1, max_threads: 1 }

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/
const SETTING_VALUE = /^[A-Za-z0-9_:.-]*$/

function settingsClause(settings: Record<string, string | number>): string {
  const parts = Object.entries(settings).map(([k, v]) => {
    if (!IDENT.test(k) || !SETTING_VALUE.test(String(v))) throw new Error(`invalid ClickHouse setting ${k}`)
    return typeof v === 'number' ? `${k} = ${v}` : `${k} = '${v}'`
  })
  return parts.length ? ` SETTINGS ${parts.join(', ')}` : ''
}

/**
 * Opens the analytics store.
 * @param opts.url ClickHouse server URL; when absent chDB is opened at `opts.chDir`
 *   (chDB binds one data directory per process).
 */
export async function openClickHouse(opts: {
  url?: string | undefined
  chDir: string
  database: string
  username?: string
  password?: string
}): Promise<ClickHouseHandle> {
  if (opts.url) {
    const client = createClient({
      url: opts.url,
      username: opts.username ?? 'default',
      password: opts.password ?? '',
      // Per request (URL parameters), not a session: the same behaviour on every server
      // version as on the embedded chDB (see src/modules/analytics/PRODUCTION.md):
      // - async_insert 0: our batches are already large; a 26.2+ server would otherwise
      //   buffer them server-side (default 1 since 26.2) for no gain;
      // - deduplicate_blocks_in_dependent_materialized_views 1: a retried batch is dropped
      //   by the click rollups too, not only by `clicks` (default 0 before 26.2).
      clickhouse_settings: {
        date_time_input_format: 'best_effort',
        async_insert: 0,
        deduplicate_blocks_in_dependent_materialized_views: 1,
      },
    })
    return {
      client,
      kind: 'server',
      database: opts.database,
      async insertJsonEachRow(table, rows, settings) {
        if (!IDENT.test(table)) throw new Error(`invalid table ${table}`)
        const res = await client.exec({
          query: `INSERT INTO ${table}${settingsClause(settings)} FORMAT JSONEachRow`,
          values: Readable.from([rows]),
        })
        // The answer body is empty; drain it so the socket goes back to the pool.
        for await (const _ of res.stream) {
        }
      },
      close: () => client.close(),
    }
  }
  mkdirSync(opts.chDir, { recursive: true })
  // chdb is imported lazily so a server deployment never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection')
  const connection = createChdbConnection({ path: opts.chDir })
  const client = createClient({ connection } as never)
  return {
    client,
    kind: 'chdb',
    database: opts.database,
    async insertJsonEachRow(table, rows, settings) {
      // chDB's raw insert validates the table and settings itself and runs off the JS thread.
      // One parsing thread: a batch of a second's clicks needs no more, and parallel parsing
      // took both cores at once, stalling the redirects for the length of the insert.
      await connection.chdb.rawInsert({
        table,
        settings: { ...EMBEDDED_INSERT_SETTINGS, ...settings },
        values: rows,
        format: 'JSONEachRow',
      })
    },
    close: () => client.close(),
  }
}

/** Opens the analytics store the configuration names (CLICKHOUSE_URL, or chDB under DATA_DIR/ch). */
export function openClickHouseFromConfig(config: AppConfig): Promise<ClickHouseHandle> {
  return openClickHouse({
    url: config.CLICKHOUSE_URL,
    chDir: config.chDir,
    database: config.CLICKHOUSE_DATABASE,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
  })
}

/**
 * The analytics store of a process that has none (`--role=api` without CLICKHOUSE_URL, see
 * src/roles.ts): every query, insert and command rejects with
 * `AppError(503, 'clickhouse_unavailable', why)`, which the API answers as
 * `{error:{code:'clickhouse_unavailable',…}}`; `ping()` reports failure; `close()` does nothing.
 * Not a test double: it is how such a process runs, so ClickHouse-backed endpoints say why
 * they cannot answer instead of the process refusing to start.
 */
export function absentClickHouse(database: string, why: string): ClickHouseHandle {
  const fail = async (): Promise<never> => {
    throw new AppError(503, 'clickhouse_unavailable', why)
  }
  const client = {
    query: fail,
    insert: fail,
    command: fail,
    exec: fail,
    ping: async () => ({ success: false as const, error: new AppError(503, 'clickhouse_unavailable', why) }),
    close: async () => {},
  } as unknown as ClickHouseClient
  return { client, kind: 'server', database, insertJsonEachRow: fail, close: async () => {} }
}
