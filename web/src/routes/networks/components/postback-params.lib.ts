/**
 * Pure logic of the postback settings form: the sub mapping rows (our sub1..sub10 → the
 * network's parameter names) and their conversion to and from the API's `params.subs`, the
 * form's validation (parameter names follow the API's own zod schema), where the API's field
 * errors land, and the postback URL preview (the server's own URL builder).
 */
import { z } from 'zod'
import {
  CONVERSION_STATUSES,
  SUB_KEYS,
  type SubKey,
} from '../../../../../src/modules/conversions/conversions.core.ts'
import {
  POSTBACK_TEMPLATES,
  postbackParamsSchema,
} from '../../../../../src/modules/conversions/conversions.schema.ts'
import {
  postbackUrlFor,
  postbackUrlWithSecret,
  SECRET_PLACEHOLDER,
} from '../../../../../src/modules/conversions/postback.parse.ts'
import type { PostbackParams, PostbackSettings, PostbackTemplate } from '@/hooks/api/networks'

export { SUB_KEYS, type SubKey }

/** Parameter names the form edits besides the subs (each overrides the template's). */
export const PARAMS = ['click_id', 'transaction_id', 'payout', 'status', 'currency'] as const
export type ParamField = (typeof PARAMS)[number]

/** The API's rule for one parameter name (`1–64 chars of A–Z a–z 0–9 _ . - [ ]`). */
const apiParamName = postbackParamsSchema.shape.click_id.unwrap()

/** An optional parameter name: empty (= the template's) or one the API accepts (its messages). */
const optionalParamName = z
  .string()
  .trim()
  .superRefine((s, ctx) => {
    if (s === '') return
    for (const issue of apiParamName.safeParse(s).error?.issues ?? [])
      ctx.addIssue({ code: 'custom', message: issue.message })
  })

/** One row of the sub mapping editor. */
export interface SubRow {
  key: SubKey
  /** The network's parameter name carrying that sub value. */
  param: string
}

const subRow = z.object({
  key: z.enum(SUB_KEYS as [SubKey, ...SubKey[]]),
  param: z.string().trim().min(1, 'Name the network’s parameter').pipe(apiParamName),
})

/** Sub rows: each of our subs mapped at most once. */
export const subRowsSchema = z.array(subRow).superRefine((rows, ctx) => {
  const seen = new Set<string>()
  rows.forEach((r, i) => {
    if (seen.has(r.key))
      ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `${r.key} is mapped twice` })
    seen.add(r.key)
  })
})

/** The form's values. */
export const postbackFormSchema = z.object({
  template: z.enum(POSTBACK_TEMPLATES),
  click_id: optionalParamName,
  transaction_id: optionalParamName,
  payout: optionalParamName,
  status: optionalParamName,
  currency: optionalParamName,
  subs: subRowsSchema,
  status_map: z.string().max(10_000),
  default_status: z.enum(CONVERSION_STATUSES),
})
export type PostbackFormValues = z.input<typeof postbackFormSchema>

/** `{sub2: 'aff_sub2', sub1: 's1'}` → rows in sub order (sub1, sub2 …). */
export function subsToRows(subs: PostbackParams['subs']): SubRow[] {
  return SUB_KEYS.filter((k) => subs?.[k]).map((k) => ({ key: k, param: subs![k]! }))
}

/** Rows → the API's `subs` object (trimmed); undefined when there is no row. */
export function rowsToSubs(rows: readonly SubRow[]): PostbackParams['subs'] {
  if (rows.length === 0) return undefined
  return Object.fromEntries(rows.map((r) => [r.key, r.param.trim()]))
}

/** The first of our subs no row maps yet (for "Add"); undefined when all ten are mapped. */
export function nextFreeSub(rows: readonly Pick<SubRow, 'key'>[]): SubKey | undefined {
  const used = new Set(rows.map((r) => r.key))
  return SUB_KEYS.find((k) => !used.has(k))
}

/** The API's `params` for the form's values (empty names left out: the template's apply). */
export function toApiParams(v: Pick<PostbackFormValues, ParamField | 'subs'>): PostbackParams {
  const params: PostbackParams = {}
  for (const p of PARAMS) {
    const name = v[p].trim()
    if (name) params[p] = name
  }
  const subs = rowsToSubs(v.subs)
  if (subs) params.subs = subs
  return params
}

/** The form's values for saved settings. */
export function toFormValues(s: PostbackSettings): PostbackFormValues {
  return {
    template: s.template,
    click_id: s.params.click_id ?? '',
    transaction_id: s.params.transaction_id ?? '',
    payout: s.params.payout ?? '',
    status: s.params.status ?? '',
    currency: s.params.currency ?? '',
    subs: subsToRows(s.params.subs),
    status_map: Object.entries(s.status_map)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n'),
    default_status: s.default_status,
  }
}

/**
 * The form field an API error path names: `params.payout` → `payout`, `params.subs.sub2` →
 * `subs.<row of sub2>.param`, `status_map.<key>` → `status_map`; undefined for a path the
 * form does not have.
 */
export function formFieldOf(path: string, rows: readonly Pick<SubRow, 'key'>[]): string | undefined {
  const sub = /^params\.subs\.(sub\d+)$/.exec(path)
  if (sub) {
    const i = rows.findIndex((r) => r.key === sub[1])
    return i === -1 ? undefined : `subs.${i}.param`
  }
  if (path === 'status_map' || path.startsWith('status_map.')) return 'status_map'
  if (path === 'template' || path === 'default_status') return path
  const name = path.replace(/^params\./, '')
  return (PARAMS as readonly string[]).includes(name) ? name : undefined
}

/**
 * The postback URL the current values would give, built like the server builds it. The base
 * (`PUBLIC_URL`) is taken from the saved URL, which the API returns.
 */
export function previewPostbackUrl(
  saved: Pick<PostbackSettings, 'postback_url' | 'network_id' | 'has_postback_secret'>,
  template: PostbackTemplate,
  params: PostbackParams,
): string {
  const i = saved.postback_url.indexOf('/postback?')
  const base = i === -1 ? '' : saved.postback_url.slice(0, i)
  return postbackUrlFor(base, saved.network_id, { template, params }, saved.has_postback_secret)
}

/** What the screen shows in place of the secret until "Reveal". */
export const SECRET_MASK = '••••••••'

/**
 * The postback URL the copy button gives: `url` (from {@link previewPostbackUrl} or the
 * saved `postback_url`) with the network's real secret in place of `{secret}`, so pasted
 * as is it passes the secret check and only the network's macros are left as `{…}`.
 * `secret` null (no secret, or the user may not read it) leaves `{secret}` in.
 */
export function copiedPostbackUrl(url: string, secret: string | null | undefined): string {
  return postbackUrlWithSecret(url, secret)
}

/**
 * The postback URL as shown on screen: with the real secret when `revealed`, else with the
 * secret masked ({@link SECRET_MASK}); `{secret}` stays when the secret is not known.
 */
export function shownPostbackUrl(url: string, secret: string | null | undefined, revealed: boolean): string {
  if (!secret) return url
  if (revealed) return copiedPostbackUrl(url, secret)
  return url.replace(`secret=${SECRET_PLACEHOLDER}`, `secret=${SECRET_MASK}`)
}
