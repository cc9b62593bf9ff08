/** Operator endpoints: `/healthz` (process up), `/readyz` (stores reachable), `/metrics` (Prometheus). */
import type { FastifyPluginAsync } from 'fastify'
import type { Metrics } from '../metrics.ts'

/**
 * @param deps.ready resolves when the stores answer; rejects otherwise (→ 503).
 * @param deps.beforeScrape refreshes gauges just before `/metrics` is rendered.
 */
export function opsRoutes(deps: {
  metrics: Metrics
  ready: () => Promise<void>
  beforeScrape?: () => void
}): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
    app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
      try {
        await deps.ready()
        return { status: 'ready' }
      } catch (err) {
        reply.code(503)
        return { status: 'unavailable', error: (err as Error).message }
      }
    })
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      deps.beforeScrape?.()
      reply.type(deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    })
  }
}
