/**
 * The visitor project form's pure parts: form values ⇄ API body, the live validation (the
 * server's own `parseEngineSettings` from src/modules/visitors/visitors.settings.ts, so the
 * form says what the API would), server error paths → form fields, and the daily estimate at
 * billing's quoted CPM.
 *
 * The API keeps `settings` verbatim and PATCH replaces the whole object: the form writes its
 * engine fields over the saved object, so fields it does not know survive an edit.
 */
import { z } from 'zod'
import {
  DEFAULT_SPEED_RANGE,
  estimateDaily,
  ISO_COUNTRIES,
  isIanaTimeZone,
  parseEngineSettings,
  SETTINGS_DEFAULTS,
  type SpeedRange,
} from '../../../../../src/modules/visitors/visitors.settings.ts'
import type { QuoteTier } from '@/hooks/api/billing'
import type { Project, ProjectBody, ProjectSettings } from '@/hooks/api/visitors'

export { ISO_COUNTRIES }

/** The form's values: numbers typed as text ('' = none / default). */
export interface ProjectFormValues {
  name: string
  urls: { url: string; weight: string }[]
  trafficSpeed: number
  deviceSplit: number
  geoTargets: { cc: string; w: string }[]
  timeOnPage: string
  referrer: string
  mode: 'http' | 'browser'
  plan_type: string
  daily_limit: string
  total_target: string
  /** `<input type="datetime-local">` value in the browser's zone; '' = never. */
  expires_at: string
  timezone: string
}

const WHOLE = /^\d*$/
const POSITIVE = /^\d+(\.\d+)?$/

/** `2026-05-01T10:30` (local) ⇄ ISO 8601 UTC. */
export function localInputToIso(v: string): string | null {
  if (!v.trim()) return null
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** ISO 8601 → `YYYY-MM-DDTHH:mm` in the browser's zone (the datetime-local input's format). */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}

/** A saved project (or nothing: a new one) as form values. */
export function projectToForm(p?: Project): ProjectFormValues {
  const s = p?.settings
  const urls = (s?.urls ?? []).map((u) =>
    typeof u === 'string'
      ? { url: u, weight: '' }
      : { url: u.url, weight: u.weight === undefined ? '' : String(u.weight) },
  )
  return {
    name: p?.name ?? '',
    urls: urls.length > 0 ? urls : [{ url: '', weight: '' }],
    trafficSpeed: typeof s?.trafficSpeed === 'number' ? s.trafficSpeed : SETTINGS_DEFAULTS.trafficSpeed,
    deviceSplit: typeof s?.deviceSplit === 'number' ? s.deviceSplit : SETTINGS_DEFAULTS.deviceSplit,
    geoTargets: (s?.geoTargets ?? []).map((g) => ({ cc: g.cc, w: String(g.w) })),
    timeOnPage: typeof s?.timeOnPage === 'string' ? s.timeOnPage : SETTINGS_DEFAULTS.timeOnPage,
    referrer: typeof s?.referrer === 'string' ? s.referrer : 'none',
    mode: s?.mode === 'browser' ? 'browser' : 'http',
    plan_type: p?.plan_type ?? 'Custom',
    daily_limit: p?.daily_limit ? String(p.daily_limit) : '',
    total_target: p?.total_target ? String(p.total_target) : '',
    expires_at: isoToLocalInput(p?.expires_at ?? null),
    timezone: p?.timezone ?? 'UTC',
  }
}

/**
 * The settings object to send: `base` (the saved settings, unknown fields kept) with the
 * form's engine fields written over it. A URL without a weight is sent as a plain string.
 */
export function formToSettings(
  v: ProjectFormValues,
  base: ProjectSettings | Record<string, unknown> = {},
): ProjectSettings {
  return {
    ...base,
    urls: v.urls.map((u) =>
      u.weight.trim() === '' ? u.url.trim() : { url: u.url.trim(), weight: Number(u.weight.trim()) },
    ),
    trafficSpeed: v.trafficSpeed,
    deviceSplit: v.deviceSplit,
    geoTargets: v.geoTargets.map((g) => ({
      cc: g.cc.trim().toUpperCase(),
      w: g.w.trim() === '' ? 1 : Number(g.w.trim()),
    })),
    timeOnPage: v.timeOnPage.trim(),
    referrer: v.referrer,
    mode: v.mode,
  }
}

