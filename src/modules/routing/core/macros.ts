/**
 * Destination URL templates with safe macros.
 *
 * A template is compiled once (snapshot time) into its origin (`scheme://authority`, taken
 * literally from the template) and alternating literal / macro parts for the rest. Values
 * are percent-encoded with encodeURIComponent, so a value can never contain `/`, `\`, `?`,
 * `#`, `@` or `:`; and since every macro sits after the end of the authority, no value can
 * change the scheme, host or port. Macros written inside the authority are dropped.
 */

/** Macro names a template may use, e.g. `{click_id}`, `{sub3}`. */
export const MACRO_NAMES = [
  'click_id',
  'campaign_id',
  'stream_id',
  'destination_id',
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
  'country',
  'device',
  'os',
  'browser',
  'language',
  'cost',
  'external_id',
  'source',
] as const

export type MacroName = (typeof MACRO_NAMES)[number]

/** Values for macros; missing ones render as "". */
export type MacroValues = Partial<Record<MacroName, string>>

const KNOWN: ReadonlySet<string> = new Set(MACRO_NAMES)
/** `{name}`: a macro token (known or unknown). Other braces stay literal. */
const TOKEN = /\{([A-Za-z0-9_]{1,64})\}/g
/** http(s) scheme plus authority: everything up to the first `/`, `\`, `?` or `#`. */
const ORIGIN = /^(https?:\/\/)([^/\\?#]*)/i
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * A precompiled template. `literals.length === macros.length + 1`; output = l0 m0 l1 m1 … ln.
 * `N` is the macro vocabulary (routing's {@link MacroName} unless compiled with
 * {@link compileUrlTemplateWith}).
 */
export interface CompiledUrlTemplate<N extends string = MacroName> {
  /** False when the template is not an absolute http(s) URL with a literal host; never rendered. */
  readonly ok: boolean
  /** Literal `scheme://authority` with any authority macros removed. */
  readonly origin: string
  readonly literals: readonly string[]
  readonly macros: readonly N[]
  /** Macros found in the authority and dropped (for validation messages). */
  readonly droppedFromAuthority: readonly string[]
}

/**
 * Compiles a template. Never throws: a template without an http(s) scheme or with an empty
 * literal host yields `ok: false`. Unknown macros (`{foo}`) render as "" and are dropped here.
 */
export function compileUrlTemplate(template: string): CompiledUrlTemplate {
  return compileWith(template, KNOWN) as CompiledUrlTemplate
}

/**
 * {@link compileUrlTemplate} with another macro vocabulary (e.g. the outbound postback
 * macros `{payout}`, `{status}`). Same guarantees: values are encoded and cannot reach the
 * scheme or authority; names outside `names` render as "".
 */
export function compileUrlTemplateWith<N extends string>(
  template: string,
  names: readonly N[],
): CompiledUrlTemplate<N> {
  return compileWith(template, new Set<string>(names)) as CompiledUrlTemplate<N>
}

function compileWith(template: string, known: ReadonlySet<string>): CompiledUrlTemplate<string> {
  const t = typeof template === 'string' ? template : ''
  const m = ORIGIN.exec(t)
  const droppedFromAuthority: string[] = []
  const authority = (m?.[2] ?? '').replace(TOKEN, (tok) => {
    droppedFromAuthority.push(tok)
    return ''
  })
  const ok = m !== null && /^[^:\s]/.test(authority.slice(authority.lastIndexOf('@') + 1))
  const origin = m ? m[1]!.toLowerCase() + authority : ''
  const literals: string[] = []
  const macros: string[] = []
  let current = origin
  const rest = m ? t.slice(m[0].length) : ''
  let last = 0
  for (const tok of rest.matchAll(TOKEN)) {
    current += rest.slice(last, tok.index)
    last = tok.index + tok[0].length
    const name = (tok[1] ?? '').toLowerCase()
    if (known.has(name)) {
      literals.push(current)
      macros.push(name)
      current = ''
    }
  }
  literals.push(current + rest.slice(last))
  return { ok, origin, literals, macros, droppedFromAuthority }
}

/** encodeURIComponent that never throws (lone surrogates become U+FFFD first). */
export function encodeValue(v: string | undefined): string {
  if (v === undefined || v === '') return ''
  const s = typeof v === 'string' ? v : String(v)
  try {
    return encodeURIComponent(s)
  } catch {
    return encodeURIComponent(s.replace(LONE_SURROGATE, '\uFFFD'))
  }
}

/**
 * Renders a compiled template; `lookup(name, source)` supplies raw (unencoded) values,
 * undefined = "". Passing `source` separately lets the hot path use one module-level
 * lookup function instead of a closure per click. Returns "" when `t.ok` is false.
 */
export function renderCompiledUrl<S, N extends string = MacroName>(
  t: CompiledUrlTemplate<N>,
  lookup: (name: N, source: S) => string | undefined,
  source: S,
): string {
  if (!t.ok) return ''
  let out = t.literals[0] ?? ''
  const macros = t.macros
  for (let i = 0; i < macros.length; i++)
    out += encodeValue(lookup(macros[i]!, source)) + (t.literals[i + 1] ?? '')
  return out
}

function recordValue(name: MacroName, values: MacroValues): string | undefined {
  return Object.hasOwn(values, name) ? values[name] : undefined
}

/**
 * Compiles and renders in one go (tests, previews; the hot path uses precompiled templates).
 * @param template http(s) URL template, e.g. "https://offer.example/?s={sub1}&c={click_id}"
 * @param values raw macro values (encoded here)
 * @returns the URL, or "" when the template has no literal http(s) host
 */
export function renderUrl(template: string, values: MacroValues): string {
  return renderCompiledUrl(compileUrlTemplate(template), recordValue, values)
}
