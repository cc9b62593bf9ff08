import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb, type DbHandle } from './db/client.ts'
import { createLogger, safeErrorSerializer } from './logger.ts'

/** A logger whose lines are collected in `lines`. */
function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { lines, logger: createLogger('info', stream) }
}

describe('logger: no SQL parameters or secrets in error logs', () => {
  let db: DbHandle
  beforeAll(async () => {
    db = await openDb({ pgDir: 'memory://' })
    await db.db.execute(sql`CREATE TABLE t (key_hash text NOT NULL, name text NOT NULL)`)
  })
  afterAll(() => db.close())

  it('a failing query (NUL in a text parameter) logs the SQL but none of its parameter values', async () => {
    const hash = 'f1e2d3c4b5a6secret-hash-value'
    const sealed = 'v1.sealed-autopilot-key-ciphertext'
    let failure: unknown
    try {
      await db.db.execute(sql`INSERT INTO t (key_hash, name) VALUES (${hash}, ${`${sealed}\0`})`)
    } catch (err) {
      failure = err
    }
    expect(failure).toBeInstanceOf(Error)
    // The driver error really carries them (else this test proves nothing).
    expect(String((failure as Error).message)).toContain(hash)

    const { lines, logger } = capture()
    logger.error({ err: failure }, 'request failed')
    expect(lines).toHaveLength(1)
    const line = lines[0]!
    expect(line).toContain('Failed query: INSERT INTO t')
    expect(line).toContain('request failed')
    expect(line).not.toContain(hash)
    expect(line).not.toContain('sealed-autopilot-key')
  })

  it('credentials in logged objects are redacted by path', () => {
    const { lines, logger } = capture()
    logger.info(
      {
        password: 'pw-1',
        user: { key_hash: 'kh-2', api_key_ciphertext: 'ct-3', token: 'tok-4', name: 'ok' },
      },
      'x',
    )
    const line = lines[0]!
    for (const s of ['pw-1', 'kh-2', 'ct-3', 'tok-4']) expect(line).not.toContain(s)
    expect(line).toContain('"name":"ok"')
  })

  it('the error serializer keeps type, message, code and the cause chain, minus parameter fields', () => {
    const cause = Object.assign(new Error('duplicate key'), { code: '23505', detail: 'Key (email)=(a@b.c)' })
    const err = Object.assign(new Error('Failed query: select $1\nparams: hunter2', { cause }), {
      params: ['hunter2'],
      query: 'select $1',
    })
    const out = safeErrorSerializer(err) as Record<string, unknown>
    expect(out.message).toBe('Failed query: select $1\nparams: [redacted]')
    expect(out.params).toBeUndefined()
    expect(out.query).toBeUndefined()
    expect(JSON.stringify(out)).not.toContain('hunter2')
    expect(JSON.stringify(out)).not.toContain('a@b.c')
    expect(out.cause).toMatchObject({ message: 'duplicate key', code: '23505' })
    expect(safeErrorSerializer('not an error')).toBe('not an error')
  })
})
