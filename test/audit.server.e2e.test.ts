/**
 * The change log in the real server process (`src/main.ts serve` on its own DATA_DIR): a
 * session's write through X-Forwarded-For from a trusted proxy is logged with the client's
 * IP and read back as JSON and CSV; the audit routes and the retention job are wired.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiCall, login, type ServerProcess, startServerProcess, tempDataDir } from './helpers/server.ts'

const ADMIN = { email: 'audit-admin@e2e.test', password: 'audit-admin-password-1' }

describe('change log in the real server', () => {
  let server: ServerProcess
  let dataDir: string
  let cookie: string

  beforeAll(async () => {
    dataDir = tempDataDir('tf-audit-')
    server = await startServerProcess({
      dataDir,
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        SEED_SAMPLE: 'false',
        TRUSTED_PROXIES: '127.0.0.1/32',
        CHANGE_LOG_RETENTION_DAYS: '30',
      },
    })
    cookie = await login(server.url, ADMIN.email, ADMIN.password)
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('logs a session write with the client IP and serves it as JSON and CSV', async () => {
    const res = await fetch(`${server.url}/api/v1/sources`, {
      method: 'POST',
      headers: {
        cookie,
        'x-requested-with': 'traffoflex',
        'content-type': 'application/json',
        'x-forwarded-for': '198.51.100.23',
      },
      body: JSON.stringify({ name: 'e2e source' }),
    })
    expect(res.status).toBe(201)
    const src = (await res.json()) as { id: string }
    const log = await apiCall(server.url, cookie, 'GET', `/change-log?object_id=${src.id}`)
    expect(log.status).toBe(200)
    expect(log.body.items).toHaveLength(1)
    expect(log.body.items[0]).toMatchObject({
      object_type: 'source',
      action: 'create',
      ip: '198.51.100.23',
      actor: { type: 'user', label: ADMIN.email },
    })
    const csv = await fetch(`${server.url}/api/v1/change-log.csv?object_id=${src.id}`, {
      headers: { cookie },
    })
    expect(csv.status).toBe(200)
    const text = await csv.text()
    expect(text).toContain(`,198.51.100.23,source,${src.id},e2e source,create,name,,"""e2e source"""`)
    const sec = await apiCall(server.url, cookie, 'GET', '/security-events')
    expect(sec.status).toBe(200)
  })
})
