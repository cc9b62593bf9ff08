/**
 * Two-factor authentication (issue 18) through the real admin API on PGlite: enrolment,
 * sign-in with a code and with a recovery code (spent once), wrong and replayed codes,
 * attempts per challenge and the rate limit (429), remembered devices (skip, expiry,
 * removal), workspace-enforced 2FA, disable and regenerate, and the security events.
 * The clock is a manualClock: codes are computed for its time with otpauth.
 */
import { and, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertMember } from '../src/modules/accounts/accounts.repository.ts'
import { manualClock } from '../src/platform/clock.ts'
import { createWorkspaceWithKey, testApiApp } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'
import { schema } from './helpers/schema.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'
type Cookies = Record<string, string>

const clock = manualClock('2031-03-01T10:00:00Z')
let ipSeq = 10
/** Each test signs in from its own address, so the per-IP counts of one do not touch another. */
const newIp = () => `198.51.100.${++ipSeq}`

function cookiesOf(res: { headers: Record<string, unknown> }): Cookies {
  const raw = res.headers['set-cookie']
  const list = Array.isArray(raw) ? raw : raw ? [raw] : []
  const out: Cookies = {}
  for (const c of list) {
    const m = /^([^=]+)=([^;]*)/.exec(String(c))
    if (m?.[2]) out[m[1]!] = m[2]
  }
  return out
}

/** The code an authenticator app shows now for `secret` (base32). */
const codeNow = (secret: string) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: clock.now().getTime() })
/** Moves to the next 30-second step, so a new code exists (a used one never works again). */
const nextStep = () => clock.advance(30_000)

