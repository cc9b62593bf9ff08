/** Operator endpoints: `/healthz` (process up), `/readyz` (dependencies), `/metrics` (Prometheus). */
import type { FastifyPluginAsync } from 'fastify'
import type { Metrics } from '../metrics.ts'

/** One dependency `/readyz` reports on. */
export interface ReadinessCheck {
  /** e.g. `postgres`, `clickhouse`, `redis`, `event_log`. */
  name: string
  /**
   * Whether the process is unready (503) while it fails. A traffic node keeps redirecting
   * without Redis (on its leases) or the event log (spooling to disk): visible, not fatal.
   */
  required: boolean
  /** Resolves (optionally with details, e.g. lag) when the dependency answers; rejects otherwise. */
  check: () => Promise<unknown>
}

/** Time each check gets before it counts as failed (ms). */
const CHECK_TIMEOUT_MS = 2_000

/**
 * @param deps.role reported by `/readyz` (the process's `--role`).
 * @param deps.checks run concurrently on every `/readyz`; the answer is
 *   `{status:'ready'|'unavailable', role, checks:{<name>:{ok, required, error?, detail?}}}`, with
 *   503 when a required check failed or took longer than 2 s.
 * @param deps.beforeScrape refreshes gauges just before `/metrics` is rendered.
 */
export function opsRoutes(deps: {
  metrics: Metrics
  role: string
  checks: () => readonly ReadinessCheck[]
  beforeScrape?: () => void
}): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
    app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
      const checks = deps.checks()
      const results = await Promise.all(checks.map((c) => runCheck(c)))
      const ready = results.every((r, i) => r.ok || !checks[i]!.required)
      if (!ready) reply.code(503)
      return {
        status: ready ? 'ready' : 'unavailable',
        role: deps.role,
        checks: Object.fromEntries(
          results.map((r, i) => [checks[i]!.name, { required: checks[i]!.required, ...r }]),
        ),
      }
    })
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      deps.beforeScrape?.()
      reply.type(deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    })
  }
}

async function runCheck(c: ReadinessCheck): Promise<{ ok: boolean; error?: string; detail?: unknown }> {
  let timer: NodeJS.Timeout | undefined
  try {
    const detail = await Promise.race([
      c.check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        )
      }),
    ])
    return detail === undefined ? { ok: true } : { ok: true, detail }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}
