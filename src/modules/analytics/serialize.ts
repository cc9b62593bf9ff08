/**
 * Spool lines for pipeline events, written straight into bytes. A line is at once the durable
 * spool record and a ClickHouse JSONEachRow row: the pipeline inserts lines as they are
 * (`type` is skipped as an unknown field; `ts` in epoch ms is read by DateTime64(3)).
 *
 * Each event type has a fixed field list ({@link CLICK_FIELDS} …: the table's columns plus
 * `type`, in line order). {@link LineWriter} writes an event's line into a slab it reuses for
 * many group commits: no JSON string per event, no `Buffer.from` per group commit (both were
 * ~9 % of the redirect's event-loop time, plus the garbage they left). The bytes equal
 * `JSON.stringify` of the event with its fields in list order after coercion:
 *
 * - `'s'` (String columns): the value's JSON string; `null` is `""`, a Date its ISO time, any
 *   other non-string its `toString()`.
 * - `'n'` (`ts`, Int64 `cost_micros`, epoch ms): `Number(value)`; ±Infinity is `null`, NaN throws.
 * - `'i'` (UInt8 flags, status, bytes): an integer, a non-integer truncated; non-finite throws.
 *
 * (The coercion rules are fast-json-stringify's, the serializer these lines were written
 * with before; lines already on disk read back the same.) So ClickHouse never rejects a
 * batch for bad data (which would block the spool); value ranges are the producer's job (the
 * redirect handler clamps cost and hops).
 */
import type { ClickEvent, LanderClickEvent, PipelineEvent, TrafficbackEvent, VisitEvent } from './events.ts'

/** How a field is written: `s` JSON string, `n` JSON number, `i` JSON integer. */
export type FieldKind = 's' | 'n' | 'i'

/** Every field of an event type and its kind; the object's key order is the line's. */
type Fields<T> = { readonly [K in keyof T]-?: FieldKind }

export const CLICK_FIELDS: Fields<ClickEvent> = {
  type: 's',
  click_id: 's',
  ts: 'n',
  workspace_id: 's',
  campaign_id: 's',
  stream_id: 's',
  destination_id: 's',
  source_id: 's',
  is_unique: 'i',
  is_bot: 'i',
  ip: 's',
  country: 's',
  language: 's',
  device: 's',
  os: 's',
  os_version: 's',
  browser: 's',
  user_agent: 's',
  referrer: 's',
  user_key: 's',
  cost_micros: 'n',
  currency: 's',
  external_id: 's',
  sub1: 's',
  sub2: 's',
  sub3: 's',
  sub4: 's',
  sub5: 's',
  sub6: 's',
  sub7: 's',
  sub8: 's',
  sub9: 's',
  sub10: 's',
  utm_source: 's',
  utm_medium: 's',
  utm_campaign: 's',
  utm_term: 's',
  utm_content: 's',
  source: 's',
  destination_url: 's',
  lander_id: 's',
}

export const LANDER_CLICK_FIELDS: Fields<LanderClickEvent> = {
  type: 's',
  click_id: 's',
  ts: 'n',
  workspace_id: 's',
  campaign_id: 's',
  stream_id: 's',
  lander_id: 's',
  destination_id: 's',
  source_id: 's',
  is_unique: 'i',
  country: 's',
  device: 's',
  destination_url: 's',
}

export const TRAFFICBACK_FIELDS: Fields<TrafficbackEvent> = {
  type: 's',
  click_id: 's',
  ts: 'n',
  workspace_id: 's',
  campaign_id: 's',
  reason: 's',
  target_type: 's',
  target: 's',
  hops: 'i',
  is_bot: 'i',
  ip: 's',
  country: 's',
  device: 's',
  user_agent: 's',
  referrer: 's',
  source: 's',
}

export const VISIT_FIELDS: Fields<VisitEvent> = {
  type: 's',
  visit_id: 's',
  ts: 'n',
  started_at: 'n',
  settled_at: 'n',
  workspace_id: 's',
  project_id: 's',
  run_id: 's',
  url: 's',
  country: 's',
  device: 's',
  mode: 's',
  answered: 'i',
  status: 'i',
  latency_ms: 'n',
  bytes: 'i',
  error: 's',
  charged: 'i',
}

/** The field list of each event type. */
export const EVENT_FIELDS = {
  click: CLICK_FIELDS,
  trafficback: TRAFFICBACK_FIELDS,
  visit: VISIT_FIELDS,
  lander_click: LANDER_CLICK_FIELDS,
} as const satisfies Record<PipelineEvent['type'], Fields<PipelineEvent>>

/** Characters JSON.stringify escapes (and surrogates, which it may): fast-json-stringify's test. */
const STR_ESCAPE = /[\u0000-\u001f\u0022\u005c\ud800-\udfff]/

/** A value of a string field as the string written (fast-json-stringify's coercion); throws on `undefined`. */
function asString(v: unknown, key: string): string {
  if (typeof v === 'string') return v
  if (v === undefined) throw new Error(`"${key}" is required!`)
  if (v === null) return ''
  if (v instanceof Date) return v.toISOString()
  if (v instanceof RegExp) return v.source
  return String((v as { toString(): string }).toString())
}

