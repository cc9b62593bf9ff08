/**
 * CLI: `serve [--role=all|traffic|api|worker]` (default) runs the platform (roles: src/roles.ts); `migrate` applies the PostgreSQL/PGlite and
 * ClickHouse migrations and exits; `backfill-rollups` fills the report rollups from clicks
 * stored before they existed (run once after upgrading a store that already has clicks).
 */
import { readFileSync } from 'node:fs'
import { ZodError } from 'zod'
import { loadConfig } from './config.ts'
import { replay } from './modules/autopilot/index.ts'
import { backfillClickRollups, migrateClickHouse } from './modules/analytics/index.ts'
import { openClickHouseFromConfig } from './platform/clickhouse.ts'
import { openDb } from './platform/db/client.ts'
import { setHeapGrowingPercent } from './platform/gc.ts'
import { createLogger, type Logger } from './platform/logger.ts'
import { startThreadPriority } from './platform/thread-priority.ts'
import { roleFromArgs } from './roles.ts'
import { startServer } from './server.ts'

/** Process-wide tuning of a process that answers redirects: GC spacing, helper threads' priority. */
function tuneServingProcess(config: ReturnType<typeof loadConfig>, logger: Logger): void {
  setHeapGrowingPercent(config.GC_HEAP_GROWING_PERCENT)
  startThreadPriority({
    mode: config.THREAD_PRIORITY,
    onFallback: (reason) =>
      logger.warn({ reason }, 'THREAD_PRIORITY=idle: using nice 19 instead of SCHED_IDLE'),
  })
}

async function serve() {
  const config = loadConfig()
  // `serve --role=traffic|api|worker|all` overrides ROLE (src/roles.ts).
  const role = roleFromArgs(process.argv.slice(3)) ?? config.ROLE
  const logger = createLogger(config.LOG_LEVEL).child({ role })
  tuneServingProcess(config, logger)
  const server = await startServer(config, { logger, role })
  const base = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${server.port}`
  const lines =
    role === 'all' || role === 'api'
      ? ['', `  traffoflex is running — admin: ${base}/   API docs: ${base}/api/docs`]
      : ['', `  traffoflex ${role} node is running on ${base} (/readyz, /metrics)`]
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

/** `demo`: the platform with a fast-clock TrafficStars simulator (see src/demo.ts). */
async function demo() {
  const config = loadConfig()
  const logger = createLogger(config.LOG_LEVEL)
  tuneServingProcess(config, logger)
  const { startDemo } = await import('./demo.ts')
  const d = await startDemo(config, { logger, minuteMs: config.DEMO_MINUTE_MS })
  const base = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${d.server.port}`
  process.stdout.write(
    `\n  traffoflex demo — admin: ${base}/   autopilot: ${base}/autopilot\n` +
      (d.server.firstRun.generatedPassword
        ? `  first admin: ${d.server.firstRun.adminEmail}  password (shown once): ${d.server.firstRun.generatedPassword}\n`
        : '') +
      `  TrafficStars simulator: one simulated minute every ${config.DEMO_MINUTE_MS} ms; ` +
      'enable the autopilot on the sample campaign to watch it run the day.\n\n',
  )
  const stop = () => {
    d.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
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

/**
 * `autopilot-replay <trace.json> [--json]`: runs a recorded or simulated day through the
 * autopilot's decisions (see src/modules/autopilot/README.md) and prints the calls and the
 * final budget. Needs no database.
 */
async function autopilotReplay() {
  const file = process.argv[3]
  if (!file) throw new Error('usage: autopilot-replay <trace.json> [--json]')
  let input: unknown
  try {
    input = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`)
  }
  let result: ReturnType<typeof replay>
  try {
    result = replay(input as Parameters<typeof replay>[0])
  } catch (err) {
    if (!(err instanceof ZodError)) throw err
    throw new Error(
      `${file}: invalid trace\n${err.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`,
    )
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    return
  }
  const usd = (m: number) => `$${(m / 1_000_000).toFixed(2)}`
  for (const s of result.steps) {
    for (const a of s.actions) {
      const v = [
        a.max_daily_micros !== undefined ? `max_daily=${usd(a.max_daily_micros)}` : '',
        a.end_time ? `end=${a.end_time}` : '',
      ]
      process.stdout.write(
        `${s.at.slice(0, 16).replace('T', ' ')}  ${a.kind.padEnd(6)} ${v.filter(Boolean).join(' ').padEnd(40)} ${a.text}\n`,
      )
    }
    for (const e of s.events)
      process.stdout.write(`${s.at.slice(0, 16).replace('T', ' ')}  ${e.kind.padEnd(6)} ${e.text}\n`)
  }
  const f = result.final
  process.stdout.write(
    `\nfinal: ${f.phase}, ${f.status}, daily budget ${usd(f.daily_budget_micros)}, spent ${usd(f.spent_micros)}, ` +
      `${f.remaining} clicks left; ${f.starts} start(s), ${f.pauses} pause(s), ${f.budget_raises} budget change(s)\n`,
  )
}

const commands: Record<string, () => Promise<void>> = {
  serve,
  demo,
  migrate,
  'backfill-rollups': backfillRollups,
  'autopilot-replay': autopilotReplay,
}
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
