/**
 * Campaign email templates (pure): merge fields, their validation and rendering.
 *
 * Syntax: `{{ field }}` or `{{ field | default }}` — blanks around the name, the bar and the
 * default are ignored, the name's case too. Fields: {@link MERGE_FIELDS}. A field whose
 * value is empty renders its default (or nothing). Text outside tags is kept as written,
 * single `{` and `}` included; `{{` must be closed by `}}` and a lone `}}` is an error, so
 * a typo never reaches a creator as raw braces.
 *
 * Merged values are cleaned ({@link cleanValue}): control characters and braces removed,
 * blank runs (line breaks included) collapsed to one space. A creator's name can then
 * neither break the Subject header onto a new line nor smuggle in a `{{`.
 */

/** The merge fields a template may use. */
export const MERGE_FIELDS = ['first_name', 'full_name', 'handle', 'platform', 'followers'] as const
export type MergeField = (typeof MERGE_FIELDS)[number]

/** The creator data a template reads (API names, as in the emails list's `creator`). */
export interface TemplateCreator {
  /** Profile handle, with or without a leading `@`. */
  handle: string
  full_name: string | null
  /** `instagram`, `tiktok`, … (see {@link platformLabel}). */
  platform: string
  followers: number | null
}

/** A problem in a template: the merge field it names (null for brace problems), where, why. */
export interface TemplateError {
  field: string | null
  /** 0-based character offset of the tag or brace in the text. */
  index: number
  message: string
}

/** A parsed piece of a template. */
type Part = { text: string } | { field: MergeField; fallback: string }

const TAG_BODY = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([\s\S]*))?$/

/** Splits a template into text and tags, collecting every error. */
function parse(text: string): { parts: Part[]; errors: TemplateError[] } {
  const parts: Part[] = []
  const errors: TemplateError[] = []
  let i = 0
  let literal = ''
  const strayClose = (chunk: string, offset: number) => {
    for (let j = chunk.indexOf('}}'); j !== -1; j = chunk.indexOf('}}', j + 2))
      errors.push({ field: null, index: offset + j, message: '"}}" without a matching "{{"' })
  }
  while (i < text.length) {
    const open = text.indexOf('{{', i)
    if (open === -1) {
      strayClose(text.slice(i), i)
      literal += text.slice(i)
      break
    }
    strayClose(text.slice(i, open), i)
    literal += text.slice(i, open)
    const close = text.indexOf('}}', open + 2)
    const nextOpen = text.indexOf('{{', open + 2)
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      errors.push({ field: null, index: open, message: '"{{" is not closed by "}}"' })
      // Keep scanning after this brace pair so later tags are still checked.
      literal += '{{'
      i = open + 2
      continue
    }
    const inner = text.slice(open + 2, close)
    const m = TAG_BODY.exec(inner)
    if (!m) {
      errors.push({
        field: inner.trim(),
        index: open,
        message: `"{{${inner}}}" is not a merge field; write e.g. {{first_name}} or {{first_name|there}}`,
      })
    } else {
      const name = m[1]!.toLowerCase()
      if (!(MERGE_FIELDS as readonly string[]).includes(name)) {
        errors.push({
          field: m[1]!,
          index: open,
          message: `unknown merge field "${m[1]}"; use one of ${MERGE_FIELDS.join(', ')}`,
        })
      } else {
        if (literal !== '') parts.push({ text: literal })
        literal = ''
        parts.push({ field: name as MergeField, fallback: (m[2] ?? '').trim() })
      }
    }
    i = close + 2
  }
  if (literal !== '') parts.push({ text: literal })
  return { parts, errors }
}

/** Every problem of a template (empty = valid), in text order. Pure; never throws. */
export function templateErrors(text: string): TemplateError[] {
  return parse(text).errors.sort((a, b) => a.index - b.index)
}

/** A template with errors was rendered. */
export class TemplateInvalidError extends Error {
  constructor(readonly errors: TemplateError[]) {
    super(`invalid template: ${errors.map((e) => e.message).join('; ')}`)
    this.name = 'TemplateInvalidError'
  }
}

/**
 * A merge value made safe for a header or a line of text: C0/C1 control characters, braces
 * and bidi overrides removed, blank runs (line breaks included) made one space, trimmed.
 */
export function cleanValue(value: string): string {
  return value
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, ' ')
    .replace(/[{}]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Display names of the platforms; any other value is shown as stored. */
const PLATFORM_LABELS: Readonly<Record<string, string>> = {
  instagram: 'Instagram',
  tiktok: 'TikTok',
  youtube: 'YouTube',
  twitch: 'Twitch',
  twitter: 'Twitter',
  onlyfans: 'OnlyFans',
}

/** `tiktok` → `TikTok`; an unknown platform as given. */
export function platformLabel(platform: string): string {
  return PLATFORM_LABELS[platform.toLowerCase()] ?? platform
}

/**
 * A follower count the way profiles show it, rounded **down** so it never overstates:
 * `950` → `950`, `1000` → `1K`, `12345` → `12.3K`, `999999` → `999.9K`, `1250000` → `1.2M`,
 * `3400000000` → `3.4B`. Null, negative or not finite → `''`.
 */
export function formatFollowers(n: number | null): string {
  if (n === null || !Number.isFinite(n) || n < 0) return ''
  const whole = Math.floor(n)
  const units: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ]
  for (const [size, suffix] of units) {
    if (whole >= size) {
      const tenths = Math.floor((whole * 10) / size)
      const s = tenths % 10 === 0 ? String(tenths / 10) : (tenths / 10).toFixed(1)
      return `${s}${suffix}`
    }
  }
  return String(whole)
}

