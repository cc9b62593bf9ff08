/**
 * Destination availability (steps 4–5 of a click, `routing/README.md`): why a stream's destination cannot take
 * this click, checked cheapest first (static config before state look-ups).
 */
import type { DropReason } from '../routing.types.ts'
import type { RequestEnv } from './env.ts'
import { inSchedule } from './local-time.ts'
import type { CompiledLink } from './snapshot.ts'

/** Campaign anti-repeat settings as compiled in the snapshot. */
export interface AntiRepeat {
  readonly enabled: boolean
  readonly windowMs: number
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

/**
 * Drop reason for one stream link, or undefined when the destination can take the click.
 * Order: missing, inactive_link, status, schedule (campaign timezone; unknown local time =
 * outside), daily_cap (`dailyClicks >= cap`), total_cap, unhealthy (only the state
 * 'unhealthy'; 'unknown' counts as healthy), anti_repeat (enabled and the visitor got this
 * destination less than the window ago). Non-numeric counters from state count as 0.
 */
export function dropReason(
  link: CompiledLink,
  env: RequestEnv,
  antiRepeat: AntiRepeat,
): DropReason | undefined {
  const d = link.destination
  if (!d) return 'missing'
  if (!link.active) return 'inactive_link'
  const row = d.row
  if (row.status !== 'active') return 'status'
  if (d.schedule) {
    const t = env.localTime
    if (t === null || !inSchedule(d.schedule, t)) return 'schedule'
  }
  if (row.dailyClickCap != null && count(env.state.dailyClicks(d.id, env.now)) >= row.dailyClickCap)
    return 'daily_cap'
  if (row.totalClickCap != null && count(env.state.totalClicks(d.id)) >= row.totalClickCap) return 'total_cap'
  if (row.health === 'unhealthy') return 'unhealthy'
  if (antiRepeat.enabled) {
    const last = env.state.lastSeenDestination(env.userKey, d.id)
    if (typeof last === 'number' && env.nowMs - last < antiRepeat.windowMs) return 'anti_repeat'
  }
  return undefined
}
