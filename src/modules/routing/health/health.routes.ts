/**
 * Admin API for destination health (mounted under `/api/v1` by the app, behind its auth hook):
 *
 * - `GET  /destinations/:id/health-events?limit=50&before=<ISO time>` — the health history,
 *   newest first: `{ items: HealthEvent[], next_before: string | null }` (`items`, like the other list routes).
 * - `POST /destinations/:id/health-check` — probe now and apply the outcome; returns the
 *   probe result and the resulting state.
 *
 * Both are scoped to `request.auth.workspaceId`: another workspace's destination id is a 404,
 * the same as an id that does not exist (no existence oracle across workspaces).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../../platform/db/client.ts'
import { notFound } from '../../../platform/errors.ts'
import { findHealthTarget, type HealthEventRow, listHealthEvents } from './health.repository.ts'
import type { HealthChecker } from './health.service.ts'

const healthState = z.enum(['unknown', 'healthy', 'unhealthy'])

/** A health event as the API returns it (snake_case, ISO-8601 UTC times, latency in ms). */
export const healthEventResponse = z.object({
  id: z.uuid(),
  destination_id: z.uuid(),
  from_state: healthState,
  to_state: healthState,
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  latency_ms: z.number().int().nullable(),
  created_at: z.string(),
})

/** Result of a manual probe as the API returns it. */
export const healthCheckResultResponse = z.object({
  destination_id: z.uuid(),
  /** The URL that was requested. */
  url: z.string(),
  ok: z.boolean(),
  http_status: z.number().int().nullable(),
  error: z.string().nullable(),
  latency_ms: z.number().int(),
  previous_health: healthState,
  health: healthState,
  /** False when the destination's health check is disabled: the state was left as it was. */
  applied: z.boolean(),
  /** The recorded event when this probe changed the health. */
  event: healthEventResponse.nullable(),
  checked_at: z.string(),
})

const params = z.object({ id: z.uuid() })

function toEventResponse(e: HealthEventRow): z.infer<typeof healthEventResponse> {
  return {
    id: e.id,
    destination_id: e.destinationId,
    from_state: e.fromState,
    to_state: e.toState,
    http_status: e.httpStatus,
    error: e.error,
    latency_ms: e.latencyMs,
    created_at: e.createdAt.toISOString(),
  }
}

/**
 * Fastify plugin with the health routes. Expects the app to have installed the zod
 * validator/serializer compilers, the auth hook that sets `request.auth`, and an error
 * handler that turns `AppError` (404 `not_found`) into `{error:{code,message,details}}`.
 */
export function healthRoutes(deps: { db: Db; checker: HealthChecker }): FastifyPluginAsyncZod {
  const { db, checker } = deps
  return async (app) => {
    app.get(
      '/destinations/:id/health-events',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['destinations'],
          summary: "A destination's health history, newest first",
          params,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(50),
            /** Pagination cursor: only events older than this instant (pass the previous `next_before`). */
            before: z.iso.datetime({ offset: true }).optional(),
          }),
          response: {
            200: z.object({ items: z.array(healthEventResponse), next_before: z.string().nullable() }),
          },
        },
      },
      async (request) => {
        const { workspaceId } = request.auth
        const { id } = request.params
        if (!(await findHealthTarget(db, workspaceId, id))) throw notFound('destination')
        const { limit, before } = request.query
        const rows = await listHealthEvents(db, workspaceId, id, {
          limit,
          ...(before ? { before: new Date(before) } : {}),
        })
        const last = rows.at(-1)
        return {
          items: rows.map(toEventResponse),
          next_before: rows.length === limit && last ? last.createdAt.toISOString() : null,
        }
      },
    )

    app.get(
      '/health-events',
      {
        config: { scope: 'read' },
        schema: {
          tags: ['reports'],
          summary: 'Health-event report: state changes of all destinations of the workspace, newest first',
          querystring: z.object({
            destination_id: z.uuid().optional(),
            /** Only changes into this state (e.g. every outage: `unhealthy`). */
            to_state: z.enum(['healthy', 'unhealthy']).optional(),
            /** Only events at or after this instant. */
            since: z.iso.datetime({ offset: true }).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            before: z.iso.datetime({ offset: true }).optional(),
          }),
          response: {
            200: z.object({ items: z.array(healthEventResponse), next_before: z.string().nullable() }),
          },
        },
      },
      async (request) => {
        const q = request.query
        const rows = await listHealthEvents(db, request.auth.workspaceId, q.destination_id ?? null, {
          limit: q.limit,
          ...(q.before ? { before: new Date(q.before) } : {}),
          ...(q.since ? { since: new Date(q.since) } : {}),
          ...(q.to_state ? { toState: q.to_state } : {}),
        })
        const last = rows.at(-1)
        return {
          items: rows.map(toEventResponse),
          next_before: rows.length === q.limit && last ? last.createdAt.toISOString() : null,
        }
      },
    )

    app.post(
      '/destinations/:id/health-check',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['destinations'],
          summary: 'Probe a destination now and apply the outcome to its health',
          params,
          response: { 200: healthCheckResultResponse },
        },
      },
      async (request) => {
        const report = await checker.checkNow(request.auth.workspaceId, request.params.id)
        if (!report) throw notFound('destination')
        return {
          destination_id: report.destinationId,
          url: report.url,
          ok: report.probe.ok,
          http_status: report.probe.status ?? null,
          error: report.probe.error ?? null,
          latency_ms: Math.round(report.probe.latencyMs),
          previous_health: report.previousHealth,
          health: report.health,
          applied: report.applied,
          event: report.event ? toEventResponse(report.event) : null,
          checked_at: report.checkedAt.toISOString(),
        }
      },
    )
  }
}