describe('two-factor authentication (TOTP) through the API on PGlite', () => {
  let h: Awaited<ReturnType<typeof throwawayDb>>
  let app: FastifyInstance

  const call = async (
    who: { cookie?: string; key?: string; ip?: string; cookies?: Cookies },
    method: Method,
    url: string,
    payload?: Json,
  ) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      remoteAddress: who.ip ?? '127.0.0.1',
      headers: {
        'user-agent': 'vitest-browser/1.0',
        ...(who.key ? { authorization: `Bearer ${who.key}` } : {}),
        ...(who.cookie ? { 'x-requested-with': 'traffoflex' } : {}),
      },
      cookies: { ...(who.cookies ?? {}), ...(who.cookie ? { tf_session: who.cookie } : {}) },
      ...(payload ? { payload } : {}),
    })
    return {
      status: res.statusCode,
      body: (res.body ? res.json() : {}) as Json,
      headers: res.headers,
      cookies: cookiesOf(res),
    }
  }

  /** Password step; returns the answer and its cookies. */
  const passwordStep = (email: string, password: string, ip: string, cookies: Cookies = {}) =>
    call({ ip, cookies }, 'POST', '/auth/login', { email, password })

  /** A user with 2FA on: returns the secret, recovery codes and a session. */
  const enrolled = async () => {
    const u = await createWorkspaceWithKey(h.db)
    const ip = newIp()
    const login = await passwordStep(u.email, u.password, ip)
    expect(login.status).toBe(200)
    const cookie = login.cookies.tf_session!
    const setup = await call({ cookie, ip }, 'POST', '/auth/2fa/setup')
    expect(setup.status).toBe(200)
    const secret = setup.body.secret as string
    const en = await call({ cookie, ip }, 'POST', '/auth/2fa/enable', { code: codeNow(secret) })
    expect(en.status).toBe(200)
    nextStep()
    return { ...u, secret, cookie, ip, recovery: en.body.recovery_codes as string[] }
  }

  const events = async (userId: string) =>
    (
      await h.db
        .select()
        .from(schema.securityEvents)
        .where(eq(schema.securityEvents.userId, userId))
        .orderBy(schema.securityEvents.at)
    ).map((e) => e.kind)

  beforeAll(async () => {
    h = await throwawayDb('pglite')
    app = await testApiApp(h.db, { clock })
  })
  afterAll(async () => {
    await app?.close()
    await h?.drop()
  })

  it('enrolment: setup gives URI, QR and secret; a wrong code is refused; the right one turns 2FA on with 10 codes', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const ip = newIp()
    const cookie = (await passwordStep(u.email, u.password, ip)).cookies.tf_session!
    expect((await call({ cookie, ip }, 'GET', '/auth/2fa')).body).toMatchObject({
      enabled: false,
      recovery_codes_left: 0,
      required_by_workspace: false,
      trusted_device_days: 30,
      devices: [],
    })
    // Enabling before set-up is refused.
    expect((await call({ cookie, ip }, 'POST', '/auth/2fa/enable', { code: '123456' })).body.error.code).toBe(
      'setup_required',
    )
    const setup = await call({ cookie, ip }, 'POST', '/auth/2fa/setup')
    expect(setup.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/traffoflex:.+\?.*secret=[A-Z2-7]+/)
    expect(setup.body.otpauth_uri).toContain(`secret=${setup.body.secret}`)
    expect(setup.body.qr_data_url).toMatch(/^data:image\/svg\+xml;base64,/)
    expect(Buffer.from(setup.body.qr_data_url.split(',')[1], 'base64').toString()).toContain('<svg')
    // Stored sealed, never in clear.
    const [row] = await h.db.select().from(schema.users).where(eq(schema.users.id, u.userId))
    expect(row!.totpPendingSecret).toMatch(/^v1\./)
    expect(row!.totpPendingSecret).not.toContain(setup.body.secret)
    // An API key cannot change 2FA.
    expect((await call({ key: u.apiKey, ip }, 'POST', '/auth/2fa/setup')).status).toBe(400)

    const wrong = await call({ cookie, ip }, 'POST', '/auth/2fa/enable', { code: '000000' })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.code).toBe('invalid_code')
    const ok = await call({ cookie, ip }, 'POST', '/auth/2fa/enable', { code: codeNow(setup.body.secret) })
    expect(ok.status).toBe(200)
    expect(ok.body.recovery_codes).toHaveLength(10)
    for (const c of ok.body.recovery_codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)
    expect(new Set(ok.body.recovery_codes).size).toBe(10)
    const st = (await call({ cookie, ip }, 'GET', '/auth/2fa')).body
    expect(st).toMatchObject({ enabled: true, recovery_codes_left: 10 })
    const [after] = await h.db.select().from(schema.users).where(eq(schema.users.id, u.userId))
    expect(after!.totpSecret).toMatch(/^v1\./)
    expect(after!.totpPendingSecret).toBeNull()
    // Recovery codes are stored as SHA-256 only.
    const codes = await h.db
      .select()
      .from(schema.recoveryCodes)
      .where(eq(schema.recoveryCodes.userId, u.userId))
    expect(codes.map((c) => c.codeHash).every((x) => /^[0-9a-f]{64}$/.test(x))).toBe(true)
    // A second set-up while on is refused.
    expect((await call({ cookie, ip }, 'POST', '/auth/2fa/setup')).status).toBe(409)
    expect(await events(u.userId)).toContain('two_factor_enabled')
  })

  it('sign-in asks for the code after the password; a right code opens the session, a replayed or wrong one is refused', async () => {
    const u = await enrolled()
    const ip = newIp()
    const step1 = await passwordStep(u.email, u.password, ip)
    expect(step1.status).toBe(200)
    expect(step1.body).toEqual({ two_factor_required: true, trusted_device_days: 30 })
    expect(step1.cookies.tf_session).toBeUndefined()
    const setCookie = String(step1.headers['set-cookie'])
    expect(setCookie).toMatch(/tf_2fa=[^;]+;.*HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    const challenge = { tf_2fa: step1.cookies.tf_2fa! }

    // Without the challenge cookie nothing happens.
    expect((await call({ ip }, 'POST', '/auth/login/2fa', { code: codeNow(u.secret) })).body.error.code).toBe(
      'challenge_expired',
    )
    const wrong = await call({ ip, cookies: challenge }, 'POST', '/auth/login/2fa', { code: '000000' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_code')
    const code = codeNow(u.secret)
    const ok = await call({ ip, cookies: challenge }, 'POST', '/auth/login/2fa', { code })
    expect(ok.status).toBe(200)
    expect(ok.body.user.email).toBe(u.email)
    const me = await call({ cookie: ok.cookies.tf_session!, ip }, 'GET', '/auth/me')
    expect(me.status).toBe(200)
    // The challenge is spent.
    expect(
      (await call({ ip, cookies: challenge }, 'POST', '/auth/login/2fa', { code })).body.error.code,
    ).toBe('challenge_expired')
    // The same code in a new sign-in (same 30 s step, or the next one): refused as a replay.
    const again = await passwordStep(u.email, u.password, ip)
    const replay = await call({ ip, cookies: { tf_2fa: again.cookies.tf_2fa! } }, 'POST', '/auth/login/2fa', {
      code,
    })
    expect(replay.status).toBe(401)
    expect(replay.body.error.code).toBe('invalid_code')
    clock.advance(20_000)
    const replay2 = await call(
      { ip, cookies: { tf_2fa: again.cookies.tf_2fa! } },
      'POST',
      '/auth/login/2fa',
      {
        code,
      },
    )
    expect(replay2.body.error.code).toBe('invalid_code')
    nextStep()
    const ev = await events(u.userId)
    expect(ev).toContain('two_factor_failed')
    expect(ev.filter((k) => k === 'sign_in').length).toBeGreaterThanOrEqual(2)
    const [signIn] = await h.db
      .select()
      .from(schema.securityEvents)
      .where(
        and(eq(schema.securityEvents.userId, u.userId), eq(schema.securityEvents.kind, 'two_factor_failed')),
      )
    expect(signIn).toMatchObject({ ip, userAgent: 'vitest-browser/1.0' })
  })

  it('a recovery code signs in once (any case, with or without the dash); then it is spent', async () => {
    const u = await enrolled()
    const ip = newIp()
    const rc = u.recovery[3]!
    const c1 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    const typed = ` ${rc.replace('-', '').toUpperCase()} `
    const ok = await call({ ip, cookies: { tf_2fa: c1 } }, 'POST', '/auth/login/2fa', {
      recovery_code: typed,
    })
    expect(ok.status).toBe(200)
    const c2 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    const again = await call({ ip, cookies: { tf_2fa: c2 } }, 'POST', '/auth/login/2fa', {
      recovery_code: rc,
    })
    expect(again.status).toBe(401)
    expect(again.body.error.code).toBe('invalid_code')
    expect((await call({ cookie: u.cookie, ip }, 'GET', '/auth/2fa')).body.recovery_codes_left).toBe(9)
    const [used] = await h.db
      .select()
      .from(schema.recoveryCodes)
      .where(and(eq(schema.recoveryCodes.userId, u.userId)))
    expect(used).toBeDefined()
    expect(await events(u.userId)).toContain('recovery_code_used')
    // Both fields at once is a bad request.
    const bad = await call({ ip, cookies: { tf_2fa: c2 } }, 'POST', '/auth/login/2fa', {
      code: '123456',
      recovery_code: rc,
    })
    expect(bad.status).toBe(400)
  })

  it('at most 5 tries per challenge; beyond 10 failures per user the step answers 429 with Retry-After', async () => {
    const u = await enrolled()
    const ip = newIp()
    const c1 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    for (let i = 0; i < 5; i++) {
      const r = await call({ ip, cookies: { tf_2fa: c1 } }, 'POST', '/auth/login/2fa', { code: '000000' })
      expect(r.body.error.code).toBe('invalid_code')
    }
    // The sixth try of this challenge, even with the right code: sign in again.
    const sixth = await call({ ip, cookies: { tf_2fa: c1 } }, 'POST', '/auth/login/2fa', {
      code: codeNow(u.secret),
    })
    expect(sixth.body.error.code).toBe('challenge_expired')
    const c2 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    for (let i = 0; i < 5; i++) {
      const r = await call({ ip, cookies: { tf_2fa: c2 } }, 'POST', '/auth/login/2fa', { code: '000000' })
      expect(r.status).toBe(401)
    }
    const c3 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    const limited = await call({ ip, cookies: { tf_2fa: c3 } }, 'POST', '/auth/login/2fa', {
      code: codeNow(u.secret),
    })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate_limited')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // Another address does not help: the count is per user.
    const ip2 = newIp()
    const c4 = (await passwordStep(u.email, u.password, ip2)).cookies.tf_2fa!
    expect(
      (
        await call({ ip: ip2, cookies: { tf_2fa: c4 } }, 'POST', '/auth/login/2fa', {
          code: codeNow(u.secret),
        })
      ).status,
    ).toBe(429)
  })

  it('"remember this device" skips the code on that browser until it expires; removing it asks again', async () => {
    const u = await enrolled()
    const ip = newIp()
    const c1 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    const ok = await call({ ip, cookies: { tf_2fa: c1 } }, 'POST', '/auth/login/2fa', {
      code: codeNow(u.secret),
      remember_device: true,
    })
    expect(ok.status).toBe(200)
    const device = ok.cookies.tf_device!
    expect(device).toBeTruthy()
    expect(String(ok.headers['set-cookie'])).toMatch(/tf_device=[^;]+;.*HttpOnly/i)
    nextStep()
    // Remembered: the password alone opens a session.
    const skip = await passwordStep(u.email, u.password, ip, { tf_device: device })
    expect(skip.body.user?.email).toBe(u.email)
    expect(skip.cookies.tf_session).toBeTruthy()
    // Another user's sign-in on the same browser still needs their code.
    const other = await enrolled()
    expect((await passwordStep(other.email, other.password, ip, { tf_device: device })).body).toEqual({
      two_factor_required: true,
      trusted_device_days: 30,
    })
    const st = (await call({ cookie: u.cookie, ip }, 'GET', '/auth/2fa')).body
    expect(st.devices).toHaveLength(1)
    expect(st.devices[0].label).toBe('vitest-browser/1.0')
    expect(await events(u.userId)).toContain('trusted_device_added')
    // 31 days later it has expired.
    clock.advance(31 * 86_400_000)
    expect((await passwordStep(u.email, u.password, ip, { tf_device: device })).body).toEqual({
      two_factor_required: true,
      trusted_device_days: 30,
    })
    // A new remembered device, then removed from the list: asked again.
    const c2 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    const ok2 = await call({ ip, cookies: { tf_2fa: c2 } }, 'POST', '/auth/login/2fa', {
      code: codeNow(u.secret),
      remember_device: true,
    })
    nextStep()
    const session = ok2.cookies.tf_session!
    const list = (await call({ cookie: session, ip }, 'GET', '/auth/2fa')).body.devices
    expect(list).toHaveLength(1)
    // The expired device's row went with that sign-in's housekeeping (so did the challenges).
    const stored = await h.db
      .select()
      .from(schema.trustedDevices)
      .where(eq(schema.trustedDevices.userId, u.userId))
    expect(stored.map((d) => d.id)).toEqual([list[0].id])
    // Someone else cannot remove it.
    const stranger = await createWorkspaceWithKey(h.db)
    const sCookie = (await passwordStep(stranger.email, stranger.password, ip)).cookies.tf_session!
    expect((await call({ cookie: sCookie, ip }, 'DELETE', `/auth/2fa/devices/${list[0].id}`)).status).toBe(
      404,
    )
    expect((await call({ cookie: session, ip }, 'DELETE', `/auth/2fa/devices/${list[0].id}`)).status).toBe(
      204,
    )
    expect((await passwordStep(u.email, u.password, ip, { tf_device: ok2.cookies.tf_device! })).body).toEqual(
      { two_factor_required: true, trusted_device_days: 30 },
    )
  })

  it('workspace-enforced 2FA: a member without it gets 403 except to enrol; after enrolling, all works', async () => {
    const owner = await enrolled()
    const ip = newIp()
    const member = await createWorkspaceWithKey(h.db)
    await insertMember(h.db, owner.workspaceId, member.userId, 'admin')
    const mCookie = (await passwordStep(member.email, member.password, ip)).cookies.tf_session!
    const sw = await call({ cookie: mCookie, ip }, 'POST', '/auth/workspace', {
      workspace_id: owner.workspaceId,
    })
    expect(sw.status).toBe(200)
    // Only the owner sets it.
    const notOwner = await call({ cookie: mCookie, ip }, 'PATCH', '/workspace/settings', {
      require_2fa: true,
    })
    expect(notOwner.status).toBe(403)
    expect(notOwner.body.error.code).toBe('owner_required')
    // An owner without 2FA cannot require it.
    const bare = await createWorkspaceWithKey(h.db)
    const bareCookie = (await passwordStep(bare.email, bare.password, ip)).cookies.tf_session!
    expect(
      (await call({ cookie: bareCookie, ip }, 'PATCH', '/workspace/settings', { require_2fa: true })).status,
    ).toBe(409)

    const set = await call({ cookie: owner.cookie, ip }, 'PATCH', '/workspace/settings', {
      require_2fa: true,
    })
    expect(set.status).toBe(200)
    expect(set.body).toEqual({ require_2fa: true })
    expect((await call({ cookie: owner.cookie, ip }, 'GET', '/workspace')).body.workspace.require_2fa).toBe(
      true,
    )
    expect(await events(owner.userId)).toContain('workspace_2fa_required')
    // …and the workspace's change log has the setting's before and after, by the owner.
    const history = await call({ cookie: owner.cookie, ip }, 'GET', '/change-log?object_type=workspace')
    expect(history.body.items[0]).toMatchObject({
      object_id: owner.workspaceId,
      action: 'update',
      changes: { require2fa: { before: false, after: true } },
    })

    const blocked = await call({ cookie: mCookie, ip }, 'GET', '/workspace')
    expect(blocked.status).toBe(403)
    expect(blocked.body.error.code).toBe('two_factor_enrollment_required')
    expect((await call({ cookie: mCookie, ip }, 'GET', '/api-keys')).status).toBe(403)
    // Allowed while enrolling: who am I, status, workspaces, set-up.
    expect((await call({ cookie: mCookie, ip }, 'GET', '/auth/me')).status).toBe(200)
    expect((await call({ cookie: mCookie, ip }, 'GET', '/auth/workspaces')).status).toBe(200)
    const st = await call({ cookie: mCookie, ip }, 'GET', '/auth/2fa')
    expect(st.body).toMatchObject({ enabled: false, required_by_workspace: true })
    // The member's API key is not a sign-in: not concerned.
    expect((await call({ key: member.apiKey, ip }, 'GET', '/auth/me')).status).toBe(200)
    const setup = await call({ cookie: mCookie, ip }, 'POST', '/auth/2fa/setup')
    expect(setup.status).toBe(200)
    const en = await call({ cookie: mCookie, ip }, 'POST', '/auth/2fa/enable', {
      code: codeNow(setup.body.secret),
    })
    expect(en.status).toBe(200)
    nextStep()
    expect((await call({ cookie: mCookie, ip }, 'GET', '/workspace')).status).toBe(200)
    // In their own workspace (not requiring it) nothing was blocked in the first place.
    const off = await call({ cookie: owner.cookie, ip }, 'PATCH', '/workspace/settings', {
      require_2fa: false,
    })
    expect(off.body).toEqual({ require_2fa: false })
    expect(await events(owner.userId)).toContain('workspace_2fa_optional')
  })

  it('disable needs the password and a current code; regenerating replaces the recovery codes', async () => {
    const u = await enrolled()
    const { cookie, ip } = u
    const regen = await call({ cookie, ip }, 'POST', '/auth/2fa/recovery-codes', { code: codeNow(u.secret) })
    expect(regen.status).toBe(200)
    expect(regen.body.recovery_codes).toHaveLength(10)
    nextStep()
    // An old recovery code no longer works.
    const c1 = (await passwordStep(u.email, u.password, ip)).cookies.tf_2fa!
    expect(
      (
        await call({ ip, cookies: { tf_2fa: c1 } }, 'POST', '/auth/login/2fa', {
          recovery_code: u.recovery[0],
        })
      ).status,
    ).toBe(401)

    const wrongPw = await call({ cookie, ip }, 'POST', '/auth/2fa/disable', {
      password: 'not-the-password',
      code: codeNow(u.secret),
    })
    expect(wrongPw.status).toBe(400)
    expect(wrongPw.body.error.code).toBe('invalid_credentials')
    const noCode = await call({ cookie, ip }, 'POST', '/auth/2fa/disable', { password: u.password })
    expect(noCode.status).toBe(400)
    const wrongCode = await call({ cookie, ip }, 'POST', '/auth/2fa/disable', {
      password: u.password,
      code: '000000',
    })
    expect(wrongCode.status).toBe(400)
    expect((await call({ cookie, ip }, 'GET', '/auth/2fa')).body.enabled).toBe(true)
    const ok = await call({ cookie, ip }, 'POST', '/auth/2fa/disable', {
      password: u.password,
      recovery_code: regen.body.recovery_codes[0],
    })
    expect(ok.status).toBe(204)
    expect((await call({ cookie, ip }, 'GET', '/auth/2fa')).body).toMatchObject({
      enabled: false,
      recovery_codes_left: 0,
    })
    // Password alone again.
    expect((await passwordStep(u.email, u.password, ip)).cookies.tf_session).toBeTruthy()
    const ev = await events(u.userId)
    for (const k of ['recovery_codes_regenerated', 'two_factor_disabled', 'recovery_code_used', 'sign_in'])
      expect(ev).toContain(k)
  })

  it('failed password sign-ins are recorded, also for an unknown email', async () => {
    const u = await createWorkspaceWithKey(h.db)
    const ip = newIp()
    expect((await passwordStep(u.email, 'wrong-password-1', ip)).status).toBe(401)
    expect((await passwordStep('nobody-here@test.local', 'wrong-password-1', ip)).status).toBe(401)
    const rows = await h.db
      .select()
      .from(schema.securityEvents)
      .where(and(eq(schema.securityEvents.kind, 'sign_in_failed'), eq(schema.securityEvents.ip, ip)))
    expect(rows.map((r) => [r.userId, r.email])).toEqual(
      expect.arrayContaining([
        [u.userId, u.email],
        [null, 'nobody-here@test.local'],
      ]),
    )
    expect(rows[0]!.userAgent).toBe('vitest-browser/1.0')
  })
})
