/**
 * Pure rules of the change log: which fields changed between two versions of an object, and
 * which values must never be stored (secrets). No I/O.
 */

/** The value stored instead of a secret's (the log says it changed, never to what). */
export const REDACTED = '[redacted]'

/**
 * Field names whose values are secrets: postback and webhook secrets, passwords, API keys
 * and tokens (plain or hashed), TOTP secrets, SMTP/IMAP credentials. Matched on the field
 * name, case-insensitively, camelCase or snake_case.
 */
const SECRET_FIELD = /secret|passw|token|api_?key|key_?hash|private_?key|credential|^auth$|totp/i

/** Fields that change on every write and say nothing (stamps). */
const IGNORED_FIELDS = new Set(['updatedAt', 'updated_at', 'createdAt', 'created_at'])

/** True when a field named `name` holds a secret. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name)
}

/** One field's change: values as JSON (dates as ISO strings); absent = the field did not exist. */
export interface FieldChange {
  before?: unknown
  after?: unknown
}

/** JSON-comparable form of a value: `Date` → ISO string, `undefined` → null, objects recursively. */
export function normaliseValue(v: unknown): unknown {
  if (v === undefined) return null
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(normaliseValue)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) out[k] = normaliseValue((v as Record<string, unknown>)[k])
    return out
  }
  return v
}

function redact(field: string, v: unknown, extraSecrets: ReadonlySet<string>): unknown {
  if (v === null || v === undefined || v === '') return normaliseValue(v)
  if (isSecretField(field) || extraSecrets.has(field)) return REDACTED
  return normaliseValue(v)
}

/**
 * The changed fields between `before` and `after` (either may be null: a create has no
 * before, a delete no after), as `{ field: { before, after } }`. Stamps (`updatedAt`, …) are
 * left out; a secret field appears with `"[redacted]"` in place of each non-empty value, so
 * the log shows that a secret was set, changed or cleared, never the secret.
 * @param extraSecrets field names to redact beyond {@link isSecretField}'s pattern.
 */
export function diffChanges(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  extraSecrets: ReadonlySet<string> = new Set(),
): Record<string, FieldChange> {
  const out: Record<string, FieldChange> = {}
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])
  for (const k of [...keys].sort()) {
    if (IGNORED_FIELDS.has(k)) continue
    const b = before ? normaliseValue(before[k]) : undefined
    const a = after ? normaliseValue(after[k]) : undefined
    if (before && after && JSON.stringify(b) === JSON.stringify(a)) continue
    const change: FieldChange = {}
    if (before) change.before = redact(k, before[k], extraSecrets)
    if (after) change.after = redact(k, after[k], extraSecrets)
    out[k] = change
  }
  return out
}
