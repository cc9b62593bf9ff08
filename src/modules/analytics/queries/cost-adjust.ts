/**
 * Cost updates in ClickHouse (migration 008, `cost_adjustments`): "the real cost of
 * campaign C (optionally only its clicks with sub_key = sub_value) over [from, to) is X".
 *
 * The update is spread over the range's clicks in (ts, click_id) order: each click's
 * effective cost becomes floor(X / N), and the first X mod N clicks get one micro more, so
 * the shares sum to X exactly. Effective cost of a click = `clicks.cost_micros` + the sum of
 * its rows' `delta_micros` in `cost_adjustments`; every report adds those deltas
 * (`report-sql.ts`, and the rollups through their views).
 *
 * - **Apply** = one server-side `INSERT … SELECT` writing, per click, `target = share` and
 *   `delta = share − effective cost now`. A later update over an overlapping range is
 *   computed against the effective cost, so the newest update wins for its range.
 * - **Revert** = per click of that update, `target` = the share of the newest *other*
 *   applied (not reverted) update of the click, else its own cost; `delta = target −
 *   effective cost now`. So updates can be reverted in any order and the result is what
 *   the remaining updates say. Rows are never deleted.
 * - **Idempotent**: each statement carries `insert_deduplication_token =
 *   'cost:<update id>:apply|revert'` (the table keeps a deduplication window), and is
 *   skipped when rows of that update and kind already exist, so a retry after a lost
 *   answer writes nothing twice.
 * - Clicks ingested into a range after its update keep their own cost (the update covers
 *   the clicks stored when it ran); apply the update again to include them.
 *
 * Money is in micros of the campaign currency throughout. Every statement is filtered by
 * `workspace_id`; the only text in SQL besides fixed strings is the database name
 * (checked) and the sub column (from {@link COST_SUB_KEYS}) and the update id (a UUID).
 */
import type { ClickHouseHandle } from '../../../platform/clickhouse.ts'
import { CLICK_SUB_KEYS } from '../events.ts'
import { assertIdentifier, chDateTime } from '../migrate.ts'

/** Sub ID columns a cost update may be narrowed by. */
export const COST_SUB_KEYS = CLICK_SUB_KEYS
/** One of {@link COST_SUB_KEYS}. */
export type CostSubKey = (typeof COST_SUB_KEYS)[number]

/** The clicks a cost update covers. Times are epoch ms, `[fromMs, toMs)`. */
export interface CostScope {
  workspaceId: string
  campaignId: string
  fromMs: number
  toMs: number
  subKey?: CostSubKey | undefined
  /** With `subKey`: the value the clicks must have ('' = none recorded). */
  subValue?: string | undefined
}

/** What a scope holds now. */
export interface CostScopeStats {
  /** Clicks in the scope (bots included, as in the reports). */
  clicks: number
  /** Their effective cost now (own cost + earlier updates), micros. */
  costMicros: number
  /** Revenue of their conversions (by click time, any conversion time), micros. */
  revenueMicros: number
}

/** What an apply or revert wrote, read back from its rows. */
export interface CostUpdateResult {
  /** Clicks the update covers (0: nothing to spread). */
  clicks: number
  /** Their effective cost before this statement, micros. */
  previousCostMicros: number
  /** Their effective cost after it, micros. */
  costMicros: number
  /** False when rows of this update and kind already existed (a retry): nothing written. */
  inserted: boolean
}

/** Columns copied from the click onto its adjustment rows (the report dimensions). */
const COPIED = [
  'workspace_id',
  'campaign_id',
  'stream_id',
  'destination_id',
  'source_id',
  'lander_id',
  'country',
  'language',
  'device',
  'os',
  'os_version',
  'browser',
  'external_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'sub6',
  'sub7',
  'sub8',
  'sub9',
  'sub10',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
] as const

const INSERT_COLS = `update_id, kind, created_at, click_id, ts, ${COPIED.join(', ')}, base_micros, target_micros, delta_micros`
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function checkUpdateId(id: string): string {
  if (!UUID_RE.test(id)) throw new Error(`cost update id must be a UUID: ${JSON.stringify(id)}`)
  return id.toLowerCase()
}

