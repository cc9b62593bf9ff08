/**
 * HTTP routes of the affiliate program (module README "API"):
 * - {@link affiliateRoutes}, under `/api/v1` behind the auth guard: the caller's own
 *   affiliate summary, referrals, commissions and payouts (scoped by `req.auth.userId`:
 *   affiliate money is a user's, not a workspace's), and the admins' payout queue (list,
 *   CSV, paid, reject) and referral review (`/billing/admin/*`, global role `admin`, else 403);
 * - {@link referralRoutes}, public at the app root: `GET /r/:code` sets the first-party
 *   `tf_ref` cookie (first touch wins) and redirects to `/signup`.
 * Lists are `{ items, next_cursor }` with `?limit=` (1..200, default 50) and `?cursor=`.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { AppConfig } from '../../config.ts'
import { type Clock, systemClock } from '../../platform/clock.ts'
import type { Db } from '../../platform/db/client.ts'
import { badRequest, forbidden } from '../../platform/errors.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import { userEmailsByIds } from '../accounts/index.ts'
import type { LedgerRepository } from './ledger.repository.ts'
import {
  CODE_PATTERN,
  type Cursor,
  decodeCursor,
  encodeCursor,
  firstTouch,
  formatRefCookie,
  maskEmail,
  minorToMajor,
  parseRefCookie,
  REF_COOKIE,
  toCsv,
} from './referrals.core.ts'
import {
  findAffiliateByCode,
  listCommissions,
  listPayouts,
  listReferrals,
  listReferralsForAdmin,
  type PayoutRow,
  referralCounts,
} from './referrals.repository.ts'
import {
  affiliateEarnings,
  DEFAULT_CURRENCY,
  decidePayoutRequest,
  ensureAffiliate,
  requestPayout,
} from './referrals.service.ts'

/** Dependencies of {@link affiliateRoutes}. */
export interface AffiliateRoutesDeps {
  db: Db
  /** The server's ledger repository (`billing.ledger`): one account cache and group-commit queue. */
  ledger: LedgerRepository
  config: Pick<AppConfig, 'publicUrl' | 'AFFILIATE_MIN_PAYOUT_MINOR'>
  clock?: Clock
  /** The billing currency (ISO 4217); default EUR. */
  currency?: string
  /** Days a commission is held before it becomes available (shown; the payments side books it); default 30. */
  holdDays?: number
  /** Commission share of a referred user's payments (shown); default 0.2 (the "20 % lifetime commission", module README "Affiliates"). */
  commissionRate?: number
}

/** CSV rows exported at most per request (the payout queue is small; a bigger one is paged as JSON). */
const CSV_MAX_ROWS = 10_000

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('1..200, default 50'),
  cursor: z.string().max(200).optional().describe('`next_cursor` of the previous page'),
})

const cursorOf = (s: string | undefined): Cursor | undefined => {
  if (s === undefined) return undefined
  const c = decodeCursor(s)
  if (!c)
    throw badRequest('invalid querystring: cursor: not a cursor of this list', [
      { path: 'cursor', message: 'not a cursor of this list' },
    ])
  return c
}

/** `{ items, next_cursor }` from `limit + 1` rows. */
function page<R, T>(rows: R[], limit: number, key: (r: R) => Cursor, map: (r: R) => T) {
  const more = rows.length > limit
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items: items.map(map), next_cursor: more && last ? encodeCursor(key(last)) : null }
}

const listOut = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() })

const earningsOut = z.object({
  pending_minor: z.number().describe('in the hold (not yet payable)'),
  available_minor: z.number().describe('payable; negative = a debt from a commission reversed after payout'),
  requested_minor: z.number().describe('in payout requests awaiting an admin'),
  paid_minor: z.number().describe('paid out so far'),
})

const summaryOut = z.object({
  code: z.string(),
  link: z.string().describe('PUBLIC_URL + /r/ + code'),
  commission_rate: z.number(),
  hold_days: z.number(),
  min_payout_minor: z.number(),
  currency: z.string(),
  signups: z.number().describe('users who signed up through the link'),
  paying_referrals: z.number().describe('of them, users with at least one commission not reversed'),
  earnings: earningsOut,
})

const referralOut = z.object({
  email_masked: z.string(),
  joined_at: z.string(),
  paying: z.boolean(),
  earned_minor: z.number().describe('Σ commissions not reversed'),
  flagged: z.boolean().describe('under review (e.g. same sign-up IP as yours)'),
})

