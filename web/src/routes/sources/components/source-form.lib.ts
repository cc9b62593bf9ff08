/**
 * Pure helpers of the source form's template picker and parameter table: the target names
 * shown to the buyer, parameter identifiers derived from tokens (so nobody types a parameter
 * name), and the values a template fills in.
 */
import {
  SOURCE_PARAM_TARGETS,
  type SourceParamTarget,
} from '../../../../../src/modules/routing/source.templates.ts'
import type { SourceParam, SourceTemplate } from '@/hooks/api/source-templates'

export { SOURCE_PARAM_TARGETS }

/** How a target reads in the form, our name first (a narrow select cuts the end): "sub3 · Sub ID 3". */
export function targetLabel(t: SourceParamTarget): string {
  if (t === 'external_id') return 'external_id · source click ID'
  if (t === 'cost') return 'cost · of the click'
  return `${t} · Sub ID ${t.slice(3)}`
}

/**
 * A parameter identifier from its token: the token's letters, digits, `_ . -`
 * (`{zone_id}` → `zone_id`, `${SUBID}` → `SUBID`, `{{ad.id}}` → `ad.id`), else `param`;
 * suffixed `_2`, `_3` … when `taken` has it. At most 64 characters.
 */
export function paramNameFromToken(token: string, taken: ReadonlySet<string>): string {
  const base = (token.replace(/[^A-Za-z0-9_.-]+/g, '').replace(/^[._-]+|[._-]+$/g, '') || 'param').slice(
    0,
    60,
  )
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`
  return name
}

/** One row of the form's parameter table (strings, as typed). */
export interface ParamRow {
  name: string
  label: string
  token: string
  target: SourceParamTarget
}

/** Rows → the API's params: trimmed, names derived from tokens where missing or duplicated. */
export function rowsToParams(rows: readonly ParamRow[]): SourceParam[] {
  const taken = new Set<string>()
  return rows
    .filter((r) => r.token.trim() !== '' || r.label.trim() !== '')
    .map((r) => {
      const token = r.token.trim()
      const keep = /^[A-Za-z0-9_.-]{1,64}$/.test(r.name) && !taken.has(r.name)
      const name = keep ? r.name : paramNameFromToken(token, taken)
      taken.add(name)
      const label = r.label.trim()
      return { name, token, target: r.target, ...(label ? { label } : {}) }
    })
}

/** The API's params → rows. */
export function paramsToRows(params: readonly SourceParam[] | undefined): ParamRow[] {
  return (params ?? []).map((p) => ({ name: p.name, label: p.label ?? '', token: p.token, target: p.target }))
}

/** The first target no row uses yet (sub IDs first), for a new row. */
export function nextFreeTarget(rows: readonly ParamRow[]): SourceParamTarget {
  const used = new Set(rows.map((r) => r.target))
  return SOURCE_PARAM_TARGETS.find((t) => !used.has(t)) ?? 'sub1'
}

/** Targets used by more than one row (the form marks those rows). */
export function duplicateTargets(rows: readonly ParamRow[]): Set<SourceParamTarget> {
  const seen = new Set<SourceParamTarget>()
  const dup = new Set<SourceParamTarget>()
  for (const r of rows) {
    if (r.token.trim() === '' && r.label.trim() === '') continue
    if (seen.has(r.target)) dup.add(r.target)
    seen.add(r.target)
  }
  return dup
}

/** The form fields a template fills. The name only when the buyer has not typed one of their own. */
export function templateValues(
  t: SourceTemplate,
  current: { name: string },
  previousTemplateName: string | undefined,
): {
  name: string
  cost_model: SourceTemplate['cost_model']
  external_id_param: string
  postback_url: string
  params: ParamRow[]
} {
  const ownName = current.name.trim() !== '' && current.name !== previousTemplateName
  return {
    name: ownName ? current.name : t.key === 'custom' ? current.name : t.name,
    cost_model: t.cost_model,
    external_id_param: t.external_id_param,
    postback_url: t.postback_url ?? '',
    params: paramsToRows(t.params),
  }
}
