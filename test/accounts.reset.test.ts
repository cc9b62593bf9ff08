/**
 * Password reset by email through a real SMTP server (`smtp-server` on loopback, messages
 * parsed with postal-mime), and the logged link when SMTP_URL is unset — on PGlite and
 * PostgreSQL. Token expiry runs on the app's manual clock, no waiting.
 */
import { Writable } from 'node:stream'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLoginLimiter } from '../src/modules/accounts/index.ts'
import { createMailer } from '../src/modules/accounts/accounts.mailer.ts'
import { setUserStatus } from '../src/modules/accounts/accounts.repository.ts'
import { RESET_TOKEN_TTL_MS, requestPasswordReset } from '../src/modules/accounts/accounts.reset.ts'
import { sha256Hex } from '../src/modules/accounts/accounts.service.ts'
import { manualClock } from '../src/platform/clock.ts'
import { schema } from './helpers/schema.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { startSmtp, waitFor } from './helpers/smtp.ts'

type Handle = Awaited<ReturnType<typeof throwawayDb>>

const tokenIn = (text: string): string => {
  const m = /http:\/\/tf\.test\/reset-password#token=([A-Za-z0-9_-]+)/.exec(text)
  if (!m) throw new Error(`no reset link in: ${text}`)
  return m[1]!
}

