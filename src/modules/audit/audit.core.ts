/**
 * Pure shaping of the audit module's answers: a change-log row as the API's JSON, and as
 * CSV lines (one per changed field, values JSON-encoded). No I/O.
 */

/** A change-log row as the repository reads it (the fields this file needs). */
export interface ChangeRecord {
  id: number
  at: Date
  actorType: 'user' | 'api_key' | 'system'
  actorUserId: string | null
  actorApiKeyId: string | null
  actorLabel: string
  ip: string | null
  objectType: string
  objectId: string
  objectName: string | null
  action: 'create' | 'update' | 'delete'
  changes: unknown
}

/** One field's change in the API: `before` absent on a create, `after` absent on a delete. */
export interface FieldChangeJson {
  before?: unknown
  after?: unknown
}

/** The API's JSON of one change (`GET /change-log`). */
export interface ChangeJson {
  id: string
  at: string
  actor: {
    type: 'user' | 'api_key' | 'system'
    user_id: string | null
    api_key_id: string | null
    label: string
  }
  ip: string | null
  object_type: string
  object_id: string
  object_name: string | null
  action: 'create' | 'update' | 'delete'
  changes: Record<string, FieldChangeJson>
}

function changesOf(v: unknown): Record<string, FieldChangeJson> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, FieldChangeJson>)
    : {}
}

/** A stored change as the API answers it (ids as strings: `id` is a bigserial). */
export function changeJson(r: ChangeRecord): ChangeJson {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    actor: { type: r.actorType, user_id: r.actorUserId, api_key_id: r.actorApiKeyId, label: r.actorLabel },
    ip: r.ip,
    object_type: r.objectType,
    object_id: r.objectId,
    object_name: r.objectName,
    action: r.action,
    changes: changesOf(r.changes),
  }
}

/** Header of the change-log CSV. */
export const CHANGE_CSV_HEADER = [
  'at',
  'actor',
  'ip',
  'object_type',
  'object_id',
  'object_name',
  'action',
  'field',
  'before',
  'after',
] as const

/** A JSON-encoded cell; an absent value (no before on a create) is an empty cell. */
function jsonCell(v: unknown, present: boolean): string | null {
  return present ? JSON.stringify(v ?? null) : null
}

/**
 * The CSV lines of one change: one per changed field (in field order), or one line with an
 * empty field when the change lists none. `actor` is `system: <job>` for jobs.
 */
export function changeCsvRows(r: ChangeRecord): (string | null)[][] {
  const actor = r.actorType === 'system' ? `system: ${r.actorLabel}` : r.actorLabel
  const head = [r.at.toISOString(), actor, r.ip, r.objectType, r.objectId, r.objectName, r.action]
  const fields = Object.entries(changesOf(r.changes)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (fields.length === 0) return [[...head, null, null, null]]
  return fields.map(([field, c]) => [
    ...head,
    field,
    jsonCell(c?.before, c !== null && typeof c === 'object' && 'before' in c),
    jsonCell(c?.after, c !== null && typeof c === 'object' && 'after' in c),
  ])
}

/** A security event as the repository reads it. */
export interface SecurityEventRecord {
  id: string
  at: Date
  kind: string
  userId: string | null
  email: string | null
  ip: string | null
  userAgent: string | null
  detail: unknown
}

/** The API's JSON of one security event. */
export function securityEventJson(r: SecurityEventRecord) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    kind: r.kind,
    user_id: r.userId,
    email: r.email,
    ip: r.ip,
    user_agent: r.userAgent,
    detail: (r.detail !== null && typeof r.detail === 'object' ? r.detail : {}) as Record<string, unknown>,
  }
}

/** Header of the security-events CSV. */
export const SECURITY_CSV_HEADER = ['at', 'kind', 'user_id', 'email', 'ip', 'user_agent', 'detail'] as const

/** The CSV line of one security event (`detail` JSON-encoded). */
export function securityEventCsvRow(r: SecurityEventRecord): (string | null)[] {
  const j = securityEventJson(r)
  return [j.at, j.kind, j.user_id, j.email, j.ip, j.user_agent, JSON.stringify(j.detail)]
}
