/**
 * Pure decisions of the list pages (campaigns, offers, landers, sources, networks): planning a bulk
 * action (validate it, then compute each row's new values), the name and alias of a cloned
 * campaign, and the per-row stats of a list (report rows joined to the list's ids). No I/O:
 * the shells (`lists.repository.ts`, `lists.routes.ts`, `stats.routes.ts`) read and write.
 * Tested by tables of cases in `lists.core.test.ts`.
 */
import { BULK_ACTIONS_BY_KIND, type BulkInput, type ListKind, MAX_TAGS } from '../routing.schema.ts'

/** The fields of a row a bulk action reads (camelCase, as stored). */
export interface BulkRow {
  id: string
  status: string
  tags: string[]
  /** Campaigns only. */
  groupName?: string | null
  /** Campaigns only. */
  sourceId?: string | null
}

/** What a bulk action writes to one row (only the fields it changes). */
export interface BulkValues {
  status?: string
  tags?: string[]
  groupName?: string | null
  sourceId?: string | null
}

/** The outcome of {@link planBulk}. */
export type BulkPlan =
  | { kind: 'ok'; updates: { id: string; values: BulkValues }[] }
  /** Some ids are not rows of the workspace (404 naming them). */
  | { kind: 'not_found'; ids: string[] }
  /** The request is wrong for this list or action (400 naming the fields). */
  | { kind: 'invalid'; details: { path: string; message: string }[] }

/**
 * Status a row gets back when it leaves the archive: campaigns, offers and landers (which
 * can be paused) come back paused; sources and networks (which cannot) come back active.
 */
export function unarchivedStatus(kind: ListKind): 'paused' | 'active' {
  return kind === 'campaigns' || kind === 'offers' || kind === 'landers' ? 'paused' : 'active'
}

/** The body field each action needs (and no other action takes). */
const ACTION_FIELD: Partial<Record<BulkInput['action'], 'group_name' | 'source_id' | 'tags'>> = {
  move_to_group: 'group_name',
  set_source: 'source_id',
  add_tags: 'tags',
  remove_tags: 'tags',
}

/**
 * Plans a bulk action over `rows` (the rows of the workspace whose ids are in `input.ids`;
 * the caller reads them in the same transaction it then writes in). All-or-nothing: either
 * every id gets an update (`ok`, one per distinct id, in request order) or nothing is done.
 *
 * Rules: the action must be one `kind` takes (`BULK_ACTIONS_BY_KIND`); `move_to_group`
 * needs `group_name` (null = ungroup), `set_source` needs `source_id` (null = none; the
 * caller checks it is a source of the workspace), `add_tags`/`remove_tags` need `tags`
 * (≥ 1); a field the action does not take is refused. `pause` → paused, `resume` → active,
 * `archive` → archived, `unarchive` → {@link unarchivedStatus} for archived rows (others
 * keep their status). `add_tags` keeps the order of the existing tags, then the new ones,
 * and refuses a row that would carry more than 20.
 */
export function planBulk(kind: ListKind, input: BulkInput, rows: readonly BulkRow[]): BulkPlan {
  const details: { path: string; message: string }[] = []
  if (!BULK_ACTIONS_BY_KIND[kind].includes(input.action)) {
    details.push({ path: 'action', message: `${kind} take ${BULK_ACTIONS_BY_KIND[kind].join(', ')}` })
  }
  const needs = ACTION_FIELD[input.action]
  for (const field of ['group_name', 'source_id', 'tags'] as const) {
    const given = input[field] !== undefined
    if (field === needs && !given) details.push({ path: field, message: `required by ${input.action}` })
    if (field !== needs && given) details.push({ path: field, message: `not taken by ${input.action}` })
  }
  if (needs === 'tags' && input.tags !== undefined && input.tags.length === 0) {
    details.push({ path: 'tags', message: 'at least one tag' })
  }
  if (details.length > 0) return { kind: 'invalid', details }

  const ids = [...new Set(input.ids)]
  const byId = new Map(rows.map((r) => [r.id, r]))
  const missing = ids.filter((id) => !byId.has(id))
  if (missing.length > 0) return { kind: 'not_found', ids: missing }

  const updates: { id: string; values: BulkValues }[] = []
  for (const id of ids) {
    const row = byId.get(id)!
    const values = rowValues(kind, input, row)
    if (values.tags && values.tags.length > MAX_TAGS) {
      details.push({ path: 'tags', message: `${id} would carry more than ${MAX_TAGS} tags` })
    }
    updates.push({ id, values })
  }
  if (details.length > 0) return { kind: 'invalid', details }
  return { kind: 'ok', updates }
}

