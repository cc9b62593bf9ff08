/**
 * String helpers for the routing core: case-insensitive `*` wildcard patterns and safe
 * access to the (attacker-controlled) query object.
 *
 * Wildcards are matched without regular expressions: a pattern is split at `*` into a
 * prefix, a suffix and ordered middle segments, and matched with `startsWith`/`endsWith`/
 * `indexOf`. Leftmost-first segment search is exact for `*`-only patterns, runs in
 * O(|input| × |pattern|) at worst, and cannot backtrack catastrophically (no ReDoS from a
 * hostile User-Agent against an operator's `*a*a*a*` pattern).
 */

/** One compiled wildcard (a pattern that contains at least one `*`), lower-cased. */
export interface CompiledWildcard {
  readonly prefix: string
  readonly suffix: string
  /** Non-empty literal segments between the first and the last `*`, in order. */
  readonly middle: readonly string[]
  /** prefix.length + suffix.length + Σ middle lengths: shorter inputs cannot match. */
  readonly minLength: number
}

/**
 * A set of case-insensitive patterns compiled once at snapshot time.
 * `exact` holds the lower-cased patterns without `*` (O(1) lookup); `wildcards` the rest.
 */
export interface PatternSet {
  readonly exact: ReadonlySet<string>
  readonly wildcards: readonly CompiledWildcard[]
}

/** Compiles one lower-cased pattern that contains `*`. */
function compileWildcard(lower: string): CompiledWildcard {
  const parts = lower.split('*')
  const prefix = parts[0] ?? ''
  const suffix = parts.length > 1 ? (parts[parts.length - 1] ?? '') : ''
  const middle = parts.slice(1, -1).filter((p) => p.length > 0)
  let minLength = prefix.length + suffix.length
  for (const m of middle) minLength += m.length
  return { prefix, suffix, middle, minLength }
}

/**
 * Compiles patterns (any strings; `*` matches any run of characters, including none;
 * every other character is literal) into a {@link PatternSet}. Non-string entries are
 * ignored. Never throws.
 */
export function compilePatterns(patterns: readonly unknown[] | undefined): PatternSet {
  const exact = new Set<string>()
  const wildcards: CompiledWildcard[] = []
  for (const p of Array.isArray(patterns) ? patterns : []) {
    if (typeof p !== 'string') continue
    const lower = p.toLowerCase()
    if (lower.includes('*')) wildcards.push(compileWildcard(lower))
    else exact.add(lower)
  }
  return { exact, wildcards }
}

/** True when the already lower-cased `input` matches the wildcard over its whole length. */
export function matchWildcard(w: CompiledWildcard, input: string): boolean {
  if (input.length < w.minLength) return false
  if (!input.startsWith(w.prefix) || !input.endsWith(w.suffix)) return false
  let pos = w.prefix.length
  const end = input.length - w.suffix.length
  for (const seg of w.middle) {
    const at = input.indexOf(seg, pos)
    if (at < 0 || at + seg.length > end) return false
    pos = at + seg.length
  }
  return true
}

/** True when the already lower-cased `input` matches any pattern of the set. */
export function matchPatterns(set: PatternSet, input: string): boolean {
  if (set.exact.has(input)) return true
  for (const w of set.wildcards) if (matchWildcard(w, input)) return true
  return false
}

/** `v` when it is a string, otherwise "" (defends the core against malformed contexts). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

/**
 * Value of query parameter `name`, or "" when absent. Only own string properties count,
 * so names such as `__proto__` or `constructor` never reach Object.prototype.
 */
export function queryValue(query: Readonly<Record<string, string>> | null | undefined, name: string): string {
  if (query === null || typeof query !== 'object') return ''
  if (!Object.hasOwn(query, name)) return ''
  return str(query[name])
}

/** Formats a value for a trace message: quoted, truncated to 80 chars, `(empty)` for "". */
export function showValue(v: string): string {
  if (v === '') return '(empty)'
  return v.length > 80 ? `${v.slice(0, 77)}...` : v
}

/** Formats a configured value list for a trace message: `[a, b, c, +7 more]`. */
export function showList(values: readonly unknown[] | undefined, max = 8): string {
  const list = Array.isArray(values) ? values.map((v) => (v === '' ? '""' : String(v))) : []
  const shown = list.slice(0, max).join(', ')
  return list.length > max ? `[${shown}, +${list.length - max} more]` : `[${shown}]`
}