describe.each(['pglite', 'postgres'] as const)('password reset on %s', (kind) => {
  let h: Handle
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let app: FastifyInstance
  const clock = manualClock('2031-05-01T08:00:00Z')
  const smtpConfig = () => testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'TF Test <robot@tf.test>' })

  const post = async (url: string, payload: object, cookie?: string) => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload,
      ...(cookie ? { cookies: { tf_session: cookie }, headers: { 'x-requested-with': 'traffoflex' } } : {}),
    })
    return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers }
  }
  const login = async (email: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
    const m = /tf_session=([^;]*)/.exec(String(res.headers['set-cookie'] ?? ''))
    return { status: res.statusCode, cookie: m?.[1] ?? '' }
  }
  const me = async (cookie: string) =>
    (await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { tf_session: cookie } })).statusCode
  const mailTo = (email: string, after = 0) =>
    waitFor(() => smtp.inbox.slice(after).find((m) => m.to.includes(email)), `mail to ${email}`)

  beforeAll(async () => {
    h = await throwawayDb(kind)
    smtp = await startSmtp()
    app = await testApiApp(h.db, {
      config: smtpConfig(),
      loginLimiter: await createLoginLimiter({ sql: h.raw, max: 1000 }),
      clock,
    })
  })
  afterAll(async () => {
    await app?.close()
    await smtp?.close()
    await h?.drop()
  })
  beforeEach(() => {
    smtp.inbox.length = 0
  })

  /**
   * Posts reset requests to an app of their own, then closes it: closing waits for the
   * requests' background work, so afterwards the inbox holds every message they caused.
   */
  const requestOnOwnApp = async (emails: string[]) => {
    const own = await testApiApp(h.db, { config: smtpConfig(), clock })
    try {
      const answers = []
      for (const email of emails) {
        const r = await own.inject({
          method: 'POST',
          url: '/api/v1/auth/password-reset/request',
          payload: { email },
        })
        answers.push({ status: r.statusCode, body: r.json() })
      }
      return answers
    } finally {
      await own.close()
    }
  }

  it('emails a single-use link; confirming sets the password and ends every session', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const s1 = (await login(u.email, u.password)).cookie
    const s2 = (await login(u.email, u.password)).cookie

    const req = await post('/auth/password-reset/request', { email: ` ${u.email.toUpperCase()} ` })
    expect(req.status).toBe(202)
    const mail = await mailTo(u.email)
    expect(mail.from).toBe('robot@tf.test')
    expect(mail.subject).toMatch(/reset/i)
    expect(mail.text).toMatch(/1 hour/)
    const token = tokenIn(mail.text)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)

    // Only the SHA-256 is stored.
    const rows = await h.db
      .select()
      .from(schema.passwordResetTokens)
      .where(eq(schema.passwordResetTokens.userId, u.userId))
    expect(rows).toHaveLength(1)
    expect(rows[0]!.tokenHash).toBe(sha256Hex(token))
    expect(JSON.stringify(rows)).not.toContain(token)
    expect(rows[0]!.expiresAt.getTime()).toBe(clock.now().getTime() + RESET_TOKEN_TTL_MS)

    const short = await post('/auth/password-reset/confirm', { token, password: 'short' })
    expect(short.status).toBe(400)
    expect(short.body.error.details[0].path).toBe('password')

    const ok = await post('/auth/password-reset/confirm', { token, password: 'reset-password-1' })
    expect(ok.status).toBe(204)
    expect(await me(s1)).toBe(401)
    expect(await me(s2)).toBe(401)
    expect((await login(u.email, u.password)).status).toBe(401)
    expect((await login(u.email, 'reset-password-1')).status).toBe(200)
    // API keys are not sessions: still valid.
    const viaKey = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${u.apiKey}` },
    })
    expect(viaKey.statusCode).toBe(200)

    const again = await post('/auth/password-reset/confirm', { token, password: 'reset-password-2' })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_token')
    expect((await login(u.email, 'reset-password-1')).status).toBe(200)
  })

  it('answers unknown emails exactly like known ones and sends them nothing', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const [unknown, known] = await requestOnOwnApp(['nobody-here@test.local', u.email])
    expect(unknown!.status).toBe(202)
    expect(unknown).toEqual(known)
    expect(smtp.inbox.map((m) => m.to)).toEqual([[u.email]])
  })

  it('suspended users get no link; pending users do (and stay pending)', async () => {
    const s = await createWorkspaceWithKey(h.db)
    await setUserStatus(h.db, s.userId, 'suspended')
    const p = await createWorkspaceWithKey(h.db)
    await setUserStatus(h.db, p.userId, 'pending')
    await requestOnOwnApp([s.email, p.email])
    expect(smtp.inbox.map((m) => m.to[0])).toEqual([p.email])
    const mail = smtp.inbox[0]!
    expect(
      (await post('/auth/password-reset/confirm', { token: tokenIn(mail.text), password: 'pending-pw-123' }))
        .status,
    ).toBe(204)
    const l = await login(p.email, 'pending-pw-123')
    expect(l.status).toBe(403)
  })

  it('a link works until RESET_TOKEN_TTL_MS has passed on the clock, then is refused', async () => {
    const u = await createWorkspaceWithKey(h.db)
    await post('/auth/password-reset/request', { email: u.email })
    const first = tokenIn((await mailTo(u.email)).text)
    clock.advance(RESET_TOKEN_TTL_MS - 1)
    expect(
      (await post('/auth/password-reset/confirm', { token: first, password: 'in-time-123' })).status,
    ).toBe(204)
    const n = smtp.inbox.length
    await post('/auth/password-reset/request', { email: u.email })
    const second = tokenIn((await mailTo(u.email, n)).text)
    clock.advance(RESET_TOKEN_TTL_MS)
    const expired = await post('/auth/password-reset/confirm', { token: second, password: 'too-late-123' })
    expect(expired.status).toBe(400)
    expect(expired.body.error.code).toBe('invalid_token')
    expect((await login(u.email, 'in-time-123')).status).toBe(200)
  })

  it('unknown and concurrently reused tokens are refused', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'robot@tf.test' })!
    const deps = { db: h.db, mailer, log: { info() {} }, publicUrl: 'http://tf.test', clock }
    try {
      expect(
        (await post('/auth/password-reset/confirm', { token: 'x'.repeat(43), password: 'whatever-123' }))
          .status,
      ).toBe(400)

      const n = smtp.inbox.length
      await requestPasswordReset(deps, u.email)
      const token = tokenIn((await mailTo(u.email, n)).text)
      const results = await Promise.all(
        ['race-password-1', 'race-password-2', 'race-password-3'].map((password) =>
          post('/auth/password-reset/confirm', { token, password }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([204, 400, 400])
    } finally {
      mailer.close()
    }
  })

  it('request and confirm are rate limited', async () => {
    const limited = await testApiApp(h.db, { config: testConfig({ SMTP_URL: smtp.url }), clock })
    try {
      const codes: number[] = []
      for (let i = 0; i < 11; i++) {
        const r = await limited.inject({
          method: 'POST',
          url: '/api/v1/auth/password-reset/request',
          payload: { email: 'flood@test.local' },
        })
        codes.push(r.statusCode)
      }
      expect(codes.slice(0, 10).every((c) => c === 202)).toBe(true)
      expect(codes[10]).toBe(429)
    } finally {
      await limited.close()
    }
  })

  it('without SMTP_URL the link goes to the server log at info level, and works', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk))
        cb()
      },
    })
    const logApp = await testApiApp(h.db, { logger: pino({ level: 'info' }, sink), clock })
    try {
      const u = await createWorkspaceWithKey(h.db)
      const r = await logApp.inject({
        method: 'POST',
        url: '/api/v1/auth/password-reset/request',
        payload: { email: u.email },
      })
      expect(r.statusCode).toBe(202)
      const line = await waitFor(() => lines.find((l) => l.includes('reset_link')), 'the logged reset link')
      const entry = JSON.parse(line)
      expect(entry).toMatchObject({ level: 30, email: u.email })
      expect(entry.msg).toMatch(/SMTP_URL is not set/)
      const token = tokenIn(entry.reset_link)
      // The token appears in that one log line and nowhere else in the log or the database.
      expect(lines.filter((l) => l.includes(token))).toHaveLength(1)
      const rows = await h.db
        .select()
        .from(schema.passwordResetTokens)
        .where(eq(schema.passwordResetTokens.userId, u.userId))
      expect(JSON.stringify(rows)).not.toContain(token)
      const ok = await logApp.inject({
        method: 'POST',
        url: '/api/v1/auth/password-reset/confirm',
        payload: { token, password: 'from-the-log-1' },
      })
      expect(ok.statusCode).toBe(204)
      expect(lines.filter((l) => l.includes(token))).toHaveLength(1)
    } finally {
      await logApp.close()
    }
  })
})
