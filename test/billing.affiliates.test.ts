/**
 * Affiliates (issue 5) over the real API and database: the referral link and its cookie
 * (first touch), sign-up through it (referred_by set once, self-referral refused, same IP
 * flagged), the commission release job on a manual clock, reversals netted against later
 * commissions, payout requests, the admins' payout queue (paid, rejected, CSV) with audit,
 * and user isolation. Commissions and reversals are booked directly through the ledger, the
 * way the payments side does. After each scenario the ledger's invariants hold.
 */
import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAdminApi } from '../src/api.ts'
import { createMemoryLoginLimiter } from '../src/modules/accounts/index.ts'
import { createApiKey } from '../src/modules/accounts/accounts.service.ts'
import { users } from '../src/modules/accounts/accounts.tables.ts'
import { affiliateCommissions, affiliates, billingAudit } from '../src/modules/billing/billing.tables.ts'
import {
  affiliateRoutes,
  commissionReleaseHandlers,
  referralRoutes,
  referralSignupHook,
} from '../src/modules/billing/index.ts'
import { accounts } from '../src/modules/billing/ledger.core.ts'
import { createLedgerRepository } from '../src/modules/billing/ledger.repository.ts'
import { manualClock } from '../src/platform/clock.ts'
import type { Db } from '../src/platform/db/client.ts'
import { createLogger } from '../src/platform/logger.ts'
import { createWorkspaceWithKey, testConfig } from './helpers/auth.ts'
import { throwawayDb } from './helpers/pg.ts'

// biome-ignore lint/suspicious/noExplicitAny: loose JSON bodies in tests
type Json = Record<string, any>
const DAY = 86_400_000
const EUR = 'EUR'
let seq = 0
const uniq = (tag: string) => `${tag}-${++seq}-${randomUUID().slice(0, 6)}`

/** Books a commission as the payments side does: one posting with the deposit, and the row. */
async function bookCommission(
  db: Db,
  c: { referrerId: string; refereeId: string; amountMinor: number; now: Date; holdDays?: number },
): Promise<string> {
  const ledger = createLedgerRepository(db)
  const eventId = randomUUID()
  const id = randomUUID()
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    await ledger.post(
      {
        idempotencyKey: `payment:test:${eventId}`,
        type: 'deposit',
        reference: eventId,
        transfers: [
          {
            debit: accounts.paymentsIn(EUR),
            credit: accounts.revenue(EUR),
            amount: BigInt(c.amountMinor * 5),
          },
          {
            debit: accounts.commissionExpense(EUR),
            credit: accounts.affiliatePending(c.referrerId, EUR),
            amount: BigInt(c.amountMinor),
          },
        ],
      },
      c.now,
      tx,
    )
    await tx.insert(affiliateCommissions).values({
      id,
      referrerId: c.referrerId,
      refereeId: c.refereeId,
      paymentEventId: eventId,
      amountMinor: c.amountMinor,
      currency: EUR,
      status: 'pending',
      availableAt: new Date(c.now.getTime() + (c.holdDays ?? 30) * DAY),
      createdAt: c.now,
    })
  })
  return id
}

/** Reverses a commission as the payments side does on a refund: from pending or available. */
async function reverseCommission(db: Db, id: string, now: Date): Promise<void> {
  const ledger = createLedgerRepository(db)
  await db.transaction(async (t) => {
    const tx = t as unknown as Db
    const [c] = await tx
      .select()
      .from(affiliateCommissions)
      .where(eq(affiliateCommissions.id, id))
      .for('update')
    if (!c || c.status === 'reversed') return
    const from =
      c.status === 'pending'
        ? accounts.affiliatePending(c.referrerId, EUR)
        : accounts.affiliateAvailable(c.referrerId, EUR)
    await ledger.post(
      {
        idempotencyKey: `commission_reversal:${c.id}`,
        type: 'commission_reversal',
        reference: c.id,
        transfers: [{ debit: from, credit: accounts.commissionExpense(EUR), amount: BigInt(c.amountMinor) }],
      },
      now,
      tx,
    )
    await tx.update(affiliateCommissions).set({ status: 'reversed' }).where(eq(affiliateCommissions.id, c.id))
  })
}