/** The `POST /projects` body (also the `PATCH` body: every field, settings over `base`). */
export function formToBody(v: ProjectFormValues, base?: ProjectSettings): ProjectBody {
  return {
    name: v.name.trim(),
    plan_type: v.plan_type.trim() || 'Custom',
    daily_limit: v.daily_limit.trim() ? Number(v.daily_limit) : 0,
    total_target: v.total_target.trim() ? Number(v.total_target) : 0,
    expires_at: localInputToIso(v.expires_at),
    timezone: v.timezone.trim() || 'UTC',
    settings: formToSettings(v, base),
  }
}

/**
 * An API error path → the form field showing it, or null (shown above the form):
 * `settings.urls.2` and `settings.urls.2.url` → `urls.2.url`; `settings.geoTargets.0` →
 * `geoTargets.0.cc`; `settings.timeOnPage` → `timeOnPage`; `daily_limit` stays; `settings`
 * alone (size, depth) → null.
 */
export function formPathOf(apiPath: string): string | null {
  const parts = apiPath.split('.')
  if (parts[0] !== 'settings') return apiPath in TOP_FIELDS ? apiPath : null
  const [, field, index, sub] = parts
  if (!field) return null
  if (field === 'urls') {
    if (index === undefined) return 'urls'
    return `urls.${index}.${sub === 'weight' ? 'weight' : 'url'}`
  }
  if (field === 'geoTargets') {
    if (index === undefined) return 'geoTargets'
    return `geoTargets.${index}.${sub === 'w' ? 'w' : 'cc'}`
  }
  return field in SETTINGS_FIELDS ? field : null
}

const TOP_FIELDS = { name: 1, plan_type: 1, daily_limit: 1, total_target: 1, expires_at: 1, timezone: 1 }
const SETTINGS_FIELDS = { trafficSpeed: 1, deviceSplit: 1, timeOnPage: 1, referrer: 1, mode: 1 }

/** Every field path of the form with `v`'s rows (for `applyApiErrors`). */
export function formFields(v: Pick<ProjectFormValues, 'urls' | 'geoTargets'>): string[] {
  return [
    ...Object.keys(TOP_FIELDS),
    ...Object.keys(SETTINGS_FIELDS),
    'urls',
    'geoTargets',
    ...v.urls.flatMap((_, i) => [`urls.${i}.url`, `urls.${i}.weight`]),
    ...v.geoTargets.flatMap((_, i) => [`geoTargets.${i}.cc`, `geoTargets.${i}.w`]),
  ]
}

/** "must be positive" → "Must be positive". */
const sentence = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)

/**
 * The form's schema: text fields checked here, then the settings through the server's
 * `parseEngineSettings`, each problem under its field (live, as the user types).
 */