const commissionOut = z.object({
  id: z.uuid(),
  amount_minor: z.number(),
  currency: z.string(),
  status: z.enum(['pending', 'available', 'reversed']),
  available_at: z.string(),
  created_at: z.string(),
})

const payoutOut = z.object({
  id: z.uuid(),
  amount_minor: z.number(),
  currency: z.string(),
  status: z.enum(['requested', 'paid', 'rejected']),
  destination: z.string(),
  paid_reference: z.string().nullable(),
  note: z.string().nullable().describe('why it was rejected'),
  requested_at: z.string(),
  decided_at: z.string().nullable(),
})

const adminPayoutOut = payoutOut.extend({
  user_id: z.uuid(),
  user_email: z.string().nullable(),
  decided_by: z.uuid().nullable(),
})

const adminReferralOut = z.object({
  user_id: z.uuid(),
  email: z.string().nullable(),
  referred_by: z.uuid(),
  referrer_email: z.string().nullable(),
  referred_at: z.string(),
  signup_ip: z.string().nullable(),
  flag: z.string().nullable(),
})

/** Printable text without control characters (a destination is shown to admins and exported). */
const printable = (min: number, max: number) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')

const payoutBody = z.strictObject({
  destination: printable(3, 200).describe('where to pay: IBAN, PayPal address, …'),
  amount_minor: z
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('default: everything available'),
})

const payoutJson = (p: PayoutRow) => ({
  id: p.id,
  amount_minor: p.amountMinor,
  currency: p.currency,
  status: p.status as 'requested' | 'paid' | 'rejected',
  destination: p.destination,
  paid_reference: p.paidReference,
  note: p.note,
  requested_at: p.createdAt.toISOString(),
  decided_at: p.decidedAt?.toISOString() ?? null,
})

/**
 * The affiliate routes (see the file comment). Errors: 400 `validation_failed` (naming the
 * field), 403 on admin routes for non-admins, 404 unknown payout, 409 a payout already
 * decided, 422 `below_minimum` / `insufficient_funds` for a payout request.
 */
export function affiliateRoutes(deps: AffiliateRoutesDeps): FastifyPluginAsync {
  const { db } = deps
  const clock = deps.clock ?? systemClock
  const currency = deps.currency ?? DEFAULT_CURRENCY
  const minPayout = deps.config.AFFILIATE_MIN_PAYOUT_MINOR
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/billing/affiliate',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates'],
          summary: 'Your affiliate code, link, terms, referral counts and earnings (created on first call)',
          response: { 200: summaryOut },
        },
      },
      async (req) => {
        const userId = req.auth.userId
        const row = await ensureAffiliate(db, userId, clock.now())
        const [counts, e] = await Promise.all([
          referralCounts(db, userId),
          affiliateEarnings(deps.ledger, userId, currency),
        ])
        return {
          code: row.code,
          link: `${deps.config.publicUrl}/r/${row.code}`,
          commission_rate: deps.commissionRate ?? 0.2,
          hold_days: deps.holdDays ?? 30,
          min_payout_minor: minPayout,
          currency,
          signups: counts.signups,
          paying_referrals: counts.paying,
          earnings: {
            pending_minor: e.pendingMinor,
            available_minor: e.availableMinor,
            requested_minor: e.requestedMinor,
            paid_minor: e.paidMinor,
          },
        }
      },
    )

    app.get(
      '/billing/affiliate/referrals',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates'],
          summary: 'Users who signed up through your link, newest first (emails masked)',
          querystring: listQuery,
          response: { 200: listOut(referralOut), 400: errorBody },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await listReferrals(db, { referrerId: req.auth.userId, limit, before: cursorOf(cursor) })
        const emails = await userEmailsByIds(
          db,
          rows.map((r) => r.userId),
        )
        return page(
          rows,
          limit,
          (r) => ({ at: r.referredAt, id: r.userId }),
          (r) => ({
            email_masked: maskEmail(emails.get(r.userId) ?? ''),
            joined_at: r.referredAt.toISOString(),
            paying: r.earnedMinor > 0,
            earned_minor: r.earnedMinor,
            flagged: r.flag !== null,
          }),
        )
      },
    )

    app.get(
      '/billing/affiliate/commissions',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates'],
          summary: 'Your commissions, newest first',
          querystring: listQuery,
          response: { 200: listOut(commissionOut), 400: errorBody },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await listCommissions(db, {
          referrerId: req.auth.userId,
          limit,
          before: cursorOf(cursor),
        })
        return page(
          rows,
          limit,
          (r) => ({ at: r.createdAt, id: r.id }),
          (r) => ({
            id: r.id,
            amount_minor: r.amountMinor,
            currency: r.currency,
            status: r.status as 'pending' | 'available' | 'reversed',
            available_at: r.availableAt.toISOString(),
            created_at: r.createdAt.toISOString(),
          }),
        )
      },
    )

    app.get(
      '/billing/affiliate/payouts',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates'],
          summary: 'Your payout requests, newest first',
          querystring: listQuery,
          response: { 200: listOut(payoutOut), 400: errorBody },
        },
      },
      async (req) => {
        const { limit, cursor } = req.query
        const rows = await listPayouts(db, { userId: req.auth.userId, limit, before: cursorOf(cursor) })
        return page(rows, limit, (r) => ({ at: r.createdAt, id: r.id }), payoutJson)
      },
    )

    app.post(
      '/billing/affiliate/payouts',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates'],
          summary: 'Request a payout of available earnings (default: all of them)',
          description: `422 below_minimum under the minimum payout (AFFILIATE_MIN_PAYOUT_MINOR), 422 insufficient_funds above what is available.`,
          body: payoutBody,
          response: { 201: payoutOut, 400: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const p = await requestPayout(
          { db, ledger: deps.ledger, clock },
          {
            userId: req.auth.userId,
            destination: req.body.destination,
            amountMinor: req.body.amount_minor,
            currency,
            minMinor: minPayout,
          },
        )
        return reply.code(201).send(payoutJson(p))
      },
    )

    await app.register(adminAffiliateRoutes({ db, ledger: deps.ledger, clock }))
  }
}

