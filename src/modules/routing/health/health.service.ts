/**
 * The health checker (imperative shell around `health.core.ts`): finds due destinations,
 * probes them through the SSRF guard with bounded concurrency, feeds outcomes to
 * {@link nextHealth} and persists probe times and state changes.
 *
 * Consecutive-outcome counters live in memory per destination and start from the persisted
 * health (both runs at 0) after a restart or when another process changed the stored health.
 * Running the checker in several processes at once is safe for the stored state (changes are
 * conditional on the previous state) but probes each destination once per process.
 */
import { performance } from 'node:perf_hooks'
import type { Clock } from '../../../platform/clock.ts'
import { systemActor, withChangeActor } from '../../../platform/changelog/index.ts'
import type { Db } from '../../../platform/db/client.ts'
import type { Logger } from '../../../platform/logger.ts'
import { FetchTimeoutError, guardedFetch, SsrfBlockedError } from '../../../platform/net/ssrf.ts'
import { type HealthCheck, healthCheckSchema } from '../routing.schema.ts'
import {
  type Health,
  type HealthState,
  initialHealthState,
  isDue,
  judgeStatus,
  nextHealth,
  type ProbeOutcome,
  probeUrlFor,
} from './health.core.ts'
import {
  findHealthTarget,
  type HealthEventRow,
  type HealthTarget,
  listEnabledHealthTargets,
  recordHealthChange,
  saveProbeTime,
} from './health.repository.ts'

/** Dependencies of {@link createHealthChecker}. */
export interface HealthCheckerDeps {
  db: Db
  /** Decides due-ness and stamps `health_checked_at` / event times. Latency uses the monotonic wall clock. */
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  /** HEALTHCHECK_ALLOW_PRIVATE: let probes reach private/loopback/link-local addresses. */
  allowPrivate: boolean
  /** Probes in flight at once, default 8. */
  concurrency?: number
}

/** What one probe did: returned by {@link HealthChecker.checkNow}. */
export interface ProbeReport {
  destinationId: string
  workspaceId: string
  /** The URL that was requested. */
  url: string
  probe: ProbeOutcome
  /** Health before and after this probe. */
  previousHealth: Health
  health: Health
  /**
   * False when the destination's health check is disabled: the probe ran with the stored (or
   * default) settings but its outcome did not touch the stored state, since the scheduler would
   * never probe again to undo it.
   */
  applied: boolean
  /** The recorded health event when this probe changed the state. */
  event?: HealthEventRow
  /** When the probe finished (clock time). */
  checkedAt: Date
}

/** A running health checker; see {@link createHealthChecker}. */
export interface HealthChecker {
  /**
   * Probes every due destination (all workspaces) and persists the results. Never rejects:
   * errors are logged. Concurrent calls share the tick already in progress.
   */
  tick(): Promise<void>
  /**
   * Probes one destination of `workspaceId` now, regardless of its schedule, and applies the
   * outcome like a scheduled probe (unless its check is disabled, see {@link ProbeReport.applied}).
   * @returns the report, or null when the destination does not exist in that workspace.
   * @throws database errors (the caller is an API route, which reports them).
   */
  checkNow(workspaceId: string, destinationId: string): Promise<ProbeReport | null>
  /** Runs `tick()` now and then every `intervalMs` milliseconds (default 5000) until `stop()`. No-op if started. */
  start(intervalMs?: number): void
  /** Stops the schedule, aborts in-flight probes (their outcomes are discarded, not counted) and waits for the tick to end. */
  stop(): Promise<void>
}

const USER_AGENT = 'traffoflex-healthcheck/1'

/**
 * Creates the destination health checker. Nothing runs until `start()`, `tick()` or `checkNow()`.
 */
