/**
 * The engine's in-memory list of finished runs, bounded (pure). The engine keeps the counters
 * of finished runs for `engine.stats()` and `GET /projects/:id/stats`; a long-lived server
 * would otherwise grow that list by one entry per run forever. Older runs are not lost: each
 * has its `visitor_runs` row (visits, failed, dropped, stop reason) and its visits in the
 * ClickHouse report (README "Results and live pulse").
 */

/** Limits of {@link keepRecentRuns}. */
export interface RunListBounds {
  /** Finished runs kept per project (the newest), ≥ 0. */
  perProject: number
  /** Finished runs kept across all projects (the newest), ≥ 0. */
  total: number
}

/** Default bounds: the last 20 runs of a project, 1,000 in all. */
export const DEFAULT_RUN_BOUNDS: RunListBounds = { perProject: 20, total: 1000 }

/**
 * The list after dropping the oldest entries beyond the bounds: first each project's runs
 * beyond its newest `perProject`, then the oldest overall beyond `total`. `list` is in
 * finishing order (oldest first) and so is the answer; the input is not changed.
 */
export function keepRecentRuns<T extends { projectId: string }>(
  list: readonly T[],
  bounds: RunListBounds,
): T[] {
  const perProject = Math.max(0, Math.floor(bounds.perProject))
  const total = Math.max(0, Math.floor(bounds.total))
  const seen = new Map<string, number>()
  const kept: T[] = []
  // Newest first, so a project's first `perProject` entries met are its newest.
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list[i]!
    const n = seen.get(r.projectId) ?? 0
    seen.set(r.projectId, n + 1)
    if (n < perProject && kept.length < total) kept.push(r)
  }
  return kept.reverse()
}
