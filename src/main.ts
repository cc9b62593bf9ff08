/**
 * CLI: `serve` (default) runs the platform; `migrate` applies the PostgreSQL/PGlite and
 * ClickHouse migrations and exits; `backfill-rollups` fills the report rollups from clicks
 * stored before they existed (run once after upgrading a store that already has clicks).
 */
import { loadConfig } from './config.ts'
import { backfillClickRollups, migrateClickHouse } from './modules/analytics/index.ts'
import { openClickHouseFromConfig } from './platform/clickhouse.ts'
import { openDb } from './platform/db/client.ts'
import { createLogger } from './platform/logger.ts'
import { startServer } from './server.ts'

async function serve() {
  const config = loadConfig()
  const logger = createLogger(config.LOG_LEVEL)
  const server = await startServer(config, { logger })
  const base = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${server.port}`
  const lines = ['', `  traffoflex is running — admin: ${base}/   API docs: ${base}/api/docs`]
  if (server.firstRun.adminCreated) {
    lines.push(`  first admin: ${server.firstRun.adminEmail}`)
    if (server.firstRun.generatedPassword) {
      lines.push(`  generated password (shown once, store it now): ${server.firstRun.generatedPassword}`)
    }
  }
  if (server.firstRun.sampleAlias) {
    lines.push(
      `  sample campaign link: ${base}/c/${server.firstRun.sampleAlias}?sub1=hello&utm_source=readme`,
    )
  }
  lines.push('')
  // Printed, not logged: a person reads this once at first start.
  process.stdout.write(`${lines.join('\n')}\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

async function migrate() {
  const config = loadConfig()
  const logger = createLogger(config.LOG_LEVEL)
  const db = await openDb({ databaseUrl: config.DATABASE_URL, pgDir: config.pgDir })
  await db.migrate()
  await db.close()
  const ch = await openClickHouseFromConfig(config)
  const applied = await migrateClickHouse(ch, { logger })
  await ch.close()
  logger.info({ clickhouse: applied }, 'migrations applied')
}

async function backfillRollups() {
  const config = loadConfig()
  const logger = createLogger(config.LOG_LEVEL)
  const ch = await openClickHouseFromConfig(config)
  await migrateClickHouse(ch, { logger })
  const replaced = await backfillClickRollups(ch)
  await ch.close()
  logger.info(
    { previousWatermark: replaced ? new Date(replaced).toISOString() : null },
    'click rollups backfilled',
  )
}

const commands: Record<string, () => Promise<void>> = { serve, migrate, 'backfill-rollups': backfillRollups }
const name = process.argv[2] ?? 'serve'
const command = commands[name]
if (!command) {
  process.stderr.write(`unknown command "${name}"; use one of: ${Object.keys(commands).join(', ')}\n`)
  process.exit(2)
}
command().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
