/**
 * Pure health-check decisions: the state machine that turns probe outcomes into a
 * destination's health, and when the next probe is due. No I/O, no clock reads.
 *
 * Rules (hysteresis, so one flaky probe does not flap routing):
 * - `unknown` → `healthy` on the first successful probe (a new destination starts taking
 *   traffic as soon as it has answered once).
 * - `unknown` or `healthy` → `unhealthy` after `failure_threshold` consecutive failures.
 * - `unhealthy` → `healthy` only after `failure_threshold` consecutive successes.
 * - Any other probe keeps the state; a success resets the failure run and a failure resets
 *   the success run.
 */
import type { HealthCheck } from '../routing.schema.ts'

/** A destination's health as stored in `destinations.health`. */
export type Health = 'unknown' | 'healthy' | 'unhealthy'

/** The checker's per-destination memory: the health and the current runs of probe outcomes. */
export interface HealthState {
  health: Health
  /** Failed probes in a row since the last success (0 after a success). */
  consecutiveFailures: number
  /** Successful probes in a row since the last failure (0 after a failure). */
  consecutiveSuccesses: number
}

/** The outcome of one probe. */
export interface ProbeOutcome {
  /** True when the target answered with one of `expected_statuses` within the timeout. */
  ok: boolean
  /** HTTP status, when a response arrived. */
  status?: number
  /** Why the probe failed (e.g. "timeout after 5000 ms", "blocked: private address", "unexpected status 500"). */
  error?: string
  /** Milliseconds until the response headers arrived, or until the failure. */
  latencyMs: number
}

/** A change of health, to be recorded as a health event. */
export interface HealthTransition {
  from: Health
  to: Health
}

/** Result of {@link nextHealth}: the new state and, when `health` changed, the transition. */
export interface HealthStep {
  state: HealthState
  /** Present exactly when `state.health` differs from the input's health. */
  event?: HealthTransition
}

/** Fresh memory for a destination whose stored health is `health` (e.g. after a restart): both runs start at 0. */
export function initialHealthState(health: Health): HealthState {
  return { health, consecutiveFailures: 0, consecutiveSuccesses: 0 }
}

/**
 * Applies one probe outcome to `state` under `check.failure_threshold` (see the module
 * comment for the rules). Pure; never throws. A threshold below 1 is treated as 1.
 */
export function nextHealth(
  state: HealthState,
  probe: Pick<ProbeOutcome, 'ok'>,
  check: Pick<HealthCheck, 'failure_threshold'>,
): HealthStep {
  const threshold = Math.max(1, Math.floor(check.failure_threshold))
  const failures = probe.ok ? 0 : state.consecutiveFailures + 1
  const successes = probe.ok ? state.consecutiveSuccesses + 1 : 0
  let health: Health = state.health
  if (probe.ok) {
    if (state.health === 'unknown') health = 'healthy'
    else if (state.health === 'unhealthy' && successes >= threshold) health = 'healthy'
  } else if (state.health !== 'unhealthy' && failures >= threshold) {
    health = 'unhealthy'
  }
  const next: HealthState = { health, consecutiveFailures: failures, consecutiveSuccesses: successes }
  return health === state.health
    ? { state: next }
    : { state: next, event: { from: state.health, to: health } }
}

/**
 * Whether a destination last probed at `lastCheckedAt` is due at `now`, given its interval
 * in SECONDS. Never probed (`null`) is due. A `lastCheckedAt` in the future (the wall clock
 * moved backwards) is treated as due, so a clock step cannot silence checks for the length
 * of the step.
 */
export function isDue(lastCheckedAt: Date | null, intervalSeconds: number, now: Date): boolean {
  if (lastCheckedAt === null) return true
  const elapsedMs = now.getTime() - lastCheckedAt.getTime()
  return elapsedMs < 0 || elapsedMs >= intervalSeconds * 1000
}

/**
 * The URL a probe requests: `check.url` when set, otherwise the destination URL template with
 * every `{macro}` replaced by an empty string (there is no click to fill them from).
 */
export function probeUrlFor(destinationUrl: string, check: Pick<HealthCheck, 'url'>): string {
  return check.url ?? destinationUrl.replace(/\{[^{}]*\}/g, '')
}

/**
 * Judges a response: ok when `status` is one of `check.expected_statuses`; otherwise the
 * outcome carries the error "unexpected status N".
 */
export function judgeStatus(
  status: number,
  latencyMs: number,
  check: Pick<HealthCheck, 'expected_statuses'>,
): ProbeOutcome {
  return check.expected_statuses.includes(status)
    ? { ok: true, status, latencyMs }
    : { ok: false, status, latencyMs, error: `unexpected status ${status}` }
}