/** Honorifics skipped when looking for a first name. */
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'the'])

/** `anna` / `ANNA` → `Anna`; mixed case (`McKay`, `DeShawn`) kept. */
function nameCase(word: string): string {
  if (word !== word.toLowerCase() && word !== word.toUpperCase()) return word
  const lower = word.toLowerCase()
  return lower.charAt(0).toUpperCase() + lower.slice(1)
}

/**
 * A creator's first name, or `''` when none can be told (then `{{first_name|there}}`'s
 * default applies):
 * - the first word of `full_name` that holds letters (honorifics skipped), with emoji and
 *   punctuation trimmed from its ends, if it is a name: 2+ letters, inner `-` and `'` allowed
 *   (`Mary-Jane`, `O'Brien`); an initial (`J. Smith`, `J.R. Smith`) gives no first name
 *   rather than the surname. All-lower or all-upper case is capitalised (`ANNA` → `Anna`).
 *   A brand name (`Fitness With Anna` → `Fitness`) cannot be told from a person's;
 * - else the handle's first part when the handle is clearly `first.last` / `first_last`
 *   (`@jane.doe` → `Jane`): letters only, 2–20 of them; a handle such as `janedoe99` gives
 *   `''` (it cannot be split reliably).
 */
export function firstNameOf(fullName: string | null, handle: string): string {
  for (const raw of cleanValue(fullName ?? '').split(' ')) {
    const word = raw.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '')
    if (!/\p{L}/u.test(word) || TITLES.has(word.toLowerCase())) continue
    // The first word with letters decides: an initial or `J.R.` is not a first name, and
    // the word after it would be the surname.
    if (/^[\p{L}\p{M}'’-]{2,}$/u.test(word)) return nameCase(word)
    break
  }
  const parts = cleanValue(handle)
    .replace(/^@/, '')
    .split(/[._-]+/)
    .filter((p) => p !== '')
  const first = parts[0] ?? ''
  if (parts.length >= 2 && /^\p{L}{2,20}$/u.test(first)) return nameCase(first)
  return ''
}

/** The value of each merge field for a creator (cleaned; the handle without `@`). */
export function mergeValues(creator: TemplateCreator): Record<MergeField, string> {
  return {
    first_name: firstNameOf(creator.full_name, creator.handle),
    full_name: cleanValue(creator.full_name ?? ''),
    handle: cleanValue(creator.handle).replace(/^@+/, ''),
    platform: platformLabel(cleanValue(creator.platform)),
    followers: formatFollowers(creator.followers),
  }
}

/**
 * Renders a template for a creator: each tag becomes the field's value or, when that is
 * empty, its default (cleaned like a value). One pass: values are never read as template
 * text. `{{handle}}` has no `@` (write `@{{handle}}`).
 * @throws TemplateInvalidError when {@link templateErrors} finds any error.
 */
export function renderTemplate(text: string, creator: TemplateCreator): string {
  const { parts, errors } = parse(text)
  if (errors.length > 0) throw new TemplateInvalidError(errors)
  const values = mergeValues(creator)
  return parts.map((p) => ('text' in p ? p.text : values[p.field] || cleanValue(p.fallback))).join('')
}

/** The creator previews are rendered for. */
export const SAMPLE_CREATOR: Readonly<TemplateCreator> = Object.freeze({
  handle: 'jane.doe',
  full_name: 'Jane Doe',
  platform: 'instagram',
  followers: 12_345,
})

/**
 * The footer every email carries below the body: the sender's postal address (CAN-SPAM,
 * 15 U.S.C. §7704(a)(5)) and the unsubscribe link. The message builder may compose its
 * own; the preview uses this one with a placeholder link.
 */
export function defaultFooter(footerAddress: string, unsubscribeUrl: string): string {
  const lines = [footerAddress.trim(), `Unsubscribe: ${unsubscribeUrl}`].filter((l) => l !== '')
  return `\n\n--\n${lines.join('\n')}`
}

/** Stands in for a real unsubscribe link in previews. */
export const PREVIEW_UNSUBSCRIBE_URL = 'https://…/unsubscribe/…'

/** `POST /outreach/preview`'s answer. */
export interface Preview {
  subject: string
  /** Rendered body and footer, as the email's text part. */
  text: string
  sample: TemplateCreator & { first_name: string }
}

/**
 * The subject and text an email to {@link SAMPLE_CREATOR} would have.
 * @param footer builds the footer from the address (default {@link defaultFooter} with
 *   {@link PREVIEW_UNSUBSCRIBE_URL}); pass the message builder's to preview exactly.
 * @throws TemplateInvalidError when the subject or body has errors (the route answers 422
 *   with {@link templateErrors} of each).
 */
export function preview(
  input: { subject: string; body: string; footer_address?: string | undefined },
  footer: (address: string) => string = (a) => defaultFooter(a, PREVIEW_UNSUBSCRIBE_URL),
): Preview {
  const subject = renderTemplate(input.subject, SAMPLE_CREATOR)
  const body = renderTemplate(input.body, SAMPLE_CREATOR)
  return {
    subject,
    text: body + footer(input.footer_address ?? ''),
    sample: { ...SAMPLE_CREATOR, first_name: firstNameOf(SAMPLE_CREATOR.full_name, SAMPLE_CREATOR.handle) },
  }
}
