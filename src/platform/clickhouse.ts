/**
 * Analytics store client: `@clickhouse/client` over embedded chDB (DATA_DIR/ch) by default,
 * or a ClickHouse server when CLICKHOUSE_URL is set. Callers write plain ClickHouse SQL and
 * qualify tables with the configured database.
 */
import { mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import type { AppConfig } from '../config.ts'

export type { ClickHouseClient }

export interface ClickHouseHandle {
  client: ClickHouseClient
  kind: 'chdb' | 'server'
  /** Database holding traffoflex tables. */
  database: string
  close(): Promise<void>
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
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    })
    return { client, kind: 'server', database: opts.database, close: () => client.close() }
  }
  mkdirSync(opts.chDir, { recursive: true })
  // chdb is imported lazily so a server deployment never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection')
  const client = createClient({ connection: createChdbConnection({ path: opts.chDir }) } as never)
  return { client, kind: 'chdb', database: opts.database, close: () => client.close() }
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
