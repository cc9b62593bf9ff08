/**
 * Pure helpers of the change-log views (the History tab of edit pages, Logs → Changes):
 * readable field names, values as short text, secrets, object types and their pages.
 * The API's change entries carry `{ <field>: { before?, after? } }` with the field names of
 * the stored rows (camelCase: `destinationId`, `payoutMicros`) and `"[redacted]"` in place of
 * every secret value (src/platform/changelog/changelog.core.ts).
 */

/** What the API stores instead of a secret's value. */
export const REDACTED = '[redacted]'

/** True when `v` is the API's placeholder for a secret value. */
export const isRedacted = (v: unknown): boolean => v === REDACTED

/** Words written in capitals when they make up a field name's word. */
const ACRONYMS = new Set([
  'id',
  'ids',
  'url',
  'urls',
  'ip',
  'ips',
  'api',
  'ts',
  'smtp',
  'imap',
  'tz',
  'utm',
  'cpc',
  'cpa',
  'cpm',
])

/** Field names whose generic reading would mislead (`destinationId` is an offer in the UI). */
const FIELD_LABELS: Record<string, string> = {
  destinationId: 'Offer',
  destinationIds: 'Offers',
  destinations: 'Offers',
  tsCampaignId: 'TrafficStars campaign',
  require2fa: 'Require 2FA',
}

/**
 * A field name of a stored row as a label: `destinationId` → "Offer" (the UI's word),
 * `postbackUrl` / `postback_url` → "Postback URL", `defaultCostMicros` → "Default cost"
 * (money fields are shown in units, see {@link formatChangeValue}), `sub1` → "Sub1".
 * An empty name stays empty.
 */
export function humaniseField(name: string): string {
  const known = FIELD_LABELS[name]
  if (known) return known
  const words = name
    .replace(/Micros$|_micros$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase())
  return words
    .map((w, i) => (ACRONYMS.has(w) ? w.toUpperCase() : i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w))
    .join(' ')
}

/** Shown for a missing, null or empty value. */
export const EMPTY_VALUE = '—'

/**
 * A changed value as one line of text: null / absent / '' → "—", strings as they are,
 * numbers and booleans as written ("true"), a `…Micros` field's number in units
 * (`payoutMicros: 2500000` → "2.5"), arrays and objects as compact JSON. Never throws.
 */
export function formatChangeValue(value: unknown, field = ''): string {
  if (value === null || value === undefined || value === '') return EMPTY_VALUE
  if (typeof value === 'string') return value
  if (typeof value === 'number') {
    if (/micros$/i.test(field)) return String(value / 1_000_000)
    return String(value)
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  try {
    return JSON.stringify(value) ?? EMPTY_VALUE
  } catch {
    return String(value)
  }
}

/** `text` cut to at most `max` characters, ending in "…" when cut. */
export function truncate(text: string, max = 80): string {
  if (text.length <= max) return text
  return `${text.slice(0, Math.max(0, max - 1))}…`
}

/** Fields holding the id of another object, and that object's kind (as `useNames` knows it). */
const REF_FIELDS: Record<string, 'campaign' | 'stream' | 'destination' | 'lander' | 'source' | 'network'> = {
  campaignId: 'campaign',
  streamId: 'stream',
  destinationId: 'destination',
  landerId: 'lander',
  sourceId: 'source',
  networkId: 'network',
}

/** The kind of object a field refers to by id (`sourceId` → `source`), else `undefined`. */
export function refDimension(field: string) {
  return REF_FIELDS[field.replace(/_id$/, 'Id').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())]
}

/** One field's change, in the API's shape. */
export interface FieldChange {
  before?: unknown
  after?: unknown
}

/** A field's change ready to show. */
export interface ChangeLine {
  field: string
  label: string
  /** The value was a secret (either side redacted): show "secret changed", never values. */
  secret: boolean
  /** Short texts (see {@link truncate}); `null` when the side is absent (create / delete). */
  before: string | null
  after: string | null
  /** The untruncated texts, for a tooltip or the "old values" dialog. */
  fullBefore: string | null
  fullAfter: string | null
}

/**
 * The changed fields of an entry as lines, in the API's (alphabetical) order; values cut to
 * `max` characters. A side absent from the change (a create has no `before`) is `null`.
 * `nameOf(field, id)`, when given, turns a non-empty string value into its text (ids of
 * referenced objects into their names, see {@link refDimension}).
 */
export function describeChanges(
  changes: Record<string, FieldChange> | null | undefined,
  max = 80,
  nameOf?: (field: string, id: string) => string,
): ChangeLine[] {
  return Object.entries(changes ?? {}).map(([field, c]) => {
    const has = (k: 'before' | 'after') => c !== null && typeof c === 'object' && k in c
    const text = (v: unknown) =>
      nameOf && typeof v === 'string' && v && !isRedacted(v) ? nameOf(field, v) : formatChangeValue(v, field)
    const fullBefore = has('before') ? text(c.before) : null
    const fullAfter = has('after') ? text(c.after) : null
    return {
      field,
      label: humaniseField(field),
      secret: isRedacted(c?.before) || isRedacted(c?.after),
      before: fullBefore === null ? null : truncate(fullBefore, max),
      after: fullAfter === null ? null : truncate(fullAfter, max),
      fullBefore,
      fullAfter,
    }
  })
}

