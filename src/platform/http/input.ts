/**
 * Input checks the admin API applies to every request before any route sees it (pure).
 *
 * - {@link unsafeInput}: strings must be storable text — no NUL (PostgreSQL refuses 0x00 in
 *   `text`) and no unpaired UTF-16 surrogate (not valid Unicode, not encodable as UTF-8) —
 *   and numbers must be storable in a `real` column: a non-zero magnitude below float32's
 *   smallest normal (~1.2e-38, e.g. `1e-320`) underflows there, so it is refused too.
 * - {@link droppedKeys}: object keys a zod schema silently stripped (a non-strict nested
 *   object), so that an unknown key anywhere in a body is a 400 naming it, not a 200 that
 *   ignored a typo (`health_check.enabeld`).
 *
 * Both answer `[{ path, message }]` with dotted paths (`health_check.enabeld`, `tags.0`).
 */

/** One field error: dotted path and what is wrong. */
export interface FieldError {
  path: string
  message: string
}

/** NUL, or a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNSAFE_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Smallest normal float32 (FLT_MIN): below it a `real` column underflows. */
export const MIN_NORMAL_REAL = 1.1754943508222875e-38

/** Depth past which a value is not inspected further (bodies are at most 1 MiB anyway). */
const MAX_DEPTH = 64

function textProblem(s: string): string | undefined {
  const m = UNSAFE_TEXT.exec(s)
  if (!m) return undefined
  return m[0] === '\0' ? 'contains a NUL character' : 'contains an unpaired surrogate (not valid Unicode)'
}

const join = (at: string, key: string) => (at === '' ? key : `${at}.${key}`)

/**
 * Every string (object keys included) and number in `value` that cannot be stored: see the
 * module comment. `at` prefixes the paths (e.g. `'query'` when the value is the whole query
 * object and a top-level scalar must still be named). At most `limit` errors (default 20).
 */
export function unsafeInput(value: unknown, at = '', limit = 20): FieldError[] {
  const out: FieldError[] = []
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= limit || depth > MAX_DEPTH) return
    if (typeof v === 'string') {
      const p = textProblem(v)
      if (p) out.push({ path, message: p })
    } else if (typeof v === 'number') {
      if (v !== 0 && Math.abs(v) < MIN_NORMAL_REAL)
        out.push({ path, message: 'number too close to zero (use 0)' })
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], join(path, String(i)), depth + 1)
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const p = textProblem(k)
        // The key itself cannot be echoed: name it by its escaped JSON form.
        if (p) out.push({ path: join(path, JSON.stringify(k)), message: `field name ${p}` })
        else walk(x, join(path, k), depth + 1)
      }
    }
  }
  walk(value, at, 0)
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * Keys of `input` objects that are missing at the same place in `output` (the schema's
 * parse result): the keys a non-strict zod object dropped. Walks only where both sides are
 * plain objects, or arrays of the same length, so a transform that changes a value's shape
 * is not mistaken for a dropped key. Message `unknown field`.
 */
export function droppedKeys(input: unknown, output: unknown, limit = 20): FieldError[] {
  const out: FieldError[] = []
  const walk = (i: unknown, o: unknown, path: string, depth: number) => {
    if (out.length >= limit || depth > MAX_DEPTH) return
    if (Array.isArray(i) && Array.isArray(o)) {
      if (i.length !== o.length) return
      for (let n = 0; n < i.length; n++) walk(i[n], o[n], join(path, String(n)), depth + 1)
    } else if (isPlainObject(i) && isPlainObject(o)) {
      for (const k of Object.keys(i)) {
        if (!Object.hasOwn(o, k)) out.push({ path: join(path, k), message: 'unknown field' })
        else walk(i[k], o[k], join(path, k), depth + 1)
      }
    }
  }
  walk(input, output, '', 0)
  return out
}