/** A value of a number field: `Number(v)`, ±Infinity written as `null`; throws on `undefined` and NaN. */
function asNumber(v: unknown, key: string): number {
  if (typeof v === 'number' && !Number.isNaN(v)) return v
  if (v === undefined) throw new Error(`"${key}" is required!`)
  const num = Number(v)
  if (Number.isNaN(num)) throw new Error(`The value "${String(v)}" cannot be converted to a number.`)
  return num
}

/** A value of an integer field: truncated; throws on `undefined` and non-finite values. */
function asInteger(v: unknown, key: string): number | bigint {
  if (Number.isInteger(v)) return v as number
  if (v === undefined) throw new Error(`"${key}" is required!`)
  if (typeof v === 'bigint') return v
  const int = Math.trunc(v as number)
  if (!Number.isFinite(int)) throw new Error(`The value "${String(v)}" cannot be converted to an integer.`)
  return int
}

/** Writes `JSON.stringify(s)` as UTF-8 at `pos` (room for `6 * s.length + 2` bytes); returns the end. */
function writeString(buf: Buffer, pos: number, s: string): number {
  const len = s.length
  buf[pos] = 0x22
  let i = 0
  // Printable ASCII (ids, countries, URLs, user agents, empty sub IDs): byte by byte in the
  // same pass that checks it; measured faster than a regular-expression test plus a native
  // write even for a 130-character user agent.
  for (; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break
    buf[pos + 1 + i] = c
  }
  if (i === len) {
    buf[pos + 1 + len] = 0x22
    return pos + len + 2
  }
  // Other Unicode without escapes: the native UTF-8 encoder; else JSON.stringify's escaping
  // (quotes, backslashes, control characters, surrogates).
  if (!STR_ESCAPE.test(s)) {
    const end = pos + 1 + buf.write(s, pos + 1, 'utf8')
    buf[end] = 0x22
    return end + 1
  }
  return pos + buf.write(JSON.stringify(s), pos, 'utf8')
}

/** Writes a number as `String(num)` does at `pos` (room for 24 bytes); returns the end. */
function writeNumber(buf: Buffer, pos: number, num: number | bigint): number {
  if (typeof num === 'bigint' || !Number.isSafeInteger(num)) {
    const text = num === Number.POSITIVE_INFINITY || num === Number.NEGATIVE_INFINITY ? 'null' : String(num)
    return pos + buf.write(text, pos, 'latin1')
  }
  let n = num
  if (n < 0) {
    buf[pos++] = 0x2d
    n = -n
  }
  if (n < 1e8) return writeDigits(buf, pos, n)
  // Epoch ms and micros exceed 31 bits: digits of two parts below 1e8 keep the arithmetic
  // on small integers (a double's `%` is a libm call).
  const high = Math.floor(n / 1e8)
  pos = writeDigits(buf, pos, high)
  const low = n - high * 1e8
  for (let k = 7, v = low; k >= 0; k--) {
    buf[pos + k] = 0x30 + (v % 10)
    v = (v / 10) | 0
  }
  return pos + 8
}

/** Decimal digits of `n` (an integer in [0, 2^53)) at `pos`; returns the end. */
function writeDigits(buf: Buffer, pos: number, n: number): number {
  if (n >= 1e8) return writeNumber(buf, pos, n)
  let digits = 1
  for (let t = n; t >= 10; t = (t / 10) | 0) digits++
  for (let k = digits - 1, v = n; k >= 0; k--) {
    buf[pos + k] = 0x30 + (v % 10)
    v = (v / 10) | 0
  }
  return pos + digits
}

/** Bytes a number field may take ("-1.7976931348623157e+308" is 24). */
const NUMBER_ROOM = 24

/**
 * Writes one event's line at `pos` of `room(need)`'s buffer; returns the line's end.
 * `room(n)` returns a buffer with at least `n` bytes free from the returned position.
 */
type LineFn = (e: unknown, room: (n: number) => Buffer, pos: () => number) => number

/**
 * Compiles a field list into a line writer: the field reads are plain property reads and
 * the key bytes constant stores, so a click line costs well under a microsecond (a loop over
 * the field list with `event[key]` took ~3 µs). Generated from the fixed field lists above
 * only, never from input.
 */
