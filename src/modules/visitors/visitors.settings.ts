/**
 * A visitor project's settings (module README "Projects"): the schema of the fields the engine reads
 * and the pure mappings the API, the engine and (later) the web UI share. Imports only zod,
 * the duration parser and the shared `httpUrl` schema, so the admin UI may import it.
 *
 * "Hybrid storage": the client's settings object is stored verbatim as JSONB and returned
 * deep-equal, unknown fields included (bounded: {@link SETTINGS_MAX_BYTES} serialized,
 * {@link SETTINGS_MAX_DEPTH} levels). Only the engine's fields are validated here, with
 * loose objects so that unknown fields inside them survive too:
 *
 * - `urls`: one or more http(s) URLs, each a plain string or `{url, weight?}` (weight > 0,
 *   default 1);
 * - `trafficSpeed` 0–100 (default 50) → arrival rate by {@link visitsPerMinute};
 * - `deviceSplit`: desktop share 0–100 (default 50);
 * - `geoTargets`: `[{cc, w}]`, ISO 3166-1 alpha-2 upper-case, positive weights, each country
 *   once (default `[]` = no preference);
 * - `timeOnPage`: text such as `"3 minutes"`, `"45 seconds"`, `"1m 30s"`, 0 s..30 min
 *   (default `"30 seconds"`), see {@link parseTimeOnPage};
 * - `referrer`: `"none"` (default) or one of the project's own URLs — never a third party's;
 * - `mode`: `"http"` (default) or `"browser"`.
 */
import parseDuration from 'parse-duration'
import { z } from 'zod'
import { httpUrl } from '../../platform/net/url.schema.ts'

/** Largest settings object accepted, in bytes of its JSON serialization (64 KiB). Past it: 413. */
export const SETTINGS_MAX_BYTES = 64 * 1024
/** Deepest nesting accepted (the settings object itself is level 1). Past it: 400. */
export const SETTINGS_MAX_DEPTH = 10
/** Longest time on page, in seconds (30 minutes). */
export const TIME_ON_PAGE_MAX_S = 30 * 60
/** Most URLs per project. */
export const MAX_URLS = 100

/** Defaults of the engine fields a client left out. */
export const SETTINGS_DEFAULTS = {
  trafficSpeed: 50,
  deviceSplit: 50,
  timeOnPage: '30 seconds',
  referrer: 'none',
  mode: 'http',
} as const

/** Default bounds of {@link visitsPerMinute} (`VISITORS_MIN_PER_MINUTE`, `VISITORS_MAX_PER_MINUTE`). */
export const DEFAULT_SPEED_RANGE: SpeedRange = { minPerMinute: 1, maxPerMinute: 600 }

/** Bounds of the speed mapping, visits per minute. */
export interface SpeedRange {
  /** Arrival rate at speed 0, visits per minute (> 0). */
  minPerMinute: number
  /** Arrival rate at speed 100 (the plan's maximum), visits per minute (≥ min). */
  maxPerMinute: number
}

/**
 * Traffic speed 0–100 → mean arrival rate in visits per minute: linear from
 * `range.minPerMinute` at 0 to `range.maxPerMinute` at 100 (open model: the engine schedules
 * arrivals at this rate whatever the responses take). Values outside 0–100 are clamped.
 * Pure; the result is a float (e.g. 300.5 at speed 50 with the defaults 1..600).
 */
export function visitsPerMinute(speed: number, range: SpeedRange = DEFAULT_SPEED_RANGE): number {
  const s = Math.min(100, Math.max(0, speed))
  return range.minPerMinute + ((range.maxPerMinute - range.minPerMinute) * s) / 100
}

/** Duration units accepted by {@link parseTimeOnPage} (lower-case; parse-duration's names). */
const UNITS = new Set([
  'ms',
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'm',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hr',
  'hrs',
  'hour',
  'hours',
])
/** `<number><unit>` tokens separated by blanks or commas; nothing else (parse-duration ignores noise). */
const DURATION_TEXT = /^\s*(?:\d+(?:\.\d+)?\s*[a-z]+(?:\s*,?\s*|$))+$/i
const TOKEN = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi

/** Outcome of {@link parseTimeOnPage}. */
export type DurationResult = { ok: true; seconds: number } | { ok: false; message: string }

/**
 * Parses a time on page written as text — `"3 minutes"` → 180, `"45 seconds"` → 45,
 * `"1m 30s"` → 90, `"1.5 min"` → 90 — into seconds (millisecond precision), within
 * 0..{@link TIME_ON_PAGE_MAX_S}. The arithmetic is parse-duration's; the text is first held
 * to a strict grammar (numbers each followed by a known unit: ms, s/sec/second(s),
 * m/min/minute(s), h/hr/hour(s); no sign, no bare number, no other words), because
 * parse-duration reads numbers out of any text. Pure; never throws.
 */
