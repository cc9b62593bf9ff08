/**
 * Pure logic of the stream editor: stream ordering as the router runs them, the condition
 * rule types (from the API's own `conditionSchema`), and conversions between the editor's
 * draft state and the API's `conditions` / `destinations` shapes.
 */
import { type ConditionKind, conditionSchema } from '../../../../../src/modules/routing/routing.schema.ts'
import type { ConditionRule, Conditions, Stream, StreamDestination } from '@/hooks/api/streams'

/** Every condition `type` the API accepts, in its declared order. */
export const RULE_TYPES: ConditionKind[] = conditionSchema.options.map((o) => o.shape.type.value)

/** The inputs the editor shows for a rule: values, a parameter name and values, none, a schedule, a window. */
export type RuleFields = 'values' | 'name_values' | 'none' | 'schedule' | 'window'

/**
 * The inputs of each rule type. Keyed by every kind of `conditionSchema`, like the labels and
 * hints below: a new condition kind does not compile until it has its place here.
 */
export const RULE_FIELDS = {
  country: 'values',
  language: 'values',
  device: 'values',
  os: 'values',
  browser: 'values',
  ip: 'values',
  user_agent: 'values',
  referrer: 'values',
  param: 'name_values',
  source: 'values',
  bot: 'none',
  schedule: 'schedule',
  unique: 'window',
} as const satisfies Record<ConditionKind, RuleFields>

/** Rule types edited with a values list. */
type ValueKind = {
  [K in ConditionKind]: (typeof RULE_FIELDS)[K] extends 'values' | 'name_values' ? K : never
}[ConditionKind]

const isKind = (type: string): type is ConditionKind => Object.hasOwn(RULE_FIELDS, type)

/** The inputs of a rule type; a type this build does not know is edited as plain values. */
export function ruleFields(type: string): RuleFields {
  return isKind(type) ? RULE_FIELDS[type] : 'values'
}

/** Human labels of rule types. */
export const RULE_LABELS: Record<ConditionKind, string> = {
  country: 'Country',
  language: 'Language',
  device: 'Device',
  os: 'OS',
  browser: 'Browser',
  ip: 'IP / CIDR',
  user_agent: 'User agent',
  referrer: 'Referrer',
  param: 'URL parameter',
  source: 'Source',
  bot: 'Bot',
  schedule: 'Schedule',
  unique: 'Unique visitor',
}

/** Parameter names offered for `param` rules (any name is allowed). */
export const PARAM_NAMES = [
  ...Array.from({ length: 10 }, (_, i) => `sub${i + 1}`),
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
]

/** Placeholder of the values input per rule type. */
export const VALUE_HINTS: Record<ValueKind, string> = {
  country: 'US, CA, GB',
  language: 'en, de',
  device: 'desktop, mobile, tablet, other',
  os: 'Windows, iOS, Android',
  browser: 'Chrome, Safari',
  ip: '10.0.0.0/8, 203.0.113.7',
  user_agent: '*iPhone*',
  referrer: '*google.*',
  param: 'value1, value2',
  source: 'source name or id',
}

/** Placeholder of the values input of a rule type (undefined for a type without values). */
export function valueHint(type: string): string | undefined {
  return isKind(type) && Object.hasOwn(VALUE_HINTS, type) ? VALUE_HINTS[type as ValueKind] : undefined
}

/** Label of a rule type (the raw type for one this build does not know). */
export const ruleLabel = (type: string): string => (isKind(type) ? RULE_LABELS[type] : type)

/** Rule as edited: values as comma-separated text. */
export interface RuleDraft {
  key: string
  type: string
  op: 'is' | 'is_not'
  values: string
  name: string
  days: number[]
  from: string
  to: string
  window_seconds: string
}

export interface GroupDraft {
  key: string
  join: 'and' | 'or'
  rules: RuleDraft[]
}

export interface ConditionsDraft {
  join: 'and' | 'or'
  groups: GroupDraft[]
}

let seq = 0
/** A key unique within this page (React list keys of drafts). */
export const draftKey = () => `k${++seq}`

export function newRule(type = 'country'): RuleDraft {
  return {
    key: draftKey(),
    type,
    op: 'is',
    values: '',
    name: 'sub1',
    days: [1, 2, 3, 4, 5, 6, 7],
    from: '00:00',
    to: '23:59',
    window_seconds: '86400',
  }
}

