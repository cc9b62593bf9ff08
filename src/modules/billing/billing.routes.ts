/**
 * Billing API under `/api/v1` (module README "API"): quote, balance, orders, transactions (JSON or CSV), the admin
 * payment queue, adjustments and audit log — and, in {@link webhookRoutes}, the public
 * payment webhooks.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { forbidden } from '../../platform/errors.ts'
import { POSTING_TYPES, type PostingType } from './ledger.core.ts'
import type { BillingService } from './payments.service.ts'
import { parseMajorAmount } from './pricing.core.ts'

/** Dependencies of {@link billingRoutes} and {@link webhookRoutes}. */
export interface BillingRoutesDeps {
  service: BillingService
}

const limit = z.coerce.number().int().min(1).max(200).default(50)
const cursor = z.string().min(1).max(200).optional()
/** A major-unit amount with ≤ 2 decimals, as text (query) → minor units. */
const amountText = z
  .string()
  .max(20)
  .transform((v, ctx) => {
    const m = parseMajorAmount(v.trim())
    if (m === undefined || m <= 0) {
      ctx.addIssue({ code: 'custom', message: 'a positive amount with at most two decimals' })
      return z.NEVER
    }
    return m
  })
/** The same as a JSON number (body). */
const amountNumber = z
  .number()
  .positive()
  .max(1e12)
  .transform((v, ctx) => {
    const m = parseMajorAmount(String(v))
    if (m === undefined) {
      ctx.addIssue({ code: 'custom', message: 'at most two decimals' })
      return z.NEVER
    }
    return m
  })
const ORDER_STATUSES = ['pending', 'paid', 'expired', 'cancelled', 'refunded', 'disputed'] as const
const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

/** CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is neutralised (spreadsheet formulas). */
function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** Authenticated billing routes (mount under `/api/v1`). */
export function billingRoutes(deps: BillingRoutesDeps): FastifyPluginAsync {
  const { service } = deps
  return async (app0) => {
    const app = app0.withTypeProvider<ZodTypeProvider>()

    app.get(
      '/billing/quote',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['billing'],
          summary: 'Price quote: visits an amount buys on the configured curve',
          querystring: z.object({ amount: amountText }),
        },
      },
      async (req) => service.quote(req.query.amount),
    )

    app.get(
      '/billing/balance',
      {
        config: { scope: 'admin' },
        schema: { tags: ['billing'], summary: "The workspace's visits and the caller's affiliate money" },
      },
      async (req) => service.balance(req.auth.workspaceId, req.auth.userId),
    )

    app.post(
      '/billing/orders',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['billing'],
          summary: 'Place an order: locks the quote and answers the payment reference and links',
          body: z.strictObject({ amount: amountNumber }),
        },
      },
      async (req, reply) =>
        reply.code(201).send(
          await service.createOrder({
            workspaceId: req.auth.workspaceId,
            userId: req.auth.userId,
            amountMinor: req.body.amount,
          }),
        ),
    )

    app.get(
      '/billing/orders',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['billing'],
          summary: "The workspace's orders, newest first",
          querystring: z.object({ status: z.enum(ORDER_STATUSES).optional(), limit, cursor }),
        },
      },
      async (req) => service.listOrders(req.auth.workspaceId, req.query),
    )

    app.get(
      '/billing/orders/:id',
      {
        config: { scope: 'admin' },
        schema: { tags: ['billing'], summary: 'One order', params: z.object({ id: z.uuid() }) },
      },
      async (req) => service.getOrder(req.auth.workspaceId, req.params.id),
    )

    app.post(
      '/billing/orders/:id/cancel',
      {
        config: { scope: 'admin' },
        schema: { tags: ['billing'], summary: 'Cancel a pending order', params: z.object({ id: z.uuid() }) },
      },
      async (req) => service.cancelOrder(req.auth.workspaceId, req.params.id, req.auth.userId),
    )

    app.get(
      '/billing/transactions',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['billing'],
          summary:
            "Ledger postings that touched the workspace's accounts, newest first (`format=csv` for CSV)",
          querystring: z.object({
            type: z
              .string()
              .max(300)
              .transform((v, ctx) => {
                const list = v.split(',').filter(Boolean)
                const bad = list.filter((t) => !(POSTING_TYPES as readonly string[]).includes(t))
                if (bad.length) {
                  ctx.addIssue({ code: 'custom', message: `unknown type ${bad[0]}` })
                  return z.NEVER
                }
                return list as PostingType[]
              })
              .optional(),
            from: isoDate.optional(),
            to: isoDate.optional(),
            limit,
            cursor,
            format: z.enum(['json', 'csv']).default('json'),
          }),
        },
      },
      async (req, reply) => {
        const q = req.query
        const page = await service.transactions(req.auth.workspaceId, {
          ...(q.type?.length ? { types: q.type } : {}),
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          limit: q.limit,
          cursor: q.cursor,
        })
        if (q.format !== 'csv') return page
        const lines = [
          'id,type,created_at,reference,description,visits_delta,changes',
          ...page.items.map((t) =>
            [
              t.id,
              t.type,
              t.created_at,
              t.reference,
              t.description,
              t.visits_delta,
              t.changes.map((c) => `${c.account}:${c.asset}:${c.delta}`).join(' '),
            ]
              .map(csvField)
              .join(','),
          ),
        ]
        if (page.next_cursor) reply.header('x-next-cursor', page.next_cursor)
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="transactions.csv"')
          .send(`${lines.join('\r\n')}\r\n`)
      },
    )

    // Admin routes: encapsulated, so the role check applies to them only.
    await app.register(async (admin0) => {
      const admin = admin0.withTypeProvider<ZodTypeProvider>()
      admin.addHook('preValidation', async (req) => {
        if (req.auth.role !== 'admin') throw forbidden('admin role required')
      })

      admin.get(
        '/billing/admin/payments',
        {
          config: { scope: 'admin' },
          schema: {
            tags: ['billing', 'admin'],
            summary: 'Payment webhook events (status=unmatched: the queue to assign) — admin only',
            querystring: z.object({
              status: z
                .enum(['received', 'applied', 'ignored', 'unmatched', 'deferred', 'rejected'])
                .optional(),
              limit,
              cursor,
            }),
          },
        },
        async (req) => service.adminPayments(req.query),
      )

      admin.post(
        '/billing/admin/payments/:id/assign',
        {
          config: { scope: 'admin' },
          schema: {
            tags: ['billing', 'admin'],
            summary:
              'Assign an unmatched payment to an order or a workspace member (credits it) — admin only',
            params: z.object({ id: z.uuid() }),
            body: z.union([
              z.strictObject({ order_id: z.uuid(), reason: z.string().trim().min(3).max(500).optional() }),
              z.strictObject({
                workspace_id: z.uuid(),
                user_id: z.uuid(),
                reason: z.string().trim().min(3).max(500).optional(),
              }),
            ]),
          },
        },
        async (req) => {
          const b = req.body
          const target =
            'order_id' in b ? { orderId: b.order_id } : { workspaceId: b.workspace_id, userId: b.user_id }
          return service.assignPayment(req.auth.userId, req.params.id, target, b.reason)
        },
      )

      admin.post(
        '/billing/admin/adjustments',
        {
          config: { scope: 'admin' },
          schema: {
            tags: ['billing', 'admin'],
            summary: "Add or remove a workspace's visit credits, with a reason — admin only",
            body: z.strictObject({
              workspace_id: z.uuid(),
              visits: z
                .number()
                .int()
                .min(-1_000_000_000_000)
                .max(1_000_000_000_000)
                .refine((v) => v !== 0, 'must not be 0'),
              reason: z.string().trim().min(3).max(500),
            }),
          },
        },
        async (req, reply) =>
          reply.code(201).send(
            await service.adjust(req.auth.userId, {
              workspaceId: req.body.workspace_id,
              visits: req.body.visits,
              reason: req.body.reason,
            }),
          ),
      )

      admin.get(
        '/billing/admin/audit',
        {
          config: { scope: 'admin' },
          schema: {
            tags: ['billing', 'admin'],
            summary: 'Billing audit log, newest first — admin only',
            querystring: z.object({ workspace_id: z.uuid().optional(), limit, cursor }),
          },
        },
        async (req) =>
          service.auditLog({
            workspaceId: req.query.workspace_id,
            limit: req.query.limit,
            cursor: req.query.cursor,
          }),
      )
    })
  }
}

/** Max webhook body, bytes (256 KiB; Stripe events are well below). */
export const WEBHOOK_BODY_LIMIT = 256 * 1024

/**
 * Public `POST /webhooks/:provider` (mount under `/api/v1`). Encapsulated: every body is read
 * as a string whatever its content type, because signatures cover the exact bytes sent.
 */
export function webhookRoutes(deps: BillingRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    )
    app.post(
      '/webhooks/:provider',
      {
        config: { public: true },
        logLevel: 'warn',
        bodyLimit: WEBHOOK_BODY_LIMIT,
        schema: {
          tags: ['billing'],
          summary: 'Payment provider webhook (public; verified by the provider signature)',
          description:
            'provider: stripe (Stripe-Signature), revolut (Revolut-Signature + Revolut-Request-Timestamp), ' +
            'wise (X-Signature-SHA256). 200 recorded (and applied); 400 missing signature or malformed; ' +
            '401 bad signature or stale; 404 unknown provider.',
          security: [],
        },
      },
      async (req, reply) => {
        const { provider } = req.params as { provider: string }
        const raw = typeof req.body === 'string' ? req.body : ''
        const r = await deps.service.receiveWebhook(provider, raw, req.headers)
        return reply
          .code(r.status)
          .header('cache-control', 'no-store')
          .type('application/json; charset=utf-8')
          .send(JSON.stringify(r.body))
      },
    )
  }
}