export const projectFormSchema = z
  .object({
    name: z.string().trim().min(1, 'Name the project').max(200, 'At most 200 characters'),
    urls: z.array(z.object({ url: z.string(), weight: z.string() })),
    trafficSpeed: z.number().min(0).max(100),
    deviceSplit: z.number().min(0).max(100),
    geoTargets: z.array(z.object({ cc: z.string(), w: z.string() })),
    timeOnPage: z.string(),
    referrer: z.string(),
    mode: z.enum(['http', 'browser']),
    plan_type: z.string().trim().max(50, 'At most 50 characters'),
    daily_limit: z.string().trim().regex(WHOLE, 'A whole number of visits (empty = no limit)'),
    total_target: z.string().trim().regex(WHOLE, 'A whole number of visits (empty = none)'),
    expires_at: z.string(),
    timezone: z
      .string()
      .trim()
      .refine((t) => t === '' || isIanaTimeZone(t), 'An IANA time zone such as Europe/Berlin or UTC'),
  })
  .superRefine((v, ctx) => {
    const flagged = new Set<string>()
    const flag = (path: string, message: string) => {
      if (flagged.has(path)) return
      flagged.add(path)
      ctx.addIssue({ code: 'custom', path: path.split('.'), message })
    }
    v.urls.forEach((u, i) => {
      if (u.weight.trim() && (!POSITIVE.test(u.weight.trim()) || Number(u.weight) <= 0))
        flag(`urls.${i}.weight`, 'A weight above 0 (empty = 1)')
    })
    v.geoTargets.forEach((g, i) => {
      if (!g.cc.trim()) flag(`geoTargets.${i}.cc`, 'Choose a country')
      if (g.w.trim() && (!POSITIVE.test(g.w.trim()) || Number(g.w) <= 0))
        flag(`geoTargets.${i}.w`, 'A weight above 0')
    })
    if (v.expires_at.trim() && localInputToIso(v.expires_at) === null)
      flag('expires_at', 'Not a date and time')
    const r = parseEngineSettings(formToSettings(v))
    if (r.ok) return
    for (const d of r.details) {
      const path = formPathOf(d.path)
      if (path && !flagged.has(path)) flag(path, sentence(d.message))
    }
  })

/** What the form shows as the daily estimate. */
export interface FormEstimate {
  visitsPerMinute: number
  visitsPerDay: number
  creditsPerDay: number
  /** Null without billing's tiers (quote not loaded). */
  rateMinorPer1000: number | null
  costMinorPerDay: number | null
}

/**
 * Visits and credits per day at the form's speed and daily limit — the server's
 * `estimateDaily` — with the money at billing's quoted tiers (`GET /billing/quote` → `tiers`,
 * major units, converted to minor). `range` is the server's speed range
 * (`GET /visitors/config` → `speed`, see {@link speedRangeOf}); until it is loaded the
 * default (1..600 per minute, the `VISITORS_*_PER_MINUTE` defaults).
 */
export function formEstimate(
  v: Pick<ProjectFormValues, 'trafficSpeed' | 'daily_limit'>,
  tiers: readonly QuoteTier[] | null,
  range: SpeedRange = DEFAULT_SPEED_RANGE,
): FormEstimate {
  const dailyLimit = WHOLE.test(v.daily_limit.trim()) && v.daily_limit.trim() ? Number(v.daily_limit) : 0
  const t = (tiers ?? []).map((x) => ({
    fromMinor: Math.round(x.from * 100),
    rateMinorPer1000: Math.round(x.rate * 100),
  }))
  const e = estimateDaily({ trafficSpeed: v.trafficSpeed, dailyLimit }, t, range)
  const priced = t.length > 0
  return {
    visitsPerMinute: e.visitsPerMinute,
    visitsPerDay: e.visitsPerDay,
    creditsPerDay: e.creditsPerDay,
    rateMinorPer1000: priced ? e.rateMinorPer1000 : null,
    costMinorPerDay: priced ? e.costMinorPerDay : null,
  }
}

/** The server's speed range from `GET /visitors/config`'s `speed`; the default when absent. */
export function speedRangeOf(
  speed: { min_per_minute: number; max_per_minute: number } | null | undefined,
): SpeedRange {
  return speed
    ? { minPerMinute: speed.min_per_minute, maxPerMinute: speed.max_per_minute }
    : DEFAULT_SPEED_RANGE
}

/** Country name of an ISO code in English ("DE" → "Germany"); the code when unknown. */
export function countryName(cc: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(cc) ?? cc
  } catch {
    return cc
  }
}

/**
 * The countries the picker offers: those with egress when known (`GET /visitors/egress`),
 * else every assigned ISO code; plus the ones already chosen (a saved code stays visible).
 * Sorted by name.
 */
export function pickerCountries(egress: readonly string[] | null, chosen: readonly string[]): string[] {
  const set = new Set<string>(egress ?? ISO_COUNTRIES)
  for (const c of chosen) if (c) set.add(c)
  return [...set].sort((a, b) => countryName(a).localeCompare(countryName(b)))
}
