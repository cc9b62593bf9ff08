/**
 * Admin routes of outbound postbacks, under `/api/v1` behind the API app's auth hook. Every
 * query is scoped to `request.auth.workspaceId`; another workspace's row answers 404.
 *
 * - `GET /outbound-postbacks` — newest first; filters `state` (one or a comma-separated
 *   list; `failed,dead` is the dead-letter list), `source_id`, `conversion_id`; paging;
 * - `GET /outbound-postbacks/:id` — one row with its attempts (oldest first);
 * - `POST /outbound-postbacks/:id/retry` — manual retry of a `failed`/`dead` row (202);
 *   a `pending` row is answered as is (202, idempotent); `delivered` is 409.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { pageResponse } from '../../platform/http/schemas.ts'
import type { Db } from '../../platform/db/client.ts'
import { redactUrl } from './outbound.core.ts'
import {
  type AttemptRow,
  getOutbound,
  listAttempts,
  listOutbound,
  type OutboundRow,
} from './outbound.repository.ts'
import {
  attemptOut,
  type OutboundListQuery,
  outboundIdParams,
  outboundListQuery,
  outboundOut,
} from './outbound.schema.ts'
import { errorBody } from '../../platform/http/schemas.ts'
import type { OutboundPostbacks } from './outbound.service.ts'

/** Dependencies of {@link outboundPostbackRoutes}. */
export interface OutboundRoutesDeps {
  db: Db
  service: Pick<OutboundPostbacks, 'retry'>
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/** API shape of an outbound postback (URL redacted). */
export function outboundJson(r: OutboundRow): z.output<typeof outboundOut> {
  return {
    id: r.id,
    conversion_id: r.conversionId,
    conversion_event_id: r.conversionEventId,
    source_id: r.sourceId,
    status: r.status,
    url: r.url ? redactUrl(r.url) : '',
    state: r.state,
    attempts: r.attempts,
    manual_retries: r.generation,
    next_attempt_at: iso(r.nextAttemptAt),
    last_error: r.lastError,
    last_status_code: r.lastStatusCode,
    delivered_at: iso(r.deliveredAt),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  }
}

function attemptJson(a: AttemptRow): z.output<typeof attemptOut> {
  return {
    round: a.generation,
    attempt: a.attempt,
    url: a.url,
    status_code: a.statusCode,
    outcome: a.outcome,
    error: a.error,
    latency_ms: a.latencyMs,
    created_at: a.createdAt.toISOString(),
  }
}

const err = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody }

/**
 * The outbound postbacks admin API (see file comment). Register under `/api/v1` through
 * `createAdminApi({ plugins: [{ plugin: outboundPostbackRoutes({ db, service }) }] })`.
 */
export function outboundPostbackRoutes(deps: OutboundRoutesDeps): FastifyPluginAsync {
  const { db } = deps
  return async (app) => {
    app.get(
      '/outbound-postbacks',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: 'Outbound postbacks to traffic sources, newest first',
          querystring: outboundListQuery,
          response: {
            200: pageResponse(outboundOut),
            ...err,
          },
        },
      },
      async (req) => {
        const q = req.query as OutboundListQuery
        const p = await listOutbound(db, req.auth.workspaceId, q)
        return { items: p.items.map(outboundJson), total: p.total, limit: q.limit, offset: q.offset }
      },
    )

    app.get(
      '/outbound-postbacks/:id',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['conversions'],
          summary: 'One outbound postback with its delivery attempts',
          params: outboundIdParams,
          response: { 200: outboundOut.extend({ attempt_log: z.array(attemptOut) }), ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const row = await getOutbound(db, req.auth.workspaceId, req.params.id)
        const attempts = await listAttempts(db, req.auth.workspaceId, row.id)
        return { ...outboundJson(row), attempt_log: attempts.map(attemptJson) }
      },
    )

    app.post(
      '/outbound-postbacks/:id/retry',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['conversions'],
          summary: 'Manually retry a failed or dead outbound postback (idempotent while pending)',
          params: outboundIdParams,
          response: { 202: outboundOut, 409: errorBody, ...err },
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
        const row = await deps.service.retry(req.auth.workspaceId, req.params.id)
        return reply.code(202).send(outboundJson(row))
      },
    )
  }
}