function compile(fields: Record<string, FieldKind>): LineFn {
  const keys = Object.keys(fields)
  const lines: string[] = []
  let fixed = 2 // }\n
  for (let f = 0; f < keys.length; f++) {
    const key = keys[f]!
    const k = JSON.stringify(key)
    const kind = fields[key]!
    lines.push(
      kind === 's'
        ? `const v${f} = asString(e[${k}], ${k}); need += 6 * v${f}.length + 2;`
        : kind === 'n'
          ? `const v${f} = asNumber(e[${k}], ${k}); need += ${NUMBER_ROOM};`
          : `const v${f} = asInteger(e[${k}], ${k}); need += ${NUMBER_ROOM};`,
    )
    fixed += Buffer.byteLength(`,${k}:`)
  }
  lines.push('const buf = room(need); let p = pos();')
  for (let f = 0; f < keys.length; f++) {
    const key = keys[f]!
    const prefix = Buffer.from(`${f === 0 ? '{' : ','}${JSON.stringify(key)}:`, 'latin1')
    lines.push(`${[...prefix].map((b, i) => `buf[p + ${i}] = ${b};`).join(' ')} p += ${prefix.length};`)
    lines.push(fields[key] === 's' ? `p = writeString(buf, p, v${f});` : `p = writeNumber(buf, p, v${f});`)
  }
  lines.push('buf[p] = 125; buf[p + 1] = 10; return p + 2;')
  const make = new Function(
    'asString',
    'asNumber',
    'asInteger',
    'writeString',
    'writeNumber',
    `return function line(e, room, pos) { let need = ${fixed}; ${lines.join('\n')} }`,
  ) as (...helpers: unknown[]) => LineFn
  return make(asString, asNumber, asInteger, writeString, writeNumber)
}

const LINES: Record<PipelineEvent['type'], LineFn> = {
  click: compile(CLICK_FIELDS),
  trafficback: compile(TRAFFICBACK_FIELDS),
  visit: compile(VISIT_FIELDS),
  lander_click: compile(LANDER_CLICK_FIELDS),
}

/**
 * Writes pipeline events as JSON lines into a slab of bytes and hands out each group
 * commit's lines as one view ({@link take}). A slab is written front to back and never
 * rewritten once taken, so views stay valid for as long as they are held (queue,
 * recent-clicks ring); a full slab is left to them and the next one allocated (one per
 * ~1,400 clicks at the default 1 MiB). One writer per producer (the pipeline).
 */
export class LineWriter {
  #buf: Buffer
  /** Start of the group commit being written. */
  #start = 0
  #pos = 0
  readonly #room = (n: number): Buffer => {
    if (this.#pos + n > this.#buf.length) {
      // Move the group written so far to a new slab: a group's lines stay one range.
      const used = this.#pos - this.#start
      const next = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, 2 * (used + n)))
      this.#buf.copy(next, 0, this.#start, this.#pos)
      this.#buf = next
      this.#start = 0
      this.#pos = used
    }
    return this.#buf
  }
  readonly #at = (): number => this.#pos

  /** @param slabBytes size of each slab (a larger group commit gets a slab of twice its size) */
  constructor(readonly slabBytes = 1024 * 1024) {
    this.#buf = Buffer.allocUnsafeSlow(slabBytes)
  }

  /**
   * Appends `event` as one line (with its `\n`) to the current group.
   * @throws Error when a field is missing or a number is NaN (a bug in the producer); the
   *   group is then as it was before the call.
   */
  append(event: PipelineEvent): void {
    const line = LINES[event.type]
    if (line === undefined) throw new Error(`unknown event type ${String(event.type)}`)
    // Nothing is written before every field was read and coerced, so a throw leaves no bytes.
    this.#pos = line(event, this.#room, this.#at)
  }

  /** Bytes of the current group: every line appended since the last {@link take} or {@link discard}. */
  get groupBytes(): number {
    return this.#pos - this.#start
  }

  /** The current group's lines as one view (never rewritten), and starts a new group. */
  take(): Buffer {
    const out = this.#buf.subarray(this.#start, this.#pos)
    this.#start = this.#pos
    return out
  }

  /** The current group's lines as a view valid until the next `append` (to copy or decode them). */
  peek(): Buffer {
    return this.#buf.subarray(this.#start, this.#pos)
  }

  /** Drops the current group's lines (their bytes are reused by the next group). */
  discard(): void {
    this.#pos = this.#start
  }
}

const scratch = new LineWriter(64 * 1024)

/**
 * One event as a JSON string (no trailing newline); the bytes {@link LineWriter} writes.
 * For lines read back from disk, not the hot path.
 * @throws Error when a required field is missing (a bug in the producer).
 */
export function serializeEvent(event: PipelineEvent): string {
  try {
    scratch.append(event)
    const line = scratch.peek()
    return line.toString('utf8', 0, line.length - 1)
  } finally {
    scratch.discard()
  }
}

/** Latest timestamp accepted on replay (2200-01-01), well inside DateTime64(3)'s range. */
const MAX_TS = 7_258_118_400_000

/**
 * Checks that a parsed spool line is an event the pipeline can store: `type` is `click` or
 * `trafficback`, `visit` or `lander_click` and `ts` is epoch ms in [1970, 2200). Anything else is a corrupt line.
 */
export function isStorableEvent(v: unknown): v is PipelineEvent {
  if (typeof v !== 'object' || v === null) return false
  const e = v as { type?: unknown; ts?: unknown }
  return (
    (e.type === 'click' || e.type === 'trafficback' || e.type === 'visit' || e.type === 'lander_click') &&
    typeof e.ts === 'number' &&
    Number.isFinite(e.ts) &&
    e.ts >= 0 &&
    e.ts < MAX_TS
  )
}