function rowValues(kind: ListKind, input: BulkInput, row: BulkRow): BulkValues {
  switch (input.action) {
    case 'pause':
      return { status: 'paused' }
    case 'resume':
      return { status: 'active' }
    case 'archive':
      return { status: 'archived' }
    case 'unarchive':
      return { status: row.status === 'archived' ? unarchivedStatus(kind) : row.status }
    case 'move_to_group':
      return { groupName: input.group_name ?? null }
    case 'set_source':
      return { sourceId: input.source_id ?? null }
    case 'add_tags':
      return { tags: [...new Set([...row.tags, ...(input.tags ?? [])])] }
    case 'remove_tags': {
      const drop = new Set(input.tags ?? [])
      return { tags: row.tags.filter((t) => !drop.has(t)) }
    }
  }
}

/** Longest campaign name (`campaignInput`). */
const MAX_NAME = 200
/** Longest campaign alias (`campaignInput`). */
const MAX_ALIAS = 64

/** Name of a clone: "<name> (copy)", the original shortened so the whole fits 200 chars. */
export function cloneName(name: string): string {
  const suffix = ' (copy)'
  return `${name.slice(0, MAX_NAME - suffix.length).trimEnd()}${suffix}`
}

/**
 * Alias of a clone: `<alias>-copy`, else `<alias>-copy-2`, `-copy-3`, … — the first not in
 * `taken` (aliases are global). The original is shortened so the result fits 64 chars.
 * @param taken aliases in use that start with the candidates' stem (any workspace).
 */
export function cloneAlias(alias: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '-copy' : `-copy-${n}`
    const candidate = `${alias.slice(0, MAX_ALIAS - suffix.length)}${suffix}`
    if (!taken.has(candidate)) return candidate
  }
}

/** The stem every {@link cloneAlias} candidate of `alias` starts with (for the `LIKE` lookup). */
export function cloneAliasStem(alias: string): string {
  return alias.slice(0, MAX_ALIAS - '-copy-NNNN'.length)
}

/** The report figures of one row of a list page (see the analytics module's metrics). */
export interface RowMetrics {
  clicks: number
  unique_clicks: number
  conversions: number
  /** Currency units (≤ 6 decimals). */
  revenue: number
  /** Currency units (≤ 6 decimals). */
  cost: number
  /** revenue − cost, currency units. */
  profit: number
  /** profit / cost × 100, percent; null when cost is 0. */
  roi: number | null
  /** conversions / clicks × 100, percent; null without clicks. */
  cr: number | null
  /** revenue / clicks, currency units; null without clicks. */
  epc: number | null
}

/** The lander figures of a landers list row (from the `lander` breakdown with lander metrics). */
export interface LanderMetrics {
  /** Clicks sent to the lander (= its `clicks`). */
  lander_visits: number
  /** Unique clicks on the lander's call to action (one per visit however often clicked). */
  lp_clicks: number
  /** lp_clicks / lander_visits × 100, percent; null without visits. */
  lp_ctr: number | null
}

/**
 * One row of a stats answer: the entity's id, its figures and the currency they are in
 * (null = unknown/mixed); landers also carry {@link LanderMetrics}.
 */
export type StatsRow = RowMetrics & { id: string; currency: string | null } & Partial<LanderMetrics>

const ZERO: RowMetrics = {
  clicks: 0,
  unique_clicks: 0,
  conversions: 0,
  revenue: 0,
  cost: 0,
  profit: 0,
  roi: null,
  cr: null,
  epc: null,
}

/**
 * The stats of every entity of a list: each of `entities` (in their order) with the report
 * row whose `key` is its id, or zeros when it had no traffic. Report rows of ids that are not
 * entities (deleted rows, another list) are dropped.
 * @param opts.landers add `lander_visits`, `lp_clicks`, `lp_ctr` to every row (from the report
 *   row, else 0, 0, null) — the landers list.
 */
export function statsRows(
  entities: readonly { id: string; currency: string | null }[],
  report: readonly (RowMetrics & { key: string } & Partial<LanderMetrics>)[],
  opts: { landers?: boolean } = {},
): StatsRow[] {
  const byKey = new Map(report.map((r) => [r.key, r]))
  return entities.map((e) => {
    const r = byKey.get(e.id)
    const m: RowMetrics = r
      ? {
          clicks: r.clicks,
          unique_clicks: r.unique_clicks,
          conversions: r.conversions,
          revenue: r.revenue,
          cost: r.cost,
          profit: r.profit,
          roi: r.roi,
          cr: r.cr,
          epc: r.epc,
        }
      : ZERO
    const row: StatsRow = { id: e.id, ...m, currency: e.currency }
    if (opts.landers) {
      row.lander_visits = r?.lander_visits ?? 0
      row.lp_clicks = r?.lp_clicks ?? 0
      row.lp_ctr = r?.lp_ctr ?? null
    }
    return row
  })
}

/** The one currency of `values`, or null when there are none or several. */
export function singleCurrency(values: readonly string[]): string | null {
  const set = new Set(values)
  return set.size === 1 ? [...set][0]! : null
}
