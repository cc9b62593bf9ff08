/**
 * The autopilot's call planning, pure: which of a tick's decided actions go out as which
 * TrafficStars call within the account's call budget, and how an action is described in the
 * audit log, the dry run and the replay. The shell (`autopilot.service.ts`) makes the calls.
 *
 * Every `switch` over `Action['kind']` here ends in {@link unreachable}: a new action kind
 * does not compile until it is planned and described (see README.md, "To add an action kind").
 */
import type { Action } from './autopilot.core.ts'

/** One campaign's decided actions in a tick; `row.id` identifies the campaign. */
export interface CallItem<R extends { id: string }> {
  row: R
  decision: { readonly actions: readonly Action[] }
}

/** One action of one campaign, to be sent. */
export interface PlannedCall<R extends { id: string }> {
  row: R
  action: Action
}

/** A tick's calls: one bulk pause, PATCHes (one call each), one bulk run; the rest deferred. */
export interface CallPlan<R extends { id: string }> {
  pauses: PlannedCall<R>[]
  patches: PlannedCall<R>[]
  runs: PlannedCall<R>[]
  /** Ids of campaigns with an action left out: all their actions wait for the next tick. */
  deferred: Set<string>
}

/**
 * Splits a tick's actions into bulk pauses, PATCHes and bulk runs within `calls` calls
 * (a negative budget counts as 0). The bulk pause and the bulk run cost one call each,
 * whatever the number of campaigns, and always go; PATCHes take what is left, in priority
 * order: daily budget raises, then end times of pausing campaigns, then end times of
 * starting ones (stable within a rank). A campaign with any PATCH left out is deferred whole
 * (its state keeps the mismatch and the next tick re-sends), so none of its calls are planned.
 */
export function planCalls<R extends { id: string }>(
  items: readonly CallItem<R>[],
  calls: number,
): CallPlan<R> {
  const pauses: PlannedCall<R>[] = []
  const runs: PlannedCall<R>[] = []
  const patches: Array<PlannedCall<R> & { rank: number }> = []
  for (const t of items) {
    for (const action of t.decision.actions) {
      switch (action.kind) {
        case 'pause':
          pauses.push({ row: t.row, action })
          break
        case 'run':
          runs.push({ row: t.row, action })
          break
        case 'patch': {
          const pausing = t.decision.actions.some((a) => a.kind === 'pause')
          patches.push({
            row: t.row,
            action,
            rank: action.maxDailyMicros !== undefined ? 0 : pausing ? 1 : 2,
          })
          break
        }
        default:
          unreachable(action)
      }
    }
  }
  let left = calls - (pauses.length > 0 ? 1 : 0) - (runs.length > 0 ? 1 : 0)
  patches.sort((a, b) => a.rank - b.rank)
  const deferred = new Set<string>()
  const kept: PlannedCall<R>[] = []
  for (const p of patches) {
    if (left > 0) {
      kept.push({ row: p.row, action: p.action })
      left--
    } else deferred.add(p.row.id)
  }
  const keep = (c: PlannedCall<R>) => !deferred.has(c.row.id)
  return { pauses: pauses.filter(keep), patches: kept.filter(keep), runs: runs.filter(keep), deferred }
}

/**
 * What an action changes, in the snake_case shape of the audit log's `inputs`, the dry run
 * and the replay: `{max_daily_micros?, end_time?}` for a PATCH (micros of USD; end time
 * `YYYY-MM-DD HH:MM:SS` UTC), nothing for a run or a pause.
 */
export function actionDetail(a: Action): { max_daily_micros?: number; end_time?: string } {
  switch (a.kind) {
    case 'run':
    case 'pause':
      return {}
    case 'patch':
      return {
        ...(a.maxDailyMicros !== undefined ? { max_daily_micros: a.maxDailyMicros } : {}),
        ...(a.endTime !== undefined ? { end_time: a.endTime } : {}),
      }
    default:
      return unreachable(a)
  }
}

/** Compile-time exhaustiveness check: `x` is `never` once every case is handled. */
export function unreachable(x: never): never {
  throw new Error(`unhandled case ${JSON.stringify(x)}`)
}