export function createHealthChecker(deps: HealthCheckerDeps): HealthChecker {
  const { db, clock, logger, allowPrivate } = deps
  const concurrency = Math.max(1, deps.concurrency ?? 8)
  const memory = new Map<string, HealthState>()
  // Serialises work per destination so a manual check and a scheduled one cannot interleave
  // their read-modify-write of the counters.
  const locks = new Map<string, Promise<unknown>>()
  let stopping = new AbortController()
  let current: Promise<void> | null = null
  let timer: NodeJS.Timeout | null = null

  function exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(id) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    const settled = next.then(
      () => undefined,
      () => undefined,
    )
    locks.set(id, settled)
    void settled.then(() => {
      if (locks.get(id) === settled) locks.delete(id)
    })
    return next
  }

  async function probe(url: string, check: HealthCheck, signal: AbortSignal): Promise<ProbeOutcome> {
    const t0 = performance.now()
    const elapsed = () => Math.round(performance.now() - t0)
    try {
      const res = await guardedFetch(url, {
        method: check.method,
        headers: { 'user-agent': USER_AGENT, accept: '*/*' },
        timeoutMs: check.timeout_ms,
        allowPrivate,
        // Only the status matters; hang up as soon as the headers are in.
        maxBodyBytes: 0,
        signal,
      })
      return judgeStatus(res.status, res.latencyMs, check)
    } catch (err) {
      return { ok: false, latencyMs: elapsed(), error: describeFailure(err) }
    }
  }

  /** Probes `target` with `check` and, when `apply`, runs the state machine and persists. Null when aborted by stop(). */
  async function probeAndApply(
    target: HealthTarget,
    check: HealthCheck,
    apply: boolean,
  ): Promise<ProbeReport | null> {
    const signal = stopping.signal
    const url = probeUrlFor(target.url, check)
    const outcome = await probe(url, check, signal)
    if (signal.aborted) return null
    const checkedAt = clock.now()
    const base = { destinationId: target.id, workspaceId: target.workspaceId, url, probe: outcome, checkedAt }
    if (!apply) {
      return { ...base, previousHealth: target.health, health: target.health, applied: false }
    }
    let state = memory.get(target.id)
    // Start over from the stored health when we have no memory or someone else changed it.
    if (!state || state.health !== target.health) state = initialHealthState(target.health)
    const step = nextHealth(state, outcome, check)
    let event: HealthEventRow | undefined
    if (step.event) {
      event = await recordHealthChange(db, {
        workspaceId: target.workspaceId,
        destinationId: target.id,
        from: step.event.from,
        to: step.event.to,
        checkedAt,
        httpStatus: outcome.status,
        error: outcome.error,
        latencyMs: outcome.latencyMs,
      })
      if (!event) {
        // The stored health moved under us: forget our counters, re-read next time.
        memory.delete(target.id)
        await saveProbeTime(db, target.id, checkedAt)
        return { ...base, previousHealth: target.health, health: target.health, applied: true }
      }
      logger.info(
        {
          destinationId: target.id,
          workspaceId: target.workspaceId,
          from: step.event.from,
          to: step.event.to,
          probe: outcome,
        },
        'destination health changed',
      )
    } else {
      await saveProbeTime(db, target.id, checkedAt)
    }
    memory.set(target.id, step.state)
    return {
      ...base,
      previousHealth: state.health,
      health: step.state.health,
      applied: true,
      ...(event ? { event } : {}),
    }
  }

  async function runTick(): Promise<void> {
    let targets: HealthTarget[]
    try {
      targets = await listEnabledHealthTargets(db)
    } catch (err) {
      logger.error({ err }, 'health check: loading destinations failed')
      return
    }
    const seen = new Set(targets.map((t) => t.id))
    for (const id of memory.keys()) if (!seen.has(id)) memory.delete(id) // disabled or deleted
    const now = clock.now()
    const due: { target: HealthTarget; check: HealthCheck }[] = []
    for (const target of targets) {
      const parsed = healthCheckSchema.safeParse(target.healthCheck)
      if (!parsed.success) {
        logger.warn(
          { destinationId: target.id, issues: parsed.error.issues },
          'health check: invalid settings, skipped',
        )
        continue
      }
      if (isDue(target.healthCheckedAt, parsed.data.interval_seconds, now))
        due.push({ target, check: parsed.data })
    }
    let next = 0
    const worker = async () => {
      while (next < due.length && !stopping.signal.aborted) {
        const item = due[next++]!
        try {
          await exclusive(item.target.id, () => probeAndApply(item.target, item.check, true))
        } catch (err) {
          logger.error({ err, destinationId: item.target.id }, 'health check: probe bookkeeping failed')
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker))
  }

  function tick(): Promise<void> {
    if (current) return current
    // Scheduled checks change offers' health as the job, not as whoever happened to call.
    current = withChangeActor(systemActor('health-check'), runTick)
      .catch((err: unknown) => logger.error({ err }, 'health check tick failed'))
      .finally(() => {
        current = null
      })
    return current
  }

  async function checkNow(workspaceId: string, destinationId: string): Promise<ProbeReport | null> {
    return exclusive(destinationId, async () => {
      // Read inside the lock so a scheduled probe that just finished is taken into account.
      const target = await findHealthTarget(db, workspaceId, destinationId)
      if (!target) return null
      const parsed = healthCheckSchema.safeParse(target.healthCheck ?? {})
      const check = parsed.success ? parsed.data : healthCheckSchema.parse({})
      const enabled = parsed.success && check.enabled && target.status !== 'archived'
      const report = await probeAndApply(target, check, enabled)
      if (!report) throw new Error('health checker is stopping')
      return report
    })
  }

  return {
    tick,
    checkNow,
    start(intervalMs = 5000) {
      if (timer) return
      if (stopping.signal.aborted) stopping = new AbortController()
      void tick()
      timer = setInterval(() => void tick(), intervalMs)
      // The checker must not keep an otherwise finished process (or test run) alive.
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = null
      stopping.abort()
      if (current) await current
      await Promise.all([...locks.values()])
      // A later start() or tick() gets a fresh signal.
      stopping = new AbortController()
    },
  }
}

/** Turns a probe exception into the event's error text. */
function describeFailure(err: unknown): string {
  if (err instanceof SsrfBlockedError) {
    return err.reason === 'private_address' ? 'blocked: private address' : 'blocked: scheme not allowed'
  }
  if (err instanceof FetchTimeoutError) return `timeout after ${err.timeoutMs} ms`
  if (err instanceof TypeError && /Invalid URL/i.test(err.message)) return 'invalid url'
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return `network error: ${code}`
  return `error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500)
}
