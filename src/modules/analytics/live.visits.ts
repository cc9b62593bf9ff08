/**
 * The visitor pulse of the live feed: every settled visit becomes an `event: hit` for its
 * workspace, and once a second each running project gets an `event: visit_rate` (visits
 * settled in that second, errors among them, their p95 latency, the run's target rate).
 * Shapes: `LiveHit`, `LiveVisitRate` in `live.types.ts`. Published through the hub, so they
 * reach the workspace's `GET /live` streams and, with `workspace_id`, the admin stream;
 * nothing is formatted when nobody listens (the hub drops events of unwatched workspaces).
 */
import { randomInt } from 'node:crypto'
import type { Clock } from '../../platform/clock.ts'
import type { LiveHub } from './live.ts'
import type { LiveHit, LiveVisitRate } from './live.types.ts'
import type { VisitRecord } from './visits.ts'

/** A running project, as the engine's stats tell it. */
export interface RunningVisitProject {
  workspaceId: string
  projectId: string
  /** Target arrival rate, visits per second. */
  targetPerSecond: number
}

/** Latencies kept per project per window at most (p95 of a sample beyond). */
const MAX_SAMPLES = 10_000

/**
 * Nearest-rank percentile (`p` in 0..100) of `values`; null when empty. Sorts `values` in place.
 */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  values.sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * values.length))
  return values[Math.min(values.length, rank) - 1]!
}

/** The live shape of a hit (pure). */
export function liveHitOf(h: VisitRecord): LiveHit {
  return {
    type: 'hit',
    ts: h.at.toISOString(),
    project_id: h.projectId,
    run_id: h.runId,
    url: h.url,
    country: h.country ?? null,
    device: h.device,
    mode: h.mode ?? 'http',
    status: h.status,
    latency_ms: h.latencyMs,
    error: h.error,
  }
}

interface Window {
  workspaceId: string
  count: number
  errors: number
  latencies: number[]
  /** Answered visits seen, once past {@link MAX_SAMPLES}. */
  answered?: number
}

/** The pulse of {@link createVisitPulse}. */
export interface VisitPulse {
  /** One settled visit: published as `hit` now, counted for the project's next `visit_rate`. */
  hit(h: VisitRecord): void
  /**
   * Publishes one `visit_rate` per running project (and per project that had hits in the
   * window, e.g. one that just stopped) and starts a new window. Called by the timer.
   */
  tick(): void
  /** Starts the once-per-`intervalMs` timer. */
  start(): void
  stop(): void
}

/**
 * Creates the pulse.
 * @param deps.running the running projects now (the composition root reads the engine's stats).
 * @param deps.intervalMs window length, ms (default 1000: "once per second").
 */
export function createVisitPulse(deps: {
  hub: Pick<LiveHub, 'publish'>
  clock: Clock
  running: () => RunningVisitProject[]
  intervalMs?: number
}): VisitPulse {
  const intervalMs = deps.intervalMs ?? 1000
  let windows = new Map<string, Window>()
  let timer: NodeJS.Timeout | undefined

  return {
    hit(h) {
      deps.hub.publish(h.workspaceId, liveHitOf(h))
      let w = windows.get(h.projectId)
      if (!w) {
        w = { workspaceId: h.workspaceId, count: 0, errors: 0, latencies: [] }
        windows.set(h.projectId, w)
      }
      w.count++
      if (h.error !== null) w.errors++
      if (h.latencyMs !== null) {
        if (w.latencies.length < MAX_SAMPLES) w.latencies.push(h.latencyMs)
        // Past the cap a random replacement keeps a uniform sample (reservoir sampling).
        else {
          w.answered ??= MAX_SAMPLES
          w.answered++
          const j = randomInt(w.answered)
          if (j < MAX_SAMPLES) w.latencies[j] = h.latencyMs
        }
      }
    },
    tick() {
      const ts = deps.clock.now().toISOString()
      const seconds = intervalMs / 1000
      const past = windows
      windows = new Map()
      const running = new Map(deps.running().map((r) => [r.projectId, r]))
      const ids = new Set([...running.keys(), ...past.keys()])
      for (const id of ids) {
        const w = past.get(id)
        const r = running.get(id)
        const workspaceId = r?.workspaceId ?? w!.workspaceId
        const event: LiveVisitRate = {
          type: 'visit_rate',
          ts,
          project_id: id,
          rate_per_s: (w?.count ?? 0) / seconds,
          errors: w?.errors ?? 0,
          p95_ms: w ? percentile(w.latencies, 95) : null,
          target_per_s: r?.targetPerSecond ?? 0,
        }
        deps.hub.publish(workspaceId, event)
      }
    },
    start() {
      timer ??= setInterval(() => this.tick(), intervalMs)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
