/**
 * Nothing lost, nothing twice: the real server is killed with SIGKILL under load; after a
 * restart every click whose 302 reached the client is in ClickHouse exactly once.
 */
import http from 'node:http'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { openClickHouse } from '../src/platform/clickhouse.ts'
import { login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

let server: ServerProcess | undefined
afterAll(async () => {
  await server?.kill9()
})

/** One request without keep-alive pooling surprises; resolves with the click ID or null. */
function hit(port: number, i: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: `/c/sample?sub1=load${i}`,
        headers: {
          'x-forwarded-for': `8.8.${(i >> 8) & 255}.${i & 255}`,
          'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Chrome/124.0',
        },
        agent: false,
      },
      (res) => {
        res.resume()
        const loc = res.headers.location
        resolve(res.statusCode === 302 && loc ? new URL(loc).searchParams.get('click_id') : null)
      },
    )
    req.on('error', () => resolve(null))
  })
}

it('keeps every answered click across kill -9 and restart, exactly once', async () => {
  const dataDir = tempDataDir('tf-crash-')
  const env = {
    TRUSTED_PROXIES: '127.0.0.1/32',
    ADMIN_PASSWORD: 'crash-test-password',
    PIPELINE_FLUSH_MS: '100',
  }
  server = await startServerProcess({ dataDir, env })
  const port = server.port
  const answered: string[] = []
  let stop = false
  let n = 0
  const worker = async () => {
    while (!stop) {
      const id = await hit(port, n++)
      if (id) answered.push(id)
    }
  }
  const workers = Array.from({ length: 16 }, worker)
  await new Promise((r) => setTimeout(r, 2500))
  await server.kill9() // mid-load: some clicks spooled, some inserted, some in flight
  stop = true
  await Promise.all(workers)
  expect(answered.length).toBeGreaterThan(100)

  // Restart on the same data: recovery replays the spool in the background; wait for it to
  // finish, then a graceful stop flushes the rest.
  server = await startServerProcess({ dataDir, env, port })
  const cookie = await login(server.url, 'admin@traffoflex.local', env.ADMIN_PASSWORD)
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${server.url}/api/v1/ingestion/status`, { headers: { cookie } })
    const status = (await res.json()) as { pipeline?: { recovering?: boolean } }
    if (status.pipeline?.recovering === false) break
    await new Promise((r) => setTimeout(r, 100))
  }
  await server.stop()
  server = undefined

  const ch = await openClickHouse({ chDir: path.join(dataDir, 'ch'), database: 'traffoflex' })
  try {
    const stats = await ch.client.query({
      query: 'SELECT count() c, uniqExact(click_id) u FROM traffoflex.clicks',
      format: 'JSONEachRow',
    })
    const { c, u } = ((await stats.json()) as { c: string; u: string }[])[0]!
    expect(Number(c)).toBe(Number(u)) // nothing twice
    const found = await ch.client.query({
      query: 'SELECT count() c FROM traffoflex.clicks WHERE click_id IN {ids:Array(String)}',
      query_params: { ids: answered },
      format: 'JSONEachRow',
    })
    const { c: present } = ((await found.json()) as { c: string }[])[0]!
    expect(Number(present)).toBe(answered.length) // nothing lost
    expect(Number(c)).toBeGreaterThanOrEqual(answered.length)
  } finally {
    await ch.close()
  }
}, 180_000)
