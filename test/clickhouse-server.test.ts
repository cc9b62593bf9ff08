/**
 * The ClickHouse server path (`CLICKHOUSE_URL`): migrations, the click pipeline and the
 * conversion inserts exactly once, and every report — compared with the embedded chDB on
 * the same data (see clickhouse-server.suite.ts).
 *
 * Needs a ClickHouse server (24.8 or newer; see src/modules/analytics/PRODUCTION.md):
 *
 *   TEST_CLICKHOUSE_URL=http://default:secret@127.0.0.1:8123 npx vitest run test/clickhouse-server.test.ts
 *
 * Credentials may be in the URL or in TEST_CLICKHOUSE_USER / TEST_CLICKHOUSE_PASSWORD. The
 * tests create and drop a database of their own (`tf_srv_<random>`). Without
 * TEST_CLICKHOUSE_URL the suite is skipped (Debian's clickhouse-server 18.16 is far too old
 * to stand in).
 *
 * TEST_CLICKHOUSE_SELFCHECK=1 runs the suite with a second database of the embedded chDB
 * as the "server", to check the suite itself where no server is at hand (~20 s).
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type ClickHouseHandle, openClickHouse } from '../src/platform/clickhouse.ts'
import { tempDir } from './analytics.helpers.ts'
import { clickHouseServerSuite } from './clickhouse-server.suite.ts'

const RAW_URL = process.env.TEST_CLICKHOUSE_URL?.trim() || undefined
const SKIP_REASON =
  'TEST_CLICKHOUSE_URL is not set, so the ClickHouse server tests are skipped ' +
  '(run them with TEST_CLICKHOUSE_URL=http://user:password@host:8123)'

/** URL without credentials, plus the credentials (URL first, then TEST_CLICKHOUSE_USER/PASSWORD). */
function serverTarget(raw: string) {
  const u = new URL(raw)
  const username = decodeURIComponent(u.username) || process.env.TEST_CLICKHOUSE_USER || 'default'
  const password = decodeURIComponent(u.password) || process.env.TEST_CLICKHOUSE_PASSWORD || ''
  u.username = ''
  u.password = ''
  return { url: u.toString().replace(/\/$/, ''), username, password }
}

const target = RAW_URL ? serverTarget(RAW_URL) : undefined

describe.skipIf(!target)(
  target ? `ClickHouse server at ${target.url}` : `ClickHouse server (skipped: ${SKIP_REASON})`,
  () => {
    clickHouseServerSuite({
      openTarget: () =>
        openClickHouse({
          url: target!.url,
          chDir: tempDir('srv-unused'),
          database: `tf_srv_${randomBytes(4).toString('hex')}`,
          username: target!.username,
          password: target!.password,
        }),
    })
  },
)

const SELFCHECK = process.env.TEST_CLICKHOUSE_SELFCHECK === '1'
describe.runIf(!target && SELFCHECK)(
  'the server suite with chDB standing in (TEST_CLICKHOUSE_SELFCHECK)',
  () => {
    let shared: Promise<ClickHouseHandle> | undefined
    const chdb = () =>
      (shared ??= openClickHouse({ chDir: path.join(tempDir('srv-self'), 'ch'), database: 'tf_reference' }))
    clickHouseServerSuite({
      openReference: chdb,
      // Same engine, another database; closed once, with the reference.
      openTarget: async () => ({ ...(await chdb()), database: 'tf_standin', close: async () => {} }),
    })
  },
)

describe.runIf(!target)('without a ClickHouse server', () => {
  it('skips the server suite and says how to run it', () => {
    console.info(SKIP_REASON)
    expect(process.env.TEST_CLICKHOUSE_URL?.trim() || undefined).toBeUndefined()
  })
})
