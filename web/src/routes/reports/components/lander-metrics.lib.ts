/** Pure helpers of the report table's lander metrics (lander visits, LP clicks, LP CTR). */

/** The lander figures of report rows (present when a report is grouped by lander). */
export interface LanderFigures {
  lander_visits?: number | null | undefined
  lp_clicks?: number | null | undefined
  lp_ctr?: number | null | undefined
}

/** Whether report rows carry lander metrics (grouped by lander, or the API added them). */
export function hasLanderMetrics(rows: readonly LanderFigures[] | undefined): boolean {
  return rows?.[0]?.lp_clicks !== undefined
}

/**
 * Totals of the lander metrics over `rows`: visits and LP clicks summed, LP CTR of those
 * sums (null without visits).
 */
export function landerTotals(rows: readonly LanderFigures[]): Required<LanderFigures> {
  let visits = 0
  let clicks = 0
  for (const r of rows) {
    visits += r.lander_visits ?? 0
    clicks += r.lp_clicks ?? 0
  }
  return {
    lander_visits: visits,
    lp_clicks: clicks,
    lp_ctr: visits > 0 ? Math.round((clicks / visits) * 1_000_000) / 10_000 : null,
  }
}
