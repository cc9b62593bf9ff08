/**
 * ClickHouse migrations runner (Umami style): numbered SQL files in `./migrations`
 * (`001_clicks.sql`, `002_trafficback.sql`, …), each made only of idempotent statements
 * (`CREATE … IF NOT EXISTS`), applied in order and recorded in `<db>.schema_migrations`.
 *
 * Why both idempotent statements and a version table: a process killed between a
 * statement and the version insert simply re-runs the file on the next start, and the
 * version table lets a later, non-idempotent change (e.g. an ALTER) run exactly once.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ClickHouseHandle } from '../../platform/clickhouse.ts'
import { type Clock, nowMs, systemClock } from '../../platform/clock.ts'
import type { Logger } from '../../platform/logger.ts'

/** Folder holding the numbered `.sql` files. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

const FILE_RE = /^(\d{3})_([a-z0-9_]+)\.sql$/
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

/** One migration file, parsed. */
export interface ClickHouseMigration {
  /** The numeric prefix, e.g. 1 for `001_clicks.sql`. */
  version: number
  /** File name, e.g. `001_clicks.sql`. */
  name: string
  /** sha256 (hex) of the file text before substitution. */
  checksum: string
  /** Statements with `{{database}}` substituted, comments removed, without trailing `;`. */
  statements: string[]
}

/**
 * Throws unless `name` is a plain ClickHouse identifier. The database name is the only
 * thing ever substituted into SQL text, so it is checked here, not escaped.
 */
export function assertIdentifier(name: string): string {
  if (!IDENT_RE.test(name)) throw new Error(`invalid ClickHouse identifier: ${JSON.stringify(name)}`)
  return name
}

/**
 * Reads and parses the migration files of `dir` in version order.
 * @throws Error on a duplicate version or a file name that does not match `NNN_name.sql`.
 */
export function loadMigrations(database: string, dir: string = MIGRATIONS_DIR): ClickHouseMigration[] {
  assertIdentifier(database)
  const out: ClickHouseMigration[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue
    const m = FILE_RE.exec(name)
    if (!m) throw new Error(`bad ClickHouse migration file name: ${name} (expected NNN_name.sql)`)
    const version = Number(m[1])
    if (out.some((x) => x.version === version))
      throw new Error(`duplicate ClickHouse migration version ${version}`)
    const text = readFileSync(`${dir}/${name}`, 'utf8')
    out.push({
      version,
      name,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text.replaceAll('{{database}}', database)),
    })
  }
  return out
}

/**
 * Splits a migration file into statements: full-line `--` comments are dropped and a `;`
 * at the end of a line ends a statement. (The ClickHouse HTTP interface runs one
 * statement per request, so a file cannot be sent as a whole.)
 */
export function splitStatements(sql: string): string[] {
  const body = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return body
    .split(/;[ \t]*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/**
 * Applies pending migrations to the analytics store. Running it again is a no-op.
 * `opts.clock` stamps `applied_at` (default the system clock).
 * @returns names of the files applied by this call (empty when up to date).
 * @throws the ClickHouse error of the first failing statement (later files are not run).
 */
export async function migrateClickHouse(
  handle: ClickHouseHandle,
  opts: { dir?: string; logger?: Pick<Logger, 'info' | 'warn'>; clock?: Clock } = {},
): Promise<string[]> {
  const clock = opts.clock ?? systemClock
  const db = assertIdentifier(handle.database)
  const { client } = handle
  const migrations = loadMigrations(db, opts.dir)
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` })
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
      ENGINE = MergeTree ORDER BY version`,
  })
  const rs = await client.query({
    query: `SELECT version, any(checksum) AS checksum FROM ${db}.schema_migrations GROUP BY version`,
    format: 'JSONEachRow',
  })
  const applied = new Map(
    (await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]),
  )
  const done: string[] = []
  for (const m of migrations) {
    const prev = applied.get(m.version)
    if (prev !== undefined) {
      // An edited, already-applied file is a mistake worth seeing but not worth refusing to start.
      if (prev !== m.checksum)
        opts.logger?.warn({ migration: m.name }, 'applied ClickHouse migration was edited since')
      continue
    }
    for (const statement of m.statements) await client.command({ query: statement })
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [
        { version: m.version, name: m.name, checksum: m.checksum, applied_at: chDateTime(nowMs(clock)) },
      ],
      format: 'JSONEachRow',
    })
    opts.logger?.info({ migration: m.name }, 'applied ClickHouse migration')
    done.push(m.name)
  }
  return done
}

/**
 * Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS.mmm` (UTC), the text form every
 * ClickHouse `date_time_input_format` parses the same way into a `DateTime64(3, 'UTC')`
 * column (a bare number is ambiguous under `best_effort`).
 */
export function chDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ')
}
