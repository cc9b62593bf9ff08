/**
 * `POST /api/v1/campaigns/:id/preview` — route preview: runs the router for a described
 * request and returns the decision trace, recording nothing (no click, no counters).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { isIP } from 'node:net'
import { z } from 'zod'
import type { Db } from '../../../platform/db/client.ts'
import { notFound } from '../../../platform/errors.ts'
import type { RoutingRuntime } from '../hotpath/runtime.ts'
import type { RouteTrace } from '../routing.types.ts'

export const previewBody = z.object({
  ip: z.string().refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address'),
  user_agent: z.string().max(2000).default(''),
  /** Query parameters of the simulated campaign link (sub1, utm_source, …). */
  query: z.record(z.string().max(100), z.string().max(1000)).default({}),
  referrer: z.string().max(2000).optional(),
  accept_language: z.string().max(200).optional(),
  /** ISO 8601 instant to evaluate schedules and caps at; default now. */
  time: z.iso.datetime({ offset: true }).optional(),
})

/** Converts the camelCase trace to the API's snake_case. */
export function snakeTrace(t: RouteTrace) {
  return {
    streams: t.streams.map((s) => ({
      stream_id: s.streamId,
      name: s.name,
      kind: s.kind,
      matched: s.matched,
      ...(s.failed !== undefined ? { failed: s.failed } : {}),
      ...(s.destinations
        ? {
            destinations: s.destinations.map((d) => ({
              destination_id: d.destinationId,
              name: d.name,
              kept: d.kept,
              ...(d.reason ? { reason: d.reason } : {}),
            })),
          }
        : {}),
    })),
    picked: t.picked
      ? {
          stream_id: t.picked.streamId,
          destination_id: t.picked.destinationId,
          strategy: t.picked.strategy,
          url: t.picked.url,
          lander_id: t.picked.landerId ?? null,
        }
      : null,
    trafficback: t.trafficback ?? null,
  }
}

/** Preview route plugin (mounted under /api/v1 behind auth). */
export function previewRoutes(deps: { db: Db; runtime: RoutingRuntime }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/campaigns/:id/preview',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['campaigns'],
          summary: 'Route preview: the decision trace for a described request, nothing recorded',
          params: z.object({ id: z.uuid() }),
          body: previewBody,
        },
      },
      async (req) => {
        // A campaign saved a moment ago must be previewable: catch the snapshot up first.
        await deps.runtime.snapshots.refresh()
        const b = req.body
        const at = b.time ? new Date(b.time) : deps.runtime.clock.now()
        const out = deps.runtime.preview(
          req.auth.workspaceId,
          req.params.id,
          {
            ip: b.ip,
            userAgent: b.user_agent,
            query: b.query,
            referrer: b.referrer,
            acceptLanguage: b.accept_language,
          },
          at,
        )
        if (!out) throw notFound('campaign')
        const { decision, context: ctx } = out
        return {
          campaign_id: req.params.id,
          time: at.toISOString(),
          context: {
            ip: ctx.ip,
            country: ctx.country,
            language: ctx.language,
            device: ctx.device,
            os: ctx.os,
            browser: ctx.browser,
            is_bot: ctx.isBot,
          },
          outcome: decision.kind,
          url: decision.kind === 'redirect' ? decision.url : null,
          stream_id: decision.kind === 'redirect' ? decision.streamId : null,
          destination_id: decision.kind === 'redirect' ? decision.destinationId : null,
          /** The lander the visitor would see first (then `destination_id` is ""); null = straight to the offer. */
          lander_id: decision.kind === 'redirect' ? (decision.landerId ?? null) : null,
          trafficback:
            decision.kind === 'trafficback' ? { reason: decision.reason, target: decision.target } : null,
          trace: snakeTrace(decision.trace),
        }
      },
    )
  }
}