for (const kind of ['pglite', 'postgres'] as const) {
  /** Scenarios run on PGlite only (PostgreSQL runs the core subset). */
  const full = kind === 'pglite' ? it : it.skip

  describe(`affiliates on ${kind}`, () => {
    let h: Awaited<ReturnType<typeof throwawayDb>>
    let app: FastifyInstance
    const clock = manualClock('2026-03-01T10:00:00Z')
    const config = testConfig({ AFFILIATE_COOKIE_DAYS: '30', AFFILIATE_MIN_PAYOUT_MINOR: '5000' })
    let admin: Awaited<ReturnType<typeof createWorkspaceWithKey>>
    const release = async () => {
      await commissionReleaseHandlers({ db: h.db, ledger: createLedgerRepository(h.db), clock })[
        'affiliate-commission-release'
      ](
        { slot: 0 },
        {
          id: 'test',
          name: 'affiliate-commission-release',
          retryCount: 0,
          signal: new AbortController().signal,
        },
      )
    }

    beforeAll(async () => {
      h = await throwawayDb(kind)
      app = await createAdminApi({
        db: h.db,
        config,
        logger: createLogger('silent'),
        clock,
        loginLimiter: createMemoryLoginLimiter({ max: 1000, ipMax: 1000 }),
        onSignup: referralSignupHook({ db: h.db, clock, cookieDays: config.AFFILIATE_COOKIE_DAYS }),
        plugins: [
          { plugin: affiliateRoutes({ db: h.db, ledger: createLedgerRepository(h.db), config, clock }) },
        ],
      })
      await app.register(referralRoutes({ db: h.db, config, clock }))
      await app.ready()
      admin = await createWorkspaceWithKey(h.db, { role: 'admin' })
    }, 60_000)
    afterAll(async () => {
      await app?.close()
      await h?.drop()
    })
    afterEach(async () => {
      expect(await createLedgerRepository(h.db).audit()).toEqual([])
    })

    const call = async (key: string, method: 'GET' | 'POST', url: string, payload?: Json) => {
      const res = await app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      })
      return {
        status: res.statusCode,
        body: (res.headers['content-type'] ?? '').toString().startsWith('application/json')
          ? (res.json() as Json)
          : ({} as Json),
        text: res.body,
        headers: res.headers,
      }
    }
    const click = (code: string, cookie?: string) =>
      app.inject({ method: 'GET', url: `/r/${code}`, ...(cookie ? { cookies: { tf_ref: cookie } } : {}) })
    const refCookie = (res: { headers: Record<string, unknown> }): string | undefined => {
      const raw = res.headers['set-cookie']
      const all = Array.isArray(raw) ? raw : raw ? [raw] : []
      const m = all.map((c) => /^tf_ref=([^;]*)/.exec(String(c))).find(Boolean)
      return m?.[1]
    }
    const signup = async (email: string, opts: { cookie?: string; ip?: string } = {}) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        remoteAddress: opts.ip ?? '198.51.100.77',
        payload: { email, password: 'password-123456' },
        ...(opts.cookie ? { cookies: { tf_ref: opts.cookie } } : {}),
      })
      expect(res.statusCode, res.body).toBe(201)
      return (res.json() as Json).user.id as string
    }
    const affiliateOf = async (userId: string) =>
      (await h.db.select().from(affiliates).where(eq(affiliates.userId, userId)))[0]
    /** An active affiliate with an API key, their code and link. */
    const affiliate = async (email?: string) => {
      const u = await createWorkspaceWithKey(h.db, email ? { email } : {})
      const r = await call(u.apiKey, 'GET', '/billing/affiliate')
      expect(r.status).toBe(200)
      return { ...u, code: r.body.code as string, summary: r.body }
    }
    const balances = async (userId: string) => {
      const L = createLedgerRepository(h.db)
      return {
        pending: await L.balance(accounts.affiliatePending(userId, EUR)),
        available: await L.balance(accounts.affiliateAvailable(userId, EUR)),
        requested: await L.balance(accounts.affiliatePayoutRequested(userId, EUR)),
        paid: await L.balance(accounts.affiliatePaid(userId, EUR)),
      }
    }

    it('GET /billing/affiliate creates a code and link once; /r/:code sets tf_ref and first touch wins', async () => {
      const a = await affiliate()
      expect(a.summary).toMatchObject({
        link: `http://tf.test/r/${a.code}`,
        commission_rate: 0.2,
        hold_days: 30,
        min_payout_minor: 5000,
        currency: 'EUR',
        signups: 0,
        paying_referrals: 0,
        earnings: { pending_minor: 0, available_minor: 0, requested_minor: 0, paid_minor: 0 },
      })
      expect(a.code).toMatch(/^[0-9a-z]{8}$/)
      expect((await call(a.apiKey, 'GET', '/billing/affiliate')).body.code).toBe(a.code)
      const b = await affiliate()

      const first = await click(a.code)
      expect(first.statusCode).toBe(302)
      expect(first.headers.location).toBe('/signup')
      const setCookie = String(first.headers['set-cookie'])
      expect(setCookie).toMatch(/HttpOnly/i)
      expect(setCookie).toMatch(/SameSite=Lax/i)
      expect(setCookie).toMatch(/Max-Age=2592000/)
      expect(setCookie).toMatch(/Path=\//)
      const cookie = refCookie(first)!
      expect(cookie.startsWith(`${a.code}.`)).toBe(true)

      // First touch: a later click on another link keeps the first cookie (no Set-Cookie at all).
      const second = await click(b.code, cookie)
      expect(second.statusCode).toBe(302)
      expect(refCookie(second)).toBeUndefined()
      // Upper case works (codes are read aloud / typed).
      expect(refCookie(await click(a.code.toUpperCase()))).toMatch(new RegExp(`^${a.code}\\.`))
      // Unknown, malformed or hostile codes: still a redirect, no cookie.
      // (Past Fastify's maxParamLength of 100 the answer is 414, before any code of ours.)
      for (const bad of ['zzzzzzzz', 'short', '%00', 'a'.repeat(100), '..%2F..%2Fetc']) {
        const r = await click(bad)
        expect(r.statusCode).toBe(302)
        expect(refCookie(r)).toBeUndefined()
      }
      // A cookie naming an unknown code, or a malformed one, is replaced.
      expect(refCookie(await click(b.code, `zzzzzzzz.${Math.floor(clock.now().getTime() / 1000)}`))).toMatch(
        new RegExp(`^${b.code}\\.`),
      )
      expect(refCookie(await click(b.code, 'garbage'))).toMatch(new RegExp(`^${b.code}\\.`))
      // After the window the first cookie no longer counts: the next click replaces it.
      clock.advance(31 * DAY)
      expect(refCookie(await click(b.code, cookie))).toMatch(new RegExp(`^${b.code}\\.`))
    })

    it('sign-up through the link sets referred_by once and records the sign-up IP; without a cookie only the IP', async () => {
      const a = await affiliate()
      const b = await affiliate()
      const cookie = refCookie(await click(a.code))!
      const u = await signup(`${uniq('friend')}@example.com`, { cookie, ip: '198.51.100.10' })
      const row = await affiliateOf(u)
      expect(row).toMatchObject({ referredBy: a.userId, signupIp: '198.51.100.10', flag: null })
      expect(row?.code).toMatch(/^[0-9a-z]{8}$/)

      // Never changed later: the hook again with another referrer's cookie changes nothing.
      const hook = referralSignupHook({ db: h.db, clock, cookieDays: 30 })
      const other = refCookie(await click(b.code))!
      await hook({ id: u, email: 'x@example.com' }, {
        ip: '192.0.2.1',
        cookies: { tf_ref: other },
      } as never)
      expect(await affiliateOf(u)).toMatchObject({ referredBy: a.userId, signupIp: '198.51.100.10' })

      const plain = await signup(`${uniq('plain')}@example.com`, { ip: '198.51.100.11' })
      expect(await affiliateOf(plain)).toMatchObject({ referredBy: null, signupIp: '198.51.100.11' })

      // An expired cookie (the browser kept it past its Max-Age) counts for nothing.
      const stale = `${a.code}.${Math.floor(clock.now().getTime() / 1000) - 31 * 86_400}`
      const late = await signup(`${uniq('late')}@example.com`, { cookie: stale })
      expect((await affiliateOf(late))?.referredBy).toBeNull()

      const s = await call(a.apiKey, 'GET', '/billing/affiliate')
      expect(s.body.signups).toBe(1)
      const refs = await call(a.apiKey, 'GET', '/billing/affiliate/referrals')
      expect(refs.body.items).toEqual([
        {
          email_masked: 'f***@example.com',
          joined_at: clock.now().toISOString(),
          paying: false,
          earned_minor: 0,
          flagged: false,
        },
      ])
      expect(refs.body.next_cursor).toBeNull()
    })

    it('self-referral is refused for the same email in any variant (sign-up still succeeds)', async () => {
      const local = uniq('alice').replace(/-/g, '')
      const a = await affiliate(`${local}@gmail.com`)
      const cookie = refCookie(await click(a.code))!
      const dotted = `${local.slice(0, 2)}.${local.slice(2)}`
      for (const variant of [
        `${dotted.toUpperCase()}+promo@googlemail.com`,
        `${local}+x@gmail.com`,
        `${dotted}@gmail.com`,
      ]) {
        const u = await signup(variant, { cookie })
        expect((await affiliateOf(u))?.referredBy).toBeNull()
      }
      expect((await call(a.apiKey, 'GET', '/billing/affiliate')).body.signups).toBe(0)
    })

    it("a sign-up from the referrer's own sign-up IP is accepted but flagged for review", async () => {
      const refId = await signup(`${uniq('ref')}@example.com`, { ip: '203.0.113.9' })
      const ref = await affiliateOf(refId)
      const cookie = refCookie(await click(ref!.code))!
      const same = await signup(`${uniq('same')}@example.com`, { cookie, ip: '203.0.113.9' })
      const other = await signup(`${uniq('other')}@example.com`, { cookie, ip: '203.0.113.10' })
      expect(await affiliateOf(same)).toMatchObject({ referredBy: refId, flag: 'same_ip' })
      expect(await affiliateOf(other)).toMatchObject({ referredBy: refId, flag: null })

      const flagged = await call(admin.apiKey, 'GET', '/billing/admin/referrals?flagged=true&limit=200')
      expect(flagged.status).toBe(200)
      const mine = flagged.body.items.filter((i: Json) => i.referred_by === refId)
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({ user_id: same, flag: 'same_ip', signup_ip: '203.0.113.9' })
      expect(mine[0].referrer_email).toMatch(/^ref-/)
      const unflagged = await call(admin.apiKey, 'GET', '/billing/admin/referrals?flagged=false&limit=200')
      expect(unflagged.body.items.map((i: Json) => i.user_id)).toContain(other)
    })

    it('a sign-up hook that throws never fails the sign-up', async () => {
      const broken = await createAdminApi({
        db: h.db,
        config,
        logger: createLogger('silent'),
        clock,
        onSignup: async () => {
          throw new Error('boom')
        },
      })
      await broken.ready()
      const res = await broken.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: `${uniq('x')}@example.com`, password: 'password-123456' },
      })
      expect(res.statusCode).toBe(201)
      await broken.close()
    })

    it('the release job moves due commissions to available after the hold, idempotently, skipping reversed ones', async () => {
      const a = await affiliate()
      const referee = randomUUID()
      const c1 = await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: referee,
        amountMinor: 2000,
        now: clock.now(),
      })
      const c2 = await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: referee,
        amountMinor: 700,
        now: clock.now(),
      })
      await reverseCommission(h.db, c2, clock.now()) // refunded during the hold
      await release()
      expect(await balances(a.userId)).toMatchObject({ pending: 2000n, available: 0n })

      clock.advance(30 * DAY - 1000)
      await release()
      expect(await balances(a.userId)).toMatchObject({ pending: 2000n, available: 0n })
      clock.advance(1000)
      await release()
      expect(await balances(a.userId)).toMatchObject({ pending: 0n, available: 2000n })
      const postings = async () =>
        await h.db.execute(
          sql`SELECT count(*)::int AS n FROM ledger_postings WHERE type = 'commission_release'`,
        )
      const before = JSON.stringify(await postings())
      await release()
      expect(JSON.stringify(await postings())).toBe(before)
      expect(await balances(a.userId)).toMatchObject({ pending: 0n, available: 2000n })

      const list = await call(a.apiKey, 'GET', '/billing/affiliate/commissions')
      expect(list.body.items.map((i: Json) => [i.id, i.status, i.amount_minor]).sort()).toEqual(
        [
          [c1, 'available', 2000],
          [c2, 'reversed', 700],
        ].sort(),
      )
      const s = await call(a.apiKey, 'GET', '/billing/affiliate')
      expect(s.body.paying_referrals).toBe(1)
      expect(s.body.earnings).toEqual({
        pending_minor: 0,
        available_minor: 2000,
        requested_minor: 0,
        paid_minor: 0,
      })
    })

    it('payouts: below the minimum 422; paid with audit; a refund after payout leaves a debt that the next commission nets', async () => {
      const a = await affiliate()
      const referee = randomUUID()
      const c1 = await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: referee,
        amountMinor: 4000,
        now: clock.now(),
      })
      clock.advance(30 * DAY)
      await release()
      const low = await call(a.apiKey, 'POST', '/billing/affiliate/payouts', {
        destination: 'IBAN DE89 3704 0044 0532 0130 00',
      })
      expect(low.status).toBe(422)
      expect(low.body.error.code).toBe('below_minimum')

      const c2 = await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: referee,
        amountMinor: 2000,
        now: clock.now(),
      })
      clock.advance(30 * DAY)
      await release()
      expect(
        (
          await call(a.apiKey, 'POST', '/billing/affiliate/payouts', {
            destination: 'x@paypal.test',
            amount_minor: 6001,
          })
        ).body.error.code,
      ).toBe('insufficient_funds')
      expect(
        (
          await call(a.apiKey, 'POST', '/billing/affiliate/payouts', {
            destination: 'x@paypal.test',
            amount_minor: 4999,
          })
        ).body.error.code,
      ).toBe('below_minimum')
      expect(
        (await call(a.apiKey, 'POST', '/billing/affiliate/payouts', { destination: 'x\u0007y@paypal.test' }))
          .status,
      ).toBe(400)
      const req = await call(a.apiKey, 'POST', '/billing/affiliate/payouts', { destination: 'x@paypal.test' })
      expect(req.status).toBe(201)
      expect(req.body).toMatchObject({
        amount_minor: 6000,
        currency: 'EUR',
        status: 'requested',
        destination: 'x@paypal.test',
      })
      expect(await balances(a.userId)).toEqual({ pending: 0n, available: 0n, requested: 6000n, paid: 0n })

      const paid = await call(admin.apiKey, 'POST', `/billing/admin/payouts/${req.body.id}/paid`, {
        reference: 'SEPA-2026-0001',
      })
      expect(paid.status).toBe(200)
      expect(paid.body).toMatchObject({
        status: 'paid',
        paid_reference: 'SEPA-2026-0001',
        user_id: a.userId,
        user_email: a.email,
        decided_by: admin.userId,
      })
      expect(
        (
          await call(admin.apiKey, 'POST', `/billing/admin/payouts/${req.body.id}/paid`, {
            reference: 'again',
          })
        ).status,
      ).toBe(409)
      expect(
        (
          await call(admin.apiKey, 'POST', `/billing/admin/payouts/${req.body.id}/reject`, {
            reason: 'too late',
          })
        ).status,
      ).toBe(409)
      const audit = await h.db.select().from(billingAudit).where(eq(billingAudit.action, 'payout_paid'))
      expect(audit.find((r) => r.details.payout_id === req.body.id)).toMatchObject({
        actorUserId: admin.userId,
        details: { user_id: a.userId, amount_minor: 6000, currency: 'EUR', reference: 'SEPA-2026-0001' },
      })

      // The referee is refunded after the payout: the commission comes back out of available.
      await reverseCommission(h.db, c1, clock.now())
      expect(await balances(a.userId)).toEqual({ pending: 0n, available: -4000n, requested: 0n, paid: 6000n })
      expect((await call(a.apiKey, 'GET', '/billing/affiliate')).body.earnings).toEqual({
        pending_minor: 0,
        available_minor: -4000,
        requested_minor: 0,
        paid_minor: 6000,
      })
      expect(
        (await call(a.apiKey, 'POST', '/billing/affiliate/payouts', { destination: 'x@paypal.test' })).status,
      ).toBe(422)
      // The next commission pays the debt back first.
      await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: referee,
        amountMinor: 9000,
        now: clock.now(),
      })
      clock.advance(30 * DAY)
      await release()
      expect(await balances(a.userId)).toEqual({ pending: 0n, available: 5000n, requested: 0n, paid: 6000n })
      // Every cent explained: pending + available + requested + paid = Σ commissions − Σ reversals.
      const b = await balances(a.userId)
      expect(b.pending + b.available + b.requested + b.paid).toBe(4000n + 2000n + 9000n - 4000n)
      expect(c2).toBeTruthy()
    })

    it('admin: reject returns the money, the CSV lists what is due, non-admins get 403, users see only their own', async () => {
      const a = await affiliate()
      const b = await affiliate()
      await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: randomUUID(),
        amountMinor: 20000,
        now: clock.now(),
      })
      clock.advance(30 * DAY)
      await release()
      const p1 = await call(a.apiKey, 'POST', '/billing/affiliate/payouts', {
        destination: '=HYPERLINK("http://evil")',
        amount_minor: 6000,
      })
      const p2 = await call(a.apiKey, 'POST', '/billing/affiliate/payouts', {
        destination: 'IBAN, "quoted"',
        amount_minor: 12345,
      })
      expect([p1.status, p2.status]).toEqual([201, 201])
      expect(await balances(a.userId)).toMatchObject({ available: 1655n, requested: 18345n })

      const csv = await call(admin.apiKey, 'GET', '/billing/admin/payouts?status=requested&format=csv')
      expect(csv.status).toBe(200)
      expect(String(csv.headers['content-type'])).toMatch(/^text\/csv/)
      const lines = csv.text.trimEnd().split('\r\n')
      expect(lines[0]).toBe('payout_id,requested_at,user_email,amount,currency,destination,status')
      const ours = lines.filter((l) => l.includes(a.email))
      // Same request time: the order between the two is by ID.
      expect(ours.sort()).toEqual(
        [
          `${p1.body.id},${p1.body.requested_at},${a.email},60.00,EUR,"'=HYPERLINK(""http://evil"")",requested`,
          `${p2.body.id},${p2.body.requested_at},${a.email},123.45,EUR,"IBAN, ""quoted""",requested`,
        ].sort(),
      )
      const json = await call(admin.apiKey, 'GET', '/billing/admin/payouts?status=requested&limit=1')
      expect(json.body.items).toHaveLength(1)
      expect(json.body.next_cursor).toEqual(expect.any(String))
      const next = await call(
        admin.apiKey,
        'GET',
        `/billing/admin/payouts?status=requested&limit=1&cursor=${json.body.next_cursor}`,
      )
      expect(next.body.items[0].id).not.toBe(json.body.items[0].id)
      expect((await call(admin.apiKey, 'GET', '/billing/admin/payouts?cursor=nope')).status).toBe(400)

      const rej = await call(admin.apiKey, 'POST', `/billing/admin/payouts/${p2.body.id}/reject`, {
        reason: 'IBAN does not match the account holder',
      })
      expect(rej.status).toBe(200)
      expect(rej.body).toMatchObject({ status: 'rejected', note: 'IBAN does not match the account holder' })
      expect(await balances(a.userId)).toMatchObject({ available: 14000n, requested: 6000n, paid: 0n })
      const audit = await h.db.select().from(billingAudit).where(eq(billingAudit.action, 'payout_rejected'))
      expect(audit.find((r) => r.details.payout_id === p2.body.id)).toMatchObject({
        actorUserId: admin.userId,
        reason: 'IBAN does not match the account holder',
      })
      expect(
        (await call(admin.apiKey, 'POST', `/billing/admin/payouts/${randomUUID()}/paid`, { reference: 'r' }))
          .status,
      ).toBe(404)
      expect(
        (await call(admin.apiKey, 'POST', `/billing/admin/payouts/${p1.body.id}/reject`, { reason: 'no' }))
          .status,
      ).toBe(400)

      // Non-admins: 403 on every admin route, whatever the body.
      for (const [m, url, body] of [
        ['GET', '/billing/admin/payouts', undefined],
        ['GET', '/billing/admin/payouts?format=csv', undefined],
        ['GET', '/billing/admin/referrals?flagged=true', undefined],
        ['POST', `/billing/admin/payouts/${p1.body.id}/paid`, { reference: 'x' }],
        ['POST', `/billing/admin/payouts/${p1.body.id}/reject`, { reason: 'xxx' }],
      ] as const) {
        const r = await call(a.apiKey, m, url, body)
        expect(r.status, url).toBe(403)
      }
      expect((await call(a.apiKey, 'GET', `/billing/affiliate/payouts`)).body.items).toHaveLength(2)

      // Isolation: B sees nothing of A's.
      expect((await call(b.apiKey, 'GET', '/billing/affiliate/payouts')).body.items).toEqual([])
      expect((await call(b.apiKey, 'GET', '/billing/affiliate/commissions')).body.items).toEqual([])
      expect((await call(b.apiKey, 'GET', '/billing/affiliate/referrals')).body.items).toEqual([])
      expect((await call(b.apiKey, 'GET', '/billing/affiliate')).body.earnings).toEqual({
        pending_minor: 0,
        available_minor: 0,
        requested_minor: 0,
        paid_minor: 0,
      })
      // Another key of A's sees the same (affiliate money is per user, not per key or workspace).
      const ws2 = await createApiKey(h.db, {
        workspaceId: a.workspaceId,
        userId: a.userId,
        name: 'second',
        scopes: ['admin'],
      })
      expect((await call(ws2.key, 'GET', '/billing/affiliate/payouts')).body.items).toHaveLength(2)
      const [u] = await h.db.select({ email: users.email }).from(users).where(eq(users.id, a.userId))
      expect(u?.email).toBe(a.email)
    })

    it('two payout requests at once never spend the same money', async () => {
      const a = await affiliate()
      await bookCommission(h.db, {
        referrerId: a.userId,
        refereeId: randomUUID(),
        amountMinor: 8000,
        now: clock.now(),
      })
      clock.advance(30 * DAY)
      await release()
      const rs = await Promise.all(
        [1, 2, 3].map(() =>
          call(a.apiKey, 'POST', '/billing/affiliate/payouts', { destination: 'x@paypal.test' }),
        ),
      )
      expect(rs.map((r) => r.status).sort()).toEqual([201, 422, 422])
      expect(await balances(a.userId)).toMatchObject({ available: 0n, requested: 8000n })
    })

    full('lists page with cursors, newest first', async () => {
      const a = await affiliate()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        ids.push(
          await bookCommission(h.db, {
            referrerId: a.userId,
            refereeId: randomUUID(),
            amountMinor: 100 + i,
            now: clock.now(),
          }),
        )
        clock.advance(1000)
      }
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const r: { body: Json } = await call(
          a.apiKey,
          'GET',
          `/billing/affiliate/commissions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        )
        seen.push(...r.body.items.map((i: Json) => i.id))
        cursor = r.body.next_cursor
      } while (cursor)
      expect(seen).toEqual([...ids].reverse())
      expect((await call(a.apiKey, 'GET', '/billing/affiliate/commissions?limit=0')).status).toBe(400)
      expect((await call(a.apiKey, 'GET', '/billing/affiliate/commissions?limit=201')).status).toBe(400)
    })
  })
}