function scopeSql(scope: CostScope, timeCol = 'ts'): { where: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {
    ws: scope.workspaceId,
    camp: scope.campaignId,
    from: chDateTime(scope.fromMs),
    to: chDateTime(scope.toMs),
  }
  let where = `workspace_id = {ws:String} AND campaign_id = {camp:String}
    AND ${timeCol} >= {from:DateTime64(3, 'UTC')} AND ${timeCol} < {to:DateTime64(3, 'UTC')}`
  if (scope.subKey) {
    if (!(COST_SUB_KEYS as readonly string[]).includes(scope.subKey))
      throw new Error(`bad sub key ${scope.subKey}`)
    where += ` AND ${scope.subKey} = {sv:String}`
    params.sv = scope.subValue ?? ''
  }
  return { where, params }
}

async function queryRows(
  h: ClickHouseHandle,
  query: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const rs = await h.client.query({ query, format: 'JSONEachRow', query_params: params })
  return rs.json<Record<string, unknown>>()
}

/**
 * Clicks, effective cost and revenue (click attribution) of `scope` now: the "before"
 * figures of a cost-update preview.
 * @throws the ClickHouse error when the store is unreachable.
 */
export async function costScopeStats(h: ClickHouseHandle, scope: CostScope): Promise<CostScopeStats> {
  const db = assertIdentifier(h.database)
  const { where, params } = scopeSql(scope)
  const conv = scopeSql(scope, 'click_ts')
  const [clicks, revenue] = await Promise.all([
    queryRows(
      h,
      `SELECT toInt64(count()) AS n, toInt64(sum(c.cost_micros + a.adj)) AS cost
       FROM (SELECT click_id, cost_micros FROM ${db}.clicks WHERE ${where}) AS c
       LEFT JOIN (SELECT click_id, sum(delta_micros) AS adj FROM ${db}.cost_adjustments WHERE ${where} GROUP BY click_id) AS a
         ON a.click_id = c.click_id`,
      params,
    ),
    queryRows(
      h,
      `SELECT toInt64(sum(revenue_delta_micros)) AS revenue FROM ${db}.conversions
       WHERE ${conv.where} AND ts >= {from:DateTime64(3, 'UTC')}`,
      conv.params,
    ),
  ])
  return {
    clicks: Number(clicks[0]?.n ?? 0),
    costMicros: Number(clicks[0]?.cost ?? 0),
    revenueMicros: Number(revenue[0]?.revenue ?? 0),
  }
}

async function resultOf(
  h: ClickHouseHandle,
  db: string,
  workspaceId: string,
  updateId: string,
  kind: 'apply' | 'revert',
): Promise<Omit<CostUpdateResult, 'inserted'>> {
  const [r] = await queryRows(
    h,
    `SELECT toInt64(count()) AS n, toInt64(sum(target_micros - delta_micros)) AS before,
       toInt64(sum(target_micros)) AS after
     FROM ${db}.cost_adjustments
     WHERE workspace_id = {ws:String} AND update_id = {u:String} AND kind = {k:String}`,
    { ws: workspaceId, u: updateId, k: kind },
  )
  return {
    clicks: Number(r?.n ?? 0),
    previousCostMicros: Number(r?.before ?? 0),
    costMicros: Number(r?.after ?? 0),
  }
}

/**
 * Applies cost update `updateId` (a UUID the caller generated first, so a retry is
 * deduplicated): spreads `costMicros` over the clicks of `scope` (see the file comment).
 * When it covers no click nothing is written and `clicks` is 0.
 * @param nowMs the update's time (orders updates: the newest applied wins on revert).
 * @throws Error on a bad id or sub key; the ClickHouse error when the store fails.
 */
