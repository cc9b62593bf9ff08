/**
 * Child process for analytics.crash.test.ts: opens chDB + the spool given on the command
 * line, replays what a killed predecessor left, then pushes events forever and prints each
 * click_id on stdout only after `push` returned true. The test kills it with SIGKILL.
 *
 * argv: <chDir> <spoolDir> <database> <runTag>
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { createPipeline, migrateClickHouse } from '../src/modules/analytics/index.ts'
import { openClickHouse } from '../src/platform/clickhouse.ts'
import { click, silentLogger, trafficback } from './analytics.helpers.ts'

const [chDir, spoolDir, database, tag] = process.argv.slice(2) as [string, string, string, string]
const handle = await openClickHouse({ chDir, database })
await migrateClickHouse(handle)
// Small batches, a small queue and small segments: the kill lands among many commits,
// spills and segment deletions rather than in a quiet moment.
const pipeline = createPipeline({
  handle,
  spoolDir,
  queueMax: 300,
  batchSize: 60,
  flushMs: 5,
  segmentMaxBytes: 48 * 1024,
  logger: silentLogger,
})
const recovered = await pipeline.recover()
process.stdout.write(`READY ${recovered}\n`)

let seq = 0
for (;;) {
  const printed: string[] = []
  for (let i = 0; i < 10; i++) {
    const id = `${tag}-${seq++}`
    const ev =
      seq % 7 === 0
        ? trafficback({ click_id: id, workspace_id: 'ws-crash', ts: Date.now() })
        : click({ click_id: id, workspace_id: 'ws-crash', ts: Date.now() })
    if (pipeline.push(ev)) printed.push(id)
  }
  // Synchronous on Linux pipes: once written, the parent may rely on these ids.
  process.stdout.write(`${printed.join('\n')}\n`)
  // About 2 000 events/s: traffic chDB keeps up with, so each run ends with a short backlog.
  await sleep(4)
}