export const newGroup = (): GroupDraft => ({ key: draftKey(), join: 'and', rules: [newRule()] })

/** Splits "a, b ,c" into ["a","b","c"] (empty parts dropped). */
export function splitValues(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** Editor state of API conditions. */
export function conditionsToDraft(c: Conditions | undefined): ConditionsDraft {
  return {
    join: c?.join ?? 'and',
    groups: (c?.groups ?? []).map((g) => ({
      key: draftKey(),
      join: g.join,
      rules: g.rules.map((r) => ({
        ...newRule(r.type),
        op: r.op,
        values: (r.values ?? []).join(', '),
        name: r.name ?? '',
        ...(r.schedule ? { days: r.schedule.days, from: r.schedule.from, to: r.schedule.to } : {}),
        window_seconds: String(r.window_seconds ?? 86400),
      })),
    })),
  }
}

/** API rule of a draft: only the fields its type takes. */
export function draftToRule(r: RuleDraft): ConditionRule {
  const fields = ruleFields(r.type)
  switch (fields) {
    case 'none':
      return { type: r.type, op: r.op }
    case 'schedule':
      return { type: r.type, op: r.op, schedule: { days: [...r.days].sort(), from: r.from, to: r.to } }
    case 'window':
      return { type: r.type, op: r.op, window_seconds: Number(r.window_seconds) || 86400 }
    case 'name_values':
      return { type: r.type, op: r.op, name: r.name.trim(), values: splitValues(r.values) }
    case 'values':
      return { type: r.type, op: r.op, values: splitValues(r.values) }
    default: {
      const unhandled: never = fields
      return unhandled
    }
  }
}

/** API conditions of the editor state (groups without rules are dropped). */
export function draftToConditions(d: ConditionsDraft): Conditions {
  return {
    join: d.join,
    groups: d.groups
      .filter((g) => g.rules.length > 0)
      .map((g) => ({ join: g.join, rules: g.rules.map(draftToRule) })),
  }
}

/** A destination row of the editor. */
export interface DestinationDraft extends StreamDestination {
  key: string
}

export const destinationsToDraft = (list: StreamDestination[] | undefined): DestinationDraft[] =>
  (list ?? []).map((d) => ({ ...d, key: draftKey() }))

export const draftToDestinations = (list: DestinationDraft[]): StreamDestination[] =>
  list.map(({ destination_id, weight, active }) => ({ destination_id, weight, active }))

/** Moves item `i` by `delta` (−1 up, +1 down); out-of-range moves return the list unchanged. */
export function move<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = i + delta
  if (i < 0 || j < 0 || i >= list.length || j >= list.length) return [...list]
  const out = [...list]
  ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  return out
}

const KIND_ORDER: Record<Stream['kind'], number> = { forced: 0, regular: 1, default: 2 }

/** Streams in the order the router tries them: forced, regular by priority (lower first), default. */
export function orderStreams<T extends Pick<Stream, 'kind' | 'priority' | 'created_at'>>(streams: T[]): T[] {
  return [...streams].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      a.priority - b.priority ||
      a.created_at.localeCompare(b.created_at),
  )
}

/** One-line description of a rule, e.g. "Country is US, CA". */
export function describeRule(r: ConditionRule): string {
  const label = r.type === 'param' ? (r.name ?? 'param') : ruleLabel(r.type)
  const op = r.op === 'is_not' ? 'is not' : 'is'
  if (r.type === 'bot') return r.op === 'is_not' ? 'Not a bot' : 'Is a bot'
  if (r.type === 'schedule' && r.schedule)
    return `${op === 'is' ? 'Within' : 'Outside'} ${r.schedule.from}–${r.schedule.to} on days ${r.schedule.days.join(',')}`
  if (r.type === 'unique')
    return `${op === 'is' ? 'Unique' : 'Repeat'} visitor (${r.window_seconds ?? 86400} s)`
  return `${label} ${op} ${(r.values ?? []).join(', ')}`
}

/** One-line description of conditions; "All traffic" when empty. */
export function describeConditions(c: Conditions | undefined): string {
  if (!c || c.groups.length === 0) return 'All traffic'
  const groups = c.groups.map((g) => {
    const s = g.rules.map(describeRule).join(g.join === 'and' ? ' and ' : ' or ')
    return c.groups.length > 1 && g.rules.length > 1 ? `(${s})` : s
  })
  return groups.join(c.join === 'and' ? ' AND ' : ' OR ')
}