/** Values that say nothing on a create or delete entry ("Tags: []", "Notes: —"). */
const BLANK_TEXTS = new Set([EMPTY_VALUE, '[]', '{}'])

/**
 * The lines worth showing of an entry: a create lists the fields it set (not the empty ones,
 * nor the id), a delete the non-empty values it removed; an update every changed field.
 */
export function visibleChanges(action: string, lines: ChangeLine[]): ChangeLine[] {
  if (action !== 'create' && action !== 'delete') return lines
  return lines.filter((l) => {
    if (l.field === 'id' || l.field === 'workspaceId' || l.field === 'workspace_id') return false
    if (l.secret) return true
    const text = action === 'create' ? l.fullAfter : l.fullBefore
    return text !== null && !BLANK_TEXTS.has(text)
  })
}

/** The object types the change log knows (the API's `object_type`, src/modules/audit/README.md). */
export const OBJECT_TYPES = [
  'campaign',
  'stream',
  'offer',
  'lander',
  'source',
  'network',
  'source_template',
  'autopilot_campaign',
  'autopilot_account',
  'member',
  'invitation',
  'api_key',
  'workspace',
  'billing_adjustment',
  'outreach_campaign',
  'outreach_settings',
  'mailbox',
  'visitor_project',
] as const
export type ObjectType = (typeof OBJECT_TYPES)[number]

const TYPE_LABELS: Record<string, string> = {
  offer: 'Offer',
  api_key: 'API key',
  outreach_campaign: 'Outreach campaign',
  outreach_settings: 'Outreach settings',
  autopilot_campaign: 'Autopilot campaign',
  autopilot_account: 'TrafficStars account',
  visitor_project: 'Visitor project',
  billing_adjustment: 'Billing adjustment',
  source_template: 'Source template',
}

/** `outreach_campaign` → "Outreach campaign"; unknown types read the same way. */
export function objectTypeLabel(type: string): string {
  const known = TYPE_LABELS[type]
  if (known) return known
  const s = type.replace(/_/g, ' ')
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/**
 * The page where an object of `type` is edited, or `null` when it has none of its own
 * (streams need their campaign; billing adjustments are lines of the ledger).
 */
export function objectHref(type: string, id: string): string | null {
  const e = encodeURIComponent(id)
  switch (type) {
    case 'campaign':
      return `/campaigns/${e}`
    case 'offer':
      return `/offers/${e}`
    case 'lander':
      return `/landers/${e}`
    case 'network':
      return `/networks/${e}`
    case 'source':
    case 'source_template':
      return '/sources'
    case 'autopilot_campaign':
    case 'autopilot_account':
      return '/autopilot'
    case 'outreach_settings':
      return '/outreach'
    case 'outreach_campaign':
      return `/outreach/campaigns/${e}`
    case 'mailbox':
      return `/outreach/mailboxes/${e}`
    case 'visitor_project':
      return `/visitors/${e}`
    case 'api_key':
      return '/settings/api-keys'
    case 'member':
    case 'invitation':
    case 'workspace':
      return '/settings/workspace'
    default:
      return null
  }
}

/** Verb of an action, for a sentence ("Created", "Changed", "Deleted"). */
export const ACTION_LABEL: Record<'create' | 'update' | 'delete', string> = {
  create: 'Created',
  update: 'Changed',
  delete: 'Deleted',
}

/**
 * The `type:id` keys of objects deleted according to `entries` (a loaded page, newest
 * first): a list links rows of these nowhere, since their page would answer 404.
 */
export function deletedObjects(
  entries: readonly { object_type: string; object_id: string; action: string }[],
): Set<string> {
  const out = new Set<string>()
  for (const e of entries) if (e.action === 'delete') out.add(`${e.object_type}:${e.object_id}`)
  return out
}

/**
 * A `YYYY-MM-DD` date input's value as the API's `from` (start of that day) or `to` (start of
 * the next day, exclusive) in the browser's zone, ISO; `undefined` for an empty or bad date.
 */
export function dayBound(date: string, edge: 'from' | 'to'): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return undefined
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (edge === 'to' ? 1 : 0))
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** Kinds of security event (mirrors `SecurityEventKind` of src/modules/accounts/accounts.security-events.ts). */
export const SECURITY_EVENT_KINDS = [
  'sign_in',
  'sign_in_failed',
  'two_factor_failed',
  'two_factor_enabled',
  'two_factor_disabled',
  'recovery_code_used',
  'recovery_codes_regenerated',
  'trusted_device_added',
  'api_key_created',
  'api_key_updated',
  'api_key_revoked',
  'workspace_2fa_required',
  'workspace_2fa_optional',
] as const

/** `two_factor_enabled` → "2FA enabled", `sign_in_failed` → "Sign-in failed", `api_key_created` → "API key created". */
export function securityKindLabel(kind: string): string {
  const s = kind
    .replace(/^sign_in/, 'sign-in')
    .replace(/two_factor|_2fa/g, (m) => (m === '_2fa' ? ' 2FA' : '2FA'))
    .replace(/api_key/, 'API key')
    .replace(/_/g, ' ')
    .trim()
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** A security event's `detail` as "key: value" pairs (strings and numbers; others as JSON). */
export function detailPairs(detail: unknown): [string, string][] {
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return []
  return Object.entries(detail as Record<string, unknown>).map(([k, v]) => [
    humaniseField(k),
    truncate(formatChangeValue(v), 120),
  ])
}