export function parseTimeOnPage(text: string): DurationResult {
  if (text.length > 100) return { ok: false, message: 'too long (at most 100 characters)' }
  if (!DURATION_TEXT.test(text))
    return { ok: false, message: 'write a duration such as "3 minutes", "45 seconds" or "1m 30s"' }
  for (const m of text.matchAll(TOKEN)) {
    if (!UNITS.has(m[2]!.toLowerCase()))
      return { ok: false, message: `unknown unit "${m[2]}" (use seconds, minutes or hours)` }
  }
  const ms = parseDuration(text.toLowerCase())
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return { ok: false, message: 'not a duration' }
  const seconds = Math.round(ms) / 1000
  if (seconds > TIME_ON_PAGE_MAX_S) return { ok: false, message: 'at most 30 minutes' }
  return { ok: true, seconds }
}

/** The 249 officially assigned ISO 3166-1 alpha-2 codes. */
export const ISO_COUNTRIES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR ' +
    'BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ ' +
    'EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW ' +
    'GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY ' +
    'KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV ' +
    'MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY ' +
    'QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG ' +
    'TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
)

/**
 * Whether `tz` is an IANA time zone name the runtime knows (`Europe/Berlin`, `UTC`).
 * Offsets such as `+01:00`, which newer runtimes also accept, are refused: a daily limit's
 * day follows a zone's rules, not a fixed offset. Pure; never throws.
 */
export function isIanaTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const weight = z.number().positive('must be positive').max(1_000_000)

// A plain string is read as `{url}`, so a bad string and a bad `url` field both say why.
const urlEntry = z.preprocess(
  (v) => (typeof v === 'string' ? { url: v } : v),
  z.looseObject({ url: httpUrl, weight: weight.optional() }),
)