/** `/billing/admin/payouts*` and `/billing/admin/referrals` (global role `admin` only). */
function adminAffiliateRoutes(deps: { db: Db; ledger: LedgerRepository; clock: Clock }): FastifyPluginAsync {
  const { db, clock } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()
    // After the API's auth hook has set req.auth, before validation; this plugin's routes only.
    app.addHook('preValidation', async (req) => {
      if (req.auth.role !== 'admin') throw forbidden('admin role required')
    })

    const adminPayoutJson = (p: PayoutRow, emails: Map<string, string>) => ({
      ...payoutJson(p),
      user_id: p.userId,
      user_email: emails.get(p.userId) ?? null,
      decided_by: p.decidedBy,
    })

    app.get(
      '/billing/admin/payouts',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates', 'admin'],
          summary:
            'Payout requests of every affiliate, newest first; `format=csv`: the queue to pay, oldest first (admin only)',
          description:
            'CSV columns: payout_id, requested_at, user_email, amount (major units, 2 decimals), currency, destination, status. ' +
            `At most ${CSV_MAX_ROWS} rows.`,
          querystring: listQuery.extend({
            status: z.enum(['requested', 'paid', 'rejected']).optional(),
            format: z.enum(['json', 'csv']).default('json'),
          }),
          response: { 200: listOut(adminPayoutOut), 400: errorBody, 403: errorBody },
        },
      },
      async (req, reply) => {
        const { limit, cursor, status, format } = req.query
        if (format === 'csv') {
          const rows = await listPayouts(db, { status, limit: CSV_MAX_ROWS, order: 'asc' })
          const emails = await userEmailsByIds(
            db,
            rows.map((r) => r.userId),
          )
          const csv = toCsv(
            ['payout_id', 'requested_at', 'user_email', 'amount', 'currency', 'destination', 'status'],
            rows.map((r) => [
              r.id,
              r.createdAt.toISOString(),
              emails.get(r.userId) ?? '',
              minorToMajor(r.amountMinor),
              r.currency,
              r.destination,
              r.status,
            ]),
          )
          // A text body: Fastify sends it as is (the JSON response schema is not applied).
          return (reply as unknown as FastifyReply)
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="traffoflex-payouts-${status ?? 'all'}.csv"`)
            .send(csv)
        }
        const rows = await listPayouts(db, { status, limit, before: cursorOf(cursor) })
        const emails = await userEmailsByIds(
          db,
          rows.map((r) => r.userId),
        )
        return page(
          rows,
          limit,
          (r) => ({ at: r.createdAt, id: r.id }),
          (r) => adminPayoutJson(r, emails),
        )
      },
    )

    app.post(
      '/billing/admin/payouts/:id/paid',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates', 'admin'],
          summary: 'Mark a requested payout paid, with the transfer reference (admin only; audited)',
          params: z.object({ id: z.uuid() }),
          body: z.strictObject({ reference: printable(1, 200).describe('bank/PayPal transfer reference') }),
          response: { 200: adminPayoutOut, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        const p = await decidePayoutRequest(
          { db, ledger: deps.ledger, clock },
          {
            payoutId: req.params.id,
            actorUserId: req.auth.userId,
            decision: 'paid',
            reference: req.body.reference,
          },
        )
        return adminPayoutJson(p, await userEmailsByIds(db, [p.userId]))
      },
    )

    app.post(
      '/billing/admin/payouts/:id/reject',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates', 'admin'],
          summary: 'Reject a requested payout; its money is available again (admin only; audited)',
          params: z.object({ id: z.uuid() }),
          body: z.strictObject({ reason: printable(3, 500) }),
          response: { 200: adminPayoutOut, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (req) => {
        const p = await decidePayoutRequest(
          { db, ledger: deps.ledger, clock },
          {
            payoutId: req.params.id,
            actorUserId: req.auth.userId,
            decision: 'rejected',
            reason: req.body.reason,
          },
        )
        return adminPayoutJson(p, await userEmailsByIds(db, [p.userId]))
      },
    )

    app.get(
      '/billing/admin/referrals',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['affiliates', 'admin'],
          summary: 'Referrals, newest first; `flagged=true`: those flagged for review (admin only)',
          querystring: listQuery.extend({ flagged: z.enum(['true', 'false']).optional() }),
          response: { 200: listOut(adminReferralOut), 400: errorBody, 403: errorBody },
        },
      },
      async (req) => {
        const { limit, cursor, flagged } = req.query
        const rows = await listReferralsForAdmin(db, {
          flagged: flagged === undefined ? undefined : flagged === 'true',
          limit,
          before: cursorOf(cursor),
        })
        const emails = await userEmailsByIds(
          db,
          rows.flatMap((r) => [r.userId, r.referredBy as string]),
        )
        return page(
          rows,
          limit,
          (r) => ({ at: r.referredAt as Date, id: r.userId }),
          (r) => ({
            user_id: r.userId,
            email: emails.get(r.userId) ?? null,
            referred_by: r.referredBy as string,
            referrer_email: emails.get(r.referredBy as string) ?? null,
            referred_at: (r.referredAt as Date).toISOString(),
            signup_ip: r.signupIp,
            flag: r.flag,
          }),
        )
      },
    )
  }
}

/** Dependencies of {@link referralRoutes}. */
export interface ReferralRoutesDeps {
  db: Db
  config: Pick<AppConfig, 'AFFILIATE_COOKIE_DAYS' | 'COOKIE_SECURE'>
  clock?: Clock
}

/**
 * `GET /r/:code` (public, at the app root like the sample landing): when the code is an
 * affiliate's, sets the first-party cookie `tf_ref` (HttpOnly, SameSite=Lax, Path=/, Max-Age
 * = `AFFILIATE_COOKIE_DAYS`, Secure per `COOKIE_SECURE`) unless a valid one is already set
 * (first touch wins); then 302 to `/signup` — for unknown or malformed codes too, so a
 * mistyped link still lands somewhere useful and the answer does not tell which codes exist
 * beyond the cookie.
 */
export function referralRoutes(deps: ReferralRoutesDeps): FastifyPluginAsync {
  const clock = deps.clock ?? systemClock
  const days = deps.config.AFFILIATE_COOKIE_DAYS
  return async (app) => {
    app.get('/r/:code', async (req, reply) => {
      const raw = (req.params as { code?: unknown }).code
      const code = typeof raw === 'string' ? raw.toLowerCase() : ''
      reply.header('cache-control', 'no-store')
      if (CODE_PATTERN.test(code) && (await findAffiliateByCode(deps.db, code))) {
        const existing = req.cookies[REF_COOKIE]
        const old = parseRefCookie(existing)
        const existingKnown =
          old !== undefined &&
          (old.code === code || (await findAffiliateByCode(deps.db, old.code)) !== undefined)
        const set = firstTouch({ existing, existingKnown, clicked: code, now: clock.now(), windowDays: days })
        if (set)
          reply.setCookie(REF_COOKIE, formatRefCookie(set), {
            httpOnly: true,
            sameSite: 'lax',
            secure: deps.config.COOKIE_SECURE,
            path: '/',
            maxAge: days * 86_400,
          })
      }
      return reply.redirect('/signup', 302)
    })
  }
}