export async function applyCostUpdate(
  h: ClickHouseHandle,
  input: CostScope & { updateId: string; costMicros: number; nowMs: number },
): Promise<CostUpdateResult> {
  const db = assertIdentifier(h.database)
  const u = checkUpdateId(input.updateId)
  if (!Number.isSafeInteger(input.costMicros) || input.costMicros < 0)
    throw new Error('costMicros must be a non-negative integer')
  const existing = await resultOf(h, db, input.workspaceId, u, 'apply')
  if (existing.clicks > 0) return { ...existing, inserted: false }
  const { where, params } = scopeSql(input)
  const copied = COPIED.map((c) => `c.${c}`).join(', ')
  await h.client.command({
    query: `INSERT INTO ${db}.cost_adjustments (${INSERT_COLS})
      SETTINGS insert_deduplication_token = 'cost:${u}:apply'
      SELECT {u:String}, 'apply', {now:DateTime64(3, 'UTC')}, c.click_id, c.ts, ${copied},
        c.cost_micros, c.share, c.share - (c.cost_micros + a.adj)
      FROM (
        SELECT *, intDiv({x:Int64}, n) + if(rn <= {x:Int64} % n, 1, 0) AS share
        FROM (
          SELECT click_id, ts, ${COPIED.join(', ')}, cost_micros,
            toInt64(row_number() OVER (ORDER BY ts, click_id)) AS rn, toInt64(count() OVER ()) AS n
          FROM ${db}.clicks WHERE ${where}
        )
      ) AS c
      LEFT JOIN (
        SELECT click_id, sum(delta_micros) AS adj FROM ${db}.cost_adjustments WHERE ${where} GROUP BY click_id
      ) AS a ON a.click_id = c.click_id`,
    query_params: { ...params, u, x: input.costMicros, now: chDateTime(input.nowMs) },
  })
  return { ...(await resultOf(h, db, input.workspaceId, u, 'apply')), inserted: true }
}

/**
 * Reverts cost update `updateId` of `workspaceId`: each of its clicks goes back to the
 * share of the newest other applied update covering it, else to its own cost.
 * @returns clicks 0 when the update has no rows in this workspace (unknown, or covered
 *   nothing); `inserted: false` when it was already reverted.
 * @throws Error on a bad id; the ClickHouse error when the store fails.
 */
export async function revertCostUpdate(
  h: ClickHouseHandle,
  input: { workspaceId: string; updateId: string; nowMs: number },
): Promise<CostUpdateResult> {
  const db = assertIdentifier(h.database)
  const u = checkUpdateId(input.updateId)
  const done = await resultOf(h, db, input.workspaceId, u, 'revert')
  if (done.clicks > 0) return { ...done, inserted: false }
  const applied = await resultOf(h, db, input.workspaceId, u, 'apply')
  if (applied.clicks === 0) return { ...applied, inserted: false }
  const ws = 'workspace_id = {ws:String}'
  const mine = `SELECT click_id FROM ${db}.cost_adjustments WHERE ${ws} AND update_id = {u:String} AND kind = 'apply'`
  const copied = COPIED.map((c) => `r.${c}`).join(', ')
  await h.client.command({
    query: `INSERT INTO ${db}.cost_adjustments (${INSERT_COLS})
      SETTINGS insert_deduplication_token = 'cost:${u}:revert'
      SELECT {u:String}, 'revert', {now:DateTime64(3, 'UTC')}, r.click_id, r.ts, ${copied},
        r.base_micros, if(t.has = 1, t.tgt, r.base_micros) AS back,
        back - (r.base_micros + a.adj)
      FROM (SELECT * FROM ${db}.cost_adjustments WHERE ${ws} AND update_id = {u:String} AND kind = 'apply') AS r
      LEFT JOIN (
        SELECT click_id, sum(delta_micros) AS adj FROM ${db}.cost_adjustments
        WHERE ${ws} AND click_id IN (${mine}) GROUP BY click_id
      ) AS a ON a.click_id = r.click_id
      LEFT JOIN (
        SELECT click_id, argMax(target_micros, (created_at, update_id)) AS tgt, toUInt8(1) AS has
        FROM ${db}.cost_adjustments
        WHERE ${ws} AND kind = 'apply' AND update_id != {u:String}
          AND update_id NOT IN (SELECT update_id FROM ${db}.cost_adjustments WHERE ${ws} AND kind = 'revert')
          AND click_id IN (${mine})
        GROUP BY click_id
      ) AS t ON t.click_id = r.click_id`,
    query_params: { ws: input.workspaceId, u, now: chDateTime(input.nowMs) },
  })
  return { ...(await resultOf(h, db, input.workspaceId, u, 'revert')), inserted: true }
}