const geoTarget = z.looseObject({
  cc: z
    .string()
    .refine((c) => ISO_COUNTRIES.has(c), 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. DE'),
  w: weight,
})

const timeOnPage = z.string().transform((s, ctx) => {
  const r = parseTimeOnPage(s)
  if (r.ok) return r.seconds
  ctx.addIssue({ code: 'custom', message: r.message })
  return z.NEVER
})

/**
 * The engine's view of the settings (zod, loose objects: unknown fields pass). Parse with
 * {@link parseEngineSettings}, which also applies the cross-field rules (referrer, unique
 * countries) and names every bad field.
 */
export const engineSettingsSchema = z.looseObject({
  urls: z.array(urlEntry).min(1, 'give at least one URL').max(MAX_URLS),
  trafficSpeed: z.number().min(0).max(100).optional(),
  deviceSplit: z.number().min(0).max(100).optional(),
  geoTargets: z.array(geoTarget).max(ISO_COUNTRIES.size).optional(),
  timeOnPage: timeOnPage.optional(),
  referrer: z.string().max(4000).optional(),
  mode: z.enum(['http', 'browser']).optional(),
})

/** The settings as the engine uses them: defaults applied, every field normalized. */
export interface EngineSettings {
  /** Target URLs with their weights (default 1). */
  urls: { url: string; weight: number }[]
  /** 0–100; see {@link visitsPerMinute}. */
  trafficSpeed: number
  /** Desktop share of visits, percent 0–100 (the rest is mobile). */
  deviceSplit: number
  /** Weighted countries (empty = no preference). */
  geoTargets: { cc: string; w: number }[]
  /** Time on page in seconds, 0..1800. */
  timeOnPageSeconds: number
  /** The Referer sent: null (none) or one of `urls` (the project's own page). */
  referrer: string | null
  mode: 'http' | 'browser'
}

/** One field error, dotted path (`settings.geoTargets.0.cc`) and message, as in the API's `details`. */
export interface SettingsFieldError {
  path: string
  message: string
}

/** Outcome of {@link parseEngineSettings}. */
export type EngineSettingsResult =
  | { ok: true; settings: EngineSettings }
  | { ok: false; details: SettingsFieldError[] }

/**
 * Validates the engine fields of a stored or submitted settings object and returns them
 * normalized (see {@link EngineSettings}); unknown fields are ignored here (the caller keeps
 * the object verbatim). Errors name each field under `prefix` (default `settings`), e.g.
 * `settings.geoTargets.0.cc`. Pure; never throws.
 */
export function parseEngineSettings(raw: unknown, prefix = 'settings'): EngineSettingsResult {
  const at = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter((p) => p !== '').join('.')
  const r = engineSettingsSchema.safeParse(raw)
  if (!r.success) {
    return { ok: false, details: r.error.issues.map((i) => ({ path: at(i.path), message: i.message })) }
  }
  const v = r.data
  const details: SettingsFieldError[] = []
  const urls = v.urls.map((u) => ({ url: u.url, weight: u.weight ?? 1 }))
  const geo = (v.geoTargets ?? []).map((g) => ({ cc: g.cc, w: g.w }))
  const seen = new Set<string>()
  geo.forEach((g, i) => {
    if (seen.has(g.cc))
      details.push({ path: at(['geoTargets', i, 'cc']), message: `${g.cc} is listed twice` })
    seen.add(g.cc)
  })
  let referrer: string | null = null
  const ref = v.referrer ?? SETTINGS_DEFAULTS.referrer
  if (ref !== 'none') {
    // Only the project's own pages: a spoofed third-party referrer would be a lie about the visit.
    if (urls.some((u) => u.url === ref)) referrer = ref
    else details.push({ path: at(['referrer']), message: 'must be "none" or one of the project\'s own URLs' })
  }
  if (details.length > 0) return { ok: false, details }
  return {
    ok: true,
    settings: {
      urls,
      trafficSpeed: v.trafficSpeed ?? SETTINGS_DEFAULTS.trafficSpeed,
      deviceSplit: v.deviceSplit ?? SETTINGS_DEFAULTS.deviceSplit,
      geoTargets: geo,
      timeOnPageSeconds:
        v.timeOnPage ?? (parseTimeOnPage(SETTINGS_DEFAULTS.timeOnPage) as { seconds: number }).seconds,
      referrer,
      mode: v.mode ?? SETTINGS_DEFAULTS.mode,
    },
  }
}

/**
 * Nesting depth of a JSON value: a scalar is 0, `{}` or `[]` is 1, `{a: [1]}` is 2. Stops
 * counting past `cap` (returns `cap + 1`), so a hostile deep value costs little. Pure.
 */
export function jsonDepth(value: unknown, cap = SETTINGS_MAX_DEPTH): number {
  const walk = (v: unknown, d: number): number => {
    if (v === null || typeof v !== 'object') return d
    if (d + 1 > cap) return cap + 1
    let max = d + 1
    for (const x of Array.isArray(v) ? v : Object.values(v)) {
      max = Math.max(max, walk(x, d + 1))
      if (max > cap) return max
    }
    return max
  }
  return walk(value, 0)
}

/** Why a settings object is out of bounds: HTTP status (413 size, 400 depth) and message. */
export interface BoundsProblem {
  status: 400 | 413
  message: string
}

/**
 * Size and depth bounds of a settings object: more than {@link SETTINGS_MAX_BYTES} bytes of
 * UTF-8 JSON → 413; deeper than {@link SETTINGS_MAX_DEPTH} → 400. `undefined` when within.
 * Pure.
 */
export function settingsBoundsProblem(settings: unknown): BoundsProblem | undefined {
  const depth = jsonDepth(settings)
  if (depth > SETTINGS_MAX_DEPTH)
    return { status: 400, message: `settings nest deeper than ${SETTINGS_MAX_DEPTH} levels` }
  const bytes = new TextEncoder().encode(JSON.stringify(settings)).length
  if (bytes > SETTINGS_MAX_BYTES)
    return {
      status: 413,
      message: `settings are ${bytes} bytes; at most ${SETTINGS_MAX_BYTES} bytes of JSON`,
    }
  return undefined
}

/** A price tier, structurally billing's `PriceTier` (minor units, rate per 1,000 visits). */
export interface TierLike {
  fromMinor: number
  rateMinorPer1000: number
}

/** What a project is expected to use per day (see {@link estimateDaily}). */
export interface DailyEstimate {
  /** Mean arrival rate, visits per minute. */
  visitsPerMinute: number
  /** Expected visits per day: rate × 1,440, floored, capped by the daily limit. */
  visitsPerDay: number
  /** Visit credits used per day (one credit per completed visit, the ledger's `visits` asset). */
  creditsPerDay: number
  /** The CPM those credits are bought at: minor units per 1,000 visits. */
  rateMinorPer1000: number
  /** What buying a day's credits costs at that rate, minor units (cents), rounded up. */
  costMinorPerDay: number
}

/**
 * Visits, credits and money per day at a traffic speed: `visitsPerMinute(speed, range) ×
 * 1440`, capped by `dailyLimit` (0 = none); the money at the billing curve's volume rate for
 * buying that many visits (the highest tier whose lower bound the purchase reaches, as
 * billing's `quote` prices an amount). Pure.
 * @param tiers billing's tiers (first from 0, increasing), e.g. `DEFAULT_PRICE_TIERS`.
 */
export function estimateDaily(
  input: { trafficSpeed: number; dailyLimit: number },
  tiers: readonly TierLike[],
  range: SpeedRange = DEFAULT_SPEED_RANGE,
): DailyEstimate {
  const perMinute = visitsPerMinute(input.trafficSpeed, range)
  let perDay = Math.floor(perMinute * 1440)
  if (input.dailyLimit > 0) perDay = Math.min(perDay, input.dailyLimit)
  let rate = tiers[0]?.rateMinorPer1000 ?? 0
  let cost = Math.ceil((perDay * rate) / 1000)
  for (let i = tiers.length - 1; i > 0; i--) {
    const t = tiers[i]!
    const amount = Math.ceil((perDay * t.rateMinorPer1000) / 1000)
    if (amount >= t.fromMinor) {
      rate = t.rateMinorPer1000
      cost = amount
      break
    }
  }
  return {
    visitsPerMinute: perMinute,
    visitsPerDay: perDay,
    creditsPerDay: perDay,
    rateMinorPer1000: rate,
    costMinorPerDay: cost,
  }
}
