/**
 * Keeps the in-memory routing snapshot fresh: refreshes when told the configuration changed
 * (`subscribe`, e.g. PostgreSQL LISTEN/NOTIFY) and polls the configuration version every
 * `pollMs` as a catch-up; when the version moved, reloads the rows and swaps in a newly
 * compiled snapshot. The hot path only ever calls `current()`, a plain field read.
 */
import { type Clock, nowMs } from '../../../platform/clock.ts'
import type { Logger } from '../../../platform/logger.ts'
import type { ConfigRows } from '../routing.types.ts'

export interface SnapshotManager<S> {
  /** The snapshot in force (never awaits). */
  current(): S
  /** Version of the snapshot in force. */
  version(): number
  /** Reloads now if the version moved (or always with `force`). Resolves when swapped. */
  refresh(force?: boolean): Promise<void>
  start(): void
  stop(): void
}

/**
 * Loads the first snapshot, then returns a manager.
 * @param deps.readVersion cheap version read (one-row query).
 * @param deps.loadRows full configuration load.
 * @param deps.compile pure compile of rows into the router's snapshot.
 * @param deps.onSwap called after each swap with the rows (e.g. to update cap timezones).
 * @param deps.clock times a rebuild for the debug log.
 * @param deps.subscribe called by `start()` with a callback to call whenever the configuration
 *   may have changed; returns the unsubscribe function `stop()` calls.
 */
export async function createSnapshotManager<S>(deps: {
  readVersion: () => Promise<number>
  loadRows: () => Promise<ConfigRows>
  compile: (rows: ConfigRows) => S
  pollMs: number
  logger: Logger
  clock: Clock
  onSwap?: (snapshot: S, rows: ConfigRows) => void
  subscribe?: (onChange: () => void) => () => void
}): Promise<SnapshotManager<S>> {
  const swap = (rows: ConfigRows) => {
    const next = deps.compile(rows)
    snapshot = next
    loadedVersion = rows.version
    deps.onSwap?.(next, rows)
  }
  let loadedVersion = -1
  const first = await deps.loadRows()
  let snapshot: S = deps.compile(first)
  loadedVersion = first.version
  deps.onSwap?.(snapshot, first)

  let timer: NodeJS.Timeout | undefined
  let unsubscribe: (() => void) | undefined
  let inFlight: Promise<void> | undefined
  let again = false

  const refresh = (force = false): Promise<void> => {
    // Coalesce: a call that finds a refresh running waits for it instead of starting another,
    // and one more runs after it — that refresh may have read the version just before the
    // change that prompted this call.
    if (inFlight) {
      again = true
      return inFlight
    }
    inFlight = (async () => {
      try {
        const v = await deps.readVersion()
        if (!force && v === loadedVersion) return
        const started = nowMs(deps.clock)
        swap(await deps.loadRows())
        const ms = nowMs(deps.clock) - started
        deps.logger.debug({ version: loadedVersion, ms }, 'routing snapshot rebuilt')
      } catch (err) {
        // Keep serving the last good snapshot; the next poll retries.
        deps.logger.error({ err }, 'routing snapshot refresh failed')
      } finally {
        inFlight = undefined
        if (again) {
          again = false
          void refresh()
        }
      }
    })()
    return inFlight
  }

  return {
    current: () => snapshot,
    version: () => loadedVersion,
    refresh,
    start() {
      if (timer) return
      timer = setInterval(() => void refresh(), deps.pollMs)
      timer.unref()
      unsubscribe = deps.subscribe?.(() => void refresh())
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      unsubscribe?.()
      unsubscribe = undefined
    },
  }
}
